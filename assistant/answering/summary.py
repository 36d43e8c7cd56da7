"""One or two generated sentences above the quotes, each kept only when the quotes support it.

A `Phraser` (a language model) writes from the passages an answer quotes; the `Verifier` checks
every sentence against the passages it names and drops what they do not support. Nothing here
can make a reply fail: a phraser that times out, errs or refuses leaves the extractive answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.messages import text
from assistant.answering.phrasing import MAX_SENTENCES, Phraser
from assistant.answering.verify import Verdict, Verifier
from assistant.domain import Citation
from assistant.errors import PhrasingError
from assistant.understand.language import Language

log = logging.getLogger(__name__)

# A sentence ends at . ! ? before a space or the end ("1.5 years" and "3.5%" stay whole), or at
# 。！？ anywhere, with any closing quote or bracket and the passage markers written after the
# stop ("… 30 days. [1]") kept with it.
_MARKERS_AFTER = r"(?:\s*[\[［][0-9０-９]+[\]］])*"
_SENTENCE = re.compile(
    rf".+?(?:[.!?]+[\"'”’)]*{_MARKERS_AFTER}(?=\s|$)|[。！？]+[」』）)]*{_MARKERS_AFTER}|$)",
    re.S,
)
# A line break ends a statement too when a marker or a stop closes the line, a blank line
# follows, or the next line opens a list item: a model that writes "… 1,000 yen [1]" and then
# "Fax it to 03-…" on the next line wrote two statements, and as one they would be kept or dropped
# together. A line wrapped inside a sentence stays one sentence.
_LINE_BREAK = re.compile(r"(?<=[\]］.!?。！？])[ \t]*\n\s*|\n[ \t]*\n\s*|\n[ \t]*(?=(?:[-*•・]|\d+[.)])\s)")


@dataclass(frozen=True)
class Summary:
    """What phrasing gave for one answer: the kept sentences, and the verdict on each one written."""

    text: str | None  # the kept sentences joined, or None when none was kept (or none was written)
    verdicts: tuple[Verdict, ...] = ()
    failure: str | None = None  # why the phraser gave nothing: timeout, error, refusal, empty

    @property
    def omitted(self) -> bool:
        """Whether sentences were written and every one was dropped."""
        return self.text is None and bool(self.verdicts)


def split_sentences(generated: str) -> list[str]:
    """The sentences of generated text, each with the markers written after its full stop."""
    lines = _LINE_BREAK.split(generated.strip())
    return [s.strip() for line in lines for s in _SENTENCE.findall(line.strip()) if s.strip()]


class Summariser:
    """Asks the phraser for a short answer over an answer's citations and keeps what they support."""

    def __init__(self, phraser: Phraser, verifier: Verifier) -> None:
        self._phraser = phraser
        self._verifier = verifier

    def summarise(self, question: str, company: str, cites: Sequence[Citation], lang: Language) -> Summary:
        """The verified summary of the quotes `cites`, numbered as the answer numbers them."""
        if not cites:
            return Summary(None)
        # The model reads what the customer reads: the passages as displayed, numbered as quoted.
        passages = [(c.id, c.display) for c in cites]
        try:
            generated = self._phraser.phrase(question, passages, lang)
            sentences = split_sentences(generated)
            verdicts = self._verifier.verify(sentences, {str(i): t for i, t in passages}, lang, company)
        except PhrasingError as exc:
            log.info("phrasing fell back to the quotes: %s", exc.reason)
            return Summary(None, failure=exc.reason)
        except Exception as exc:  # the reply never fails because the model (or its odd output) did
            log.warning("phrasing fell back to the quotes after %s", type(exc).__name__)
            return Summary(None, failure="error")
        # Kept as written, markers included: they point the customer at the quote each rests on;
        # a sentence said twice (small models repeat themselves) is shown once.
        kept: list[str] = []
        said: set[str] = set()
        for sentence, verdict in zip(sentences, verdicts, strict=True):
            if verdict.kept and verdict.text not in said and len(kept) < MAX_SENTENCES:
                kept.append(sentence)
                said.add(verdict.text)
        return Summary(_joined(kept) or None, tuple(verdicts))


def _joined(sentences: Sequence[str]) -> str:
    """Sentences run together: no space after a Japanese stop, one after any other."""
    out = ""
    for sentence in sentences:
        out += sentence if not out or re.search(r"[。！？」』）]$", out) else f" {sentence}"
    return out


def with_summary(answer: str, summary: Summary, lang: Language) -> str:
    """The answer text with the summary above the quotes, or a note that it was omitted."""
    if summary.text is not None:
        return f"{summary.text}\n\n{answer}"
    if summary.omitted:
        return f"{text('summary_omitted', lang)}\n\n{answer}"
    return answer
