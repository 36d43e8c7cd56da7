"""`make bench`: the performance harness, with the LangChain tutorial retriever as a baseline
measured in the same process and run.

    python -m evals.bench --out reports/bench [--quick] [--scales 10,100,1000] [--skip-http]
                          [--baseline-ref aedb23e|none] [--no-llm]

Measures index build (the five policies and the Mozilla dev corpus), in-process reply latency
(ours and the baseline's, interleaved message by message so both see the same machine load),
cold start, HTTP latency/throughput at concurrency 1/8/32 and peak RSS of `privacy-assistant
serve`, HTTP latency at concurrency 1 against an older commit of this repository served next
to it (checked out in a temporary git worktree, requests interleaved), and the same at
10/100/1,000 synthetic companies; last, the added latency of the generative path (a summary
from the local model `make llm-local` builds, against the same questions quotes-only; skipped,
with the reason, when it is not built). Prints a table with the targets as PASS/FAIL and writes bench.json and
bench.png to --out. Absolute seconds move with the machine; the ours/baseline ratios are
what to compare across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from evals.bench_lib import (
    REDACT_CASES,
    GenerativeSample,
    TimingEmbedder,
    generate_synthetic_corpus,
    generative_summary,
    ratio,
    redact_input,
    summarize,
    synthetic_id,
    verdict,
)
from evals.bench_messages import JA_MIX, MIX, Message, MessageStream
from evals.llm_local import LLM_DIR

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CONCURRENCY = (1, 8, 32)
DEFAULT_BASELINE_REF = "aedb23e"
# The generative section's questions: answer items of the suites' dev halves, on the bench's corpus.
GENERATIVE_SUITES = {"en": ROOT / "evals" / "suites" / "gold.jsonl", "ja": ROOT / "evals" / "suites" / "ja.jsonl"}
# One generation takes 4-9 s on 2 cores: 12 questions keep the section near a minute and a half.
GENERATIVE_QUESTIONS = (("en", 8), ("ja", 4))
GENERATIVE_QUESTIONS_QUICK = (("en", 4), ("ja", 2))
LLM_THREADS = 2  # the server's threads: the machine's two cores, shared with the assistant itself
# The dev corpus (five English Mozilla notices) lives in ../shared next to the clone; a
# worktree one level further down finds it one level further up.
DEV_CORPUS_CANDIDATES = tuple(base / "shared" / "dev-corpus" / "mozilla" / "en" for base in (ROOT.parent, ROOT.parent.parent))

# Message passes (see MessageStream). Every measurement starts on a fresh assistant (fresh
# retriever query cache) or a fresh server and draws from pass 0 on; warm-ups use the last
# greeting pass, which no measurement reaches, so no measured text was seen before.
PASS_MEASURE, PASS_PROBE, PASS_WARMUP = 0, 10, 11


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    quick: bool
    scales: tuple[int, ...]
    skip_http: bool
    build_repeats: int
    inproc_messages: int
    http_requests: dict[int, int]
    http_max_seconds: float
    scale_messages: int
    scale_http_requests: int
    uncached_build_max: int = 100  # companies; larger scales build through the content-hash cache
    baseline_ref: str | None = DEFAULT_BASELINE_REF  # None: no old commit served next to ours
    ref_requests: int = 2 * len(MIX)  # per server, at concurrency 1, interleaved
    llm: bool = True  # False (--no-llm): no generative section
    generative_questions: tuple[tuple[str, int], ...] = GENERATIVE_QUESTIONS  # (language, how many)
    generative_max_seconds: float = 150.0  # past it no further question is sent (a loaded machine times out a lot)


def make_plan(args: argparse.Namespace) -> Plan:
    """The plan for the command-line flags."""
    ref = getattr(args, "baseline_ref", DEFAULT_BASELINE_REF)
    ref = None if ref is None or ref.strip().lower() in ("", "none") else ref.strip()
    llm = not getattr(args, "no_llm", False)
    if args.quick:
        scales = args.scales or (10,)
        return Plan(
            True,
            scales,
            args.skip_http,
            1,
            40,
            {1: 30, 8: 64, 32: 96},
            20.0,
            30,
            10,
            baseline_ref=ref,
            ref_requests=40,
            llm=llm,
            generative_questions=GENERATIVE_QUESTIONS_QUICK,
        )
    scales = args.scales or (10, 100, 1000)
    return Plan(False, scales, args.skip_http, 2, len(MIX), {1: len(MIX), 8: 240, 32: 480}, 60.0, len(MIX), 20, baseline_ref=ref, llm=llm)


def dev_corpus() -> Path | None:
    """The Mozilla dev corpus folder, or None when this clone has no ../shared next to it."""
    return next((p for p in DEV_CORPUS_CANDIDATES if (p / "companies.toml").is_file()), None)


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def _settings(corpus_dir: Path, index_dir: Path, db_path: Path, cache: bool = False) -> Any:
    """Settings for one measurement; the embedding cache only where a measurement says so."""
    from assistant.settings import Settings

    overrides: dict[str, Any] = {
        "corpus_dir": corpus_dir,
        "index_dir": index_dir,
        "database_url": f"sqlite:///{db_path}",
        "embedding_cache": cache,
        "query_cache_size": 0,  # the mix repeats questions under new greetings: measure every embedding
    }
    return Settings(**overrides)  # PA_* variables still apply to everything else


def _resources(settings: Any) -> Any:
    """The factory's resources for `settings`, the database migrated to head."""
    from assistant.factory import build_resources

    return build_resources(settings, migrate=True)


# -- index build -----------------------------------------------------------------------------
def timed_build(settings: Any, embedder: Any, timing: TimingEmbedder, cached: bool = False) -> dict[str, Any]:
    """rebuild_index once; seconds, chunk rate and where the time went."""
    from assistant.factory import rebuild_index

    timing.reset()
    gc.collect()
    started = time.perf_counter()
    manifest = rebuild_index(settings, embedder, progress=False)
    seconds = time.perf_counter() - started
    # Index texts are embedded in batches of <= 64 (clauses first, then sentences); the
    # intent classifier's training examples arrive as one larger call.
    index_calls = [(n, s) for n, s in timing.calls if n <= 64]
    intent_calls = [(n, s) for n, s in timing.calls if n > 64]
    clause_s = span_s = 0.0
    seen = 0
    for n, s in index_calls:
        if seen < manifest.chunk_count:
            clause_s += s
        else:
            span_s += s
        seen += n
    embed_s = timing.seconds
    if cached:  # only cache misses reach `timing`: the clause/sentence split is not recoverable
        index_split = {"embed_index_texts": round(clause_s + span_s, 3)}
    else:
        index_split = {"embed_clauses": round(clause_s, 3), "embed_sentences": round(span_s, 3)}
    return {
        "seconds": round(seconds, 3),
        "chunks": manifest.chunk_count,
        "spans": manifest.span_count,
        "companies": len(manifest.companies),
        "chunks_per_s": round(manifest.chunk_count / seconds, 1),
        "texts_embedded": timing.texts,
        "breakdown_s": {
            **index_split,
            "embed_intent_examples": round(sum(s for _, s in intent_calls), 3),
            "tokenizer_count_tokens": round(timing.token_seconds, 3),
            "other": round(seconds - embed_s - timing.token_seconds, 3),
        },
    }


