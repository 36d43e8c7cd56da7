"""`privacy-assistant eval --api`: it refuses to file tickets unless allowed, marks those it files as
evaluation tickets the desk queue hides, and says "cannot connect" about a dead server."""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.desk.tickets import EVAL_CHANNEL, NewTicket, TicketFilter
from tests.conftest import submission

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
REQUEST = {
    "id": "req",
    "company": "highreso",
    "turns": ["I hereby request deletion of all my personal data."],
    "expected_route": "desk",
    "request_types": ["deletion"],
    "topic": "request",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _suite(tmp_path: Path) -> Path:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"_suite": {"name": "one"}}) + "\n" + json.dumps(REQUEST) + "\n", encoding="utf-8")
    return path


def _args(tmp_path: Path, api: str, allow: bool) -> argparse.Namespace:
    return argparse.Namespace(suite=[_suite(tmp_path)], api=api, allow_tickets=allow, report=tmp_path / "report", corpus=None, squad=None)


@pytest.fixture
def live(hash_settings, hash_assistant, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on the hash index, served by uvicorn on loopback in a thread."""
    monkeypatch.setenv("PA_CORPUS_DIR", str(CORPUS))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hash_settings, hash_assistant), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_eval_api_refuses_to_file_tickets_unless_allowed(
    tmp_path: Path, live: str, hash_assistant, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from evals import cli

    assert cli.run(_args(tmp_path, live, allow=False)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--allow-tickets" in err
    # Chat makes drafts and an evaluation never submits one: what is refused is keeping sessions and drafts there.
    assert "request drafts" in err and "no desk ticket is opened" in err and "open real desk tickets" not in err
    assert "open tickets" not in " ".join((cli.__doc__ or "").split()) and "opens no desk ticket" in " ".join((cli.__doc__ or "").split())
    assert hash_assistant.desk.list(TicketFilter(include_eval=True))[1] == 0  # nothing was sent


def test_an_eval_run_files_no_ticket_and_eval_tickets_stay_hidden(
    tmp_path: Path,
    live: str,
    hash_settings,
    hash_assistant,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
) -> None:
    from evals import cli
    from privacy_assistant.cli import main

    cli.run(_args(tmp_path, live, allow=True))
    capsys.readouterr()
    # A formal request comes back as a draft, and an evaluation never submits one.
    assert hash_assistant.desk.list(TicketFilter(include_eval=True))[1] == 0
    # A ticket of channel `eval` (as earlier evaluation runs filed them) stays hidden; a customer's is not.
    evaluation = NewTicket(
        "upward", "v1", ("deletion",), False, EVAL_CHANNEL, "an evaluation request", "eval-session", 14, draft_id="eval-draft"
    )
    hash_assistant.desk.submit(evaluation)
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        reply = c.post("/v1/chat", json={"message": "Please delete my personal data.", "company": "upward"}).json()
        assert c.post("/v1/requests", json=submission(reply)).status_code == 201
        staff = {"X-API-Key": "all-staff-key-for-tests-0001"}
        listed = c.get("/v1/desk/tickets", headers=staff).json()
        assert listed["total"] == 1 and listed["items"][0]["channel"] == "api"
        shown = c.get("/v1/desk/tickets", params={"include_eval": "true"}, headers=staff).json()
        assert shown["total"] == 2 and {t["channel"] for t in shown["items"]} == {"api", "eval"}
        csv = c.get("/v1/desk/tickets.csv", headers=staff).text
        assert ",eval," not in csv and ",eval," in c.get("/v1/desk/tickets.csv", params={"include_eval": "true"}, headers=staff).text
    monkeypatch.setenv("PA_DATABASE_URL", hash_settings.database_url)
    assert main(["desk", "list"]) == 0
    assert capsys.readouterr().out.startswith("1 ticket(s)")
    assert main(["desk", "list", "--include-eval"]) == 0
    assert capsys.readouterr().out.startswith("2 ticket(s)")


def test_eval_api_against_a_dead_server_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals import cli

    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    assert cli.run(_args(tmp_path, url, allow=True)) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and f"cannot connect to {url}" in captured.err
    assert captured.out == "" and not (tmp_path / "report").exists()
