"""The desk's secret: derived lookup tokens, contacts sealed at rest, and the generated key file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import select, text

from assistant.desk.drafts import NewDraft, SqlDraftStore
from assistant.desk.secrets import DeskSecrets, SecretKeyError, load_or_create_secret
from assistant.desk.tickets import NewTicket, SqlDeskQueue
from assistant.domain import Contact
from assistant.factory import desk_secrets, secret_key_path
from assistant.settings import Settings
from assistant.storage.db import DraftRow, make_engine

SECRET = "s" * 40
CONTACT = Contact(name="Hanako Sato", email="hanako.sealed.42@example.org", postal_address="9-9 Minato, Tokyo", phone="090-1111-2222")


def _submission(draft_id: str) -> NewTicket:
    return NewTicket("upward", "v1", ("deletion",), False, "api", "Delete my data", "s1", 14, draft_id=draft_id, contact=CONTACT)


def test_the_lookup_token_is_the_hmac_of_the_draft_id_and_only_its_hash_is_stored(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    ticket = SqlDeskQueue(engine, secrets=DeskSecrets.from_text(SECRET)).submit(_submission("draft-1"))
    digest = hmac.new(SECRET.encode(), b"draft-1", hashlib.sha256).digest()
    assert ticket.lookup_token == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    with engine.connect() as conn:
        stored = " ".join(str(v) for v in conn.execute(text("SELECT * FROM desk_tickets")).one())
    assert ticket.lookup_token not in stored and hashlib.sha256(ticket.lookup_token.encode()).hexdigest() in stored
    for value in (CONTACT.email, CONTACT.name, CONTACT.postal_address, CONTACT.phone):
        assert value and value not in stored  # encrypted at rest


def test_workers_sharing_the_secret_agree_and_another_secret_reads_nothing(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    first = SqlDeskQueue(engine, secrets=DeskSecrets.from_text(SECRET)).submit(_submission("draft-2"))
    other_worker = SqlDeskQueue(engine, secrets=DeskSecrets.from_text(SECRET))
    assert other_worker.submit(_submission("draft-2")).lookup_token == first.lookup_token
    assert other_worker.get(first.id).contact == CONTACT
    assert SqlDeskQueue(engine, secrets=DeskSecrets.from_text("t" * 40)).get(first.id).contact is None


def test_an_expired_draft_leaves_no_trace_of_its_message(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = SqlDraftStore(engine)
    store.open(NewDraft("s1", "upward", ("deletion",), False, "v1", "delete everything about hanako.gone@example.org"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE request_drafts SET expires_at = '2000-01-01 00:00:00'"))
    store.open(NewDraft("s2", "upward", ("deletion",), False, "v1", "another request"))
    with engine.connect() as conn:
        messages = conn.execute(select(DraftRow.message)).scalars().all()
    assert messages == ["another request"]


def test_a_generated_secret_is_kept_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(load_or_create_secret(path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results[0]) >= 32  # workers starting at once agree
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]
    assert load_or_create_secret(path) == results[0]
    path.write_text("short")
    with pytest.raises(SecretKeyError, match="no usable secret"):
        load_or_create_secret(path)


def test_the_key_file_lies_beside_the_sqlite_database_unless_a_secret_is_set(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'assistant.db'}")  # type: ignore[call-arg]
    assert secret_key_path(settings) == tmp_path / "db" / "secret.key"
    assert desk_secrets(settings) == desk_secrets(settings) and (tmp_path / "db" / "secret.key").is_file()
    assert secret_key_path(Settings(database_url="postgresql://u@h/db")) == Path("var") / "secret.key"  # type: ignore[call-arg]
    assert secret_key_path(Settings(database_url="sqlite://")) is None  # type: ignore[call-arg]
    given = Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}", secret_key=SECRET)  # type: ignore[call-arg]
    assert desk_secrets(given) == DeskSecrets.from_text(SECRET) and not (tmp_path / "secret.key").exists()
    assert SECRET not in repr(given) and SECRET not in repr(desk_secrets(given))
    with pytest.raises(ValueError, match="at least 32"):
        Settings(secret_key="too-short")  # type: ignore[call-arg]


STAFF = {"X-API-Key": "all-staff-key-for-tests-0001"}
FORMAL = {"message": "Please delete all my personal data", "company": "upward"}


def test_the_key_file_is_made_by_the_first_submission_not_before(
    tmp_path: Path, hash_index_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from api.main import create_app
    from assistant.factory import build_assistant, build_resources
    from assistant.storage.db import upgrade_database
    from tests.conftest import _settings, submission

    monkeypatch.delenv("PA_SECRET_KEY", raising=False)
    monkeypatch.delenv("PA_SECRET_KEY_FILE", raising=False)
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    upgrade_database(make_engine(url))
    settings = _settings(hash_index_dir, url, desk_api_keys="all-staff-key-for-tests-0001=*")
    key = tmp_path / "secret.key"
    with TestClient(create_app(settings, build_assistant(settings, hash_embedder))) as client:
        chat = client.post("/v1/chat", json=FORMAL).json()
        assert chat["route"] == "desk" and client.get("/v1/desk/tickets", headers=STAFF).json()["total"] == 0
        assert not key.exists(), "a draft and the queue need no secret"
        created = client.post("/v1/requests", json=submission(chat, email=CONTACT.email or ""))
        assert created.status_code == 201, created.text
        assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
        ref, token = created.json()["reference"], created.json()["lookup_token"]
        assert client.get(f"/v1/desk/tickets/{ref}", headers=STAFF).json()["contact"]["email"] == CONTACT.email
    # Another worker (or a later process) reads the same file: the same token, the contact readable.
    other = build_resources(settings).desk
    assert other.submitted(chat["request_draft"]["id"], chat["session_id"]).lookup_token == token  # type: ignore[union-attr]
    contact = other.get(ref).contact
    assert contact is not None and contact.email == CONTACT.email


def test_an_unusable_key_file_is_a_503_that_names_no_file(
    tmp_path: Path, hash_index_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from api.main import create_app
    from assistant.factory import build_assistant
    from assistant.storage.db import upgrade_database
    from tests.conftest import _settings, submission

    monkeypatch.delenv("PA_SECRET_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'assistant.db'}"
    upgrade_database(make_engine(url))
    broken = tmp_path / "broken.key"
    broken.write_text("short")
    settings = _settings(hash_index_dir, url, secret_key_file=broken)
    with TestClient(create_app(settings, build_assistant(settings, hash_embedder))) as client:
        chat = client.post("/v1/chat", json=FORMAL).json()
        refused = client.post("/v1/requests", json=submission(chat))
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert "could not be recorded" in refused.json()["detail"] and "broken.key" not in refused.json()["detail"]
    assert "broken.key" in caplog.text  # the operator's log says which file