# -- in-process latency ----------------------------------------------------------------------
def inproc_latency(
    assistant: Any,
    timing: TimingEmbedder,
    messages: Sequence[Message],
    company_of: Callable[[Message], str],
    baseline: Any = None,
) -> dict[str, Any]:
    """Assistant.reply() per message (fresh session each), optionally interleaved with the
    baseline's search on the same message (alternating who goes first)."""
    ours: list[float] = []
    theirs: list[float] = []
    by_kind: dict[str, list[float]] = {}
    routes: dict[str, int] = {}
    embed_s = 0.0
    embed_calls = 0
    for i, m in enumerate(messages):
        company = company_of(m)
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for who in order:
            if who == 0:
                calls_before, secs_before = len(timing.calls), timing.seconds
                t0 = time.perf_counter()
                reply = assistant.reply(m.text, company=company)
                elapsed = time.perf_counter() - t0
                ours.append(elapsed)
                by_kind.setdefault(m.kind, []).append(elapsed)
                routes[reply.route] = routes.get(reply.route, 0) + 1
                embed_calls += len(timing.calls) - calls_before
                embed_s += timing.seconds - secs_before
            elif baseline is not None:
                t0 = time.perf_counter()
                baseline.search(m.text, m.company)
                theirs.append(time.perf_counter() - t0)
    total = sum(ours)
    return {
        "ours": summarize(ours),
        "baseline": summarize(theirs) if baseline is not None else None,
        "ours_by_kind": {k: summarize(v) for k, v in by_kind.items()},
        "routes": routes,
        "embed_calls_per_reply": round(embed_calls / max(1, len(ours)), 2),
        "embed_share": round(embed_s / total, 3) if total else None,
        "embed_ms_per_reply": round(1000 * embed_s / max(1, len(ours)), 3),
    }


def japanese_latency(assistant: Any, passes: int = 2) -> dict[str, Any]:
    """Japanese and English replies of the same kinds, alternating one for one (fresh session
    each), so the ratio of their p50s is taken under the same load."""
    ja_messages = MessageStream(JA_MIX, start_pass=PASS_MEASURE).take(passes * len(JA_MIX))
    # English messages the in-process section has not sent (a later pass: other wordings).
    en_messages = MessageStream(start_pass=PASS_MEASURE + 1).take(len(ja_messages))
    times: dict[str, list[float]] = {"ja": [], "en": []}
    by_kind: dict[str, list[float]] = {}
    routes: dict[str, int] = {}
    for i, (ja, en) in enumerate(zip(ja_messages, en_messages, strict=True)):
        for lang, m in (("ja", ja), ("en", en)) if i % 2 == 0 else (("en", en), ("ja", ja)):
            t0 = time.perf_counter()
            reply = assistant.reply(m.text, company=m.company)
            elapsed = time.perf_counter() - t0
            times[lang].append(elapsed)
            if lang == "ja":
                by_kind.setdefault(m.kind, []).append(elapsed)
                routes[reply.route] = routes.get(reply.route, 0) + 1
    return {
        "ja": summarize(times["ja"]),
        "en": summarize(times["en"]),
        "ja_by_kind": {k: summarize(v) for k, v in by_kind.items()},
        "ja_routes": routes,
    }


REDACT_LENGTHS = (2_000, 20_000)  # characters; linear matching keeps the time per character flat, a quadratic pattern makes it about 10x


def redact_scaling(repeats: int = 5) -> dict[str, Any]:
    """How redaction's time per character grows with the text, on `REDACT_CASES` (best of `repeats`)."""
    from assistant.understand.redact import redact

    per_char: dict[int, list[float]] = {n: [] for n in REDACT_LENGTHS}
    for case in REDACT_CASES:
        for n in REDACT_LENGTHS:
            text = redact_input(case, n)
            best = float("inf")
            for _ in range(repeats):
                t0 = time.perf_counter()
                redact(text)
                best = min(best, time.perf_counter() - t0)
            per_char[n].append(best / len(text))
    short, long = (sum(per_char[n]) for n in REDACT_LENGTHS)
    return {
        "lengths": list(REDACT_LENGTHS),
        "ms_at_longest": round(1000 * max(per_char[REDACT_LENGTHS[1]]) * REDACT_LENGTHS[1], 3),
        "per_char_ratio": ratio(long, short),
    }


def retrieval_latency(assistant: Any, embedder: Any, messages: Sequence[Message], company_of: Callable[[Message], str]) -> dict[str, Any]:
    """Search alone (retrieve + select_evidence, the query embedding included) on the
    questions, through a fresh retriever (empty query cache), and the company-name scan
    every message goes through."""
    from assistant.search.retrieval import HybridRetriever

    retriever = HybridRetriever(assistant.index, embedder)
    search: list[float] = []
    names: list[float] = []
    for m in messages:
        t0 = time.perf_counter()
        assistant.directory.find_in_text(m.text)
        assistant.directory.strip_names(m.text)
        names.append(time.perf_counter() - t0)
        if m.kind != "question":
            continue
        company = company_of(m)
        t0 = time.perf_counter()
        ranking = retriever.retrieve(m.text, company, k=8)
        retriever.select_evidence(m.text, company, ranking)
        search.append(time.perf_counter() - t0)
    return {"search": summarize(search), "company_name_scan": summarize(names)}


def embed_probe(variants: dict[str, Callable[[str], Any]], n: int = 30) -> dict[str, Any]:
    """One-message embedding latency of each way of embedding a query (ours as served, ours
    on one thread, int8, the torch path we served before, the baseline's), interleaved."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for m in MessageStream(start_pass=PASS_PROBE).take(n):
        for name, embed in variants.items():
            t0 = time.perf_counter()
            embed(m.text)
            times[name].append(time.perf_counter() - t0)
    return {name: summarize(values) for name, values in times.items()}


def probe_variants(settings: Any, embedder: Any, baseline: Any) -> dict[str, Callable[[str], Any]]:
    """The embedders `embed_probe` compares (all loaded in this process)."""
    from assistant.factory import build_embedder
    from assistant.models.embedders import SentenceTransformerEmbedder

    one_thread = build_embedder(settings.model_copy(update={"embedding_threads": 1}))
    int8 = build_embedder(settings.model_copy(update={"embedding_quantized": True}))
    torch_st = SentenceTransformerEmbedder()
    return {
        f"ours ({embedder.name}, onnxruntime)": lambda t: embedder.embed([t]),
        "ours, 1 thread": lambda t: one_thread.embed([t]),
        "ours, int8 (not used: accuracy)": lambda t: int8.embed([t]),
        "sentence-transformers on torch (served before)": lambda t: torch_st.embed([t]),
        "baseline HuggingFaceEmbeddings": lambda t: baseline.embed_query(t),
    }


# -- cold start attribution ------------------------------------------------------------------
_STARTUP_PROBE = r"""
import json, sys, time
t = [time.perf_counter()]
import api.main  # FastAPI, routers, the assistant package
t.append(time.perf_counter())
from assistant.factory import build_resources
from assistant.settings import Settings
settings = Settings()
resources = build_resources(settings, migrate=True)
t.append(time.perf_counter())
from assistant.factory import build_embedder, build_assistant
embedder = build_embedder(settings)
t.append(time.perf_counter())
from assistant.index.builds import load_index
load_index(settings.index_dir)
t.append(time.perf_counter())
build_assistant(settings, embedder, resources)
t.append(time.perf_counter())
names = ["import_api", "db_migrations", "load_model", "load_index", "build_assistant"]
out = {n: round(b - a, 3) for n, a, b in zip(names, t, t[1:])}
out["torch_imported"] = "torch" in sys.modules
print(json.dumps(out))
"""


def startup_breakdown(corpus_dir: Path, index_dir: Path, db_path: Path) -> dict[str, Any]:
    """Where a server's start-up goes, step by step, in a fresh interpreter."""
    env = dict(os.environ)
    env.update({"PA_CORPUS_DIR": str(corpus_dir), "PA_INDEX_DIR": str(index_dir), "PA_DATABASE_URL": f"sqlite:///{db_path}"})
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], cwd=ROOT, env=env, check=True)
    interpreter = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _STARTUP_PROBE], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    total = time.perf_counter() - t0
    steps = json.loads(out.stdout.strip().splitlines()[-1])
    return {"interpreter_start": round(interpreter, 3), **steps, "total_wall": round(total, 3)}


