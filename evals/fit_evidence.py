"""Fit the evidence model and the answer threshold on the dev halves of several suites.

    python -m evals.fit_evidence --suite evals/suites/gold.jsonl --suite evals/suites/mozilla-en.jsonl

Each suite is run on its own corpus (its header's `corpus`, or `--corpus` in the same order).
For every single-turn dev item, every passage of the item's company is scored on the model's
features (`assistant.search.retrieval.PASSAGE_FEATURES`) and labelled by whether it covers a gold quote;
a logistic regression is fitted on all suites' dev passages together, then the answer threshold
(`AnswerPolicy.min_probability`) is chosen on the same dev items: answer items should clear it
with a passage that quotes gold, not-covered items should not. It prints the values to put in
`EvidenceModel` and `AnswerPolicy`, and the dev figures; `--test` adds the test halves' (read
them only once tuning is over).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals.suite import EvalItem, half_of, load_suite


@dataclass
class ItemData:
    """One item's passages: features, and which ones quote gold."""

    item: EvalItem
    half: str
    features: np.ndarray
    labels: np.ndarray  # 1 where the passage covers a gold quote
    answerable: bool
    texts: tuple[str, ...] = ()  # the passages, for reading what the model got wrong
    group: str = ""  # the corpus it comes from: each corpus weighs the same in the fit


def _covers(a: tuple[int, int], b: tuple[int, int]) -> bool:
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    return overlap > 0 and overlap >= 0.5 * (b[1] - b[0])


def _assistant_for(corpus_dir: Path, work: Path) -> Any:
    """An assistant over `corpus_dir`, its index and database in `work` (built if missing)."""
    from assistant.factory import build_assistant, build_embedder, build_resources
    from assistant.settings import Settings

    settings = Settings(
        corpus_dir=corpus_dir, index_dir=work / "index", database_url=f"sqlite:///{work / 'fit.db'}", rate_limit_per_minute=0
    )
    resources = build_resources(settings, migrate=True)
    embedder = build_embedder(settings)
    resources.index.prepare(embedder, progress=False)
    return build_assistant(settings, embedder, resources)


def collect(suite_path: Path, corpus_dir: Path, work: Path) -> list[ItemData]:
    """Features and labels of every single-turn answer or abstain item of one suite."""
    from assistant.ingest.corpus import load_corpus

    suite = load_suite(suite_path)
    assistant = _assistant_for(corpus_dir, work)
    corpus = load_corpus(corpus_dir)
    out: list[ItemData] = []
    for item in suite.items:
        if len(item.turns) != 1 or item.expected_route not in ("answer", "abstain"):
            continue
        question = item.turns[0]
        company = item.company or assistant.directory.find_in_text(question)
        if item.expected_route == "answer":
            if not item.gold_quotes:
                continue
            golds = [
                (d.doc_id, s, s + len(q))
                for q in item.gold_quotes
                for d in corpus.documents
                if company is None or d.company == company
                for s in _find_all(d.text, q)
            ]
            if company is None and golds:
                company = next(d.company for d in corpus.documents if d.doc_id == golds[0][0])
        else:
            golds = []
        if company is None:
            continue
        found = _item_data(assistant, item, company, golds, corpus_dir.name)
        if found is not None:
            out.append(found)
    return out


def _item_data(assistant: Any, item: EvalItem, company: str, golds: list[tuple[str, int, int]], group: str) -> ItemData | None:
    """One item's passage features, labelled by the gold spans they cover (None: no passage does)."""
    retriever = assistant.retriever
    index = retriever.index
    own = assistant.directory.what_is_asked(item.turns[0])
    qvec = retriever.embed_queries([own])[0]
    rows, features = retriever.passage_features(own, company, qvec)
    labels = np.zeros(len(rows), dtype=np.int64)
    texts = []
    for i, row in enumerate(rows):
        chunk_row, pos = index.span_rows[int(row)]
        chunk = index.chunks[chunk_row]
        span = chunk.spans[pos]
        texts.append(index.documents[chunk.doc_id].text_of(span))
        labels[i] = any(d == chunk.doc_id and _covers((span.start, span.end), (s, e)) for d, s, e in golds)
    answerable = item.expected_route == "answer"
    if answerable and not labels.any():
        return None  # the gold quote is in no passage: nothing to learn from
    return ItemData(item, half_of(item.id), features, labels, answerable, tuple(texts), group)


