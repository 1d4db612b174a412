"""Sealing completed responses to the analysis public key (libsodium sealed boxes via PyNaCl).

What must hold:
- the server holds only the analysis PUBLIC key: a sealed response can be opened only with the
  private key, which the analyst keeps off the server (`survey-bot analysis-key` prints a new
  pair). So whoever copies the files, the bot's pseudonym key included, cannot read a stored
  response, and in particular cannot find a neighbour's row by their background answers;
- each seal uses a fresh ephemeral key pair, so two seals of the same answers share no bytes;
- a response is sealed as JSON of (survey version, day, language, answers), padded to a multiple
  of `_PAD` bytes so the length says (almost) nothing about which questions were answered.
"""

from __future__ import annotations

import base64
import json
from datetime import date

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from storage.base import Response, StoredAnswer, StoreError

_PAD = 256


class SealError(StoreError):
    """An analysis key is malformed, or a sealed response does not open with it."""


def generate_keypair() -> tuple[str, str]:
    """A new (public, private) analysis key pair, each as 64 hex characters."""
    private = PrivateKey.generate()
    return bytes(private.public_key).hex(), bytes(private).hex()


def _key_bytes(text: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SealError(f"the analysis {what} key must be 64 hex characters")
    return raw


def public_key(text: str) -> PublicKey:
    """The analysis public key from its hex text (as `generate_keypair` prints it)."""
    return PublicKey(_key_bytes(text, "public"))


def private_key(text: str) -> PrivateKey:
    """The analysis private key from its hex text."""
    return PrivateKey(_key_bytes(text, "private"))


def seal(response: Response, key: PublicKey) -> bytes:
    """The response sealed to `key` (without its free texts, which are kept apart)."""
    body = json.dumps(
        [
            response.survey_version,
            response.day.isoformat(),
            response.language,
            dict(response.answers),
        ],
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")
    padded = body + b" " * (-len(body) % _PAD)
    return bytes(SealedBox(key).encrypt(padded))


def unseal(survey_id: str, box: bytes, key: PrivateKey) -> Response:
    """The response in `box`; raises `SealError` if `key` is not the one it was sealed to."""
    try:
        body = SealedBox(key).decrypt(box)
    except CryptoError:
        raise SealError("a sealed response does not open with this analysis private key") from None
    version, day, language, answers = json.loads(body)
    parsed: dict[str, StoredAnswer] = answers
    return Response(survey_id, version, date.fromisoformat(day), language, parsed)


def to_text(box: bytes) -> str:
    """A sealed box as ASCII (for the pending pool's JSON)."""
    return base64.b64encode(box).decode("ascii")


def from_text(text: str) -> bytes:
    return base64.b64decode(text)