# -- HTTP ------------------------------------------------------------------------------------
def http_section(plan: Plan, tmp: Path, index_dir: Path) -> dict[str, Any]:
    """Per concurrency level, a fresh server (so its query cache starts empty): cold start,
    first request, the load itself and the peak RSS."""
    from evals.bench_http import chat_body, run_load, start_server
    from evals.metrics import percentile

    levels = []
    for c in CONCURRENCY:
        server = start_server(CORPUS, index_dir, tmp / f"http-c{c}.db", tmp / f"http-c{c}.log")
        try:
            warm = MessageStream(start_pass=PASS_WARMUP).take(5)
            first = run_load(server.base_url, [chat_body(warm[0])], 1, 60.0)
            run_load(server.base_url, [chat_body(m) for m in warm[1:]], 1, 60.0)  # warm-up, not counted
            bodies = [chat_body(m) for m in MessageStream(start_pass=PASS_MEASURE).take(plan.http_requests[c])]
            _log(f"HTTP: {len(bodies)} requests at concurrency {c}")
            level = run_load(server.base_url, bodies, c, plan.http_max_seconds)
            level.update(
                cold_start_s=server.ready_seconds,
                listening_s=server.listening_seconds,
                first_request_ms=first["latency"]["p50_ms"],
                peak_rss_mib=server.peak_rss_mib(),
                loadavg_1min=round(os.getloadavg()[0], 2),
            )
            levels.append(level)
        finally:
            server.stop()
    colds = [lv["cold_start_s"] for lv in levels]
    return {
        "workers": os.cpu_count() or 1,  # start_server's default: what `make serve` runs
        "cold_start_s": round(percentile(colds, 50), 3),
        "cold_start_all_s": colds,
        "listening_s": round(percentile([lv["listening_s"] for lv in levels], 50), 3),
        "first_request_ms": round(percentile([lv["first_request_ms"] for lv in levels], 50), 3),
        "peak_rss_mib": max(lv["peak_rss_mib"] or 0 for lv in levels),
        "levels": levels,
    }


# -- an older commit, served next to ours ------------------------------------------------------
def model_cache_dir() -> Path:
    """The ONNX export folder the current server uses (its working directory is ROOT)."""
    from assistant.settings import Settings

    path = Path(Settings().model_cache_dir).expanduser()
    return path if path.is_absolute() else ROOT / path


def baseline_ref_section(plan: Plan, tmp: Path, index_dir: Path) -> dict[str, Any]:
    """HTTP latency at concurrency 1 of the current code and of commit `plan.baseline_ref`,
    measured in this run: the old commit is checked out in a temporary git worktree, builds its
    own index of the same corpus and serves it from its own folder (its packages first on
    PYTHONPATH, same venv, its own SQLite file, index folder and port, the same settings as
    ours); both servers get the same messages one at a time, alternating. Never raises for a
    missing commit or a server that does not start: the result says n/a and why, in one line."""
    from evals.bench_http import chat_body, run_interleaved, start_server
    from evals.bench_lib import ab_compare, ab_schedule, one_line
    from evals.bench_ref import build_index, check_code, ref_cli, ref_env, ref_worktree, resolve_ref

    out: dict[str, Any] = {"ref": plan.baseline_ref, "commit": None, "status": "n/a", "reason": None}
    if plan.baseline_ref is None:
        out["reason"] = "skipped (--baseline-ref none)"
        return out
    commit, reason = resolve_ref(plan.baseline_ref)
    if commit is None:
        out["reason"] = reason
        return out
    out["commit"] = commit
    work = tmp / "baseline-ref"
    work.mkdir(exist_ok=True)
    try:
        with contextlib.ExitStack() as stack:
            _log(f"baseline ref {plan.baseline_ref}: git worktree of {commit[:12]}")
            tree = stack.enter_context(ref_worktree(commit, work / "src"))
            env = ref_env(tree, CORPUS, work / "index", work / "ref.db", model_cache_dir())
            check_code(tree, env)
            _log(f"baseline ref {plan.baseline_ref}: its index, built by its own code")
            out["index_build_s"] = round(build_index(tree, env, work / "index-build.log"), 3)
            # Stopped before the worktree goes (the stack unwinds last-in first-out).
            old = start_server(
                CORPUS,
                work / "index",
                work / "ref.db",
                work / "ref-server.log",
                code_dir=tree,
                command=ref_cli(tree),
                extra_env={"PA_MODEL_CACHE_DIR": env["PA_MODEL_CACHE_DIR"]},
            )
            stack.callback(old.stop)
            new = start_server(CORPUS, index_dir, work / "current.db", work / "current-server.log")
            stack.callback(new.stop)
            urls = {"a": new.base_url, "b": old.base_url}
            warm = [chat_body(m) for m in MessageStream(start_pass=PASS_WARMUP).take(5)]
            run_interleaved(urls, warm, ab_schedule(len(warm)))  # warm-up, not counted
            bodies = [chat_body(m) for m in MessageStream(start_pass=PASS_MEASURE).take(plan.ref_requests)]
            _log(f"baseline ref {plan.baseline_ref}: {len(bodies)} requests to each server at concurrency 1, alternating")
            t0 = time.perf_counter()
            sides = run_interleaved(urls, bodies, ab_schedule(len(bodies)))
            wall = time.perf_counter() - t0
            cur, base = sides["a"], sides["b"]
            out.update(ab_compare(cur["latencies"], base["latencies"], cur["errors"], base["errors"]))
            out.update(
                status="measured" if out["reason"] is None else "n/a",
                requests_per_server=len(bodies),
                wall_seconds=round(wall, 3),
                routes={"current": cur["routes"], "baseline": base["routes"]},
                route_changes=sum(1 for i in range(len(bodies)) if cur["route_of"].get(i) != base["route_of"].get(i)),
                cold_start_s={"current": new.ready_seconds, "baseline": old.ready_seconds},
                peak_rss_mib={"current": new.peak_rss_mib(), "baseline": old.peak_rss_mib()},
                workers=os.cpu_count() or 1,
                loadavg_1min=round(os.getloadavg()[0], 2),
            )
    except Exception as exc:  # not BaseException: Ctrl-C and SIGTERM still stop the bench
        out["status"] = "n/a"
        out["reason"] = one_line(exc)
        _log(f"baseline ref {plan.baseline_ref}: n/a ({out['reason']})")
    return out


