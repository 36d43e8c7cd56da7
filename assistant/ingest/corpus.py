"""Loading the policy corpus: company metadata and each company's documents.

Each document has a language, "en" or "ja". `files` in companies.toml may state it per file:
`files = ["policy.md", {path = "ja/policy.md", language = "ja"}]` (a plain string is the old
form and still means a file whose language is detected: Japanese when kana make up a fair share
of its letters). Document ids are the company id, plus `/` and the file stem when the stem is
not the company id (`firefox/firefox_privacy_notice`), so the ids of a corpus of plain entries
are what they always were. The language is added (`firefox/firefox_privacy_notice@ja`) when the
entry states it, or when two files of one company would otherwise get the same id (`en/a.md`
and `ja/a.md`): the two language versions of a policy are told apart in citations, and an id
does not change when the other version is added later to a file that already stated its language.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.domain import Company, Document, PageSpan
from assistant.errors import CorpusError
from assistant.ingest.markup import display_text
from assistant.understand.language import SUPPORTED

log = logging.getLogger(__name__)

METADATA_FILE = "companies.toml"
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")
LANGUAGES = ("en", "ja")


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


# Texts of ours (not the policy's words) that companies.toml may give per reply language, as
# `<field>_<language>`: short_name_ja = "ハイレゾ".
TRANSLATED_FIELDS = ("short_name", "desk_channels_note")


def _translations(entry: dict[str, object]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (field, lang, str(entry[f"{field}_{lang}"])) for field in TRANSLATED_FIELDS for lang in SUPPORTED if entry.get(f"{field}_{lang}")
    )


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
            files, languages = _file_entries(entry.get("files", ()))
            company = Company(
                id=str(entry["id"]),
                name=str(entry["name"]),
                short_name=str(entry.get("short_name") or entry["name"]),
                translations=_translations(entry),
                aliases=tuple(entry.get("aliases", ())),
                files=files,
                file_languages=languages,
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


def _file_entries(entries: Any) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The file paths of a `files` list, and the language of each file whose entry states one."""
    if not isinstance(entries, list | tuple):
        raise TypeError(f"files must be a list, not {entries!r}")
    files: list[str] = []
    languages: list[tuple[str, str]] = []
    for item in entries:
        if isinstance(item, str):
            files.append(item)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or set(item) - {"path", "language"}:
            raise ValueError(f"a file is a path or {{path = ..., language = ...}}, not {item!r}")
        files.append(item["path"])
        if "language" in item:
            if item["language"] not in LANGUAGES:
                raise ValueError(f"language of {item['path']!r} is {item['language']!r}: use one of {', '.join(LANGUAGES)}")
            languages.append((item["path"], item["language"]))
    return tuple(files), tuple(languages)


# Kana (not the middle dot or the long-vowel mark, which English policies use as bullets and in
# names): every Japanese sentence has them, an English policy only in a quoted name or two.
_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u30fd-\u30ff\uff66-\uff9d]")
_LATIN = re.compile(r"[A-Za-z]")
# Japanese policies name products, URLs and e-mail addresses in Latin letters; the Mozilla
# notices' kana share is 0.5 to 0.75, the English ones' 0.
_KANA_SHARE = 0.15


def detect_document_language(text: str) -> str:
    """'ja' when kana make up a fair share of the text's letters (kana and Latin), else 'en'."""
    kana = len(_KANA.findall(text))
    latin = len(_LATIN.findall(text))
    return "ja" if kana and kana >= _KANA_SHARE * (kana + latin) else "en"


def load_document(path: Path, company: str, doc_id: str, language: str | None = None) -> Document:
    """Load one policy file (.txt, .md or .pdf) in its stated `language` or the detected one; CorpusError names it on failure."""
    if not path.is_file():
        raise CorpusError(str(path), "file not found")
    suffix = path.suffix.lower()
    pages: tuple[PageSpan, ...] = ()
    markup = {".md": "markdown", ".pdf": "pdf"}.get(suffix, "text")
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
    first = next((ln for ln in text.splitlines() if display_text(ln, markup)), "")
    title = (display_text(first, markup) or path.stem)[:120]
    return Document(
        doc_id=doc_id,
        company=company,
        title=title,
        path=str(path),
        text=text,
        version=content_version(text),
        pages=pages,
        format=markup,
        language=language or detect_document_language(text),
    )


