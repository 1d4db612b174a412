"""Keyed, slow pseudonyms for residents (free text is scrubbed by `bot.privacy.scrub`).

What must hold:
- a resident's Telegram user id never reaches storage: sessions are keyed by
  `ResidentKeys.session_key`, completions by `ResidentKeys.marker`, and the session state is
  encrypted (XSalsa20-Poly1305, `nacl.secret.SecretBox`) under `ResidentKeys`' own box key;
- all three come from ONE slow, memory-hard derivation per (survey, resident): scrypt over an
  HMAC-SHA256 of the length-prefixed (survey, user id) under the secret. Without the secret
  nothing can be derived; with it, testing one id costs one scrypt (`SCRYPT_N` = 2**12, r 8:
  4 MiB and about 25 ms of one core), so enumerating all ~2**33 Telegram ids costs about
  2**33 x 25 ms, some 7 core-years, and every guess needs its 4 MiB. A partial answer in a
  session is therefore exactly as hard to link to an id as a completion marker;
- the derivation runs in a worker thread (scrypt releases the GIL) and is cached in memory per
  resident (`CACHE_SIZE` most recent), so a resident pays it once per process, not per step
  (with several replicas behind a round-robin balancer, once per replica); `derivations` and
  `derive_cpu_seconds` count what the cache did not save (for `/metrics`, no id in them);
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

#: The shortest secret accepted, in bytes.
MIN_SECRET_BYTES = 32
#: scrypt's cost (N; memory is 128 * r * N bytes = 4 MiB). See the module docstring.
SCRYPT_N = 2**12
_SCRYPT_R = 8
#: Residents whose keys are kept in memory (about 400 bytes each).
CACHE_SIZE = 20_000

_PSEUDONYM = "trygghetsbot/pseudonym/v2"
_SALT = b"trygghetsbot/scrypt/v2"


def _encode(*parts: str) -> bytes:
    """Each part as UTF-8 behind its 4-byte big-endian length: an unambiguous concatenation."""
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8")
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)


@dataclass(frozen=True)
class ResidentKeys:
    """One resident's pseudonyms in one survey, and the key their session state is sealed with."""

    session_key: bytes
    marker: bytes
    _box: SecretBox = field(repr=False, compare=False)

    def seal_state(self, state: str) -> str:
        """The session state encrypted (random nonce), as ASCII for the store."""
        return base64.b64encode(bytes(self._box.encrypt(state.encode("utf-8")))).decode("ascii")

    def open_state(self, sealed: str) -> str | None:
        """The session state, or None if it was not sealed with this resident's key."""
        try:
            return self._box.decrypt(base64.b64decode(sealed, validate=True)).decode("utf-8")
        except (CryptoError, ValueError):
            return None


class Pseudonyms:
    """The keyed pseudonyms of residents under one secret."""

    def __init__(self, secret: bytes, *, cost: int = SCRYPT_N) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = bytes(secret)
        self._cost = cost
        self._cache: OrderedDict[tuple[str, int], ResidentKeys] = OrderedDict()
        #: Derivations done (cache misses), and the CPU seconds they took in all.
        self.derivations = 0
        self.derive_cpu_seconds = 0.0

    def _derive(self, survey_id: str, user_id: int) -> tuple[ResidentKeys, float]:
        began = time.thread_time()  # the deriving thread's CPU, not waiting for a core
        message = _encode(_PSEUDONYM, survey_id, str(int(user_id)))
        password = hmac.new(self._secret, message, hashlib.sha256).digest()
        out = hashlib.scrypt(
            password, salt=_SALT, n=self._cost, r=_SCRYPT_R, p=1, maxmem=2**26, dklen=96
        )
        return ResidentKeys(out[:32], out[32:64], SecretBox(out[64:])), time.thread_time() - began

    def _remember(
        self, cache_key: tuple[str, int], derived: tuple[ResidentKeys, float]
    ) -> ResidentKeys:
        """Cache freshly derived keys and count the derivation (on the caller's thread)."""
        keys, seconds = derived
        self.derivations += 1
        self.derive_cpu_seconds += seconds
        self._cache[cache_key] = keys
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return keys

    def keys(self, survey_id: str, user_id: int) -> ResidentKeys:
        """This resident's keys, derived in this thread (blocking) unless cached."""
        cache_key = (survey_id, int(user_id))
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)
            return cached
        return self._remember(cache_key, self._derive(survey_id, user_id))

    async def resident(self, survey_id: str, user_id: int) -> ResidentKeys:
        """This resident's keys; a cache miss derives them in a worker thread."""
        cache_key = (survey_id, int(user_id))
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)
            return cached
        keys = await asyncio.to_thread(self._derive, survey_id, user_id)
        return self._remember(cache_key, keys)

    def session_key(self, survey_id: str, user_id: int) -> bytes:
        """The key of this resident's in-progress session of this survey (32 bytes)."""
        return self.keys(survey_id, user_id).session_key

    def completion_marker(self, survey_id: str, user_id: int) -> bytes:
        """The marker that this resident completed this survey (32 bytes)."""
        return self.keys(survey_id, user_id).marker

    def __repr__(self) -> str:
        return "Pseudonyms(<secret>)"
