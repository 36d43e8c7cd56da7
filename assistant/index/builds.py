"""Building, saving and loading the search index under `index/`.

Layout: `index/builds/<build-id>/` holds one complete build (FAISS files written with
`faiss.write_index`, everything else JSON); `index/CURRENT` names the build in service and
is replaced atomically, so a crash mid-build leaves the previous build serving.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.domain import Chunk, Document, PageSpan, Span
from assistant.errors import DamagedIndexError, IndexNotBuiltError
from assistant.files import write_atomically
from assistant.ingest.chunking import split_into_clauses
from assistant.ingest.corpus import Corpus, corpus_fingerprint
from assistant.models.embedders import Embedder, Vectors
from assistant.search.bridge import Vocabulary
from assistant.search.lexical import Bm25Index

log = logging.getLogger(__name__)

FORMAT_VERSION = 7  # bump when chunking or the file layout changes: old builds go stale
POINTER = "CURRENT"
KEEP_BUILDS = 2
ML_CHUNKS_FILE = "chunks.ml.faiss"
ML_SPANS_FILE = "spans.ml.faiss"
# The corpus's content words in the multilingual space, for lexical search across languages.
ML_VOCAB_FILE = "vocab.ml.faiss"
ML_VOCAB_WORDS = "vocab.ml.json"


def pipeline_fingerprint() -> str:
    """A hash of the code and data that shape a build (chunker, BM25, intent examples...), so
    a changed pipeline makes old builds stale without anyone remembering to bump a number."""
    from assistant.ingest import chunking, corpus, markup
    from assistant.search import bridge, lexical
    from assistant.understand import intent, pleasantries

    digest = hashlib.sha256(str(FORMAT_VERSION).encode())
    # corpus.py decides the text offsets point into (PDF reflow); markup.py the markdown section titles.
    code = {
        chunking.__file__,
        corpus.__file__,
        markup.__file__,
        lexical.__file__,
        bridge.__file__,
        intent.__file__,
        pleasantries.__file__,
        __file__,
    }
    for path in sorted({*map(Path, code), intent.EXAMPLES_PATH}):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Manifest:
    """What a build was made from, so staleness can be checked without loading it."""

    build_id: str
    format_version: int
    model: str
    dimensions: int
    chunk_count: int
    span_count: int
    companies: list[str]
    corpus_files: dict[str, str]
    built_at: str
    build_seconds: float
    pipeline: str = ""
    multilingual_model: str = ""  # the second encoder (Japanese text), "" when the build has none
    # Every other file of the build: name -> {"bytes", "sha256"}, checked before anything is
    # memory-mapped (a truncated mapped file kills the process with SIGBUS on first access).
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedIndex:
    """Everything the retriever needs, read from one build directory."""

    manifest: Manifest
    documents: dict[str, Document]
    chunks: tuple[Chunk, ...]
    span_rows: tuple[tuple[int, int], ...]  # span row -> (chunk row, span position)
    chunk_ranges: dict[str, tuple[int, int]]
    chunk_rows: dict[str, int]  # chunk id -> row
    span_ranges: dict[str, tuple[int, int]]
    dense: Any  # faiss.Index over chunk embeddings
    span_dense: Any  # faiss.Index over span embeddings
    bm25: Bm25Index
    extras_dir: Path
    # The same clauses and passages in the multilingual encoder's space (None: a build without it).
    ml_dense: Any = None
    ml_span_dense: Any = None
    # The corpus's content words (and the language of each) with their vectors in that space.
    ml_vocabulary: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    ml_vocabulary_dense: Any = None


def span_embed_text(chunk: Chunk, span: Span, document: Document) -> str:
    """The text embedded for one sentence: its nearest heading and list lead, then the sentence."""
    parts = [chunk.section.rsplit(" > ", 1)[-1]] if chunk.section else []
    if span.lead_start >= 0:
        parts.append(document.text[span.lead_start : span.lead_end][:200])
    parts.append(document.text_of(span))
    return ": ".join(parts)


def _company_ranges(companies: Sequence[str]) -> dict[str, tuple[int, int]]:
    ranges: dict[str, tuple[int, int]] = {}
    for row, company in enumerate(companies):
        lo, _ = ranges.get(company, (row, row))
        ranges[company] = (lo, row + 1)
    return ranges


def chunk_corpus(corpus: Corpus, max_tokens: int | None, count_tokens: Callable[[str], int] | None) -> list[Chunk]:
    """Chunk every document, grouped by company (rows of one company are contiguous)."""
    chunks: list[Chunk] = []
    for company in corpus.companies:
        for doc in corpus.documents_of(company.id):
            if count_tokens and max_tokens:
                # Leave room for the heading path and special tokens inside the model window.
                chunks.extend(split_into_clauses(doc, max_len=max_tokens - 8, measure=count_tokens))
            else:
                chunks.extend(split_into_clauses(doc))
    return chunks


def _embed_with_progress(embedder: Embedder, texts: Sequence[str], label: str, progress: bool) -> Vectors:
    from tqdm import tqdm

    batch = 64
    parts = []
    with tqdm(total=len(texts), desc=label, unit="text", disable=not progress) as bar:
        for i in range(0, len(texts), batch):
            parts.append(embedder.embed(texts[i : i + batch]))
            bar.update(len(texts[i : i + batch]))
    if not parts:
        return np.zeros((0, embedder.dimensions), dtype=np.float32)
    return np.vstack(parts).astype(np.float32)


def _flat_index(vectors: Vectors, dimensions: int) -> Any:
    import faiss

    index = faiss.IndexFlatIP(dimensions)
    if len(vectors):
        index.add(vectors)
    return index


def build_index(
    corpus: Corpus,
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    progress: bool = True,
    extra_builders: Sequence[Callable[[Path, Embedder], None]] = (),
    multilingual: Embedder | None = None,
) -> Manifest:
    """Build a complete index in a fresh build directory, then switch CURRENT to it; with
    `multilingual`, the clauses and passages are embedded in its space as well."""
    import faiss

    started = time.perf_counter()
    if not corpus.documents:
        raise IndexNotBuiltError("the corpus has no loadable documents; nothing to index")
    chunks = chunk_corpus(corpus, embedder.max_tokens, embedder.count_tokens)
    docs = {d.doc_id: d for d in corpus.documents}
    span_texts: list[str] = []
    span_rows: list[tuple[int, int]] = []
    span_companies: list[str] = []
    for row, chunk in enumerate(chunks):
        for pos, span in enumerate(chunk.spans):
            span_texts.append(span_embed_text(chunk, span, docs[chunk.doc_id]))
            span_rows.append((row, pos))
            span_companies.append(chunk.company)

    chunk_vectors = _embed_with_progress(embedder, [c.embed_text for c in chunks], "embedding clauses", progress)
    span_vectors = _embed_with_progress(embedder, span_texts, "embedding passages", progress)
    bm25 = Bm25Index.build([c.embed_text for c in chunks])
    ml_vectors = None
    words, languages = Vocabulary.collect(c.embed_text for c in chunks) if multilingual is not None else ((), ())
    if multilingual is not None:
        ml_vectors = (
            _embed_with_progress(multilingual, [c.embed_text for c in chunks], "embedding clauses (multilingual)", progress),
            _embed_with_progress(multilingual, span_texts, "embedding passages (multilingual)", progress),
            Vocabulary.of(words, languages, _embed_with_progress(multilingual, words, "embedding words (multilingual)", progress)).vectors,
        )

    index_dir.mkdir(parents=True, exist_ok=True)
    builds = index_dir / "builds"
    builds.mkdir(exist_ok=True)
    # Sortable to the nanosecond, so pruning keeps the newest builds even within one second.
    build_id = time.strftime("%Y%m%dT%H%M%S") + f".{time.time_ns() % 10**9:09d}-" + uuid.uuid4().hex[:6]
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        faiss.write_index(_flat_index(chunk_vectors, embedder.dimensions), str(tmp / "chunks.faiss"))
        faiss.write_index(_flat_index(span_vectors, embedder.dimensions), str(tmp / "spans.faiss"))
        if multilingual is not None and ml_vectors is not None:
            faiss.write_index(_flat_index(ml_vectors[0], multilingual.dimensions), str(tmp / ML_CHUNKS_FILE))
            faiss.write_index(_flat_index(ml_vectors[1], multilingual.dimensions), str(tmp / ML_SPANS_FILE))
            faiss.write_index(_flat_index(ml_vectors[2], multilingual.dimensions), str(tmp / ML_VOCAB_FILE))
            _write_json(tmp / ML_VOCAB_WORDS, {"words": words, "languages": languages})
        _write_json(tmp / "bm25.json", bm25.to_json())
        _write_json(tmp / "chunks.json", [_chunk_to_json(c) for c in chunks])
        _write_json(tmp / "span_rows.json", span_rows)
        _write_json(tmp / "documents.json", [_doc_to_json(d) for d in corpus.documents])
        for extra in extra_builders:
            extra(tmp, embedder)
        manifest = Manifest(
            files=_file_records(tmp),
            build_id=build_id,
            format_version=FORMAT_VERSION,
            model=embedder.name,
            dimensions=embedder.dimensions,
            chunk_count=len(chunks),
            span_count=len(span_rows),
            companies=[c.id for c in corpus.companies],
            corpus_files=corpus_fingerprint(corpus_dir, corpus.companies),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            build_seconds=round(time.perf_counter() - started, 3),
            pipeline=pipeline_fingerprint(),
            multilingual_model=multilingual.name if multilingual is not None else "",
        )
        # The manifest is written last: a build directory without one is incomplete.
        _write_json(tmp / "manifest.json", asdict(manifest))
        final = builds / build_id
        os.replace(tmp, final)
        _write_pointer(index_dir, build_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(builds, keep=build_id)
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _file_records(build: Path) -> dict[str, dict[str, Any]]:
    return {
        p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(build.iterdir())
        if p.is_file() and p.name != "manifest.json"
    }


def verify_build(build: Path, manifest: Manifest) -> None:
    """DamagedIndexError unless every file of the build has the size and checksum its manifest recorded."""

    def damaged(why: str) -> DamagedIndexError:
        return DamagedIndexError(f"index build {build.name} is corrupt ({why}): run `privacy-assistant index build`")

    if not manifest.files:
        raise damaged("its manifest records no file checksums")
    for name, record in manifest.files.items():
        path = build / name
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise damaged(f"{name} is unreadable: {exc.strerror}") from exc
        if size != record.get("bytes"):
            raise damaged(f"{name} has {size} bytes, the manifest says {record.get('bytes')}")
        if _sha256(path) != record.get("sha256"):
            raise damaged(f"{name} does not match its checksum")


def _write_json(path: Path, data: object) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def _write_pointer(index_dir: Path, build_id: str) -> None:
    write_atomically(index_dir / POINTER, lambda fh: fh.write(f"{build_id}\n".encode()))


def _prune(builds: Path, keep: str) -> None:
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in builds.glob(".tmp-*"):  # leftovers of crashed builds
        if time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)


def current_build_dir(index_dir: Path) -> Path:
    """The directory of the build in service; IndexNotBuiltError when there is none."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        raise IndexNotBuiltError(f"no index in {index_dir}: run `privacy-assistant index build`")
    try:
        build = index_dir / "builds" / pointer.read_text(encoding="utf-8").strip()
    except (UnicodeDecodeError, OSError) as exc:
        raise DamagedIndexError(f"{pointer} is unreadable ({exc}): run `privacy-assistant index build`") from exc
    if not (build / "manifest.json").is_file():
        raise IndexNotBuiltError(f"index build {build.name} is incomplete: run `privacy-assistant index build`")
    return build


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the build in service."""
    build = current_build_dir(index_dir)
    try:
        return Manifest(**json.loads((build / "manifest.json").read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise DamagedIndexError(f"index manifest in {build} is corrupt: {exc}") from exc


def is_stale(index_dir: Path, corpus: Corpus, corpus_dir: Path, model: str, multilingual_model: str = "") -> str | None:
    """Why the served index no longer matches the corpus and models, or None if it does."""
    try:
        manifest = read_manifest(index_dir)
    except IndexNotBuiltError as exc:
        return str(exc)
    if manifest.format_version != FORMAT_VERSION:
        return f"index format {manifest.format_version} is older than {FORMAT_VERSION}"
    if manifest.pipeline != pipeline_fingerprint():
        return "the chunking or indexing code changed since the index was built"
    if manifest.model != model:
        return f"index was built with {manifest.model}, settings ask for {model}"
    if manifest.multilingual_model != multilingual_model:
        return f"index was built with multilingual model {manifest.multilingual_model or 'none'}, settings ask for {multilingual_model or 'none'}"
    current = corpus_fingerprint(corpus_dir, corpus.companies)
    if current != manifest.corpus_files:
        changed = sorted(set(current.items()) ^ set(manifest.corpus_files.items()))
        return "corpus changed since the index was built: " + ", ".join(sorted({n for n, _ in changed}))
    return None


def load_index(index_dir: Path) -> LoadedIndex:
    """Load the build in service; IndexNotBuiltError if it is missing, DamagedIndexError if corrupt."""
    import faiss

    build = current_build_dir(index_dir)
    manifest = read_manifest(index_dir)
    verify_build(build, manifest)
    try:
        chunks = tuple(_chunk_from_json(c) for c in _read_json(build / "chunks.json"))
        span_rows = tuple((int(a), int(b)) for a, b in _read_json(build / "span_rows.json"))
        documents = {d["doc_id"]: _doc_from_json(d) for d in _read_json(build / "documents.json")}
        bm25 = Bm25Index.from_json(_read_json(build / "bm25.json"))
        # Memory-mapped: several server workers share one copy of the vectors in the page cache.
        dense = faiss.read_index(str(build / "chunks.faiss"), faiss.IO_FLAG_MMAP_IFC)
        span_dense = faiss.read_index(str(build / "spans.faiss"), faiss.IO_FLAG_MMAP_IFC)
        ml_dense: Any = None
        ml_span_dense: Any = None
        ml_vocabulary_dense: Any = None
        words: tuple[str, ...] = ()
        word_languages: tuple[str, ...] = ()
        if manifest.multilingual_model:
            ml_dense = faiss.read_index(str(build / ML_CHUNKS_FILE), faiss.IO_FLAG_MMAP_IFC)
            ml_span_dense = faiss.read_index(str(build / ML_SPANS_FILE), faiss.IO_FLAG_MMAP_IFC)
            ml_vocabulary_dense = faiss.read_index(str(build / ML_VOCAB_FILE), faiss.IO_FLAG_MMAP_IFC)
            vocabulary = _read_json(build / ML_VOCAB_WORDS)
            words = tuple(map(str, vocabulary["words"]))
            word_languages = tuple(map(str, vocabulary["languages"]))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise DamagedIndexError(f"index build {build.name} is corrupt ({exc}): run `privacy-assistant index build`") from exc
    if (
        dense.ntotal != len(chunks)
        or span_dense.ntotal != len(span_rows)
        or len(bm25.doc_lengths) != len(chunks)
        or (ml_dense is not None and (ml_dense.ntotal != len(chunks) or ml_span_dense.ntotal != len(span_rows)))
        or (ml_vocabulary_dense is not None and ml_vocabulary_dense.ntotal != len(words))
        or len(words) != len(word_languages)
        or any(c.doc_id not in documents for c in chunks)
    ):
        raise DamagedIndexError(f"index build {build.name} is inconsistent: run `privacy-assistant index build`")
    return LoadedIndex(
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        span_rows=span_rows,
        chunk_ranges=_company_ranges([c.company for c in chunks]),
        chunk_rows={c.id: row for row, c in enumerate(chunks)},
        span_ranges=_company_ranges([chunks[r].company for r, _ in span_rows]),
        dense=dense,
        span_dense=span_dense,
        bm25=bm25,
        extras_dir=build,
        ml_dense=ml_dense,
        ml_span_dense=ml_span_dense,
        ml_vocabulary=(words, word_languages),
        ml_vocabulary_dense=ml_vocabulary_dense,
    )


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _chunk_to_json(c: Chunk) -> dict[str, Any]:
    return {
        "id": c.id,
        "company": c.company,
        "doc_id": c.doc_id,
        "section": c.section,
        "start": c.start,
        "end": c.end,
        "text": c.text,
        "spans": [[s.start, s.end, s.section, s.lead_start, s.lead_end] for s in c.spans],
    }


def _chunk_from_json(d: dict[str, Any]) -> Chunk:
    return Chunk(
        id=d["id"],
        company=d["company"],
        doc_id=d["doc_id"],
        section=d["section"],
        start=int(d["start"]),
        end=int(d["end"]),
        text=d["text"],
        spans=tuple(Span(int(s), int(e), str(sec), int(ls), int(le)) for s, e, sec, ls, le in d["spans"]),
    )


def _doc_to_json(d: Document) -> dict[str, Any]:
    return {
        "doc_id": d.doc_id,
        "company": d.company,
        "title": d.title,
        "path": d.path,
        "text": d.text,
        "version": d.version,
        "pages": [[p.page, p.start, p.end] for p in d.pages],
        "format": d.format,
        "language": d.language,
    }


def _doc_from_json(d: dict[str, Any]) -> Document:
    return Document(
        doc_id=d["doc_id"],
        company=d["company"],
        title=d["title"],
        path=d["path"],
        text=d["text"],
        version=d["version"],
        pages=tuple(PageSpan(int(p), int(s), int(e)) for p, s, e in d["pages"]),
        format=str(d.get("format", "text")),
        language=str(d.get("language", "en")),  # builds from before languages were English
    )
