"""The assistant's vocabulary, defined once: routes, request types, ticket statuses, audit-trail notes and limits.

Everything else derives from these definitions: the domain types, the desk lifecycle, retention,
the HTTP schemas, the CLI's choices, the evals, and (through `GET /v1/meta`) the widget and the
staff console.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

# What the assistant does with a message.
Route = Literal["answer", "desk", "abstain", "clarify"]
ROUTES: tuple[str, ...] = get_args(Route)

# APPI request types the intent classifier tells apart, with their English labels.
FORMAL_REQUEST_TYPES: dict[str, str] = {
    "purpose_notification": "Notification of the purpose of use",
    "disclosure": "Disclosure of personal data",
    "third_party_records": "Disclosure of records of provision to third parties",
    "correction": "Correction or addition of personal data",
    "deletion": "Deletion or erasure of personal data",
    "suspension_of_use": "Suspension of use of personal data",
    "stop_third_party_provision": "Stopping provision to third parties",
}
# Every request type a ticket may carry: the formal ones, then a complaint.
REQUEST_TYPES: dict[str, str] = {**FORMAL_REQUEST_TYPES, "complaint": "Complaint"}
RequestType = Literal[
    "purpose_notification",
    "disclosure",
    "third_party_records",
    "correction",
    "deletion",
    "suspension_of_use",
    "stop_third_party_provision",
    "complaint",
]

# A ticket's statuses, in lifecycle order, and where each may go next (the closed ones: nowhere).
TicketStatus = Literal["received", "awaiting_identity", "in_progress", "completed", "rejected", "withdrawn"]
STATUSES: tuple[str, ...] = get_args(TicketStatus)
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"awaiting_identity", "in_progress", "rejected", "withdrawn"}),
    "awaiting_identity": frozenset({"in_progress", "rejected", "withdrawn"}),
    "in_progress": frozenset({"completed", "rejected", "withdrawn"}),
    "completed": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}
INITIAL_STATUS = "received"
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if TRANSITIONS[s])
CLOSED_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if not TRANSITIONS[s])
# Statuses staff may set (every status some other status leads to).
SETTABLE_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if any(s in nxt for nxt in TRANSITIONS.values()))

# The notes the library itself writes in a ticket's audit trail, by code. Their wording, English and Japanese,
# is the message catalog's `audit.<code>` (its {fields} filled from the entry's values); the English is stored
# with the entry as its note, and an entry without a code (a status change) carries staff's own words.
AuditNote = Literal["request_received", "viewed", "message_to_customer", "message_from_customer"]
AUDIT_NOTES: tuple[str, ...] = get_args(AuditNote)

# Limits. The message limit is the default of PA_MAX_MESSAGE_CHARS; the setting may raise or lower it.
DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_NOTE_CHARS = 2000  # a staff note on a status change


def meta(max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS) -> dict[str, Any]:
    """The vocabulary as plain JSON-ready data (what `GET /v1/meta` serves), with each request
    type's and status's name in every supported language as the assistant's own replies write it,
    and the wording of each audit-trail note the library writes."""
    # Imported here: the message catalog sits above this module, which the domain itself imports.
    from assistant.answering.messages import CATALOG, text
    from assistant.understand.language import Language

    def labels(key: str) -> dict[str, str]:
        return {lang: text(key, lang) for lang in get_args(Language)}

    def templates(key: str) -> dict[str, str]:  # {fields} left for the client to fill in
        return {lang: CATALOG[key][lang] for lang in get_args(Language)}

    return {
        "routes": list(ROUTES),
        "request_types": [{"id": k, "label": v, "labels": labels(f"request.{k}")} for k, v in REQUEST_TYPES.items()],
        "statuses": [
            {"id": s, "open": bool(TRANSITIONS[s]), "next": [n for n in STATUSES if n in TRANSITIONS[s]], "labels": labels(f"status.{s}")}
            for s in STATUSES
        ],
        "audit_notes": [{"id": code, "labels": templates(f"audit.{code}")} for code in AUDIT_NOTES],
        "limits": {"max_message_chars": max_message_chars, "max_note_chars": MAX_NOTE_CHARS},
    }
