"""Customer chat, streamed as Server-Sent Events (the widget's transport)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import AssistantDep, OriginDep
from api.openapi_docs import errors
from api.schemas import ChatRequest, ChatResponse, ErrorOut

router = APIRouter(prefix="/v1", tags=["chat"])

# A word with the whitespace after it; concatenating the pieces gives the answer back exactly.
_PIECE = re.compile(r"\s*\S+\s*|\s+")

_STREAM_DOC = (
    '`event: delta` events, each with `data: {"text": "<piece>"}` (word-sized pieces of the answer; '
    "concatenated they are the answer), then one `event: done` whose data is the ChatResponse JSON of /v1/chat."
)


def pieces(text: str) -> list[str]:
    """Split `text` into word-sized pieces whose concatenation is `text`."""
    return _PIECE.findall(text)


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": _STREAM_DOC},
        404: {"model": ErrorOut, "description": "Unknown company"},
        **errors(413, 422, 429, 503),
    },
    summary="Ask a question, streamed as Server-Sent Events",
)
def chat_stream(body: ChatRequest, assistant: AssistantDep, origin: OriginDep) -> EventSourceResponse:
    """Same body and decisions as /v1/chat. The reply is composed first, so errors (403, 404, 422, 503)
    are ordinary JSON responses; only a successful reply is streamed."""
    assistant.check_message(body.message)
    company = origin.company_for(assistant.company(body.company).id if body.company else None)
    reply = assistant.reply(body.message, company=company, session_id=body.session_id)
    out = ChatResponse.model_validate(reply, from_attributes=True)
    return EventSourceResponse(_events(out))


def _events(out: ChatResponse) -> Iterator[ServerSentEvent]:
    for piece in pieces(out.answer):
        yield ServerSentEvent(json.dumps({"text": piece}, ensure_ascii=False), event="delta")
    yield ServerSentEvent(out.model_dump_json(), event="done")
