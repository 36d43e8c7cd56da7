"""Every implementation of a seam against its contract (assistant/testing/contracts.py): the SQL
stores (SQLite, and PostgreSQL when PA_TEST_POSTGRES_URL is set) and their in-memory fakes, the
embedders, the notifiers, the retrievers and the intent detectors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from assistant.answering.phrasing import Phraser
from assistant.desk.drafts import DraftStore, SqlDraftStore
from assistant.desk.tickets import DeskQueue, SqlDeskQueue
from assistant.desk.webhooks import HttpWebhookNotifier, NullNotifier, TicketNotifier
from assistant.index.builds import LoadedIndex
from assistant.index.embedding_cache import CachedEmbedder, cache_path
from assistant.models.embedders import Embedder
from assistant.search.retrieval import HybridRetriever, Retriever
from assistant.storage.sessions import SessionStore, SqlSessionStore
from assistant.testing.contracts import (
    DeskQueueContract,
    DraftStoreContract,
    EmbedderContract,
    IntentDetectorContract,
    NotifierContract,
    PhraserContract,
    RetrieverContract,
    SessionStoreContract,
    core_vector,
    sample_ticket,
    unused_port,
)
from assistant.testing.fakes import (
    FakeIntentDetector,
    HashEmbedder,
    InMemoryDeskQueue,
    InMemoryDraftStore,
    InMemorySessionStore,
    KeywordRetriever,
    MultilingualHashEmbedder,
    RecordingNotifier,
    fake_phraser,
)
from assistant.understand.intent import WEIGHTS_FILE, EmbeddingIntentClassifier, IntentDetector, IntentWeights
from assistant.understand.intent_ja import WEIGHTS_FILE as JA_WEIGHTS_FILE
from assistant.understand.intent_ja import ByLanguage, JapaneseIntentClassifier, JapaneseIntentWeights
from assistant.understand.language import detect_language
from tests.conftest import database_engine
from tests.test_routing import RULES


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh, migrated database: SQLite, and PostgreSQL when PA_TEST_POSTGRES_URL is set."""
    with database_engine(request.param, tmp_path) as engine:
        yield engine


# -- session stores ----------------------------------------------------------------------------
class TestSqlSessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self, engine: Engine) -> Callable[[int], SessionStore]:
        return lambda max_turns: SqlSessionStore(engine, max_turns)


class TestInMemorySessionStore(SessionStoreContract):
    @pytest.fixture
    def make_store(self) -> Callable[[int], SessionStore]:
        return InMemorySessionStore


# -- desk queues -------------------------------------------------------------------------------
class TestSqlDeskQueue(DeskQueueContract):
    @pytest.fixture
    def make_queue(self, engine: Engine) -> Callable[[Callable[[], datetime]], DeskQueue]:
        return lambda clock: SqlDeskQueue(engine, clock)


class TestInMemoryDeskQueue(DeskQueueContract):
    @pytest.fixture
    def make_queue(self) -> Callable[[Callable[[], datetime]], DeskQueue]:
        return lambda clock: InMemoryDeskQueue(clock)


# -- draft stores ------------------------------------------------------------------------------
class TestSqlDraftStore(DraftStoreContract):
    @pytest.fixture
    def make_store(self, engine: Engine) -> Callable[[Callable[[], datetime]], DraftStore]:
        return lambda clock: SqlDraftStore(engine, clock=clock)


class TestInMemoryDraftStore(DraftStoreContract):
    @pytest.fixture
    def make_store(self) -> Callable[[Callable[[], datetime]], DraftStore]:
        return lambda clock: InMemoryDraftStore(clock=clock)


# -- embedders ---------------------------------------------------------------------------------
class TestHashEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashEmbedder()


class TestCachedEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, tmp_path: Path) -> Embedder:
        return CachedEmbedder(HashEmbedder(), cache_path(tmp_path, HashEmbedder.name))


class TestMultilingualHashEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return MultilingualHashEmbedder()


class TestMultilingualEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, multilingual_embedder: Embedder) -> Embedder:
        return multilingual_embedder


@pytest.mark.slow
class TestOnnxEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self, real_embedder: Embedder) -> Embedder:
        return real_embedder


# -- notifiers ---------------------------------------------------------------------------------
class TestNullNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self) -> TicketNotifier:
        return NullNotifier()


class TestRecordingNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self) -> TicketNotifier:
        return RecordingNotifier()

    def test_records_every_ticket_in_order(self) -> None:
        notifier = RecordingNotifier()
        tickets = [sample_ticket(number=n) for n in range(3)]
        for ticket in tickets:
            notifier.notify(ticket)
        assert notifier.tickets == tickets


