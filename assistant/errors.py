"""Domain errors raised by the library; the API maps each to one HTTP status.

An error a customer's message can cause has a `code`: its text, in English or Japanese, is the
catalog's `error.<code>` (assistant/answering/messages.py) filled in with `params`, and
`message(lang)` renders it; `str(error)` stays the English text."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Self

from assistant.answering.messages import has, retry_in, text
from assistant.understand.language import supported


class AssistantError(Exception):
    """Base class of every error the library raises on purpose."""

    code: str | None = None
    params: Mapping[str, object] = MappingProxyType({})
    language: str | None = None  # the language of the message the error is about, when known

    @classmethod
    def coded(cls, code: str, *, language: str | None = None, **params: object) -> Self:
        """The error `code` with its English text (the catalog's `error.<code>`), for `message(lang)` to render in another."""
        error = cls(text(f"error.{code}", "en", **params))
        error.code, error.params, error.language = code, MappingProxyType(dict(params)), language
        return error

    def message(self, lang: str | None = None) -> str | None:
        """The error's text in `lang` ('en' or 'ja'; by default the language of the message it is
        about, else English), or None when it has none in that language (an error without a code
        has its English text only)."""
        language = supported(lang or self.language)
        if self.code is None or not has(f"error.{self.code}"):
            return str(self) if language == "en" else None
        return text(f"error.{self.code}", language, **self.params)


class UnknownCompanyError(AssistantError):
    """A company id that is not in the corpus."""

    def __init__(self, company: str, valid: list[str]) -> None:
        params = {"company": company, "valid": ", ".join(valid)}
        super().__init__(text("error.unknown_company", "en", **params))
        self.company = company
        self.valid = valid
        self.code, self.params = "unknown_company", MappingProxyType(params)


class RetryLaterError(AssistantError):
    """A cap was reached: the text says when to retry in minutes or hours, from `retry_after` (seconds, the Retry-After header)."""

    def __init__(self, code: str, retry_after: int, **params: object) -> None:
        self.code, self.params, self.retry_after = code, MappingProxyType(dict(params)), retry_after
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        """The error's text in `lang` (by default its message's language, else English)."""
        language = supported(lang or self.language)
        return text(f"error.{self.code}", language, when=retry_in(self.retry_after, language), **self.params)


class InvalidMessageError(AssistantError):
    """A message that is empty or too long (`code`: message_empty | message_too_long)."""


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


class PhrasingError(AssistantError):
    """The language model gave no usable text (`reason`: timeout | error | refusal | empty); the reply stays extractive."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"phrasing failed ({reason}){': ' + detail if detail else ''}")
        self.reason = reason
