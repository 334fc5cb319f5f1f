"""The `bilan-bot` command: run, demo, validate, try, migrate, backup.

Rule: a person at a terminal reads one line per problem, never a traceback. Exit codes: 0 done,
1 failed, 2 not configured (no token).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

NO_TOKEN = """bilan-bot: no BOT_TOKEN is set, so there is no bot to run.
  - To run your bot: create one with @BotFather in Telegram, then copy .env.example to .env
    and put the token in BOT_TOKEN.
  - To see the bot work without Telegram: make demo"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bilan-bot", description="Bilan workshops on Telegram.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (needs BOT_TOKEN in .env)")
    demo = commands.add_parser(
        "demo", help="play a whole workshop offline, against a local sandbox"
    )
    demo.add_argument("--database", type=Path, default=None, help="keep the demo's database here")
    validate = commands.add_parser("validate", help="check flow files and report every error")
    validate.add_argument("files", nargs="+", metavar="FILE")
    rehearse = commands.add_parser("try", help="walk through a flow in the terminal")
    rehearse.add_argument("file", metavar="FILE")
    rehearse.add_argument("--lang", choices=("fr", "en", "nl"), default=None)
    commands.add_parser("migrate", help="create or upgrade the database")
    backup = commands.add_parser("backup", help="copy the database safely, even while the bot runs")
    backup.add_argument("target", metavar="PATH", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from flows.loader import validate_paths

        raise SystemExit(validate_paths(args.files, sys.stdout))
    if args.command == "try":
        from console.rehearsal import rehearse

        raise SystemExit(rehearse(args.file, args.lang, sys.stdin, sys.stdout))
    raise SystemExit(_with_settings(args))


def _with_settings(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.runtime import StartupError
    from bot.settings import Settings

    try:
        settings = Settings()
    except ValidationError as error:
        first = error.errors()[0]
        print(
            f"bilan-bot: setting {'.'.join(map(str, first['loc'])).upper()}: {first['msg']}",
            file=sys.stderr,
        )
        return 1
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and a Bot API URL contains the bot's token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "demo":  # the transcript is the point there, not the bot's log
        for name in ("telegram", "apscheduler", "bot", "storage", "sandbox"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        return asyncio.run(_command(args, settings))
    except StartupError as error:
        print(f"bilan-bot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


async def _command(args: argparse.Namespace, settings: object) -> int:
    from bot.runtime import StartupError, opened_services, serve
    from bot.settings import Settings
    from storage import StorageError, backup_database

    assert isinstance(settings, Settings)
    match args.command:
        case "run":
            if settings.bot_token is None or not settings.bot_token.get_secret_value():
                print(NO_TOKEN, file=sys.stderr)
                return 2
            await serve(settings)
        case "migrate":
            async with opened_services(settings) as services:
                print(
                    f"bilan-bot: database {settings.database_path} is up to date ({len(list(services.flows))} flows)"
                )
        case "backup":
            try:
                await backup_database(settings.database_path, args.target)
            except StorageError as error:
                raise StartupError(f"backup: {error}") from error
            print(f"bilan-bot: {settings.database_path} copied to {args.target}")
        case "demo":
            from console.demo import play

            await play(settings, args.database)
    return 0
