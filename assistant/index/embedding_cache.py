"""A persistent content-hash cache of embeddings for index builds.

Rebuilding after a policy edit, or indexing many near-identical policies, then embeds only
text never seen before. One file per model name (vectors of different models never mix),
written atomically as a plain NumPy array (no pickle).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.files import write_atomically
from assistant.models.embedders import Embedder, Vectors

log = logging.getLogger(__name__)

_KEY_BYTES = 40  # hex sha1 of the text's UTF-8 bytes (hex: NumPy strips trailing NULs of raw bytes)
MAX_ENTRIES = 200_000  # about 300 MB at 384 dimensions; beyond this the cache starts afresh


def cache_path(cache_dir: Path, model: str) -> Path:
    """The cache file of one model."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.+" else "_" for ch in model)
    return cache_dir / f"embeddings-{safe}.npy"


class CachedEmbedder:
    """Wraps an embedder: texts already in the cache are not embedded again; `save()` persists."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self._path = path
        self._lock = threading.Lock()
        self._vectors: dict[bytes, np.ndarray] = self._load()
        self._dirty = False
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[bytes, np.ndarray]:
        if not self._path.is_file():
            return {}
        try:
            table = np.load(self._path, allow_pickle=False)
            keys, vectors = table["key"], table["vector"]
            if vectors.shape[1] != self.dimensions:
                raise ValueError(f"{vectors.shape[1]} dimensions, expected {self.dimensions}")
        except (OSError, ValueError, KeyError, IndexError) as exc:
            # A cache is only a shortcut: a bad file costs a full embedding, not a failed build.
            log.warning("ignoring embedding cache %s: %s", self._path, exc)
            return {}
        return {bytes(k): v for k, v in zip(keys, vectors, strict=True)}

    @property
    def max_tokens(self) -> int | None:
        """The wrapped model's window: the cache changes no chunking."""
        return self._inner.max_tokens

    def count_tokens(self, text: str) -> int:
        """Tokens the wrapped model sees for `text`."""
        return self._inner.count_tokens(text)

    @property
    def size(self) -> int:
        """Distinct texts cached."""
        return len(self._vectors)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Vectors for `texts`; only texts not in the cache reach the wrapped embedder."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest().encode("ascii") for t in texts]
        with self._lock:
            todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
            self.misses += len(todo)
            self.hits += len(keys) - len(todo)
        if todo:
            fresh = self._inner.embed(list(todo.values()))
            with self._lock:
                for key, vec in zip(todo, fresh, strict=True):
                    self._vectors[key] = np.array(vec, dtype=np.float32)
                self._dirty = True
        with self._lock:
            return np.vstack([self._vectors[k] for k in keys]).astype(np.float32, copy=False)

    def save(self) -> None:
        """Write the cache (atomically) if anything was added."""
        with self._lock:
            if not self._dirty:
                return
            items = list(self._vectors.items())[-MAX_ENTRIES:]
            self._dirty = False
        table = np.zeros(len(items), dtype=[("key", f"S{_KEY_BYTES}"), ("vector", np.float32, (self.dimensions,))])
        if items:
            table["key"] = [k for k, _ in items]
            table["vector"] = np.vstack([v for _, v in items])
        write_atomically(self._path, lambda fh: np.save(fh, table, allow_pickle=False))