# -- scale -----------------------------------------------------------------------------------
def scale_section(plan: Plan, companies: int, tmp: Path, embedder: Any) -> dict[str, Any]:
    """Build, in-process latency and serving cost at `companies` synthetic tenants."""
    from assistant.factory import build_assistant

    replicas = max(1, math.ceil(companies / 5))
    work = tmp / f"scale-{companies}"
    corpus_dir, index_dir = work / "corpus", work / "index"
    t0 = time.perf_counter()
    ids = generate_synthetic_corpus(CORPUS, corpus_dir, replicas)
    out: dict[str, Any] = {"companies": len(ids), "replicas": replicas, "generate_s": round(time.perf_counter() - t0, 3)}

    timing = TimingEmbedder(embedder)
    cached = len(ids) > plan.uncached_build_max
    settings = _settings(corpus_dir, index_dir, work / "inproc.db", cache=cached)
    _log(f"scale {len(ids)}: building ({'content-hash cache' if cached else 'no cache'})")
    build = timed_build(settings, timing, timing, cached)
    build["cached"] = cached
    out["build"] = build

    resources = _resources(settings)
    t0 = time.perf_counter()
    assistant = build_assistant(settings, timing, resources)
    out["load_assistant_s"] = round(time.perf_counter() - t0, 3)
    rng = random.Random(companies)
    picks: dict[str, str] = {}

    def company_of(m: Message) -> str:
        if m.text not in picks:
            picks[m.text] = synthetic_id(rng.randrange(replicas), m.company)
        return picks[m.text]

    for m in MessageStream(start_pass=PASS_WARMUP).take(3):
        assistant.reply(m.text, company=company_of(m))
    messages = MessageStream(start_pass=PASS_MEASURE).take(plan.scale_messages)
    _log(f"scale {len(ids)}: {len(messages)} in-process replies")
    out["inproc"] = inproc_latency(assistant, timing, messages, company_of)
    out["inproc"].update(retrieval_latency(assistant, timing, messages, company_of))
    del assistant
    gc.collect()

    if not plan.skip_http:
        from evals.bench_http import chat_body, run_load, start_server

        _log(f"scale {len(ids)}: serving")
        server = start_server(corpus_dir, index_dir, work / "http.db", work / "server.log", timeout=600.0)
        try:
            out["cold_start_s"] = server.ready_seconds
            out["listening_s"] = server.listening_seconds
            warm = [chat_body(m, company_of(m)) for m in MessageStream(start_pass=PASS_WARMUP).take(3)]
            run_load(server.base_url, warm, 1, 60.0)  # warm-up, not counted
            bodies = [chat_body(m, company_of(m)) for m in MessageStream(start_pass=PASS_MEASURE).take(plan.scale_http_requests)]
            out["http_c1"] = run_load(server.base_url, bodies, 1, plan.http_max_seconds)
            out["peak_rss_mib"] = server.peak_rss_mib()
        finally:
            server.stop()
    shutil.rmtree(work, ignore_errors=True)
    return out


# -- the generative path -----------------------------------------------------------------------
def generative_questions(counts: Sequence[tuple[str, int]], suites: dict[str, Path] | None = None) -> list[tuple[str, str, str]]:
    """(language, question, company) for the generative section: single-turn answer items with a
    company, from each language's suite's dev half (a suite on another corpus gives none), taken
    one company at a time in file order so that every company's policy is phrased from, and the
    languages interleaved so that a section cut short still has some of each."""
    from evals.suite import load_suite, select_half, suite_corpus

    by_lang: list[list[tuple[str, str, str]]] = []
    for lang, n in counts:
        suite = load_suite((suites or GENERATIVE_SUITES)[lang])
        if suite_corpus(suite.header) != CORPUS.resolve():
            continue
        by_company: dict[str, list[str]] = {}
        for item in select_half(suite.items, "dev"):
            if item.expected_route == "answer" and item.company and len(item.turns) == 1:
                by_company.setdefault(item.company, []).append(item.turns[0])
        queues = list(by_company.items())
        picked: list[tuple[str, str, str]] = []
        for depth in range(max((len(q) for _, q in queues), default=0)):
            picked += [(lang, q[depth], company) for company, q in queues if depth < len(q)]
        by_lang.append(picked[:n])
    # Each language's k-th question sits at k/n of the run.
    order = sorted((k / len(qs), j, k) for j, qs in enumerate(by_lang) for k in range(len(qs)))
    return [by_lang[j][k] for _, j, k in order]


def _generative_sample(lang: str, extractive_s: float, generative_s: float, trace: Any) -> GenerativeSample:
    summary = trace.summary
    if summary is None:  # not an answer with quotes: the phraser was never asked
        return GenerativeSample(lang, extractive_s, generative_s, phrased=False, kept=False)
    return GenerativeSample(
        lang,
        extractive_s,
        generative_s,
        phrased=True,
        kept=summary.text is not None,
        written=len(summary.verdicts),
        dropped=tuple(v.reason or "unknown" for v in summary.verdicts if not v.kept),
        failure=summary.failure,
    )


def generative_section(plan: Plan, tmp: Path, index_dir: Path, embedder: Any, llm_dir: Path = LLM_DIR) -> dict[str, Any]:
    """In-process reply latency with a generated summary (PA_LLM_BACKEND=openai against the local
    llama.cpp server, one for the section, LLM_THREADS threads) and without (none), the same
    questions alternating one for one, each pair on fresh sessions. Never raises for a model
    that is not built or a server that does not start: the result says skipped and why."""
    from evals.bench_lib import one_line
    from evals.llm_local import serve_local_llm, unavailable_reason, wait_idle

    out: dict[str, Any] = {"status": "skipped", "reason": None}
    if not plan.llm:
        out["reason"] = "--no-llm given (without it, the local model `make llm-local` builds is timed)"
    else:
        out["reason"] = unavailable_reason(llm_dir)
    if out["reason"] is not None:
        _log(f"generative: skipped: {out['reason']}")
        return out
    from assistant.factory import build_assistant
    from assistant.integrations.llm import MAX_OUTPUT_TOKENS

    questions = generative_questions(plan.generative_questions)
    try:
        t0 = time.perf_counter()
        with serve_local_llm(log_dir=tmp, threads=LLM_THREADS, llm_dir=llm_dir) as llm:
            out["server_start_s"] = round(time.perf_counter() - t0, 3)
            quotes_only = _settings(CORPUS, index_dir, tmp / "generative.db").model_copy(update={"llm_backend": "none"})
            phrased = quotes_only.model_copy(update={"llm_backend": "openai", "llm_base_url": llm.base_url, "llm_model": llm.model})
            resources = _resources(quotes_only)
            extractive = build_assistant(quotes_only, embedder, resources)
            generative = build_assistant(phrased, embedder, resources)
            # One warm-up question each (a generation too), from the pass no measurement reaches.
            warm = next(m for m in MessageStream(start_pass=PASS_WARMUP).take(len(MIX)) if m.kind == "question")
            for assistant in (extractive, generative):
                assistant.reply(warm.text, company=warm.company)
            _log(f"generative: {len(questions)} questions, quotes only and with a summary from {llm.model}, alternating")
            samples: list[GenerativeSample] = []
            idle_waits: list[float] = []
            t0 = time.perf_counter()
            for i, (lang, question, company) in enumerate(questions):
                if time.perf_counter() - t0 > plan.generative_max_seconds:
                    _log(f"generative: {plan.generative_max_seconds:.0f} s spent; {len(questions) - i} questions not sent")
                    break
                seconds: dict[str, float] = {}
                trace = None
                for name in ("extractive", "generative") if i % 2 == 0 else ("generative", "extractive"):
                    assistant = extractive if name == "extractive" else generative
                    # A generation the phraser gave up on still runs: each reply starts on an idle server.
                    idle_waits.append(wait_idle(llm))
                    started = time.perf_counter()
                    _, traced = assistant.reply_traced(question, company=company)
                    seconds[name] = time.perf_counter() - started
                    if name == "generative":
                        trace = traced
                samples.append(_generative_sample(lang, seconds["extractive"], seconds["generative"], trace))
            out.update(
                status="measured",
                model=llm.model,
                threads=LLM_THREADS,
                timeout_s=phrased.llm_timeout_s,
                max_output_tokens=MAX_OUTPUT_TOKENS,
                planned=len(questions),
                idle_wait=summarize(idle_waits),
                wall_seconds=round(time.perf_counter() - t0, 3),
                **generative_summary(samples),
                loadavg_1min=round(os.getloadavg()[0], 2),
            )
    except Exception as exc:  # not BaseException: Ctrl-C and SIGTERM still stop the bench
        out.update(status="skipped", reason=f"the local LLM server failed ({one_line(exc)}); `rm -rf .llm && make llm-local` rebuilds it")
        _log(f"generative: skipped: {out['reason']}")
    return out


