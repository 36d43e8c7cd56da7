"""What the OpenAPI document says beyond the models: error responses, examples, the staff key scheme."""

from __future__ import annotations

from typing import Any

from fastapi.security import APIKeyHeader

from api.schemas import ErrorOut

# Declared as a security scheme (not a plain header) so Swagger UI shows an Authorize button.
STAFF_KEY = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,  # get_staff answers 401 itself, with its own message
    scheme_name="StaffKey",
    description="A staff key: a bootstrap key from PA_DESK_API_KEYS or one made by `privacy-assistant keys create`.",
)

_ERRORS: dict[int, str] = {
    401: "No X-API-Key header, or a key that is not valid.",
    404: "Not found (an unknown company answers with `valid_companies` too).",
    409: "The status change is not allowed from the ticket's current status.",
    413: "The request body is over PA_MAX_BODY_BYTES.",
    422: "The request is invalid; `detail` says which field and why.",
    429: "Too many requests from this client; retry after the `Retry-After` header's seconds.",
    503: "Temporarily unavailable (the index is loading, or the database cannot be reached); retry after `Retry-After`.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes, each with the JSON `{"detail": ...}` body."""
    return {code: {"model": ErrorOut, "description": _ERRORS[code]} for code in codes}


def example(value: Any, code: int = 200) -> dict[int | str, dict[str, Any]]:
    """An OpenAPI response example for a JSON body."""
    return {code: {"content": {"application/json": {"example": value}}}}


CHAT_EXAMPLE = {
    "session_id": "5b4c6049094c48e4b2520ccdd46c881a",
    "route": "answer",
    "answer": "UPWARD's privacy policy says this about fees:\n[1] “Please be advised that a fee (1,000 yen per request) "
    "prescribed by the Company will be charged for handling retained personal data and records provided to a third party.” "
    "(8. how to request disclosure of personal information)",
    "citations": [
        {
            "id": 1,
            "company": "upward",
            "doc_id": "upward",
            "version": "ccce20dc28969698",
            "section": "8. how to request disclosure of personal information",
            "page": None,
            "text": "Please be advised that a fee (1,000 yen per request) prescribed by the Company will be charged for "
            "handling retained personal data and records provided to a third party.",
            "start": 13998,
            "end": 14167,
            "score": 0.7255,
        }
    ],
    "ticket": None,
}

COMPANIES_EXAMPLE = [
    {
        "id": "highreso",
        "name": "Highreso Co., Ltd.",
        "short_name": "Highreso",
        "short_names": {"ja": "ハイレゾ"},
        "aliases": ["Highreso", "High Reso", "ハイレゾ"],
        "desk_name": "Personal Information Consultation Desk",
        "desk_email": "privacy@highreso.co.jp",
        "desk_address": "3-24-1 Ichigaya Tamachi, Shinjuku-ku, Tokyo 162-0843",
        "desk_url": None,
        "desk_note": None,
        "source_url": None,
    }
]

REQUEST_STATUS_EXAMPLE = {
    "reference": "PRQ-000123",
    "status": "in_progress",
    "created_at": "2026-11-02T09:14:05+00:00",
    "messages": [
        {"at": "2026-11-03T10:02:11+00:00", "from": "desk", "text": "Please post the disclosure form with a copy of your ID."},
        {"at": "2026-11-03T12:40:57+00:00", "from": "customer", "text": "Posted today."},
    ],
}

REQUEST_CREATED_EXAMPLE = {
    "reference": "PRQ-000123",
    "lookup_token": "v4Xq3m6sJb0yT1cC8pLw2nR5eHk9aZ7uFgD0iOqWs1E",
    "status": "received",
    "company": "upward",
    "request_types": ["disclosure"],
    "next_steps": "This submission is not yet the formal request itself: UPWARD accepts formal requests by post only; "
    "requests by telephone are not accepted. Send your request to Personal Information Protection Manager, Corporate "
    "Planning Division (Marunouchi Eiraku Building 26F, 1-4-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005, Japan) as its "
    "privacy policy sets out. The desk can reach you at the contact details you gave.",
}
