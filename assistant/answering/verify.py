"""The summary verifier: every generated sentence is checked against the passages it cites, and
dropped unless its facts, its meaning and its polarity are all found there.

Three checks, in order, on each sentence (its [n] markers name the passages it rests on; a
sentence without one is read against all of them):
- facts: every number, amount, date, duration, e-mail address, URL, phone number and named entity
  in the sentence appears in the cited text, after normalising (NFKC, so full-width digits are
  digits; 1,000円, ¥1,000 and 1,000 yen are one amount; 30日 and 30 days one duration; a company's
  aliases are one name). Named entities are companies.toml's names, runs of capitalised words
  and, against Japanese text, katakana runs;
- meaning: the sentence is close to one of the cited passages or sentences in an encoder's space
  (the English one for English over English, the multilingual one for Japanese or across
  languages), and, within one language, enough of its content words are in the cited text;
- polarity: each clause of the sentence says "not" (not, never, no, without; ない, ません, ず)
  as many times, odd or even, as the cited clause closest to it.
Only generic shapes are recognised, never a policy's wording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.domain import Company
from assistant.models.embedders import Embedder
from assistant.search.lexical import japanese_analysis, latin_only, tokenize
from assistant.understand.companies import CompanyDirectory
from assistant.understand.language import detect_language
from assistant.understand.redact import phone_spans

Reason = Literal["no_passage", "fact", "language", "meaning", "negation"]
Space = Literal["en", "ml"]


@dataclass(frozen=True)
class VerifierPolicy:
    """How close a sentence must be to its cited text to be kept.

    Fitted by `python -m evals.fit_verifier` on the dev half of evals/suites/verifier/adversarial.jsonl
    (one group at a time: English over English, Japanese over Japanese, across languages): the
    thresholds that drop the most unsupported sentences (F1 of dropping) while keeping at least
    90% of the supported ones (ties: the loosest). The fact and polarity checks have no threshold.
    On that dev half (94 sentences: 67 English, 10 Japanese, 17 across languages) the facts and
    polarity do most of the work, and English meaning rests on lexical support (similarity
    separated nothing lexical support did not); Japanese within Japanese had only 10 sentences,
    so its values are the least settled."""

    # Cosine similarity to the closest cited passage or sentence: the English encoder (English
    # sentence over English text), the multilingual one within Japanese, and across languages.
    en_similarity: float = 0.03
    ja_similarity: float = 0.53
    cross_similarity: float = 0.06
    # Share of the sentence's content words found in the cited text (within one language only).
    en_lexical: float = 0.60
    ja_lexical: float = 0.64


@dataclass(frozen=True)
class Measure:
    """What the verifier found about one sentence, before any threshold is applied."""

    text: str  # the sentence without its markers
    cited: tuple[str, ...]  # the passage ids it names (all of them when it names none)
    unknown: tuple[str, ...]  # ids it names that are not among the passages
    missing: tuple[str, ...]  # its facts the cited text does not hold
    space: Space
    group: Literal["en", "ja", "cross"]  # which thresholds apply
    similarity: float
    lexical: float | None  # None across languages
    polarity_clash: str | None  # the sentence's clause whose polarity the cited text contradicts
    # The language the sentence is written in, when it is not the reply's: a small model asked for
    # Japanese often copies an English passage, which only repeats the quote below it.
    other_language: str | None = None


@dataclass(frozen=True)
class Verdict:
    """One sentence kept or dropped, and why."""

    text: str
    cited: tuple[str, ...]
    kept: bool
    reason: Reason | None = None
    detail: str = ""


# -- markers -------------------------------------------------------------------------------------
_MARKER = re.compile(r"\s*\[(\d+)\]")


def split_markers(sentence: str) -> tuple[str, tuple[str, ...]]:
    """The sentence without its [n] markers (full-width ［１］ too), and the ids they name."""
    read = unicodedata.normalize("NFKC", sentence)
    ids = tuple(dict.fromkeys(_MARKER.findall(read)))
    text = _MARKER.sub("", read).strip()
    return re.sub(r"\s+([.。,、!?！？])", r"\1", text), ids


# -- facts ---------------------------------------------------------------------------------------
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "＂": '"', "「": '"', "」": '"', "‐": "-", "‑": "-", "–": "-", "−": "-"})
_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s()<>\[\]\"、。，]+|\b(?:www\.)?(?:[a-z0-9-]{2,}\.)+[a-z]{2,24}(?:/[^\s()<>\[\]\"、。，]*)?", re.IGNORECASE)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_FORMS = (
    "jan(?:uary)?", "feb(?:ruary)?", "mar(?:ch)?", "apr(?:il)?", "may", "june?", "july?", "aug(?:ust)?",
    "sep(?:t(?:ember)?)?", "oct(?:ober)?", "nov(?:ember)?", "dec(?:ember)?",
)  # fmt: skip


def _month_pattern(may: str = "may") -> str:
    """Any month's name or abbreviation (`may`: how May is matched)."""
    return "(?:" + "|".join(may if form == "may" else form for form in _MONTH_FORMS) + r")\.?"


