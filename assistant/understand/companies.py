"""Working out which company a message is about."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.domain import Company
from assistant.understand.pleasantries import strip_pleasantries


class CompanyDirectory:
    """The tenants, with look-up by id and by a name or alias typed in a message."""

    def __init__(self, companies: Sequence[Company]) -> None:
        self._by_id = {c.id: c for c in companies}
        names: list[tuple[str, str]] = []
        for c in companies:
            for name in {c.id, c.name, c.short_name, *c.aliases}:
                names.append((name, c.id))
        # Longest names first, so "GMO AI & Robotics" wins over "GMO".
        names.sort(key=lambda n: -len(n[0]))
        self._patterns = [(re.compile(_name_pattern(name), re.IGNORECASE), cid) for name, cid in names]
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
        self._longest = max((len(k) for k in self._by_letters), default=0)
        self._last: tuple[str, list[tuple[re.Pattern[str], str]]] | None = None

    def _candidates(self, text: str) -> list[tuple[re.Pattern[str], str]]:
        """The name patterns that could match in `text`, longest name first."""
        last = self._last  # find_in_text and strip_names ask about the same message in a row
        if last is not None and last[0] == text:
            return last[1]
        found: set[int] = set(self._always)
        lowered = text.lower()
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
                hit = self._by_letters.get(window[:size])
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
        remaining = text
        for pattern, cid in self._candidates(text):
            if pattern.search(remaining):
                if cid not in found:
                    found.append(cid)
                remaining = pattern.sub(" ", remaining)
        return found[0] if len(found) == 1 else None

    def strip_names(self, text: str) -> str:
        """`text` with every company name removed (to see what else a message says)."""
        for pattern, _ in self._candidates(text):
            text = pattern.sub(" ", text)
        return text

    def neutralise_names(self, text: str) -> str:
        """`text` with every company name read as "it" ("its"): "Can SB C&S stop ...?" keeps
        the shape of a question, where dropping the name leaves "Can stop ...?", an order.
        ("the company" did too, but as a query it pulled up every "our company" clause.)"""
        for pattern, _ in self._candidates(text):
            text = pattern.sub(_it, text)
        return text.lstrip(" ,:!")

    def what_is_asked(self, text: str) -> str:
        """`text` as intent detection and retrieval read it: without greetings and sign-offs,
        company names read as "it" (a name says nothing about intent, and in retrieval would
        only match letterheads). A message that is nothing but a name keeps it."""
        core = strip_pleasantries(text)
        if not re.search(r"\w", self.strip_names(core)):
            return core
        # Dropping a name can uncover a greeting behind it ("Upward, hi! Do you ...?").
        return strip_pleasantries(self.neutralise_names(core)) or core


def _it(match: re.Match[str]) -> str:
    if match.start() == 0 and re.match(r"\s*[,:!]", match.string[match.end() :]):
        return ""  # addressed by name ("Highreso, do you ...?"): no subject to keep
    return "its" if match.group(0)[-2:] in ("'s", "’s") else "it"


def _name_pattern(name: str) -> str:
    # Flexible spacing and punctuation: "SB C&S", "sb c & s", "Win-Techno", "wintechno".
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", name.strip()) if p]
    body = r"[\s\-]*".join(parts).replace(r"\&", r"\s*(?:&|and)\s*")
    return rf"(?<![\w]){body}(?:'s|’s)?(?![\w])"


_WORD_START = re.compile(r"(?<!\w)\w")


def _letters(text: str) -> str:
    """Lower-case letters and digits only, with "&" read as "and": "SB C&S" -> "sbcands"."""
    return "".join(ch for ch in text.lower().replace("&", "and") if ch.isalnum())