def collect_squad(squad_path: Path, work: Path) -> list[ItemData]:
    """Features and labels of every question of a SQuAD file (each article one policy, as
    `privacy-assistant eval --squad` builds them; gold spans are the answers' own offsets)."""
    from evals.squad import load_squad, write_corpus

    squad = load_squad(squad_path)
    corpus_dir = work / "corpus"
    corpus_dir.mkdir()
    write_corpus(squad.policies, corpus_dir)
    assistant = _assistant_for(corpus_dir, work)
    docs = {d.company: d.doc_id for d in assistant.retriever.index.documents.values()}
    out: list[ItemData] = []
    for policy in squad.policies:
        for q in policy.questions:
            item = EvalItem(
                id=q.id, company=policy.slug, turns=[q.question], expected_route="answer", gold_quotes=[a.text for a in q.answers]
            )
            golds = [(docs[policy.slug], a.start, a.end) for a in q.answers]
            found = _item_data(assistant, item, policy.slug, golds, squad_path.stem)
            if found is not None:
                out.append(found)
    return out


def _find_all(text: str, quote: str) -> list[int]:
    out, at = [], text.find(quote)
    while at >= 0:
        out.append(at)
        at = text.find(quote, at + 1)
    return out


def fit_listwise(queries: list[tuple[np.ndarray, np.ndarray]], l2: float, weights: list[float] | None = None) -> np.ndarray:
    """Linear weights maximising, over the queries, the softmax probability of the gold
    passages among all of that question's passages (what ranking the best passage first needs);
    `weights` weigh the queries (default: all alike)."""
    from scipy.optimize import minimize

    dims = queries[0][0].shape[1]
    share = np.ones(len(queries)) if weights is None else np.asarray(weights, dtype=np.float64)
    share = share * len(queries) / share.sum()

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for (x, y), weight in zip(queries, share, strict=True):
            z = x @ w
            z = z - z.max()
            p = np.exp(z)
            p /= p.sum()
            gold = y == 1
            pg = p[gold].sum()
            total -= weight * float(np.log(pg + 1e-12))
            # d(-log sum_gold p)/dw = E_p[x] - E_{p | gold}[x]
            grad += weight * (p @ x - (p[gold] @ x[gold]) / (pg + 1e-12))
        return total / len(queries), grad / len(queries)

    result = minimize(loss, np.zeros(dims), jac=True, method="L-BFGS-B")
    return np.asarray(result.x)


def evaluate(data: list[ItemData], weights: np.ndarray, bias: float, threshold: float) -> dict[str, float]:
    """Hit@1 on answerable items and routing of answer/abstain by the threshold."""
    hits = correct = n_ans = 0
    for d in data:
        z = d.features @ weights + bias
        p = 1.0 / (1.0 + np.exp(-z))
        best = int(np.argmax(p))
        if d.answerable:
            n_ans += 1
            hits += int(d.labels[best])
            correct += int(p[best] >= threshold)
        else:
            correct += int(p[best] < threshold)
    return {"hit@1": hits / max(1, n_ans), "route": correct / max(1, len(data)), "items": float(len(data))}


