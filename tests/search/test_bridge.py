"""Lexical search across languages (`assistant/search/bridge.py`): a question's words read as the policy's words."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.models.embedders import Embedder
from assistant.search.bridge import FLOOR, MAX_TRANSLATIONS, TermBridge, Vocabulary, nearest
from assistant.search.lexical import content_words, tokenize

POLICIES = {
    "shop": "We use your address for the delivery of prizes. Employees sign confidentiality agreements to prevent leakage.",
    "bank": "We may investigate fraud and cyberattacks. Shipping labels are printed by contractors.",
}


def test_content_words_are_words_as_written_with_their_language() -> None:
    words = dict(content_words("The delivery of prizes, 景品の発送について教えて。ID"))
    assert words["delivery"] == "en" and words["prizes"] == "en"
    assert words["景品"] == "ja" and words["発送"] == "ja"
    assert "the" not in words and "of" not in words and "id" not in words  # stopwords and two-letter words
    assert "の" not in words  # a particle carries no topic
    assert all(len(w) >= 2 for w in words)


def test_nearest_keeps_the_best_and_the_nearly_as_good_above_the_floor() -> None:
    assert list(nearest(np.array([0.2, 0.9, 0.85, 0.5]))) == [1, 2]
    assert list(nearest(np.array([FLOOR - 0.01, 0.1]))) == []
    assert len(nearest(np.full(10, 0.9))) == MAX_TRANSLATIONS
    assert list(nearest(np.zeros(0))) == []


@pytest.fixture(scope="module")
def bridge(multilingual_embedder: Embedder) -> TermBridge:
    words, languages = Vocabulary.collect(POLICIES.values())
    vocabulary = Vocabulary.of(words, languages, multilingual_embedder.embed(words))
    terms = {company: frozenset(tokenize(text)) for company, text in POLICIES.items()}
    return TermBridge(vocabulary, multilingual_embedder, lambda company: terms.get(company, frozenset()))


def test_a_japanese_word_comes_out_as_the_policys_english_word(bridge: TermBridge) -> None:
    assert "delivery" in bridge.translate("景品の発送はいつですか", "shop", "en").split()
    assert "leakage" in bridge.translate("社員が情報を漏らさないようにしていますか", "shop", "en").split()
    assert "cyberattacks" in bridge.translate("サイバー攻撃の調査", "bank", "en").split()


def test_only_the_companys_own_words_come_out(bridge: TermBridge) -> None:
    shop = bridge.translate("発送と調査と攻撃", "shop", "en").split()
    assert set(shop) <= set(tokenize(POLICIES["shop"])) | {w for w, _ in content_words(POLICIES["shop"])}
    assert "cyberattacks" not in shop and "shipping" not in shop  # the bank's words
    assert bridge.translate("発送", "nobody", "en") == ""  # a company with no words


def test_words_already_in_the_target_language_are_not_translated(bridge: TermBridge) -> None:
    assert bridge.translate("delivery of prizes", "shop", "en") == ""
    assert bridge.translate("", "shop", "en") == ""


def test_a_word_cache_cleared_between_lookups_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.search import bridge as module
    from assistant.testing.fakes import MultilingualHashEmbedder

    encoder = MultilingualHashEmbedder()
    words, languages = Vocabulary.collect(POLICIES.values())
    bridge = TermBridge(
        Vocabulary.of(words, languages, encoder.embed(words)), encoder, lambda company: frozenset(tokenize(POLICIES["shop"]))
    )
    monkeypatch.setattr(module, "_WORD_CACHE", 2)
    bridge.translate("発送 景品 漏洩", "shop", "en")  # fills the cache past its bound
    # One word cached, one new: the cache is cleared while the new one is stored.
    assert bridge._vectors(["発送", "新しい"]).shape[0] == 2


def test_an_empty_vocabulary_is_a_vocabulary() -> None:
    vocabulary = Vocabulary.of((), (), np.zeros((0, 4), dtype=np.float32))
    assert vocabulary.words == () and vocabulary.vectors.shape == (0, 4)
