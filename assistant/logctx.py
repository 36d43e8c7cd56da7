"""Request ids in log records (the HTTP access-log filter is in `api/http/access_log.py`).

The API middleware puts each request's id in `request_id_var`; a log-record factory copies it
onto every record as `record.request_id` ("-" outside a request), so any format may use
`%(request_id)s` and tests can read it from caplog records."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_installed = False


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
