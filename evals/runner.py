"""Runs suites against the assistant (in-process or over HTTP) and computes the metrics."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, get_args

from assistant.answering.phrasing import PhrasingFailure
from assistant.answering.verify import Reason
from assistant.ingest.corpus import Corpus
from assistant.service import Assistant
from assistant.vocabulary import ROUTES
from evals import metrics
from evals.suite import EvalItem, Suite

K = 10
DOC_STRIDE = 10_000_000  # spans of different documents never overlap in the metric functions


@dataclass
class CitationOut:
    """A citation as returned, with checks against the corpus on disk."""

    company: str
    doc_id: str
    section: str
    text: str
    start: int
    end: int
    verbatim: bool
    hits_gold: bool
    display: str = ""  # what the customer reads (markup removed)


@dataclass
class PhrasingOutcome:
    """What generative phrasing did for one reply (in-process with `eval --llm` only)."""

    summary: str | None  # the kept sentences, as the reply carries them
    failure: str | None = None  # why the phraser gave nothing: timeout, error, refusal, empty
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # each sentence written: text, cited, kept, reason, detail


@dataclass
class ItemOutcome:
    """What happened to one item."""

    id: str
    company: str | None
    topic: str
    tags: list[str]
    question: str
    expected_route: str
    route: str
    answer: str
    expected_types: list[str]
    types: list[str]
    facts: list[list[str]]
    facts_ok: bool | None
    citations: list[CitationOut] = field(default_factory=list)
    relevance: list[int] = field(default_factory=list)
    n_gold: int = 0
    isolation_violations: int = 0
    seconds: float = 0.0
    error: str | None = None
    phrasing: PhrasingOutcome | None = None  # None: the reply was not phrased (or the run was not --llm)

    @property
    def route_ok(self) -> bool:
        """Whether the route matches the expected one."""
        return self.route == self.expected_route


Responder = Callable[[str, str | None, str | None], tuple[dict[str, Any], list[tuple[str, int, int]] | None]]


def in_process(assistant: Assistant) -> Responder:
    """A responder that calls the facade and exposes its full ranking."""

    def respond(message: str, company: str | None, session: str | None) -> tuple[dict[str, Any], list[tuple[str, int, int]] | None]:
        reply, trace = assistant.reply_traced(message, company=company, session_id=session)
        data: dict[str, Any] = {
            "session_id": reply.session_id,
            "route": reply.route,
            "answer": reply.answer,
            "citations": [asdict(c) for c in reply.citations],
            "ticket": asdict(reply.ticket) if reply.ticket else None,
            "request_draft": asdict(reply.request_draft) if reply.request_draft else None,
        }
        if trace.summary is not None:
            # The verdicts are the trace's, not the reply's: the HTTP API carries the kept text only.
            data["phrasing"] = PhrasingOutcome(trace.summary.text, trace.summary.failure, [asdict(v) for v in trace.summary.verdicts])
        ranking: list[tuple[str, int, int]] | None = None
        if trace.query is not None:
            # Evidence passages first (they stand in for their clauses), then the other ranked clauses.
            ranking = [(e.chunk.doc_id, e.span.start, e.span.end) for e in trace.evidence]
            used = {e.chunk.id for e in trace.evidence}
            for scored in trace.ranking:
                if scored.chunk.id not in used:
                    ranking.append((scored.chunk.doc_id, scored.chunk.start, scored.chunk.end))
        return data, ranking

    return respond


class ServerUnavailableError(Exception):
    """The --api server cannot be reached, or is not ready to answer."""


def check_server(base_url: str, timeout: float = 5.0) -> None:
    """Raise ServerUnavailableError unless the server at `base_url` answers /readyz with 200."""
    import httpx

    try:
        resp = httpx.get(base_url.rstrip("/") + "/readyz", timeout=timeout)
    except httpx.InvalidURL as exc:
        raise ServerUnavailableError(f"not a valid URL: {base_url} ({exc})") from exc
    except httpx.HTTPError as exc:  # refused, reset, DNS, timeout, unsupported scheme...
        raise ServerUnavailableError(f"cannot connect to {base_url}: {str(exc) or type(exc).__name__}") from exc
    if resp.status_code != 200:
        raise ServerUnavailableError(f"{base_url} is not ready: GET /readyz answered {resp.status_code}")


# Sent with every eval request, so a ticket it opens is marked as an evaluation ticket (channel `eval`);
# formal requests come back as drafts, which evaluations never submit, so none is opened now.
EVAL_HEADERS = {"X-PA-Eval": "1"}


def over_http(base_url: str, timeout: float = 30.0) -> Responder:
    """A responder that posts to a live server's /v1/chat (ranking = citation order), marked as an evaluation."""
    import httpx

    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers=EVAL_HEADERS)

    def respond(message: str, company: str | None, session: str | None) -> tuple[dict[str, Any], list[tuple[str, int, int]] | None]:
        resp = client.post("/v1/chat", json={"message": message, "company": company, "session_id": session})
        resp.raise_for_status()
        return resp.json(), None

    return respond


