"""Companies and their policy texts."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from api.deps import AssistantDep, BackofficeDep, OriginDep, served_assistant
from api.openapi_docs import COMPANIES_EXAMPLE, errors, example
from api.schemas import CompanyOut, DocumentOut, ErrorOut, PageSpanOut, PolicyOut
from assistant.domain import Company

router = APIRouter(prefix="/v1/companies", tags=["companies"], responses=errors(503))


def _company_out(c: Company) -> CompanyOut:
    return CompanyOut(
        id=c.id,
        name=c.name,
        short_name=c.short_name,
        short_names=c.short_names,
        aliases=list(c.aliases),
        desk_name=c.desk_name,
        desk_email=c.desk_email,
        desk_address=c.desk_address,
        desk_url=c.desk_url,
        desk_note=c.desk_channels_note,
        source_url=c.source_url,
    )


@router.get("", response_model=list[CompanyOut], responses=example(COMPANIES_EXAMPLE), summary="List companies")
def list_companies(request: Request, backoffice: BackofficeDep, origin: OriginDep) -> list[CompanyOut]:
    """Ids, names and privacy-desk contacts of every company served (from a company's site: its own)."""
    assistant = served_assistant(request)
    # Without an index the widget still learns the companies (and their desks' contacts).
    listed = assistant.companies() if assistant is not None else backoffice.companies()
    return [_company_out(c) for c in listed if origin.allows(c.id)]


@router.get("/{company_id}/policy", response_model=PolicyOut, responses={404: {"model": ErrorOut}}, summary="A company's policy text")
def policy(
    assistant: AssistantDep,
    origin: OriginDep,
    company_id: str = Path(description="Company id, as listed by GET /v1/companies."),
) -> PolicyOut:
    """The documents citations point into (offsets are code points into `text`)."""
    docs = assistant.documents(company_id)  # 404 for an unknown id
    origin.company_for(company_id)  # 403 from another company's site
    return PolicyOut(
        company=company_id,
        documents=[
            DocumentOut(
                doc_id=d.doc_id,
                version=d.version,
                title=d.title,
                text=d.text,
                pages=[PageSpanOut(page=p.page, start=p.start, end=p.end) for p in d.pages],
            )
            for d in docs
        ],
    )