_MONTH = _month_pattern()
_YEARLESS_MONTH = _month_pattern("(?-i:May)")  # with no year to anchor it, only a capital May is the month
_DATES = (
    # (pattern, which groups are year, month, day)
    (re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{{2}})\b", re.IGNORECASE)),
    (re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH})\s+(?P<y>(?:19|20)\d{{2}})\b", re.IGNORECASE)),
    (re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<y>(?:19|20)\d{{2}})\b", re.IGNORECASE)),
    (re.compile(r"\b(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b")),
    (re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?")),
    # A deadline with no year ("by March 31", 「3月31日まで」): read as bare numbers, its 3 and 31
    # could be met anywhere in a passage.
    # ("you may 2…" is no date: May must be capitalised there).
    (re.compile(rf"\b(?P<m>{_YEARLESS_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?![,.]?\s*\d)", re.IGNORECASE)),
    (re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_YEARLESS_MONTH})(?![a-z])", re.IGNORECASE)),
    (re.compile(r"(?<![\d年])(?P<m>1[0-2]|0?[1-9])\s*月\s*(?P<d>3[01]|[12]\d|0?[1-9])\s*日")),
)
_CURRENCY = {"yen": "JPY", "円": "JPY", "¥": "JPY", "jpy": "JPY", "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
             "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP",
             "pound": "GBP", "pounds": "GBP"}  # fmt: skip
_AMOUNTS = (
    re.compile(rf"(?P<n>{_NUMBER})\s*(?P<c>yen|円|jpy|usd|dollars?|euros?|eur|pounds?|gbp)(?![a-z])", re.IGNORECASE),
    re.compile(rf"(?P<c>[¥$€£])\s?(?P<n>{_NUMBER})"),
)
_UNITS = {
    "second": "second", "minute": "minute", "hour": "hour", "day": "day", "week": "week", "month": "month", "year": "year",
    "business day": "business day", "working day": "business day", "営業日": "business day", "時間": "hour", "分": "minute",
    "日": "day", "日間": "day", "週": "week", "週間": "week", "か月": "month", "ヶ月": "month", "カ月": "month", "ケ月": "month",
    "ヵ月": "month", "箇月": "month", "か月間": "month", "ヶ月間": "month", "カ月間": "month", "年": "year", "年間": "year",
}  # fmt: skip
_DURATION = re.compile(
    rf"(?P<n>{_NUMBER})\s*(?:\(\s*{_NUMBER}\s*\)\s*)?-?\s*"
    r"(?P<u>(?:business|working)\s+days?|seconds?|minutes?|hours?|days?|weeks?|months?|years?(?![a-z])"
    r"|営業日|時間|日間|日|週間|週|[かヶカケヵ箇]月間?|年間|年|分)",
    re.IGNORECASE,
)
_ONE_COUNTED = re.compile(r"(?<![\d.,])1\s*(?=[件回通部点人名つ])")
_BARE_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "ninety": 90, "hundred": 100,
}  # fmt: skip
# A number word counts where a unit follows it ("two years", "thirty (30) days"): "one of the
# documents" is no fact.
_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(_WORD_NUMBERS) + r")(?=[\s-]+(?:\(\d+\)\s*)?(?:(?:business|working)\s+)?"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|yen|dollars?|euros?)\b)",
    re.IGNORECASE,
)
_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_POWERS = {"十": 10, "百": 100, "千": 1000}
# A whole kanji numeral before a unit of time (三十日間 is 30 days, 十四日 14, 二十営業日 20).
_KANJI_NUMBER = re.compile(r"([〇一二三四五六七八九十百千]+)(?=\s*(?:営業日|時間|日間|週間|[かヶカケヵ箇]月|年間))")

