"""Lexical search across languages: a question's words read as the policy's own words.

BM25 matches nothing between a Japanese question and an English policy, so across languages
the fused ranking leaned on dense similarity alone. The multilingual encoder places a word and
its translations close together ("発送" beside "delivery", "漏らさ" beside "leakage"), so each
content word of the question is replaced by the nearest words of the policy's own vocabulary
in the other language: no dictionary, nothing written for one policy, and only words the
policy uses can come out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.models.embedders import Embedder
from assistant.search.lexical import content_words, tokenize

# A word's translations: its nearest vocabulary word, and others nearly as near (a verb's
# tenses, a noun's plural), at most this many, and none below the floor (a word with no
# counterpart in the policy, such as a company's name, then adds nothing).
MAX_TRANSLATIONS = 3
MARGIN = 0.08
FLOOR = 0.5
_WORD_CACHE = 8192


@dataclass(frozen=True)
class Vocabulary:
    """The distinct content words of a corpus, their language ('en' | 'ja'), and their unit vectors."""

    words: tuple[str, ...]
    languages: tuple[str, ...]
    vectors: np.ndarray  # (len(words), d), rows of unit length

    @staticmethod
    def collect(texts: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The distinct content words of `texts`, sorted, and the language of each."""
        found: dict[str, str] = {}
        for text in texts:
            for word, language in content_words(text):
                found.setdefault(word, language)
        words = tuple(sorted(found))
        return words, tuple(found[w] for w in words)

    @classmethod
    def of(cls, words: Sequence[str], languages: Sequence[str], vectors: np.ndarray) -> Vocabulary:
        """A vocabulary from words and their embeddings (scaled to unit length here)."""
        array = np.asarray(vectors, dtype=np.float32)
        return cls(tuple(words), tuple(languages), _unit(array if array.ndim == 2 else array.reshape(len(words), -1)))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


class TermBridge:
    """Translates a question's content words into the words one company's policy uses."""

    def __init__(self, vocabulary: Vocabulary, encoder: Embedder, company_terms: Callable[[str], frozenset[str]]) -> None:
        self._vocabulary = vocabulary
        self._encoder = encoder
        self._company_terms = company_terms  # a company's BM25 terms (what a translation must hit)
        self._word_terms = [frozenset(tokenize(w)) for w in vocabulary.words]
        self._rows: dict[tuple[str, str], np.ndarray] = {}
        self._word_vectors: dict[str, np.ndarray] = {}  # recent query words; cleared when it grows
        self._lock = threading.Lock()

    def rows_for(self, company: str, language: str) -> np.ndarray:
        """Vocabulary rows of the words in `language` that `company`'s policy uses."""
        key = (company, language)
        rows = self._rows.get(key)
        if rows is None:
            terms = self._company_terms(company)
            vocab = self._vocabulary
            rows = np.fromiter(
                (i for i, lang in enumerate(vocab.languages) if lang == language and self._word_terms[i] & terms), dtype=np.int64
            )
            with self._lock:
                self._rows[key] = rows
        return rows

    def translate(self, query: str, company: str, language: str) -> str:
        """The words of `company`'s policy in `language` nearest the query's content words in
        another language, space-separated (a query for BM25); "" when there are none."""
        words = [w for w, lang in content_words(query) if lang != language]
        rows = self.rows_for(company, language)
        if not words or not len(rows):
            return ""
        sims = self._vectors(words) @ self._vocabulary.vectors[rows].T
        out: list[str] = []
        for row in sims:
            out.extend(self._vocabulary.words[rows[j]] for j in nearest(row))
        return " ".join(dict.fromkeys(out))

    def _vectors(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of `words`, embedding in one call only those not seen lately."""
        cache = self._word_vectors
        # Read what is cached first: another request may clear the cache at any moment.
        known = {w: v for w in dict.fromkeys(words) if (v := cache.get(w)) is not None}
        missing = [w for w in dict.fromkeys(words) if w not in known]
        if missing:
            fresh = _unit(np.asarray(self._encoder.embed(missing), dtype=np.float32))
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                if len(cache) > _WORD_CACHE:
                    cache.clear()
                cache.update(zip(missing, fresh, strict=True))
        return np.vstack([known[w] for w in words])


def nearest(sims: np.ndarray) -> Sequence[int]:
    """Positions of a word's translations among `sims` (its similarity to each candidate), best first."""
    if not len(sims):
        return []
    order = np.argsort(-sims, kind="stable")[:MAX_TRANSLATIONS]
    best = float(sims[order[0]])
    return [int(j) for j in order if sims[j] >= max(FLOOR, best - MARGIN)]
