"""`Pool`: completed responses and free texts waiting, unordered, for their release batch.

What must hold (the file-level anonymity of `storage.sqlite`, DESIGN "whoever copies the files"):
- a store keeps one pool per survey as ONE value, rewritten whole at every completion, so the
  bytes of the file never hold pending items in arrival order: each new item goes to a uniformly
  random position (`secrets.SystemRandom`), so the pool is a uniformly random permutation;
- items leave the pool only as a whole batch of at least `batch` (the survey's
  `min_group_size`), so the permanent tables (and the free-text export) grow only in batches,
  and a batch is inserted in the pool's random order: page offsets order batches, never the
  responses inside one;
- sealed responses and free texts are released separately (their batches fill at different
  times), so a free text is not linked to its response by the moment both appear.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

_RANDOM = secrets.SystemRandom()


@dataclass
class Pool:
    """Sealed responses (as text) and (question id, text) pairs waiting for their batch."""

    responses: list[str] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_json(cls, body: str | None) -> Pool:
        if not body:
            return cls()
        data = json.loads(body)
        return cls(list(data["responses"]), [(str(q), str(t)) for q, t in data["texts"]])

    def to_json(self) -> str:
        return json.dumps({"responses": self.responses, "texts": self.texts}, ensure_ascii=False)

    def __bool__(self) -> bool:
        return bool(self.responses or self.texts)

    def add_response(self, sealed: str) -> None:
        self.responses.insert(_RANDOM.randint(0, len(self.responses)), sealed)

    def add_text(self, question_id: str, text: str) -> None:
        self.texts.insert(_RANDOM.randint(0, len(self.texts)), (question_id, text))

    def release_responses(self, batch: int) -> list[str]:
        """The whole pool of responses, in random order, if it holds a batch; else nothing."""
        if len(self.responses) < batch:
            return []
        released, self.responses = self.responses, []
        return released

    def release_texts(self, batch: int) -> list[tuple[str, str]]:
        """The whole pool of free texts, in random order, if it holds a batch; else nothing."""
        if len(self.texts) < batch:
            return []
        released, self.texts = self.texts, []
        return released
