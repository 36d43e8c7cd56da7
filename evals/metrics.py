"""Metric functions, kept pure so they can be checked on hand-computed cases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Span = tuple[int, int]


def covers(span: Span, gold: Span, share: float = 0.5) -> bool:
    """A retrieved span hits a gold quote when it covers at least `share` of its characters."""
    overlap = min(span[1], gold[1]) - max(span[0], gold[0])
    return overlap > 0 and overlap >= share * (gold[1] - gold[0])


def relevance(ranking: Sequence[Span], golds: Sequence[Sequence[Span]]) -> list[int]:
    """For each ranked span, the index of the gold quote it newly hits, else -1 (dedup)."""
    found: set[int] = set()
    out = []
    for span in ranking:
        hit = -1
        for g, occurrences in enumerate(golds):
            if g not in found and any(covers(span, occ) for occ in occurrences):
                hit = g
                found.add(g)
                break
        out.append(hit)
    return out


def mean(values: Sequence[float]) -> float:
    """The mean; 0 for no values (a share of nothing scores 0, as the suites' min_scores expect)."""
    return sum(values) / len(values) if values else 0.0


def hit_at(rels: Sequence[int], k: int) -> float:
    """1 if any of the first k spans hits a gold quote."""
    return 1.0 if any(r >= 0 for r in rels[:k]) else 0.0


def recall_at(rels: Sequence[int], n_gold: int, k: int) -> float:
    """Share of gold quotes hit in the first k spans."""
    return sum(1 for r in rels[:k] if r >= 0) / n_gold if n_gold else 0.0


def mrr_at(rels: Sequence[int], k: int) -> float:
    """Reciprocal rank of the first hit within k."""
    for i, r in enumerate(rels[:k]):
        if r >= 0:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(rels: Sequence[int], n_gold: int, k: int) -> float:
    """Binary nDCG@k; the ideal ranking puts min(n_gold, k) hits first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rels[:k]) if r >= 0)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(n_gold, k)))
    return dcg / ideal if ideal else 0.0


def facts_present(answer: str, facts: Sequence[Sequence[str]]) -> bool:
    """Every fact has at least one acceptable phrasing in the answer (case-insensitive)."""
    low = answer.lower()
    return all(any(p.lower() in low for p in fact) for fact in facts)


@dataclass(frozen=True)
class ClassScores:
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


def precision_recall(tp: int, fp: int, fn: int, undefined: float = 0.0) -> tuple[float, float]:
    """Precision and recall from the counts of true positives, false positives and misses;
    `undefined` where a share has nothing to count (nothing predicted, nothing expected)."""
    precision = tp / (tp + fp) if tp + fp else undefined
    recall = tp / (tp + fn) if tp + fn else undefined
    return precision, recall


def per_class(expected: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, ClassScores]:
    """Per-label precision/recall/F1."""
    out = {}
    for label in labels:
        tp = sum(1 for e, p in zip(expected, predicted, strict=True) if e == label and p == label)
        fp = sum(1 for e, p in zip(expected, predicted, strict=True) if e != label and p == label)
        fn = sum(1 for e, p in zip(expected, predicted, strict=True) if e == label and p != label)
        prec, rec = precision_recall(tp, fp, fn)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = ClassScores(prec, rec, f1, tp + fn)
    return out


def confusion(expected: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts of expected (rows) against predicted (columns)."""
    matrix = {e: dict.fromkeys(labels, 0) for e in labels}
    for e, p in zip(expected, predicted, strict=True):
        if e in matrix and p in matrix[e]:
            matrix[e][p] += 1
    return matrix


def abstention_matrix(expected: Sequence[str], predicted: Sequence[str]) -> dict[str, int]:
    """Over items expected to be answer or abstain: correct answer, correct abstention,
    over-refusal (abstained on an answerable item), unsupported answer (answered an
    item that should be abstained on). Other predicted routes count as misses of their kind."""
    out = {"correct_answer": 0, "correct_abstention": 0, "over_refusal": 0, "unsupported_answer": 0}
    for e, p in zip(expected, predicted, strict=True):
        if e == "answer":
            out["correct_answer" if p == "answer" else "over_refusal"] += 1
        elif e == "abstain":
            out["correct_abstention" if p == "abstain" else "unsupported_answer"] += 1
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks (numpy's
    default). No values have no percentile: ValueError, so a report shows a gap, not 0."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    if not values:
        raise ValueError("the percentile of no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_ms(seconds: Sequence[float]) -> dict[str, float | None]:
    """Median and 95th percentile of durations, in ms to one decimal; None where there are none."""
    if not seconds:
        return {"p50": None, "p95": None}
    return {"p50": round(1000 * percentile(seconds, 50), 1), "p95": round(1000 * percentile(seconds, 95), 1)}