# Named entities: two or more capitalised words (joined by a few lower-case ones) and katakana runs.
_CAP = r"[A-Z][\w'&.-]*"
_CAPITAL_RUN = re.compile(rf"\b{_CAP}(?:\s+(?:(?:of|and|for|the|on|de|du|&)\s+)*{_CAP})+")
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30fa\u30fc]{2,}")
_LEADING = frozenset(
    re.findall(
        r"\S+",
        "the a an this that these those our your their its my his her if in on when where while for to by as at of with from and or but so "
        "yes no please also however except each every all any some",
    )
)


@dataclass(frozen=True)
class Facts:
    """The normalised facts of a text, by kind."""

    emails: frozenset[str]
    urls: frozenset[str]
    phones: frozenset[str]
    dates: frozenset[str]
    amounts: frozenset[str]
    durations: frozenset[str]
    numbers: frozenset[str]  # every number, those inside the facts above included
    bare: tuple[str, ...]  # numbers outside any fact above


def normalise(text: str) -> str:
    """`text` as facts are read in: NFKC (full-width digits and letters), one kind of quote and dash, number words as digits."""
    read = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    read = _NUMBER_WORD.sub(lambda m: str(_WORD_NUMBERS[m.group(1).lower()]), read)
    return _KANJI_NUMBER.sub(lambda m: str(kanji_number(m.group(1))), read)


def kanji_number(numeral: str) -> int:
    """The value of a kanji numeral below 10,000: 三十 = 30, 十四 = 14, 二百五 = 205; positional 二〇 = 20."""
    if not any(c in _KANJI_POWERS for c in numeral):
        return int("".join(str(_KANJI_DIGITS[c]) for c in numeral))
    total, digit = 0, None
    for c in numeral:
        if c in _KANJI_POWERS:
            total += (1 if digit is None else digit) * _KANJI_POWERS[c]
            digit = None
        else:
            digit = _KANJI_DIGITS[c]
    return total + (digit or 0)


def _number(raw: str) -> str:
    value = raw.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def _url(raw: str) -> str:
    url = re.sub(r"^https?://", "", raw.lower().rstrip(".,;:!?)/"))
    return url.removeprefix("www.").rstrip("/")


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]


def extract_facts(text: str) -> Facts:
    """The facts `text` states, each in one normal form (1,000円, ¥1,000 and 1,000 yen are "1000 JPY")."""
    read = normalise(text)
    numbers = frozenset(_number(m.group()) for m in _BARE_NUMBER.finditer(read))
    found: dict[str, set[str]] = {k: set() for k in ("emails", "urls", "phones", "dates", "amounts", "durations")}
    for m in _EMAIL.finditer(read):
        found["emails"].add(m.group().lower().rstrip("."))
        read = _blank(read, m.span())
    for m in _URL.finditer(read):
        # The host must end in letters ("1.5" is no URL), read as `_url` normalises it: without the
        # scheme and the sentence's own full stop ("… https://example.com/privacy." once went unchecked).
        url = _url(m.group())
        if not re.search(r"[a-z]", url.split("/")[0].split(".")[-1]):
            continue
        found["urls"].add(url)
        read = _blank(read, m.span())
    # The redactor's finder: a number written right after 電話 or FAX has no \b before it.
    for span in phone_spans(read):
        found["phones"].add(re.sub(r"\D", "", read[span[0] : span[1]])[-8:])
        read = _blank(read, span)
    for pattern in _DATES:
        for m in pattern.finditer(read):
            parts = m.groupdict()
            month = parts["m"]
            month = str(_MONTH_NAMES.index(month[:3].lower()) + 1) if month[:1].isalpha() else str(int(month))
            date = f"{parts.get('y') or '*'}-{month}" + (f"-{int(parts['d'])}" if parts.get("d") else "")
            found["dates"].add(date)
            read = _blank(read, m.span())
    for pattern in _AMOUNTS:
        for m in pattern.finditer(read):
            found["amounts"].add(f"{_number(m.group('n'))} {_CURRENCY[m.group('c').lower()]}")
            read = _blank(read, m.span())
    for m in _DURATION.finditer(read):
        unit = re.sub(r"\s+", " ", m.group("u").lower())
        unit = _UNITS.get(unit) or _UNITS.get(unit.rstrip("s")) or unit
        if unit == "year" and int(float(_number(m.group("n")))) >= 1900:
            continue  # 2024年 is a year, not a duration
        found["durations"].add(f"{_number(m.group('n'))} {unit}")
        read = _blank(read, m.span())
    # "1件につき", "1回の請求": one of a counted thing is "each", not a figure.
    read = _ONE_COUNTED.sub(lambda m: " " * len(m.group()), read)
    bare = tuple(_number(m.group()) for m in _BARE_NUMBER.finditer(read))
    return Facts(**{k: frozenset(v) for k, v in found.items()}, numbers=numbers, bare=bare)


