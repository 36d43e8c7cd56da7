"""Staff: clause search across companies."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import AssistantDep, StaffDep
from api.schemas import CitationOut, SearchHit, SearchResults

router = APIRouter(prefix="/v1", tags=["search"])


@router.get("/search", response_model=SearchResults, summary="Search clauses")
def search(
    assistant: AssistantDep,
    staff: StaffDep,
    q: str = Query(min_length=1, max_length=500),
    company: str | None = None,
    k: int = Query(10, ge=1, le=50),
) -> SearchResults:
    """Hybrid search over the clauses of the companies this key may see."""
    if company is not None:
        assistant.company(company)  # 404 for an unknown id
    visible = [c.id for c in assistant.companies() if staff.allows(c.id) and (company is None or c.id == company)]
    hits = assistant.search(q, visible, k)
    return SearchResults(query=q, hits=[SearchHit(citation=CitationOut.model_validate(c, from_attributes=True), clause=clause) for c, clause in hits])
