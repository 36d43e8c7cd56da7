"""A small BM25 index over chunk texts, with light stemming and domain synonyms.

Kept in-house (about a hundred lines) so that it serialises to plain JSON and can be
restricted to one company's rows without copying. Japanese has no spaces between words: its
runs are read by a morphological analyser (SudachiPy, loaded on the first Japanese text), which
gives each word's base form and part of speech; content words are kept, particles, auxiliaries
and punctuation dropped. Latin-script words are read as before, in Japanese text too.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3040-\u30ff\u4e00-\u9fff]")
_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Kana (not the middle dot and long-vowel mark alone, which English policies use as bullets),
# kanji, and the fullwidth letters and digits Japanese text writes: text with none of them is
# tokenized exactly as before, and the analyser is never loaded for it.
_JAPANESE = re.compile(
    r"[\u3041-\u30fa\u30fd-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uff9f]"
)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "from",
        "at",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "she",
        "they",
        "them",
        "their",
        "his",
        "her",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "not",
        "no",
        "if",
        "then",
        "than",
        "so",
        "such",
        "any",
        "all",
        "each",
        "which",
        "who",
        "whom",
        "what",
        "when",
        "where",
        "why",
        "how",
        "about",
        "into",
        "over",
        "under",
        "also",
        "there",
        "here",
        "up",
        "out",
        "per",
        "via",
        "etc",
        "i.e",
        "e.g",
        "company's",
    ]
)

# Words a customer uses for what a policy says in other words. Each group maps to its first
# member, so the query "cost" and the clause "charge" meet. Only unambiguous legal synonyms.
_SYNONYM_GROUPS = (
    ("fee", "charge", "cost", "price", "pay", "payment", "yen", "free", "expense"),
    ("delete", "deletion", "erase", "erasure", "remove", "removal"),
    ("correct", "correction", "fix", "amend", "rectify", "update", "wrong", "incorrect", "inaccurate"),
    ("disclose", "disclosure"),
    ("collect", "collection", "acquire", "acquisition", "obtain", "gather"),
    ("provide", "provision", "give", "supply", "furnish"),
    ("mail", "post", "postal", "mailing"),
    ("email", "e-mail"),
    ("telephone", "phone", "call"),
    ("proxy", "representative", "attorney", "agent", "behalf", "guardian"),
    ("identity", "identification", "id", "passport", "license", "licence"),
    ("outsource", "outsourcing", "entrust", "entrustment", "contractor", "subcontractor", "vendor"),
    ("share", "shared", "joint", "jointly"),
    ("foreign", "abroad", "overseas", "international"),
    ("cookie", "cookies", "tracking", "tracker"),
    ("complaint", "complain", "grievance"),
    ("security", "safety", "safeguard", "secure"),
    ("purpose", "purposes"),
    ("revise", "revision", "revised", "amendment", "amended"),
    ("anonymized", "anonymised", "anonymous"),
    ("pseudonymized", "pseudonymised", "pseudonymous"),
    ("suspend", "suspension", "stop", "cease", "cessation", "halt"),
)
_SYNONYMS = {word: group[0] for group in _SYNONYM_GROUPS for word in group}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: enough to meet "charged"/"charge", "requests"/"request"."""
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + repl
    return word


def tokenize(text: str) -> list[str]:
    """Lower-case terms with stopwords removed, synonyms folded and suffixes stripped (Japanese: content words' base forms)."""
    return [term for _, term in _raw_terms(text)]


def term_spans(text: str) -> list[tuple[int, int, str]] | None:
    """Each term of `text` with the offsets of the word it comes from (None when lower-casing
    moves offsets, as for a few non-ASCII letters): `tokenize`'s terms, in order."""
    if len(text.lower()) != len(text):
        return None
    return [(s, e, term) for s, e, _, term in _words(text)]


def _raw_terms(text: str) -> list[tuple[str, str]]:
    return [(raw, term) for _, _, raw, term in _words(text)]


