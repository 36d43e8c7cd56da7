"""Working out which company a message is about.

Names are matched in the message read with NFKC (fullwidth "ＵＰＷＡＲＤ" is "UPWARD",
half-width katakana full-width) and without zero-width characters; what is returned is the
message as typed, less the names. Japanese is written without spaces, so a name written in
Japanese needs no word boundary ("ハイレゾの個人情報", "GMO AI&ロボティクスは"), and a Latin
name is matched as in English in a reading where every Japanese character is a space
("UPWARDの" reads "UPWARD ")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from assistant.domain import Company
from assistant.understand.language import detect_language
from assistant.understand.pleasantries import strip_pleasantries

# Kana, the long-vowel mark, CJK ideographs and the iteration mark: the characters of Japanese
# words, which need no space between them and the next word. (Kept out of the name patterns:
# a class spanning the ideographs costs milliseconds to compile, and there is one per name.)
_JA = "\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_JA_CHAR = re.compile(rf"[{_JA}]")
# Where a name may start: a word start, and any Japanese character (a name can follow a
# particle with no space: "についてハイレゾは").
_WORD_START = re.compile(rf"(?<![^\W{_JA}])[^\W{_JA}]|[{_JA}]")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
# Marks that join the character before them (a voiced mark after half-width katakana: "ｶﾞ" is "ガ").
_JOINING = frozenset("\uff9e\uff9f")
# What the customer's Japanese calls the company they write to, in place of its name.
_JA_IT = "御社"


class CompanyDirectory:
    """The tenants, with look-up by id and by a name or alias typed in a message."""

    def __init__(self, companies: Sequence[Company]) -> None:
        self._by_id = {c.id: c for c in companies}
        names: list[tuple[str, str]] = []
        for c in companies:
            for name in {_normalise(n) for n in (c.id, c.name, c.short_name, *c.aliases)}:
                if name.strip():
                    names.append((name, c.id))
        # Longest names first, so "GMO AI & Robotics" wins over "GMO" (then by name: the same
        # order whatever order the set gave).
        names.sort(key=lambda n: (-len(n[0]), n[0], n[1]))
        self._patterns = [(re.compile(_name_pattern(name), re.IGNORECASE), cid) for name, cid in names]
        self._japanese = {pattern for (pattern, _), (name, _) in zip(self._patterns, names, strict=True) if _JA_CHAR.search(name)}
        # A name can only match where the message, from a word start on, spells the name's
        # letters (lower-cased, "&" read as "and", spaces and punctuation skipped): index the
        # patterns by those letters, so a message is checked only against names it may contain,
        # however many tenants share a prefix ("HighReso 0001", "HighReso 0002", ...).
        self._by_letters: dict[str, list[int]] = {}
        self._always: list[int] = []
        for i, (name, _) in enumerate(names):
            key = _letters(name)
            if name[:1].isalnum() and key:
                self._by_letters.setdefault(key, []).append(i)
            else:
                self._always.append(i)
        # Every prefix of a key: a start whose letters begin no key is left at its first letter.
        self._prefixes = {key[:n] for key in self._by_letters for n in range(1, len(key) + 1)}
        self._longest = max((len(k) for k in self._by_letters), default=0)
        self._last: tuple[str, list[tuple[re.Pattern[str], str]]] | None = None

    def _candidates(self, text: str) -> list[tuple[re.Pattern[str], str]]:
        """The name patterns that could match in `text`, longest name first."""
        last = self._last  # find_in_text and strip_names ask about the same message in a row
        if last is not None and last[0] == text:
            return last[1]
        found: set[int] = set(self._always)
        lowered = _normalise(text).lower()
        # The message's letters once, and where each character's letters begin among them.
        letters: list[str] = []
        starts: list[int] = []
        for ch in lowered:
            starts.append(len(letters))
            if ch.isalnum():
                letters.append(ch)
            elif ch == "&":
                letters.extend("and")
        spelled = "".join(letters)
        for start in _WORD_START.finditer(lowered):
            window = spelled[starts[start.start()] : starts[start.start()] + self._longest]
            for size in range(1, len(window) + 1):
                prefix = window[:size]
                if prefix not in self._prefixes:
                    break
                hit = self._by_letters.get(prefix)
                if hit:
                    found.update(hit)
        candidates = [self._patterns[i] for i in sorted(found)]
        self._last = (text, candidates)
        return candidates

    @property
    def ids(self) -> list[str]:
        """All company ids, in metadata order."""
        return list(self._by_id)

    @property
    def companies(self) -> list[Company]:
        """All companies, in metadata order."""
        return list(self._by_id.values())

    def get(self, company_id: str) -> Company | None:
        """The company with this exact id."""
        return self._by_id.get(company_id)

    def find_in_text(self, text: str) -> str | None:
        """The id of the company named in `text` (by id, name or alias), if exactly one is."""
        found: list[str] = []
        remaining = _normalise(text)
        for pattern, cid in self._candidates(text):
            spans = [m.span() for m in pattern.finditer(self._target(pattern, remaining))]
            if spans:
                if cid not in found:
                    found.append(cid)
                remaining = _splice(remaining, [(a, b, " ") for a, b in spans])
        return found[0] if len(found) == 1 else None

    def strip_names(self, text: str) -> str:
        """`text` with every company name removed (to see what else a message says)."""
        for pattern, _ in self._candidates(text):
            text = self._substitute(pattern, lambda _m: " ", text)
        return text

    def neutralise_names(self, text: str) -> str:
        """`text` with every company name read as "it" ("its"; in Japanese 御社, "your company"):
        "Can SB C&S stop ...?" keeps the shape of a question, where dropping the name leaves
        "Can stop ...?", an order. ("the company" did too, but as a query it pulled up every
        "our company" clause.)"""
        it = _it_ja if detect_language(text) == "ja" else _it
        for pattern, _ in self._candidates(text):
            text = self._substitute(pattern, it, text)
        return text.lstrip(" ,:!、，：！")

    def _target(self, pattern: re.Pattern[str], reading: str) -> str:
        """What `pattern` is matched in: the reading itself for a Japanese name, else the
        reading with each Japanese character a space (the same length, so the same offsets)."""
        if pattern in self._japanese or reading.isascii():
            return reading
        return _JA_CHAR.sub(" ", reading)

    def _substitute(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str) -> str:
        """`pattern.sub(repl, text)` with the pattern matched in the normalised reading of
        `text`, and the text as typed kept everywhere else."""
        reading, origin = (text, None) if _plain(text) else _normalised(text)
        target = self._target(pattern, reading)
        if target is text:
            return pattern.sub(repl, text)
        edits = []
        for match in pattern.finditer(target):
            start, end = match.span()
            if origin is not None:
                start, end = origin[start][0], origin[end - 1][1]
            edits.append((start, end, repl(match)))
        return _splice(text, edits)

    def what_is_asked(self, text: str) -> str:
        """`text` as intent detection and retrieval read it: without greetings and sign-offs,
        company names read as "it" (a name says nothing about intent, and in retrieval would
        only match letterheads). A message that is nothing but a name keeps it."""
        core = strip_pleasantries(text)
        if not re.search(r"\w", self.strip_names(core)):
            return core
        # Dropping a name can uncover a greeting behind it ("Upward, hi! Do you ...?").
        return strip_pleasantries(self.neutralise_names(core)) or core


def _addressed(match: re.Match[str]) -> bool:
    """Whether the name opens the message and a comma or the like follows: "Highreso, do you ...?"."""
    return match.start() == 0 and re.match(r"\s*[,:!、，：！]", match.string[match.end() :]) is not None


def _it(match: re.Match[str]) -> str:
    if _addressed(match):
        return ""  # addressed by name: no subject to keep
    return "its" if match.group(0)[-2:] in ("'s", "’s") else "it"


def _it_ja(match: re.Match[str]) -> str:
    return "" if _addressed(match) else _JA_IT


def _name_pattern(name: str) -> str:
    # Flexible spacing and punctuation: "SB C&S", "sb c & s", "Win-Techno", "wintechno".
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", name.strip()) if p]
    body = r"[\s\-]*".join(parts).replace(r"\&", r"\s*(?:&|and)\s*")
    if not _JA_CHAR.search(name):
        return rf"(?<![\w]){body}(?:'s|’s)?(?![\w])"
    # Written in Japanese: a Japanese end runs straight into the next word, a Latin end may not
    # run into a Latin word ("SB C&S株式会社", "ソフトバンク C&S").
    before = "" if _JA_CHAR.match(name.strip()) else "(?<![A-Za-z0-9])"
    after = "" if _JA_CHAR.match(name.strip()[-1]) else "(?![A-Za-z0-9])"
    return rf"{before}{body}{after}"


def _letters(text: str) -> str:
    """Lower-case letters and digits only, with "&" read as "and": "SB C&S" -> "sbcands"."""
    return "".join(ch for ch in text.lower().replace("&", "and") if ch.isalnum())


def _clusters(text: str) -> list[tuple[int, int]]:
    """`text` cut into characters with the marks that join them: (start, end) of each."""
    out: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if out and (ch in _JOINING or unicodedata.combining(ch)):
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def _plain(text: str) -> bool:
    """Whether `text` reads as typed: NFKC already, no zero-width characters."""
    return text.isascii() or (unicodedata.is_normalized("NFKC", text) and not any(ch in _ZERO_WIDTH for ch in text))


def _normalise(text: str) -> str:
    """`text` as names are matched in: NFKC, without zero-width characters."""
    return text if _plain(text) else _normalised(text)[0]


def _normalised(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` read with NFKC and without zero-width characters, and for each character of that
    reading the stretch of `text` it comes from."""
    parts: list[str] = []
    origin: list[tuple[int, int]] = []
    for start, end in _clusters(text):
        piece = "".join(ch for ch in text[start:end] if ch not in _ZERO_WIDTH)
        read = unicodedata.normalize("NFKC", piece) if piece else ""
        parts.append(read)
        origin.extend([(start, end)] * len(read))
    return "".join(parts), origin


def _splice(text: str, edits: Sequence[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) stretch, in order and apart, replaced by its text."""
    if not edits:
        return text
    out: list[str] = []
    at = 0
    for start, end, new in edits:
        out += [text[at:start], new]
        at = end
    out.append(text[at:])
    return "".join(out)
