"""The analysis key pair the tests own: stores in tests seal to `ANALYSIS_PUBLIC`, and tests open
what was stored with `ANALYSIS_PRIVATE` (on a real server the private key is never present)."""

from __future__ import annotations

import hashlib

from nacl.public import PrivateKey

ANALYSIS_PRIVATE = hashlib.sha256(b"trygghetsbot test analysis key").hexdigest()
ANALYSIS_PUBLIC = bytes(PrivateKey(bytes.fromhex(ANALYSIS_PRIVATE)).public_key).hex()
