"""Intent detection: question, formal request (with APPI request types), complaint, off-topic.

A small, explainable classifier: logistic regression over the sentence embedding plus a
handful of named wording cues, trained on the labelled examples in `data/` when the index
is built and saved as plain JSON weights. Proxy detection is a rule: the wording is clear.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.files import write_atomically
from assistant.models.embedders import Embedder
from assistant.understand import pleasantries
from assistant.vocabulary import FORMAL_REQUEST_TYPES

INTENTS = ("question", "formal_request", "complaint", "out_of_scope")
REQUEST_TYPES = tuple(FORMAL_REQUEST_TYPES)  # the classifier's output columns, in this order
log = logging.getLogger(__name__)

EXAMPLES_PATH = Path(__file__).parent / "data" / "intent_examples.jsonl"
WEIGHTS_FILE = "intent.json"

# Wording cues shared by both classifiers; each is a named feature so a weight can be read.
_INTENT_CUES: tuple[tuple[str, str], ...] = (
    (
        "starts_like_question",
        r"^\s*(how|what|what's|whats|where|when|which|who|why|is|are|does|do|if|can i|could i|may i|should i|am i|will i"
        r"|(can|could|would|will|should|may|might|must|did|has|have|was|were) "
        r"(it|they|my|our|the|a|an|anyone|someone|people|we|there|this|that))\b",
    ),
    ("ends_with_question_mark", r"\?\s*$"),
    ("polite_imperative", r"\b(please|pls|plz|kindly)\b"),
    (
        "first_person_demand",
        r"\b(i|we)\s+(hereby\s+)?(formally\s+)?(request|demand|want|wish|would like|'d like|need|ask|require|instruct|object)\b",
    ),
    ("asks_you_to_act", r"\b(can|could|would|will)\s+(you|u)\b"),
    ("procedure_words", r"\b(how|procedure|process|steps|fee|fees|documents?|form|where do|can i|is it possible)\b"),
    (
        "grievance_words",
        r"\b(complain|complaint|unacceptable|furious|angry|leak|leaked|breach|outrageous|disappointed|without (my )?consent|illegal)\b",
    ),
)
_TYPE_CUES: tuple[tuple[str, str], ...] = (
    ("purpose", r"\b(purpose|purposes|what (are you|do you) (use|using)|why (do|are) you)\b"),
    ("disclose", r"\b(disclos\w*|copy|copies|access|what (data|information|info)|send me (all|my|a)|show me|hold on me|have on me)\b"),
    ("records", r"\b(records?|logs?|who (you|u) (gave|shared|provided|sent)|which (companies|third)|list of (recipients|third))\b"),
    ("correct", r"\b(correct\w*|wrong|incorrect|outdated|out of date|update|fix|change|amend|typo|misspel\w*|add)\b"),
    ("delete", r"\b(delet\w*|delet|erase|erasure|remove|wipe|purge|forget|destroy|close my account)\b"),
    ("stop_use", r"\b(stop|cease|halt|suspend|no longer|opt out|opt-out|unsubscribe|don't use|do not use)\b"),
    (
        "third_party",
        r"\b(third[- ]part(y|ies)|partners?|share|sharing|shared|provid\w*|sell|selling|give|giving|hand(ing)? over|pass(ing)? on)\b",
    ),
)
_FAMILY = (
    r"(mother|father|mom|mum|dad|son|daughter|child|children|kid|wife|husband|spouse|parent|parents"
    r"|grandmother|grandfather|brother|sister|client|ward)"
)
_PROXY = re.compile(
    r"\b(on behalf of|on (his|her|their) behalf|power of attorney"
    r"|as (a |an |the |his |her |their )?(legal )?(representative|guardian|attorney|agent|proxy|executor)"
    r"|(his|her|their) (legal )?(representative|guardian|attorney|agent|proxy|executor)"
    r"|\b(parent|guardian|counsel|lawyer|attorney|agent|representative|executor)s? (of|for)\b"
    r"|\bauthori[sz]ed (agent|representative)\b|\bmy client\b|\b(we|i) (act|acting) for\b|\brepresents? (mr|ms|mrs|my)\b"
    r"|\bas (my|his|her|their) \w+(?:'s|’s|s)? (parent|guardian|legal guardian|representative)"
    r"|(of|for) my "
    + _FAMILY
    + r"\b|my "
    + _FAMILY
    + r"(?:'s|’s|s)?\s+(data|information|info|personal|account|details|records|name|email))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    intent: str
    request_types: tuple[str, ...] = ()
    proxy: bool = False


@dataclass(frozen=True)
class IntentResult:
    """What a message wants, with the classifier's probabilities for the record."""

    intent: str
    confidence: float
    request_types: tuple[str, ...] = ()
    proxy: bool = False
    probabilities: dict[str, float] = field(default_factory=dict)


class IntentDetector(Protocol):
    """Classifies one message."""

    def detect(self, text: str, vector: np.ndarray | None = None) -> IntentResult:
        """The intent of `text`; `vector`, when the caller has it, is the embedding of what it asks."""
        ...


