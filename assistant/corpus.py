"""Loading the policy corpus: company metadata and each company's documents."""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.domain import Company, Document, PageSpan
from assistant.errors import CorpusError

log = logging.getLogger(__name__)

METADATA_FILE = "companies.toml"
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")


@dataclass(frozen=True)
class Corpus:
    """Companies and their loaded documents, plus the files that could not be loaded."""

    companies: tuple[Company, ...]
    documents: tuple[Document, ...]
    problems: tuple[CorpusError, ...] = ()

    def company(self, company_id: str) -> Company | None:
        """The company with this id, if any."""
        return next((c for c in self.companies if c.id == company_id), None)

    def documents_of(self, company_id: str) -> list[Document]:
        """The documents of one company, in metadata order."""
        return [d for d in self.documents if d.company == company_id]


def content_version(text: str) -> str:
    """A short content hash: changes whenever the text changes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes (what the index manifest records)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_companies(corpus_dir: Path) -> list[Company]:
    """Read company metadata from `companies.toml` in the corpus directory."""
    path = corpus_dir / METADATA_FILE
    if not path.is_file():
        raise CorpusError(str(path), "company metadata file is missing")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(str(path), f"not valid TOML: {exc}") from exc
    companies = []
    seen: set[str] = set()
    for entry in data.get("company", []):
        try:
            company = Company(
                id=str(entry["id"]),
                name=str(entry["name"]),
                short_name=str(entry.get("short_name") or entry["name"]),
                aliases=tuple(entry.get("aliases", ())),
                files=tuple(entry.get("files", ())),
                desk_name=str(entry.get("desk_name", "")),
                desk_email=entry.get("desk_email"),
                desk_address=entry.get("desk_address"),
                desk_url=entry.get("desk_url"),
                desk_channels_note=entry.get("desk_channels_note"),
                source_url=entry.get("source_url"),
                due_days=int(entry.get("due_days", 14)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CorpusError(str(path), f"bad company entry {entry!r}: {exc}") from exc
        if company.id in seen:
            raise CorpusError(str(path), f"company id {company.id!r} appears twice")
        seen.add(company.id)
        companies.append(company)
    if not companies:
        raise CorpusError(str(path), "no [[company]] entries")
    return companies


def load_document(path: Path, company: str, doc_id: str) -> Document:
    """Load one policy file (.txt, .md or .pdf); raise CorpusError naming it on failure."""
    if not path.is_file():
        raise CorpusError(str(path), "file not found")
    suffix = path.suffix.lower()
    pages: tuple[PageSpan, ...] = ()
    if suffix in (".txt", ".md"):
        try:
            # newline="" keeps the text byte-for-byte, so offsets match the file.
            with path.open(encoding="utf-8", newline="") as fh:
                text = fh.read()
        except UnicodeDecodeError as exc:
            raise CorpusError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        if text.startswith("\ufeff"):
            raise CorpusError(str(path), "starts with a byte-order mark; save it as UTF-8 without BOM")
    elif suffix == ".pdf":
        text, pages = _read_pdf(path)
    else:
        raise CorpusError(str(path), f"unsupported file type {suffix!r} (use {', '.join(SUPPORTED_SUFFIXES)})")
    if not text.strip():
        raise CorpusError(str(path), "file is empty or has no extractable text")
    if "\x00" in text:
        raise CorpusError(str(path), "contains NUL bytes: not a text file")
    title = next((ln.strip() for ln in text.splitlines() if ln.strip()), path.stem)[:120]
    return Document(
        doc_id=doc_id,
        company=company,
        title=title,
        path=str(path),
        text=text,
        version=content_version(text),
        pages=pages,
    )


def _read_pdf(path: Path) -> tuple[str, tuple[PageSpan, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise CorpusError(str(path), "PDF is encrypted; provide an unencrypted copy")
        parts: list[str] = []
        spans: list[PageSpan] = []
        offset = 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip("\x00")
            if parts:
                # Pages are joined by a blank line so clauses never run across pages.
                parts.append("\n\n")
                offset += 2
            spans.append(PageSpan(page=number, start=offset, end=offset + len(page_text)))
            parts.append(page_text)
            offset += len(page_text)
    except CorpusError:
        raise
    except PdfReadError as exc:
        raise CorpusError(str(path), f"unreadable PDF: {exc}") from exc
    except Exception as exc:
        raise CorpusError(str(path), f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    text = "".join(parts)
    if not text.strip():
        raise CorpusError(str(path), "PDF has no extractable text (image-only? run OCR first)")
    return text, tuple(spans)


def doc_id_for(company: str, file_name: str) -> str:
    """The document id: the company id, plus the file stem when it differs."""
    stem = Path(file_name).stem
    return company if stem == company else f"{company}/{stem}"


def load_corpus(corpus_dir: Path, strict: bool = False) -> Corpus:
    """Load every company's documents; bad files are collected (or raised when strict)."""
    companies = load_companies(corpus_dir)
    documents: list[Document] = []
    problems: list[CorpusError] = []
    for company in companies:
        files: Iterable[str] = company.files or _guess_files(corpus_dir, company.id)
        for name in files:
            try:
                documents.append(load_document(corpus_dir / name, company.id, doc_id_for(company.id, name)))
            except CorpusError as exc:
                if strict:
                    raise
                log.warning("skipping %s", exc)
                problems.append(exc)
    return Corpus(tuple(companies), tuple(documents), tuple(problems))


def _guess_files(corpus_dir: Path, company_id: str) -> list[str]:
    return [f"{company_id}{s}" for s in SUPPORTED_SUFFIXES if (corpus_dir / f"{company_id}{s}").is_file()]


def corpus_fingerprint(corpus_dir: Path, companies: Iterable[Company]) -> dict[str, str]:
    """File name -> SHA-256 for the metadata file and every listed policy file."""
    names = [METADATA_FILE]
    for company in companies:
        names.extend(company.files or _guess_files(corpus_dir, company.id))
    return {name: file_hash(corpus_dir / name) for name in names if (corpus_dir / name).is_file()}
