"""Customers checking the status of their request."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import AssistantDep
from api.schemas import ErrorOut, RequestStatusOut

router = APIRouter(prefix="/v1/requests", tags=["requests"])


@router.get("/{reference}", response_model=RequestStatusOut, responses={404: {"model": ErrorOut}}, summary="Check a request's status")
def request_status(reference: str, assistant: AssistantDep, token: str = Query(min_length=1, max_length=128)) -> RequestStatusOut:
    """Status and dates only; a wrong reference or token is the same 404."""
    ticket = assistant.desk.lookup(reference, token)
    return RequestStatusOut(reference=ticket.id, status=ticket.status, created_at=ticket.created_at, due_at=ticket.due_at)
