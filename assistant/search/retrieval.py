"""Hybrid retrieval (dense + BM25, reciprocal rank fusion) restricted to one company,
then selection of the sentences inside the top clauses that answer the question."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from assistant.domain import Evidence, ScoredChunk
from assistant.index.builds import LoadedIndex
from assistant.ingest.markup import display_text
from assistant.models.embedders import Embedder
from assistant.search.bridge import TermBridge, Vocabulary
from assistant.search.facts import FactKind, defined_term, defines, fact_kind
from assistant.search.lexical import latin_only, term_spans, tokenize
from assistant.understand.language import detect_language


class Retriever(Protocol):
    """Finds the clauses of one company's policy that bear on a query."""

    @property
    def embedder(self) -> Embedder:
        """The embedder queries go through (a reloaded index reuses it)."""
        ...

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
        asks: str | None = None,
    ) -> list[Evidence]:
        """The passages of `company` that answer the query, best first (never another company's,
        whatever `chunks` holds): at most `max_chunks` of them; `asks` is the text whose kind of
        fact is asked for (default: the query)."""
        ...


@dataclass(frozen=True)
class RetrievalConfig:
    """Tuning knobs of the hybrid retriever (defaults calibrated on the gold suite)."""

    candidates: int = 30  # per ranker, before fusion
    rrf_k: int = 20
    max_evidence: int = 24  # passages returned by select_evidence, best first
    evidence_model: EvidenceModel = field(default_factory=lambda: EvidenceModel())
    # The same features in the multilingual encoder's space (a Japanese question, or a policy in
    # another language than the question) fall on another scale: their own fitted model.
    multilingual_evidence_model: EvidenceModel = field(default_factory=lambda: multilingual_evidence())
    query_cache_size: int = 512  # recent messages' embeddings kept; 0: none (what the bench measures)


