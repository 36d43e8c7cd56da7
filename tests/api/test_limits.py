"""Limits and abuse: per-client rate limiting (shared through the database), the body size
limit, CORS per configured widget origins, security headers and request ids."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.http.ratelimit import SqlRateCounter
from api.main import create_app
from api.middleware import client_address, is_limited, rate_bucket, sane_request_id
from assistant.settings import Settings
from assistant.storage.db import make_engine
from tests.conftest import submission

ROOT = Path(__file__).resolve().parents[2]
QUESTION = {"message": "What security measures does the company take?", "company": "upward"}


def limited(settings: Settings, per_minute: int = 3, **extra: object) -> Settings:
    return settings.model_copy(update={"rate_limit_per_minute": per_minute, **extra})


# ------------------------------------------------------------------------------ rate limiting
def test_rate_limit_429_with_retry_after(hash_settings, hash_assistant, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(limited(hash_settings), hash_assistant)) as c:
        for _ in range(3):
            assert c.post("/v1/chat", json=QUESTION).status_code == 200
        resp = c.post("/v1/chat", json=QUESTION)
        assert resp.status_code == 429
        assert resp.headers["retry-after"] == "30"
        body = resp.json()
        assert "too many requests" in body["detail"] and body["request_id"] == resp.headers["x-request-id"]
        # The stream, status checks and session deletes share the client's budget...
        assert c.post("/v1/chat/stream", json=QUESTION).status_code == 429
        assert c.get("/v1/requests/PRQ-000001", params={"token": "x"}).status_code == 429
        assert c.delete("/v1/sessions/abc").status_code == 429
        # ...X-Forwarded-For from an untrusted peer changes nothing...
        assert c.post("/v1/chat", json=QUESTION, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
        # ...and other endpoints are not limited.
        assert c.get("/v1/companies").status_code == 200
        assert c.get("/healthz").status_code == 200
        frozen_clock[0] += 60  # the next window
        assert c.post("/v1/chat", json=QUESTION).status_code == 200


def test_trusted_proxy_forwarded_for_separates_clients(hash_settings, hash_assistant, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    settings = limited(hash_settings, 2, trusted_proxies="testclient")  # TestClient's peer address
    with TestClient(create_app(settings, hash_assistant)) as c:
        alice = {"X-Forwarded-For": "198.51.100.7"}
        bob = {"X-Forwarded-For": "198.51.100.8, testclient"}
        assert [c.post("/v1/chat", json=QUESTION, headers=alice).status_code for _ in range(3)] == [200, 200, 429]
        assert [c.post("/v1/chat", json=QUESTION, headers=bob).status_code for _ in range(3)] == [200, 200, 429]


def test_limit_holds_across_workers(hash_settings, hash_assistant, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    """Two app instances (as two uvicorn workers would be) on one database share the counter."""
    settings = limited(hash_settings, 4)
    with TestClient(create_app(settings, hash_assistant)) as one, TestClient(create_app(settings, hash_assistant)) as two:
        codes = [(one if i % 2 else two).post("/v1/chat", json=QUESTION).status_code for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]


_HITTER = """
import json, sys
from assistant.storage.db import make_engine
from api.http.ratelimit import SqlRateCounter
url, schema, n = sys.argv[1], (sys.argv[2] or None), int(sys.argv[3])
counter = SqlRateCounter(make_engine(url, 10000, schema), limit=100)
print(json.dumps([counter.hit("192.0.2.1", now=1800000030.0).count for _ in range(n)]))
"""


def _hit_from_processes(url: str, schema: str | None, processes: int = 4, hits: int = 40) -> list[int]:
    procs = [
        subprocess.Popen([sys.executable, "-c", _HITTER, url, schema or "", str(hits)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    counts: list[int] = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        counts += json.loads(out)
    return counts


def test_counter_is_atomic_across_processes(sqlite_url: str) -> None:
    counts = _hit_from_processes(sqlite_url, None)
    # Every increment saw a distinct count: no update was lost, so exactly `limit` were allowed.
    assert sorted(counts) == list(range(1, 161))
    assert sum(c <= 100 for c in counts) == 100


@pytest.mark.postgres
def test_counter_is_atomic_across_processes_on_postgres() -> None:
    from tests.conftest import POSTGRES_URL, drop_postgres_schema, fresh_postgres_schema

    if not POSTGRES_URL:
        pytest.skip("PA_TEST_POSTGRES_URL not set (.ci/run sets it)")
    url, schema = fresh_postgres_schema()
    try:
        assert sorted(_hit_from_processes(url, schema)) == list(range(1, 161))
    finally:
        drop_postgres_schema(schema)


def test_counter_windows_and_pruning(sqlite_url: str) -> None:
    counter = SqlRateCounter(make_engine(sqlite_url), limit=2)
    t = 1_800_000_000.0
    assert [counter.hit("a", now=t + i).allowed for i in range(3)] == [True, True, False]
    assert counter.hit("b", now=t).allowed  # per client
    later = counter.hit("a", now=t + 125)  # two windows on: a fresh count, old rows pruned
    assert later.allowed and later.count == 1 and later.retry_after == 55
    with make_engine(sqlite_url).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM rate_limits").scalar() == 1
        stored = conn.exec_driver_sql("SELECT client FROM rate_limits").scalar()
    assert stored != "a" and len(stored) == 32  # a hash, never the address


def test_counter_counts_in_memory_without_a_database(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    counter = SqlRateCounter(make_engine(f"sqlite:///{tmp_path}"), limit=2)  # a directory: cannot open
    t = 1_800_000_000.0
    assert [counter.hit("a", now=t + i).allowed for i in range(4)] == [True, True, False, False]
    assert counter.hit("b", now=t).allowed  # still per client
    assert counter.hit("a", now=t + 60).allowed  # and per window
    assert any("counting in this worker's memory" in r.getMessage() for r in caplog.records)


def test_client_address_rules() -> None:
    trusted = frozenset({"10.0.0.1", "10.0.0.2"})

    def scope(peer: str, xff: str | None = None) -> dict[str, object]:
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return {"type": "http", "client": (peer, 1234), "headers": headers}

    assert client_address(scope("203.0.113.5", "1.2.3.4"), trusted) == "203.0.113.5"  # untrusted peer: XFF ignored
    assert client_address(scope("10.0.0.1", "1.2.3.4"), trusted) == "1.2.3.4"
    assert client_address(scope("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2"), trusted) == "1.2.3.4"  # spoofed left part ignored
    assert client_address(scope("10.0.0.1", "1.2.3.4, not-an-ip"), trusted) == "10.0.0.1"
    assert client_address(scope("10.0.0.1"), trusted) == "10.0.0.1"
    assert rate_bucket("2001:db8:1:2:aaaa::1") == rate_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert rate_bucket("2001:db8:1:3::1") != rate_bucket("2001:db8:1:2::1")
    assert rate_bucket("::ffff:192.0.2.7") == rate_bucket("192.0.2.7") == "192.0.2.7"
    assert rate_bucket("testclient") == "testclient"
    assert is_limited("POST", "/v1/chat") and is_limited("POST", "/v1/chat/stream")
    assert is_limited("GET", "/v1/requests/PRQ-1") and is_limited("DELETE", "/v1/sessions/x") and is_limited("POST", "/v1/requests")
    assert not is_limited("OPTIONS", "/v1/chat") and not is_limited("GET", "/v1/companies")
    assert not is_limited("GET", "/v1/desk/tickets") and not is_limited("POST", "/v1/chatter")


def test_rate_limit_setting_defaults_and_zero_disables(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    assert Settings.model_fields["rate_limit_per_minute"].default == 60
    assert Settings.model_fields["rate_limit_per_minute"].description
    with TestClient(create_app(hash_settings, hash_assistant)) as c:  # conftest: 0
        assert all(c.delete(f"/v1/sessions/s{i}").status_code == 204 for i in range(80))


# ------------------------------------------------------------------------------ body size
@pytest.fixture
def client(hash_settings, hash_assistant) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


@pytest.fixture
def proxied(hash_settings, hash_assistant) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """A client whose peer (TestClient's "testclient") is a trusted proxy, so its X-Request-ID is kept."""
    with TestClient(create_app(hash_settings.model_copy(update={"trusted_proxies": "testclient"}), hash_assistant)) as c:
        yield c


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_body_over_64_kib_is_413(client: TestClient, path: str) -> None:
    big = json.dumps({"message": "x" * 70_000, "company": "upward"}).encode()
    resp = client.post(path, content=big, headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert "too large" in resp.json()["detail"] and resp.json()["request_id"] == resp.headers["x-request-id"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    resp = client.post(path, content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "too large" in resp.json()["detail"]


def test_body_under_the_limit_reaches_validation(client: TestClient) -> None:
    resp = client.post("/v1/chat", json={"message": "x" * 60_000, "company": "upward"})
    assert resp.status_code == 422 and "message" in resp.json()["detail"]


def test_bad_content_length_is_400(client: TestClient) -> None:
    resp = client.post("/v1/chat", content=b"{}", headers={"content-type": "application/json", "content-length": "abc"})
    assert resp.status_code in (400, 413)


# ------------------------------------------------------------------------------ CORS
ORIGINS = "upward=https://upward.example|https://www.upward.example,highreso=https://highreso.example/"


def test_cors_allows_only_configured_widget_origins(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    settings = hash_settings.model_copy(update={"widget_origins": ORIGINS})
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    with TestClient(create_app(settings, hash_assistant)) as c:
        for origin in ("https://upward.example", "https://www.upward.example", "https://highreso.example"):
            ok = c.options("/v1/chat/stream", headers={"Origin": origin, **preflight})
            assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == origin
            assert "access-control-allow-credentials" not in ok.headers
            simple = c.post("/v1/chat", json=QUESTION, headers={"Origin": origin})
            assert simple.headers["access-control-allow-origin"] == origin
            assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        bad = c.options("/v1/chat/stream", headers={"Origin": "https://evil.example", **preflight})
        assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
        assert "access-control-allow-origin" not in c.get("/v1/companies", headers={"Origin": "https://evil.example"}).headers
        # Staff keys cannot be sent cross-origin: the console is same-origin only.
        staff = c.options(
            "/v1/desk/tickets",
            headers={
                "Origin": "https://upward.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert staff.status_code == 400


def test_no_cors_headers_without_configured_origins(client: TestClient) -> None:
    resp = client.post("/v1/chat", json=QUESTION, headers={"Origin": "https://upward.example"})
    assert resp.status_code == 200 and "access-control-allow-origin" not in resp.headers


def test_widget_origins_parse() -> None:
    parsed = Settings(widget_origins=ORIGINS).widget_sites.by_company
    assert dict(parsed) == {"upward": ("https://upward.example", "https://www.upward.example"), "highreso": ("https://highreso.example",)}


def test_429_is_readable_by_the_widget(hash_settings, hash_assistant, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    settings = limited(hash_settings, 1, widget_origins=ORIGINS)
    with TestClient(create_app(settings, hash_assistant)) as c:
        origin = {"Origin": "https://upward.example"}
        c.post("/v1/chat", json=QUESTION, headers=origin)
        resp = c.post("/v1/chat", json=QUESTION, headers=origin)
        assert resp.status_code == 429 and resp.headers["access-control-allow-origin"] == "https://upward.example"


# ------------------------------------------------------------------------------ headers and request ids
@pytest.mark.parametrize("path", ["/healthz", "/v1/companies", "/demo", "/console", "/static/widget.js", "/docs", "/openapi.json", "/nope"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] in ("no-referrer", "strict-origin-when-cross-origin")
    assert resp.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
    assert "server" not in resp.headers
    assert len(resp.headers["x-request-id"]) == 32


def test_pages_keep_their_own_csp(client: TestClient) -> None:
    assert "script-src 'self';" in client.get("/demo").headers["content-security-policy"]
    # The same HTML straight from /static gets an equally strict policy; only /docs may run its inline bootstrap.
    assert "script-src 'self';" in client.get("/static/console.html").headers["content-security-policy"]
    assert "'unsafe-inline'" in client.get("/docs").headers["content-security-policy"]
    assert client.get("/v1/companies").headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/v1/companies").headers["cache-control"] == "no-store"


def test_request_id_is_echoed_or_generated(proxied: TestClient) -> None:
    client = proxied
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    for bad in ("a" * 65, "has space", "<script>", "a_b", "ü".encode("latin-1"), "x\ty"):
        rid = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert rid != bad and len(rid) == 32 and rid.isalnum()
    assert sane_request_id("A" * 64) == "A" * 64
    a, b = client.get("/healthz").headers["x-request-id"], client.get("/healthz").headers["x-request-id"]
    assert a != b


def test_request_id_from_an_untrusted_client_is_replaced(client: TestClient) -> None:
    for path in ("/healthz", "/v1/nothing-here"):
        resp = client.get(path, headers={"X-Request-ID": "planted-1"})
        rid = resp.headers["x-request-id"]
        assert rid != "planted-1" and len(rid) == 32 and "planted" not in resp.text


def test_error_bodies_repeat_the_request_id(proxied: TestClient) -> None:
    client = proxied
    cases = [
        client.post("/v1/chat", json={"message": "hi", "company": "acme"}, headers={"X-Request-ID": "req-404"}),  # domain 404
        client.post("/v1/chat", json={"message": ""}, headers={"X-Request-ID": "req-422"}),  # validation
        client.get("/v1/desk/tickets", headers={"X-Request-ID": "req-401"}),  # HTTPException
        client.get("/v1/nothing-here", headers={"X-Request-ID": "req-x404"}),  # routing 404
        client.get("/v1/requests/PRQ-000999", params={"token": "t"}, headers={"X-Request-ID": "req-t404"}),
    ]
    for resp in cases:
        rid = resp.headers["x-request-id"]
        assert rid.startswith("req-")
        assert resp.json()["request_id"] == rid, resp.text
    assert client.get("/v1/desk/tickets").headers.get("www-authenticate") == "ApiKey"


def test_500_has_request_id_and_is_logged_with_it(hash_settings, hash_assistant, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    app = create_app(hash_settings.model_copy(update={"trusted_proxies": "testclient"}), hash_assistant)

    def boom() -> None:
        raise RuntimeError("kaput")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.get("/boom", headers={"X-Request-ID": "req-500"})
    assert resp.status_code == 500
    assert resp.json() == {"detail": "internal error; it has been logged", "request_id": "req-500"}
    assert resp.headers["x-request-id"] == "req-500" and "kaput" not in resp.text
    assert any(getattr(r, "request_id", None) == "req-500" and r.levelno == logging.ERROR for r in caplog.records)


def test_logs_carry_the_request_id(proxied: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="assistant.service")
    proxied.post("/v1/chat", json=QUESTION, headers={"X-Request-ID": "req-log-1"})
    records = [r for r in caplog.records if r.name == "assistant.service" and r.getMessage().startswith("reply ")]
    assert records and all(getattr(r, "request_id", None) == "req-log-1" for r in records)


def test_access_log_drops_query_strings() -> None:
    from api.http.access_log import DropQueryStringFilter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", "/v1/requests/PRQ-000001?token=SECRET", "1.1", 200),
        None,
    )
    DropQueryStringFilter().filter(record)
    assert "SECRET" not in record.getMessage() and "/v1/requests/PRQ-000001" in record.getMessage()


def test_no_public_endpoint_lists_sessions(client: TestClient) -> None:
    from fastapi.routing import APIRoute

    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and "session" in route.path:
            assert route.methods == {"DELETE"}, route.path
    assert client.get("/v1/sessions").status_code in (404, 405)
    assert client.get("/v1/sessions/abc").status_code == 405
    paths = client.get("/openapi.json").json()["paths"]
    assert [p for p in paths if "session" in p] == ["/v1/sessions/{session_id}"]


def test_session_history_is_capped(hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"session_max_turns": 3})
    with TestClient(create_app(settings, build_assistant(settings, hash_embedder))) as c:
        session = None
        for i in range(6):
            session = c.post("/v1/chat", json={**QUESTION, "message": f"What do you collect? ({i})", "session_id": session}).json()[
                "session_id"
            ]
    with make_engine(settings.database_url).connect() as conn:
        kept = conn.exec_driver_sql("SELECT user_text FROM chat_turns WHERE session_id = ? ORDER BY id", (session,)).scalars().all()
    assert kept == [f"What do you collect? ({i})" for i in (3, 4, 5)]


def test_serve_runs_uvicorn_without_server_banner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from privacy_assistant.cli import main

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs, app=app))
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("PA_EMBEDDING_THREADS", "1")  # serve would set it for its workers: keep it scoped
    assert main(["serve", "--no-build", "--port", "8123"]) == 0
    assert seen["server_header"] is False and seen["proxy_headers"] is False and seen["port"] == 8123
    monkeypatch.setenv("PA_TRUSTED_PROXIES", "10.0.0.2, 10.0.0.1")
    assert main(["serve", "--no-build"]) == 0
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.0.0.1,10.0.0.2"


def test_widget_origins_hold_per_company(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    settings = hash_settings.model_copy(update={"widget_origins": ORIGINS})
    upward_site, highreso_site = {"Origin": "https://www.upward.example"}, {"Origin": "https://highreso.example"}
    formal = {"message": "Please delete all my personal data", "company": "highreso"}
    with TestClient(create_app(settings, hash_assistant)) as c:
        reply = c.post("/v1/chat", json=formal, headers=highreso_site).json()
        assert reply["request_draft"]["company"] == "highreso"
        # The upward site can neither submit highreso's draft nor read its ticket...
        assert c.post("/v1/requests", json=submission(reply), headers=upward_site).status_code == 422
        created = c.post("/v1/requests", json=submission(reply), headers=highreso_site).json()
        ticket = {"id": created["reference"], "company": created["company"]}
        lookup = {"token": created["lookup_token"]}
        for resp in (c.post("/v1/chat", json=formal, headers=upward_site), c.post("/v1/chat/stream", json=formal, headers=upward_site)):
            assert resp.status_code == 403 and "not set up for company 'highreso'" in resp.json()["detail"]
            assert resp.headers["access-control-allow-origin"] == "https://www.upward.example"  # the widget can read why
        looked = c.get(f"/v1/requests/{ticket['id']}", params=lookup, headers=upward_site)
        assert looked.status_code == 404 and looked.json()["detail"] == "no such request"
        assert c.get("/v1/companies/highreso/policy", headers=upward_site).status_code == 403
        assert [x["id"] for x in c.get("/v1/companies", headers=upward_site).json()] == ["upward"]
        # ...while highreso's own site, and callers without an Origin (curl, the server's own pages), can.
        assert c.get(f"/v1/requests/{ticket['id']}", params=lookup, headers=highreso_site).status_code == 200
        assert c.get(f"/v1/requests/{ticket['id']}", params=lookup).status_code == 200
        assert len(c.get("/v1/companies").json()) == 5
        # A site with one company gets it when the widget names none.
        own = c.post("/v1/chat", json={"message": "Please delete all my personal data"}, headers=upward_site).json()
        assert own["request_draft"]["company"] == "upward"
        session = c.post("/v1/chat", json={"message": "What do you collect?", "company": "highreso"}).json()["session_id"]
        assert c.delete(f"/v1/sessions/{session}", headers=upward_site).status_code == 204
        assert hash_assistant.sessions.load(session).company == "highreso", "another company's session was left alone"
