"""Domain errors raised by the library; the API maps each to one HTTP status."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the library raises on purpose."""


class UnknownCompanyError(AssistantError):
    """A company id that is not in the corpus."""

    def __init__(self, company: str, valid: list[str]) -> None:
        super().__init__(f"unknown company {company!r}; valid ids: {', '.join(valid)}")
        self.company = company
        self.valid = valid


class InvalidMessageError(AssistantError):
    """A message that is empty or too long."""


class CorpusError(AssistantError):
    """A corpus file that cannot be used, named with the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexNotBuiltError(AssistantError):
    """The index directory has no usable index (missing, partial or corrupt)."""


class DamagedIndexError(IndexNotBuiltError):
    """The build in service is there but broken: truncated or altered files, a garbled manifest."""


class StaleIndexError(AssistantError):
    """The index was built from other corpus files than the ones on disk now."""


class DatabaseConfigError(AssistantError):
    """PA_DATABASE_URL names no usable database: not a database URL, or a SQLite file that is not there."""


class StorageUnavailableError(AssistantError):
    """The database cannot be reached or stays locked."""
