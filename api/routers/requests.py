"""Customers checking the status of their request."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query

from api.deps import BackofficeDep, OriginDep
from api.openapi_docs import REQUEST_STATUS_EXAMPLE, errors, example
from api.schemas import ErrorOut, RequestStatusOut
from assistant.desk.tickets import TicketNotFoundError

router = APIRouter(prefix="/v1/requests", tags=["requests"])


@router.get(
    "/{reference}",
    response_model=RequestStatusOut,
    responses={
        **example(REQUEST_STATUS_EXAMPLE),
        404: {"model": ErrorOut, "description": "No such request, or a wrong token"},
        **errors(422, 429, 503),
    },
    summary="Check a request's status",
)
def request_status(
    backoffice: BackofficeDep,
    origin: OriginDep,
    reference: str = Path(description="The ticket reference given when the request was made, e.g. PRQ-000123."),
    token: str = Query(min_length=1, max_length=128, description="The `lookup_token` given once with the reference."),
) -> RequestStatusOut:
    """Status and dates only; a wrong reference or token, or another company's ticket from a
    company's site, is the same 404."""
    ticket = backoffice.request_status(reference, token)
    if not origin.allows(ticket.company):
        raise TicketNotFoundError(reference)
    return RequestStatusOut(reference=ticket.id, status=ticket.status, created_at=ticket.created_at, due_at=ticket.due_at)
