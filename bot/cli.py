"""The `bilan-bot` command: run, demo, validate, try, migrate, backup."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bilan-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check flow files and report every error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from flows.loader import validate_paths

        raise SystemExit(validate_paths(args.files, sys.stdout))
