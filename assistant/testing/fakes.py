"""In-memory stand-ins for the assistant's seams: no model, no database, no network."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from assistant.embeddings import Vectors

_WORD = re.compile(r"\w+")


# -- embedder ----------------------------------------------------------------------------------
class HashEmbedder:
    """Bag of hashed words and word pairs: deterministic, fast, similar texts score higher.

    `PA_EMBEDDING_BACKEND=hash` serves with it (an index built with it says so in its manifest)."""

    name = "hash-test"
    dimensions = 384
    max_tokens: int | None = None  # no window: nothing is truncated, so no clause is split to fit one

    def count_tokens(self, text: str) -> int:
        """Words of `text`, plus the two markers a model adds."""
        return len(_WORD.findall(text)) + 2

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors from hashed tokens."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for token in words + [a + "_" + b for a, b in itertools.pairwise(words)]:
                h = int(hashlib.md5(token.encode()).hexdigest()[:8], 16)
                out[row, h % self.dimensions] += 1.0 if h & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out
