"""Unit tests of the benchmark's pure parts: no model, no timings."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.index.embedding_cache import CachedEmbedder
from assistant.ingest.corpus import load_companies, load_corpus
from assistant.models.embedders import Vectors
from evals.bench_lib import (
    GenerativeSample,
    TimingEmbedder,
    generate_synthetic_corpus,
    generative_summary,
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


# -- the generative section -------------------------------------------------------------------
def _sample(lang: str, ext: float, gen: float, **kw: Any) -> GenerativeSample:
    return GenerativeSample(lang, ext, gen, **{"phrased": True, "kept": True, "written": 1, **kw})


def test_generative_summary_adds_up_latency_and_what_became_of_each_generation() -> None:
    samples = [
        _sample("en", 0.010, 4.010),
        _sample("en", 0.020, 6.020, written=2, dropped=("fact",)),
        _sample("en", 0.030, 0.530, kept=False, written=2, dropped=("fact", "negation")),  # summary omitted
        _sample("ja", 0.010, 8.010, kept=False, written=0, failure="timeout"),
        _sample("ja", 0.020, 0.020, phrased=False, kept=False, written=0),  # an abstention: never phrased
    ]
    g = generative_summary(samples)
    assert g["questions"] == 5 and {k: v["n"] for k, v in g["by_lang"].items()} == {"en": 3, "ja": 2}
    assert g["extractive"]["p50_ms"] == pytest.approx(20.0) and g["generative"]["p50_ms"] == pytest.approx(4010.0)
    assert g["added_p50_ms"] == pytest.approx(3990.0)
    assert g["added_p95_ms"] == pytest.approx(g["generative"]["p95_ms"] - g["extractive"]["p95_ms"])
    assert g["ratio_p50"] == pytest.approx(200.5)
    assert g["paired_added"]["p50_ms"] == pytest.approx(4000.0)  # per question: 4000, 6000, 500, 8000, 0
    assert (g["phrased"], g["not_phrased"], g["summary_kept"], g["summary_kept_share"]) == (4, 1, 2, 0.4)
    assert g["summary_omitted"] == 1
    assert g["failures"] == {"timeout": 1}
    assert g["sentences"] == {"written": 5, "kept": 2, "dropped_by_reason": {"fact": 2, "negation": 1}}
    assert g["by_lang"]["en"]["summary_kept"] == 2 and g["by_lang"]["ja"]["summary_kept"] == 0


def test_generative_summary_of_nothing_is_empty_not_an_error() -> None:
    g = generative_summary([])
    assert g["questions"] == 0 and g["added_p50_ms"] is None and g["ratio_p50"] is None and g["summary_kept_share"] is None


def test_generative_questions_are_dev_half_answer_items_of_each_language() -> None:
    from evals.bench import GENERATIVE_QUESTIONS, GENERATIVE_SUITES, generative_questions
    from evals.suite import load_suite, select_half

    picked = generative_questions(GENERATIVE_QUESTIONS)
    wanted = dict(GENERATIVE_QUESTIONS)
    langs = [lang for lang, _, _ in picked]
    assert sorted(langs) == sorted(lang for lang, n in GENERATIVE_QUESTIONS for _ in range(n))
    assert set(langs[: len(wanted)]) == set(wanted)  # interleaved: a section cut short has each language
    for lang, n in wanted.items():
        dev = {
            (i.turns[-1], i.company) for i in select_half(load_suite(GENERATIVE_SUITES[lang]).items, "dev") if i.expected_route == "answer"
        }
        mine = [(q, c) for lang_, q, c in picked if lang_ == lang]
        assert len(mine) == n and set(mine) <= dev
        assert len({c for _, c in mine}) == min(n, len(COMPANIES))  # one company at a time
    assert generative_questions(GENERATIVE_QUESTIONS) == picked  # the same questions every run


def _plan(tmp_path: Path, *flags: str) -> Any:
    from evals.bench import build_parser, make_plan

    return make_plan(build_parser().parse_args(["--out", str(tmp_path), "--quick", *flags]))


def test_generative_section_is_skipped_with_the_reason_when_the_local_llm_is_not_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from evals.bench import generative_section, render_generative

    out = generative_section(_plan(tmp_path), tmp_path, tmp_path / "index", embedder=None, llm_dir=tmp_path / "no-llm")
    assert out["status"] == "skipped" and "make llm-local" in out["reason"] and "no stamp" in out["reason"]
    assert json.loads(json.dumps(out)) == out  # what bench.json records
    logged = capsys.readouterr().err.strip().splitlines()
    assert len(logged) == 1 and "make llm-local" in logged[0]  # one line: why, and how to enable it
    assert render_generative(out) == [f"GENERATIVE PATH: skipped ({out['reason']})"]


def test_generative_section_is_skipped_on_request_and_when_the_build_is_incomplete(tmp_path: Path) -> None:
    from evals.bench import generative_section

    plan = _plan(tmp_path, "--no-llm")
    assert not plan.llm and _plan(tmp_path).llm
    out = generative_section(plan, tmp_path, tmp_path / "index", embedder=None, llm_dir=tmp_path / "no-llm")
    assert out["status"] == "skipped" and "--no-llm" in out["reason"]
    (tmp_path / "half-built").mkdir()
    (tmp_path / "half-built" / ".stamp-0123").touch()
    out = generative_section(_plan(tmp_path), tmp_path, tmp_path / "index", embedder=None, llm_dir=tmp_path / "half-built")
    assert out["status"] == "skipped" and "incomplete" in out["reason"] and "make llm-local" in out["reason"]


def test_generative_section_is_skipped_when_the_server_does_not_start(tmp_path: Path) -> None:
    from evals.bench import generative_section
    from evals.llm_local import MODEL_FILE_NAME, llm_python

    llm_dir = tmp_path / "broken"
    python = llm_python(llm_dir)
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\necho 'cannot load the model' >&2\nexit 3\n")
    python.chmod(0o755)
    (llm_dir / MODEL_FILE_NAME).touch()
    (llm_dir / ".stamp-0123").touch()
    out = generative_section(_plan(tmp_path), tmp_path, tmp_path / "index", embedder=None, llm_dir=llm_dir)
    assert out["status"] == "skipped"
    assert "exited with 3" in out["reason"] and "cannot load the model" in out["reason"] and "make llm-local" in out["reason"]


def test_the_measured_generative_section_renders_every_line() -> None:
    from evals.bench import render_generative

    g = generative_summary([_sample("en", 0.01, 4.0), _sample("ja", 0.02, 20.0, kept=False, written=0, failure="timeout")])
    g.update(status="measured", model="tiny", threads=2, max_output_tokens=256, timeout_s=20.0, planned=3, idle_wait=summarize([0.1, 3.0]))
    lines = render_generative(g)
    assert lines[0].startswith("GENERATIVE PATH (in-process, 2 of 3 ")
    assert any("replies with a kept summary" in line and "1 of 2" in line and "'timeout': 1" in line for line in lines)
