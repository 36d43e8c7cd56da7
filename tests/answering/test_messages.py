"""The reply catalog (`assistant/answering/messages.py`): every text in both languages, with the same fields."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from assistant.answering import topics
from assistant.answering.compose import contact_line
from assistant.answering.messages import CATALOG, fields, text
from assistant.answering.procedure import ASPECTS
from assistant.ingest.corpus import load_companies
from assistant.understand.language import SUPPORTED
from assistant.vocabulary import REQUEST_TYPES
from tests.conftest import CORPUS

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_FIELD = re.compile(r"\{[^}]*\}")


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_text_is_in_both_languages_with_the_same_fields(key: str) -> None:
    texts = CATALOG[key]
    assert set(texts) == set(SUPPORTED)
    assert all(texts[lang] for lang in SUPPORTED)
    assert fields(texts["ja"]) == fields(texts["en"])
    # Words in the English mean words in the Japanese: no English sentence left untranslated.
    if re.search(r"[A-Za-z]{2}", _FIELD.sub("", texts["en"])):
        assert _JAPANESE.search(texts["ja"]), texts["ja"]


def test_the_possessive_spec_writes_the_english_possessive() -> None:
    assert text("lead", "en", company="UPWARD") == "UPWARD's privacy policy says this:"
    assert text("lead", "en", company="GMO AI & Robotics") == "GMO AI & Robotics' privacy policy says this:"
    assert text("lead", "ja", company="UPWARD") == "UPWARDのプライバシーポリシーには、次のとおり記載されています。"


def test_values_are_not_read_as_templates() -> None:
    assert text("quote", "ja", id=1, text="{company} 100%") == "[1] 「{company} 100%」"


def test_every_lead_line_topic_has_a_japanese_name() -> None:
    named = {t for t, _ in topics._RULES} | {topics.RESPONSIBLE, topics.CONTACT}
    for topic in named:
        assert CATALOG[f"topic.{topic}"]["en"] == topic


def test_every_procedure_point_and_request_type_has_its_name() -> None:
    for aspect in ASPECTS:
        assert CATALOG[f"aspect.{aspect.key}"]["en"] == aspect.name
    for kind in REQUEST_TYPES:
        assert CATALOG[f"request.{kind}"]["en"] == kind.replace("_", " ")


def test_the_english_contact_line_is_the_companys_own() -> None:
    for company in load_companies(CORPUS):
        variants = [
            company,
            replace(company, desk_name=""),
            replace(company, desk_email=None, desk_url=None, desk_address=None),
            replace(company, desk_channels_note="by post only"),
        ]
        for c in variants:
            assert contact_line(c, "en") == c.desk_contact()
            assert _JAPANESE.search(contact_line(c, "ja")) or c.desk_name in contact_line(c, "ja")
