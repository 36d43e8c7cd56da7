"""What a customer's question is about, as a short noun phrase for the lead line."""

from __future__ import annotations


def describe_topic(query: str) -> str | None:
    """A short noun phrase for what the question asks about, or None when unsure."""
    return None