EN, ML = "en", "ml"  # the English encoder's space, and the multilingual one's


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

    def __init__(
        self, index: LoadedIndex, embedder: Embedder, config: RetrievalConfig | None = None, multilingual: Embedder | None = None
    ) -> None:
        self._index = index
        self._embedder = embedder
        self._config = config or RetrievalConfig()
        self._query_cache: dict[tuple[str, str], np.ndarray] = {}  # recent messages by (space, text); cleared when it grows
        self._pinned: dict[tuple[str, str], np.ndarray] = {}  # fixed queries, never evicted
        self._vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {EN: (vector_matrix(index.dense), vector_matrix(index.span_dense))}
        self._encoders: dict[str, Embedder] = {EN: embedder}
        if multilingual is not None and index.ml_dense is not None:
            self._vectors[ML] = (vector_matrix(index.ml_dense), vector_matrix(index.ml_span_dense))
            self._encoders[ML] = multilingual
        # Per company, the languages its documents are written in (a bilingual policy has two).
        self._languages: dict[str, set[str]] = {}
        for doc in index.documents.values():
            self._languages.setdefault(doc.company, set()).add(doc.language)
        self._row_masks: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        # Per-sentence facts, filled on first use (a company's sentences are read only once asked).
        self._passages: dict[str, _CompanyPassages] = {}
        self._max_idf = max(index.bm25.idf.values(), default=1.0)
        self._bridge: TermBridge | None = None
        self._company_terms: dict[str, frozenset[str]] = {}
        self._translated: dict[tuple[str, str], str] = {}  # recent (message, company) -> what BM25 reads

    @property
    def embedder(self) -> Embedder:
        """The embedder queries go through (a reloaded index reuses it)."""
        return self._embedder

    @property
    def index(self) -> LoadedIndex:
        """The loaded index this retriever searches."""
        return self._index

    def embed_queries(self, queries: Sequence[str], pin: bool = False) -> np.ndarray:
        """One row per query, embedded in one call (cheaper than one call each) by the encoder of
        its language (Japanese goes through the multilingual one); pinned and recently seen queries
        are not embedded again. `pin` keeps these for good: fixed texts (the procedure look-ups)
        are not a customer's words, so the query cache's size and the bench turning it off do not
        apply to them. The queries of one call must share an encoder (rows of one matrix)."""
        spaces = {self.space_of(q) for q in queries}
        if len(spaces) > 1:
            raise ValueError("embed_queries: queries in different languages go through different encoders; embed them apart")
        return self._embed_in(spaces.pop() if spaces else EN, queries, pin)

    def space_of(self, query: str) -> str:
        """The encoder space a query embeds in by itself: 'ml' for Japanese when there is one, else 'en'."""
        return ML if ML in self._vectors and detect_language(query) == "ja" else EN

    def evidence_space(self, query: str, company: str) -> str:
        """The space `query` is compared with `company`'s passages in: 'ml' (across languages) or 'en'."""
        return self._plan(query, company, None)[0]

    def _embed_in(self, space: str, queries: Sequence[str], pin: bool = False) -> np.ndarray:
        encoder = self._encoders[space]
        known: dict[str, np.ndarray] = {}
        for query in queries:
            vec = self._pinned.get((space, query))
            if vec is None:
                vec = self._query_cache.get((space, query))
            if vec is not None:
                known[query] = vec
        missing = [q for q in dict.fromkeys(queries) if q not in known]
        if missing:
            for query, vec in zip(missing, encoder.embed(missing), strict=True):
                known[query] = vec
                if pin:
                    self._pinned[(space, query)] = vec
                else:
                    self._remember((space, query), vec)
        if not queries:
            return np.zeros((0, encoder.dimensions), dtype=np.float32)
        return np.vstack([known[q] for q in queries])

    def _remember(self, key: tuple[str, str], vec: np.ndarray) -> None:
        size = self._config.query_cache_size
        if size <= 0:
            return
        if len(self._query_cache) >= size:  # a bound, not an LRU: recent messages rarely repeat
            self._query_cache.clear()
        self._query_cache[key] = vec

    def _plan(self, query: str, company: str, vector: np.ndarray | None) -> tuple[str, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """The space to compare `query` with `company`'s passages in, the query's vector there, and
        masks of the company's chunk and span rows to keep (None: all).

        A policy published in both languages answers from the version in the question's language;
        a question in a language no version of the policy is written in compares across
        languages, in the multilingual space."""
        language = "ja" if detect_language(query) == "ja" else "en"
        have = self._languages.get(company, {"en"})
        own = self.space_of(query)
        space = ML if language not in have and ML in self._vectors else own
        # A fixed text (a procedure look-up, pinned in its own space) stays pinned in this one
        # too: every request to a company whose policy is in another language asks it again.
        pinned = (own, query) in self._pinned
        qvec = vector if vector is not None and own == space else self._embed_in(space, [query], pin=pinned)[0]
        return space, qvec, self._rows_in(company, language) if len(have) > 1 and language in have else None

    def _lexical_query(self, query: str, company: str, space: str) -> str:
        """What BM25 reads for `query` against `company`'s policy: across languages, the query
        with its content words' translations into the policy's words (search/bridge.py)."""
        language = "ja" if detect_language(query) == "ja" else "en"
        have = self._languages.get(company, {"en"})
        if space != ML or language in have or self._index.ml_vocabulary_dense is None:
            return query
        key = (query, company)
        found = self._translated.get(key)  # `retrieve` and `select_evidence` both read one message
        if found is None:
            bridge = self._term_bridge()
            extra = " ".join(bridge.translate(query, company, target) for target in sorted(have))
            # The question's own Japanese words would only meet Japanese fragments left in an English
            # policy (a table's column headings); its Latin-script words (names, "Cookie") still count.
            own = latin_only(query) if "ja" not in have else query
            found = f"{own} {extra}".strip()  # nothing at all rather than the Japanese words
            if len(self._translated) >= 512:  # a bound, as for the query cache
                self._translated.clear()
            self._translated[key] = found
        return found

    def _term_bridge(self) -> TermBridge:
        if self._bridge is None:
            words, languages = self._index.ml_vocabulary
            vectors = vector_matrix(self._index.ml_vocabulary_dense)
            self._bridge = TermBridge(Vocabulary(words, languages, vectors), self._encoders[ML], self._terms_of)
        return self._bridge

    def _terms_of(self, company: str) -> frozenset[str]:
        terms = self._company_terms.get(company)
        if terms is None:
            lo, hi = self._index.chunk_ranges.get(company, (0, 0))
            terms = self._company_terms[company] = frozenset(t for r in range(lo, hi) for t in self._index.bm25.doc_terms[r])
        return terms

    def _rows_in(self, company: str, language: str) -> tuple[np.ndarray, np.ndarray]:
        """Masks over the company's chunk rows and span rows: those of its documents in `language`."""
        key = (company, language)
        if key not in self._row_masks:
            clo, chi = self._index.chunk_ranges[company]
            lo, hi = self._index.span_ranges[company]
            docs = self._index.documents
            chunks = self._index.chunks
            keep = np.fromiter((docs[chunks[r].doc_id].language == language for r in range(clo, chi)), dtype=bool, count=chi - clo)
            spans = np.fromiter((keep[self._index.span_rows[r][0] - clo] for r in range(lo, hi)), dtype=bool, count=hi - lo)
            self._row_masks[key] = (keep, spans)
        return self._row_masks[key]

    def retrieve(self, query: str, company: str, k: int = 8, vector: np.ndarray | None = None) -> list[ScoredChunk]:
        """The top-k clauses of `company` only, best first (`vector`: the query's embedding, if known)."""
        bounds = self._index.chunk_ranges.get(company)
        if bounds is None or not query.strip():
            return []
        lo, hi = bounds
        cfg = self._config
        space, qvec, masks = self._plan(query, company, vector)
        n = min(cfg.candidates, hi - lo)
        # Only rows of [lo, hi) are ever scored, so another tenant's clauses cannot come back.
        sims = self._vectors[space][0][lo:hi] @ qvec
        lexical = self._index.bm25.scores(self._lexical_query(query, company, space), range(lo, hi))
        if masks is not None:  # the other language's version of the policy is not a candidate
            sims = np.where(masks[0], sims, -np.inf)
            n = min(n, int(masks[0].sum()))
            lexical = {r: v for r, v in lexical.items() if masks[0][r - lo]}
        dense = {lo + int(i): float(sims[i]) for i in _top_rows(sims, n)}
        fused: dict[int, float] = {}
        for ranking in (sorted(dense, key=lambda r: -dense[r]), sorted(lexical, key=lambda r: -lexical[r])[: cfg.candidates]):
            for rank, row in enumerate(ranking):
                fused[row] = fused.get(row, 0.0) + 1.0 / (cfg.rrf_k + rank + 1)
        rows = sorted(fused, key=lambda r: -fused[r])[:k]
        return [ScoredChunk(self._index.chunks[r], fused[r], dense.get(r, 0.0), lexical.get(r, 0.0)) for r in rows if lo <= r < hi]

    def select_evidence(
        self,
        query: str,
        company: str,
        chunks: Sequence[ScoredChunk],
        max_chunks: int | None = None,
        vector: np.ndarray | None = None,
        asks: str | None = None,
    ) -> list[Evidence]:
        """Every passage of the company scored by the evidence model, best first: the best
        `max_chunks` (default `max_evidence`); `chunks` is accepted for callers that rank clauses first."""
        if company not in self._index.span_ranges or not query.strip():
            return []
        space, qvec, masks = self._plan(query, company, vector)
        rows, features = self._features(query, company, space, qvec, asks)
        if not len(rows):
            return []
        model = self._config.multilingual_evidence_model if space == ML else self._config.evidence_model
        scores = model.probability(features)
        # A heading on its own is never the answer, however like the question it reads: the
        # content under it is (its own passages).
        passages = self._company_passages(company)
        if passages is not None:
            scores = np.where(passages.heading_only, -1.0, scores)
        if masks is not None:  # the other language's version of the policy
            scores = np.where(masks[1], scores, -1.0)
        top = _top_rows(scores, min(max_chunks or self._config.max_evidence, len(rows)))
        evidence = []
        for i in top:
            if scores[i] < 0:
                break
            row = int(rows[i])
            chunk_row, pos = self._index.span_rows[row]
            chunk = self._index.chunks[chunk_row]
            evidence.append(
                Evidence(
                    chunk=chunk,
                    span=chunk.spans[pos],
                    score=float(scores[i]),
                    dense=float(features[i, 0]),
                    lexical=float(features[i, 2]),
                )
            )
        return evidence

    def passage_features(self, query: str, company: str, qvec: np.ndarray, asks: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The span rows of `company` and one row of `PASSAGE_FEATURES` for each (what the
        evidence model scores, and what evals/fit_evidence.py fits it on), in the space
        `select_evidence` compares this query and company in (`qvec`: the query's own embedding)."""
        space, vec, _ = self._plan(query, company, qvec)
        return self._features(query, company, space, vec, asks)

    def _features(self, query: str, company: str, space: str, qvec: np.ndarray, asks: str | None) -> tuple[np.ndarray, np.ndarray]:
        chunk_vectors, span_vectors = self._vectors[space]
        facts = self._company_passages(company)
        if facts is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, len(PASSAGE_FEATURES)), dtype=np.float32)
        lo, hi = facts.span_bounds
        clo, chi = facts.chunk_bounds
        passage_dense = span_vectors[lo:hi] @ qvec
        chunk_sims = chunk_vectors[clo:chi] @ qvec  # once: clause_dense and the fused rank read it
        clause_dense = chunk_sims[facts.chunk_of - clo]
        lexical_query = self._lexical_query(query, company, space)
        q_terms = self._index.bm25.terms(lexical_query)
        idf = self._index.bm25.idf
        # A word no indexed policy uses still counts against the passages (with the highest idf):
        # the question asks for something none of them says in those words. (idf is over every
        # tenant's clauses, so another company's policy can move these weights a little.)
        unseen = self._max_idf
        weights = {t: idf.get(t, unseen) for t in q_terms}
        q_mass = sum(weights.values()) or 1.0
        passage_lexical = np.fromiter(
            (sum(weights[t] for t in q_terms & terms) / q_mass for terms in facts.terms), dtype=np.float32, count=hi - lo
        )
        clause_lexical_by_chunk = np.fromiter(
            (sum(weights[t] for t in q_terms & terms) / q_mass for terms in facts.chunk_terms),
            dtype=np.float32,
            count=chi - clo,
        )
        # The clause ranking's own signals: BM25 (term frequency and length aware) and the
        # reciprocal-rank fusion of dense and BM25 that `retrieve` ranks clauses by.
        n_chunks = chi - clo
        bm25 = np.zeros(n_chunks, dtype=np.float32)
        for row, value in self._index.bm25.scores(lexical_query, range(clo, chi)).items():
            bm25[row - clo] = value
        rrf = np.zeros(n_chunks, dtype=np.float32)
        k = self._config.rrf_k
        rrf[np.argsort(-chunk_sims, kind="stable")] += 1.0 / (k + 1 + np.arange(n_chunks))
        rrf[np.argsort(-bm25, kind="stable")] += np.where(np.sort(bm25)[::-1] > 0, 1.0 / (k + 1 + np.arange(n_chunks)), 0.0)
        clause_bm25 = (bm25 / (bm25.max() or 1.0))[facts.chunk_of - clo]
        clause_rrf = (rrf / (rrf.max() or 1.0))[facts.chunk_of - clo]
        asked_text = query if asks is None else asks
        kind = fact_kind(asked_text)
        term = defined_term(asked_text) if kind is None else None
        if kind is not None:
            states = facts.states(kind)
        elif term is not None:  # a definition is asked for: the passages that give one
            states = np.fromiter((defines(term, t) for t in facts.texts), dtype=np.float32, count=hi - lo)
        else:
            states = np.zeros(hi - lo, dtype=np.float32)
        asked = 1.0 if kind is not None or term is not None else 0.0
        features = np.column_stack(
            [
                passage_dense,
                clause_dense,
                passage_lexical,
                clause_lexical_by_chunk[facts.chunk_of - clo],
                states * asked,
                (1.0 - states) * asked,
                facts.short,
                facts.open_ended,
                facts.title_like,
                clause_bm25,
                clause_rrf,
            ]
        ).astype(np.float32)
        return np.arange(lo, hi), features

    def _company_passages(self, company: str) -> _CompanyPassages | None:
        cached = self._passages.get(company)
        if cached is None:
            span_bounds = self._index.span_ranges.get(company)
            chunk_bounds = self._index.chunk_ranges.get(company)
            if span_bounds is None or chunk_bounds is None:
                return None
            lo, hi = span_bounds
            clo, chi = chunk_bounds
            texts = []
            formats = []
            has_lead = np.zeros(hi - lo, dtype=bool)
            chunk_of = np.zeros(hi - lo, dtype=np.int64)
            for i, row in enumerate(range(lo, hi)):
                chunk_row, pos = self._index.span_rows[row]
                chunk = self._index.chunks[chunk_row]
                span = chunk.spans[pos]
                doc = self._index.documents[chunk.doc_id]
                texts.append(doc.text_of(span))
                formats.append(doc.format)
                has_lead[i] = span.lead_start >= 0
                chunk_of[i] = chunk_row
            # The BM25 index holds each clause's terms already (of the same embed_text).
            chunk_terms = tuple(frozenset(self._index.bm25.doc_terms[r]) for r in range(clo, chi))
            # Every heading of the company's documents, to tell a table of contents from a list.
            headings = {_heading_key(part) for r in range(clo, chi) for part in self._index.chunks[r].section.split(" > ")}
            terms = _passage_terms(self._index, range(lo, hi))
            cached = _CompanyPassages(span_bounds, chunk_bounds, chunk_of, tuple(texts), terms, chunk_terms, has_lead, formats, headings)
            self._passages[company] = cached
        return cached


# What the evidence model reads about a passage, in this order.
PASSAGE_FEATURES = (
    "passage_dense",  # the question against the passage (with its heading and lead)
    "clause_dense",  # ... against the whole clause it belongs to (heading path included)
    "passage_lexical",  # share of the question's term weight (idf) found in the passage
    "clause_lexical",  # ... in the clause and its heading path
    "states_asked_fact",  # the question asks for a kind of fact (an amount, a period, a term's meaning...) and the passage states one
    "lacks_asked_fact",  # it asks for one and the passage states none
    "short",  # under 40 characters: a title or a label more often than an answer
    "open_ended",  # ends with ":" (it introduces what it does not hold)
    "title_like",  # share of its lines that read as titles (few words, no sentence punctuation, or capitals)
    "clause_bm25",  # BM25 of the clause, as a share of the company's best clause
    "clause_rrf",  # the clause's fused dense + BM25 rank score (what `retrieve` ranks by), as a share of the best
)


@dataclass(frozen=True)
class EvidenceModel:
    """A logistic model over `PASSAGE_FEATURES`: the probability that a passage answers.

    Fitted by `python -m evals.fit_evidence` on the dev halves of the gold and Mozilla suites
    together (see evals/README.md); the test halves are what the README reports."""

    weights: tuple[float, ...] = (6.236, 2.419, 2.646, -0.192, 1.439, -1.439, -0.452, -0.926, -0.267, 1.301, 1.107)
    bias: float = -8.874

    def probability(self, features: np.ndarray) -> np.ndarray:
        """One probability per row of features."""
        z = features @ np.asarray(self.weights, dtype=np.float32) + self.bias
        return 1.0 / (1.0 + np.exp(-z))


def multilingual_evidence() -> EvidenceModel:
    """The evidence model for the multilingual space, fitted by `python -m evals.fit_evidence` on
    the dev halves of the suites that compare in it, together: ja (Japanese questions, the five
    English policies), mozilla-ja (Japanese over Japanese) and mozilla-en-over-ja (English over
    Japanese). The fit put the answer threshold lower in this space (0.001 against English's
    0.006); the bias carries the difference, logit(0.006) - logit(0.001) = 1.798, so one
    `AnswerPolicy` serves both spaces and the ranking is unchanged."""
    return EvidenceModel(weights=(7.844, 3.636, 7.954, -8.399, 0.845, -0.845, -1.084, -0.033, -1.975, 3.506, 0.512), bias=-6.876)


class _CompanyPassages:
    """Facts about one company's passages that do not depend on the question (computed once)."""

    def __init__(
        self,
        span_bounds: tuple[int, int],
        chunk_bounds: tuple[int, int],
        chunk_of: np.ndarray,
        texts: tuple[str, ...],
        terms: tuple[frozenset[str], ...],
        chunk_terms: tuple[frozenset[str], ...],
        has_lead: np.ndarray,
        formats: Sequence[str],
        headings: set[str],
    ) -> None:
        self.span_bounds = span_bounds
        self.chunk_bounds = chunk_bounds
        self.chunk_of = chunk_of
        self.texts = texts
        self.terms = terms
        self.chunk_terms = chunk_terms
        self.short = np.fromiter((len(t.strip()) < 40 for t in texts), dtype=np.float32, count=len(texts))
        self.open_ended = np.fromiter((t.rstrip().endswith((":", "：")) for t in texts), dtype=np.float32, count=len(texts))
        self.title_like = np.fromiter((_title_share(t) for t in texts), dtype=np.float32, count=len(texts))
        # Only lines that read as titles can be a table of contents (and markup is costly to strip).
        toc = np.fromiter(
            (
                bool(title >= 1.0 and _lists_headings(display_text(t, f), headings))
                for t, f, title in zip(texts, formats, self.title_like, strict=True)
            ),
            dtype=bool,
            count=len(texts),
        )
        # Only title lines, and not an item under a lead ("SoftBank Corp." under "We share with:")
        # unless each line is a heading of the document (a table of contents under "Contents:").
        self.heading_only = (self.title_like >= 1.0) & (~has_lead | toc)
        self._states: dict[str, np.ndarray] = {}

    def states(self, kind: FactKind) -> np.ndarray:
        """1.0 for each passage that states a fact of this kind."""
        found = self._states.get(kind.name)
        if found is None:
            found = np.fromiter((bool(kind.states.search(t)) for t in self.texts), dtype=np.float32, count=len(self.texts))
            self._states[kind.name] = found
        return found


def _passage_terms(index: LoadedIndex, rows: range) -> tuple[frozenset[str], ...]:
    """The terms of each passage, each clause tokenized once: passages overlap (each runs on
    from a sentence), and tokenizing each one had a fresh company's first reply read its text
    three times over."""
    out: list[frozenset[str]] = []
    by_chunk: dict[int, tuple[list[int], list[int], list[str]] | None] = {}
    for row in rows:
        chunk_row, pos = index.span_rows[row]
        chunk = index.chunks[chunk_row]
        span = chunk.spans[pos]
        if chunk_row not in by_chunk:
            found = term_spans(chunk.text)
            by_chunk[chunk_row] = (
                None
                if found is None
                else ([chunk.start + s for s, _, _ in found], [chunk.start + e for _, e, _ in found], [t for _, _, t in found])
            )
        # A passage that is its clause's whole body (a value under its label: "1) Items of Personal
        # Information Acquired" over "Corporate name, name, address…") reads with its heading.
        context: frozenset[str] = frozenset()
        if chunk.section and span.start <= chunk.start and span.end >= chunk.end:
            context = frozenset(tokenize(chunk.section.rsplit(" > ", 1)[-1]))
        words = by_chunk[chunk_row]
        if words is None:
            out.append(frozenset(tokenize(chunk.text_of(span))) | context)
            continue
        starts, ends, terms = words
        out.append(frozenset(terms[bisect.bisect_left(starts, span.start) : bisect.bisect_right(ends, span.end)]) | context)
    return tuple(out)


def _title_share(text: str) -> float:
    """The share of the passage's lines that read as titles: a table of contents or a heading
    scores 1, a sentence 0."""
    lines = [ln.strip(" •・-*\t") for ln in text.splitlines() if ln.strip(" •・-*\t")]
    if not lines:
        return 0.0
    return sum(1 for ln in lines if _title_like(ln)) / len(lines)


def _heading_key(text: str) -> str:
    return " ".join(text.strip(" •・-*\t.:：").casefold().split())


def _lists_headings(display: str, headings: set[str]) -> bool:
    """Whether every line of the passage names a heading of its document (a table of contents)."""
    keys = [_heading_key(ln) for ln in display.splitlines() if _heading_key(ln)]
    return bool(keys) and all(k in headings for k in keys)


def _title_like(line: str) -> bool:
    if line.isupper():
        return True
    return len(line.split()) <= 8 and not re.search(r"[.!?。:;,、]", line) and not re.search(r"\d|@", line)


_LEAD_IN = re.compile(r"(:|as follows\.?|the following( cases)?\.?|following methods\.?)\s*$", re.IGNORECASE)


def is_lead_in(text: str) -> bool:
    """A line that only introduces what follows, or a bare title in capitals."""
    stripped = text.strip()
    return bool(_LEAD_IN.search(stripped)) or (stripped.isupper() and len(stripped) < 60)