# -- report ----------------------------------------------------------------------------------
def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and PASS/FAIL (n/a when not measured)."""
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, op: str, unit: str, reason: str | None = None) -> None:
        row = {"target": name, "value": value, "limit": limit, "op": op, "unit": unit, "verdict": verdict(value, limit, op)}
        if row["verdict"] == "n/a" and reason:
            row["reason"] = reason
        rows.append(row)

    add("in-process p50 ours/baseline", res["ratios"].get("inproc_p50"), 0.5, "<=", "x")
    add("Japanese reply p50 / English reply p50 (same run)", res["ratios"].get("ja_en_p50"), 1.5, "<=", "x")
    add("redact: time per character at 10x the text (same run)", res["ratios"].get("redact_per_char"), 3, "<=", "x")
    http = res.get("http") or {}
    levels = {lv["concurrency"]: lv for lv in http.get("levels", [])}
    add("HTTP p50 at concurrency 1", (levels.get(1) or {}).get("latency", {}).get("p50_ms"), 25, "<", "ms")
    ref = res.get("baseline_ref") or {}
    add(
        f"HTTP c=1 p50 current/{ref.get('ref') or 'older commit'} (same run)",
        ref.get("ratio_p50"),
        1.2,
        "<=",
        "x",
        ref.get("reason") or "not measured",
    )
    add("HTTP req/s at concurrency 8", (levels.get(8) or {}).get("rps"), 80, ">=", "req/s")
    add("HTTP errors at concurrency 8", (levels.get(8) or {}).get("errors"), 0, "<=", "")
    add("cold start to /readyz 200", http.get("cold_start_s"), 5, "<", "s")
    add("index build, five policies", res["build"]["ours"]["seconds"], 10, "<", "s")
    dev = res["build"].get("dev_corpus") or {}
    add("index build, Mozilla dev corpus (5 notices)", dev.get("seconds"), 30, "<", "s", dev.get("reason") or "not measured")
    big: dict[str, Any] = next((s for s in res.get("scales", []) if s["companies"] >= 1000), {})
    add("1,000 companies: reply p95", (big.get("inproc") or {}).get("ours", {}).get("p95_ms"), 50, "<", "ms")
    add("1,000 companies: serving peak RSS", big.get("peak_rss_mib"), 2048, "<", "MiB")
    return rows


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        v = f"{v:,.1f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return f"{v} {unit}".strip()


def _row(name: str, value: str, note: str = "") -> str:
    return f"  {name:<44} {value:>18}  {note}"


def render_generative(g: dict[str, Any]) -> list[str]:
    """The generative section's lines of the table (one line saying why when it was skipped)."""
    lines: list[str] = []

    def row(name: str, value: str, note: str = "") -> None:
        lines.append(_row(name, value, note))

    if g.get("status") == "measured":
        langs = ", ".join(f"{v['n']} {k}" for k, v in g["by_lang"].items())
        lines.append(
            f"GENERATIVE PATH (in-process, {g['questions']} of {g['planned']} dev-half answer questions: {langs}; {g['model']} on "
            f"llama.cpp's server, {g['threads']} threads, <= {g['max_output_tokens']} tokens, timeout {g['timeout_s']:g} s; "
            "quotes only and with a summary, alternating)"
        )
        ext, gen = g["extractive"], g["generative"]
        row("quotes only (PA_LLM_BACKEND=none) p50 / p95", f"{_fmt(ext['p50_ms'])} / {_fmt(ext['p95_ms'])} ms")
        row("with a summary (openai) p50 / p95", f"{_fmt(gen['p50_ms'])} / {_fmt(gen['p95_ms'])} ms")
        for lang, v in g["by_lang"].items():
            row(
                f"  {lang}: with a summary p50 / p95",
                f"{_fmt(v['generative']['p50_ms'])} / {_fmt(v['generative']['p95_ms'])} ms",
                f"n={v['n']}",
            )
        row(
            "added p50 / p95 (difference of percentiles)",
            f"{_fmt(g['added_p50_ms'])} / {_fmt(g['added_p95_ms'])} ms",
            f"ratio {_fmt(g['ratio_p50'])} / {_fmt(g['ratio_p95'])}; median per-question difference {_fmt(g['paired_added']['p50_ms'])} ms",
        )
        st = g["sentences"]
        row(
            "replies with a kept summary",
            f"{g['summary_kept']} of {g['questions']}",
            f"omitted (every sentence dropped) {g['summary_omitted']}, phraser failures {g['failures'] or 'none'}, "
            f"not phrased {g['not_phrased']}; sentences passing the verifier {st['kept']} of {st['written']}, "
            f"dropped {st['dropped_by_reason'] or 'none'}",
        )
        iw = g["idle_wait"]
        row(
            "wait for an idle server before each reply",
            f"{_fmt(iw['p50_ms'])} / {_fmt(iw['max_ms'])} ms",
            "p50 / max: a generation the phraser gave up on runs to its end",
        )
    else:
        lines.append(f"GENERATIVE PATH: skipped ({g.get('reason') or 'not measured'})")
    return lines


