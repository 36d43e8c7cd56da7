"""Exporting the bundled sentence-transformers model to ONNX, once, for the torch-free serving path.

The export needs torch and sentence-transformers (they stay the tools that make the model);
serving then needs only onnxruntime and tokenizers. Exports are cached under a folder named
by a fingerprint of the source model and of this exporter, and written atomically, so two
processes exporting at once cannot leave a half-written model behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

EXPORT_VERSION = 2  # bump when the exported graph changes (pooling, opset, quantisation)
META_FILE = "export.json"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
_OPSET = 17
_EXPORT_LOCK = threading.Lock()


def source_fingerprint(model_dir: Path) -> str:
    """A cheap fingerprint of a model folder: every file's name and size, the small files'
    bytes, and the exporter version (hashing 90 MB of weights on every start costs time)."""
    digest = hashlib.sha256(f"export-v{EXPORT_VERSION}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(model_dir).as_posix()
        size = path.stat().st_size
        digest.update(f"{rel}:{size}".encode())
        if size < 1_000_000:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def exported_model_dir(cache_dir: Path, source_dir: Path, name: str) -> Path:
    """Where the export of `source_dir` lives (whether or not it exists yet)."""
    return cache_dir / f"{name}-{source_fingerprint(source_dir)}"


def ensure_onnx_model(cache_dir: Path, source_dir: Path, name: str) -> Path:
    """The folder of the exported model, exporting it first if it is not there yet."""
    target = exported_model_dir(cache_dir, source_dir, name)
    if (target / META_FILE).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # One export at a time, across threads (torch's exporter keeps global state) and processes
    # (a server and a CLI starting together): the others wait, then use the finished export.
    with _EXPORT_LOCK, (cache_dir / ".export.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / META_FILE).is_file():
            return target
        log.info("exporting %s to ONNX under %s (once; needs torch)", source_dir, target)
        tmp = cache_dir / f".tmp-{target.name}-{uuid.uuid4().hex[:6]}"
        tmp.mkdir()
        try:
            export_onnx(source_dir, tmp, name)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in cache_dir.glob(f"{name}-*"):  # exports of an older model or exporter
            if old != target and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    return target


def export_onnx(source_dir: Path, out_dir: Path, name: str) -> dict[str, Any]:
    """Write model.onnx (fp32: encoder, mean pooling and L2 normalisation in one graph),
    model-int8.onnx (dynamically quantised weights), tokenizer.json and export.json."""
    started = time.perf_counter()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("exporting the model needs torch, sentence-transformers and onnxruntime") from exc

    # Eager attention exports as plain MatMul/Softmax, which onnxruntime's optimizer recognises
    # and fuses (the default SDPA path exports in a form it leaves alone).
    model = SentenceTransformer(str(source_dir), device="cpu", local_files_only=True, model_kwargs={"attn_implementation": "eager"})
    encoder: Any = model[0].auto_model
    encoder.eval()
    tokenizer_src = source_dir / TOKENIZER_FILE
    if not tokenizer_src.is_file():
        raise FileNotFoundError(f"{tokenizer_src} is missing: only models with a fast tokenizer can be exported")

    class Pooled(torch.nn.Module):
        """Encoder + the sentence-transformers mean pooling + normalisation, as one graph."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    dummy = torch.ones(2, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation chatter
        # The TorchScript exporter (dynamo=False) needs neither onnxscript nor a network.
        torch.onnx.export(
            Pooled(encoder).eval(),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(out_dir / FP32_FILE),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "embedding": {0: "batch"}},
            opset_version=_OPSET,
            dynamo=False,
        )
    quantize_dynamic(str(out_dir / FP32_FILE), str(out_dir / INT8_FILE), weight_type=QuantType.QInt8)
    fused = _fuse_transformer_ops(out_dir / FP32_FILE, encoder.config)
    shutil.copyfile(tokenizer_src, out_dir / TOKENIZER_FILE)
    meta = {
        "source": str(source_dir),
        "source_fingerprint": source_fingerprint(source_dir),
        "name": name,
        "dimensions": int(model.get_embedding_dimension() or 384),
        "max_tokens": int(model.max_seq_length or 256),
        "export_version": EXPORT_VERSION,
        "opset": _OPSET,
        "torch": torch.__version__,
        "fused_ops": fused,
        "seconds": round(time.perf_counter() - started, 3),
    }
    # Written last: a folder without it is an unfinished export.
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def _fuse_transformer_ops(path: Path, config: Any) -> dict[str, int]:
    """Rewrite the fp32 graph with onnxruntime's fused BERT operators (attention, skip layer
    norm, bias GELU, embedding layer norm): about 17% faster per query, same vectors."""
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(
        str(path), model_type="bert", num_heads=int(config.num_attention_heads), hidden_size=int(config.hidden_size)
    )
    model.save_model_to_file(str(path))
    return {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}
