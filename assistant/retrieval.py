"""Hybrid retrieval (dense + BM25, reciprocal rank fusion) restricted to one company,
then selection of the sentences inside the top clauses that answer the question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from assistant.domain import Chunk, Evidence, ScoredChunk, Span
from assistant.embeddings import Embedder
from assistant.index import LoadedIndex
from assistant.lexical import query_terms, tokenize


class Retriever(Protocol):
    """Finds the clauses of one company's policy that bear on a query."""

    def embed_queries(self, queries: Sequence[str], pin: bool = False) -> np.ndarray:
        """One row per query, embedded in one call (pass rows on to `retrieve`, `select_evidence`);
        `pin` keeps them for good (fixed texts, such as the procedure look-ups)."""
        ...

    def retrieve(self, query: str, company: str, k: int = 8, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        """The top-k clauses of `company` only, best first (`vector`: the query's embedding, if known)."""
        ...

    def select_evidence(
        self,
        query: str,
        company: str,
        chunks: Sequence[ScoredChunk],
        max_chunks: int | None = None,
        vector: np.ndarray | None = None,
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
    query_cache_size: int = 512  # recent messages' embeddings kept; 0: none (what the bench measures)


def vector_matrix(index: Any) -> np.ndarray:
    """The (n, d) vectors of a FAISS index; for a flat index a view of its storage (no copy,
    and memory-mapped when the index was loaded that way)."""
    import faiss

    flat = faiss.downcast_index(index)
    if flat.ntotal == 0:
        return np.zeros((0, flat.d), dtype=np.float32)
    if isinstance(flat, faiss.IndexFlat):
        return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)
    return flat.reconstruct_n(0, flat.ntotal)


def _top_rows(sims: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n largest similarities, best first."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
    return top[np.argsort(-sims[top], kind="stable")]


class HybridRetriever:
    """Dense (exact inner product) and BM25 rankings fused by reciprocal rank, per company.

    Every query is about one company, whose rows are contiguous: searching only that slice
    costs the same with 5 tenants or 1,000, so exact search needs no approximate index."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, config: RetrievalConfig | None = None) -> None:
        self._index = index
        self._embedder = embedder
        self._config = config or RetrievalConfig()
        self._query_cache: dict[str, np.ndarray] = {}  # recent messages; cleared when it grows
        self._pinned: dict[str, np.ndarray] = {}  # fixed queries, never evicted
        self._chunk_vectors = vector_matrix(index.dense)
        self._span_vectors = vector_matrix(index.span_dense)
        # span_rows are ordered by chunk row: the sentences of chunk r are rows [first[r], first[r + 1]).
        chunk_of_span = np.fromiter((r for r, _ in index.span_rows), dtype=np.int64, count=len(index.span_rows))
        self._first_span = np.searchsorted(chunk_of_span, np.arange(len(index.chunks) + 1))
        # Per-sentence facts, filled on first use (a company's sentences are read only once asked).
        self._span_terms: dict[int, frozenset[str]] = {}
        self._lead_in: dict[int, bool] = {}

    @property
    def index(self) -> LoadedIndex:
        """The loaded index this retriever searches."""
        return self._index

    def _row_of(self, chunk: Chunk) -> int:
        row = self._index.chunk_rows.get(chunk.id)
        if row is None:
            raise KeyError(f"chunk {chunk.id} is not in the loaded index")
        return row

    def embed_queries(self, queries: Sequence[str], pin: bool = False) -> np.ndarray:
        """One row per query, embedded in one call (cheaper than one call each); pinned and
        recently seen queries are not embedded again. `pin` keeps these for good: fixed texts
        (the procedure look-ups) are not a customer's words, so the query cache's size and the
        bench turning it off do not apply to them."""
        known: dict[str, np.ndarray] = {}
        for query in queries:
            vec = self._pinned.get(query)
            if vec is None:
                vec = self._query_cache.get(query)
            if vec is not None:
                known[query] = vec
        missing = [q for q in dict.fromkeys(queries) if q not in known]
        if missing:
            for query, vec in zip(missing, self._embedder.embed(missing), strict=True):
                known[query] = vec
                if pin:
                    self._pinned[query] = vec
                else:
                    self._remember(query, vec)
        if not queries:
            return np.zeros((0, self._embedder.dimensions), dtype=np.float32)
        return np.vstack([known[q] for q in queries])

    def _remember(self, text: str, vec: np.ndarray) -> None:
        size = self._config.query_cache_size
        if size <= 0:
            return
        if len(self._query_cache) >= size:  # a bound, not an LRU: recent messages rarely repeat
            self._query_cache.clear()
        self._query_cache[text] = vec

    def _embed(self, query: str) -> np.ndarray:
        return self.embed_queries([query])[0]

    def retrieve(self, query: str, company: str, k: int = 8, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        """The top-k clauses of `company` only, best first (`vector`: the query's embedding, if known)."""
        bounds = self._index.chunk_ranges.get(company)
        if bounds is None or not query.strip():
            return []
        lo, hi = bounds
        cfg = self._config
        qvec = self._embed(query) if vector is None else vector
        n = min(cfg.candidates, hi - lo)
        # Only rows of [lo, hi) are ever scored, so another tenant's clauses cannot come back.
        sims = self._chunk_vectors[lo:hi] @ qvec
        dense = {lo + int(i): float(sims[i]) for i in _top_rows(sims, n)}
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
        self,
        query: str,
        company: str,
        chunks: Sequence[ScoredChunk],
        max_chunks: int | None = None,
        vector: np.ndarray | None = None,
    ) -> list[Evidence]:
        """Score each sentence of the top clauses by meaning, shared words and clause rank."""
        cfg = self._config
        top = list(chunks[: max_chunks or cfg.evidence_chunks])
        if not top:
            return []
        bounds = self._index.span_ranges.get(company)
        if bounds is None:
            return []
        qvec = self._embed(query) if vector is None else vector
        q_terms = query_terms(query)
        idf = self._index.bm25.idf
        q_mass = sum(idf.get(t, 0.0) for t in q_terms) or 1.0
        wanted = {c.chunk.id: i for i, c in enumerate(top)}
        best_fused = top[0].score or 1.0
        lo, hi = bounds
        evidence: list[Evidence] = []
        chunk_rows = sorted({self._row_of(c.chunk) for c in top})
        for chunk_row in chunk_rows:
            first, last = int(self._first_span[chunk_row]), int(self._first_span[chunk_row + 1])
            first, last = max(first, lo), min(last, hi)
            if first >= last:
                continue
            sims = self._span_vectors[first:last] @ qvec
            chunk = self._index.chunks[chunk_row]
            rank = wanted[chunk.id]
            for offset, row in enumerate(range(first, last)):
                span = chunk.spans[self._index.span_rows[row][1]]
                dense = float(sims[offset])
                text = self._index.documents[chunk.doc_id].text[span.start : span.end]
                terms = self._span_terms.get(row)
                if terms is None:
                    terms = self._span_terms[row] = frozenset(tokenize(text))
                lexical = sum(idf.get(t, 0.0) for t in q_terms & terms) / q_mass
                score = (
                    cfg.dense_weight * dense
                    + cfg.lexical_weight * lexical
                    + cfg.rank_weight * top[rank].score / best_fused
                )
                lead_in = self._lead_in.get(row)
                if lead_in is None:
                    lead_in = self._lead_in[row] = is_lead_in(text)
                if lead_in:
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
