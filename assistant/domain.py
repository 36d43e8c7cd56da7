"""Frozen value types shared by the library's modules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.vocabulary import Route


@dataclass(frozen=True)
class Company:
    """A tenant: one company, its policy files and its privacy desk."""

    id: str
    name: str
    short_name: str
    aliases: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    desk_name: str = ""
    desk_email: str | None = None
    desk_address: str | None = None
    desk_url: str | None = None
    desk_channels_note: str | None = None
    source_url: str | None = None
    due_days: int = 14
    # (file, language) for each file whose language companies.toml states; others are detected.
    file_languages: tuple[tuple[str, str], ...] = ()
    # (field, language, text) for the texts of ours a reply in another language writes in its own
    # (companies.toml: short_name_ja, desk_channels_note_ja); the policy's own words are never translated.
    translations: tuple[tuple[str, str, str], ...] = ()

    def _in(self, field: str, lang: str, default: str) -> str:
        return next((text for f, language, text in self.translations if f == field and language == lang), default)

    @property
    def short_names(self) -> dict[str, str]:
        """The short name by reply language, where companies.toml gives one."""
        return {language: text for f, language, text in self.translations if f == "short_name"}

    def short_name_in(self, lang: str) -> str:
        """The short name a reply in `lang` writes: its own form where companies.toml gives one."""
        return self._in("short_name", lang, self.short_name)

    def desk_channels_note_in(self, lang: str) -> str | None:
        """The note on the desk's channels as a reply in `lang` writes it (None: there is none)."""
        return self._in("desk_channels_note", lang, self.desk_channels_note) if self.desk_channels_note else None

    def desk_contact(self) -> str:
        """One line naming the desk and every channel the policy gives for it."""
        parts = [p for p in (self.desk_email, self.desk_url, self.desk_address) if p]
        line = self.desk_name or "the company's privacy desk"
        if parts:
            line += " (" + "; ".join(parts) + ")"
        if self.desk_channels_note:
            line += f", {self.desk_channels_note}"
        return line


@dataclass(frozen=True)
class PageSpan:
    """Where one PDF page lies in a document's text."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One policy document's full text, as loaded (offsets point into `text`)."""

    doc_id: str
    company: str
    title: str
    path: str
    text: str
    version: str
    pages: tuple[PageSpan, ...] = ()
    # How `text` is marked up: "text", "markdown" or "pdf" (reflowed extraction); the chunker
    # reads structure from it and citations derive their readable `display` from it.
    format: str = "text"
    # The language the text is written in, "en" or "ja" (stated in companies.toml or detected):
    # with both versions of a policy loaded, the answer quotes the one in the customer's language.
    language: str = "en"

    def text_of(self, span: Span) -> str:
        """A span's verbatim text (markup included): its offsets are this document's."""
        return self.text[span.start : span.end]

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding `offset`, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages else None


@dataclass(frozen=True)
class Span:
    """A citable unit (a sentence or a list item) inside a chunk, with its offsets."""

    start: int
    end: int
    section: str
    # For a list item: where the line that introduces its list lies ("...as follows:",
    # "B. Personal information about candidates..."); -1 when there is none.
    lead_start: int = -1
    lead_end: int = -1


@dataclass(frozen=True)
class Chunk:
    """One clause (or a few sentences of one clause) with its heading path and offsets."""

    id: str
    company: str
    doc_id: str
    section: str
    start: int
    end: int
    text: str
    spans: tuple[Span, ...] = field(default_factory=tuple)

    def text_of(self, span: Span) -> str:
        """The verbatim text of one of this chunk's passages (its offsets are the document's)."""
        return self.text[span.start - self.start : span.end - self.start]

    @property
    def embed_text(self) -> str:
        """The text that is embedded and indexed: heading path, then the clause."""
        return f"{self.section}\n{self.text}" if self.section else self.text


@dataclass(frozen=True)
class Citation:
    """A verbatim span of a policy that an answer relies on."""

    id: int
    company: str
    doc_id: str
    version: str
    section: str
    page: int | None
    text: str  # exactly document.text[start:end]
    start: int
    end: int
    score: float
    display: str  # the same passage as readable text, without markup


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with its fused score and rank."""

    chunk: Chunk
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class Evidence:
    """A sentence chosen as evidence, with the chunk it came from."""

    chunk: Chunk
    span: Span
    score: float
    dense: float = 0.0
    lexical: float = 0.0

    def overlaps_any(self, places: Iterable[tuple[str, int, int]]) -> bool:
        """Whether this passage shares text with any (document id, start, end) place: passages
        overlap (each runs on from a sentence), and no text is quoted twice."""
        return any(self.chunk.doc_id == doc and self.span.start < end and start < self.span.end for doc, start, end in places)

    def overlaps(self, other: Evidence) -> bool:
        """Whether the two passages share text."""
        return self.overlaps_any(((other.chunk.doc_id, other.span.start, other.span.end),))

    def joined(self, other: Evidence) -> Evidence | None:
        """One passage spanning this one and an overlapping one of the same clause, with this
        one's scores (None across clauses)."""
        if self.chunk.id != other.chunk.id:
            return None
        first = self if self.span.start <= other.span.start else other
        end = max(self.span.end, other.span.end)
        span = Span(first.span.start, end, first.span.section, first.span.lead_start, first.span.lead_end)
        return Evidence(self.chunk, span, self.score, self.dense, self.lexical)

    @property
    def length(self) -> int:
        """Characters of policy text the passage covers."""
        return self.span.end - self.span.start


@dataclass(frozen=True)
class Contact:
    """How the desk can reach a customer; kept only in the ticket, encrypted, and never shown in a repr or a log."""

    name: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    postal_address: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)

    @property
    def reachable(self) -> bool:
        """Whether the desk can answer: an e-mail or a postal address is always enough."""
        return bool((self.email or "").strip() or (self.postal_address or "").strip())


@dataclass(frozen=True)
class Ticket:
    """The customer-facing view of a desk ticket."""

    id: str
    status: str
    request_types: tuple[str, ...]
    company: str
    proxy: bool
    created_at: str
    due_at: str
    lookup_token: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class DraftField:
    """Something a customer must or may give to submit a request draft."""

    name: str
    required: bool
    label: str


@dataclass(frozen=True)
class ProcedureStep:
    """One point of the policy's procedure for a request: cited (by marker ids of the reply), or not stated."""

    aspect: str
    label: str
    # cited | not_stated | other_kinds (the policy states it only for other kinds of request) | not_quoted (stated; quotes spent)
    status: str
    citations: tuple[int, ...] = ()


@dataclass(frozen=True)
class DraftOffer:
    """The request draft a chat reply offers the customer to confirm (POST /v1/requests)."""

    id: str = field(repr=False)
    company: str
    request_types: tuple[str, ...]
    proxy: bool
    fields: tuple[DraftField, ...]
    procedure: tuple[ProcedureStep, ...]
    expires_at: str
    reference: str | None = None  # set once the draft was submitted


@dataclass(frozen=True)
class Reply:
    """What the assistant says back to one message."""

    session_id: str
    route: Route
    answer: str
    citations: tuple[Citation, ...] = ()
    ticket: Ticket | None = None
    company: str | None = None
    reason: str | None = None
    intent: str | None = None
    request_draft: DraftOffer | None = None
    summary: str | None = None  # generated sentences the quotes support (PA_LLM_BACKEND), above them in `answer`
