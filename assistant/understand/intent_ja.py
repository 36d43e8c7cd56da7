"""Japanese intent detection: the intents, request types and proxy flag of intent.py, learned
from labelled Japanese examples only (data/intent_examples_ja.jsonl).

Logistic regression over the multilingual sentence embedding and character 1-3-grams, whose
vocabulary is chosen from the training examples by frequency and stored with the weights: no
hand-written Japanese cue, word list or proxy pattern. `ByLanguage` sends a message written in
Japanese here and any other to the English classifier.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.models.embedders import Embedder
from assistant.understand import intent, pleasantries
from assistant.understand.intent import (
    INTENTS,
    REQUEST_TYPES,
    Example,
    IntentDetector,
    IntentResult,
    load_examples,
    train_once,
    with_small_talk,
)
from assistant.understand.language import detect_language

EXAMPLES_PATH = Path(__file__).parent / "data" / "intent_examples_ja.jsonl"
HELDOUT_PATH = Path(__file__).parent / "data" / "intent_heldout_ja.jsonl"  # written apart from the training file
WEIGHTS_FILE = "intent_ja.json"

# Customers' openers and closers around a message in Japanese: each example is trained on once
# more with one of them, so a line of courtesy teaches nothing about intent (the labels stay).
_SMALL_TALK_BEFORE = (
    "お世話になっております。",
    "突然のご連絡失礼いたします。",
    "いつも利用させてもらってます。",
    "はじめまして。",
    "お忙しいところ恐れ入ります。",
    "すみません、",
)
_SMALL_TALK_AFTER = (
    "よろしくお願いいたします。",
    "以上です。",
    "宜しくお願い致します。",
    "お手数をおかけします。",
    "ありがとうございます。",
    "よろしく！",
    "ご対応お願いします。",
)

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The text the character n-grams are read from: NFKC (fullwidth and half-width forms fold), lower case, spaces single."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def char_ngrams(text: str, longest: int = 3) -> set[str]:
    """Every run of 1 to `longest` characters of the normalised text."""
    norm = normalize(text)
    return {norm[i : i + n] for n in range(1, longest + 1) for i in range(len(norm) - n + 1) if norm[i : i + n].strip()}


def choose_vocabulary(texts: Iterable[str], min_count: int = 2, size: int = 3000, longest: int = 3) -> list[str]:
    """The n-grams found in at least `min_count` texts, the `size` most frequent (ties in code-point order)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(char_ngrams(text, longest))
    ranked = sorted((g for g, c in counts.items() if c >= min_count), key=lambda g: (-counts[g], g))
    return sorted(ranked[:size])


