"""Redacting personal data that customers paste into chat (logs, transcripts)."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")),
    ("CARD", re.compile(r"\b(?:\d[ \-]?){13,19}\b")),
    ("PHONE", re.compile(r"(?<![\w])(?:\+?\d{1,3}[ \-.]?)?(?:\(?\d{2,4}\)?[ \-.]?){2,3}\d{3,4}(?![\w])")),
    ("POSTCODE", re.compile(r"〒\s?\d{3}-\d{4}|\b\d{3}-\d{4}\b")),
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
