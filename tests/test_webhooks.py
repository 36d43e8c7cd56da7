"""Webhooks on new tickets, against a real local HTTP server."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.domain import Ticket
from assistant.webhooks import SIGNATURE_HEADER, HttpWebhookNotifier, sign

SECRET = "test-secret"
TICKET = Ticket("PRQ-000042", "received", ("deletion",), "upward", False, "2026-01-01T00:00:00+00:00", "2026-01-15T00:00:00+00:00")


class _Receiver:
    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.calls: list[tuple[bytes, str]] = []


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[str, _Receiver]]:
    state = _Receiver(getattr(request, "param", 0))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.calls.append((body, self.headers.get(SIGNATURE_HEADER, "")))
            self.send_response(500 if len(state.calls) <= state.fail_first else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    server.shutdown()


def test_delivery_is_signed(receiver: tuple[str, _Receiver]) -> None:
    url, state = receiver
    notifier = HttpWebhookNotifier({"upward": url}, SECRET, backoff_seconds=0.01)
    notifier.notify(TICKET)
    notifier.wait()
    assert len(state.calls) == 1
    body, signature = state.calls[0]
    assert hmac.compare_digest(signature, "sha256=" + hmac.new(SECRET.encode(), body, sha256).hexdigest())
    payload = json.loads(body)
    assert payload["event"] == "ticket.created" and payload["ticket"]["id"] == "PRQ-000042"
    assert "message" not in payload["ticket"]


@pytest.mark.parametrize("receiver", [2], indirect=True)
def test_retries_with_backoff_until_accepted(receiver: tuple[str, _Receiver]) -> None:
    url, state = receiver
    notifier = HttpWebhookNotifier({"upward": url}, SECRET, attempts=4, backoff_seconds=0.01)
    assert notifier.deliver(url, TICKET) is True
    assert len(state.calls) == 3


@pytest.mark.parametrize("receiver", [99], indirect=True)
def test_gives_up_after_attempts(receiver: tuple[str, _Receiver]) -> None:
    url, state = receiver
    notifier = HttpWebhookNotifier({"upward": url}, SECRET, attempts=3, backoff_seconds=0.01)
    assert notifier.deliver(url, TICKET) is False
    assert len(state.calls) == 3


def test_other_companies_are_not_notified(receiver: tuple[str, _Receiver]) -> None:
    url, state = receiver
    notifier = HttpWebhookNotifier({"highreso": url}, SECRET)
    notifier.notify(TICKET)
    notifier.wait()
    assert state.calls == []


def test_signature_changes_with_body() -> None:
    assert sign(SECRET, b"a") != sign(SECRET, b"b") and sign(SECRET, b"a").startswith("sha256=")


def test_failed_delivery_never_loses_the_ticket(hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"desk_webhooks": "upward=http://127.0.0.1:9/unreachable", "desk_webhook_secret": SECRET})
    assistant = build_assistant(settings, hash_embedder)
    assistant.notifier._attempts = 2  # type: ignore[attr-defined]
    assistant.notifier._backoff = 0.01  # type: ignore[attr-defined]
    reply = assistant.reply("I hereby request that you delete all my personal data.", company="upward")
    assistant.notifier.wait()  # type: ignore[attr-defined]
    if reply.route != "desk":
        pytest.skip("hash embedder did not classify this as a request")
    assert reply.ticket is not None
    assert assistant.desk.get(reply.ticket.id).status == "received"


def test_webhooks_without_secret_are_refused(hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"desk_webhooks": "upward=http://127.0.0.1:9/x"})
    with pytest.raises(ValueError, match="SECRET"):
        build_assistant(settings, hash_embedder)