def main(argv: list[str] | None = None) -> int:
    """Fit on the dev halves, print the values and the figures."""
    parser = argparse.ArgumentParser(prog="python -m evals.fit_evidence", description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=Path, action="append", required=True, help="suite file (repeatable)")
    parser.add_argument("--corpus", type=Path, action="append", help="corpus for each --suite, in order (default: header)")
    parser.add_argument(
        "--squad",
        type=Path,
        action="append",
        default=[],
        help="a SQuAD v1.1 file of policy questions (repeatable), e.g. PolicyQA's dev.json",
    )
    parser.add_argument("--l2", type=float, default=0.01, help="L2 penalty on the ranking weights")
    parser.add_argument("--test", action="store_true", help="also report the test halves")
    args = parser.parse_args(argv)
    from sklearn.linear_model import LogisticRegression

    data: list[ItemData] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(args.suite):
            corpus = args.corpus[i] if args.corpus and i < len(args.corpus) else _header_corpus(path)
            work = Path(tmp) / str(i)
            work.mkdir()
            data.extend(collect(path, corpus, work))
            print(f"{path}: {sum(1 for d in data)} items so far", file=sys.stderr)
        for i, path in enumerate(args.squad):
            work = Path(tmp) / f"squad{i}"
            work.mkdir()
            data.extend(collect_squad(path, work))
            print(f"{path}: {sum(1 for d in data)} items so far", file=sys.stderr)
    squad_groups = {path.stem for path in args.squad}
    dev = [d for d in data if d.half == "dev"]
    ranked = [d for d in dev if d.answerable]
    # Each corpus weighs the same, however many questions it has (PolicyQA has ten times ours).
    per_group = {g: sum(1 for d in ranked if d.group == g) for g in {d.group for d in ranked}}
    direction = fit_listwise([(d.features, d.labels) for d in ranked], args.l2, [1.0 / per_group[d.group] for d in ranked])
    # The ranking score becomes a probability by a one-feature logistic fit (what the answer
    # threshold and "strongly covered" read).
    # Calibrated on the hand-made suites only: a SQuAD set labels one span per question, so the
    # other passages that answer it count as wrong and would pull every probability down.
    calibrating = [d for d in ranked if d.group not in squad_groups] or ranked
    scores = np.concatenate([d.features @ direction for d in calibrating])
    labels = np.concatenate([d.labels for d in calibrating])
    calibration = LogisticRegression(max_iter=2000).fit(scores.reshape(-1, 1), labels)
    scale, bias = float(calibration.coef_[0][0]), float(calibration.intercept_[0])
    weights = (direction * scale).astype(np.float32)
    best_t, best_route = 0.5, -1.0
    # The threshold too: every SQuAD question is answerable, so it would only pull it down.
    routed = [d for d in dev if d.group not in squad_groups] or dev
    for t in np.geomspace(0.001, 0.9, 120):
        route = evaluate(routed, weights, bias, float(t))["route"]
        if route > best_route:
            best_t, best_route = float(t), route
    from assistant.search.retrieval import PASSAGE_FEATURES

    print("EvidenceModel(weights=(" + ", ".join(f"{w:.3f}" for w in weights) + f"), bias={bias:.3f})")
    print("  " + ", ".join(f"{n}={w:.2f}" for n, w in zip(PASSAGE_FEATURES, weights, strict=True)))
    print(f"AnswerPolicy(min_probability={best_t:.4f})")
    halves = ["dev", "test"] if args.test else ["dev"]
    for half in halves:
        rows = [d for d in data if d.half == half]
        print(f"{half}: {evaluate(rows, weights, bias, best_t)}")
        for group in sorted({d.group for d in rows}):
            print(f"  {group}: {evaluate([d for d in rows if d.group == group], weights, bias, best_t)}")
    return 0


def _header_corpus(path: Path) -> Path:
    import json

    with path.open(encoding="utf-8") as fh:
        header = json.loads(fh.readline()).get("_suite", {})
    if "corpus" not in header:
        raise SystemExit(f"{path}: the header names no corpus; pass --corpus")
    return Path(header["corpus"])


if __name__ == "__main__":
    raise SystemExit(main())
