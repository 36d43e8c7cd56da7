"""Fit the summary verifier's meaning thresholds on the adversarial suite's dev half and report both halves.

    python -m evals.fit_verifier --suite evals/suites/verifier/adversarial.jsonl

The objective: among thresholds that keep at least 90% of the dev half's supported sentences,
the ones with the best F1 of dropping the unsupported ones. Each group (English over English,
Japanese over Japanese, across languages) has its own thresholds and is fitted on its own
sentences. The test half is measured once, with the fitted values, after the fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from assistant.answering.verify import Measure, Verifier, VerifierPolicy, judge
from assistant.domain import Company
from assistant.ingest.corpus import load_companies
from assistant.models.embedders import Embedder
from evals.suite import REPO_ROOT, SuiteHeader, half_of, read_suite

MIN_KEPT = 0.9  # share of supported sentences the fit must keep
GROUP_FIELDS = {"en": ("en_similarity", "en_lexical"), "ja": ("ja_similarity", "ja_lexical"), "cross": ("cross_similarity",)}


class Candidate(BaseModel):
    """One generated sentence and whether the passages support it."""

    text: str
    supported: bool
    reason: str | None = Field(default=None, description="why it is unsupported: fact, negation, meaning, no_passage")


class AdversarialItem(BaseModel):
    """A question, the passages chosen for it (verbatim, from `source`) and candidate sentences."""

    id: str
    company: str
    source: str = Field(description="the policy file the passages are copied from, relative to the repo root")
    lang: str
    question: str
    passages: dict[str, str]
    sentences: list[Candidate]


def load_adversarial(path: Path) -> tuple[SuiteHeader, list[AdversarialItem]]:
    """Read the adversarial suite: a `_suite` header line, then one item a line."""
    return read_suite(path, AdversarialItem)


def source_path(source: str, root: Path = REPO_ROOT) -> Path:
    """Where a suite's `source` is: beside the repo, or beside the worktree folder it is checked out in."""
    for base in (root, root.parent):
        path = (base / source).resolve()
        if path.exists():
            return path
    return (root / source).resolve()


def suite_companies(items: Iterable[AdversarialItem], root: Path = REPO_ROOT) -> list[Company]:
    """The companies of every corpus the suite's passages come from (their companies.toml)."""
    seen: dict[str, Company] = {}
    for folder in dict.fromkeys(source_path(i.source, root).parent for i in items):
        for company in load_companies(folder):
            seen.setdefault(company.id, company)
    return list(seen.values())


@dataclass(frozen=True)
class Scored:
    """One measured sentence with its label."""

    item: str
    measure: Measure
    supported: bool
    reason: str | None


def measure_suite(verifier: Verifier, items: Sequence[AdversarialItem]) -> list[Scored]:
    """Every candidate sentence of `items`, measured by the verifier."""
    out: list[Scored] = []
    for item in items:
        measures = verifier.measure([s.text for s in item.sentences], item.passages, item.lang, item.company)
        out += [Scored(item.id, m, s.supported, s.reason) for m, s in zip(measures, item.sentences, strict=True)]
    return out


@dataclass(frozen=True)
class Scores:
    """How well dropping separates unsupported from supported sentences."""

    precision: float  # of the dropped, the share that were unsupported
    recall: float  # of the unsupported, the share dropped
    kept_supported: float  # of the supported, the share kept
    dropped: int
    total: int

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall) if self.precision + self.recall else 0.0


def score(scored: Sequence[Scored], policy: VerifierPolicy) -> Scores:
    """Precision and recall of dropping under `policy`."""
    drops = [not judge(s.measure, policy).kept for s in scored]
    true_drops = sum(d and not s.supported for d, s in zip(drops, scored, strict=True))
    unsupported = sum(not s.supported for s in scored)
    supported = len(scored) - unsupported
    kept_supported = sum(not d and s.supported for d, s in zip(drops, scored, strict=True))
    return Scores(
        precision=true_drops / sum(drops) if any(drops) else 1.0,
        recall=true_drops / unsupported if unsupported else 1.0,
        kept_supported=kept_supported / supported if supported else 1.0,
        dropped=sum(drops),
        total=len(scored),
    )


def _candidates(values: Iterable[float]) -> list[float]:
    """Thresholds worth trying: each observed value rounded down to 0.01 (so that value is kept),
    and 0.05 below the lowest (where no threshold separates anything, a new wording a little
    below every dev sentence is still kept)."""
    observed = {int(v * 100) / 100 for v in values}
    return sorted(observed | {max(0.0, round(min(observed) - 0.05, 2))}) if observed else [0.0]