class TestHttpWebhookNotifier(NotifierContract):
    @pytest.fixture
    def notifier(self) -> TicketNotifier:
        # The receiver is down: each delivery fails at once, and is tried only once.
        url = f"http://127.0.0.1:{unused_port()}/hook"
        return HttpWebhookNotifier({"upward": url}, "s" * 32, attempts=1, backoff_seconds=0, timeout_seconds=0.5)


# -- retrievers --------------------------------------------------------------------------------
class TestHybridRetriever(RetrieverContract):
    @pytest.fixture
    def retriever(self, hash_index: LoadedIndex, hash_embedder: Embedder) -> Retriever:
        return HybridRetriever(hash_index, hash_embedder)

    @pytest.fixture
    def companies(self) -> tuple[str, ...]:
        return ("upward", "highreso", "win-techno")


class TestKeywordRetriever(RetrieverContract):
    @pytest.fixture
    def retriever(self, hash_index: LoadedIndex) -> Retriever:
        return KeywordRetriever(hash_index)

    @pytest.fixture
    def companies(self) -> tuple[str, ...]:
        return ("upward", "highreso", "win-techno")


# -- intent detectors --------------------------------------------------------------------------
class TestEmbeddingIntentClassifier(IntentDetectorContract):
    @pytest.fixture
    def detector(self, hash_index: LoadedIndex, hash_embedder: Embedder) -> IntentDetector:
        return EmbeddingIntentClassifier(hash_embedder, IntentWeights.load(hash_index.extras_dir / WEIGHTS_FILE))

    @pytest.fixture
    def vector_of(self, hash_embedder: Embedder) -> Callable[[str], np.ndarray]:
        return core_vector(hash_embedder)


class TestJapaneseIntentClassifier(IntentDetectorContract):
    @pytest.fixture
    def detector(self, hash_index: LoadedIndex, multilingual_embedder: Embedder) -> IntentDetector:
        return JapaneseIntentClassifier(multilingual_embedder, JapaneseIntentWeights.load(hash_index.extras_dir / JA_WEIGHTS_FILE))

    @pytest.fixture
    def vector_of(self, multilingual_embedder: Embedder) -> Callable[[str], np.ndarray]:
        return core_vector(multilingual_embedder)


class TestByLanguage(IntentDetectorContract):
    """What build_assistant serves: each message read by the classifier of its language."""

    @pytest.fixture
    def detector(self, hash_index: LoadedIndex, hash_embedder: Embedder, multilingual_embedder: Embedder) -> IntentDetector:
        english = EmbeddingIntentClassifier(hash_embedder, IntentWeights.load(hash_index.extras_dir / WEIGHTS_FILE))
        japanese = JapaneseIntentClassifier(multilingual_embedder, JapaneseIntentWeights.load(hash_index.extras_dir / JA_WEIGHTS_FILE))
        return ByLanguage(
            english, japanese, english_dimensions=hash_embedder.dimensions, japanese_dimensions=multilingual_embedder.dimensions
        )

    @pytest.fixture
    def vector_of(self, hash_embedder: Embedder, multilingual_embedder: Embedder) -> Callable[[str], np.ndarray]:
        # The retriever embeds a Japanese message with the multilingual encoder, any other with the English one.
        english, japanese = core_vector(hash_embedder), core_vector(multilingual_embedder)
        return lambda message: japanese(message) if detect_language(message) == "ja" else english(message)


class TestFakeIntentDetector(IntentDetectorContract):
    @pytest.fixture
    def detector(self) -> IntentDetector:
        return FakeIntentDetector(RULES)

    @pytest.fixture
    def vector_of(self) -> Callable[[str], np.ndarray]:
        return core_vector(HashEmbedder())


# -- phrasers ----------------------------------------------------------------------------------
class TestFakePhraser(PhraserContract):
    """The shipped fake: the real ChatModelPhraser over a deterministic chat model that quotes."""

    @pytest.fixture
    def phraser(self) -> Phraser:
        return fake_phraser()


class TestScriptedFakePhraser(PhraserContract):
    @pytest.fixture
    def phraser(self) -> Phraser:
        return fake_phraser(["It costs 1,000 yen [1].", "Within two weeks [2]."])


class TestChatModelPhraserOverAFailingModel(PhraserContract):
    @pytest.fixture(params=["raises", "empty", "slow"])
    def phraser(self, request: pytest.FixtureRequest) -> Phraser:
        from langchain_core.language_models.fake_chat_models import FakeListChatModel

        from assistant.integrations.llm import ChatModelPhraser
        from tests.integrations.test_llm import RecordingChatModel

        if request.param == "raises":
            return ChatModelPhraser(RecordingChatModel(prompts=[], error=ConnectionError("server went away")), timeout_s=2.0)
        if request.param == "empty":
            return ChatModelPhraser(FakeListChatModel(responses=[""]), timeout_s=2.0)
        return ChatModelPhraser(FakeListChatModel(responses=["It costs 1,000 yen [1]."], sleep=1.0), timeout_s=0.05)
