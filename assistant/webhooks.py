"""Telling a company's systems about new desk tickets: signed HTTP webhooks with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Protocol

from assistant.domain import Ticket

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-PA-Signature"


class TicketNotifier(Protocol):
    """Announces new tickets; must never raise into the request that opened the ticket."""

    def notify(self, ticket: Ticket) -> None:
        """Announce `ticket` (delivery may happen later, in the background)."""
        ...


class NullNotifier:
    """No webhooks configured."""

    def notify(self, ticket: Ticket) -> None:
        """Do nothing."""


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=<hex HMAC of the body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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


class HttpWebhookNotifier:
    """POSTs a signed JSON body to the company's URL, retrying with exponential backoff.

    The ticket is committed before this runs, so a failed delivery loses nothing: staff
    still see the ticket in the queue, and the failure is logged with its reference."""

    def __init__(
        self,
        urls: Mapping[str, str],
        secret: str,
        attempts: int = 5,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 5.0,
    ) -> None:
        self._urls = dict(urls)
        self._secret = secret
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._threads: list[threading.Thread] = []

    def notify(self, ticket: Ticket) -> None:
        """Deliver in a background thread when the ticket's company has a webhook."""
        url = self._urls.get(ticket.company)
        if not url:
            return
        thread = threading.Thread(target=self.deliver, args=(url, ticket), daemon=True, name=f"webhook-{ticket.id}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def deliver(self, url: str, ticket: Ticket) -> bool:
        """Try up to `attempts` times; True once the receiver answers 2xx."""
        body = ticket_payload(ticket)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self._secret, body)}
        for attempt in range(1, self._attempts + 1):
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

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for deliveries in flight (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
