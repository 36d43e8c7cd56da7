"""Request and response models of the HTTP API (pydantic at the edge)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from assistant.backoffice import RequestView, Submission, SubmittedRequest
from assistant.desk.tickets import TicketMessage
from assistant.domain import Contact
from assistant.vocabulary import MAX_NOTE_CHARS, RequestType, Route, TicketStatus

# C0 controls other than tab, newline and carriage return, and DEL: never meaningful in a message,
# and PostgreSQL text cannot hold NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ChatRequest(BaseModel):
    """One customer message."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"message": "How much does UPWARD charge for a disclosure request?", "company": "upward", "session_id": None}]
        }
    )

    # The upper bound is PA_MAX_MESSAGE_CHARS (default 2,000; see GET /v1/meta), checked by the assistant
    # itself, so raising the setting raises it here too.
    message: str = Field(
        min_length=1, description="The customer's message: 1 to `limits.max_message_chars` of GET /v1/meta (default 2,000) characters."
    )
    company: str | None = Field(None, max_length=64, description="Company id; null or empty to infer it from the message or session.")
    session_id: str | None = Field(None, max_length=128, description="Session id from an earlier reply; unknown ids start a new session.")

    @field_validator("message", "company", "session_id")
    @classmethod
    def _drop_control_characters(cls, value: str | None) -> str | None:
        return _CONTROL.sub("", value) if value else value


class CitationOut(BaseModel):
    """A verbatim span of the company's policy: `text == policy_text[start:end]`; `display` is for reading."""

    id: int = Field(description="Marker number used in the answer text ([1], [2]...).")
    company: str
    doc_id: str
    version: str = Field(description="Content hash of the document the offsets point into.")
    section: str = Field(description="Heading path of the clause.")
    page: int | None = Field(description="PDF page, else null.")
    text: str = Field(description="The exact slice policy_text[start:end], markup included.")
    display: str = Field(description="The same passage as readable text: markdown and HTML markup removed.")
    start: int = Field(description="Start offset (code points) into the document text.")
    end: int = Field(description="End offset (exclusive).")
    score: float


class TicketOut(BaseModel):
    """The desk ticket a formal request opened."""

    id: str = Field(description="Human-friendly reference, e.g. PRQ-000123.")
    status: str
    request_types: list[str]
    company: str
    proxy: bool
    created_at: str
    due_at: str
    lookup_token: str | None = Field(None, description="Give it with the reference to check the status; shown once.")
    duplicate: bool = Field(False, description="True when the same request was already with the desk.")


class DraftFieldOut(BaseModel):
    """Something the customer must or may give to submit the draft."""

    name: str = Field(description="The field of POST /v1/requests: `contact.<name>`, or `consent`.")
    required: bool
    label: str


class ProcedureStepOut(BaseModel):
    """One point of the policy's procedure for this request."""

    aspect: str = Field(description="channel, identity, proxy, fee, response_time, action (complaints: their own points).")
    label: str
    status: Literal["cited", "not_stated", "other_kinds", "not_quoted"] = Field(
        description="`cited`: the policy states it (see `citations`); `not_stated`: it does not; `other_kinds`: only for other "
        "requests; `not_quoted`: it does, but the reply quotes at most five passages."
    )
    citations: list[int] = Field(description="Ids of the reply's citations that state it.")


class RequestDraftOut(BaseModel):
    """A formal request read in the message, for the customer to confirm with POST /v1/requests."""

    id: str = Field(description="The draft's opaque id: `draft_id` of POST /v1/requests.")
    company: str
    request_types: list[str] = Field(description="The request types detected; the customer may change them when submitting.")
    proxy: bool
    fields: list[DraftFieldOut] = Field(description="What to give: an e-mail or a postal address is always enough.")
    procedure: list[ProcedureStepOut]
    expires_at: str = Field(description="After this the draft is gone (with the message it holds).")
    reference: str | None = Field(None, description="The ticket reference once the draft was submitted; else null.")


class ChatResponse(BaseModel):
    """The assistant's reply."""

    session_id: str
    route: Route
    answer: str
    summary: str | None = Field(
        None,
        description="One or two generated sentences, each supported by the quotes (PA_LLM_BACKEND); null when "
        "no model is configured, it failed, or nothing it wrote was supported. `answer` begins with it.",
    )
    citations: list[CitationOut]
    ticket: TicketOut | None = Field(description="Always null now: a formal request comes back as `request_draft` to submit.")
    request_draft: RequestDraftOut | None = Field(None, description="For route `desk`: the request to confirm with POST /v1/requests.")


