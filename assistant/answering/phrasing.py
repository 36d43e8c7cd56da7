"""Generative phrasing: the seam a language model writes the one or two plain sentences above the quotes through.

The Protocol is what the facade calls; implementations live in assistant/integrations/llm.py
(LangChain chat models), so nothing here imports LangChain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, Protocol

from assistant.understand.language import Language

PhrasingFailure = Literal["timeout", "error", "refusal", "empty"]
"""Why phrasing gave nothing (PhrasingError.reason)."""

MAX_SENTENCES = 2
"""The model is asked for at most this many sentences."""

MARKER = re.compile(r"\[(\d+)\]")
"""A sentence names the passage it rests on with its number in brackets, as the quotes do: [1]."""


class Phraser(Protocol):
    """Writes a short answer to a question from numbered passages, and nothing else."""

    def phrase(self, question: str, passages: Sequence[tuple[int, str]], lang: Language) -> str:
        """The generated text as the model wrote it (at most two sentences asked for, in `lang`, each
        marked with the number of the passage it rests on, e.g. [1]); PhrasingError on timeout,
        server error, refusal or empty output, and when there are no passages to phrase from."""
        ...


def markers(text: str) -> list[int]:
    """The passage numbers `text` names, in order of appearance."""
    return [int(m) for m in MARKER.findall(text)]
