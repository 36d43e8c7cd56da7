"""Staff API keys kept in the database.

A key is `pak_` followed by 43 URL-safe characters (32 random bytes). Only its SHA-256 is
stored, with the first 12 characters as a prefix to name it by (`keys list`, `keys revoke`).
The plaintext is returned once, by `create`, and never again.

Rotation without downtime: create a new key, switch the clients to it, then revoke the old one;
both are valid in between."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from assistant.domain import Company
from assistant.errors import AssistantError
from assistant.settings import BootstrapKey
from assistant.storage.db import StaffKeyRow, iso_utc, storage_errors, utcnow

KEY_SCHEME = "pak_"
PREFIX_CHARS = 12
MAX_KEY_CHARS = 128


class StaffKeyError(AssistantError):
    """A key operation that cannot be done (no such key, ambiguous prefix, bad name)."""


@dataclass(frozen=True)
class StaffKeyInfo:
    """What may be shown of a key: never the key itself."""

    id: int
    name: str
    prefix: str
    companies: tuple[str, ...] | None  # None: every company
    created_at: str
    revoked_at: str | None

    @property
    def actor(self) -> str:
        """How the key appears in audit trails."""
        return f"staff:{self.name} ({self.prefix}…)"[:128]


@dataclass(frozen=True)
class CreatedKey:
    """A new key: the plaintext (shown once) and its record."""

    key: str
    info: StaffKeyInfo


def check_bootstrap_keys(keys: Sequence[BootstrapKey], companies: Sequence[Company]) -> None:
    """StaffKeyError naming (by position) each entry with an unknown company or a key that is a company's name."""
    known = {c.id for c in companies}
    names = {n.casefold() for c in companies for n in (c.id, c.name, c.short_name, *c.aliases)}
    problems = []
    for entry in keys:
        where = f"entry {entry.position} ({'all companies' if entry.companies is None else 'companies ' + '|'.join(entry.companies)})"
        unknown = [c for c in entry.companies or () if c not in known]
        if unknown:
            problems.append(f"{where} names unknown company {', '.join(unknown)}; valid ids: {', '.join(sorted(known))}")
        elif entry.key.casefold() in names:
            problems.append(f"{where} has a company's id or name as its key: use a long random key")
    if problems:
        raise StaffKeyError("PA_DESK_API_KEYS: " + "; ".join(problems))


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _info(row: StaffKeyRow) -> StaffKeyInfo:
    companies = None if row.companies == "*" else tuple(row.companies or ())
    revoked = iso_utc(row.revoked_at) if row.revoked_at is not None else None
    return StaffKeyInfo(row.id, row.name, row.prefix, companies, iso_utc(row.created_at), revoked)


class SqlKeyStore:
    """Create, verify, revoke and list staff keys in the `staff_keys` table."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(self, name: str, companies: Sequence[str] | None) -> CreatedKey:
        """A new key for `companies` (None: all); the plaintext is only in the result."""
        name = name.strip()
        if not name or len(name) > 64:
            raise StaffKeyError("a key needs a name of 1-64 characters")
        if companies is not None and not companies:
            raise StaffKeyError("a key needs at least one company, or all companies")
        key = KEY_SCHEME + secrets.token_urlsafe(32)
        row = StaffKeyRow(
            name=name,
            key_hash=hash_key(key),
            prefix=key[:PREFIX_CHARS],
            companies="*" if companies is None else sorted(set(companies)),
            created_at=utcnow(),
            revoked_at=None,
        )
        with storage_errors("key store"), self._sessions.begin() as db:
            db.add(row)
            db.flush()
            return CreatedKey(key, _info(row))

    def verify(self, key: str) -> StaffKeyInfo | None:
        """The key's record if it is valid and not revoked, else None."""
        if not key.startswith(KEY_SCHEME) or len(key) > MAX_KEY_CHARS:
            return None
        digest = hash_key(key)
        with storage_errors("key store"), self._sessions() as db:
            rows = db.scalars(select(StaffKeyRow).where(StaffKeyRow.prefix == key[:PREFIX_CHARS], StaffKeyRow.revoked_at.is_(None))).all()
        found = None
        for row in rows:  # compare every candidate, in constant time each
            if hmac.compare_digest(row.key_hash, digest):
                found = row
        return _info(found) if found is not None else None

    def revoke(self, prefix: str) -> StaffKeyInfo:
        """Revoke the one active key whose prefix (or full key) this is."""
        prefix = prefix.strip()
        if len(prefix) < 8:
            raise StaffKeyError("give at least 8 characters of the key's prefix (see `keys list`)")
        with storage_errors("key store"), self._sessions.begin() as db:
            if len(prefix) > PREFIX_CHARS:  # a whole key
                query = select(StaffKeyRow).where(StaffKeyRow.key_hash == hash_key(prefix))
            else:
                query = select(StaffKeyRow).where(StaffKeyRow.prefix.startswith(prefix, autoescape=True))
            rows = db.scalars(query.where(StaffKeyRow.revoked_at.is_(None))).all()
            if not rows:
                raise StaffKeyError(f"no active key with prefix {prefix!r}")
            if len(rows) > 1:
                raise StaffKeyError(f"{len(rows)} active keys start with {prefix!r}; give more of the prefix")
            rows[0].revoked_at = utcnow()
            db.flush()
            return _info(rows[0])

    def list(self, include_revoked: bool = True) -> list[StaffKeyInfo]:
        """Every key (oldest first), without the keys themselves."""
        query = select(StaffKeyRow).order_by(StaffKeyRow.id)
        if not include_revoked:
            query = query.where(StaffKeyRow.revoked_at.is_(None))
        with storage_errors("key store"), self._sessions() as db:
            return [_info(r) for r in db.scalars(query).all()]
