"""Staff keys in the database: hashes only, verify, revoke, rotate, CLI, and the API's use of them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.cli import main
from assistant.db import make_engine
from assistant.keys import SqlKeyStore, StaffKeyError
from tests.conftest import CORPUS

DELETE_REQUEST = {"message": "Please delete all my personal data", "company": "upward"}


def test_create_verify_revoke_list(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlKeyStore(engine)
    created = store.create("desk-alice", ["upward", "sb-cs"])
    key, info = created.key, created.info
    assert key.startswith("pak_") and len(key) == 47 and info.prefix == key[:12]
    assert info.companies == ("sb-cs", "upward")
    assert store.verify(key) == info
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify("pak_") is None and store.verify("nope") is None and store.verify("pak_" + "x" * 500) is None
    # Only the hash is stored: the plaintext is nowhere in the table.
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM staff_keys").all()
    assert rows and all(key not in str(v) for row in rows for v in row)
    assert rows[0].key_hash == hashlib.sha256(key.encode()).hexdigest()
    # Listing never shows the key.
    assert all(key not in repr(k) for k in store.list())
    everyone = store.create("auditor", None)
    assert store.verify(everyone.key).companies is None  # type: ignore[union-attr]
    revoked = store.revoke(info.prefix)
    assert revoked.revoked_at is not None and store.verify(key) is None
    assert [k.name for k in store.list(include_revoked=False)] == ["auditor"]
    with pytest.raises(StaffKeyError):
        store.revoke(info.prefix)  # already revoked
    with pytest.raises(StaffKeyError):
        store.revoke("pak_")  # too short to name one key
    with pytest.raises(StaffKeyError):
        store.create("", ["upward"])


def test_revoke_by_whole_key_and_ambiguous_prefix(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.keys as keys

    tokens = iter(["SAMEPREFIXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "SAMEPREFIXbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"])
    monkeypatch.setattr(keys.secrets, "token_urlsafe", lambda n: next(tokens))
    store = SqlKeyStore(make_engine(sqlite_url))
    a, b = store.create("a", ["upward"]), store.create("b", ["upward"])
    assert a.info.prefix == b.info.prefix == "pak_SAMEPREF"
    with pytest.raises(StaffKeyError, match="2 active keys"):
        store.revoke(a.info.prefix)
    assert store.revoke(a.key).name == "a"  # the whole key names exactly one
    assert store.verify(a.key) is None and store.verify(b.key) is not None
    assert store.revoke(b.info.prefix).name == "b"  # now unambiguous


@pytest.fixture
def app_client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def test_api_accepts_db_keys_scoped_and_audited(app_client: TestClient, hash_settings) -> None:  # type: ignore[no-untyped-def]
    store = SqlKeyStore(make_engine(hash_settings.database_url))
    upward = store.create("desk-bob", ["upward"])
    ticket = app_client.post("/v1/chat", json=DELETE_REQUEST).json()["ticket"]
    me = app_client.get("/v1/staff/me", headers={"X-API-Key": upward.key}).json()
    assert me["companies"] == ["upward"] and me["all_companies"] is False and "desk-bob" in me["actor"]
    detail = app_client.get(f"/v1/desk/tickets/{ticket['id']}", headers={"X-API-Key": upward.key}).json()
    assert any(e["note"] == "viewed" and "desk-bob" in e["actor"] for e in detail["events"]), "staff reads are audited"
    highreso_only = store.create("desk-hr", ["highreso"])
    assert app_client.get(f"/v1/desk/tickets/{ticket['id']}", headers={"X-API-Key": highreso_only.key}).status_code == 404
    # The bootstrap keys from settings still work.
    assert app_client.get("/v1/staff/me", headers={"X-API-Key": "all-key"}).status_code == 200


def test_rotation_without_downtime(app_client: TestClient, hash_settings) -> None:  # type: ignore[no-untyped-def]
    store = SqlKeyStore(make_engine(hash_settings.database_url))
    old = store.create("console", None)
    assert app_client.get("/v1/staff/me", headers={"X-API-Key": old.key}).status_code == 200
    new = store.create("console", None)  # 1. create the new key
    for key in (old.key, new.key):  # 2. both work while clients switch
        assert app_client.get("/v1/staff/me", headers={"X-API-Key": key}).status_code == 200
    store.revoke(old.info.prefix)  # 3. revoke the old one
    resp = app_client.get("/v1/staff/me", headers={"X-API-Key": old.key})
    assert resp.status_code == 401 and resp.json()["detail"] == "invalid API key"
    assert app_client.get("/v1/staff/me", headers={"X-API-Key": new.key}).status_code == 200


def test_cli_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "keys.db"
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PA_CORPUS_DIR", str(CORPUS))
    assert main(["keys", "create", "--name", "desk-carol", "--company", "upward", "--company", "sb-cs"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("pak_") and "not shown again" in err
    assert main(["keys", "create", "--name", "auditor", "--all"]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "2 key(s)" in listing and key[:12] in listing and key not in listing and "sb-cs|upward" in listing
    assert main(["keys", "revoke", key[:12]]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "list", "--active"]) == 0
    assert key[:12] not in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        main(["keys", "create", "--name", "x", "--company", "acme"])
    assert bad.value.code == 2 and "unknown company" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["keys", "create", "--name", "x", "--company", "upward", "--all"])
    with pytest.raises(SystemExit) as missing:
        main(["keys", "revoke", "pak_nothing"])
    assert missing.value.code == 2
    with pytest.raises(SystemExit):
        main(["keys", "create", "--help"])
    assert "rotation without downtime" in capsys.readouterr().out
