"""Near-duplicates: which SWOT items are proposed as one, in French, English and Dutch."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.board import MAX_GROUP_SIZE, Item, ItemId, Quadrant
from flows.similarity import are_near, content_words, normalise, propose_groups


def items(*texts: str, quadrant: Quadrant = "strengths") -> list[Item]:
    return [Item(ItemId(n), quadrant, text, None) for n, text in enumerate(texts)]


def texts_of(proposals: tuple[tuple[ItemId, ...], ...], texts: list[Item]) -> list[list[str]]:
    by_id = {item.id: item.text for item in texts}
    return [[by_id[i] for i in proposal] for proposal in proposals]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonne finition", "bonne finition"),
        ("  Bonnes   finitions des pièces. ", "bonnes finitions des pieces"),
        ("Prix trop élevés !", "prix trop eleves"),
        ("Manque d'argent", "manque d argent"),
        ("Manque d’argent", "manque d argent"),
        ("Bien-être (équipe)", "bien etre equipe"),
        ("Straße", "strasse"),
        ("Coût : 3 €", "cout 3 €"),
        ("ÉQUIPE", "equipe"),
        ("…", ""),
    ],
)
def test_normalise_folds_case_accents_and_punctuation(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Finitions de qualité", ("finitions",)),
        ("Une équipe très motivée", ("equipe", "motivee")),
        ("Manque d'argent", ("manque", "argent")),
        ("A strong network of partners", ("strong", "network", "partners")),
        ("Een sterk team van vrijwilligers", ("sterk", "team", "vrijwilligers")),
        ("Prix prix PRIX", ("prix",)),
        ("Très bien", ("tres", "bien")),  # only fillers: all its words count
        ("!!!", ()),
    ],
)
def test_content_words_drop_fillers_and_single_letters(
    text: str, expected: tuple[str, ...]
) -> None:
    assert content_words(text) == expected


NEAR = [
    ("Bonne finition", "bonne finition"),
    ("Bonne finition", "Bonnes finitions des pièces"),
    ("Bonne finition", "Finitions de qualité"),
    ("Bonnes finitions des pièces", "Finitions de qualité"),
    ("Prix trop bas", "Prix bas"),
    ("Équipe motivée", "Une équipe très motivée"),
    ("Délais de livraison trop longs", "Délais de livraison"),
    ("Good finish", "Quality finishing"),
    ("Strong network of partners", "Partners network"),
    ("Goede afwerking", "Afwerking van kwaliteit"),
    ("Sterk team", "Een sterk team"),
    ("Geen website", "Geen goede website"),
    ("Weinig klanten", "Weinig nieuwe klanten"),
    ("Comunication interne", "Communication interne"),  # a typo
]
FAR = [
    ("Prix trop bas", "Prix trop élevés"),
    ("Communication interne", "Communication externe"),
    ("Manque de temps", "Manque d'argent"),
    ("Site web", "Pas de site web"),  # the same words, one negated
    ("No website", "Website"),
    ("Too expensive", "Too cheap"),
    ("Te duur", "Te goedkoop"),
    ("Finition", "Finition du bois mais retard de livraison"),  # one word of four
    ("Livraison lente", "Retards de livraison"),
    ("!!!", "!!!"),  # no word at all
]


@pytest.mark.parametrize(("first", "second"), NEAR)
def test_near_duplicates(first: str, second: str) -> None:
    assert are_near(content_words(first), content_words(second))
    assert are_near(content_words(second), content_words(first))


@pytest.mark.parametrize(("first", "second"), FAR)
def test_different_items(first: str, second: str) -> None:
    assert not are_near(content_words(first), content_words(second))
    assert not are_near(content_words(second), content_words(first))


def test_a_realistic_quadrant_is_grouped_as_a_facilitator_would() -> None:
    written = items(
        "Bonne finition",
        "Prix trop bas",
        "bonne finition",
        "Prix trop élevés",
        "Bonnes finitions des pièces",
        "Équipe motivée",
        "Finitions de qualité",
        "Prix bas",
        "Une équipe très motivée",
        "Site web",
        "Pas de site web",
    )
    assert texts_of(propose_groups(written), written) == [
        ["Bonne finition", "bonne finition", "Bonnes finitions des pièces", "Finitions de qualité"],
        ["Prix trop bas", "Prix bas"],
        ["Équipe motivée", "Une équipe très motivée"],
    ]


def test_proposals_stay_in_their_quadrant_in_quadrant_order() -> None:
    written = [
        Item(ItemId(1), "threats", "Concurrence", None),
        Item(ItemId(2), "strengths", "Concurrence", None),
        Item(ItemId(3), "threats", "concurrence", None),
        Item(ItemId(4), "strengths", "Concurrence !", None),
    ]
    assert propose_groups(written) == ((2, 4), (1, 3))


def test_identical_texts_are_split_only_by_the_size_limit() -> None:
    written = items(*(["Prix"] * 7), "Prix bas")
    assert propose_groups(written) == ((0, 1, 2, 3, 4), (5, 6, 7))


def test_identical_texts_come_first_when_the_size_limit_bites() -> None:
    # Near texts written in between must not fill the cluster and leave a copy of "Prix" out.
    written = items("Prix", "Prix bas", "Prix bas !", "Prix élevés", "Prix", "Prix", "Prix")
    assert propose_groups(written) == ((0, 3, 4, 5, 6), (1, 2))


def test_pairs_kept_apart_are_never_proposed_together() -> None:
    written = items("Bonne finition", "bonne finition", "Finitions de qualité")
    assert propose_groups(written, apart=[(ItemId(0), ItemId(1))]) == ((0, 2),)
    every_pair = [(ItemId(0), ItemId(1)), (ItemId(0), ItemId(2)), (ItemId(1), ItemId(2))]
    assert propose_groups(written, apart=every_pair) == ()


def test_the_first_id_is_the_earliest_written_whatever_the_ids() -> None:
    written = [
        Item(ItemId(9), "strengths", "Finitions de qualité", None),
        Item(ItemId(3), "strengths", "Bonne finition", None),
    ]
    assert propose_groups(written) == ((9, 3),)


def test_items_without_words_are_never_proposed() -> None:
    assert propose_groups(items("…", "...", "!!!")) == ()


POOL = [
    "Bonne finition",
    "bonne finition",
    "Bonnes finitions",
    "Finitions de qualité",
    "Prix",
    "Prix bas",
    "Prix trop élevés",
    "Site web",
    "Pas de site web",
    "Équipe",
    "…",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["strengths", "threats"]), st.sampled_from(POOL)), max_size=25
    ),
    st.data(),
)
def test_proposals_are_well_formed(
    written: list[tuple[Quadrant, str]], data: st.DataObject
) -> None:
    board = [Item(ItemId(100 - n), q, text, None) for n, (q, text) in enumerate(written)]
    ids = [item.id for item in board]
    apart = data.draw(
        st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids))) if ids else st.just([])
    )
    proposals = propose_groups(board, apart=apart)
    assert proposals == propose_groups(board, apart=apart)  # deterministic
    position = {item.id: n for n, item in enumerate(board)}
    quadrant = {item.id: item.quadrant for item in board}
    seen = Counter(i for p in proposals for i in p)
    assert all(count == 1 for count in seen.values())  # disjoint
    kept_apart = {frozenset(pair) for pair in apart}
    for proposal in proposals:
        assert 2 <= len(proposal) <= MAX_GROUP_SIZE
        assert sorted(proposal, key=position.__getitem__) == list(proposal)
        assert len({quadrant[i] for i in proposal}) == 1
        assert not any(
            frozenset((a, b)) in kept_apart for a in proposal for b in proposal if a != b
        )
    if not apart:
        # Identical texts share a proposal whenever the size limit allows it.
        texts = Counter((i.quadrant, normalise(i.text)) for i in board if normalise(i.text))
        for item in board:
            key = (item.quadrant, normalise(item.text))
            if key in texts and 2 <= texts[key] <= MAX_GROUP_SIZE:
                home = next(p for p in proposals if item.id in p)
                same = [i.id for i in board if (i.quadrant, normalise(i.text)) == key]
                assert set(same) <= set(home)
