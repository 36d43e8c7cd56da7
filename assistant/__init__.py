"""privacy-assistant: answers from a company's privacy policy, with verbatim citations,
and formal requests routed to its privacy desk.

The facade is `Assistant.reply()`; `build_assistant(Settings())` wires it from settings.
"""

from assistant.domain import Citation, Company, Document, Reply, Ticket
from assistant.errors import (
    AssistantError,
    CorpusError,
    IndexNotBuiltError,
    InvalidMessageError,
    StaleIndexError,
    StorageUnavailableError,
    UnknownCompanyError,
)
from assistant.factory import build_assistant
from assistant.service import Assistant
from assistant.settings import Settings

__all__ = [
    "Assistant",
    "AssistantError",
    "Citation",
    "Company",
    "CorpusError",
    "Document",
    "IndexNotBuiltError",
    "InvalidMessageError",
    "Reply",
    "Settings",
    "StaleIndexError",
    "StorageUnavailableError",
    "Ticket",
    "UnknownCompanyError",
    "build_assistant",
]
