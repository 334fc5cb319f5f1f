"""`python -m sandbox --port PORT`: the sandbox on 127.0.0.1, for a person or the demo.

Prints the base URL on stdout once it accepts connections (a launcher may wait for that
line), and how to point a bot at it on stderr. Stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from sandbox.context import SandboxConfig
from sandbox.rules import FloodLimits
from sandbox.server import SandboxServer


def _config(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        token=args.token,
        bot_username=args.bot_username,
        privacy_mode=not args.no_privacy,
        flood=FloodLimits.telegram() if args.flood == "telegram" else FloodLimits(),
    )


def _parser() -> argparse.ArgumentParser:
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="A local Telegram Bot API sandbox."
    )
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=defaults.token, help="the only token accepted")
    parser.add_argument("--bot-username", default=defaults.bot_username)
    parser.add_argument("--no-privacy", action="store_true", help="bot sees all group messages")
    parser.add_argument(
        "--flood", choices=("telegram", "off"), default="telegram", help="flood limits"
    )
    return parser


async def serve(config: SandboxConfig, port: int) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with SandboxServer(config, port=port) as server:
        print(server.base_url, flush=True)
        print(
            f"token {config.token}\n"
            f"  ApplicationBuilder().token(TOKEN).base_url({server.bot_api_url!r})"
            f".base_file_url({server.file_url!r})\n"
            f"  control API: POST {server.base_url}/_control/<action>",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    asyncio.run(serve(_config(args), args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
