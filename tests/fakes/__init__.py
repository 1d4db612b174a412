"""Test doubles that speak real protocols: a fake Telegram Bot API server and simulated residents.

Owns: nothing production code imports. Must hold: fakes talk over real HTTP on 127.0.0.1 only.
"""

from tests.fakes.bot_api import (
    Button,
    Call,
    FakeBotApi,
    Faults,
    GroupChat,
    Rejection,
    StoredMessage,
    User,
)
from tests.fakes.residents import Resident, Screen

__all__ = [
    "Button",
    "Call",
    "FakeBotApi",
    "Faults",
    "GroupChat",
    "Rejection",
    "Resident",
    "Screen",
    "StoredMessage",
    "User",
]