class CompanyOut(BaseModel):
    """A company the assistant serves, with its privacy desk."""

    id: str
    name: str
    short_name: str
    short_names: dict[str, str] = Field(
        default_factory=dict, description="The short name by reply language where it differs, e.g. {'ja': 'ハイレゾ'}"
    )
    aliases: list[str]
    desk_name: str
    desk_email: str | None
    desk_address: str | None
    desk_url: str | None
    desk_note: str | None
    source_url: str | None


class PageSpanOut(BaseModel):
    """Where a PDF page lies in the document text."""

    page: int
    start: int
    end: int


class DocumentOut(BaseModel):
    """A policy document's full text, for highlighting citation offsets."""

    doc_id: str
    version: str
    title: str
    text: str
    pages: list[PageSpanOut]


class PolicyOut(BaseModel):
    """All documents of one company."""

    company: str
    documents: list[DocumentOut]


class MessageOut(BaseModel):
    """One message on a request, from the desk or from the customer."""

    model_config = ConfigDict(populate_by_name=True)

    at: str = Field(description="When it was written (ISO 8601, UTC).")
    sender: Literal["desk", "customer"] = Field(alias="from", description="Who wrote it: `desk` or `customer`.")
    text: str

    @classmethod
    def of(cls, message: TicketMessage) -> MessageOut:
        """The wire form of a ticket message."""
        return cls(at=message.at, sender=message.sender, text=message.text)


class RequestStatusOut(BaseModel):
    """What a customer may see of their ticket: status, when it was received and the messages with the desk.

    No due date: `due_days` is the desk's internal target, and a policy-stated deadline is quoted in the chat's procedure."""

    reference: str
    status: str
    created_at: str
    messages: list[MessageOut] = Field(default_factory=list, description="Messages between the desk and the customer, oldest first.")

    @classmethod
    def of(cls, view: RequestView) -> RequestStatusOut:
        """What the customer sees of `view`."""
        t = view.ticket
        return cls(reference=t.id, status=t.status, created_at=t.created_at, messages=[MessageOut.of(m) for m in view.messages])


class ContactIn(BaseModel):
    """How the desk can reach the customer: an e-mail or a postal address is enough."""

    name: str | None = Field(None, max_length=200, description="The customer's name.")
    email: str | None = Field(None, max_length=254, description="E-mail address for the desk's reply.")
    postal_address: str | None = Field(None, max_length=500, description="Postal address for the desk's reply.")
    phone: str | None = Field(None, max_length=40, description="Telephone number.")

    @field_validator("name", "email", "postal_address", "phone")
    @classmethod
    def _drop_control_characters(cls, value: str | None) -> str | None:
        return (_CONTROL.sub("", value).strip() or None) if value else None


class RequestSubmit(BaseModel):
    """A customer's confirmation of a request draft from the chat."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "draft_id": "q3J5cW1kQnV0c0x6c2F3bXhQb2dyU2pW",
                    "session_id": "5b4c6049094c48e4b2520ccdd46c881a",
                    "contact": {"name": "Hanako Sato", "email": "hanako@example.org"},
                    "consent": True,
                }
            ]
        }
    )

    # Ids are url-safe text: anything else (a NUL byte, which PostgreSQL refuses to store) is a 422, not a storage error.
    draft_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", description="`request_draft.id` of the chat reply.")
    session_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", description="The chat session the draft belongs to.")
    contact: ContactIn = Field(default_factory=ContactIn, description="How the desk can reply: an e-mail or a postal address.")
    request_types: list[RequestType] | None = Field(None, description="The request types, if the customer changed the detected ones.")
    proxy: bool | None = Field(None, description="Whether the request is made on someone else's behalf, if changed.")
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS, description="Anything the customer adds for the desk.")
    consent: StrictBool = Field(False, description="Must be true: the request and the contact details go to the company's privacy desk.")

    @field_validator("note")
    @classmethod
    def _drop_control_characters(cls, value: str | None) -> str | None:
        return _CONTROL.sub("", value) if value else value

    def submission(self, client: str) -> Submission:
        """The library's submission, from `client` (its address, for the hourly cap)."""
        types = tuple(self.request_types) if self.request_types is not None else None
        contact = Contact(**self.contact.model_dump())
        return Submission(self.draft_id, self.session_id, contact, self.consent, types, self.proxy, self.note, client)


class RequestCreatedOut(BaseModel):
    """A submitted request: keep the reference and the lookup token to check its status."""

    reference: str = Field(description="The ticket reference, e.g. PRQ-000123.")
    lookup_token: str = Field(description="Give it with the reference to check the status; the same on every repeat.")
    status: str
    company: str
    request_types: list[str]
    next_steps: str = Field(description="What the company's own procedure still asks of the customer.")

    @classmethod
    def of(cls, done: SubmittedRequest) -> RequestCreatedOut:
        """The reply to a submission."""
        t = done.ticket
        return cls(
            reference=t.id,
            lookup_token=t.lookup_token or "",
            status=t.status,
            company=t.company,
            request_types=list(t.request_types),
            next_steps=done.next_steps,
        )


