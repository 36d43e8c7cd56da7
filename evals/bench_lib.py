"""Pure helpers of the benchmark: statistics, the synthetic corpus, wrapping embedders.

Nothing here loads a model or times anything by itself, so it is unit-tested quickly
(tests/evals/test_bench.py).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.models.embedders import Embedder, Vectors
from evals.metrics import percentile

METADATA_FILE = "companies.toml"


# -- statistics ------------------------------------------------------------------------------
def summarize(seconds: Sequence[float]) -> dict[str, Any]:
    """Count, mean and p50/p95/p99/max of durations, in milliseconds (None when empty)."""
    if not seconds:
        return {"n": 0, "mean_ms": None, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 3),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
    }


def ratio(ours: float | None, theirs: float | None) -> float | None:
    """ours / theirs, or None when either is missing or theirs is zero."""
    if ours is None or theirs is None or theirs == 0 or math.isnan(ours) or math.isnan(theirs):
        return None
    return round(ours / theirs, 3)


# -- synthetic corpus ------------------------------------------------------------------------
# Japanese text that once sent a redaction pattern backtracking (a run of kanji it was free to
# split): (lead, unit repeated). The tests run each at about 2,000 characters (they once took
# minutes); the bench times it at two lengths to see the time per character stay flat.
REDACT_CASES = (("住所は", "区"), ("", "区" * 30 + "在住"), ("住所は東京都港区", "1-"), ("", "氏名は" + "山" * 30 + "、"))


def redact_input(case: tuple[str, str], chars: int) -> str:
    """One of `REDACT_CASES` at about `chars` characters."""
    lead, unit = case
    return lead + unit * max(1, (chars - len(lead)) // len(unit))


def synthetic_id(replica: int, company_id: str) -> str:
    """The id of replica `replica` of a company, e.g. c0042-upward."""
    return f"c{replica:04d}-{company_id}"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON string escapes (\" \\ \n \t \uXXXX for control characters) are valid TOML.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _copy_name(new_id: str, old_id: str, file_name: str) -> str:
    path = Path(file_name)
    # Keep the "file stem == company id" convention, so doc ids look like the originals'.
    return f"{new_id}{path.suffix}" if path.stem == old_id else f"{new_id}--{path.name}"


def generate_synthetic_corpus(source_dir: Path, target_dir: Path, replicas: int) -> list[str]:
    """Write `replicas` copies of every company in `source_dir` into `target_dir`: byte-identical
    policy files under new ids (c0000-<id> ...), names and aliases suffixed with the replica
    number so that every tenant stays distinguishable, and a generated companies.toml.
    Returns the new company ids (replicas x companies of them)."""
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    entries = tomllib.loads((source_dir / METADATA_FILE).read_text(encoding="utf-8")).get("company", [])
    target_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# Synthetic corpus: {replicas} replica(s) of the {len(entries)} companies in {source_dir}.", ""]
    ids: list[str] = []
    for r in range(replicas):
        for entry in entries:
            old_id = str(entry["id"])
            new_id = synthetic_id(r, old_id)
            tag = f"{r:04d}"
            files = list(entry.get("files") or [f"{old_id}.txt"])
            copies = []
            for name in files:
                copy = _copy_name(new_id, old_id, name)
                shutil.copyfile(source_dir / name, target_dir / copy)
                copies.append(copy)
            new = dict(entry)
            new["id"] = new_id
            new["name"] = f"{entry['name']} {tag}"
            new["short_name"] = f"{entry.get('short_name') or entry['name']} {tag}"
            new["aliases"] = [f"{a} {tag}" for a in entry.get("aliases", [])]
            new["files"] = copies
            lines.append("[[company]]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in new.items())
            lines.append("")
            ids.append(new_id)
    (target_dir / METADATA_FILE).write_text("\n".join(lines), encoding="utf-8")
    return ids


# -- embedders -------------------------------------------------------------------------------
class TimingEmbedder:
    """Counts embedding calls, texts and seconds (and tokenizer seconds) of the wrapped one."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name = inner.name
        self.dimensions = inner.dimensions
        self.max_tokens = inner.max_tokens
        self.calls: list[tuple[int, float]] = []  # (texts, seconds) per embed call
        self.token_seconds = 0.0
        self.token_calls = 0
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` by the wrapped embedder, timed."""
        started = time.perf_counter()
        n = self._inner.count_tokens(text)
        self.token_seconds += time.perf_counter() - started
        self.token_calls += 1
        return n

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed through the wrapped embedder, recording the call."""
        started = time.perf_counter()
        out = self._inner.embed(texts)
        with self._lock:
            self.calls.append((len(texts), time.perf_counter() - started))
        return out

    @property
    def seconds(self) -> float:
        """Total seconds spent inside embed()."""
        return sum(s for _, s in self.calls)

    @property
    def texts(self) -> int:
        """Total texts embedded."""
        return sum(n for n, _ in self.calls)

    def reset(self) -> None:
        """Forget what was recorded."""
        self.calls.clear()
        self.token_seconds = 0.0
        self.token_calls = 0


# -- targets ---------------------------------------------------------------------------------
def verdict(value: float | None, limit: float, op: str) -> str:
    """PASS/FAIL of `value op limit` (op one of <, <=, >=, >); n/a when not measured."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    ok = {"<": value < limit, "<=": value <= limit, ">=": value >= limit, ">": value > limit}[op]
    return "PASS" if ok else "FAIL"


# -- A/B against an older commit -------------------------------------------------------------
def ab_schedule(n: int, round_size: int = 1) -> list[tuple[str, int]]:
    """The order in which two servers, "a" and "b", each get messages 0..n-1: rounds of
    `round_size` messages, each round sent to one server and then to the other, the first
    alternating round by round (a b, b a, a b, ...), so machine noise and any drift over the
    run land on both alike. Returns (server, message index) pairs; each server gets every
    message once, in order."""
    if round_size < 1:
        raise ValueError("round_size must be at least 1")
    out: list[tuple[str, int]] = []
    for r, start in enumerate(range(0, n, round_size)):
        chunk = range(start, min(start + round_size, n))
        for side in ("a", "b") if r % 2 == 0 else ("b", "a"):
            out.extend((side, i) for i in chunk)
    return out


def ab_compare(current: Sequence[float], baseline: Sequence[float], current_errors: int = 0, baseline_errors: int = 0) -> dict[str, Any]:
    """Latency summaries of the current code and the baseline commit (seconds in, ms out) and
    current/baseline ratios of p50 and p95. The ratio is None, with the reason, when a side has
    no measurement or answered errors (a latency of failed requests compares nothing)."""
    out: dict[str, Any] = {
        "current": summarize(current),
        "baseline": summarize(baseline),
        "errors": {"current": current_errors, "baseline": baseline_errors},
    }
    problems = [f"{name} server answered {n} error(s)" for name, n in (("current", current_errors), ("baseline", baseline_errors)) if n]
    problems += [f"no {name} measurement" for name, values in (("current", current), ("baseline", baseline)) if not values]
    if problems:
        out.update(ratio_p50=None, ratio_p95=None, reason="; ".join(problems))
    else:
        out.update(
            ratio_p50=ratio(out["current"]["p50_ms"], out["baseline"]["p50_ms"]),
            ratio_p95=ratio(out["current"]["p95_ms"], out["baseline"]["p95_ms"]),
            reason=None,
        )
    return out


_ACCESS_LOG = re.compile(r'"(GET|POST|HEAD|PUT|PATCH|DELETE|OPTIONS) \S* HTTP/[0-9.]+"')


def one_line(text: object, limit: int = 240) -> str:
    """A reason in one line: the first line of `text`, and its last one when they differ (a
    server's exit message, then the last line of its log), whitespace collapsed, cut to `limit`.
    Access-log lines (the bench's own readiness polls) say nothing and are skipped."""
    lines = [" ".join(line.split()) for line in str(text).splitlines()]
    lines = [line for line in lines if line and not _ACCESS_LOG.search(line)]
    if not lines:
        return "unknown error"
    out = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return out if len(out) <= limit else out[: limit - 3] + "..."


# -- the generative path ----------------------------------------------------------------------
@dataclass(frozen=True)
class GenerativeSample:
    """One question answered twice in a row: quotes only, and with a generated summary above them."""

    lang: str
    extractive_s: float
    generative_s: float
    phrased: bool  # the phraser was asked (an answer with quotes; abstentions and the rest never are)
    kept: bool  # at least one generated sentence survived the verifier
    written: int = 0  # sentences the model wrote
    dropped: tuple[str, ...] = ()  # the verifier's reason for each sentence it dropped
    failure: str | None = None  # why the phraser gave nothing: timeout, error, refusal, empty


def generative_summary(samples: Sequence[GenerativeSample]) -> dict[str, Any]:
    """Latency with and without the summary (seconds in, ms out), the added latency (difference
    and ratio of the p50s and p95s, and the median per-question difference, which pairs each
    question with itself), and what became of the generations."""
    ext = summarize([s.extractive_s for s in samples])
    gen = summarize([s.generative_s for s in samples])

    def added(key: str) -> float | None:
        return None if gen[key] is None or ext[key] is None else round(gen[key] - ext[key], 3)

    n = len(samples)
    phrased = [s for s in samples if s.phrased]
    kept = sum(1 for s in samples if s.kept)
    return {
        "questions": n,
        "by_lang": {
            lang: {
                "n": sum(1 for s in samples if s.lang == lang),
                "extractive": summarize([s.extractive_s for s in samples if s.lang == lang]),
                "generative": summarize([s.generative_s for s in samples if s.lang == lang]),
                "summary_kept": sum(1 for s in samples if s.lang == lang and s.kept),
            }
            for lang in sorted({s.lang for s in samples})
        },
        "extractive": ext,
        "generative": gen,
        "added_p50_ms": added("p50_ms"),
        "added_p95_ms": added("p95_ms"),
        "ratio_p50": ratio(gen["p50_ms"], ext["p50_ms"]),
        "ratio_p95": ratio(gen["p95_ms"], ext["p95_ms"]),
        "paired_added": summarize([s.generative_s - s.extractive_s for s in samples]),
        "phrased": len(phrased),
        "not_phrased": n - len(phrased),
        "summary_kept": kept,
        "summary_kept_share": round(kept / n, 3) if n else None,
        # Sentences were written and the verifier dropped every one ("summary omitted").
        "summary_omitted": sum(1 for s in phrased if not s.kept and s.written),
        "failures": dict(sorted(Counter(s.failure for s in phrased if s.failure).items())),
        "sentences": {
            "written": sum(s.written for s in samples),
            "kept": sum(s.written - len(s.dropped) for s in samples),
            "dropped_by_reason": dict(sorted(Counter(r for s in samples for r in s.dropped).items())),
        },
    }
