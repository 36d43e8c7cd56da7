"""Finding the company a message names: the letter index must never miss a name that the
full pattern scan would find, at 5 tenants or 1,000."""

from __future__ import annotations

import random
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