def fit(scored: Sequence[Scored], base: VerifierPolicy | None = None) -> VerifierPolicy:
    """The thresholds, group by group, with the best F1 of dropping among those keeping MIN_KEPT of the supported."""
    policy = base or VerifierPolicy()
    for group, fields in GROUP_FIELDS.items():
        rows = [s for s in scored if s.measure.group == group]
        if not rows:
            continue
        grids = [_candidates(s.measure.similarity for s in rows)]
        if len(fields) > 1:
            grids.append(_candidates(s.measure.lexical or 0.0 for s in rows))
        best: tuple[tuple[float, float, float], VerifierPolicy] | None = None
        for values in itertools.product(*grids):
            trial = dataclasses.replace(policy, **dict(zip(fields, values, strict=True)))
            result = score(rows, trial)
            if result.kept_supported < MIN_KEPT:
                continue
            # Best F1; on a tie the loosest thresholds (the least a new wording can fall below).
            key = (result.f1, -sum(values), -len(values))
            if best is None or key > best[0]:
                best = (key, trial)
        if best is not None:
            policy = best[1]
    return policy


def reason_counts(scored: Sequence[Scored], policy: VerifierPolicy) -> tuple[Counter[str], Counter[str]]:
    """Drops by the verifier's reason, and labelled-unsupported sentences kept, by their label's reason."""
    dropped: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    for s in scored:
        verdict = judge(s.measure, policy)
        if not verdict.kept:
            dropped[f"{verdict.reason} ({'unsupported' if not s.supported else 'SUPPORTED'})"] += 1
        elif not s.supported:
            missed[str(s.reason)] += 1
    return dropped, missed


def build_verifier(items: Sequence[AdversarialItem], embedder: Embedder, multilingual: Embedder) -> Verifier:
    """A verifier over the real encoders and every company the suite's corpora name."""
    return Verifier(embedder, multilingual, suite_companies(items))


def _report(name: str, scored: Sequence[Scored], policy: VerifierPolicy) -> None:
    result = score(scored, policy)
    print(
        f"{name}: {result.total} sentences, dropped {result.dropped}: precision {result.precision:.3f}, "
        f"recall {result.recall:.3f}, F1 {result.f1:.3f}, supported kept {result.kept_supported:.3f}"
    )
    groups = Counter(s.measure.group for s in scored)
    print("  sentences by group: " + ", ".join(f"{k} {v}" for k, v in sorted(groups.items())))
    dropped, missed = reason_counts(scored, policy)
    print("  dropped by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    print("  unsupported kept, by label: " + (", ".join(f"{k} {v}" for k, v in sorted(missed.items())) or "none"))


def main(argv: Sequence[str] | None = None) -> None:
    """Fit on dev, print the fitted policy and dev and test precision and recall of dropping."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=REPO_ROOT / "evals" / "suites" / "verifier" / "adversarial.jsonl")
    parser.add_argument("--dev-only", action="store_true", help="fit and report the dev half only (while changing the verifier)")
    parser.add_argument("--show-errors", action="store_true", help="list the dev half's wrong verdicts")
    args = parser.parse_args(argv)
    from assistant.factory import build_embedder, build_multilingual_embedder
    from assistant.settings import Settings

    settings = Settings()
    _, items = load_adversarial(args.suite)
    verifier = build_verifier(items, build_embedder(settings), build_multilingual_embedder(settings))
    dev = measure_suite(verifier, [i for i in items if half_of(i.id) == "dev"])
    policy = fit(dev)
    print("fitted:", ", ".join(f"{f.name}={getattr(policy, f.name):.2f}" for f in dataclasses.fields(policy)))
    _report("dev", dev, policy)
    if args.show_errors:
        for s in dev:
            verdict = judge(s.measure, policy)
            if verdict.kept != s.supported:
                print(
                    f"  {'KEPT' if verdict.kept else 'DROPPED'} {s.item} ({s.reason}): {s.measure.text} | {verdict.reason} {verdict.detail}"
                    f" sim={s.measure.similarity:.2f} lex={s.measure.lexical}"
                )
    if args.dev_only:
        return
    test = measure_suite(verifier, [i for i in items if half_of(i.id) == "test"])
    _report("test", test, policy)


if __name__ == "__main__":
    main()
