"""Hybrid retrieval (dense + BM25, reciprocal rank fusion) restricted to one company,
then selection of the sentences inside the top clauses that answer the question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.domain import Chunk, Evidence, ScoredChunk, Span
from assistant.embeddings import Embedder
from assistant.index import LoadedIndex
from assistant.lexical import tokenize


class Retriever(Protocol):
    """Finds the clauses of one company's policy that bear on a query."""

    def retrieve(self, query: str, company: str, k: int = 8) -> list[ScoredChunk]:
        """The top-k clauses of `company` only, best first."""
        ...

    def select_evidence(
        self, query: str, company: str, chunks: Sequence[ScoredChunk], max_chunks: int | None = None
    ) -> list[Evidence]:
        """The sentences inside the top `max_chunks` of `chunks` that answer the query, best first."""
        ...


@dataclass(frozen=True)
class RetrievalConfig:
    """Tuning knobs of the hybrid retriever (defaults calibrated on the gold suite)."""

    candidates: int = 30  # per ranker, before fusion
    rrf_k: int = 20
    evidence_chunks: int = 6  # clauses whose sentences compete to be cited
    dense_weight: float = 0.6
    lexical_weight: float = 0.25
    rank_weight: float = 0.15
    lead_in_penalty: float = 0.15  # "...as follows:" and titles say nothing on their own


def _range_params(lo: int, hi: int) -> object:
    import faiss

    return faiss.SearchParameters(sel=faiss.IDSelectorRange(lo, hi))  # type: ignore[call-arg]


class HybridRetriever:
    """Dense (FAISS inner product) and BM25 rankings fused by reciprocal rank, per company."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, config: RetrievalConfig | None = None) -> None:
        self._index = index
        self._embedder = embedder
        self._config = config or RetrievalConfig()
        self._query_cache: dict[str, np.ndarray] = {}

    @property
    def index(self) -> LoadedIndex:
        """The loaded index this retriever searches."""
        return self._index

    def embed_query(self, query: str) -> np.ndarray:
        """The query's embedding, cached: intent detection and retrieval share it."""
        return self._embed(query)

    def _embed(self, query: str) -> np.ndarray:
        vec = self._query_cache.get(query)
        if vec is None:
            vec = self._embedder.embed([query])[0]
            if len(self._query_cache) > 512:
                self._query_cache.clear()
            self._query_cache[query] = vec
        return vec

    def retrieve(self, query: str, company: str, k: int = 8) -> list[ScoredChunk]:
        """The top-k clauses of `company` only, best first."""
        bounds = self._index.chunk_ranges.get(company)
        if bounds is None or not query.strip():
            return []
        lo, hi = bounds
        cfg = self._config
        qvec = self._embed(query)
        n = min(cfg.candidates, hi - lo)
        # The company restriction is applied inside the search itself: rows outside
        # [lo, hi) are never scored, so another tenant's clauses cannot come back.
        sims, ids = self._index.dense.search(qvec[None, :], n, params=_range_params(lo, hi))
        dense = {int(i): float(s) for i, s in zip(ids[0], sims[0], strict=True) if i >= 0}
        lexical = self._index.bm25.scores(query, range(lo, hi))
        fused: dict[int, float] = {}
        for ranking in (sorted(dense, key=lambda r: -dense[r]), sorted(lexical, key=lambda r: -lexical[r])[: cfg.candidates]):
            for rank, row in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (cfg.rrf_k + rank + 1)
        rows = sorted(fused, key=lambda r: -fused[r])[:k]
        return [
            ScoredChunk(self._index.chunks[r], fused[r], dense.get(r, 0.0), lexical.get(r, 0.0))
            for r in rows
            if lo <= r < hi
        ]

    def select_evidence(
        self, query: str, company: str, chunks: Sequence[ScoredChunk], max_chunks: int | None = None
    ) -> list[Evidence]:
        """Score each sentence of the top clauses by meaning, shared words and clause rank."""
        cfg = self._config
        top = list(chunks[: max_chunks or cfg.evidence_chunks])
        if not top:
            return []
        bounds = self._index.span_ranges.get(company)
        if bounds is None:
            return []
        qvec = self._embed(query)
        q_terms = set(tokenize(query))
        idf = self._index.bm25.idf
        q_mass = sum(idf.get(t, 0.0) for t in q_terms) or 1.0
        wanted = {c.chunk.id: i for i, c in enumerate(top)}
        best_fused = top[0].score or 1.0
        lo, hi = bounds
        evidence: list[Evidence] = []
        for row in range(lo, hi):
            chunk_row, pos = self._index.span_rows[row]
            chunk = self._index.chunks[chunk_row]
            rank = wanted.get(chunk.id)
            if rank is None:
                continue
            span = chunk.spans[pos]
            vec = self._index.span_dense.reconstruct(row)
            dense = float(np.dot(qvec, vec))
            text = self._index.documents[chunk.doc_id].text[span.start : span.end]
            shared = q_terms & set(tokenize(text))
            lexical = sum(idf.get(t, 0.0) for t in shared) / q_mass
            score = (
                cfg.dense_weight * dense
                + cfg.lexical_weight * lexical
                + cfg.rank_weight * top[rank].score / best_fused
            )
            if is_lead_in(text):
                score -= cfg.lead_in_penalty
            evidence.append(Evidence(chunk=chunk, span=span, score=score, dense=dense, lexical=lexical))
        evidence.sort(key=lambda e: -e.score)
        return evidence


_LEAD_IN = re.compile(r"(:|as follows\.?|the following( cases)?\.?|following methods\.?)\s*$", re.IGNORECASE)


def is_lead_in(text: str) -> bool:
    """A line that only introduces what follows, or a bare title in capitals."""
    stripped = text.strip()
    return bool(_LEAD_IN.search(stripped)) or (stripped.isupper() and len(stripped) < 60)


def span_text(index: LoadedIndex, chunk: Chunk, span: Span) -> str:
    """The verbatim policy text of a span."""
    return index.documents[chunk.doc_id].text[span.start : span.end]
