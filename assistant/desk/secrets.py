"""The desk's secret: lookup tokens derived from it, contact details sealed under a key derived from it.

A lookup token is HMAC-SHA256(secret, draft id), so repeating a submission returns the same token
while the database holds only its hash; contact details are Fernet-encrypted under a key derived
from the secret with HKDF, so a copy of the database alone reveals neither."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from assistant.domain import Contact
from assistant.errors import AssistantError

log = logging.getLogger(__name__)

MIN_SECRET_CHARS = 32
_CONTACT_INFO = b"privacy-assistant contact v1"


class SecretKeyError(AssistantError):
    """The secret key file cannot be read or written (named, never its content)."""


@dataclass(frozen=True)
class DeskSecrets:
    """Derives lookup tokens and seals contact details with one secret (never shown)."""

    secret: bytes = field(repr=False)

    @classmethod
    def ephemeral(cls) -> DeskSecrets:
        """A random secret for this process only (tests, in-memory databases)."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_text(cls, text: str) -> DeskSecrets:
        """The secret as PA_SECRET_KEY or the key file gives it."""
        return cls(text.strip().encode())

    def lookup_token(self, draft_id: str) -> str:
        """The customer's lookup token for the ticket of `draft_id`: the same every time, url-safe."""
        digest = hmac.new(self.secret, draft_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _fernet(self) -> Fernet:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTACT_INFO).derive(self.secret)
        return Fernet(base64.urlsafe_b64encode(key))

    def seal(self, contact: Contact) -> str:
        """`contact` encrypted (Fernet), as text for the database."""
        return self._fernet().encrypt(json.dumps(asdict(contact), ensure_ascii=False).encode()).decode()

    def unseal(self, sealed: str) -> Contact | None:
        """The contact sealed in `sealed`; None (and a warning) when it was sealed under another secret."""
        try:
            values = json.loads(self._fernet().decrypt(sealed.encode()))
        except InvalidToken:
            log.warning("a ticket's contact details cannot be decrypted: PA_SECRET_KEY has changed")
            return None
        return Contact(**{k: values.get(k) for k in ("name", "email", "postal_address", "phone")})


# What a desk queue reads its secrets through: called only when a token is derived or a contact
# sealed or opened, so a command that does neither never reads, nor generates, the key file.
SecretSource = Callable[[], DeskSecrets]


class SecretsOnDemand:
    """DeskSecrets loaded at first use and kept; a failed load is tried again at the next use."""

    def __init__(self, load: SecretSource) -> None:
        self._load = load
        self._loaded: DeskSecrets | None = None
        self._lock = threading.Lock()  # request threads asking at once load once

    def __call__(self) -> DeskSecrets:
        """The secrets, loaded now if this is the first use."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded


def secret_source(secrets: DeskSecrets | SecretSource | None) -> SecretSource:
    """`secrets` as a source: given secrets, a loader, or (None) a random secret for this process only."""
    if callable(secrets):
        return secrets
    fixed = secrets or DeskSecrets.ephemeral()
    return lambda: fixed


def load_or_create_secret(path: Path) -> str:
    """The secret kept in `path`, made there (readable by its owner only) when there is none yet.

    Several workers starting at once agree: the file is written aside, then linked into place,
    which fails for all but the first; the others read the first one's."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    except OSError as exc:  # unreadable, or a parent that is no folder: a one-line error, as when writing fails
        raise SecretKeyError(f"cannot read the secret key in {path}: {exc.strerror or type(exc).__name__}; set PA_SECRET_KEY") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(aside, path)
                log.warning("PA_SECRET_KEY is not set: generated one in %s (keep it; back it up with the database)", path.absolute())
            except FileExistsError:
                pass  # another worker was first: use its secret
        finally:
            aside.unlink(missing_ok=True)
        return _read_secret(path)
    except OSError as exc:
        raise SecretKeyError(f"cannot keep the secret key in {path}: {exc.strerror or type(exc).__name__}; set PA_SECRET_KEY") from exc


def _read_secret(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s is readable by others than its owner: chmod 600 it", path)
    text = path.read_text(encoding="utf-8").strip()
    if len(text) < MIN_SECRET_CHARS:
        raise SecretKeyError(f"{path} holds no usable secret key (at least {MIN_SECRET_CHARS} characters)")
    return text