def render_table(res: dict[str, Any]) -> str:
    """The human-readable summary."""
    lines: list[str] = []

    def row(name: str, value: str, note: str = "") -> None:
        lines.append(_row(name, value, note))

    b = res["build"]
    lines.append("INDEX BUILD (five policies, model already loaded)")
    row(
        "ours: seconds / chunks per s",
        f"{_fmt(b['ours']['seconds'])} / {_fmt(b['ours']['chunks_per_s'])}",
        f"{b['ours']['chunks']} clauses + {b['ours']['spans']} passages, {b['ours']['texts_embedded']} texts embedded",
    )
    row("ours: where the time went (s)", "", ", ".join(f"{k} {v}" for k, v in b["ours"]["breakdown_s"].items()))
    if b.get("ours_rebuild_cached"):
        row(
            "ours: rebuild, embedding cache warm (s)",
            _fmt(b["ours_rebuild_cached"]["seconds"]),
            f"{b['ours_rebuild_cached']['texts_embedded']} texts embedded",
        )
    row(
        "baseline: seconds / chunks per s",
        f"{_fmt(b['baseline']['seconds'])} / {_fmt(b['baseline']['chunks_per_s'])}",
        f"{b['baseline']['chunks']} chunks of <=1000 chars",
    )
    dv = b.get("dev_corpus") or {}
    if dv.get("seconds") is not None:
        row(
            "ours: Mozilla dev corpus (5 notices), s",
            _fmt(dv["seconds"]),
            f"{dv['chunks']} clauses + {dv['spans']} passages, no embedding cache; all {dv['all_seconds']} s",
        )
    else:
        row("ours: Mozilla dev corpus (5 notices)", "n/a", dv.get("reason", ""))
    row("model load: ours / baseline (s)", f"{_fmt(b['ours_model_load_s'])} / {_fmt(b['baseline_model_load_s'])}")
    row("ratio ours/baseline build", _fmt(res["ratios"].get("build_seconds")), "(lower is better for us)")

    i = res["inproc"]
    lines.append(f"IN-PROCESS PER-MESSAGE LATENCY ({i['ours']['n']} messages, fresh session each, interleaved with baseline)")
    row(
        "ours Assistant.reply() p50 / p95",
        f"{_fmt(i['ours']['p50_ms'])} / {_fmt(i['ours']['p95_ms'])} ms",
        f"routes {i['routes']}; {i['embed_calls_per_reply']} embeds/reply = {_fmt(100 * (i['embed_share'] or 0))}% of time",
    )
    for kind, s in i["ours_by_kind"].items():
        row(f"  ours {kind} p50 / p95", f"{_fmt(s['p50_ms'])} / {_fmt(s['p95_ms'])} ms", f"n={s['n']}")
    row("  ours search only (questions) p50 / p95", f"{_fmt(i['search']['p50_ms'])} / {_fmt(i['search']['p95_ms'])} ms")
    row("baseline similarity_search p50 / p95", f"{_fmt(i['baseline']['p50_ms'])} / {_fmt(i['baseline']['p95_ms'])} ms")
    for name, st in (res.get("embed_probe") or {}).items():
        row(f"  one query embedding: {name}", f"{_fmt(st['p50_ms'])} / {_fmt(st['p95_ms'])} ms", "p50 / p95")
    row("ratio ours/baseline p50 / p95", f"{_fmt(res['ratios'].get('inproc_p50'))} / {_fmt(res['ratios'].get('inproc_p95'))}")
    ja = res.get("japanese")
    if ja:
        lines.append(f"JAPANESE MESSAGES ({ja['ja']['n']} Japanese and {ja['en']['n']} English replies, alternating, fresh session each)")
        row("Japanese reply p50 / p95", f"{_fmt(ja['ja']['p50_ms'])} / {_fmt(ja['ja']['p95_ms'])} ms", f"routes {ja['ja_routes']}")
        for kind, s in ja["ja_by_kind"].items():
            row(f"  Japanese {kind} p50 / p95", f"{_fmt(s['p50_ms'])} / {_fmt(s['p95_ms'])} ms", f"n={s['n']}")
        row("English reply p50 / p95 (same run)", f"{_fmt(ja['en']['p50_ms'])} / {_fmt(ja['en']['p95_ms'])} ms")
        row("ratio Japanese/English p50", _fmt(res["ratios"].get("ja_en_p50")), "(servers below load the multilingual encoder too)")
    red = res.get("redact")
    if red:
        row(
            "redact: per-character time, 20,000 vs 2,000 chars",
            f"{_fmt(red['per_char_ratio'])}x",
            f"longest input {_fmt(red['ms_at_longest'])} ms; linear matching keeps this near 1",
        )

    h = res.get("http")
    if h:
        lines.append(
            f"SERVED (privacy-assistant serve --no-build, {h.get('workers', '?')} workers, SQLite, load generator on the same machine)"
        )
        row(
            "cold start: listening / ready (median of 3)",
            f"{_fmt(h['listening_s'])} / {_fmt(h['cold_start_s'])} s",
            f"all {h['cold_start_all_s']} s; first request {_fmt(h['first_request_ms'])} ms",
        )
        sb = res.get("startup_breakdown") or {}
        row("start-up steps, fresh interpreter (s)", "", ", ".join(f"{k} {v}" for k, v in sb.items()))
        for lv in h["levels"]:
            lat = lv["latency"]
            row(
                f"concurrency {lv['concurrency']:>2}: p50 / p95, req/s, errors",
                f"{_fmt(lat['p50_ms'])} / {_fmt(lat['p95_ms'])} ms",
                f"{_fmt(lv['rps'])} req/s, {lv['errors']} errors, {lv['requests']}/{lv['planned']} "
                f"sent in {lv['wall_seconds']} s, routes {lv['routes']}",
            )
        row("peak RSS (VmHWM), worst level", f"{_fmt(h['peak_rss_mib'])} MiB")
    else:
        lines.append("SERVED: skipped (--skip-http)")

    rf = res.get("baseline_ref") or {}
    if rf.get("ratio_p50") is not None:
        lines.append(
            f"SERVED, CURRENT vs {rf['ref']} ({rf['commit'][:12]}: git worktree, its own index, server, SQLite and port; "
            f"{rf['requests_per_server']} requests each at concurrency 1, alternating)"
        )
        cur, base = rf["current"], rf["baseline"]
        row("current p50 / p95", f"{_fmt(cur['p50_ms'])} / {_fmt(cur['p95_ms'])} ms", f"routes {rf['routes']['current']}")
        row(f"{rf['ref']} p50 / p95", f"{_fmt(base['p50_ms'])} / {_fmt(base['p95_ms'])} ms", f"routes {rf['routes']['baseline']}")
        row(
            "ratio current/old p50 / p95",
            f"{_fmt(rf['ratio_p50'])} / {_fmt(rf['ratio_p95'])}",
            f"{rf['route_changes']} of {rf['requests_per_server']} messages routed differently; "
            f"its index build {_fmt(rf.get('index_build_s'))} s; cold start {rf['cold_start_s']} s",
        )
    else:
        lines.append(f"SERVED, CURRENT vs {rf.get('ref') or 'older commit'}: n/a ({rf.get('reason') or 'not measured'})")

    if res.get("scales"):
        lines.append("SCALE (synthetic companies: replicas of the five policies)")
        lines.append(
            f"  {'companies':>9} {'chunks':>7} {'build s':>8} {'chunks/s':>9} {'cache':>6} {'load s':>7} "
            f"{'reply p50/p95 ms':>17} {'search p50/p95 ms':>18} {'name scan p50':>13} {'cold s':>7} {'RSS MiB':>8} {'HTTP c1 p50':>11}"
        )
        for s in res["scales"]:
            bd, ip = s["build"], s["inproc"]
            lines.append(
                f"  {s['companies']:>9} {bd['chunks']:>7} {_fmt(bd['seconds']):>8} "
                f"{_fmt(bd['chunks_per_s']):>9} {'yes' if bd['cached'] else 'no':>6} "
                f"{_fmt(s['load_assistant_s']):>7} {_fmt(ip['ours']['p50_ms']) + '/' + _fmt(ip['ours']['p95_ms']):>17} "
                f"{_fmt(ip['search']['p50_ms']) + '/' + _fmt(ip['search']['p95_ms']):>18} {_fmt(ip['company_name_scan']['p50_ms']):>13} "
                f"{_fmt(s.get('cold_start_s')):>7} {_fmt(s.get('peak_rss_mib')):>8} "
                f"{_fmt((s.get('http_c1') or {}).get('latency', {}).get('p50_ms')):>11}"
            )

    lines.extend(render_generative(res.get("generative") or {}))

    lines.append("TARGETS")
    for t in res["targets"]:
        note = f"{t['op']} {t['limit']} {t['unit']}".rstrip() + f"   {t['verdict']}"
        row(t["target"], _fmt(t["value"], t["unit"]), note + (f" ({t['reason']})" if t.get("reason") else ""))
    m = res["meta"]
    lines.append(f"load average (1 min) after each section: {res.get('loadavg_1min')}")
    lines.append(
        f"run: {m['wall_seconds']} s on {m['cpus']} CPUs, embedder "
        f"{m.get('embedder')}, load average {m['loadavg_start']} -> {m['loadavg_end']}"
        " (other processes share this machine: compare ratios, not absolute times)"
    )
    return "\n".join(lines)