def _cue_vector(text: str, cues: Sequence[tuple[str, str]]) -> np.ndarray:
    low = text.lower()
    return np.array([1.0 if re.search(p, low) else 0.0 for _, p in cues], dtype=np.float32)


def is_proxy(text: str) -> bool:
    """Whether the message is made for someone else (parent, child, client...)."""
    return bool(_PROXY.search(text))


def load_examples(path: Path = EXAMPLES_PATH) -> list[Example]:
    """Read labelled examples (JSONL: text, intent, request_types, proxy)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out.append(Example(d["text"], d["intent"], tuple(d.get("request_types", ())), bool(d.get("proxy"))))
    return out


def is_held_out(text: str, share: float = 0.2) -> bool:
    """A stable split by hash: the same example is always on the same side."""
    digest = int(hashlib.sha1(text.strip().lower().encode()).hexdigest()[:8], 16)
    return digest / 0xFFFFFFFF < share


@dataclass(frozen=True)
class IntentWeights:
    """Logistic-regression weights, stored as JSON."""

    intent_coef: list[list[float]]
    intent_bias: list[float]
    type_coef: list[list[float]]
    type_bias: list[float]
    cue_scale: float

    def save(self, path: Path) -> None:
        """Write as JSON."""
        path.write_text(json.dumps(self.__dict__), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> IntentWeights:
        """Read from JSON."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def _features(vectors: np.ndarray, texts: Sequence[str], cues: Sequence[tuple[str, str]], scale: float) -> np.ndarray:
    cue_rows = np.vstack([_cue_vector(t, cues) for t in texts]) * scale
    return np.hstack([vectors, cue_rows])


# Small talk that `strip_pleasantries` does not know. Each training example is seen once more
# with one of these around it, so a sentence of chit-chat teaches the classifier nothing about
# intent (the labels stay those of the bare example).
_SMALL_TALK_BEFORE = (
    "I hope this message finds you well.",
    "Sorry if this is a silly question.",
    "I'm a long-time customer.",
    "Hope you're doing well.",
    "I have a quick one for you.",
    "Sorry for the long message.",
)
_SMALL_TALK_AFTER = (
    "Have a nice weekend.",
    "Much obliged.",
    "Take care.",
    "Appreciate your time.",
    "Thanks so much for reading.",
    "Just wondering.",
    "Looking forward to it.",
)


def with_small_talk(
    examples: Sequence[Example], before: Sequence[str] = _SMALL_TALK_BEFORE, after: Sequence[str] = _SMALL_TALK_AFTER
) -> list[Example]:
    """`examples` and, for each, a copy with a sentence of small talk (from `before` or `after`) before or after it."""
    out = list(examples)
    for i, e in enumerate(examples):
        text = f"{before[i // 2 % len(before)]} {e.text}" if i % 2 else f"{e.text} {after[i // 2 % len(after)]}"
        out.append(replace(e, text=text))
    return out


def train_intent_weights(examples: Sequence[Example], embedder: Embedder, cue_scale: float = 0.5) -> IntentWeights:
    """Fit the intent and request-type classifiers on `examples` (and their small-talk copies)."""
    from sklearn.linear_model import LogisticRegression

    examples = with_small_talk(examples)
    texts = [pleasantries.strip_pleasantries(e.text) for e in examples]  # what `detect` sees
    vectors = embedder.embed(texts)
    x = _features(vectors, texts, _INTENT_CUES, cue_scale)
    y = np.array([INTENTS.index(e.intent) for e in examples])
    intent_model = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(x, y)
    requests = [i for i, e in enumerate(examples) if e.intent == "formal_request"]
    xt = _features(vectors[requests], [texts[i] for i in requests], _TYPE_CUES, cue_scale)
    type_coef, type_bias = [], []
    for rtype in REQUEST_TYPES:
        yt = np.array([1 if rtype in examples[i].request_types else 0 for i in requests])
        m = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(xt, yt)
        type_coef.append(m.coef_[0].tolist())
        type_bias.append(float(m.intercept_[0]))
    return IntentWeights(
        intent_coef=intent_model.coef_.tolist(),
        intent_bias=intent_model.intercept_.tolist(),
        type_coef=type_coef,
        type_bias=type_bias,
        cue_scale=cue_scale,
    )