def _date_forms(dates: frozenset[str]) -> set[str]:
    """Each date and what it narrows down to: 2024-5-1 also states 2024-5 and, with no year, *-5-1."""
    out = set(dates)
    for date in dates:
        year, *rest = date.split("-")
        out.add("-".join([year, *rest[:1]]))
        if len(rest) == 2:
            out.add("-".join(["*", *rest]))
    return out


def missing_facts(sentence: Facts, cited: Facts) -> list[str]:
    """The sentence's facts the cited text does not state."""
    missing = [f for f in sorted(sentence.emails) if f not in cited.emails]
    missing += [f for f in sorted(sentence.urls) if not any(f == u or u.startswith(f + "/") for u in cited.urls)]
    missing += [f for f in sorted(sentence.phones) if not any(p.endswith(f) or f.endswith(p) for p in cited.phones)]
    missing += [f for f in sorted(sentence.dates) if f not in _date_forms(cited.dates)]
    missing += [f for f in sorted(sentence.amounts) if f not in cited.amounts]
    missing += [f for f in sorted(sentence.durations) if f not in cited.durations]
    missing += [n for n in dict.fromkeys(sentence.bare) if n not in cited.numbers]
    return missing


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", normalise(text)).lower()


def named_entities(text: str) -> list[str]:
    """Runs of capitalised words and katakana runs: the names a sentence may have invented
    (company names, e-mail addresses and URLs already removed)."""
    read = normalise(text)
    out: list[str] = []
    for m in _CAPITAL_RUN.finditer(read):
        words = m.group().rstrip(".").split()
        while words and words[0].lower() in _LEADING:
            words.pop(0)
        while words and words[-1].lower() in _LEADING:
            words.pop()
        if len(words) >= 2:
            out.append(" ".join(words))
    out += [m.group() for m in _KATAKANA_RUN.finditer(read)]
    return [re.sub(r"'s$", "", e) for e in dict.fromkeys(out) if e]


# -- polarity ------------------------------------------------------------------------------------
_EN_NEGATION = re.compile(r"\b(?:not|never|no|none|nothing|nobody|neither|nor|cannot|without)\b|n't\b", re.IGNORECASE)
# Phrases that hold a negative word but deny nothing.
_EN_NOT_NEGATION = re.compile(
    r"\b(?:without (?:undue )?delay|not only|no (?:more|less|later|earlier|longer|older|sooner|\w+er) than|not limited to)\b", re.IGNORECASE
)
# "Free" is "no charge": the polarity of the fee it denies.
_EN_FREE = re.compile(
    r"\bfree of charge\b|\bfor free\b|\b(?:is|are|be|been|remains?)\s+(?:\w+\s+)?free\b(?!\s+to)|\bfree\s+(?:in principle|of cost)\b",
    re.IGNORECASE,
)
_JA_FREE = re.compile(r"無料|無償")
_JA_NEGATION_FORMS = frozenset({"ない", "ず", "ぬ", "無い", "無し", "なし"})


