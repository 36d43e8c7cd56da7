"""Unit tests of the benchmark's pure parts: no model, no timings."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.index.embedding_cache import CachedEmbedder
from assistant.ingest.corpus import load_companies, load_corpus
from assistant.models.embedders import Vectors
from evals.bench_lib import (
    TimingEmbedder,
    generate_synthetic_corpus,
    ratio,
    summarize,
    synthetic_id,
    verdict,
)
from evals.bench_messages import COMPANIES, JA_MIX, MIX, MessageStream, variant

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"


class FakeEmbedder:
    """Deterministic vectors from the text's characters; records every text it embeds."""

    name = "fake"
    dimensions = 8
    max_tokens = 128

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.calls = 0

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.seen.extend(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for i, ch in enumerate(text):
                out[row, (ord(ch) + i) % self.dimensions] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


class BareEmbedder:
    """An embedder without a window (max_tokens None): nothing is truncated, nothing split."""

    name = "bare"
    dimensions = 4
    max_tokens = None

    def count_tokens(self, text: str) -> int:
        return len(text)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return np.ones((len(texts), self.dimensions), dtype=np.float32) / 2


# -- statistics ------------------------------------------------------------------------------
def test_summarize_reports_milliseconds() -> None:
    s = summarize([0.010, 0.020, 0.030, 0.040])
    assert s["n"] == 4
    assert s["mean_ms"] == pytest.approx(25.0)
    assert s["p50_ms"] == pytest.approx(25.0)
    assert s["max_ms"] == pytest.approx(40.0)
    assert s["p95_ms"] == pytest.approx(38.5)


def test_summarize_empty() -> None:
    s = summarize([])
    assert s["n"] == 0 and s["p50_ms"] is None and s["p95_ms"] is None


def test_ratio_and_verdict() -> None:
    assert ratio(10.0, 20.0) == 0.5
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 1.0) is None
    assert verdict(0.5, 0.5, "<=") == "PASS"
    assert verdict(30.0, 25, "<") == "FAIL"
    assert verdict(80.0, 80, ">=") == "PASS"
    assert verdict(None, 1, "<") == "n/a"
    assert verdict(math.nan, 1, "<") == "n/a"


# -- synthetic corpus ------------------------------------------------------------------------
def test_synthetic_corpus_has_n_times_five_companies_with_identical_policies(tmp_path: Path) -> None:
    originals = load_companies(CORPUS)
    ids = generate_synthetic_corpus(CORPUS, tmp_path, replicas=3)
    assert len(ids) == 3 * len(originals) == 15
    assert len(set(ids)) == len(ids)
    assert synthetic_id(2, "upward") in ids
    data = tomllib.loads((tmp_path / "companies.toml").read_text(encoding="utf-8"))  # valid TOML
    assert [c["id"] for c in data["company"]] == ids
    companies = load_companies(tmp_path)  # and valid for the library
    by_id = {c.id: c for c in originals}
    for company in companies:
        source = by_id[company.id.split("-", 1)[1]]
        assert len(company.files) == len(source.files)
        for copy, orig in zip(company.files, source.files, strict=True):
            assert (tmp_path / copy).read_bytes() == (CORPUS / orig).read_bytes()
        assert company.desk_name == source.desk_name
        assert company.desk_email == source.desk_email
        assert company.due_days == source.due_days
    # Names stay distinct per tenant, so one typed name never matches two replicas.
    names = [c.name for c in companies]
    assert len(set(names)) == len(names)
    corpus = load_corpus(tmp_path, strict=True)
    assert len(corpus.documents) == 15
    assert {d.doc_id for d in corpus.documents} == set(ids)


def test_synthetic_corpus_escapes_toml_strings(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "acme.txt").write_text("Policy text.\n", encoding="utf-8")
    (src / "companies.toml").write_text(
        '[[company]]\nid = "acme"\nname = "Acme \\"Quoted\\" \\\\ Co"\n'
        'aliases = ["A&B", "ＡＣＭＥ"]\nfiles = ["acme.txt"]\ndue_days = 30\n',
        encoding="utf-8",
    )
    ids = generate_synthetic_corpus(src, tmp_path / "out", replicas=2)
    assert ids == ["c0000-acme", "c0001-acme"]
    data = tomllib.loads((tmp_path / "out" / "companies.toml").read_text(encoding="utf-8"))
    assert data["company"][1]["name"] == 'Acme "Quoted" \\ Co 0001'
    assert data["company"][0]["aliases"] == ["A&B 0000", "ＡＣＭＥ 0000"]
    assert data["company"][0]["due_days"] == 30


