"""Test-wide settings."""

import os

# PTB 22 warns on every RetryAfter unless opted in to its timedelta API; the bot handles both.
os.environ.setdefault("PTB_TIMEDELTA", "1")