class EmbeddingIntentClassifier:
    """Logistic regression over the sentence embedding and named wording cues."""

    def __init__(self, embedder: Embedder, weights: IntentWeights) -> None:
        self._embedder = embedder
        self._w = weights
        self._intent_coef = np.array(weights.intent_coef, dtype=np.float32)
        self._intent_bias = np.array(weights.intent_bias, dtype=np.float32)
        self._type_coef = np.array(weights.type_coef, dtype=np.float32)
        self._type_bias = np.array(weights.type_bias, dtype=np.float32)

    def detect(self, text: str, vector: np.ndarray | None = None) -> IntentResult:
        """Classify `text` (pass the embedding of its core when the caller already has it).

        Greetings and sign-offs are left out: "Thanks!" after a question is not a request."""
        core = pleasantries.strip_pleasantries(text)
        vec = vector if vector is not None else self._embedder.embed([core])[0]
        x = np.concatenate([vec, _cue_vector(core, _INTENT_CUES) * self._w.cue_scale])
        logits = self._intent_coef @ x + self._intent_bias
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        best = int(np.argmax(probs))
        intent = INTENTS[best]
        types: tuple[str, ...] = ()
        if intent == "formal_request":
            xt = np.concatenate([vec, _cue_vector(core, _TYPE_CUES) * self._w.cue_scale])
            p = 1 / (1 + np.exp(-(self._type_coef @ xt + self._type_bias)))
            chosen = [REQUEST_TYPES[i] for i in np.argsort(-p) if p[i] >= 0.5]
            types = tuple(chosen or [REQUEST_TYPES[int(np.argmax(p))]])
        elif intent == "complaint":
            types = ("complaint",)
        return IntentResult(
            intent=intent,
            confidence=float(probs[best]),
            request_types=types,
            proxy=intent == "formal_request" and is_proxy(text),
            probabilities={name: round(float(probs[i]), 4) for i, name in enumerate(INTENTS)},
        )


def intent_weights_key(embedder_name: str) -> str:
    """What trained weights depend on: the labelled examples, the code that reads them, the model."""
    code = Path(__file__).read_bytes() + Path(pleasantries.__file__).read_bytes()
    digest = hashlib.sha256(EXAMPLES_PATH.read_bytes() + code + embedder_name.encode())
    return digest.hexdigest()[:16]


def build_intent_weights(build_dir: Path, embedder: Embedder, cache_dir: Path | None = None, multilingual: Embedder | None = None) -> None:
    """Index-build step: train on the labelled examples (held-out part excluded) and save; with
    `multilingual`, the Japanese classifier on its examples too (intent_ja.py).

    The weights do not depend on the policies, so with `cache_dir` they are trained once per
    (examples, code, model) and reused by later builds, like the exported model itself."""
    if multilingual is not None:
        from assistant.understand.intent_ja import build_japanese_intent_weights  # it builds on this module

        build_japanese_intent_weights(build_dir, multilingual, cache_dir)
    cached = cache_dir / f"intent-{intent_weights_key(embedder.name)}.json" if cache_dir else None
    examples = [e for e in load_examples() if not is_held_out(e.text)]
    train_once(build_dir / WEIGHTS_FILE, cached, IntentWeights.load, lambda: train_intent_weights(examples, embedder), "intent weights")


class _Saved(Protocol):
    def save(self, path: Path) -> None: ...


def train_once(target: Path, cached: Path | None, load: Callable[[Path], object], train: Callable[[], _Saved], what: str) -> None:
    """Weights into `target`: copied from `cached` when that loads, else trained, saved and cached."""
    if cached is not None and cached.is_file():
        try:
            load(cached)  # a damaged file is retrained, not served
            shutil.copyfile(cached, target)
            return
        except (OSError, ValueError, TypeError) as exc:
            log.warning("retraining %s: %s is unusable (%s)", what, cached, exc)
    train().save(target)
    if cached is not None:
        write_atomically(cached, lambda fh: fh.write(target.read_bytes()))


@dataclass(frozen=True)
class ClassReport:
    """Precision and recall of one class on held-out examples."""

    label: str
    precision: float
    recall: float
    support: int

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        return 2 * self.precision * self.recall / ((self.precision + self.recall) or 1)


def evaluate_intents(detector: IntentDetector, examples: Sequence[Example]) -> list[ClassReport]:
    """Per-class precision/recall of intents, and of request types on formal requests."""
    predicted = [detector.detect(e.text) for e in examples]
    reports = []
    for label in INTENTS:
        tp = sum(1 for e, p in zip(examples, predicted, strict=True) if e.intent == label and p.intent == label)
        fp = sum(1 for e, p in zip(examples, predicted, strict=True) if e.intent != label and p.intent == label)
        fn = sum(1 for e, p in zip(examples, predicted, strict=True) if e.intent == label and p.intent != label)
        reports.append(ClassReport(label, tp / ((tp + fp) or 1), tp / ((tp + fn) or 1), tp + fn))
    requests = [(e, p) for e, p in zip(examples, predicted, strict=True) if e.intent == "formal_request"]
    for label in REQUEST_TYPES:
        tp = sum(1 for e, p in requests if label in e.request_types and label in p.request_types)
        fp = sum(1 for e, p in requests if label not in e.request_types and label in p.request_types)
        fn = sum(1 for e, p in requests if label in e.request_types and label not in p.request_types)
        reports.append(ClassReport(f"type:{label}", tp / ((tp + fp) or 1), tp / ((tp + fn) or 1), tp + fn))
    proxies = [(e, p) for e, p in requests]
    tp = sum(1 for e, p in proxies if e.proxy and p.proxy)
    fp = sum(1 for e, p in proxies if not e.proxy and p.proxy)
    fn = sum(1 for e, p in proxies if e.proxy and not p.proxy)
    reports.append(ClassReport("proxy", tp / ((tp + fp) or 1), tp / ((tp + fn) or 1), tp + fn))
    return reports
