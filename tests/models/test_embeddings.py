"""The embedders: the ONNX export matches sentence-transformers, serving imports no torch,
and the build-time embedding cache reuses vectors without changing them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.index.embedding_cache import CachedEmbedder, cache_path
from assistant.models.embedders import Embedder
from assistant.settings import Settings
from assistant.testing.fakes import HashEmbedder
from tests.conftest import CORPUS, MODEL_CACHE, ROOT

TEXTS = [
    "How much does UPWARD charge for a disclosure request?",
    "Please delete my account and all of my personal data.",
    "(4) In principle, we do not charge a fee for responding to requests.",
    "個人情報の利用目的",
    "x",
]


class CountingEmbedder(HashEmbedder):
    """The hash embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().embed(texts)


def test_cache_reuses_vectors_and_persists(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    path = cache_path(tmp_path, inner.name)
    cache = CachedEmbedder(inner, path)
    first = cache.embed(TEXTS + TEXTS[:2])
    assert inner.texts == len(TEXTS), "each distinct text is embedded once"
    np.testing.assert_array_equal(first, inner.__class__().embed(TEXTS + TEXTS[:2]))
    cache.save()
    again = CachedEmbedder(inner, path)
    assert again.size == len(TEXTS)
    np.testing.assert_array_equal(again.embed(TEXTS), first[: len(TEXTS)])
    assert inner.texts == len(TEXTS), "a new process reuses the saved vectors"
    again.embed(["something new"])
    assert inner.texts == len(TEXTS) + 1 and (again.hits, again.misses) == (len(TEXTS), 1)


def test_cache_file_per_model_and_bad_file_ignored(tmp_path: Path) -> None:
    assert cache_path(tmp_path, "all-MiniLM-L6-v2+int8") != cache_path(tmp_path, "all-MiniLM-L6-v2")
    inner = CountingEmbedder()
    path = cache_path(tmp_path, inner.name)
    path.write_bytes(b"not a numpy file")
    cache = CachedEmbedder(inner, path)  # a broken cache costs embeddings, not the build
    assert cache.size == 0
    cache.embed(TEXTS)
    cache.save()
    assert CachedEmbedder(inner, path).size == len(TEXTS)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left behind"


def test_rebuild_uses_the_cache(tmp_path: Path) -> None:
    from assistant.factory import rebuild_index
    from assistant.models.onnx_export import META_FILE
    from assistant.understand.intent import WEIGHTS_FILE

    inner = CountingEmbedder()
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path / "index", database_url="sqlite://", model_cache_dir=tmp_path / "models")
    first = rebuild_index(settings, inner, progress=False)
    cold = inner.texts
    assert cold >= first.chunk_count + first.span_count
    trained = list((tmp_path / "models").glob("intent-[0-9a-f]*.json"))  # the English weights (intent-ja-…: the Japanese)
    assert len(trained) == 1, "intent weights are kept with the model artifacts"
    assert len(list((tmp_path / "models").glob("intent-ja-*.json"))) == 1, "and so are the Japanese ones"
    second = rebuild_index(settings, inner, progress=False)
    assert inner.texts == cold, "an unchanged corpus is rebuilt without embedding anything"
    assert second.build_id != first.build_id and second.chunk_count == first.chunk_count
    off = rebuild_index(settings.model_copy(update={"embedding_cache": False}), inner, progress=False)
    again = inner.texts - cold
    # Without the embedding cache the policies are embedded again; the intent examples are not.
    assert first.chunk_count + first.span_count - 10 <= again < cold and off.chunk_count == first.chunk_count
    build = settings.index_dir / "builds" / off.build_id
    assert (build / WEIGHTS_FILE).read_bytes() == trained[0].read_bytes()
    assert not (tmp_path / "models" / META_FILE).exists()


def test_damaged_intent_weights_are_retrained(tmp_path: Path) -> None:
    from assistant.factory import rebuild_index

    inner = CountingEmbedder()
    settings = Settings(
        corpus_dir=CORPUS,
        index_dir=tmp_path / "index",
        database_url="sqlite://",
        model_cache_dir=tmp_path / "models",
        embedding_cache=False,  # so retraining shows as embedded examples
    )
    rebuild_index(settings, inner, progress=False)
    (weights,) = (tmp_path / "models").glob("intent-[0-9a-f]*.json")
    good = weights.read_bytes()
    weights.write_text("{not json")
    before = inner.texts
    corpus_only = rebuild_index(settings, inner, progress=False)
    assert inner.texts - before > corpus_only.chunk_count + corpus_only.span_count, "retrained"
    assert weights.read_bytes() == good, "and the cache repaired"


