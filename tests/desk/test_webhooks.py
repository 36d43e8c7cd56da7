"""Webhooks on new tickets, against a real local HTTP server."""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import assistant.desk.webhooks as webhooks
from assistant.backoffice import Submission
from assistant.desk.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, HttpWebhookNotifier, sign, verify_signature
from assistant.domain import Contact, Ticket

SECRET = "test-secret"
TICKET = Ticket("PRQ-000042", "received", ("deletion",), "upward", False, "2026-01-01T00:00:00+00:00", "2026-01-15T00:00:00+00:00")


class _Receiver:
    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.calls: list[tuple[bytes, str]] = []
        self.headers: list[dict[str, str]] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.release.set()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[str, _Receiver]]:
    state = _Receiver(getattr(request, "param", 0))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.calls.append((body, self.headers.get(SIGNATURE_HEADER, "")))
            state.headers.append(dict(self.headers.items()))
            state.arrived.set()
            state.release.wait(10)
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
    timestamp = {k.lower(): v for k, v in state.headers[0].items()}[TIMESTAMP_HEADER.lower()]
    assert abs(int(timestamp) - time.time()) < 60
    assert hmac.compare_digest(signature, "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, sha256).hexdigest())
    assert verify_signature(body, state.headers[0], SECRET, max_age=300)
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


def test_signature_changes_with_body_and_timestamp() -> None:
    assert sign(SECRET, b"a", 1) != sign(SECRET, b"b", 1) and sign(SECRET, b"a", 1).startswith("sha256=")
    assert sign(SECRET, b"a", 1) != sign(SECRET, b"a", 2)


NOW = 1_800_000_000
BODY = b'{"event": "ticket.created"}'


def _headers(timestamp: int = NOW, body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, body, timestamp)}


def test_verify_signature_accepts_a_fresh_delivery() -> None:
    assert verify_signature(BODY, _headers(), SECRET, max_age=300, now=NOW + 299)
    assert verify_signature(BODY.decode(), {k.lower(): v for k, v in _headers().items()}, SECRET, 300, now=NOW)


@pytest.mark.parametrize(
    ("body", "headers", "now"),
    [
        (BODY + b" ", _headers(), NOW),  # body changed
        (BODY, _headers(secret="other-secret"), NOW),  # wrong key
        (BODY, _headers(), NOW + 301),  # replayed too late
        (BODY, _headers(), NOW - 301),  # from the future
        (BODY, {**_headers(), TIMESTAMP_HEADER: str(NOW + 1)}, NOW),  # timestamp moved, signature kept
        (
            BODY,
            {TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: "sha256=" + hmac.new(SECRET.encode(), BODY, sha256).hexdigest()},
            NOW,
        ),  # body only
        (BODY, {SIGNATURE_HEADER: sign(SECRET, BODY, NOW)}, NOW),  # no timestamp
        (BODY, {TIMESTAMP_HEADER: str(NOW)}, NOW),  # no signature
        (BODY, {**_headers(), TIMESTAMP_HEADER: "1.8e9"}, NOW),
        (BODY, {**_headers(), TIMESTAMP_HEADER: "９" * 10}, NOW),
        (BODY, {**_headers(), SIGNATURE_HEADER: _headers()[SIGNATURE_HEADER].removeprefix("sha256=")}, NOW),
    ],
)
def test_verify_signature_rejects_stale_or_wrong_deliveries(body: bytes, headers: dict[str, str], now: int) -> None:
    assert verify_signature(body, headers, SECRET, max_age=300, now=now) is False


def test_verify_signature_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    assert verify_signature(BODY, _headers(), SECRET, 300, now=NOW)
    assert not verify_signature(BODY, _headers(secret="x"), SECRET, 300, now=NOW)
    assert len(calls) == 2


def test_deliveries_share_a_bounded_pool(receiver: tuple[str, _Receiver], caplog: pytest.LogCaptureFixture) -> None:
    url, state = receiver
    state.release.clear()  # the receiver holds every request until released
    notifier = HttpWebhookNotifier({"upward": url}, SECRET, attempts=1, workers=1, queue_size=2)
    before = set(threading.enumerate())
    notifier.notify(TICKET)
    assert state.arrived.wait(10)  # the one worker is busy with the first delivery
    with caplog.at_level(logging.WARNING, logger="assistant.desk.webhooks"):
        for n in range(9):
            notifier.notify(dataclasses.replace(TICKET, id=f"PRQ-{n:06d}"))
    started = [t for t in set(threading.enumerate()) - before if t.name.startswith("webhook")]
    state.release.set()
    assert notifier.wait(10)
    assert len(started) == 1  # one worker thread, not one per ticket
    assert len(state.calls) == 3  # the first, and the two that fitted in the queue
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 7 and all("queue is full" in r.getMessage() for r in dropped)


def test_failed_delivery_never_loses_the_ticket(hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"desk_webhooks": "upward=http://127.0.0.1:9/unreachable", "desk_webhook_secret": SECRET})
    assistant = build_assistant(settings, hash_embedder)
    assistant.notifier._attempts = 2  # type: ignore[attr-defined]
    assistant.notifier._backoff = 0.01  # type: ignore[attr-defined]
    reply = assistant.reply("I hereby request that you delete all my personal data.", company="upward")
    if reply.route != "desk" or reply.request_draft is None:
        pytest.skip("hash embedder did not classify this as a request")
    draft = reply.request_draft
    done = assistant.backoffice().submit_request(Submission(draft.id, reply.session_id, Contact(email="a@example.org"), True))
    assistant.notifier.wait()  # type: ignore[attr-defined]
    assert assistant.desk.get(done.ticket.id).status == "received"


def test_webhooks_without_secret_are_refused(hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"desk_webhooks": "upward=http://127.0.0.1:9/x"})
    with pytest.raises(ValueError, match="SECRET"):
        build_assistant(settings, hash_embedder)
