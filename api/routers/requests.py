"""Customers submitting a formal request, checking its status and answering the desk."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request

from api.deps import BackofficeDep, ClientDep, OriginDep
from api.i18n import request_language
from api.openapi_docs import REQUEST_CREATED_EXAMPLE, REQUEST_STATUS_EXAMPLE, errors, example
from api.schemas import ErrorOut, MessageIn, MessageOut, RequestCreatedOut, RequestStatusOut, RequestSubmit
from assistant.desk.tickets import TicketNotFoundError

router = APIRouter(prefix="/v1/requests", tags=["requests"])

_REFERENCE = "The ticket reference given when the request was made, e.g. PRQ-000123."
_TOKEN = "The `lookup_token` given with the reference."


@router.post(
    "",
    status_code=201,
    response_model=RequestCreatedOut,
    responses={**example(REQUEST_CREATED_EXAMPLE, 201), **errors(413, 422, 429, 503)},
    summary="Submit a formal request",
)
def submit_request(
    request: Request, body: RequestSubmit, backoffice: BackofficeDep, origin: OriginDep, client: ClientDep
) -> RequestCreatedOut:
    """Send a chat's request draft, with contact details, to the company's privacy desk. Idempotent per
    draft: a repeat (even a concurrent one) returns the same reference and lookup token."""
    # next_steps in the widget's language (its Accept-Language), as the chat replies are.
    lang = request_language(request.headers)
    return RequestCreatedOut.of(backoffice.submit_request(body.submission(client), origin.companies, lang))


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
    reference: str = Path(description=_REFERENCE),
    token: str = Query(min_length=1, max_length=128, description=_TOKEN),
) -> RequestStatusOut:
    """Status, when it was received and the messages with the desk, and no due date (the desk's target is internal);
    a wrong reference or token, or another company's ticket from a company's site, is the same 404."""
    view = backoffice.request_view(reference, token)
    if not origin.allows(view.ticket.company):
        raise TicketNotFoundError(reference)
    return RequestStatusOut.of(view)


@router.post(
    "/{reference}/messages",
    status_code=201,
    response_model=MessageOut,
    responses={404: {"model": ErrorOut, "description": "No such request, or a wrong token"}, **errors(413, 422, 429, 503)},
    summary="Answer the desk",
)
def customer_message(
    body: MessageIn,
    backoffice: BackofficeDep,
    origin: OriginDep,
    reference: str = Path(description=_REFERENCE),
    token: str = Query(min_length=1, max_length=128, description=_TOKEN),
) -> MessageOut:
    """The customer's message to the desk on their request (in the ticket's audit trail)."""
    return MessageOut.of(backoffice.customer_message(reference, token, body.text, origin.companies))
