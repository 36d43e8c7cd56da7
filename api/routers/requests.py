"""Customers checking the status of their request."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import AssistantDep, OriginDep
from api.schemas import ErrorOut, RequestStatusOut
from assistant.desk import TicketNotFoundError

router = APIRouter(prefix="/v1/requests", tags=["requests"])


@router.get("/{reference}", response_model=RequestStatusOut, responses={404: {"model": ErrorOut}}, summary="Check a request's status")
def request_status(
    reference: str, assistant: AssistantDep, origin: OriginDep, token: str = Query(min_length=1, max_length=128)
) -> RequestStatusOut:
    """Status and dates only; a wrong reference or token, or another company's ticket from a
    company's site, is the same 404."""
    ticket = assistant.desk.lookup(reference, token)
    if not origin.allows(ticket.company):
        raise TicketNotFoundError(reference)
    return RequestStatusOut(reference=ticket.id, status=ticket.status, created_at=ticket.created_at, due_at=ticket.due_at)
