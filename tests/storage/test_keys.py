"""Staff keys in the database: hashes only, verify, revoke, rotate, CLI, and the API's use of them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.storage.db import make_engine
from assistant.storage.keys import SqlKeyStore, StaffKeyError
from privacy_assistant.cli import main
from tests.conftest import CORPUS, submission

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
    import assistant.storage.keys as keys

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


def _ticket(client: TestClient) -> dict[str, str]:
    """A ticket made as a customer makes one: the chat's draft, submitted."""
    created = client.post("/v1/requests", json=submission(client.post("/v1/chat", json=DELETE_REQUEST).json())).json()
    return {"id": created["reference"]}


@pytest.fixture
def app_client(hash_settings, hash_assistant):  # type: ignore[no-untyped-def]
    with TestClient(create_app(hash_settings, hash_assistant)) as c:
        yield c


def test_api_accepts_db_keys_scoped_and_audited(app_client: TestClient, hash_settings) -> None:  # type: ignore[no-untyped-def]
    store = SqlKeyStore(make_engine(hash_settings.database_url))
    upward = store.create("desk-bob", ["upward"])
    ticket = _ticket(app_client)
    me = app_client.get("/v1/staff/me", headers={"X-API-Key": upward.key}).json()
    assert me["companies"] == ["upward"] and me["all_companies"] is False and "desk-bob" in me["actor"]
    detail = app_client.get(f"/v1/desk/tickets/{ticket['id']}", headers={"X-API-Key": upward.key}).json()
    assert any(e["note"] == "viewed" and "desk-bob" in e["actor"] for e in detail["events"]), "staff reads are audited"
    highreso_only = store.create("desk-hr", ["highreso"])
    assert app_client.get(f"/v1/desk/tickets/{ticket['id']}", headers={"X-API-Key": highreso_only.key}).status_code == 404
    # The bootstrap keys from settings still work.
    assert app_client.get("/v1/staff/me", headers={"X-API-Key": "all-staff-key-for-tests-0001"}).status_code == 200


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
    assert main(["db", "upgrade"]) == 0  # only `db upgrade` and `serve` create a database
    capsys.readouterr()
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


# ------------------------------------------------------------------------------ bootstrap keys (PA_DESK_API_KEYS)
LONG = "k0123456789abcdef0123456789"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (f"{LONG}=upward,highreso", "entry 2 has no '='"),  # the stray comma that made `highreso` a super-key
        ("bob", "entry 1 has no '='"),
        (f"{LONG}=", "entry 1 (no companies) has an empty company"),
        (f"{LONG}=upward|", "entry 1 (companies upward) has an empty company"),
        (f"{LONG}=*|upward", "* stands alone"),
        ("short-key=*", "entry 1 (all companies) has a key shorter than 24"),
        (f"=upward,{LONG}=*", "entry 1 (companies upward) has a key shorter than 24"),
        (f"{LONG}=upward,{LONG}=*", "entry 2 (all companies) repeats the key"),
    ],
)
def test_bad_bootstrap_key_lists_are_refused(value: str, says: str) -> None:
    from pydantic import ValidationError

    from assistant.settings import Settings

    with pytest.raises(ValidationError) as bad:
        Settings(desk_api_keys=value)
    messages = " ".join(e["msg"] for e in bad.value.errors())
    assert says in messages and LONG not in messages and "short-key" not in messages and "bob" not in messages


def test_bootstrap_keys_parse_into_named_scopes() -> None:
    from assistant.settings import Settings

    keys = Settings(desk_api_keys=f" {LONG}=upward|sb-cs , z{LONG}=* ,").staff_keys
    assert [(k.key, k.companies, k.name) for k in keys] == [(LONG, ("upward", "sb-cs"), "env-key-1"), ("z" + LONG, None, "env-key-2")]
    assert LONG not in repr(keys)


