"""Staff: who a key is and which companies it may see (the console's sign-in check)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import BackofficeDep, StaffDep
from api.openapi_docs import errors
from api.schemas import StaffMe

router = APIRouter(prefix="/v1/staff", tags=["staff"], responses=errors(401, 503))


@router.get("/me", response_model=StaffMe, summary="The staff key's scope")
def me(backoffice: BackofficeDep, staff: StaffDep) -> StaffMe:
    """401 without a valid `X-API-Key`; otherwise the ids of the companies this key may see."""
    return StaffMe(
        actor=staff.actor,
        companies=[c.id for c in backoffice.companies() if staff.allows(c.id)],
        all_companies=staff.companies is None,
    )
