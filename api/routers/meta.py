"""The assistant's vocabulary and limits, for the widget and the console (public)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import SettingsDep
from api.schemas import MetaOut
from assistant.vocabulary import meta as vocabulary

router = APIRouter(prefix="/v1", tags=["meta"])

# Changes only with a deploy or a restart with other settings: clients may keep it for a while.
CACHE_CONTROL = "public, max-age=300"


@router.get("/meta", response_model=MetaOut, summary="Routes, request types, ticket statuses and limits")
def meta(settings: SettingsDep, response: Response) -> MetaOut:
    """Defined once in the library (`assistant/vocabulary.py`); no key needed. The message limit is
    the configured `PA_MAX_MESSAGE_CHARS`."""
    response.headers["Cache-Control"] = CACHE_CONTROL
    return MetaOut.model_validate(vocabulary(settings.max_message_chars))