class MessageIn(BaseModel):
    """A message on a request."""

    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="The message.")

    @field_validator("text")
    @classmethod
    def _drop_control_characters(cls, value: str) -> str:
        return _CONTROL.sub("", value)


class ContactOut(BaseModel):
    """The customer's contact details, decrypted for staff (the view is audited)."""

    name: str | None
    email: str | None
    postal_address: str | None
    phone: str | None


class ErrorOut(BaseModel):
    """Every error body: a readable `detail`."""

    detail: str
    field: str | None = Field(
        None,
        description="On a 422 about one field: its name (e.g. `contact.email`), the same in every language; `detail` starts with it too.",
    )
    request_id: str | None = Field(
        None, description="The request's id (also in the X-Request-ID header); quote it when reporting a problem."
    )


class TicketEventOut(BaseModel):
    """One audit-trail entry."""

    from_status: str | None
    to_status: str
    actor: str
    note: str = Field(description="In English as stored: staff's own words on a status change, or the library's note.")
    created_at: str
    note_code: str | None = Field(
        None,
        description="For a note the library wrote, its code: GET /v1/meta's `audit_notes` words it in each language. "
        "null for staff's own words (and for entries written before notes had codes): show `note` as it is.",
    )
    note_params: dict[str, str] = Field(
        default_factory=dict, description="The values the coded note's wording takes, by the names of its `{fields}`."
    )


class TicketDetailOut(BaseModel):
    """A ticket as staff see it."""

    reference: str
    company: str
    policy_version: str
    request_types: list[str]
    proxy: bool
    channel: str
    status: str
    message: str
    created_at: str
    updated_at: str
    due_at: str
    overdue: bool
    events: list[TicketEventOut] = []
    contact: ContactOut | None = Field(None, description="Only in the one ticket opened (GET /v1/desk/tickets/{reference}).")
    messages: list[MessageOut] = []


class TicketPage(BaseModel):
    """One page of the desk queue."""

    items: list[TicketDetailOut]
    total: int
    offset: int
    limit: int


class StatusChange(BaseModel):
    """A status change made by staff."""

    status: TicketStatus
    note: str = Field("", max_length=MAX_NOTE_CHARS, description="Why; required for `rejected`.")


class SearchHit(BaseModel):
    """A clause found by staff search."""

    citation: CitationOut
    clause: str


class SearchResults(BaseModel):
    """Clause search results, best first."""

    query: str
    hits: list[SearchHit]


class StaffMe(BaseModel):
    """The signed-in staff key: its actor label and the companies it may see."""

    actor: str
    companies: list[str]
    all_companies: bool


class RequestTypeOut(BaseModel):
    """A request type a ticket may carry."""

    id: str
    label: str = Field(description="English label, e.g. for a select box.")
    labels: dict[str, str] = Field(description="Its name in each supported language (`en`, `ja`), as the assistant's replies write it.")


class StatusOut(BaseModel):
    """A ticket status and where staff may move a ticket from it."""

    id: str
    open: bool = Field(description="False for the closed statuses (no way out; retention may delete them).")
    next: list[str] = Field(description="Statuses allowed next, in lifecycle order (empty when closed).")
    labels: dict[str, str] = Field(description="Its name in each supported language (`en`, `ja`), as the assistant's replies write it.")


class AuditNoteOut(BaseModel):
    """A note the library writes in a ticket's audit trail."""

    id: str = Field(description="The code audit-trail entries carry as `note_code`.")
    labels: dict[str, str] = Field(
        description="Its wording in each supported language (`en`, `ja`); `{name}` fields take the entry's `note_params`."
    )


class LimitsOut(BaseModel):
    """Input limits as configured."""

    max_message_chars: int = Field(description="Longest chat message accepted (PA_MAX_MESSAGE_CHARS).")
    max_note_chars: int = Field(description="Longest note on a status change.")


class MetaOut(BaseModel):
    """The assistant's vocabulary: what clients need to offer valid choices."""

    routes: list[str] = Field(description="What a reply's `route` may be.")
    request_types: list[RequestTypeOut]
    statuses: list[StatusOut] = Field(description="Ticket statuses in lifecycle order.")
    audit_notes: list[AuditNoteOut] = Field(description="The notes the library writes in a ticket's audit trail.")
    limits: LimitsOut
