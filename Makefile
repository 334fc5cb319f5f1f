# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test demo lint typecheck pytest migrate catalogs extract clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Catalogs: `make extract` refreshes the template and the three .po files after strings change;
# `make catalogs` compiles them (run, demo and test do it for you).
LOCALES := fr en nl
CATALOG_DIR := bot/locale
MO_FILES := $(foreach l,$(LOCALES),$(CATALOG_DIR)/$(l)/LC_MESSAGES/bilan.mo)

extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t -k plural:1,2 --no-location --omit-header -o $(CATALOG_DIR)/bilan.pot bot console
	for l in $(LOCALES); do $(BIN)/pybabel update --no-fuzzy-matching --ignore-pot-creation-date -D bilan -i $(CATALOG_DIR)/bilan.pot -d $(CATALOG_DIR) -l $$l; done

$(CATALOG_DIR)/%/LC_MESSAGES/bilan.mo: $(CATALOG_DIR)/%/LC_MESSAGES/bilan.po $(STAMP)
	$(BIN)/pybabel compile -D bilan -d $(CATALOG_DIR) -l $*

catalogs: $(MO_FILES)

run: $(STAMP) catalogs
	$(BIN)/bilan-bot run

demo: $(STAMP) catalogs
	$(BIN)/bilan-bot demo

migrate: $(STAMP)
	$(BIN)/bilan-bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) catalogs
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
