"""The suite files themselves: valid items, unique ids, verbatim gold quotes, smoke ⊂ gold."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from evals.suite import EvalItem, SuiteHeader, load_suite, suite_corpus

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
SUITES = sorted((ROOT / "evals" / "suites").glob("*.jsonl"))


def _policies(corpus: Path) -> dict[str, str]:
    """Company id -> its policy text (all files joined): .txt/.md straight from the folder, a PDF as the loader extracts it."""
    from assistant.ingest.corpus import load_document

    meta = tomllib.loads((corpus / "companies.toml").read_text(encoding="utf-8"))
    out = {}
    for company in meta["company"]:
        files = company.get("files") or [p.name for p in corpus.glob(f"{company['id']}.*") if p.suffix in (".txt", ".md")]
        texts = []
        for name in files:
            if Path(name).suffix in (".txt", ".md"):
                with (corpus / name).open(encoding="utf-8", newline="") as fh:
                    texts.append(fh.read())
            else:
                texts.append(load_document(corpus / name, company["id"], name).text)
        out[company["id"]] = "\n\x00\n".join(texts)  # a separator no quote can span
    return out


POLICIES = _policies(CORPUS)


def _suite_policies(path: Path) -> dict[str, str]:
    """The policies of the corpus a suite's header names (corpus/ when it names none)."""
    named = suite_corpus(load_suite(path).header)
    if named is None or named == CORPUS.resolve():
        return POLICIES
    if not (named / "companies.toml").is_file():
        pytest.skip(f"{path.name} runs on {named}, which is not present here")
    return _policies(named)


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# A suite written in another language puts the language before the company in its ids (ja-upward-fee-01), and the
# cross-language suite (English questions over Japanese notices) puts xl- there (xl-firefox-dns-01).
ID_LANGUAGES = ("", "ja-", "xl-")
# Suites where Japanese is on one side: Japanese customers (the reply is Japanese) or Japanese notices (an English reply
# carries the notice's words only in its verbatim quotes), so a fact can only be checked in the quoted policy text.
JAPANESE_SUITES = ["ja.jsonl", "mozilla-ja.jsonl", "mozilla-en-over-ja.jsonl"]
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _owner(item: EvalItem, policies: dict[str, str]) -> str | None:
    """The company a quote must come from: the item's own, else the company its id starts with."""
    if item.company:
        return item.company
    prefixes = [c for c in policies for lang in ID_LANGUAGES if item.id.startswith(lang + c + "-")]
    return max(prefixes, key=len) if prefixes else None


def test_there_are_suites() -> None:
    names = {p.name for p in SUITES}
    assert {"gold.jsonl", "smoke.jsonl"} <= names


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_header_then_valid_items_with_unique_ids(path: Path) -> None:
    rows = _rows(path)
    assert "_suite" in rows[0], 'the first line is the {"_suite": {...}} header'
    SuiteHeader(**rows[0]["_suite"])
    assert all("_suite" not in r for r in rows[1:])
    items = [EvalItem(**r) for r in rows[1:]]
    ids = [i.id for i in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes}"
    assert len(load_suite(path).items) == len(items)


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_items_name_known_companies_and_sensible_expectations(path: Path) -> None:
    policies = _suite_policies(path)
    for item in load_suite(path).items:
        assert item.company is None or item.company in policies, item.id
        if item.expected_route == "answer":
            assert item.gold_quotes, f"{item.id}: an answer item needs gold quotes"
        if item.expected_route == "desk":
            assert item.request_types, f"{item.id}: a desk item needs request types"
        if item.expected_route == "clarify":
            assert item.company is None, f"{item.id}: clarify items give no company"


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_gold_quotes_are_verbatim_in_the_companys_policy(path: Path) -> None:
    policies = _suite_policies(path)
    missing = []
    for item in load_suite(path).items:
        owner = _owner(item, policies)
        for quote in item.gold_quotes:
            texts = [policies[owner]] if owner else list(policies.values())
            if not any(quote in t for t in texts):
                missing.append(f"{item.id} ({owner}): {quote[:80]!r}")
    assert not missing, "gold quotes not found verbatim:\n" + "\n".join(missing)


def test_smoke_ids_are_gold_ids() -> None:
    gold = {i.id: i for i in load_suite(ROOT / "evals" / "suites" / "gold.jsonl").items}
    smoke = load_suite(ROOT / "evals" / "suites" / "smoke.jsonl")
    extra = sorted(i.id for i in smoke.items if i.id not in gold)
    assert not extra, f"smoke items missing from gold: {extra}"
    drifted = sorted(i.id for i in smoke.items if i != gold[i.id])
    assert not drifted, f"smoke items that differ from their gold copy: {drifted}"


@pytest.mark.parametrize("name", JAPANESE_SUITES)
def test_japanese_suites_quote_an_owned_passage_for_every_fact(name: str) -> None:
    path = ROOT / "evals" / "suites" / name
    policies = _suite_policies(path)
    problems = []
    for item in load_suite(path).items:
        if item.gold_quotes and _owner(item, policies) is None:
            problems.append(f"{item.id}: neither a company nor an id that names one")
        quoted = [_MARKDOWN_LINK.sub(r"\1", q).lower() for q in item.gold_quotes]
        for fact in item.facts:
            if not any(p.lower() in q for p in fact for q in quoted):
                problems.append(f"{item.id}: no phrasing of {fact} in a gold quote")
    assert not problems, "\n".join(problems)