def _occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    out, start = [], text.find(quote)
    while start >= 0:
        out.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    return out


def run_items(
    items: Sequence[EvalItem],
    respond: Responder,
    corpus: Corpus,
    on_item: Callable[[ItemOutcome], None] | None = None,
) -> list[ItemOutcome]:
    """Run each item in a fresh session and score its last turn (`on_item` sees each outcome, e.g. a progress bar)."""
    docs = {d.doc_id: d for d in corpus.documents}
    base = {doc_id: i * DOC_STRIDE for i, doc_id in enumerate(docs)}
    outcomes = []
    for item in items:
        session: str | None = None
        data: dict[str, Any] = {}
        ranking: list[tuple[str, int, int]] | None = None
        seconds = 0.0
        error = None
        try:
            for turn in item.turns:
                started = time.perf_counter()
                data, ranking = respond(turn, item.company, session)
                seconds = time.perf_counter() - started
                session = data.get("session_id")
        except Exception as exc:  # an evaluation records failures instead of stopping
            error = f"{type(exc).__name__}: {exc}"
        company = item.company or _answered_company(data)
        golds = []
        for quote in item.gold_quotes:
            occ = [
                (base[d.doc_id] + s, base[d.doc_id] + e)
                for d in corpus.documents
                if company is None or d.company == company
                for s, e in _occurrences(d.text, quote)
            ]
            golds.append(occ)
        cites = []
        violations = 0
        for c in data.get("citations", []):
            doc = docs.get(c["doc_id"])
            verbatim = doc is not None and doc.text[c["start"] : c["end"]] == c["text"]
            if company is not None and c["company"] != company:
                violations += 1
            span = (base.get(c["doc_id"], -DOC_STRIDE) + c["start"], base.get(c["doc_id"], -DOC_STRIDE) + c["end"])
            hits = any(metrics.covers(span, g) or metrics.covers(g, span) for occ in golds for g in occ)
            cites.append(
                CitationOut(c["company"], c["doc_id"], c["section"], c["text"], c["start"], c["end"], verbatim, hits, c.get("display", ""))
            )
        if ranking is None:
            spans = [(base.get(c.doc_id, 0) + c.start, base.get(c.doc_id, 0) + c.end) for c in cites]
        else:
            spans = [(base.get(d, 0) + s, base.get(d, 0) + e) for d, s, e in ranking]
        # A formal request comes back as a draft, which an evaluation never submits.
        draft = data.get("request_draft") or {}
        outcomes.append(
            ItemOutcome(
                id=item.id,
                company=company,
                topic=item.topic,
                tags=item.tags,
                question=item.turns[-1],
                expected_route=item.expected_route,
                route=data.get("route", "error"),
                answer=data.get("answer", ""),
                expected_types=item.request_types,
                types=list(draft.get("request_types", [])),
                facts=item.facts,
                facts_ok=metrics.facts_present(data.get("answer", ""), item.facts) if item.facts else None,
                citations=cites,
                relevance=metrics.relevance(spans, golds) if golds else [],
                n_gold=len(golds),
                isolation_violations=violations,
                seconds=seconds,
                error=error,
                phrasing=data.get("phrasing"),
            )
        )
        if on_item is not None:
            on_item(outcomes[-1])
    return outcomes


def _answered_company(data: dict[str, Any]) -> str | None:
    cites = data.get("citations") or []
    return cites[0]["company"] if cites else None


