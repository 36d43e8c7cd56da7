"""Customer chat."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from api.deps import AssistantDep, BackofficeDep, OriginDep
from api.openapi_docs import CHAT_EXAMPLE, errors, example
from api.schemas import ChatRequest, ChatResponse, ErrorOut

router = APIRouter(prefix="/v1", tags=["chat"])

_EVAL_HEADER = (
    "`1` marks the request as an evaluation (`privacy-assistant eval --api`). Chat opens no ticket (a formal request "
    "comes back as a draft, which an evaluation never submits), so the reply is the same either way."
)


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={**example(CHAT_EXAMPLE), 404: {"model": ErrorOut, "description": "Unknown company"}, **errors(413, 422, 429, 503)},
    summary="Ask a question or make a request",
)
def chat(
    body: ChatRequest,
    assistant: AssistantDep,
    origin: OriginDep,
    # Documented and accepted (evals send it), though no reply depends on it now that chat opens no ticket.
    x_pa_eval: Annotated[str | None, Header(description=_EVAL_HEADER)] = None,
) -> Response:
    """Answer from the company's policy with citations, route a formal request to the desk,
    abstain, or ask which company is meant."""
    assistant.check_message(body.message)
    company = origin.company_for(assistant.company(body.company).id if body.company else None)
    reply = assistant.reply(body.message, company=company, session_id=body.session_id)
    # Validated once here; returning the JSON spares FastAPI validating it a second time.
    out = ChatResponse.model_validate(reply, from_attributes=True)
    return Response(content=out.model_dump_json(), media_type="application/json")


@router.delete("/sessions/{session_id}", status_code=204, responses=errors(429, 503), summary="Forget a conversation")
def delete_session(
    backoffice: BackofficeDep,
    origin: OriginDep,
    session_id: str = Path(description="The `session_id` of an earlier reply; an unknown id is not an error."),
) -> None:
    """Delete a session's transcript and request drafts (the widget's 'clear' button); its tickets stay with the desk."""
    # Another company's conversation is left alone, answered as if it were gone.
    backoffice.forget_session(session_id, origin.companies)