def _read_pdf(path: Path) -> tuple[str, tuple[PageSpan, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise CorpusError(str(path), "PDF is encrypted; provide an unencrypted copy")
        pages = [_page_lines(page) for page in reader.pages]
    except CorpusError:
        raise
    except PdfReadError as exc:
        raise CorpusError(str(path), f"unreadable PDF: {exc}") from exc
    except Exception as exc:
        raise CorpusError(str(path), f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    text, spans = reflow_pages(pages)
    if not text.strip():
        raise CorpusError(str(path), "PDF has no extractable text (image-only? run OCR first)")
    return text, spans


# -- PDF reflow -------------------------------------------------------------------------------------
# A PDF's extracted text has a hard line break at the end of every printed line. The document
# text is the reflowed extraction: lines of one paragraph joined, so a sentence is one piece of
# text that can be cited whole, while headings, list items and paragraphs keep their own lines.

_BULLET_GLYPHS = frozenset("•・◦▪●○■□‣⁃–-*")
_LIST_START = re.compile(r"(?:[•・◦▪●○■‣⁃*-]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|\([ivx]{1,4}\))\s")
# Japanese items and headings open with their marker and no space: ・氏名, （１）, ①, 第3条, 一、, 【…】.
# \d reads fullwidth digits too.
_JA_LIST_START = re.compile(
    r"[・●○■□◆◇※【]|[（(](?:\d{1,2}|[一二三四五六七八九十]{1,3})[)）]|[\u2460-\u2473]|"
    r"第(?:\d{1,3}|[一二三四五六七八九十百]{1,4})[条章節]|[一二三四五六七八九十]{1,3}、|\d{1,2}[．.)）](?=[^\x00-\x7f])"
)
_TERMINAL = tuple(".!?。！？:;：；")


@dataclass(frozen=True)
class PdfLine:
    """One printed line: its text and, when the PDF gives them, position and font size."""

    text: str
    x: float | None = None
    y: float | None = None
    size: float | None = None
    bullet: bool = False


def _page_lines(page: Any) -> list[PdfLine]:
    """The page's extracted lines, each with the position of its first glyph."""
    fragments: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[0] * tm[3] - tm[1] * tm[2]) ** 0.5 * abs(cm[0] * cm[3] - cm[1] * cm[2]) ** 0.5
        fragments.append((text, x, y, float(size or 0) * (scale or 1.0)))

    raw = (page.extract_text(visitor_text=visit) or "").replace("\x00", "")
    if "".join(f[0] for f in fragments).replace("\x00", "") != raw:
        # Positions cannot be matched to the text: reflow from the text alone.
        return [PdfLine(ln.strip()) for ln in raw.splitlines() if ln.strip()]
    lines: list[PdfLine] = []
    current = ""
    where: tuple[float, float, float] | None = None
    for text, x, y, size in fragments:
        parts = text.replace("\x00", "").split("\n")
        for i, part in enumerate(parts):
            if i > 0:
                if current.strip():
                    lines.append(PdfLine(current.strip(), *(where or (None, None, None))))
                current, where = "", None
            if part.strip() and where is None:
                where = (x, y, size)
            current += part
    if current.strip():
        lines.append(PdfLine(current.strip(), *(where or (None, None, None))))
    return _place_bullets(lines)


def _is_glyph_line(line: PdfLine) -> bool:
    return all(ch in _BULLET_GLYPHS or ch.isspace() for ch in line.text)


def _place_bullets(lines: list[PdfLine]) -> list[PdfLine]:
    """Lines that are only a bullet glyph are often extracted apart from their items (at the end
    of the page); put each back in front of the line printed beside it, or drop it."""
    glyphs = [ln for ln in lines if _is_glyph_line(ln)]
    out = [ln for ln in lines if not _is_glyph_line(ln)]
    for glyph in glyphs:
        if glyph.x is None or glyph.y is None:
            continue
        tolerance = (glyph.size or 10.0) * 0.5
        for i, ln in enumerate(out):
            if ln.y is not None and ln.x is not None and abs(ln.y - glyph.y) <= tolerance and ln.x > glyph.x and not ln.bullet:
                out[i] = replace(ln, bullet=True)
                break
    return out


def _is_cjk(ch: str) -> bool:
    if not ch:
        return False
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "FULLWIDTH", "IDEOGRAPHIC")) or "\u3000" <= ch <= "\u303f"


@dataclass(frozen=True)
class _Layout:
    body_size: float | None
    line_ratio: float | None  # usual baseline distance / font size inside a paragraph
    down: float  # +1 when y decreases down the page, -1 when it increases
    full: int  # characters on a full line
    words: frozenset[str]
    mixed_space: bool = True  # whether the text sets a space between Latin letters and Japanese


