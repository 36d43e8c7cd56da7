"""Staff: the desk queue (API key required, scoped to companies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import BackofficeDep, StaffDep
from api.openapi_docs import errors
from api.schemas import ErrorOut, MessageIn, MessageOut, StatusChange, TicketDetailOut, TicketPage
from assistant.desk.csv_export import tickets_csv
from assistant.desk.tickets import TicketFilter
from assistant.vocabulary import RequestType

router = APIRouter(prefix="/v1/desk", tags=["desk"], responses=errors(401, 422, 503))

_COMPANY = "Only this company's tickets (a company the key may not see gives an empty list)."
_STATUS = "Only tickets in this status, e.g. received."
_REFERENCE = "The ticket reference, e.g. PRQ-000123."
_INCLUDE_EVAL = "Also list evaluation tickets (channel `eval`, opened by `privacy-assistant eval --api --allow-tickets`)."
_TYPE = "Only tickets with this request type."
_OVERDUE = "true: only open tickets past their due date (the desk's internal target); false: only the others."


def _scope(staff: StaffDep, company: str | None) -> tuple[str, ...] | None:
    if company is None:
        return staff.companies
    return (company,) if staff.allows(company) else ()


@router.get("/tickets", response_model=TicketPage, summary="List tickets")
def list_tickets(
    backoffice: BackofficeDep,
    staff: StaffDep,
    company: str | None = Query(None, description=_COMPANY),
    status: str | None = Query(None, description=_STATUS),
    type: Annotated[RequestType | None, Query(description=_TYPE)] = None,  # the public filter name (shadows the builtin on purpose)
    overdue: bool | None = Query(None, description=_OVERDUE),
    offset: int = Query(
        0, ge=0, le=10_000_000, description="Skip this many tickets (paging)."
    ),  # bounded: a huge OFFSET overflows the database integer
    limit: int = Query(50, ge=1, le=500, description="At most this many tickets (1-500)."),
    include_eval: bool = Query(False, description=_INCLUDE_EVAL),
) -> TicketPage:
    """Newest first, filtered by company, status, request type and overdue."""
    where = TicketFilter(companies=_scope(staff, company), status=status, request_type=type, overdue=overdue, include_eval=include_eval)
    items, total = backoffice.tickets(where, offset, limit)
    return TicketPage(
        items=[TicketDetailOut.model_validate(t, from_attributes=True) for t in items], total=total, offset=offset, limit=limit
    )


@router.get("/tickets.csv", summary="Export tickets as CSV")
def export_csv(
    backoffice: BackofficeDep,
    staff: StaffDep,
    company: str | None = Query(None, description=_COMPANY),
    status: str | None = Query(None, description=_STATUS),
    # The listing's filters, so the console's CSV button exports the queue it shows.
    type: Annotated[RequestType | None, Query(description=_TYPE)] = None,
    overdue: bool | None = Query(None, description=_OVERDUE),
    include_eval: bool = Query(False, description=_INCLUDE_EVAL),
) -> Response:
    """CSV of the filtered queue (UTF-8 with BOM); cells are escaped against spreadsheet formula injection."""
    where = TicketFilter(companies=_scope(staff, company), status=status, request_type=type, overdue=overdue, include_eval=include_eval)
    items, _ = backoffice.tickets(where, 0, 100_000)
    return Response(
        tickets_csv(items), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": "attachment; filename=tickets.csv"}
    )


@router.get(
    "/tickets/{reference}", response_model=TicketDetailOut, responses={404: {"model": ErrorOut}}, summary="One ticket with its audit trail"
)
def get_ticket(backoffice: BackofficeDep, staff: StaffDep, reference: str = Path(description=_REFERENCE)) -> TicketDetailOut:
    """A ticket outside the key's companies is a 404, as if it did not exist."""
    detail = backoffice.ticket(reference, staff.companies, actor=staff.actor)
    return TicketDetailOut.model_validate(detail, from_attributes=True)


@router.post(
    "/tickets/{reference}/status",
    response_model=TicketDetailOut,
    responses={404: {"model": ErrorOut}, **errors(409, 413)},
    summary="Change a ticket's status",
)
def set_status(
    body: StatusChange, backoffice: BackofficeDep, staff: StaffDep, reference: str = Path(description=_REFERENCE)
) -> TicketDetailOut:
    """Move the ticket along received → awaiting_identity → in_progress → completed, or reject/withdraw."""
    detail = backoffice.set_ticket_status(reference, body.status, staff.actor, body.note, staff.companies)
    return TicketDetailOut.model_validate(detail, from_attributes=True)


@router.post(
    "/tickets/{reference}/messages",
    status_code=201,
    response_model=MessageOut,
    responses={404: {"model": ErrorOut}, **errors(413)},
    summary="Write to the customer",
)
def desk_message(body: MessageIn, backoffice: BackofficeDep, staff: StaffDep, reference: str = Path(description=_REFERENCE)) -> MessageOut:
    """A message the customer reads with their status check (recorded in the audit trail under the key's name)."""
    return MessageOut.of(backoffice.desk_message(reference, body.text, staff.actor, staff.companies))
