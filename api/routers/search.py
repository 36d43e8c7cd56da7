"""Staff: clause search across companies."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import AssistantDep, StaffDep
from api.openapi_docs import errors
from api.schemas import CitationOut, SearchHit, SearchResults

router = APIRouter(prefix="/v1", tags=["search"], responses=errors(401, 404, 422, 503))


@router.get("/search", response_model=SearchResults, summary="Search clauses")
def search(
    assistant: AssistantDep,
    staff: StaffDep,
    q: str = Query(min_length=1, max_length=500, description="What to look for, in words (1-500 characters)."),
    company: str | None = Query(None, description="Only this company's clauses (it must be one the key may see)."),
    k: int = Query(10, ge=1, le=50, description="How many clauses to return (1-50)."),
) -> SearchResults:
    """Hybrid search over the clauses of the companies this key may see."""
    if company is not None:
        assistant.company(company)  # 404 for an unknown id
    visible = [c.id for c in assistant.companies() if staff.allows(c.id) and (company is None or c.id == company)]
    hits = assistant.search(q, visible, k)
    return SearchResults(
        query=q, hits=[SearchHit(citation=CitationOut.model_validate(c, from_attributes=True), clause=clause) for c, clause in hits]
    )
