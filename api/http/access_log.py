"""Log hygiene for uvicorn's HTTP access log: query strings (which may hold lookup tokens) are dropped."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?.*$")


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