def plot(res: dict[str, Any], path: Path) -> None:
    """bench.png: latency vs baseline, HTTP by concurrency, and scale curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0][0]
    i = res["inproc"]
    labels = ["ours reply()", "ours search only", "baseline search"]
    stats = [i["ours"], i["search"], i["baseline"]]
    x = range(len(labels))
    ax.bar([v - 0.2 for v in x], [s["p50_ms"] or 0 for s in stats], 0.4, label="p50")
    ax.bar([v + 0.2 for v in x], [s["p95_ms"] or 0 for s in stats], 0.4, label="p95")
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("ms")
    ax.set_title("In-process latency per message")
    ax.legend()

    ax = axes[0][1]
    h = res.get("http")
    if h:
        cs = [lv["concurrency"] for lv in h["levels"]]
        ax.plot(cs, [lv["latency"]["p50_ms"] for lv in h["levels"]], "o-", label="p50 ms")
        ax.plot(cs, [lv["latency"]["p95_ms"] for lv in h["levels"]], "s-", label="p95 ms")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrency")
        ax.set_ylabel("ms")
        ax2 = ax.twinx()
        ax2.bar(cs, [lv["rps"] or 0 for lv in h["levels"]], width=[c * 0.3 for c in cs], alpha=0.3, color="green", label="req/s")
        ax2.set_ylabel("req/s")
        ax.legend(loc="upper left")
    ax.set_title("HTTP /v1/chat")

    scales = res.get("scales") or []
    ax = axes[1][0]
    if scales:
        n = [s["companies"] for s in scales]
        ax.plot(n, [s["inproc"]["ours"]["p95_ms"] for s in scales], "o-", label="reply p95 ms")
        ax.plot(n, [s["inproc"]["search"]["p95_ms"] for s in scales], "s-", label="search p95 ms")
        ax.plot(n, [s["inproc"]["company_name_scan"]["p95_ms"] for s in scales], "^-", label="name scan p95 ms")
        ax.axhline(50, color="red", linestyle=":", label="50 ms target")
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("companies")
        ax.legend()
    ax.set_title("Latency vs number of companies (in-process)")

    ax = axes[1][1]
    if scales:
        ax.plot(n, [s["build"]["seconds"] for s in scales], "o-", label="build s")
        for s in scales:
            if s["build"].get("cached"):
                ax.annotate("content-hash cache", (s["companies"], s["build"]["seconds"]), textcoords="offset points", xytext=(-60, 8))
        ax.plot(n, [s.get("cold_start_s") or math.nan for s in scales], "s-", label="cold start s")
        ax.set_xscale("log")
        ax.set_xlabel("companies")
        ax.set_ylabel("s")
        ax2 = ax.twinx()
        ax2.plot(n, [s.get("peak_rss_mib") or math.nan for s in scales], "^--", color="purple", label="peak RSS MiB")
        ax2.set_ylabel("MiB")
        ax.legend(loc="upper left")
        ax2.legend(loc="lower right")
    ax.set_title("Cost vs number of companies")
    fig.suptitle(f"privacy-assistant bench ({'quick' if res['meta']['quick'] else 'full'})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("torch", "sentence-transformers", "faiss-cpu", "langchain-community", "langchain-huggingface", "fastapi", "uvicorn"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


# -- main ------------------------------------------------------------------------------------
def run(plan: Plan, out_dir: Path) -> dict[str, Any]:
    """Measure everything in the plan; the results as one JSON-able dict. After each section
    the results so far go to OUT/bench.partial.json, so a long run that dies is not lost."""
    from assistant.factory import build_assistant, build_embedder
    from assistant.settings import Settings
    from evals.bench_baseline import LangChainBaseline

    started = time.perf_counter()
    res: dict[str, Any] = {
        "meta": {
            "quick": plan.quick,
            "scales": list(plan.scales),
            "skip_http": plan.skip_http,
            "baseline_ref": plan.baseline_ref,
            "llm": plan.llm,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "cpus": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            "versions": _versions(),
        },
        "ratios": {},
        "sections_s": {},
        "loadavg_1min": {},
    }

    def checkpoint() -> None:
        (out_dir / "bench.partial.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="pa-bench-") as tmp_name:
        tmp = Path(tmp_name)
        _log("loading our embedder")
        t0 = time.perf_counter()
        defaults: dict[str, Any] = {}
        embedder = build_embedder(Settings(**defaults))
        ours_model_s = time.perf_counter() - t0
        res["meta"]["embedder"] = {
            "name": embedder.name,
            "backend": Settings().embedding_backend,
            "threads": Settings().embedding_threads or "all cores",
        }
        _log("loading the LangChain baseline")
        baseline = LangChainBaseline()

        # Index build, ours and the baseline's, alternating.
        t0 = time.perf_counter()
        timing = TimingEmbedder(embedder)
        index_dir = tmp / "index"
        ours_builds, base_builds, dev_builds = [], [], []
        dev = dev_corpus()
        for r in range(plan.build_repeats):
            _log(
                f"index build {r + 1}/{plan.build_repeats}: ours (cold: fresh folder, no embedding cache), then baseline"
                + (", then ours on the Mozilla dev corpus" if dev else "")
            )
            shutil.rmtree(index_dir, ignore_errors=True)
            ours_builds.append(timed_build(_settings(CORPUS, index_dir, tmp / "build.db"), timing, timing))
            base_builds.append(baseline.build(CORPUS))
            if dev is not None:
                dev_dir = tmp / "index-dev"
                shutil.rmtree(dev_dir, ignore_errors=True)
                dev_builds.append(timed_build(_settings(dev, dev_dir, tmp / "build.db"), timing, timing))
                shutil.rmtree(dev_dir, ignore_errors=True)
        _log("index rebuild with the embedding cache warm (an unchanged corpus: the best case)")
        warm_dir = tmp / "index-warm"
        timed_build(_settings(CORPUS, warm_dir, tmp / "build.db", cache=True), timing, timing, cached=True)
        warm = timed_build(_settings(CORPUS, warm_dir, tmp / "build.db", cache=True), timing, timing, cached=True)
        shutil.rmtree(warm_dir, ignore_errors=True)
        best = min(ours_builds, key=lambda b: b["seconds"])
        base_s = min(base_builds)
        res["build"] = {
            "ours": {**best, "all_seconds": [b["seconds"] for b in ours_builds]},
            "ours_rebuild_cached": warm,
            "baseline": {
                "seconds": round(base_s, 3),
                "chunks": baseline.chunk_count,
                "chunks_per_s": round(baseline.chunk_count / base_s, 1),
                "all_seconds": [round(s, 3) for s in base_builds],
            },
            "ours_model_load_s": round(ours_model_s, 3),
            "baseline_model_load_s": round(baseline.model_seconds, 3),
            "baseline_import_s": round(baseline.import_seconds, 3),
        }
        if dev_builds:
            dev_best = min(dev_builds, key=lambda b: b["seconds"])
            res["build"]["dev_corpus"] = {**dev_best, "path": str(dev), "all_seconds": [b["seconds"] for b in dev_builds]}
        else:
            res["build"]["dev_corpus"] = {"reason": "no dev corpus: " + " or ".join(str(p) for p in DEV_CORPUS_CANDIDATES) + " missing"}
        res["ratios"]["build_seconds"] = ratio(best["seconds"], base_s)
        res["sections_s"]["build"] = round(time.perf_counter() - t0, 1)
        res["loadavg_1min"]["build"] = round(os.getloadavg()[0], 2)
        checkpoint()

        # In-process latency, interleaved with the baseline.
        t0 = time.perf_counter()
        settings = _settings(CORPUS, index_dir, tmp / "inproc.db")
        resources = _resources(settings)
        timing.reset()
        assistant = build_assistant(settings, timing, resources)
        for m in MessageStream(start_pass=PASS_WARMUP).take(3):
            assistant.reply(m.text, company=m.company)
            baseline.search(m.text, m.company)
        messages = MessageStream(start_pass=PASS_MEASURE).take(plan.inproc_messages)
        _log(f"in-process: {len(messages)} messages, ours and baseline interleaved")
        inproc = inproc_latency(assistant, timing, messages, lambda m: m.company, baseline)
        inproc.update(retrieval_latency(assistant, timing, messages, lambda m: m.company))
        res["inproc"] = inproc
        res["ratios"]["inproc_p50"] = ratio(inproc["ours"]["p50_ms"], inproc["baseline"]["p50_ms"])
        res["ratios"]["inproc_p95"] = ratio(inproc["ours"]["p95_ms"], inproc["baseline"]["p95_ms"])
        res["ratios"]["search_only_p50"] = ratio(inproc["search"]["p50_ms"], inproc["baseline"]["p50_ms"])
        _log(f"japanese: {2 * len(JA_MIX)} Japanese and as many English replies, alternating")
        res["japanese"] = japanese_latency(assistant)
        res["ratios"]["ja_en_p50"] = ratio(res["japanese"]["ja"]["p50_ms"], res["japanese"]["en"]["p50_ms"])
        _log("redaction: time per character at 2,000 and 20,000 characters of inputs that once backtracked")
        res["redact"] = redact_scaling()
        res["ratios"]["redact_per_char"] = res["redact"]["per_char_ratio"]
        del assistant
        _log("query embedding probe: ours, one thread, int8, torch, baseline")
        res["embed_probe"] = embed_probe(probe_variants(Settings(), embedder, baseline))
        res["sections_s"]["inproc"] = round(time.perf_counter() - t0, 1)
        res["loadavg_1min"]["inproc"] = round(os.getloadavg()[0], 2)
        checkpoint()

        if not plan.skip_http:
            t0 = time.perf_counter()
            _log("start-up breakdown in a fresh interpreter")
            res["startup_breakdown"] = startup_breakdown(CORPUS, index_dir, tmp / "probe.db")
            _log("serving: cold start and load")
            res["http"] = http_section(plan, tmp, index_dir)
            res["sections_s"]["http"] = round(time.perf_counter() - t0, 1)
            res["loadavg_1min"]["http"] = round(os.getloadavg()[0], 2)
            checkpoint()
            t0 = time.perf_counter()
            res["baseline_ref"] = baseline_ref_section(plan, tmp, index_dir)
            res["ratios"]["http_c1_p50_vs_ref"] = res["baseline_ref"].get("ratio_p50")
            res["sections_s"]["baseline_ref"] = round(time.perf_counter() - t0, 1)
            res["loadavg_1min"]["baseline_ref"] = round(os.getloadavg()[0], 2)
            checkpoint()
        else:
            res["baseline_ref"] = {"ref": plan.baseline_ref, "commit": None, "status": "n/a", "reason": "skipped (--skip-http)"}

        del baseline
        gc.collect()
        res["scales"] = []
        for companies in plan.scales:
            t0 = time.perf_counter()
            res["scales"].append(scale_section(plan, companies, tmp, embedder))
            res["sections_s"][f"scale_{companies}"] = round(time.perf_counter() - t0, 1)
            res["loadavg_1min"][f"scale_{companies}"] = round(os.getloadavg()[0], 2)
            checkpoint()
        # Last, so the llama.cpp server shares the cores with none of the extractive measurements.
        t0 = time.perf_counter()
        res["generative"] = generative_section(plan, tmp, index_dir, embedder)
        res["ratios"]["generative_p50"] = res["generative"].get("ratio_p50")
        res["sections_s"]["generative"] = round(time.perf_counter() - t0, 1)
        res["loadavg_1min"]["generative"] = round(os.getloadavg()[0], 2)
        checkpoint()
    res["meta"]["wall_seconds"] = round(time.perf_counter() - started, 1)
    res["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["targets"] = targets(res)
    return res


def _scales(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--scales takes comma-separated integers, not {text!r}") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("--scales needs positive company counts")
    return values


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--out", type=Path, required=True, help="folder for bench.json and bench.png")
    p.add_argument("--quick", action="store_true", help="about two minutes: 10 companies only, fewer requests")
    p.add_argument("--scales", type=_scales, help="company counts, e.g. 10,100,1000 (default: that; --quick: 10)")
    p.add_argument("--skip-http", action="store_true", help="no server subprocess (no cold start, HTTP or RSS numbers)")
    p.add_argument(
        "--baseline-ref",
        default=DEFAULT_BASELINE_REF,
        metavar="REF",
        help="an older commit served next to the current code (temporary git worktree, its own index and server) "
        f"for the HTTP c=1 p50 ratio; `none` skips it (default {DEFAULT_BASELINE_REF})",
    )
    p.add_argument(
        "--no-llm",
        action="store_true",
        help="skip the generative section (the local model's added latency; skipped anyway when `make llm-local` has not run)",
    )
    return p


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: servers are stopped and temporary folders removed.
    signal.signal(signal.SIGTERM, _terminate)
    for key, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
        ("TRANSFORMERS_VERBOSITY", "error"),
        ("TOKENIZERS_PARALLELISM", "false"),
    ):
        os.environ.setdefault(key, value)
    plan = make_plan(args)
    args.out.mkdir(parents=True, exist_ok=True)
    res = run(plan, args.out)
    table = render_table(res)
    print(table)
    (args.out / "bench.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (args.out / "bench.txt").write_text(table + "\n", encoding="utf-8")
    plot(res, args.out / "bench.png")
    (args.out / "bench.partial.json").unlink(missing_ok=True)
    _log(f"wrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
