"""Precision/recall of the contradiction check and coverage/accuracy of lead-line topics.

Both labelled sets (`evals/data/conflict_pairs.jsonl`, `evals/data/topic_labels.jsonl`) are
split into dev and test halves by a stable hash of the item id; the checks were written
looking at the dev half only. Run: `python -m evals.notices` (add `--errors` to list misses).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.answering.consistency import conflicts
from assistant.answering.topics import describe_topic
from evals.metrics import precision_recall
from evals.suite import half_of as half

DATA = Path(__file__).parent / "data"
CONFLICT_PAIRS = DATA / "conflict_pairs.jsonl"
TOPIC_LABELS = DATA / "topic_labels.jsonl"
ROOT_SUITES = Path(__file__).parent / "suites"


def load(path: Path) -> list[dict]:
    """The JSONL items of one labelled set."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass(frozen=True)
class ConflictScore:
    """The contradiction check on one half of the pair set."""

    pairs: int
    conflicts: int
    precision: float
    recall: float
    false_positives: tuple[str, ...]
    misses: tuple[str, ...]


@dataclass(frozen=True)
class TopicScore:
    """Lead-line topics on one half of the question set."""

    questions: int
    coverage: float  # share of questions that get a topic
    accuracy: float  # share of those topics that are right
    wrong: tuple[str, ...]


def score_conflicts(items: Sequence[dict]) -> ConflictScore:
    """Precision and recall of `conflicts` against the labels."""
    tp = fp = fn = 0
    fps: list[str] = []
    misses: list[str] = []
    for it in items:
        got = conflicts(it["query"], [it["a"], it["b"]])
        if got and it["conflict"]:
            tp += 1
        elif got:
            fp += 1
            fps.append(it["id"])
        elif it["conflict"]:
            fn += 1
            misses.append(it["id"])
    # No conflict flagged is no false alarm, and no conflict labelled none missed: both score 1.
    precision, recall = precision_recall(tp, fp, fn, undefined=1.0)
    return ConflictScore(len(items), tp + fn, precision, recall, tuple(fps), tuple(misses))


def score_topics(items: Sequence[dict]) -> TopicScore:
    """Coverage and accuracy of `describe_topic` against the labels (a None label is right only as None)."""
    labelled = right = 0
    wrong: list[str] = []
    for it in items:
        got = describe_topic(it["question"])
        if got is None:
            continue
        labelled += 1
        if got == it["topic"]:
            right += 1
        else:
            wrong.append(f"{it['id']}: {it['question']!r} -> {got!r} (label {it['topic']!r})")
    coverage = labelled / len(items) if items else 0.0
    accuracy = right / labelled if labelled else 1.0
    return TopicScore(len(items), coverage, accuracy, tuple(wrong))


def main(argv: Sequence[str] | None = None) -> int:
    """Print both reports per half."""
    parser = argparse.ArgumentParser(prog="python -m evals.notices", description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list false positives, misses and wrong topics")
    parser.add_argument("--half", choices=["dev", "test", "both"], default="both")
    args = parser.parse_args(argv)
    halves = ["dev", "test"] if args.half == "both" else [args.half]
    pairs, questions = load(CONFLICT_PAIRS), load(TOPIC_LABELS)
    print("contradiction check (evals/data/conflict_pairs.jsonl)")
    for h in halves:
        c = score_conflicts([it for it in pairs if half(it["id"]) == h])
        print(f"  {h:4}  pairs {c.pairs:3}  conflicts {c.conflicts:3}  precision {c.precision:.3f}  recall {c.recall:.3f}")
        if args.errors:
            print(f"        false positives: {', '.join(c.false_positives) or '-'}; misses: {', '.join(c.misses) or '-'}")
    print("lead-line topics (evals/data/topic_labels.jsonl)")
    for h in halves:
        t = score_topics([it for it in questions if half(it["id"]) == h])
        print(f"  {h:4}  questions {t.questions:3}  coverage {t.coverage:.3f}  accuracy {t.accuracy:.3f}")
        if args.errors:
            for w in t.wrong:
                print(f"        {w}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