@dataclass(frozen=True)
class JapaneseIntentWeights:
    """The n-gram vocabulary and the logistic-regression weights, stored as JSON."""

    model: str  # the embedder the weights were trained on
    dimensions: int
    vocabulary: list[str]
    longest: int
    ngram_scale: float
    intent_coef: list[list[float]]
    intent_bias: list[float]
    type_coef: list[list[float]]
    type_bias: list[float]
    proxy_coef: list[float]
    proxy_bias: float

    def save(self, path: Path) -> None:
        """Write as JSON (weights rounded: six digits change no decision, and the file is a third the size)."""
        data = dict(self.__dict__)
        for key in ("intent_coef", "type_coef"):
            data[key] = [[round(v, 6) for v in row] for row in data[key]]
        data["proxy_coef"] = [round(v, 6) for v in data["proxy_coef"]]
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> JapaneseIntentWeights:
        """Read from JSON."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


class _Featurizer:
    """Embedding and n-gram presence (unit length, scaled) side by side."""

    def __init__(self, vocabulary: Sequence[str], longest: int, scale: float) -> None:
        self._index = {g: i for i, g in enumerate(vocabulary)}
        self._longest = longest
        self._scale = scale

    def ngrams(self, text: str) -> np.ndarray:
        row = np.zeros(len(self._index), dtype=np.float32)
        hits = [self._index[g] for g in char_ngrams(text, self._longest) if g in self._index]
        if hits:
            row[hits] = self._scale / np.sqrt(len(hits))
        return row

    def features(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        return np.hstack([vectors, np.vstack([self.ngrams(t) for t in texts])]) if texts else np.zeros((0, 0), dtype=np.float32)


def train_japanese_intent_weights(
    examples: Sequence[Example],
    embedder: Embedder,
    *,
    c: float = 4.0,
    ngram_scale: float = 1.0,
    vocabulary_size: int = 3000,
    longest: int = 3,
) -> JapaneseIntentWeights:
    """Fit the intent, request-type and proxy classifiers on `examples` (and their small-talk copies)."""
    from sklearn.linear_model import LogisticRegression

    examples = with_small_talk(examples, _SMALL_TALK_BEFORE, _SMALL_TALK_AFTER)
    texts = [pleasantries.strip_pleasantries(e.text) for e in examples]  # what `detect` sees
    vocabulary = choose_vocabulary(texts, size=vocabulary_size, longest=longest)
    featurizer = _Featurizer(vocabulary, longest, ngram_scale)
    x = featurizer.features(embedder.embed(texts), texts).astype(np.float64)

    def fit(rows: np.ndarray, labels: np.ndarray) -> LogisticRegression:
        # Newton-CG: the same optimum as lbfgs, reached in ~5 iterations instead of ~40 (0.4 s, not 5 s, on 3,500 features).
        return LogisticRegression(C=c, max_iter=1000, class_weight="balanced", solver="newton-cg").fit(rows, labels)

    intent_model = fit(x, np.array([INTENTS.index(e.intent) for e in examples]))
    requests = [i for i, e in enumerate(examples) if e.intent == "formal_request"]
    type_models = [fit(x[requests], np.array([rtype in examples[i].request_types for i in requests])) for rtype in REQUEST_TYPES]
    proxy_model = fit(x[requests], np.array([examples[i].proxy for i in requests]))
    return JapaneseIntentWeights(
        model=embedder.name,
        dimensions=embedder.dimensions,
        vocabulary=vocabulary,
        longest=longest,
        ngram_scale=ngram_scale,
        intent_coef=intent_model.coef_.tolist(),
        intent_bias=intent_model.intercept_.tolist(),
        type_coef=[m.coef_[0].tolist() for m in type_models],
        type_bias=[float(m.intercept_[0]) for m in type_models],
        proxy_coef=proxy_model.coef_[0].tolist(),
        proxy_bias=float(proxy_model.intercept_[0]),
    )


class JapaneseIntentClassifier:
    """Logistic regression over the multilingual embedding and learned character n-grams."""

    def __init__(self, embedder: Embedder, weights: JapaneseIntentWeights) -> None:
        if embedder.name != weights.model:
            raise ValueError(f"Japanese intent weights were trained on {weights.model}, not {embedder.name}")
        self._embedder = embedder
        self._featurizer = _Featurizer(weights.vocabulary, weights.longest, weights.ngram_scale)
        self._intent_coef = np.array(weights.intent_coef, dtype=np.float32)
        self._intent_bias = np.array(weights.intent_bias, dtype=np.float32)
        self._type_coef = np.array(weights.type_coef, dtype=np.float32)
        self._type_bias = np.array(weights.type_bias, dtype=np.float32)
        self._proxy_coef = np.array(weights.proxy_coef, dtype=np.float32)
        self._proxy_bias = weights.proxy_bias

    def detect(self, text: str, vector: np.ndarray | None = None) -> IntentResult:
        """Classify `text`; `vector` is used when it is the multilingual embedding of its core.

        A vector of another size (the English encoder's) is no use here: the core is embedded again."""
        core = pleasantries.strip_pleasantries(text)
        if vector is None or vector.shape != (self._embedder.dimensions,):
            vector = self._embedder.embed([core])[0]
        x = np.concatenate([vector, self._featurizer.ngrams(core)])
        logits = self._intent_coef @ x + self._intent_bias
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        best = int(np.argmax(probs))
        intent_name = INTENTS[best]
        types: tuple[str, ...] = ()
        proxy = False
        if intent_name == "formal_request":
            p = 1 / (1 + np.exp(-(self._type_coef @ x + self._type_bias)))
            chosen = [REQUEST_TYPES[i] for i in np.argsort(-p) if p[i] >= 0.5]
            types = tuple(chosen or [REQUEST_TYPES[int(np.argmax(p))]])
            proxy = bool(self._proxy_coef @ x + self._proxy_bias > 0)
        elif intent_name == "complaint":
            types = ("complaint",)
        return IntentResult(
            intent=intent_name,
            confidence=float(probs[best]),
            request_types=types,
            proxy=proxy,
            probabilities={name: round(float(probs[i]), 4) for i, name in enumerate(INTENTS)},
        )


class ByLanguage:
    """A message detected as Japanese goes to the Japanese classifier, any other to the English one."""

    def __init__(self, english: IntentDetector, japanese: IntentDetector, english_dimensions: int, japanese_dimensions: int) -> None:
        self._english = english
        self._japanese = japanese
        self._dimensions = {"en": english_dimensions, "ja": japanese_dimensions}

    def detect(self, text: str, vector: np.ndarray | None = None) -> IntentResult:
        """The intent of `text` from the classifier of its language; `vector` goes along when it is that classifier's size.

        The retriever embeds each message with the encoder of its language, but a vector of the
        other encoder (a language neither classifier reads) is embedded again, not misread."""
        language = "ja" if detect_language(text) == "ja" else "en"
        if vector is not None and vector.shape != (self._dimensions[language],):
            vector = None
        return (self._japanese if language == "ja" else self._english).detect(text, vector=vector)


def japanese_weights_key(embedder_name: str) -> str:
    """What trained weights depend on: the labelled examples, the code that reads them, the model."""
    code = b"".join(Path(m.__file__ or "").read_bytes() for m in (intent, pleasantries)) + Path(__file__).read_bytes()
    digest = hashlib.sha256(EXAMPLES_PATH.read_bytes() + code + embedder_name.encode())
    return digest.hexdigest()[:16]


def build_japanese_intent_weights(build_dir: Path, embedder: Embedder, cache_dir: Path | None = None) -> None:
    """Index-build step: train on every Japanese training example (the held-out file is apart) and save.

    Like the English weights, they are trained once per (examples, code, model) when `cache_dir` is given."""
    cached = cache_dir / f"intent-ja-{japanese_weights_key(embedder.name)}.json" if cache_dir else None
    train_once(
        build_dir / WEIGHTS_FILE,
        cached,
        JapaneseIntentWeights.load,
        lambda: train_japanese_intent_weights(load_examples(EXAMPLES_PATH), embedder),
        "Japanese intent weights",
    )