def _words(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, the word as written, its term) for every term of the text, in order."""
    low = text.lower()
    if not _JAPANESE.search(text):
        return [(m.start(), m.end(), m.group(), _term_of(m.group())) for m in _TOKEN.finditer(low) if m.group() not in STOPWORDS]
    words = [(m.start(), m.end(), m.group(), _term_of(m.group())) for m in _LATIN_TOKEN.finditer(low) if m.group() not in STOPWORDS]
    words.extend(_japanese_words(text))
    words.sort()
    return words


def latin_only(text: str) -> str:
    """`text` with its Japanese runs blanked out (kana, kanji, fullwidth forms)."""
    return _JAPANESE.sub(" ", text)


def content_words(text: str) -> list[tuple[str, str]]:
    """The distinct content words of `text` as written (lower-cased), each with its language
    ('en' for Latin-script words of three letters or more, 'ja'): what a word-by-word
    translation starts from."""
    out: dict[str, str] = {}
    for m in _LATIN_TOKEN.finditer(text.lower()):
        word = m.group()
        if len(word) >= 3 and word.isalpha() and word not in STOPWORDS:
            out.setdefault(word, "en")
    if _JAPANESE.search(text):
        for _, _, surface, _ in _japanese_words(text):
            if len(surface) >= 2:  # a compound's single kanji (also listed) read alone mean little
                out.setdefault(surface, "ja")
    return list(out.items())


# -- Japanese ---------------------------------------------------------------------------------------
# Parts of speech (UniDic's scheme, which SudachiDict uses) whose words carry content; of these,
# verbs and adjectives that can only lean on another word (する, ある, いる, できる) and the stems
# of auxiliaries are left out, as are particles, auxiliaries, prefixes, suffixes, pronouns,
# adverbs, conjunctions and symbols: grammar, not topic.
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
_DEPENDENT_POS = frozenset({"非自立可能", "助動詞語幹"})
# Formal nouns: nouns by grammar that only nominalise a clause ("…すること", "…のため"), as
# written and as the analyser normalises them.
_JA_STOPWORDS = frozenset(re.findall(r"\S+", "こと 事 もの 物 ため 為 よう 様 ところ 所 とき 時 など 等 ほか 他"))
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# The analyser takes at most 49,149 bytes (three per Japanese character) at once.
_JA_PIECE = 12_000
_ANALYSER_LOCK = threading.Lock()
_dictionary: Any = None
_local = threading.local()  # a tokenizer is not to be shared between threads (the API serves from a pool)


def _analyser() -> Any:
    """This thread's SudachiPy tokenizer (SplitMode.B: 第三者, 個人 情報) over the process's one dictionary, loaded on first use."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        global _dictionary
        with _ANALYSER_LOCK:
            if _dictionary is None:
                from sudachipy import Dictionary

                _dictionary = Dictionary(dict="core")
        from sudachipy import SplitMode

        tokenizer = _local.tokenizer = _dictionary.tokenizer(mode=SplitMode.B)
    return tokenizer


def _japanese_words(text: str) -> list[tuple[int, int, str, str]]:
    """The Japanese content words of `text` (Latin-script words are left to `_LATIN_TOKEN`)."""
    out: list[tuple[int, int, str, str]] = []
    tokenizer = _analyser()
    for base, piece in _pieces(text):
        for m in tokenizer.tokenize(piece):
            surface = m.surface()
            if not _JAPANESE.search(surface):
                continue
            pos = m.part_of_speech()
            if pos[0] not in _CONTENT_POS or pos[1] in _DEPENDENT_POS:
                continue
            term = m.normalized_form().lower()
            if surface in _JA_STOPWORDS or term in _JA_STOPWORDS:
                continue
            if term.isascii():
                term = _term_of(term)  # "Ｃｏｏｋｉｅ" meets "cookie"
            start = base + m.begin()
            out.append((start, base + m.end(), surface, term))
            if len(surface) > 1:
                # Each kanji of a compound as a term too: words of one meaning share their kanji
                # where their forms differ ("送られる" / "送信", "保存" / "保管"). Nested inside the
                # word's offsets, so a passage boundary (never inside a word) still cuts cleanly.
                out.extend((start + k, start + k + 1, ch, ch) for k, ch in enumerate(surface) if _KANJI.match(ch))
    return out


def japanese_morphemes(text: str) -> list[tuple[str, str]]:
    """Each word of Japanese `text` as written, with its part of speech (UniDic's top level:
    名詞, 代名詞, 連体詞, 接続詞, 助詞...): for readers of grammar, not terms."""
    tokenizer = _analyser()
    return [(m.surface(), m.part_of_speech()[0]) for _, piece in _pieces(text) for m in tokenizer.tokenize(piece)]