def negations(text: str) -> int:
    """How many times `text` says "not" (English words, Japanese auxiliaries and 無い)."""
    latin = _EN_NOT_NEGATION.sub(" ", latin_only(normalise(text)))
    count = len(_EN_NEGATION.findall(latin)) + len(_EN_FREE.findall(latin)) + len(_JA_FREE.findall(text))
    if detect_language(text) == "ja" or re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text):
        for surface, pos, form in japanese_analysis(text):
            if (
                pos in ("助動詞", "形容詞", "名詞")
                and form in _JA_NEGATION_FORMS
                and not (pos == "名詞" and surface not in ("なし", "無し"))
            ):
                count += 1
    return count


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])|(?<=[。！？])|\n+")
_ASIDE = re.compile(r"[(（]([^()（）]{4,})[)）]")
_CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:but|although|though|however|whereas|while|and if|if)\b)|;\s*|(?<=が)、|(?<=けれど)、|(?<=ものの)、|(?<=ますが)、",
    re.IGNORECASE,
)


def clauses(text: str) -> list[str]:
    """`text` cut into sentences, sentences into clauses at "but", "although", ";", "が、", and
    each bracketed aside a clause of its own ("(but not a notification card)")."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        asides = _ASIDE.findall(sentence)
        main = _ASIDE.sub(" ", sentence)
        for part in [*_CLAUSE_BREAK.split(main), *asides]:
            part = re.sub(r"\s+", " ", part).strip(" ,、")
            if len(part) > 3:
                out.append(part)
    return out or [text.strip()]


def phrases(clause: str, width: int = 3) -> list[str]:
    """Runs of up to `width` comma-separated pieces of a clause: a sentence may restate part of a long one."""
    pieces = [p.strip() for p in re.split(r",\s+|、", clause) if p.strip()]
    if len(pieces) < 2:
        return []
    return [", ".join(pieces[i : i + n]) for n in range(1, width + 1) for i in range(len(pieces) - n + 1) if n < len(pieces)]


# -- the verifier --------------------------------------------------------------------------------
_E_MAIL = re.compile(r"\be-mail", re.IGNORECASE)  # one word, as the tokenizer would otherwise read "e" and "mail"
_CONTACT = re.compile(rf"{_EMAIL.pattern}|{_URL.pattern}", re.IGNORECASE)


class Verifier:
    """Checks generated sentences against the passages they cite."""

    def __init__(
        self,
        embedder: Embedder,
        multilingual: Embedder | None = None,
        companies: Sequence[Company] = (),
        policy: VerifierPolicy | None = None,
    ) -> None:
        self._encoders: dict[Space, Embedder] = {"en": embedder, "ml": multilingual or embedder}
        self._directories = {c.id: CompanyDirectory([c]) for c in companies}
        self.policy = policy or VerifierPolicy()

    def verify(self, sentences: Sequence[str], passages: Mapping[str, str], lang: str, company: str | None = None) -> list[Verdict]:
        """Each sentence kept or dropped (with the reason), for a reply in `lang` about `company`."""
        return [judge(m, self.policy) for m in self.measure(sentences, passages, lang, company)]

    def measure(self, sentences: Sequence[str], passages: Mapping[str, str], lang: str, company: str | None = None) -> list[Measure]:
        """What each sentence's checks found, before the thresholds."""
        memo: dict[tuple[Space, str], np.ndarray] = {}  # the passages' units are embedded once for all sentences
        return [self._measure(s, passages, lang, company, memo) for s in sentences]

    def _embed(self, space: Space, texts: Sequence[str], memo: dict[tuple[Space, str], np.ndarray]) -> np.ndarray:
        fresh = list(dict.fromkeys(t for t in texts if (space, t) not in memo))
        if fresh:
            for t, vector in zip(fresh, self._encoders[space].embed(fresh), strict=True):
                memo[(space, t)] = vector
        return np.stack([memo[(space, t)] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def _strip_companies(self, text: str) -> str:
        for directory in self._directories.values():
            text = directory.strip_names(text)
        return text

    def _names_missing(self, sentence: str, cited: str, company: str | None) -> list[str]:
        """Companies the sentence names, other than the one answering, that the cited text does not."""
        missing = []
        for cid, directory in self._directories.items():
            if cid != company and directory.find_in_text(sentence) == cid and directory.find_in_text(cited) != cid:
                missing.append(directory.companies[0].short_name)
        return missing

    def _measure(
        self, sentence: str, passages: Mapping[str, str], lang: str, company: str | None, memo: dict[tuple[Space, str], np.ndarray]
    ) -> Measure:
        text, named = split_markers(sentence)
        unknown = tuple(i for i in named if i not in passages)
        ids = tuple(i for i in named if i in passages) or tuple(passages)
        cited_texts = [passages[i] for i in ids]
        cited = "\n".join(cited_texts)
        language = "ja" if lang == "ja" else "en"
        same_language = all(detect_language(p) == language for p in cited_texts if p.strip())
        space: Space = "en" if language == "en" and same_language else "ml"
        group: Literal["en", "ja", "cross"] = ("en" if language == "en" else "ja") if same_language else "cross"

        missing = self._names_missing(text, cited, company)
        missing += missing_facts(extract_facts(text), extract_facts(cited))
        bare = self._strip_companies(_CONTACT.sub(" ", normalise(text)))
        cited_read = _squash(self._strip_companies(cited))
        japanese_cited = bool(re.search(r"[\u3040-\u30ff]", cited))
        for entity in named_entities(bare):
            is_katakana = bool(_KATAKANA_RUN.fullmatch(entity))
            if (is_katakana and not japanese_cited) or (not is_katakana and japanese_cited and language == "en"):
                continue  # a loanword or a Latin name over text in the other script is no evidence either way
            if _squash(entity) not in cited_read:
                missing.append(entity)

        # Meaning is measured against each passage and each of its clauses; polarity against clauses.
        pieces = [c for p in cited_texts for c in clauses(p)]
        units = list(dict.fromkeys([*cited_texts, *pieces, *(ph for c in pieces for ph in phrases(c))]))
        piece_rows = [units.index(c) for c in dict.fromkeys(pieces)]
        own_clauses = clauses(text)
        vectors = self._embed(space, [text, *own_clauses, *units], memo)
        mine, own, theirs = vectors[0], vectors[1 : 1 + len(own_clauses)], vectors[1 + len(own_clauses) :]
        similarity = float(np.max(theirs @ mine)) if units else 0.0

        lexical = None
        if same_language:
            # Each e-mail address or URL counts as one supported word: it passed the fact check,
            # and "write to privacy@..." has few other words to find.
            terms = set(tokenize(_E_MAIL.sub("email", bare)))
            contacts = len(_CONTACT.findall(normalise(text)))
            found = len(terms & set(tokenize(_E_MAIL.sub("email", cited)))) + contacts
            lexical = found / (len(terms) + contacts) if terms or contacts else 1.0

        clash = None
        for clause, vector in zip(own_clauses, own, strict=True):
            closest = max(piece_rows, key=lambda row: float(theirs[row] @ vector), default=None)
            if closest is not None and negations(clause) % 2 != negations(units[closest]) % 2:
                clash = clause
                break
        written = detect_language(text)
        other = written if written != language else None
        return Measure(text, ids, unknown, tuple(missing), space, group, similarity, lexical, clash, other)


def judge(m: Measure, policy: VerifierPolicy) -> Verdict:
    """The verdict on one measured sentence under `policy`."""

    def drop(reason: Reason, detail: str) -> Verdict:
        return Verdict(m.text, m.cited, False, reason, detail)

    if m.unknown:
        return drop("no_passage", ", ".join(f"[{i}]" for i in m.unknown))
    if m.missing:
        return drop("fact", ", ".join(m.missing))
    if m.other_language is not None:
        return drop("language", f"written in {m.other_language}, not in the reply's language")
    similarity = {"en": policy.en_similarity, "ja": policy.ja_similarity, "cross": policy.cross_similarity}[m.group]
    lexical = policy.ja_lexical if m.group == "ja" else policy.en_lexical
    if m.similarity < similarity:
        return drop("meaning", f"similarity {m.similarity:.2f} < {similarity:.2f}")
    if m.lexical is not None and m.lexical < lexical:
        return drop("meaning", f"lexical support {m.lexical:.2f} < {lexical:.2f}")
    if m.polarity_clash is not None:
        return drop("negation", m.polarity_clash)
    return Verdict(m.text, m.cited, True)
