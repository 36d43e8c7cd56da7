"""Customer chat."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import AssistantDep, OriginDep
from api.schemas import ChatRequest, ChatResponse, ErrorOut

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={404: {"model": ErrorOut, "description": "Unknown company"}, 422: {"model": ErrorOut}},
    summary="Ask a question or make a request",
)
def chat(body: ChatRequest, assistant: AssistantDep, origin: OriginDep) -> Response:
    """Answer from the company's policy with citations, route a formal request to the desk,
    abstain, or ask which company is meant."""
    company = origin.company_for(assistant.company(body.company).id if body.company else None)
    reply = assistant.reply(body.message, company=company, session_id=body.session_id, channel="api")
    # Validated once here; returning the JSON spares FastAPI validating it a second time.
    out = ChatResponse.model_validate(reply, from_attributes=True)
    return Response(content=out.model_dump_json(), media_type="application/json")


@router.delete("/sessions/{session_id}", status_code=204, summary="Forget a conversation")
def delete_session(session_id: str, assistant: AssistantDep, origin: OriginDep) -> None:
    """Delete the server-side transcript of a session (the widget's 'clear' button)."""
    if origin.companies is not None:
        company = assistant.sessions.load(session_id).company
        if company is not None and not origin.allows(company):
            return  # another company's conversation: left alone, answered as if it were gone
    assistant.sessions.delete(session_id)