def test_bootstrap_keys_checked_against_the_company_list() -> None:
    from assistant.domain import Company
    from assistant.ingest.corpus import load_companies
    from assistant.settings import parse_staff_keys
    from assistant.storage.keys import check_bootstrap_keys

    companies = load_companies(CORPUS)
    check_bootstrap_keys(parse_staff_keys(f"{LONG}=upward|sb-cs,z{LONG}=*"), companies)
    with pytest.raises(StaffKeyError, match=r"entry 2 \(companies upward\|acme\) names unknown company acme; valid ids:") as bad:
        check_bootstrap_keys(parse_staff_keys(f"{LONG}=upward,z{LONG}=upward|acme"), companies)
    assert LONG not in str(bad.value)
    alias = "The Upward Corporation of Tokyo"  # a key that is a company's name is no secret
    named = [*companies, Company(id="long-name", name="Long Name", short_name="Long", aliases=(alias,))]
    with pytest.raises(StaffKeyError, match=r"entry 1 \(all companies\) has a company's id or name as its key") as bad:
        check_bootstrap_keys(parse_staff_keys(f"{alias.upper()}=*"), named)
    assert alias.upper() not in str(bad.value)


def test_serve_refuses_a_bad_key_list_at_once(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = CORPUS.parent
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "PA_CORPUS_DIR": str(CORPUS),
        "PA_DESK_API_KEYS": f"{LONG}=upward,highreso",
        "PA_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'serve.db'}",
        "PA_INDEX_DIR": str(tmp_path / "index"),
        "PA_MODEL_CACHE_DIR": str(tmp_path / "models"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "privacy_assistant", "serve", "--port", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "PA_DESK_API_KEYS" in lines[0] and "entry 2 has no '='" in lines[0], lines
    assert LONG not in proc.stderr + proc.stdout
    # It stopped before anything else: no database, no index, no model export.
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_serve_refuses_keys_for_unknown_companies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PA_CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("PA_DESK_API_KEYS", f"{LONG}=upward|acme")
    with pytest.raises(SystemExit) as bad:
        main(["serve", "--no-build"])
    err = capsys.readouterr().err
    assert bad.value.code == 2 and "entry 1 (companies upward|acme) names unknown company acme" in err and LONG not in err
    assert not (tmp_path / "serve.db").exists()
    monkeypatch.setenv("PA_DESK_API_KEYS", f"{LONG}=upward")
    monkeypatch.setenv("PA_WIDGET_ORIGINS", "upwrd=https://upward.example")
    with pytest.raises(SystemExit) as bad:
        main(["serve", "--no-build"])
    assert bad.value.code == 2 and "PA_WIDGET_ORIGINS names unknown company upwrd" in capsys.readouterr().err


# ------------------------------------------------------------------------------ guessing staff keys
def test_wrong_staff_keys_meet_429_with_the_public_limit_off(hash_settings, hash_assistant, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    assert hash_settings.rate_limit_per_minute == 0 and hash_settings.staff_auth_failures_per_minute == 20
    settings = hash_settings.model_copy(update={"trusted_proxies": "testclient"})
    right = {"X-API-Key": "all-staff-key-for-tests-0001"}
    with TestClient(create_app(settings, hash_assistant)) as c:
        codes = [c.get("/v1/desk/tickets", headers={"X-API-Key": f"guess-{i:04d}-xxxxxxxxxxxxxxxxxxxx"}).status_code for i in range(120)]
        assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
        locked = c.get("/v1/staff/me", headers=right)  # the right key too: a guess that works looks like one that fails
        assert locked.status_code == 429 and locked.headers["retry-after"] == "30" and "failed staff sign-ins" in locked.json()["detail"]
        assert c.get("/v1/staff/me", headers={**right, "X-Forwarded-For": "203.0.113.7"}).status_code == 200  # another client
        assert c.get("/v1/staff/me").status_code == 401  # no key at all is not a guess
        frozen_clock[0] += 60
        assert c.get("/v1/staff/me", headers=right).status_code == 200  # the next minute


def test_audit_trail_names_a_bootstrap_key_without_its_characters(app_client: TestClient) -> None:
    ticket = _ticket(app_client)
    headers = {"X-API-Key": "up-staff-key-for-tests-0003"}
    assert app_client.get("/v1/staff/me", headers=headers).json()["actor"] == "staff:env-key-3"
    events = app_client.get(f"/v1/desk/tickets/{ticket['id']}", headers=headers).json()["events"]
    viewed = [e["actor"] for e in events if e["note"] == "viewed"]
    assert viewed == ["staff:env-key-3"] and not any("up-s" in e["actor"] for e in events)
