"""Request ids in log records, and log hygiene for the HTTP access log.

The API middleware puts each request's id in `request_id_var`; a log-record factory copies it
onto every record as `record.request_id` ("-" outside a request), so any format may use
`%(request_id)s` and tests can read it from caplog records."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_installed = False
_QUERY = re.compile(r"\?.*$")


def current_request_id() -> str:
    """The id of the request being handled ("-" outside one)."""
    return request_id_var.get()


def install_log_record_factory() -> None:
    """Give every log record a `request_id` attribute (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class RequestIdFilter(logging.Filter):
    """For handlers whose records may come from elsewhere: make sure `request_id` is set."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class DropQueryStringFilter(logging.Filter):
    """Uvicorn's access log prints the full path; query strings may hold lookup tokens, so drop them."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], _QUERY.sub("?…", args[2]), *args[3:])
        return True


def install_access_log_filter() -> None:
    """Attach DropQueryStringFilter to uvicorn's access logger once."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStringFilter) for f in logger.filters):
        logger.addFilter(DropQueryStringFilter())
