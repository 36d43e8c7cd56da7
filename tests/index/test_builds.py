"""Index builds (`assistant/index/builds.py`): manifest, staleness, atomic swap, corrupt builds, no pickle."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

import assistant.index.builds as index_module
from assistant.errors import IndexNotBuiltError
from assistant.index.builds import (
    FORMAT_VERSION,
    build_index,
    chunk_corpus,
    current_build_dir,
    is_stale,
    load_index,
    read_manifest,
)
from assistant.ingest.corpus import Corpus, load_corpus

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"
COMPANY_IDS = ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, folder)
    for path in folder.iterdir():
        path.chmod(0o644)  # the project's corpus files are read-only
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, hash_embedder) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """One corpus copy and one build, copied by `built` for tests that damage them."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(CORPUS_DIR, root / "corpus")
    for path in (root / "corpus").iterdir():
        path.chmod(0o644)
    _build(root / "corpus", root / "index", hash_embedder)
    return root / "corpus", root / "index"


@pytest.fixture
def built(tmp_path: Path, pristine: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    """A private copy of a fresh build: (corpus dir, index dir, manifest)."""
    shutil.copytree(pristine[0], tmp_path / "corpus")
    shutil.copytree(pristine[1], tmp_path / "index")
    return tmp_path / "corpus", tmp_path / "index", read_manifest(tmp_path / "index")


def _build(corpus_dir: Path, index_dir: Path, embedder, **kwargs):  # type: ignore[no-untyped-def]
    return build_index(load_corpus(corpus_dir), corpus_dir, index_dir, embedder, progress=False, **kwargs)


def _builds(index_dir: Path) -> list[str]:
    return sorted(p.name for p in (index_dir / "builds").iterdir())


def _pointer(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


# -- manifest ------------------------------------------------------------------------------------


def test_manifest_fields(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    corpus: Corpus = load_corpus(corpus_dir)
    manifest = build_index(corpus, corpus_dir, index_dir, hash_embedder, progress=False)
    expected_files = {
        name: hashlib.sha256((corpus_dir / name).read_bytes()).hexdigest()
        for name in ["companies.toml", *(f"{c}.txt" for c in COMPANY_IDS)]
    }
    assert manifest.corpus_files == expected_files
    assert manifest.model == "hash-test"
    assert manifest.dimensions == 384
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.companies == COMPANY_IDS
    chunks = chunk_corpus(corpus, None, None)
    assert manifest.chunk_count == len(chunks) > 50
    assert manifest.span_count == sum(len(c.spans) for c in chunks) > manifest.chunk_count
    assert manifest.build_seconds >= 0 and manifest.built_at.endswith("Z")
    # What is on disk is what build_index returned, and what load_index reads back.
    assert _pointer(index_dir) == manifest.build_id
    on_disk = json.loads((index_dir / "builds" / manifest.build_id / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == asdict(manifest)
    assert read_manifest(index_dir) == manifest
    loaded = load_index(index_dir)
    assert loaded.manifest == manifest
    assert len(loaded.chunks) == loaded.dense.ntotal == manifest.chunk_count
    assert len(loaded.span_rows) == loaded.span_dense.ntotal == manifest.span_count
    assert loaded.dense.d == loaded.span_dense.d == 384
    assert [c.id for c in loaded.chunks] == [c.id for c in chunks]


def test_loaded_chunks_are_grouped_by_company(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    _build(corpus_dir, index_dir, hash_embedder)
    loaded = load_index(index_dir)
    assert set(loaded.chunk_ranges) == set(COMPANY_IDS)
    for company, (lo, hi) in loaded.chunk_ranges.items():
        assert lo < hi
        assert {c.company for c in loaded.chunks[lo:hi]} == {company}
    for company, (lo, hi) in loaded.span_ranges.items():
        assert {loaded.chunks[loaded.span_rows[r][0]].company for r in range(lo, hi)} == {company}
    for chunk in loaded.chunks:
        assert chunk.text == loaded.documents[chunk.doc_id].text[chunk.start : chunk.end]
        for span in chunk.spans:  # a passage reads the same from its clause as from its document
            assert chunk.text_of(span) == loaded.documents[chunk.doc_id].text_of(span) == loaded.documents[chunk.doc_id].text[span.start : span.end]


# -- staleness -------------------------------------------------------------------------------------


def test_is_stale_after_build_and_after_a_change(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    _build(corpus_dir, index_dir, hash_embedder)
    assert is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test") is None

    policy = corpus_dir / "upward.txt"
    original = policy.read_bytes()
    policy.write_bytes(original + b"12. New clause\nWe now also use your data for research.\n")
    reason = is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test")
    assert reason is not None and "upward.txt" in reason
    assert "highreso.txt" not in reason

    policy.write_bytes(original)  # content, not mtime, decides
    assert is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test") is None


def test_is_stale_on_metadata_model_and_missing_index(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    corpus = load_corpus(corpus_dir)
    assert is_stale(index_dir, corpus, corpus_dir, "hash-test")  # nothing built yet
    _build(corpus_dir, index_dir, hash_embedder)
    reason = is_stale(index_dir, corpus, corpus_dir, "all-MiniLM-L6-v2")
    assert reason is not None and "all-MiniLM-L6-v2" in reason and "hash-test" in reason
    toml = corpus_dir / "companies.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    reason = is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test")
    assert reason is not None and "companies.toml" in reason


def test_old_format_is_stale(built) -> None:  # type: ignore[no-untyped-def]
    corpus_dir, index_dir, manifest = built
    path = index_dir / "builds" / manifest.build_id / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format_version"] = FORMAT_VERSION - 1
    path.write_text(json.dumps(data), encoding="utf-8")
    reason = is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test")
    assert reason is not None and "format" in reason


# -- atomic rebuilds ---------------------------------------------------------------------------------


def test_rebuild_switches_current_and_keeps_one_previous(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    first = _build(corpus_dir, index_dir, hash_embedder)
    second = _build(corpus_dir, index_dir, hash_embedder)
    assert second.build_id != first.build_id
    assert _pointer(index_dir) == second.build_id
    assert load_index(index_dir).manifest.build_id == second.build_id
    assert set(_builds(index_dir)) == {first.build_id, second.build_id}
    third = _build(corpus_dir, index_dir, hash_embedder)
    builds = _builds(index_dir)
    assert third.build_id in builds and len(builds) <= index_module.KEEP_BUILDS
    # The pointer is replaced, never left half-written next to CURRENT.
    assert sorted(p.name for p in index_dir.iterdir()) == ["CURRENT", "builds"]


def test_failed_rebuild_keeps_the_previous_build_serving(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    first = _build(corpus_dir, index_dir, hash_embedder)
    before = _builds(index_dir)
    seen: list[Path] = []

    def explode(build_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
        seen.append(build_dir)
        assert (build_dir / "chunks.json").is_file()  # midway: part of the build is written
        raise RuntimeError("disk full")

    (corpus_dir / "upward.txt").write_bytes((corpus_dir / "upward.txt").read_bytes() + b"\nNew text.\n")
    with pytest.raises(RuntimeError, match="disk full"):
        _build(corpus_dir, index_dir, hash_embedder, extra_builders=(explode,))
    assert seen and seen[0].name.startswith(".tmp-")
    assert _pointer(index_dir) == first.build_id
    assert _builds(index_dir) == before
    assert not list((index_dir / "builds").glob(".tmp-*"))
    loaded = load_index(index_dir)
    assert loaded.manifest.build_id == first.build_id
    assert loaded.manifest.chunk_count == len(loaded.chunks)


def test_interrupted_rebuild_cleans_up(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    first = _build(corpus_dir, index_dir, hash_embedder)

    def interrupt(build_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _build(corpus_dir, index_dir, hash_embedder, extra_builders=(interrupt,))
    assert not list((index_dir / "builds").glob(".tmp-*"))
    assert load_index(index_dir).manifest.build_id == first.build_id


def test_failed_pointer_switch_keeps_the_previous_build(
    corpus_dir: Path, index_dir: Path, hash_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    first = _build(corpus_dir, index_dir, hash_embedder)

    def broken_pointer(index_dir: Path, build_id: str) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(index_module, "_write_pointer", broken_pointer)
    with pytest.raises(OSError, match="no space"):
        _build(corpus_dir, index_dir, hash_embedder)
    assert _pointer(index_dir) == first.build_id
    assert load_index(index_dir).manifest.build_id == first.build_id
    assert not list((index_dir / "builds").glob(".tmp-*"))


def test_extra_builder_output_lands_in_the_build(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    def extra(build_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
        (build_dir / "extra.json").write_text(json.dumps({"model": embedder.name}), encoding="utf-8")

    _build(corpus_dir, index_dir, hash_embedder, extra_builders=(extra,))
    loaded = load_index(index_dir)
    assert json.loads((loaded.extras_dir / "extra.json").read_text(encoding="utf-8")) == {"model": "hash-test"}


def test_empty_corpus_is_not_indexed(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "companies.toml").write_text(
        '[[company]]\nid = "acme"\nname = "Acme"\nfiles = ["acme.txt"]\n', encoding="utf-8"
    )
    (folder / "acme.txt").write_text("", encoding="utf-8")
    with pytest.raises(IndexNotBuiltError):
        _build(folder, tmp_path / "index", hash_embedder)
    assert not (tmp_path / "index" / "CURRENT").exists()


# -- missing and corrupt builds ------------------------------------------------------------------------


def test_missing_index(tmp_path: Path) -> None:
    for folder in (tmp_path / "nothing-here", tmp_path):
        with pytest.raises(IndexNotBuiltError, match="index build"):
            load_index(folder)
        with pytest.raises(IndexNotBuiltError):
            read_manifest(folder)


def test_pointer_to_missing_or_incomplete_build(built) -> None:  # type: ignore[no-untyped-def]
    _, index_dir, manifest = built
    (index_dir / "CURRENT").write_text("20000101T000000-abcdef\n", encoding="utf-8")
    with pytest.raises(IndexNotBuiltError, match="incomplete"):
        load_index(index_dir)
    (index_dir / "CURRENT").write_text(manifest.build_id + "\n", encoding="utf-8")
    (index_dir / "builds" / manifest.build_id / "manifest.json").unlink()
    with pytest.raises(IndexNotBuiltError, match="incomplete"):
        load_index(index_dir)


_CORRUPT_CHUNKS = [
    pytest.param(b"", id="empty"),
    pytest.param(b'[{"id": "upward:0-10:abc", "company": "upw', id="truncated"),
    pytest.param(b"\xff\xfe\x00\x00garbage", id="binary"),
    pytest.param(b"null", id="null"),
    pytest.param(b"{}", id="object"),
    pytest.param(b"[1, 2, 3]", id="numbers"),
    pytest.param(b'"chunks"', id="string"),
    pytest.param(
        b'[{"id": "a", "company": "acme", "doc_id": "acme", "section": "", "start": 0, "end": 1, "text": "x",'
        b' "spans": [[0]]}]',
        id="bad-span",
    ),
]


@pytest.mark.parametrize("content", _CORRUPT_CHUNKS)
def test_corrupt_chunks_json(built, content: bytes) -> None:  # type: ignore[no-untyped-def]
    _, index_dir, manifest = built
    load_index(index_dir)  # the copy is sound before the damage
    (index_dir / "builds" / manifest.build_id / "chunks.json").write_bytes(content)
    with pytest.raises(IndexNotBuiltError) as exc:
        load_index(index_dir)
    assert manifest.build_id in str(exc.value)
    assert "corrupt" in str(exc.value) or "inconsistent" in str(exc.value)
    assert "index build" in str(exc.value)  # tells the operator what to run


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("manifest.json", b"{not json"),
        ("manifest.json", b"[]"),
        ("manifest.json", b'{"build_id": "x"}'),
        ("chunks.faiss", b"not a faiss index"),
        ("spans.faiss", b""),
        ("bm25.json", b"{}"),
        ("span_rows.json", b"[[1]]"),
        ("span_rows.json", b"[]"),
        ("documents.json", b"[{}]"),
    ],
)
def test_other_corrupt_files(built, name: str, content: bytes) -> None:  # type: ignore[no-untyped-def]
    corpus_dir, index_dir, manifest = built
    (index_dir / "builds" / manifest.build_id / name).write_bytes(content)
    with pytest.raises(IndexNotBuiltError):
        load_index(index_dir)
    # Staleness checks report the problem instead of raising.
    if name == "manifest.json":
        assert is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test")


@pytest.mark.parametrize("content", [b"[]", b"{}"])
def test_documents_json_missing_documents(built, content: bytes) -> None:  # type: ignore[no-untyped-def]
    _, index_dir, manifest = built
    (index_dir / "builds" / manifest.build_id / "documents.json").write_bytes(content)
    with pytest.raises(IndexNotBuiltError):
        load_index(index_dir)


def test_garbled_pointer(built) -> None:  # type: ignore[no-untyped-def]
    corpus_dir, index_dir, _ = built
    (index_dir / "CURRENT").write_bytes(b"\xff\xfe\x00")
    assert is_stale(index_dir, load_corpus(corpus_dir), corpus_dir, "hash-test")
    with pytest.raises(IndexNotBuiltError):
        load_index(index_dir)


# -- no pickle -------------------------------------------------------------------------------------------

_PICKLE_MAGIC = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))


def _assert_no_pickle(build: Path) -> None:
    import faiss

    files = [p for p in build.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.suffix not in (".pkl", ".pickle", ".joblib", ".npy", ".npz"), path
        head = path.read_bytes()[:2]
        assert not head.startswith(_PICKLE_MAGIC), f"{path} looks like a pickle"
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    faiss_files = sorted(p.name for p in files if p.suffix == ".faiss")
    assert faiss_files in (["chunks.faiss", "spans.faiss"], ["chunks.faiss", "chunks.ml.faiss", "spans.faiss", "spans.ml.faiss", "vocab.ml.faiss"])
    for name in faiss_files:
        index = faiss.read_index(str(build / name))
        assert index.ntotal > 0 and index.d == (512 if ".ml." in name else 384)


def test_no_pickle_in_a_build(corpus_dir: Path, index_dir: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    _build(corpus_dir, index_dir, hash_embedder)
    _assert_no_pickle(current_build_dir(index_dir))
    assert not [p for p in index_dir.rglob("*") if p.suffix in (".pkl", ".pickle")]


def test_no_pickle_in_the_full_build_with_extras(hash_index_dir: Path) -> None:
    build = current_build_dir(hash_index_dir)
    _assert_no_pickle(build)
    assert {"chunks.json", "manifest.json", "intent.json", "chunks.ml.faiss", "spans.ml.faiss"} <= {p.name for p in build.iterdir()}