def test_synthetic_corpus_rejects_zero_replicas(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_synthetic_corpus(CORPUS, tmp_path, replicas=0)


# -- the content-hash cache the 1,000-company build relies on ------------------------------------------------------------------------
def test_caching_embedder_returns_identical_vectors_and_embeds_each_text_once(tmp_path: Path) -> None:
    inner = FakeEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "cache.npy")
    first = cache.embed(["alpha", "beta", "alpha", "gamma"])
    again = cache.embed(["gamma", "alpha", "delta", "delta"])
    direct = FakeEmbedder().embed(["alpha", "beta", "alpha", "gamma", "delta"])
    np.testing.assert_array_equal(first, direct[:4])
    np.testing.assert_array_equal(again, direct[[3, 0, 4, 4]])
    assert first.dtype == np.float32 and first.shape == (4, 8)
    assert sorted(inner.seen) == ["alpha", "beta", "delta", "gamma"]  # once per distinct text
    assert cache.misses == 4 and cache.hits == 4 and cache.size == 4
    cache.embed(["beta", "alpha"])
    assert inner.calls == 2  # all hits: the wrapped embedder is not called at all


def test_caching_embedder_passes_through_attributes(tmp_path: Path) -> None:
    inner = FakeEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "cache.npy")
    assert cache.name == "fake" and cache.dimensions == 8
    assert cache  # truthy even when empty (`cache or fallback` must pick the cache)
    assert cache.max_tokens == 128
    assert cache.count_tokens("one two three") == 5
    bare = CachedEmbedder(BareEmbedder(), tmp_path / "bare.npy")
    assert bare.max_tokens is None and bare.count_tokens("abc") == 3
    assert bare.embed([]).shape == (0, 4)


def test_caching_embedder_keys_on_exact_text(tmp_path: Path) -> None:
    inner = FakeEmbedder()
    cache = CachedEmbedder(inner, tmp_path / "cache.npy")
    cache.embed(["Fee", "fee", "fee "])
    assert inner.seen == ["Fee", "fee", "fee "]


def test_timing_embedder_counts_calls_and_passes_through() -> None:
    timing = TimingEmbedder(FakeEmbedder())
    timing.embed(["a", "b"])
    timing.embed(["c"])
    assert timing.texts == 3 and len(timing.calls) == 2
    assert timing.count_tokens("x y") == 4
    assert timing.token_calls == 1
    timing.reset()
    assert timing.texts == 0 and timing.token_calls == 0
    assert TimingEmbedder(BareEmbedder()).max_tokens is None


# -- message mix -----------------------------------------------------------------------------
def test_mix_proportions_and_companies() -> None:
    kinds = [m.kind for m in MIX]
    assert 75 <= len(MIX) <= 90
    assert kinds.count("question") / len(MIX) == pytest.approx(0.60, abs=0.05)
    assert kinds.count("request") / len(MIX) == pytest.approx(0.25, abs=0.05)
    assert kinds.count("out_of_scope") / len(MIX) == pytest.approx(0.15, abs=0.05)
    assert {m.company for m in MIX} == set(COMPANIES)
    for company in COMPANIES:
        assert sum(1 for m in MIX if m.kind == "question" and m.company == company) >= 8
    assert len({m.text for m in MIX}) == len(MIX)
    # Spread out: the first 20 already hold every kind.
    assert {m.kind for m in MIX[:20]} == {"question", "request", "out_of_scope"}


def test_message_stream_never_repeats() -> None:
    texts = [m.text for m in MessageStream().take(len(MIX) * 60)]
    assert len(set(texts)) == len(texts)
    assert texts[: len(MIX)] == [m.text for m in MIX]
    assert variant("Hi", 0) == "Hi"
    passes = [MessageStream(start_pass=p).take(len(MIX)) for p in (0, 1, 40)]
    assert not ({m.text for m in passes[0]} & {m.text for m in passes[1]})
    assert not ({m.text for m in passes[1]} & {m.text for m in passes[2]})


def test_the_japanese_mix_has_the_same_kinds_and_companies_and_never_repeats() -> None:
    from assistant.understand.language import detect_language

    kinds = [m.kind for m in JA_MIX]
    assert {m.company for m in JA_MIX} == set(COMPANIES)
    assert kinds.count("question") / len(JA_MIX) == pytest.approx(0.70, abs=0.1)
    assert all(detect_language(m.text) == "ja" for m in JA_MIX)
    texts = [m.text for m in MessageStream(JA_MIX).take(len(JA_MIX) * 30)]
    assert len(set(texts)) == len(texts)
    assert all(detect_language(t) == "ja" for t in texts)


# -- HTTP load -------------------------------------------------------------------------------
def test_post_chat_reports_status_route_and_errors_by_name() -> None:
    import httpx

    from evals.bench_http import post_chat

    def answer(request: httpx.Request) -> httpx.Response:
        if b"busy" in request.content:
            return httpx.Response(503, json={"detail": "busy"})
        if b"down" in request.content:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"route": "answer"})

    with httpx.Client(base_url="http://bench", transport=httpx.MockTransport(answer)) as client:
        seconds, status, route = post_chat(client, {"message": "fee?"})
        assert seconds >= 0 and (status, route) == ("200", "answer")
        assert post_chat(client, {"message": "busy"})[1:] == ("503", None)
        assert post_chat(client, {"message": "down"})[1:] == ("ConnectError", None)
