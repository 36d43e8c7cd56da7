"""Telling a company's systems about new desk tickets: signed HTTP webhooks with retries.

Each delivery carries `X-PA-Timestamp` (Unix seconds) and `X-PA-Signature: sha256=<hex>`, the
HMAC-SHA256 of `f"{timestamp}.{body}"`, so a captured request cannot be replayed later;
receivers check both with `verify_signature`. Deliveries run on a small pool of worker threads
with a bounded queue; when the queue is full a delivery is dropped with a warning (the ticket is
already committed and waiting in the desk queue)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Protocol

from assistant.domain import Ticket

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-PA-Signature"
TIMESTAMP_HEADER = "X-PA-Timestamp"
DEFAULT_MAX_AGE_SECONDS = 300


class TicketNotifier(Protocol):
    """Announces new tickets; must never raise into the request that opened the ticket."""

    def notify(self, ticket: Ticket) -> None:
        """Announce `ticket` (delivery may happen later, in the background)."""
        ...


class NullNotifier:
    """No webhooks configured."""

    def notify(self, ticket: Ticket) -> None:
        """Do nothing."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value: `sha256=<hex HMAC of "{timestamp}.{body}">`."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    max_age: float = DEFAULT_MAX_AGE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """For receivers: whether a delivery is signed with `secret` and its timestamp is at most
    `max_age` seconds from now (either way); pass the raw body, before any JSON parsing."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp, signature = lowered.get(TIMESTAMP_HEADER.lower(), ""), lowered.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > max_age:
        return False
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(signature.encode(), sign(secret, raw, int(timestamp)).encode())


def ticket_payload(ticket: Ticket) -> bytes:
    """The webhook body: the ticket's reference and metadata, never the customer's message."""
    data = {
        "event": "ticket.created",
        "ticket": {
            "id": ticket.id,
            "company": ticket.company,
            "status": ticket.status,
            "request_types": list(ticket.request_types),
            "proxy": ticket.proxy,
            "created_at": ticket.created_at,
            "due_at": ticket.due_at,
        },
    }
    return json.dumps(data, sort_keys=True).encode()


class _DeliveryPool:
    """A fixed number of daemon worker threads over a bounded queue.

    Daemon threads, unlike ThreadPoolExecutor's, do not hold up process exit while a receiver
    is down: the deliveries still queued are dropped, and their tickets stay in the desk queue."""

    def __init__(self, workers: int, queue_size: int) -> None:
        self._workers = workers
        self._queue: queue.Queue[tuple[Callable[..., object], tuple[object, ...]]] = queue.Queue(maxsize=queue_size)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., object], *args: object) -> bool:
        """Queue `fn(*args)`; False (nothing queued) when the queue is full."""
        with self._lock:
            if not self._threads:
                self._threads = [threading.Thread(target=self._run, daemon=True, name=f"webhook-{n}") for n in range(self._workers)]
                for thread in self._threads:
                    thread.start()
        try:
            self._queue.put_nowait((fn, args))
        except queue.Full:
            return False
        return True

    def _run(self) -> None:
        while True:
            fn, args = self._queue.get()
            try:
                fn(*args)
            except Exception:  # a bug in one delivery must not kill the worker
                log.exception("webhook delivery failed")
            finally:
                self._queue.task_done()

    def wait(self, timeout: float) -> bool:
        """Wait until every queued delivery has finished; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True


class HttpWebhookNotifier:
    """POSTs a signed JSON body to the company's URL, retrying with exponential backoff.

    The ticket is committed before this runs, so a failed or dropped delivery loses nothing:
    staff still see the ticket in the queue, and the failure is logged with its reference."""

    def __init__(
        self,
        urls: Mapping[str, str],
        secret: str,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 5.0,
        workers: int = 4,
        queue_size: int = 100,
    ) -> None:
        self._urls = dict(urls)
        self._secret = secret
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._pool = _DeliveryPool(workers, queue_size)

    def notify(self, ticket: Ticket) -> None:
        """Queue a delivery when the ticket's company has a webhook; never blocks the caller."""
        url = self._urls.get(ticket.company)
        if not url:
            return
        if not self._pool.submit(self.deliver, url, ticket):
            log.warning("webhook for %s dropped: the delivery queue is full; the ticket is safe in the queue", ticket.id)

    def deliver(self, url: str, ticket: Ticket) -> bool:
        """Try up to `attempts` times; True once the receiver answers 2xx."""
        body = ticket_payload(ticket)
        for attempt in range(1, self._attempts + 1):
            timestamp = int(time.time())  # fresh on every attempt: a late retry must not look stale
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(self._secret, body, timestamp),
            }
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(request, timeout=self._timeout) as resp:
                    if 200 <= resp.status < 300:
                        return True
            except (urllib.error.URLError, OSError, ValueError) as exc:
                log.warning("webhook for %s attempt %d failed: %s", ticket.id, attempt, type(exc).__name__)
            if attempt < self._attempts:
                time.sleep(self._backoff * 2 ** (attempt - 1))
        log.error("webhook for %s gave up after %d attempts; the ticket is safe in the queue", ticket.id, self._attempts)
        return False

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait for queued and in-flight deliveries (tests and shutdown); False on timeout."""
        return self._pool.wait(timeout)
