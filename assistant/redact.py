"""Redacting personal data that customers paste into chat (logs, transcripts)."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[\w.+\-%*!'#$&=?^`{|}~/]+@[\w\-]+(?:\.[\w\-]+)+")),
    ("CARD", re.compile(r"\b\d(?:[ \-]?\d){12,18}\b")),
    ("POSTCODE", re.compile(r"〒\s?\d{3}-\d{4}|\b\d{3}-\d{4}\b(?![\-\d])")),
    # Groups must be separated (090-1234-5678, +81 3 1234 5678, (03) 1234-5678), except a bare
    # 10-11 digit number starting with 0, so years and clause numbers stay untouched.
    ("PHONE", re.compile(r"(?<![\w+])(?:\+\d{1,3}[ \-.]?)?(?:\(?\d{1,4}\)?[ \-.]){1,3}\d{3,4}(?![\w])|\b0\d{9,10}\b")),
    ("ID", re.compile(r"\b[A-Z]{1,2}\d{6,9}\b")),
)


def redact(text: str) -> str:
    """Replace e-mail addresses, phone, card and ID numbers and postcodes with tags."""
    for tag, pattern in _PATTERNS:
        text = pattern.sub(f"[{tag}]", text)
    return text


def contains_personal_data(text: str) -> bool:
    """Whether `redact` would change the text."""
    return redact(text) != text
