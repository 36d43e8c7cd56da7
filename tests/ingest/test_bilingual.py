"""Document languages (`assistant/ingest/corpus.py`): stated per file in companies.toml or detected,
ids that tell the two versions of one policy apart, and a bilingual corpus indexed end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.index.builds import build_index, load_index
from assistant.ingest.corpus import corpus_fingerprint, load_companies, load_corpus
from assistant.search.lexical import tokenize
from assistant.testing.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[2]
BILINGUAL = ROOT / "tests" / "fixtures" / "bilingual"
MOZILLA = next((p for p in (ROOT.parent / "shared" / "dev-corpus" / "mozilla",) if p.is_dir()), None)


def _company(files: str, company: str = "acme") -> str:
    return f'[[company]]\nid = "{company}"\nname = "Acme"\nfiles = {files}\n'


def _write(folder: Path, toml: str, files: dict[str, str]) -> Path:
    (folder / "companies.toml").write_text(toml, encoding="utf-8")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


EN = "# Privacy\n\nWe keep server logs for 30 days.\n"
JA = "# プライバシー\n\nサーバーログは 30 日間保存します。\n"


def test_the_bilingual_fixture_loads_both_versions_with_their_languages() -> None:
    corpus = load_corpus(BILINGUAL, strict=True)
    assert [(d.doc_id, d.language) for d in corpus.documents] == [
        ("kumo/privacy@en", "en"),
        ("kumo/privacy@ja", "ja"),
        ("hoshi", "ja"),  # a plain entry: its id as always, its language read from the text
    ]
    kumo = corpus.company("kumo")
    assert kumo is not None and kumo.files == ("en/privacy.md", "ja/privacy.md")
    assert dict(kumo.file_languages) == {"en/privacy.md": "en", "ja/privacy.md": "ja"}
    assert set(corpus_fingerprint(BILINGUAL, corpus.companies)) == {"companies.toml", "en/privacy.md", "ja/privacy.md", "hoshi.txt"}


def test_the_bilingual_fixture_builds_an_index_that_keeps_each_documents_language(tmp_path: Path) -> None:
    corpus = load_corpus(BILINGUAL, strict=True)
    build_index(corpus, BILINGUAL, tmp_path / "index", HashEmbedder(), progress=False)
    index = load_index(tmp_path / "index")
    assert {d: doc.language for d, doc in index.documents.items()} == {"kumo/privacy@en": "en", "kumo/privacy@ja": "ja", "hoshi": "ja"}
    for chunk in index.chunks:
        doc = index.documents[chunk.doc_id]
        assert all(doc.text[s.start : s.end] == chunk.text_of(s) for s in chunk.spans)
    rows = [r for r, c in enumerate(index.chunks) if c.doc_id == "kumo/privacy@ja"]
    found = index.bm25.scores("ログはどのくらい保存されますか", rows)
    assert found and "30 日間保存" in index.chunks[max(found, key=lambda r: found[r])].text
    assert "保存" in tokenize("保存期間")


def test_plain_entries_keep_their_ids_and_get_the_language_only_when_two_would_clash(tmp_path: Path) -> None:
    folder = _write(tmp_path, _company('["en/a.md", "ja/a.md", "b.md"]'), {"en/a.md": EN, "ja/a.md": JA, "b.md": EN})
    corpus = load_corpus(folder, strict=True)
    assert [(d.doc_id, d.language) for d in corpus.documents] == [("acme/a@en", "en"), ("acme/a@ja", "ja"), ("acme/b", "en")]


def test_a_stated_language_is_in_the_id_and_overrides_detection(tmp_path: Path) -> None:
    folder = _write(tmp_path, _company('[{path = "acme.md", language = "ja"}]'), {"acme.md": EN})
    (doc,) = load_corpus(folder, strict=True).documents
    assert (doc.doc_id, doc.language) == ("acme@ja", "ja")


def test_two_files_with_one_stem_and_one_language_are_refused_by_name(tmp_path: Path) -> None:
    folder = _write(tmp_path, _company('["a.md", "old/a.md"]'), {"a.md": EN, "old/a.md": EN})
    corpus = load_corpus(folder)
    assert [d.doc_id for d in corpus.documents] == ["acme/a@en"]
    assert len(corpus.problems) == 1 and "old/a.md" in str(corpus.problems[0])
    with pytest.raises(CorpusError, match="taken by another file"):
        load_corpus(folder, strict=True)


@pytest.mark.parametrize(
    "files",
    ['[{path = "a.md", language = "fr"}]', '[{file = "a.md"}]', '[{path = "a.md", lang = "ja"}]', "[1]", '"a.md"'],
)
def test_a_bad_file_entry_is_a_corpus_error_naming_the_metadata_file(tmp_path: Path, files: str) -> None:
    folder = _write(tmp_path, _company(files), {"a.md": EN})
    with pytest.raises(CorpusError, match=r"companies\.toml"):
        load_companies(folder)


def test_the_projects_corpus_keeps_its_ids_and_is_english() -> None:
    corpus = load_corpus(ROOT / "corpus", strict=True)
    assert [d.doc_id for d in corpus.documents] == ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]
    assert {d.language for d in corpus.documents} == {"en"}


def test_the_mozilla_notices_in_english_and_japanese_load_as_one_corpus(tmp_path: Path) -> None:
    if MOZILLA is None:
        pytest.skip("../shared/dev-corpus/mozilla not present")
    for lang in ("en", "ja"):
        shutil.copytree(MOZILLA / lang, tmp_path / lang, ignore=shutil.ignore_patterns("companies.toml"))
    # The dev folders' companies, each with its file in both languages (same file names).
    companies = load_companies(MOZILLA / "en")
    toml = "".join(
        f'[[company]]\nid = "{c.id}"\nname = "{c.name}"\nfiles = ['
        + ", ".join(f'{{path = "{lang}/{name}", language = "{lang}"}}' for name in c.files for lang in ("en", "ja"))
        + "]\n\n"
        for c in companies
    )
    (tmp_path / "companies.toml").write_text(toml, encoding="utf-8")
    corpus = load_corpus(tmp_path, strict=True)
    assert len(corpus.documents) == 10
    for doc in corpus.documents:
        assert doc.doc_id.endswith(f"@{doc.language}") and doc.language == Path(doc.path).parent.name
    subscriptions = [d for d in corpus.documents if d.company == "mozilla-subscriptions"]
    assert [d.format for d in subscriptions] == ["pdf", "pdf"]
    build_index(corpus, tmp_path, tmp_path / "index", HashEmbedder(), progress=False)
    index = load_index(tmp_path / "index")
    assert {doc.language for doc in index.documents.values()} == {"en", "ja"}
    assert {c.doc_id for c in index.chunks} == {d.doc_id for d in corpus.documents}