def summarize(outcomes: Sequence[ItemOutcome]) -> dict[str, Any]:
    """All headline metrics of a run."""
    answer_items = [o for o in outcomes if o.expected_route == "answer" and o.n_gold]
    cited_items = [o for o in outcomes if o.expected_route in ("answer", "desk") and o.n_gold and o.route == o.expected_route]
    all_cites = [c for o in outcomes for c in o.citations]
    fact_items = [o for o in outcomes if o.facts_ok is not None]
    desk_items = [o for o in outcomes if o.expected_route == "desk" and o.route == "desk"]

    expected = [o.expected_route for o in outcomes]
    predicted = [o.route for o in outcomes]
    ab = [(o.expected_route, o.route) for o in outcomes if o.expected_route in ("answer", "abstain")]
    seconds_by_route = {route: [o.seconds for o in outcomes if o.route == route] for route in ROUTES}
    return {
        "items": len(outcomes),
        "errors": sum(1 for o in outcomes if o.error),
        "retrieval": {
            "hit@1": metrics.mean([metrics.hit_at(o.relevance, 1) for o in answer_items]),
            "hit@5": metrics.mean([metrics.hit_at(o.relevance, 5) for o in answer_items]),
            "recall@5": metrics.mean([metrics.recall_at(o.relevance, o.n_gold, 5) for o in answer_items]),
            "mrr@10": metrics.mean([metrics.mrr_at(o.relevance, K) for o in answer_items]),
            "ndcg@10": metrics.mean([metrics.ndcg_at(o.relevance, o.n_gold, K) for o in answer_items]),
            "items": len(answer_items),
        },
        "citations": {
            "cites_gold": metrics.mean([1.0 if any(c.hits_gold for c in o.citations) else 0.0 for o in cited_items]),
            "precision": metrics.mean([1.0 if c.hits_gold else 0.0 for o in cited_items for c in o.citations]),
            "quote_fidelity": metrics.mean([1.0 if c.verbatim else 0.0 for c in all_cites]) if all_cites else 1.0,
            "isolation_violations": sum(o.isolation_violations for o in outcomes),
            "items": len(cited_items),
        },
        "answers": {"fact_accuracy": metrics.mean([1.0 if o.facts_ok else 0.0 for o in fact_items]), "items": len(fact_items)},
        "routing": {
            "accuracy": metrics.mean([1.0 if o.route_ok else 0.0 for o in outcomes]),
            "per_route": {k: asdict(v) for k, v in metrics.per_class(expected, predicted, ROUTES).items()},
            "confusion": metrics.confusion(expected, predicted, ROUTES),
            "request_type_accuracy": metrics.mean([1.0 if set(o.types) == set(o.expected_types) else 0.0 for o in desk_items]),
        },
        "abstention": metrics.abstention_matrix([e for e, _ in ab], [p for _, p in ab]),
        # A route no item took has no latency: null, not 0 ms.
        "latency_ms": {route: {**metrics.latency_ms(secs), "n": len(secs)} for route, secs in seconds_by_route.items()},
    }


DROP_REASONS: tuple[str, ...] = get_args(Reason)
PHRASING_FAILURES: tuple[str, ...] = get_args(PhrasingFailure)


def summarize_phrasing(outcomes: Sequence[ItemOutcome]) -> dict[str, Any]:
    """The generated summaries of a run (`eval --llm`): sentences written and the share kept, the share
    dropped by the verifier's reason, the phraser's failures by reason, and fact accuracy of the summary alone."""
    phrased = [o.phrasing for o in outcomes if o.phrasing is not None]
    verdicts = [v for p in phrased for v in p.verdicts]
    n = len(verdicts)
    # Over answer items with required facts: the facts must be in the summary itself (no summary: not stated).
    fact_items = [o for o in outcomes if o.expected_route == "answer" and o.facts]
    stated = [1.0 if o.phrasing and o.phrasing.summary and metrics.facts_present(o.phrasing.summary, o.facts) else 0.0 for o in fact_items]
    return {
        "replies": len(phrased),
        "summaries": sum(1 for p in phrased if p.summary),
        "omitted": sum(1 for p in phrased if p.summary is None and p.verdicts),
        "sentences": n,
        "kept": sum(1 for v in verdicts if v["kept"]) / n if n else None,
        "dropped": {r: (sum(1 for v in verdicts if v["reason"] == r) / n if n else None) for r in DROP_REASONS},
        "failures": {r: sum(1 for p in phrased if p.failure == r) for r in PHRASING_FAILURES},
        "summary_fact_accuracy": metrics.mean(stated),
        "fact_items": len(fact_items),
    }


# Names a suite's `min_scores` may use, and where each lives in the summary.
SCORE_PATHS = {
    "hit@1": ("retrieval", "hit@1"),
    "hit@5": ("retrieval", "hit@5"),
    "recall@5": ("retrieval", "recall@5"),
    "mrr@10": ("retrieval", "mrr@10"),
    "ndcg@10": ("retrieval", "ndcg@10"),
    "cites_gold": ("citations", "cites_gold"),
    "citation_precision": ("citations", "precision"),
    "quote_fidelity": ("citations", "quote_fidelity"),
    "fact_accuracy": ("answers", "fact_accuracy"),
    "route_accuracy": ("routing", "accuracy"),
    "request_type_accuracy": ("routing", "request_type_accuracy"),
}


def check_min_scores(suite: Suite, summary: dict[str, Any]) -> list[str]:
    """Failures of the suite's declared minimum scores (empty when all hold)."""
    failures = []
    for name, minimum in suite.header.min_scores.items():
        if name == "isolation_violations":
            value = summary["citations"]["isolation_violations"]
            if value > minimum:
                failures.append(f"{name} = {value} > {minimum}")
            continue
        if name not in SCORE_PATHS:
            failures.append(f"unknown metric {name!r} in min_scores (known: {', '.join(SCORE_PATHS)})")
            continue
        a, b = SCORE_PATHS[name]
        value = summary[a][b]
        if value < minimum:
            failures.append(f"{name} = {value:.3f} < {minimum}")
    return failures
