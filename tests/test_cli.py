"""Operator traps in the CLI: mistyped filters and references, a mistyped database URL, and
503 texts that say what could not be done."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from privacy_assistant.cli import main
from tests.conftest import CORPUS, _settings

FORMAL = {"message": "Please delete all my personal data", "company": "upward"}


def _exit_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str]:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return stopped.value.code, err.strip()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    db = tmp_path / "desk.db"
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PA_CORPUS_DIR", str(CORPUS))
    assert main(["db", "upgrade"]) == 0 and db.is_file()
    capsys.readouterr()
    return db


def test_desk_list_refuses_unknown_filters(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _exit_line(["desk", "list", "--company", "acme"], capsys)
    assert code == 2 and "unknown company 'acme'; valid ids: gmo-ai-robotics, highreso" in err
    code, err = _exit_line(["desk", "list", "--type", "bogus"], capsys)
    assert code == 2 and "unknown request type 'bogus'; valid: purpose_notification" in err and "complaint" in err
    assert main(["desk", "list", "--company", "upward", "--type", "deletion"]) == 0
    assert capsys.readouterr().out.startswith("0 ticket(s)")


def test_desk_show_of_a_missing_reference(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["desk", "show", "PRQ-000999"], ["desk", "set-status", "PRQ-000999", "completed"]):
        code, err = _exit_line(argv, capsys)
        assert code == 2 and "no such ticket 'PRQ-000999'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["desk", "list"],
        ["desk", "show", "PRQ-000001"],
        ["desk", "set-status", "PRQ-000001", "completed"],
        ["keys", "list"],
        ["keys", "create", "--name", "x", "--all"],
        ["keys", "revoke", "pak_12345678"],
        ["purge", "--dry-run"],
        ["ask", "What do you collect?", "--company", "upward"],
    ],
)
def test_a_mistyped_database_url_creates_nothing(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "vra" / "assistant.storage.db"
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{typo}")
    monkeypatch.setenv("PA_CORPUS_DIR", str(CORPUS))
    code, err = _exit_line(argv, capsys)
    assert code == 2 and f"no database at {typo}" in err and "db upgrade" in err
    assert not (tmp_path / "vra").exists(), "neither the file nor its folder is made"


def test_db_upgrade_creates_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "new" / "assistant.storage.db"
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{db}")
    assert main(["db", "upgrade"]) == 0 and db.is_file()


def test_503_says_what_could_not_be_done(hash_index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from api.main import create_app
    from assistant.factory import build_assistant

    settings = _settings(hash_index_dir, "postgresql://nobody@127.0.0.1:1/none", desk_api_keys="all-staff-key-for-tests-0001=*")
    with TestClient(create_app(settings, build_assistant(settings, hash_embedder))) as c:
        formal = c.post("/v1/chat", json=FORMAL)
        lookup = c.get("/v1/requests/PRQ-000001", params={"token": "t"})
        forget = c.delete("/v1/sessions/abc")
        desk = c.get("/v1/desk/tickets", headers={"X-API-Key": "all-staff-key-for-tests-0001"})
    assert [r.status_code for r in (formal, lookup, forget, desk)] == [503] * 4
    assert "could not be recorded" in formal.json()["detail"]
    assert lookup.json()["detail"].startswith("the status of your request cannot be looked up right now")
    assert forget.json()["detail"].startswith("the conversation cannot be deleted right now")
    assert desk.json()["detail"].startswith("the desk queue cannot be reached right now")
    assert all("recorded" not in r.json()["detail"] and "retry" in r.json()["detail"] for r in (lookup, forget, desk))


def test_commands_that_sign_nothing_make_no_key_file(  # type: ignore[no-untyped-def]
    database: Path, hash_index_dir: Path, hash_embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import assistant.factory

    monkeypatch.delenv("PA_SECRET_KEY", raising=False)
    monkeypatch.delenv("PA_SECRET_KEY_FILE", raising=False)
    monkeypatch.setattr(assistant.factory, "build_embedder", lambda settings: hash_embedder)  # no model needed
    monkeypatch.setenv("PA_INDEX_DIR", str(hash_index_dir))
    monkeypatch.setenv("PA_AUTO_BUILD_INDEX", "false")  # the shared index is never rebuilt from here
    with pytest.raises(SystemExit) as helped:
        main(["--help"])
    assert helped.value.code == 0
    for argv in (
        ["db", "upgrade"],
        ["desk", "list"],
        ["desk", "export", "-o", str(tmp_path / "tickets.csv")],
        ["keys", "list"],
        ["purge", "--dry-run"],
        ["ask", FORMAL["message"], "--company", "upward", "--json"],  # a draft, not yet a submission
    ):
        assert main(argv) == 0, argv
    assert '"route": "desk"' in capsys.readouterr().out
    assert sorted(p.name for p in database.parent.iterdir() if "secret" in p.name) == []


def test_serve_makes_the_key_file_at_start_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    import stat

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: None)
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("PA_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("PA_EMBEDDING_THREADS", "1")  # serve would set it for its workers: keep it scoped
    monkeypatch.delenv("PA_SECRET_KEY", raising=False)
    monkeypatch.delenv("PA_SECRET_KEY_FILE", raising=False)
    assert main(["serve", "--no-build"]) == 0
    key = tmp_path / "secret.key"
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert str(key.absolute()) in caplog.text
    first = key.read_text()
    assert main(["serve", "--no-build"]) == 0 and key.read_text() == first  # kept, not made again
    # A key file serve cannot read or write stops start-up, in one line naming the file.
    capsys.readouterr()
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("PA_SECRET_KEY_FILE", str(tmp_path / "not-a-folder" / "secret.key"))
    code, err = _exit_line(["serve", "--no-build"], capsys)
    assert code == 2 and "not-a-folder/secret.key" in err and "set PA_SECRET_KEY" in err
