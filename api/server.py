"""Server plumbing for `privacy-assistant serve` (uvicorn), kept beside the app it serves."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from asyncio import TimerHandle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from assistant.settings import Settings


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with TCP_NODELAY on every connection.

    With several workers uvicorn binds the listening socket itself, as `socket.socket(family)`
    with protocol number 0, and asyncio then skips TCP_NODELAY on accepted connections. A
    response goes out as two writes (head, then body), so on a kept-alive connection the body
    waits for the client's delayed ACK: the bench measured about 40 ms added to every request
    (p50 64 ms with two workers against 22 ms with one)."""

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection may take: head size, and time for the head and for the body."""

    max_header_bytes: int
    header_timeout: float
    body_timeout: float


@lru_cache(maxsize=1)
def connection_limits() -> ConnectionLimits:
    """Read once per worker process: the workers get their settings from the environment."""
    s = Settings()
    return ConnectionLimits(s.http_max_header_bytes, s.http_header_timeout_seconds, s.http_body_timeout_seconds)


LINGER_SECONDS = 5.0


def _raw_error(status: int, reason: str, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "x-content-type-options: nosniff\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class HardenedHttpToolsProtocol(NoDelayHttpToolsProtocol):
    """The protocol `serve` uses: TCP_NODELAY, plus limits uvicorn does not have for httptools.

    uvicorn arms a timer only between requests (keep-alive), and httptools has no size limit on a
    request head, so a connection that never finishes its head or its body stayed open for good,
    and an 8 MB header was accepted. Here the head must arrive within `header_timeout` and fit in
    `max_header_bytes` (else 408 or 431, then close), and a body within `body_timeout` of its head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = connection_limits()
        self._deadline: TimerHandle | None = None
        self._in_head = True  # a fresh connection owes us a request head
        self._head_bytes = 0
        self._rejected = False

    # -- timers ---------------------------------------------------------------------------------
    def _arm(self, seconds: float, handler: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, handler)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _reject(self, status: int, reason: str, detail: str) -> None:
        self._disarm()
        if self.transport.is_closing() or self._rejected:
            return
        self._rejected = True
        if self.cycle is not None and not self.cycle.response_complete:
            if self.cycle.response_started:  # too late for a status line: just hang up
                self.transport.close()
                return
            self.cycle.disconnected = True  # whatever the app sends for it now is dropped
            self.cycle.message_event.set()  # and a receive() waiting for the body hears so now
        self.transport.write(_raw_error(status, reason, detail))
        # A lingering close, as nginx does: closing with unread input would send a reset, and the
        # client would lose the answer. Send the answer and a FIN, then discard what still comes
        # for a short while.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:  # pragma: no cover - TCP transports can
            self.transport.close()

    def eof_received(self) -> None:
        if self._rejected:
            self.transport.close()  # the client has finished sending: the linger is over

    def _head_timed_out(self) -> None:
        self._deadline = None
        if self._head_bytes:
            self._reject(408, "Request Timeout", "the request headers took too long to arrive")
        elif not self.transport.is_closing():
            self.transport.close()  # nothing was sent: nothing to answer

    def _body_timed_out(self) -> None:
        self._deadline = None
        self._reject(408, "Request Timeout", "the request body took too long to arrive")

    # -- protocol and parser callbacks ------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._rejected:
            return  # answered already; only draining until the close
        super().data_received(data)
        # Counted after parsing, and only while a head is incomplete, so a body sent in the same
        # packet as its head never counts towards the head.
        if self._in_head and self.parser is not None and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._reject(431, "Request Header Fields Too Large", "the request headers are too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        if self._deadline is None:  # a connection's first head is already timed from its opening
            self._arm(self.limits.header_timeout, self._head_timed_out)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._arm(self.limits.body_timeout, self._body_timed_out)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The connection limits `serve` passes to uvicorn (the rest are in HardenedHttpToolsProtocol)."""
    return {
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "limit_concurrency": settings.http_limit_concurrency or None,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
    }


# -- readiness across workers ------------------------------------------------------------------
# `serve` gives its workers a run directory (PA_RUN_DIR); each writes `worker-<pid>` there once
# it has finished loading and removes it when it stops. /readyz, answered by any one worker,
# counts the markers of workers still alive, so it is 200 only once every worker can answer.


def _stat_fields(pid: int | str) -> list[str] | None:
    """/proc/<pid>/stat from the state field on (the name before it may hold spaces), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_started(pid: int | str) -> str:
    """The process's start time in clock ticks since boot, or "" where there is no /proc."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else ""


def mark_worker_ready(run_dir: Path) -> None:
    """Say that this worker process has finished starting."""
    # The marker holds the start time, so a dead worker's pid taken by a new process (or a
    # thread: they share the pid space, which is only 32768 wide by default) does not count.
    # Written aside and renamed, so a reader never sees a marker without its start time.
    with contextlib.suppress(OSError):
        aside = run_dir / f".worker-{os.getpid()}"
        aside.write_text(f"{process_started('self')}\n")
        os.replace(aside, run_dir / f"worker-{os.getpid()}")


def unmark_worker(run_dir: Path) -> None:
    """Take this worker's marker away (it is stopping)."""
    with contextlib.suppress(OSError):
        (run_dir / f"worker-{os.getpid()}").unlink()


def _alive(pid: int, started: str = "") -> bool:
    """Whether the process that wrote a marker still runs: its pid answers and started when it did."""
    try:
        os.kill(pid, 0)
    except PermissionError:
        pass  # alive, only not ours to signal
    except OSError:
        return False
    fields = _stat_fields(pid)
    if fields is None:
        return True  # no /proc: signal 0 is all there is
    # A killed worker stays a zombie until the supervisor reaps it, and signal 0 still reaches it.
    if fields[0] in ("Z", "X"):
        return False
    return not started or len(fields) <= 19 or fields[19] == started


def ready_workers(run_dir: Path) -> int:
    """How many workers with a marker are still alive (a crashed one leaves its marker behind)."""
    count = 0
    with contextlib.suppress(OSError):
        for marker in run_dir.glob("worker-*"):
            pid = marker.name.removeprefix("worker-")
            count += pid.isdigit() and _alive(int(pid), _marker_start(marker))
    return count


def _marker_start(marker: Path) -> str:
    """The start time a marker records ("" if unreadable, or written before markers held it)."""
    try:
        text = marker.read_text().strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