def japanese_analysis(text: str) -> list[tuple[str, str, str]]:
    """Each word of Japanese `text` as written, with its part of speech (UniDic's top level) and
    its normalised form (ません's ん reads ず): what a reader of polarity needs."""
    tokenizer = _analyser()
    return [(m.surface(), m.part_of_speech()[0], m.normalized_form()) for _, piece in _pieces(text) for m in tokenizer.tokenize(piece)]


def _pieces(text: str) -> Iterable[tuple[int, str]]:
    """The text in pieces the analyser accepts, cut at line or sentence ends where possible."""
    start = 0
    while len(text) - start > _JA_PIECE:
        limit = start + _JA_PIECE
        cut = max(text.rfind("\n", start, limit), text.rfind("。", start, limit)) + 1
        if cut <= start:
            cut = limit
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


@lru_cache(maxsize=65536)
def _term_of(raw: str) -> str:
    stemmed = stem(raw)
    return _SYNONYMS.get(raw) or _SYNONYMS.get(stemmed) or _SYNONYMS.get(stemmed + "e") or stemmed


# Shorter words are left as typed: one edit away from a short word is often another real word.
_MIN_CORRECTED = 6
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
    inserts = [a + c + b for a, b in splits for c in _LETTERS]
    return set(deletes + transposes + replaces + inserts)


@dataclass(frozen=True)
class Bm25Index:
    """Term statistics for BM25 over a fixed list of documents (row i = chunk i)."""

    doc_terms: tuple[dict[str, int], ...]
    doc_lengths: tuple[int, ...]
    idf: dict[str, float]
    avg_length: float
    k1: float = 1.2
    b: float = 0.75
    # Query terms as read (misspellings resolved), by query text: not part of the index.
    _spelled: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> Bm25Index:
        """Compute term counts and idf for the texts."""
        terms = [Counter(tokenize(t)) for t in texts]
        lengths = [sum(c.values()) for c in terms]
        df: Counter[str] = Counter()
        for counts in terms:
            df.update(counts.keys())
        n = max(1, len(texts))
        idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        avg = (sum(lengths) / n) if lengths else 1.0
        return cls(tuple(dict(c) for c in terms), tuple(lengths), idf, avg or 1.0, k1, b)

    def terms(self, query: str) -> frozenset[str]:
        """The query's terms, a misspelt word read as the indexed word one edit away
        ("trainig" as "training"): customers type fast, and a word no policy uses would
        otherwise count only against every passage."""
        found = self._spelled.get(query)
        if found is None:
            found = frozenset(self._known(raw, term) for raw, term in _raw_terms(query))
            if len(self._spelled) < 4096:
                self._spelled[query] = found
        return found

    def _known(self, raw: str, term: str) -> str:
        if term in self.idf or len(raw) < _MIN_CORRECTED or not raw.isalpha() or not raw.isascii():
            return term
        # Of the indexed words one edit away, the one most clauses use (the lowest idf).
        candidates = {t for t in map(_term_of, _edits(raw)) if t in self.idf}
        return min(candidates, key=lambda t: (self.idf[t], t)) if candidates else term

    def scores(self, query: str, rows: Iterable[int]) -> dict[int, float]:
        """BM25 score of the query for each given row (rows without a match are left out)."""
        q_terms = self.terms(query)
        out: dict[int, float] = {}
        for row in rows:
            counts = self.doc_terms[row]
            norm = self.k1 * (1 - self.b + self.b * self.doc_lengths[row] / self.avg_length)
            score = 0.0
            for term in q_terms:
                tf = counts.get(term)
                if tf:
                    score += self.idf.get(term, 0.0) * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                out[row] = score
        return out

    def to_json(self) -> dict[str, object]:
        """A JSON-serialisable form (no pickle)."""
        return {
            "k1": self.k1,
            "b": self.b,
            "avg_length": self.avg_length,
            "idf": self.idf,
            "doc_terms": list(self.doc_terms),
            "doc_lengths": list(self.doc_lengths),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Bm25Index:
        """Inverse of `to_json`."""
        return cls(
            doc_terms=tuple(dict(d) for d in data["doc_terms"]),  # type: ignore[attr-defined]
            doc_lengths=tuple(int(x) for x in data["doc_lengths"]),  # type: ignore[attr-defined]
            idf={str(k): float(v) for k, v in data["idf"].items()},  # type: ignore[attr-defined]
            avg_length=float(data["avg_length"]),  # type: ignore[arg-type]
            k1=float(data["k1"]),  # type: ignore[arg-type]
            b=float(data["b"]),  # type: ignore[arg-type]
        )
