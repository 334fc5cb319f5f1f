"""Shared test setup: the Bot API sandbox fixtures, and PTB's settings for this suite."""

import os

# PTB 22 warns on every RetryAfter unless told to use timedeltas; with warnings as errors, a 429
# met inside the rate limiter would otherwise fail the test that provoked it on purpose.
os.environ.setdefault("PTB_TIMEDELTA", "true")

pytest_plugins = ["sandbox.pytest_plugin"]
