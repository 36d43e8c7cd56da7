"""Finding the company a message names: the letter index must never miss a name that the
full pattern scan would find, at 5 tenants or 1,000."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from assistant.domain import Company
from assistant.ingest.corpus import load_companies
from assistant.understand.companies import CompanyDirectory
from evals.bench_lib import generate_synthetic_corpus
from tests.conftest import CORPUS


def full_scan_find(directory: CompanyDirectory, text: str) -> str | None:
    """The reference: every pattern tried in order (what the index must agree with)."""
    found: list[str] = []
    remaining = text
    for pattern, cid in directory._patterns:
        if pattern.search(remaining):
            if cid not in found:
                found.append(cid)
            remaining = pattern.sub(" ", remaining)
    return found[0] if len(found) == 1 else None


def full_scan_strip(directory: CompanyDirectory, text: str) -> str:
    for pattern, _ in directory._patterns:
        text = pattern.sub(" ", text)
    return text


def _company(cid: str, name: str, short: str, *aliases: str) -> Company:
    base = load_companies(CORPUS)[0]
    return Company(**{**base.__dict__, "id": cid, "name": name, "short_name": short, "aliases": tuple(aliases)})


TRICKY = [
    _company("sb-cs", "SB C&S Corp.", "SB C&S", "SBCS"),
    _company("win-techno", "Win-Techno Inc.", "Win-Techno", "WinTechno"),
    _company("gmo-ai", "GMO AI & Robotics", "GMO AI", "GMO"),
    _company("ab", "A&B Holdings", "A&B"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What does sb c and s do with my data?", "sb-cs"),
        ("Does SB  C & S share data?", "sb-cs"),
        ("sbcs's policy", "sb-cs"),
        ("wintechno outsourcing", "win-techno"),
        ("WIN - TECHNO abroad", "win-techno"),
        ("Win-Techno's retention", "win-techno"),
        ("GMO AI & Robotics cookies", "gmo-ai"),
        ("gmo ai and robotics", "gmo-ai"),
        ("A and B holdings fees", "ab"),
        ("a&b", "ab"),
        ("GMO and SB C&S", None),  # two companies: not one
        ("a gmoney question", None),
        ("no company at all", None),
    ],
)
def test_tricky_names(text: str, expected: str | None) -> None:
    directory = CompanyDirectory(TRICKY)
    assert directory.find_in_text(text) == expected == full_scan_find(directory, text)
    assert directory.strip_names(text) == full_scan_strip(directory, text)


def test_index_agrees_with_full_scan_at_1000_companies(tmp_path: Path) -> None:
    generate_synthetic_corpus(CORPUS, tmp_path, replicas=200)
    companies = load_companies(tmp_path)
    directory = CompanyDirectory(companies)
    rng = random.Random(7)
    names = [n for c in companies for n in (c.id, c.name, c.short_name, *c.aliases)]
    messages = [f"What does {rng.choice(names)} do with my data?" for _ in range(150)]
    messages += [f"{rng.choice(names).upper()} vs {rng.choice(names).lower()}: sharing" for _ in range(50)]
    messages += ["Why do you collect my address?", "highreso", "HighReso 0000 0001"]
    assert len(companies) == 1000
    for text in messages:
        assert directory.find_in_text(text) == full_scan_find(directory, text), text
        assert directory.strip_names(text) == full_scan_strip(directory, text), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can SB C&S stop using my data if I ask?", "Can it stop using my data if I ask?"),
        ("Does win-techno share data?", "Does it share data?"),
        ("When was Win-Techno's policy amended?", "When was its policy amended?"),
        ("sbcs’s retention", "its retention"),
        ("no company at all", "no company at all"),
    ],
)
def test_neutralise_names_keeps_the_sentence_shape(text: str, expected: str) -> None:
    assert CompanyDirectory(TRICKY).neutralise_names(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi! Does Win-Techno sell data? Thanks", "Does it sell data?"),
        ("Win-Techno, hi! Do you sell data?", "Do you sell data?"),  # the name uncovers a greeting
        ("Win-Techno?", "Win-Techno?"),  # nothing but a name: "it?" would say less
        ("GMO", "GMO"),
    ],
)
def test_what_is_asked(text: str, expected: str) -> None:
    assert CompanyDirectory(TRICKY).what_is_asked(text) == expected


# -- Japanese text -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_directory() -> CompanyDirectory:
    return CompanyDirectory(load_companies(CORPUS))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ハイレゾの個人情報の利用目的は？", "highreso"),
        ("個人情報についてウィンテクノはどうしていますか", "win-techno"),
        ("ウインテクノに開示を請求したい", "win-techno"),
        ("株式会社ハイレゾへの開示請求", "highreso"),
        ("アップワードの保存期間は？", "upward"),
        ("UPWARDの保存期間は？", "upward"),  # a Latin name runs straight into Japanese
        ("ＵＰＷＡＲＤの保存期間は？", "upward"),  # fullwidth
        ("ＵＰＷＡＲＤ", "upward"),
        ("SB C&Sは第三者提供をしますか", "sb-cs"),
        ("ソフトバンク C&Sの窓口は？", "sb-cs"),
        ("ｿﾌﾄﾊﾞﾝｸ C&Sの窓口は？", "sb-cs"),  # half-width katakana, voiced marks apart
        ("ＳＢ　Ｃ＆Ｓの窓口", "sb-cs"),  # fullwidth letters and ideographic space
        ("GMO AI&ロボティクスはCookieを使いますか", "gmo-ai-robotics"),
        ("GMO AI＆ロボティクス商事株式会社の窓口", "gmo-ai-robotics"),
        ("GMOの窓口", "gmo-ai-robotics"),
        ("ハイ\u200bレゾの窓口", "highreso"),  # a zero-width space inside the name
        ("UP\u200bWARD\ufeff sells data?", "upward"),
        ("ハイレゾとアップワードの違い", None),  # two companies: not one
        ("個人情報の利用目的は？", None),
        ("UPWARDS are here", None),  # a longer Latin word is not the name
    ],
)
def test_japanese_names_are_found_inside_a_sentence(corpus_directory: CompanyDirectory, text: str, expected: str | None) -> None:
    assert corpus_directory.find_in_text(text) == expected


def test_names_are_stripped_from_the_text_as_typed(corpus_directory: CompanyDirectory) -> None:
    assert corpus_directory.strip_names("ＵＰＷＡＲＤの保存期間は？") == " の保存期間は？"  # "？" stays fullwidth
    assert corpus_directory.strip_names("ハイ\u200bレゾの窓口（本社）") == " の窓口（本社）"
    assert corpus_directory.strip_names("ｿﾌﾄﾊﾞﾝｸ C&Sの窓口") == " の窓口"
    assert corpus_directory.strip_names("What does Highreso collect？") == "What does   collect？"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ハイレゾの個人情報の利用目的は？", "御社の個人情報の利用目的は？"),  # "your company", as a customer writes
        ("ＵＰＷＡＲＤは手数料を取りますか？", "御社は手数料を取りますか？"),
        ("ハイレゾ、利用目的は？", "利用目的は？"),  # addressed by name
        ("ハイレゾ", "ハイレゾ"),  # nothing but a name
        ("Does ハイレゾ sell data?", "Does 御社 sell data?"),  # kana make the message Japanese
        ("Does Highreso sell data?", "Does it sell data?"),
    ],
)
def test_what_is_asked_in_japanese(corpus_directory: CompanyDirectory, text: str, expected: str) -> None:
    assert corpus_directory.what_is_asked(text) == expected


def _normalised_scan_find(directory: CompanyDirectory, text: str) -> str | None:
    """The reference for Japanese text: every pattern over its NFKC reading, Latin names with
    each Japanese character read as a space."""
    import unicodedata

    reading = unicodedata.normalize("NFKC", "".join(ch for ch in text if ch not in "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
    found: list[str] = []
    for pattern, cid in directory._patterns:
        japanese = re.search(r"[\u3040-\u30ff\u3400-\u9fff]", pattern.pattern)
        target = reading if japanese else re.sub(r"[\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]", " ", reading)
        spans = [m.span() for m in pattern.finditer(target)]
        if spans:
            if cid not in found:
                found.append(cid)
            for start, end in reversed(spans):
                reading = reading[:start] + " " + reading[end:]
    return found[0] if len(found) == 1 else None


def test_index_agrees_with_full_scan_in_japanese_at_1000_companies(tmp_path: Path) -> None:
    generate_synthetic_corpus(CORPUS, tmp_path, replicas=200)
    companies = load_companies(tmp_path)
    directory = CompanyDirectory(companies)
    rng = random.Random(11)
    names = [n for c in companies for n in (c.id, c.name, c.short_name, *c.aliases)]
    frames = ["{}の個人情報の利用目的は？", "個人情報について{}はどうしていますか", "{}と{}の違い", "「{}」の窓口", "{}株式会社への請求"]
    messages = [rng.choice(frames).format(rng.choice(names), rng.choice(names)) for _ in range(120)]
    messages += [m.replace("の", "\u200bの") for m in messages[:20]] + [unicodedata_wide(m) for m in messages[:20]]
    for text in messages:
        assert directory.find_in_text(text) == _normalised_scan_find(directory, text), text


def unicodedata_wide(text: str) -> str:
    """ASCII letters and digits as their fullwidth forms."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in text)
