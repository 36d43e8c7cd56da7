"""Dev/test halves of a suite (a stable hash of the item id) and the corpus a suite header names."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cli import corpus_of, suite_index_dir
from evals.suite import EvalItem, Suite, SuiteHeader, half_of, load_suite, select_half, suite_corpus

ROOT = Path(__file__).resolve().parents[2]
SUITES = ROOT / "evals" / "suites"


def test_half_of_is_a_fixed_function_of_the_id() -> None:
    # Pinned values: changing the hash would silently move items between halves (and leak test items into tuning).
    assert [half_of(i) for i in ("item-1", "item-2", "item-3", "item-4", "日本-1")] == ["test", "test", "dev", "dev", "test"]
    assert half_of("item-3") == half_of("item-3")


@pytest.mark.parametrize("name", ["gold.jsonl", "mozilla-en.jsonl", "ja.jsonl", "mozilla-ja.jsonl", "mozilla-en-over-ja.jsonl"])
def test_both_halves_of_both_suites_are_non_empty_and_partition_it(name: str) -> None:
    items = load_suite(SUITES / name).items
    dev, test = select_half(items, "dev"), select_half(items, "test")
    assert dev and test
    assert {i.id for i in dev}.isdisjoint({i.id for i in test})
    assert len(dev) + len(test) == len(items) == len(select_half(items, "all"))
    assert 0.35 < len(dev) / len(items) < 0.65


def test_select_half_refuses_an_unknown_half() -> None:
    with pytest.raises(ValueError, match="dev, test or all"):
        select_half([], "train")


def test_header_corpus_is_read_from_the_repo_root(tmp_path: Path) -> None:
    assert suite_corpus(SuiteHeader(name="x")) is None
    assert suite_corpus(SuiteHeader(name="x", corpus="../shared/c"), root=tmp_path / "repo") == (tmp_path / "shared" / "c")
    assert suite_corpus(SuiteHeader(name="x", corpus=str(tmp_path / "abs"))) == tmp_path / "abs"
    assert suite_corpus(load_suite(SUITES / "gold.jsonl").header) == (ROOT / "corpus").resolve()
    assert (
        suite_corpus(load_suite(SUITES / "mozilla-en.jsonl").header) == (ROOT.parent / "shared" / "dev-corpus" / "mozilla" / "en").resolve()
    )
    assert suite_corpus(load_suite(SUITES / "ja.jsonl").header) == (ROOT / "corpus").resolve()
    assert (
        suite_corpus(load_suite(SUITES / "mozilla-ja.jsonl").header) == (ROOT.parent / "shared" / "dev-corpus" / "mozilla" / "ja").resolve()
    )
    assert (
        suite_corpus(load_suite(SUITES / "mozilla-en-over-ja.jsonl").header)
        == (ROOT.parent / "shared" / "dev-corpus" / "mozilla" / "ja").resolve()
    )


def _suite(corpus: str | None) -> Suite:
    item = EvalItem(id="x-1", turns=["hi"], expected_route="abstain")
    return Suite(header=SuiteHeader(name="s", corpus=corpus), items=[item])


def test_corpus_of_a_suite(tmp_path: Path) -> None:
    served = tmp_path / "corpus"
    other = tmp_path / "other"
    assert corpus_of(_suite(None), None, served) is None  # no header corpus: the served one
    assert corpus_of(_suite(str(served)), None, served) is None  # names the served corpus: the served index
    assert corpus_of(_suite(str(other)), None, served) == other.resolve()
    assert corpus_of(_suite(str(other)), served, served) == served  # --corpus wins over the header


def test_suite_index_dir_is_per_corpus_under_the_index_dir(tmp_path: Path) -> None:
    from assistant.settings import Settings

    settings = Settings(index_dir=tmp_path / "index")
    a, b = suite_index_dir(settings, tmp_path / "a"), suite_index_dir(settings, tmp_path / "b")
    assert a.parent == tmp_path / "index" / "suites" and a != b
    assert suite_index_dir(settings, tmp_path / "a") == a