def _layout(pages: list[list[PdfLine]]) -> _Layout:
    lines = [ln for page in pages for ln in page]
    sizes: dict[float, int] = {}
    for ln in lines:
        if ln.size:
            sizes[round(ln.size, 1)] = sizes.get(round(ln.size, 1), 0) + len(ln.text)
    body = max(sizes, key=lambda s: sizes[s]) if sizes else None
    ratios: list[float] = []
    signs = 0
    for page in pages:
        for a, b in itertools.pairwise(page):
            if a.y is None or b.y is None or not a.size or body is None or abs(a.size - body) > 0.2:
                continue
            dy = a.y - b.y
            signs += 1 if dy > 0 else -1 if dy < 0 else 0
            if dy:
                ratios.append(abs(dy) / a.size)
    ratio = None
    if ratios:
        ratios.sort()
        ratio = ratios[len(ratios) // 5]  # the tight, in-paragraph spacing
    lengths = sorted(len(ln.text) for ln in lines if not body or not ln.size or abs(ln.size - body) <= 0.2)
    full = lengths[int(len(lengths) * 0.9)] if lengths else 80
    words: set[str] = set()
    for page in pages:
        for i, ln in enumerate(page):
            found = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*-?", ln.text)
            # Leave out the pieces of words hyphenated at a line end: they are what is to be decided.
            if found and found[-1].endswith("-"):
                found.pop()
            if found and i > 0 and page[i - 1].text.endswith("-"):
                found.pop(0)
            words.update(w.lower() for w in found)
    # Japanese typesetting differs on "Mozilla は" / "IPアドレス": a line break between the two
    # scripts is joined the way the document's own lines set them.
    spaced = sum(len(_MIXED_SPACED.findall(ln.text)) for ln in lines)
    tight = sum(len(_MIXED_TIGHT.findall(ln.text)) for ln in lines)
    return _Layout(body, ratio, 1.0 if signs >= 0 else -1.0, max(full, 20), frozenset(words), spaced >= tight)


_JA_LETTER = "\u3041-\u30ff\u4e00-\u9fff"
_MIXED_SPACED = re.compile(f"[A-Za-z0-9] [{_JA_LETTER}]|[{_JA_LETTER}] [A-Za-z0-9]")
_MIXED_TIGHT = re.compile(f"[A-Za-z0-9][{_JA_LETTER}]|[{_JA_LETTER}][A-Za-z0-9]")


def _heading_size(line: PdfLine, layout: _Layout) -> bool:
    return bool(line.size and layout.body_size and line.size > layout.body_size * 1.08)


def _looks_like_title(text: str) -> bool:
    return len(text) <= 90 and not text.endswith(_TERMINAL) and (text[0].isupper() or text[0].isdigit() or _is_cjk(text[0]))


def _separator(prev: PdfLine, cur: PdfLine, layout: _Layout) -> str:
    """What goes between two printed lines of one page: "" or " " (same paragraph), "\\n" or "\\n\\n"."""
    if cur.bullet or _LIST_START.match(cur.text):
        return "\n"
    short = len(prev.text) < 0.6 * layout.full
    ends = prev.text.endswith(_TERMINAL)
    if _JA_LIST_START.match(cur.text) and (ends or len(prev.text) < 0.9 * layout.full):
        return "\n"  # a full line before it was broken mid-sentence, at "ログイン・ログアウト" say
    if prev.y is not None and cur.y is not None and prev.size and cur.size:
        dy = (prev.y - cur.y) * layout.down
        big_prev, big_cur = _heading_size(prev, layout), _heading_size(cur, layout)
        ratio = layout.line_ratio or 1.2
        if abs(dy) < 0.2 * cur.size:
            return _join(prev.text, cur.text, layout)  # one printed line extracted as two
        gap = dy < 0 or dy / max(prev.size, cur.size) > ratio * 1.35
        if big_prev and big_cur and abs(prev.size - cur.size) < 0.5 and not gap:
            return _join(prev.text, cur.text, layout)  # a heading printed over two lines
        if gap:
            return "\n\n"
        if big_prev or big_cur:
            return "\n"
        if ends and cur.x is not None and prev.x is not None and abs(cur.x - prev.x) > cur.size * 0.5:
            return "\n"  # the next line is indented differently: a new item or paragraph
    starts = cur.text[:1].isupper() or cur.text[:1].isdigit() or _is_cjk(cur.text[:1])
    if short and (ends or (_looks_like_title(prev.text) and starts)):
        return "\n"  # a short line ends its paragraph (or is a heading)
    return _join(prev.text, cur.text, layout)


def _join(left: str, right: str, layout: _Layout) -> str:
    """The text that joins two lines of one paragraph: a space, or nothing."""
    a, b = left[-1:], right[:1]
    if (_is_cjk(a) and _is_cjk(b)) or _is_cjk_punctuation(a) or _is_cjk_punctuation(b):
        return ""  # Japanese sets no spaces between words or around its punctuation
    if (_is_cjk(a) or _is_cjk(b)) and not layout.mixed_space:
        return ""
    return " "


def _is_cjk_punctuation(ch: str) -> bool:
    return bool(ch) and ("\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uff0f" or "\uff1a" <= ch <= "\uff20")


def _dehyphenate(left: str, right: str, layout: _Layout) -> tuple[str, str] | None:
    """("approxi-", "mate ...") -> ("approxi", "mate ..."): the hyphen was only a line-end break."""
    m = re.search(r"([^\W\d_]+)-$", left)
    n = re.match(r"[^\W\d_]+", right)
    if not m or not n or not m.group(1)[-1].islower() or not n.group(0)[0].islower():
        return None
    head, tail = m.group(1).lower(), n.group(0).lower()
    if f"{head}-{tail}" in layout.words or (head in layout.words and tail in layout.words and f"{head}{tail}" not in layout.words):
        return left, right  # a compound that keeps its hyphen ("cloud-computing")
    return left[:-1], right


def reflow_lines(lines: list[PdfLine], layout: _Layout) -> str:
    """One page's lines as reflowed text."""
    out: list[str] = []
    for i, line in enumerate(lines):
        text = ("\u2022 " if line.bullet else "") + line.text
        if i == 0:
            out.append(text)
            continue
        sep = _separator(lines[i - 1], line, layout)
        if sep in (" ", ""):
            joined = _dehyphenate(out[-1], text, layout)
            if joined is not None:
                out[-1], text, sep = joined[0], joined[1], ""
        out.append(sep + text)
    return "".join(out)


def _runs_on(last: PdfLine, first: PdfLine, layout: _Layout) -> bool:
    """Whether the first line of a page continues the sentence the previous page ended in."""
    if last.text.endswith(_TERMINAL) or first.bullet or _heading_size(first, layout) or _heading_size(last, layout):
        return False
    return first.text[:1].islower() or (_is_cjk(last.text[-1:]) and _is_cjk(first.text[:1]))


def reflow_pages(pages: list[list[PdfLine]]) -> tuple[str, tuple[PageSpan, ...]]:
    """The document text of a PDF from its pages' lines, with where each page lies in it."""
    layout = _layout(pages)
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    last: PdfLine | None = None
    for number, lines in enumerate(pages, start=1):
        page_text = reflow_lines(lines, layout)
        if parts:
            # A sentence that runs on to the next page is joined; otherwise pages are kept apart
            # by a blank line so clauses do not run across them.
            first = lines[0] if lines else None
            sep = "\n\n"
            if last is not None and first is not None and page_text and _runs_on(last, first, layout):
                sep = _join(last.text, first.text, layout)
            if sep != "\n\n" and parts:
                joined = _dehyphenate(parts[-1], page_text, layout)
                if joined is not None:
                    # The hyphen ends the previous page; drop it there and keep the page's span.
                    cut = len(parts[-1]) - len(joined[0])
                    parts[-1], page_text, sep = joined[0], joined[1], ""
                    spans[-1] = replace(spans[-1], end=spans[-1].end - cut)
                    offset -= cut
            parts.append(sep)
            offset += len(sep)
        spans.append(PageSpan(page=number, start=offset, end=offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text)
        if lines:
            last = lines[-1]
    return "".join(parts), tuple(spans)


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
        files: list[str] = list(company.files or _guess_files(corpus_dir, company.id))
        stated = dict(company.file_languages)
        base = Counter(doc_id_for(company.id, name) for name in files)
        for name in files:
            doc_id = doc_id_for(company.id, name)
            try:
                doc = load_document(corpus_dir / name, company.id, doc_id, stated.get(name))
                if name in stated or base[doc_id] > 1:
                    doc = replace(doc, doc_id=f"{doc_id}@{doc.language}")
                if any(d.doc_id == doc.doc_id for d in documents):
                    # Two files of one company, one language and one stem: a citation could not say which.
                    raise CorpusError(str(corpus_dir / name), f"document id {doc.doc_id!r} is taken by another file: rename one")
            except CorpusError as exc:
                if strict:
                    raise
                log.warning("skipping %s", exc)
                problems.append(exc)
                continue
            documents.append(doc)
    return Corpus(tuple(companies), tuple(documents), tuple(problems))


def _guess_files(corpus_dir: Path, company_id: str) -> list[str]:
    return [f"{company_id}{s}" for s in SUPPORTED_SUFFIXES if (corpus_dir / f"{company_id}{s}").is_file()]


def corpus_fingerprint(corpus_dir: Path, companies: Iterable[Company]) -> dict[str, str]:
    """File name -> SHA-256 for the metadata file and every listed policy file."""
    names = [METADATA_FILE]
    for company in companies:
        names.extend(company.files or _guess_files(corpus_dir, company.id))
    return {name: file_hash(corpus_dir / name) for name in names if (corpus_dir / name).is_file()}
