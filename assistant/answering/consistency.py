"""Whether quoted passages contradict each other: incompatible values for the same point.

Only generic fact shapes are recognised, so the check carries over to any policy:

* **fees**: a passage that says a fee is charged (an amount, "a fee ... will be charged") against
  one that says no fee is charged ("free of charge", "we do not charge a fee"), or two different
  amounts in the same currency;
* **durations**: two different periods ("within 2 weeks" / "within 30 days") stated in clauses
  about the same thing (most of their content words shared);
* **polarity**: "we do not V X" against "we V X" for the same predicate V (or a close synonym:
  provide/share/disclose) and an object X that the affirmative clause covers. A denial with a
  qualifier ("without your consent", "unless", "except") only conflicts with an affirmation
  carrying the same qualifier, and a negation inside a condition ("if you do not ...") asserts
  nothing.

Passages that merely share words, or that speak of different aspects of one topic, are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.search.lexical import STOPWORDS

_MARKUP = (
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # [text](target) -> text
    (re.compile(r"\{:[^}]*\}"), " "),
    (re.compile(r"<[^>]+>"), " "),
    (re.compile(r"\*\*|__|`|^#+\s*", re.MULTILINE), ""),
)
_TOKEN = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;:])\s+|;\s*|,?\s+\bbut\b\s+|,\s*however,\s*")
# The retrieval stopwords, with negation kept (a fee / no fee is the conflict this looks for) and a
# few possessives and prepositions kept as well; quantifiers that do not change a stated value
# ("more", "only", "certain") added.
_STOP = (STOPWORDS - {"no", "not", "under", "mine", "ours", "yours", "company's", "e.g", "i.e"}) | frozenset(
    ["certain", "either", "further", "just", "more", "most", "neither", "one", "only", "other", "others", "own", "some", "us", "very"]
)
_NEGATORS = frozenset(["not", "never", "cannot", "no"])
# Words skipped between a negator and the predicate it negates ("do not and will not, at any time, request").
_SKIP = _STOP | frozenset(["able", "any", "time", "ever", "always", "currently", "necessarily", "generally"])
# After these a word is a noun or a negated verb, not an affirmed predicate.
_NOT_A_VERB_AFTER = frozenset(["the", "of", "our", "your", "its", "their", "this", "that", "my", "his", "her", "without"])
# Conditions whose antecedent asserts nothing: "If you do not provide ..., you may ...".
_CONDITIONAL = frozenset(["if", "when", "where", "unless", "should", "whenever", "once", "in case", "in the event"])
# A denial with one of these is a rule with exceptions, not a flat "no".
_QUALIFIERS = frozenset(["without", "unless", "except", "until", "excluding"])
# Close synonyms among the verbs of handing data on; other predicates must match by stem.
_VERB_GROUPS = (
    ("provide", "share", "disclose", "give", "transfer", "release", "hand"),
    ("store", "keep", "retain", "maintain", "hold"),
    ("delete", "erase", "remove"),
    ("entrust", "outsource", "subcontract"),
)

_FEE_WORD = r"(?:fees?|charges?|costs?|prices?)"
_NO_FEE = re.compile(
    r"\bfree of charge\b|\bfor free\b|\bat no (?:cost|charge)\b|\bno (?:fee|charge|cost)s?\b"
    r"|\bwithout (?:any )?(?:fee|charge|cost)s?\b"
    r"|\b(?:not|never|n't)\s+(?:\w+\s+){0,2}?(?:charg(?:e|ed|es|ing)\b|(?:claim|collect|require)\w*\s+(?:any|a|the)\s+" + _FEE_WORD + r")",
    re.IGNORECASE,
)
_FEE = re.compile(
    r"\b" + _FEE_WORD + r"\b[^.;]{0,100}?\b(?:will|shall|may|is|are|must)\s+(?:be\s+)?(?:charged|payable|collected|paid)\b"
    r"|\bcharg(?:e|es|ed)\s+(?:a|an|the)\s+" + _FEE_WORD + r"\b"
    r"|\b(?:claim|collect)\w*\s+(?:a|an|the)\s+" + _FEE_WORD + r"\b"
    r"|\b" + _FEE_WORD + r"\s+of\s+(?:[¥$€£]|\d)",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"(?P<sym>[¥$€£])\s?(?P<v1>\d[\d,]*(?:\.\d+)?)"
    r"|(?P<v2>\d[\d,]*(?:\.\d+)?)\s?(?P<cur>yen|jpy|usd|dollars?|euros?|eur|gbp|pounds?)\b",
    re.IGNORECASE,
)
_CURRENCY = {"¥": "jpy", "yen": "jpy", "jpy": "jpy", "$": "usd", "usd": "usd", "dollar": "usd", "dollars": "usd"}
_CURRENCY |= {"€": "eur", "eur": "eur", "euro": "eur", "euros": "eur", "£": "gbp", "gbp": "gbp", "pound": "gbp"}
_CURRENCY |= {"pounds": "gbp"}
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90, "twenty-four": 24, "seventy-two": 72}
_DURATION = re.compile(
    r"\b(?P<n>\d+|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?:\s*\(\d+\))?"
    r"\s*(?:-\s*)?(?P<unit>business days?|working days?|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_UNIT_DAYS = {"hour": 1 / 24, "day": 1.0, "business day": 1.4, "working day": 1.4, "week": 7.0, "month": 30.0}
_UNIT_DAYS["year"] = 365.0
_TIME_WORDS = frozenset(["hour", "day", "week", "month", "year", "business", "working", "within", "period"])


@dataclass(frozen=True)
class Conflict:
    """Two passages (by position) that state incompatible values, and the kind of fact."""

    first: int
    second: int
    kind: str  # "fee", "amount", "duration" or "polarity"


def conflicts(query: str, passages: Sequence[str]) -> bool:
    """True when two of the passages give incompatible values for the same point."""
    return conflicting_pair(query, passages) is not None


def conflicting_pair(query: str, passages: Sequence[str]) -> Conflict | None:
    """The first pair of passages that contradict each other, if any.

    The query is not needed to decide: a contradiction between quoted passages is worth
    flagging whatever was asked; it is accepted so callers can pass what they have."""
    facts = [_facts(p) for p in passages]
    for i in range(len(facts)):
        for j in range(i + 1, len(facts)):
            kind = _contradiction(facts[i], facts[j])
            if kind:
                return Conflict(i, j, kind)
    return None


@dataclass(frozen=True)
class _Denial:
    predicates: frozenset[str]  # verb groups or stems
    obj: frozenset[str]
    qualifiers: frozenset[str]
    subject: frozenset[str]  # explicit subject words ("the proxy server"); empty for we/it/you


@dataclass(frozen=True)
class _Affirmation:
    predicate: str
    context: frozenset[str]
    qualifiers: frozenset[str]
    subject: frozenset[str]


@dataclass(frozen=True)
class _Facts:
    fee: bool
    no_fee: bool
    amounts: frozenset[tuple[str, float]]
    durations: tuple[tuple[float, frozenset[str]], ...]
    denials: tuple[_Denial, ...]
    affirmations: tuple[_Affirmation, ...]


def _contradiction(a: _Facts, b: _Facts) -> str | None:
    if (a.fee and b.no_fee) or (b.fee and a.no_fee):
        return "fee"
    if _amounts_differ(a.amounts, b.amounts):
        return "amount"
    for days_a, subj_a in a.durations:
        for days_b, subj_b in b.durations:
            if abs(days_a - days_b) > 1e-6 and _same_subject(subj_a, subj_b):
                return "duration"
    if _denied(a, b) or _denied(b, a):
        return "polarity"
    return None


def _amounts_differ(a: frozenset[tuple[str, float]], b: frozenset[tuple[str, float]]) -> bool:
    return any({v for c, v in a if c == cur}.isdisjoint({v for c, v in b if c == cur}) for cur in {c for c, _ in a} & {c for c, _ in b})


def _same_subject(a: frozenset[str], b: frozenset[str]) -> bool:
    """Clauses about the same thing share most of their content words."""
    if not a or not b:
        return False
    shared = len(a & b)
    return (shared >= 3 and shared / len(a | b) >= 0.3) or (shared >= 1 and shared / len(a | b) >= 0.6)


def _denied(neg: _Facts, pos: _Facts) -> bool:
    """`neg` denies what `pos` affirms: same predicate, the object covered, the same qualifiers."""
    for d in neg.denials:
        if not d.obj:
            continue
        for a in pos.affirmations:
            if a.predicate not in d.predicates or not d.qualifiers <= a.qualifiers:
                continue
            if d.subject and a.subject and d.subject.isdisjoint(a.subject):
                continue  # "the proxy server does not collect" vs "Mozilla collects"
            if len(d.obj) == 1 and not (d.subject & a.subject):
                continue  # one shared word is too little unless the subject is the same too
            if len(d.obj & a.context) / len(d.obj) >= 0.7:
                return True
    return False


@lru_cache(maxsize=1024)
def _facts(passage: str) -> _Facts:
    text = _clean(passage)
    clauses = [c for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]
    fee = no_fee = False
    amounts: set[tuple[str, float]] = set()
    durations: list[tuple[float, frozenset[str]]] = []
    denials: list[_Denial] = []
    affirmations: list[_Affirmation] = []
    for clause in clauses:
        if _NO_FEE.search(clause):
            no_fee = True
        elif _FEE.search(clause):
            fee = True
        for m in _AMOUNT.finditer(clause):
            cur = _CURRENCY[(m.group("sym") or m.group("cur")).lower()]
            amounts.add((cur, float((m.group("v1") or m.group("v2")).replace(",", ""))))
        durations.extend(_durations(clause))
        d, a = _polarity(clause)
        denials.extend(d)
        affirmations.extend(a)
    return _Facts(fee, no_fee, frozenset(amounts), tuple(durations), tuple(denials), tuple(affirmations))


def _clean(text: str) -> str:
    for pattern, repl in _MARKUP:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2018", "'")).strip()


def _durations(clause: str) -> list[tuple[float, frozenset[str]]]:
    # A parenthesis is its own clause for this purpose: "within 30 days (... 90 days for X)".
    out = []
    clause = re.sub(r"\s*\(\d+\)", "", clause)  # "thirty (30) days" is one period, not two clauses
    for part in re.split(r"[()]", clause):
        found = list(_DURATION.finditer(part))
        if not found:
            continue
        subject = frozenset(t for t in _content(part) if t not in _TIME_WORDS and not t.isdigit())
        subject = frozenset(t for t in subject if t not in _NUMBER_WORDS)
        for m in found:
            n = m.group("n").lower()
            value = float(n) if n.isdigit() else float(_NUMBER_WORDS[n])
            unit = m.group("unit").lower().rstrip("s")
            out.append((value * _UNIT_DAYS[unit], subject))
    return out


def _polarity(clause: str) -> tuple[list[_Denial], list[_Affirmation]]:
    low = clause.lower()
    found = list(_TOKEN.finditer(low))
    tokens = [m.group() for m in found]
    quals = frozenset(t for t in tokens if t in _QUALIFIERS)
    antecedent_end = _antecedent_end(low, tokens)

    def subject(i: int) -> frozenset[str]:
        start = found[i].start()
        head = low[low.rfind(",", 0, start) + 1 : start]
        words = _TOKEN.findall(head)
        pronoun = any(w in ("we", "you", "it", "they", "i", "he", "she") for w in words)
        if words and words[0] in ("and", "or", "nor", "but") and not pronoun and not _content(head):
            head = low[:start]  # ", and does not collect": the clause's own subject
            return frozenset(_content(head)[:3])
        return frozenset(_content(head)[-3:])

    denials: list[_Denial] = []
    negated: set[int] = set()
    for i, tok in enumerate(tokens):
        if not _is_negator(tok) or i < antecedent_end:
            continue
        preds, after = _predicates(tokens, i)
        if not preds:
            continue
        negated.update(range(i, after))
        if tok == "no":  # "No logs of X are maintained": the object comes before the verb
            obj = frozenset(_content(" ".join(tokens[i + 1 : _be_index(tokens, i)])))
        else:
            rest = tokens[after:]
            rest = rest[: next((k for k, t in enumerate(rest) if _is_negator(t)), len(rest))]
            obj = frozenset(_content(" ".join(rest))[:6])
            if not obj:  # "X is not voluntary": what is denied is said of the subject
                obj = frozenset(_content(" ".join(tokens[:i]))[-6:])
        denials.append(_Denial(frozenset(_group(p) for p in preds), obj, quals, subject(i)))
    affirmations = []
    for i, tok in enumerate(tokens):
        if i in negated or tok in _STOP or any(_is_negator(t) for t in tokens[max(0, i - 4) : i]):
            continue
        if i and tokens[i - 1] in _NOT_A_VERB_AFTER:  # "the use of", "without cross-checking"
            continue
        segment = low[low.rfind(",", 0, found[i].start()) + 1 : found[i].start()]
        if any(_is_negator(t) for t in _TOKEN.findall(segment)):  # still in a negation's scope
            continue
        ctx_before = _content(" ".join(tokens[max(0, i - 8) : i]))[-4:]
        rest = tokens[i + 1 :]
        stop = next((k for k, t in enumerate(rest) if _is_negator(t)), len(rest))
        ctx_after = _content(" ".join(rest[:stop]))[:10]
        affirmations.append(_Affirmation(_group(_stem(tok)), frozenset(ctx_before + ctx_after), quals, subject(i)))
    return denials, affirmations


def _predicates(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The predicate(s) a negator at `i` negates, and the index just after them."""
    if tokens[i] == "no":
        be = _be_index(tokens, i)
        if be >= len(tokens) - 1:
            return [], i + 1
        return [_stem(tokens[be + 1])], be + 2
    j = i + 1
    while j < len(tokens) and j - i <= 6 and (tokens[j] in _SKIP or _is_negator(tokens[j])):
        j += 1
    if j >= len(tokens) or j - i > 6:
        return [], i + 1
    preds = [_stem(tokens[j])]
    j += 1
    while j + 1 < len(tokens) and tokens[j] in ("or", "and", "nor") and tokens[j + 1] not in _SKIP | _NEGATORS:
        preds.append(_stem(tokens[j + 1]))
        j += 2
    return preds, j


def _be_index(tokens: list[str], i: int) -> int:
    for j in range(i + 1, min(len(tokens), i + 9)):
        if tokens[j] in ("is", "are", "was", "were", "be"):
            return j
    return len(tokens)


def _antecedent_end(low: str, tokens: list[str]) -> int:
    """Token index where a leading condition ("If you do not ..., ") ends; 0 without one."""
    head = " ".join(tokens[:3])
    if not any(head == c or head.startswith(c + " ") for c in _CONDITIONAL):
        return 0
    comma = low.find(",")
    return len(_TOKEN.findall(low[:comma])) if comma > 0 else len(tokens)


def _is_negator(tok: str) -> bool:
    return tok in _NEGATORS or tok.endswith("n't")


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ingly", "ing", "ies", "ied", "ed", "es", "s", "e", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)]
    return word


def _group(stem: str) -> str:
    return _GROUP_OF.get(stem, stem)


_GROUP_OF = {_stem(word): _stem(group[0]) for group in _VERB_GROUPS for word in group}


def _content(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOP and not _is_negator(t)]