def test_the_hash_backend_serves_from_a_hash_built_index(hash_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assistant.factory import build_assistant, build_embedder, rebuild_index
    from assistant.testing.fakes import MultilingualHashEmbedder

    monkeypatch.setenv("PA_EMBEDDING_BACKEND", "hash")
    assert isinstance(build_embedder(Settings()), HashEmbedder)
    assert Settings(_env_file=None).embedding_backend == "hash"  # type: ignore[call-arg]
    monkeypatch.delenv("PA_EMBEDDING_BACKEND")
    assert Settings(_env_file=None).embedding_backend == "onnx", "the default is unchanged"  # type: ignore[call-arg]
    # No embedder handed in: the settings choose the fakes (both encoders), which match the index's models.
    settings = hash_settings.model_copy(update={"embedding_backend": "hash", "index_dir": tmp_path / "index"})
    rebuild_index(settings, build_embedder(settings), progress=False)
    assistant = build_assistant(settings)
    assert assistant.retriever.embedder.name == assistant.index.manifest.model == HashEmbedder.name
    assert assistant.index.manifest.multilingual_model == MultilingualHashEmbedder.name
    assert assistant.reply("Please tell me how much a disclosure request costs", company="upward").route in ("answer", "abstain", "desk")


@pytest.mark.slow
def test_onnx_matches_sentence_transformers(real_embedder: Embedder) -> None:
    from assistant.factory import build_embedder
    from assistant.models.embedders import SentenceTransformerEmbedder

    reference = SentenceTransformerEmbedder().embed(TEXTS)
    assert real_embedder.name == "all-MiniLM-L6-v2", "the default is fp32: the same vectors as sentence-transformers"
    same = (reference * real_embedder.embed(TEXTS)).sum(axis=1)
    assert same.min() > 0.9999, same
    int8 = build_embedder(Settings(model_cache_dir=MODEL_CACHE, embedding_quantized=True))
    assert int8.name == "all-MiniLM-L6-v2+int8", "quantised vectors differ, so an index must record them"
    close = (reference * int8.embed(TEXTS)).sum(axis=1)
    assert close.min() > 0.9, close
    for embedder in (real_embedder, int8):
        # One text alone and inside a padded batch embed the same (int8 embeds one text per call).
        alone = np.vstack([embedder.embed([t]) for t in TEXTS])
        assert (alone * embedder.embed(TEXTS * 3)[: len(TEXTS)]).sum(axis=1).min() > 0.9999
        assert np.allclose(np.linalg.norm(alone, axis=1), 1.0, atol=1e-4)
    assert real_embedder.count_tokens("x") == 3  # [CLS] x [SEP]
    assert real_embedder.embed([]).shape == (0, 384)


@pytest.mark.slow
def test_export_is_cached_and_complete(real_embedder: Embedder) -> None:
    from assistant.models.embedders import bundled_model_path
    from assistant.models.onnx_export import FP32_FILE, INT8_FILE, META_FILE, exported_model_dir

    folder = exported_model_dir(MODEL_CACHE, Path(bundled_model_path()), "all-MiniLM-L6-v2")
    meta = json.loads((folder / META_FILE).read_text())
    assert meta["dimensions"] == 384 and meta["max_tokens"] == 256
    assert meta["fused_ops"].get("Attention") == 6, "onnxruntime fused the six attention layers"
    assert (folder / FP32_FILE).stat().st_size > 3 * (folder / INT8_FILE).stat().st_size  # int8 weights
    assert not list(MODEL_CACHE.glob(".tmp-*")), "no unfinished export left behind"


_SERVING_PROBE = """
import json, sys
from assistant.factory import build_assistant, build_embedder
from assistant.settings import Settings
settings = Settings()
assistant = build_assistant(settings, build_embedder(settings))
reply = assistant.reply("Why does UPWARD collect my personal information?", company="upward")
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers", "sklearn") if m in sys.modules)
print(json.dumps({"route": reply.route, "heavy": heavy}))
"""


@pytest.mark.slow
def test_serving_path_imports_no_torch(real_index_dir: Path, real_embedder: Embedder, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PA_INDEX_DIR": str(real_index_dir),
        "PA_CORPUS_DIR": str(CORPUS),
        "PA_MODEL_CACHE_DIR": str(MODEL_CACHE),
        "PA_DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}",
    }
    from assistant.storage.db import make_engine, upgrade_database

    upgrade_database(make_engine(env["PA_DATABASE_URL"]))
    out = subprocess.run([sys.executable, "-c", _SERVING_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"route": "answer", "heavy": []}


@pytest.mark.slow
def test_concurrent_exports_wait_for_one_another(tmp_path: Path) -> None:
    """Two threads (a loading server and a CLI, say) asking for a missing export at once:
    one exports, the other waits and uses it (torch's exporter cannot run twice at once)."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.models.embedders import bundled_model_path
    from assistant.models.onnx_export import META_FILE, ensure_onnx_model

    source = Path(bundled_model_path())
    with ThreadPoolExecutor(2) as pool:
        folders = list(pool.map(lambda _: ensure_onnx_model(tmp_path, source, "all-MiniLM-L6-v2"), range(2)))
    assert folders[0] == folders[1] and (folders[0] / META_FILE).is_file()
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [folders[0].name], "no half export left behind"
