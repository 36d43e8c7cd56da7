"""The corpus loader (`assistant/ingest/corpus.py`): metadata, .txt/.md/.pdf files and their failures."""

from __future__ import annotations

import hashlib
import itertools
import re
import shutil
from pathlib import Path

import pytest

from assistant.domain import Document, PageSpan
from assistant.errors import CorpusError
from assistant.ingest.corpus import (
    Corpus,
    PdfLine,
    content_version,
    corpus_fingerprint,
    doc_id_for,
    load_companies,
    load_corpus,
    load_document,
    reflow_pages,
)
from tests.ingest.fonts import japanese_font

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "corpus"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTED_IDS = ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]


# -- the project's corpus ---------------------------------------------------------------------------


def test_corpus_files_are_byte_identical_to_the_shared_sources() -> None:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} not present")
    ours = sorted(p.name for p in CORPUS_DIR.glob("*.txt"))
    theirs = sorted(p.name for p in SHARED_CORPUS.glob("*.txt"))
    assert ours == theirs
    for name in ours:
        assert (CORPUS_DIR / name).read_bytes() == (SHARED_CORPUS / name).read_bytes(), name


def test_loaded_text_is_the_file_byte_for_byte() -> None:
    corpus = load_corpus(CORPUS_DIR, strict=True)
    assert corpus.problems == ()
    assert len(corpus.documents) == 5
    for doc in corpus.documents:
        raw = Path(doc.path).read_bytes()
        assert doc.text.encode("utf-8") == raw, doc.doc_id
        assert doc.version == content_version(doc.text)
        assert doc.pages == () and doc.page_at(0) is None
        assert doc.title and doc.title in doc.text


def _readme_ids() -> list[str]:
    """The ids in the first column of the shared corpus README's table."""
    readme = SHARED_CORPUS / "README.md"
    if not readme.is_file():
        return EXPECTED_IDS
    cells = re.findall(r"^\|\s*([^|]+?)\s*\|", readme.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return [c for c in cells if c != "id" and not set(c) <= {"-", ":"}]


def test_companies_toml_has_the_five_readme_ids() -> None:
    assert sorted(_readme_ids()) == sorted(EXPECTED_IDS)
    companies = load_companies(CORPUS_DIR)
    assert [c.id for c in companies] == EXPECTED_IDS
    for company in companies:
        assert company.files == (f"{company.id}.txt",)
        assert company.name and company.short_name and company.desk_name
    highreso = next(c for c in companies if c.id == "highreso")
    assert highreso.desk_email == "privacy@highreso.co.jp"
    assert highreso.short_name_in("ja") == "ハイレゾ" and highreso.short_name_in("en") == "Highreso"


def test_a_company_without_a_japanese_short_name_writes_its_short_name(tmp_path: Path) -> None:
    (tmp_path / "companies.toml").write_text('[[company]]\nid = "acme"\nname = "Acme Ltd."\nshort_name = "Acme"\nfiles = []\n')
    (company,) = load_companies(tmp_path)
    assert company.short_name_in("ja") == "Acme" and company.short_names == {}
    assert company.desk_channels_note_in("ja") is None


def test_our_desk_note_is_written_in_the_replys_language() -> None:
    upward = next(c for c in load_companies(CORPUS_DIR) if c.id == "upward")
    assert upward.desk_channels_note_in("en") == upward.desk_channels_note and "post" in (upward.desk_channels_note or "")
    assert upward.desk_channels_note_in("ja") == "郵送のみ。電話での請求は受け付けていません"


def test_fingerprint_hashes_every_listed_file() -> None:
    companies = load_companies(CORPUS_DIR)
    fingerprint = corpus_fingerprint(CORPUS_DIR, companies)
    assert set(fingerprint) == {"companies.toml", *(f"{i}.txt" for i in EXPECTED_IDS)}
    for name, digest in fingerprint.items():
        assert digest == hashlib.sha256((CORPUS_DIR / name).read_bytes()).hexdigest()


def test_doc_ids() -> None:
    assert doc_id_for("upward", "upward.txt") == "upward"
    assert doc_id_for("upward", "cookies.md") == "upward/cookies"


# -- helpers to write a small corpus -----------------------------------------------------------------

POLICY = (
    "Privacy Policy\n"
    "1. Purpose of Use\n"
    "We use personal information to provide and improve our services.\n"
    "2. Contact\n"
    "Write to the Personal Information Desk by post.\n"
)


def _toml(entries: list[tuple[str, list[str]]]) -> str:
    out = []
    for cid, files in entries:
        names = ", ".join(f'"{f}"' for f in files)
        out.append(f'[[company]]\nid = "{cid}"\nname = "{cid.title()} Inc."\nfiles = [{names}]\n')
    return "\n".join(out)


def _reason(exc: pytest.ExceptionInfo[CorpusError], path: Path) -> str:
    """The message must name the file; returns the reason, lower-cased."""
    assert exc.value.path == str(path)
    assert path.name in str(exc.value)
    assert exc.value.reason and exc.value.reason in str(exc.value)
    return exc.value.reason.lower()


# -- text files -----------------------------------------------------------------------------------


def test_markdown_loads(tmp_path: Path) -> None:
    text = "# Cookie Policy\r\n\r\n1. Cookies\r\nWe use cookies to remember your settings.\r\n"
    path = tmp_path / "cookies.md"
    path.write_bytes(text.encode("utf-8"))
    doc = load_document(path, "acme", "acme/cookies")
    assert doc.text == text  # \r\n kept: offsets match the file
    assert doc.title == "Cookie Policy"  # the title is shown to people: no markdown
    assert doc.format == "markdown"
    assert (doc.doc_id, doc.company, doc.path) == ("acme/cookies", "acme", str(path))


def test_markdown_is_found_without_files_list(tmp_path: Path) -> None:
    (tmp_path / "companies.toml").write_text('[[company]]\nid = "acme"\nname = "Acme"\n', encoding="utf-8")
    (tmp_path / "acme.md").write_text(POLICY, encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["acme"]
    assert corpus.documents[0].text == POLICY


@pytest.mark.parametrize(
    ("name", "content", "reason_words"),
    [
        ("empty.txt", b"", ("empty",)),
        ("blank.txt", b" \n\t\r\n  \n", ("empty",)),
        ("sjis.txt", "個人情報保護方針\n第1条 利用目的\n".encode("cp932"), ("utf-8",)),
        ("bom.txt", "\ufeff1. Purpose\nWe use data.\n".encode(), ("byte-order mark",)),
        ("nul.txt", b"1. Purpose\x00\nWe use data.\n", ("nul",)),
        ("policy.docx", b"PK\x03\x04 not really a word file", ("unsupported", ".docx")),
        ("policy.html", b"<html><body>Privacy</body></html>", ("unsupported", ".html")),
    ],
)
def test_bad_text_files_raise_named_corpus_errors(tmp_path: Path, name: str, content: bytes, reason_words: tuple[str, ...]) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    reason = _reason(exc, path)
    for word in reason_words:
        assert word in reason, reason


def test_non_utf8_reason_gives_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "sjis.txt"
    path.write_bytes(b"Privacy policy\n" + "個人情報".encode("cp932"))
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    assert "at byte 15" in _reason(exc, path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    assert "not found" in _reason(exc, path)


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    path = tmp_path / "folder.txt"
    path.mkdir()
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    assert "not found" in _reason(exc, path)


# -- PDF ------------------------------------------------------------------------------------------

PDF_PAGES = [
    ["1. Purpose of Use", "We use personal information to provide our services.", "We keep it only as long as needed."],
    [
        "2. Disclosure",
        "You may request disclosure of retained personal data.",
        "A fee of 1,000 yen applies per request.",
    ],
    ["3. Contact", "Write to the Personal Information Desk by post."],
]
JAPANESE_LINE = "個人情報の利用目的について"


def _write_pdf(path: Path, pages: list[list[str]], font: Path | None = None) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    if font is not None:
        pdf.add_font("cjk", fname=str(font))
        pdf.set_font("cjk", size=11)
    else:
        pdf.set_font("helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


@pytest.fixture(scope="module")
def pdf_pages() -> tuple[list[list[str]], Path | None]:
    font = japanese_font()
    pages = [list(p) for p in PDF_PAGES]
    if font is not None:
        pages[0].append(JAPANESE_LINE)
    return pages, font


def test_pdf_loads_with_page_spans(tmp_path: Path, pdf_pages: tuple[list[list[str]], Path | None]) -> None:
    pages, font = pdf_pages
    path = tmp_path / "policy.pdf"
    _write_pdf(path, pages, font)
    doc = load_document(path, "acme", "acme")
    assert [p.page for p in doc.pages] == [1, 2, 3]
    for earlier, later in zip(doc.pages, doc.pages[1:], strict=False):
        assert earlier.end <= later.start
    assert doc.pages[-1].end <= len(doc.text)
    for number, lines in enumerate(pages, start=1):
        for line in lines:
            at = doc.text.find(line)
            assert at >= 0, f"{line!r} not extracted"
            assert doc.page_at(at) == number, line
            assert doc.page_at(at + len(line) - 1) == number, line
    assert doc.title == "1. Purpose of Use"


def test_pdf_clauses_never_cross_pages(tmp_path: Path) -> None:
    from assistant.ingest.chunking import split_into_clauses

    path = tmp_path / "policy.pdf"
    _write_pdf(path, PDF_PAGES)
    doc = load_document(path, "acme", "acme")
    chunks = split_into_clauses(doc)
    assert chunks
    for chunk in chunks:
        for span in chunk.spans:
            assert doc.page_at(span.start) == doc.page_at(span.end - 1), doc.text[span.start : span.end]
    fee = next(s for c in chunks for s in c.spans if "1,000 yen" in doc.text[s.start : s.end])
    assert doc.page_at(fee.start) == 2


# -- PDF reflow -------------------------------------------------------------------------------------

MOZILLA = next(
    (p / "dev-corpus" / "mozilla" for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()),
    ROOT / "missing",
)
WRAPPED = (
    "We use the IP address in order to approximate your location because the availability, pricing "
    "and offers of our services may depend on the country you are in."
)


def _write_wrapped_pdf(path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 8, "1. Location data", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(90, 6, WRAPPED, new_x="LMARGIN", new_y="NEXT")  # wrapped by the PDF writer
    pdf.multi_cell(0, 8, "2. Retention", new_x="LMARGIN", new_y="NEXT")
    # A word hyphenated at the end of a printed line, then a new paragraph.
    pdf.multi_cell(
        0,
        6,
        "Server logs are kept for ninety days and are then deleted to mini-\nmise what we hold about you.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(0, 6, "Backups are encrypted.", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def test_pdf_sentence_broken_across_lines_is_kept_whole(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from assistant.ingest.chunking import split_into_clauses

    path = tmp_path / "wrapped.pdf"
    _write_wrapped_pdf(path)
    extracted = PdfReader(str(path)).pages[0].extract_text()
    assert WRAPPED not in extracted and "mini-\nmise" in extracted  # the raw extraction has hard breaks
    doc = load_document(path, "acme", "acme")
    assert doc.format == "pdf"
    assert WRAPPED in doc.text
    assert "to minimise what we hold about you." in doc.text
    spans = [s for c in split_into_clauses(doc) for s in c.spans]
    for sentence in (WRAPPED, "Server logs are kept for ninety days and are then deleted to minimise what we hold about you."):
        _assert_kept_whole(doc, spans, sentence)
    assert "\nBackups are encrypted." in doc.text  # the next paragraph stays apart
    wrapped = next(s for s in spans if doc.text[s.start : s.end].startswith(WRAPPED))
    assert wrapped.section == "1. Location data"
    assert doc.page_at(wrapped.start) == 1


def _assert_kept_whole(doc: Document, spans: list, sentence: str) -> None:  # type: ignore[type-arg]
    """Some span holds the sentence, and no span starts or ends inside it."""
    at = doc.text.index(sentence)
    end = at + len(sentence)
    assert any(s.start <= at and end <= s.end for s in spans), sentence
    for s in spans:
        assert not (at < s.start < end or at < s.end < end), (sentence, doc.text[s.start : s.end])


def _line(text: str, y: float) -> PdfLine:
    return PdfLine(text, x=60.0, y=y, size=12.0)


def test_japanese_pdf_lines_join_without_a_space() -> None:
    lines = [
        _line("Mozilla は Mullvad と提携し、インターネットトラフィックを安全に暗", 700),
        _line("号化します。Mozilla は、IP アドレスを 90 日間保存し、", 686),
        _line("Cookie を使用します。This sentence is English and goes on", 672),
        _line("to the next line.", 658),
    ]
    text, spans = reflow_pages([lines])
    assert "安全に暗号化します。" in text  # a line break inside a word closes up
    assert "保存し、Cookie を" in text  # no space after Japanese punctuation either
    assert "goes on to the next line." in text  # Latin lines still join with a space
    assert spans == (PageSpan(1, 0, len(text)),)


def test_pdf_line_end_hyphens_close_up_unless_the_document_writes_the_compound() -> None:
    lines = [
        _line("We use the IP address in order to approxi-", 700),
        _line("mate your location, and write to you by e-", 686),
        _line("mail. Your e-mail address is kept for a short time after the", 672),
        _line("opt-out.", 658),
    ]
    text, _ = reflow_pages([lines])
    assert "in order to approximate your location, and write to you by e-mail. Your e-mail address" in text


def test_pdf_reflow_keeps_headings_list_items_and_paragraph_gaps_apart() -> None:
    page1 = [
        PdfLine("Things You Should Know", x=60, y=760, size=18),
        _line("Payment information. When you subscribe to services that require a paid", 730),
        _line("subscription, you pay through a payment provider. We use:", 716),
        PdfLine("Stripe, which processes the payment on our behalf and keeps", x=90, y=690, size=12, bullet=True),
        PdfLine("the card details.", x=90, y=676, size=12),
        _line("A new paragraph after a gap starts on its own line, and it runs", 650),
        _line("on to the next page without a full stop at the end of the", 636),
    ]
    page2 = [_line("page, where it ends.", 780), _line("Another paragraph.", 754)]
    text, spans = reflow_pages([page1, page2])
    lines = text.split("\n")
    assert "Things You Should Know" in lines
    assert (
        "Payment information. When you subscribe to services that require a paid subscription, you pay through a payment provider. We use:"
        in lines
    )
    assert "\u2022 Stripe, which processes the payment on our behalf and keeps the card details." in lines
    assert "end of the page, where it ends." in text  # a sentence carried over a page break
    assert "Another paragraph." in lines
    assert [s.page for s in spans] == [1, 2]
    assert spans[0].end <= spans[1].start
    assert text[spans[1].start :].startswith("page, where")


@pytest.fixture(scope="module")
def mozilla_pdf() -> Document:
    path = MOZILLA / "en" / "subscription_services_privacy_notice.pdf"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return load_document(path, "mozilla-subscriptions", "mozilla-subscriptions")


def test_mozilla_pdf_spans_end_at_sentence_ends_not_at_line_breaks(mozilla_pdf: Document) -> None:
    from assistant.ingest.chunking import split_into_clauses

    doc = mozilla_pdf
    spans = [s for c in split_into_clauses(doc) for s in c.spans]
    assert len(spans) > 60
    for span in spans:
        body = doc.text[span.start : span.end]
        if doc.text[span.end : span.end + 1] in ("\n", ""):
            # A clause that ends at a line end ends a sentence, or is a heading or date line.
            assert body.endswith((".", ":", ";", ")", "”")) or (len(body) <= 60 and not body[:1].islower()), body
    _assert_kept_whole(
        doc,
        spans,
        "we use the IP address in order to approximate your location because Mozilla Subscription Services "
        "availability, pricing and offers may depend on your country.",
    )
    # Carried over the page break between pages 1 and 2, cited from page 1.
    over = "For a full review of our telemetry, you can learn more in VPN interaction data."
    _assert_kept_whole(doc, spans, over)
    at = doc.text.index(over)
    assert doc.page_at(at) == 1 and doc.page_at(at + len(over) - 1) == 2
    bullet = next(s for s in spans if doc.text[s.start : s.end].startswith("HaveIbeenpwned."))
    assert doc.text[bullet.lead_start : bullet.lead_end].endswith("We use:")


def test_mozilla_japanese_pdf_joins_words_broken_across_lines() -> None:
    path = MOZILLA / "ja" / "subscription_services_privacy_notice.pdf"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    doc = load_document(path, "mozilla-subscriptions", "mozilla-subscriptions")
    assert doc.title == "Mozilla サブスクリプションサービス | プライバシーに関する通知"
    assert "インターネットトラフィックをプライベートに、かつ安全に暗号化します。" in doc.text
    from pypdf import PdfReader

    cjk = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    joins = 0
    for page in PdfReader(str(path)).pages:
        lines = [ln.strip() for ln in page.extract_text().splitlines() if ln.strip()]
        for a, b in itertools.pairwise(lines):
            if len(a) >= 30 and cjk.match(a[-1]) and cjk.match(b[0]):  # a full line, inside a paragraph
                assert a[-6:] + b[:6] in doc.text, (a, b)  # closed up, no space
                joins += 1
    assert joins > 30


def _pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.compress = False
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 8, "1. Purpose\nWe use data to serve you.")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda b: b[: len(b) // 3], id="truncated-third"),
        pytest.param(lambda b: b[:-40], id="truncated-tail"),
        pytest.param(lambda b: b"%PDF-1.4\n" + bytes(range(256)) * 8, id="garbage-after-header"),
        pytest.param(lambda b: b"this is not a pdf at all\n" * 30, id="not-a-pdf"),
        pytest.param(lambda b: b"", id="empty"),
    ],
)
def test_broken_pdf(tmp_path: Path, mangle) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "broken.pdf"
    path.write_bytes(mangle(_pdf_bytes()))
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    reason = _reason(exc, path)
    assert "pdf" in reason and ("unreadable" in reason or "no extractable text" in reason), reason


@pytest.mark.parametrize("corruption", ["self-referencing-length", "unknown-filter"])
def test_corrupt_pdf_objects_raise_corpus_error(tmp_path: Path, corruption: str) -> None:
    path = tmp_path / "corrupt.pdf"
    if corruption == "unknown-filter":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.set_font("helvetica", size=11)
        pdf.add_page()
        pdf.multi_cell(0, 8, "1. Purpose\nWe use data to serve you.")
        data = bytes(pdf.output())
        assert b"/FlateDecode" in data
        path.write_bytes(data.replace(b"/FlateDecode", b"/FlateDxcode"))  # same length: xref stays valid
    else:
        # The content stream's /Length points at the stream object itself.
        data, count = re.subn(rb"(\d+) 0 obj\s*<<\s*/Length \d+", rb"\1 0 obj\n<<\n/Length \1 0 R", _pdf_bytes(), count=1)
        assert count == 1
        path.write_bytes(data)
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    assert "pdf" in _reason(exc, path)


def test_load_corpus_collects_a_corrupt_pdf_and_keeps_the_rest(tmp_path: Path) -> None:
    data = _pdf_bytes()
    (tmp_path / "beta.pdf").write_bytes(re.sub(rb"(\d+) 0 obj\s*<<\s*/Length \d+", rb"\1 0 obj\n<<\n/Length \1 0 R", data, count=1))
    (tmp_path / "acme.txt").write_text(POLICY, encoding="utf-8")
    (tmp_path / "companies.toml").write_text(_toml([("acme", ["acme.txt"]), ("beta", ["beta.pdf"])]), encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["acme"]
    assert [p.path for p in corpus.problems] == [str(tmp_path / "beta.pdf")]


def test_encrypted_pdf(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 8, "1. Purpose\nWe use data to serve you.")
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    path = tmp_path / "locked.pdf"
    pdf.output(str(path))
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    assert "encrypted" in _reason(exc, path)


def test_image_only_pdf(tmp_path: Path) -> None:
    from fpdf import FPDF
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (200, 100), "white").save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=100)
    pdf.rect(10, 120, 50, 50)
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(CorpusError) as exc:
        load_document(path, "acme", "acme")
    assert "no extractable text" in _reason(exc, path)


# -- metadata --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "reason_word"),
    [
        (_toml([("acme", ["acme.txt"]), ("beta", ["beta.txt"]), ("acme", ["other.txt"])]), "twice"),
        ("# no companies here\ntitle = 'x'\n", "no [[company]]"),
        ("", "no [[company]]"),
        ("[[company]\nid = 'x'", "toml"),
        ('[[company]]\nid = "acme"\n', "bad company entry"),
        ('[[company]]\nid = "acme"\nname = "Acme"\ndue_days = "soon"\n', "bad company entry"),
    ],
)
def test_bad_companies_toml(tmp_path: Path, toml: str, reason_word: str) -> None:
    path = tmp_path / "companies.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(CorpusError) as exc:
        load_companies(tmp_path)
    assert reason_word.lower() in _reason(exc, path)


def test_missing_companies_toml(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as exc:
        load_corpus(tmp_path)
    assert "missing" in _reason(exc, tmp_path / "companies.toml")


# -- a corpus with one bad file ----------------------------------------------------------------------


@pytest.fixture
def mixed_corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for cid in EXPECTED_IDS:
        shutil.copy(CORPUS_DIR / f"{cid}.txt", folder / f"{cid}.txt")
    (folder / "upward.txt").write_bytes("個人情報保護方針\n".encode("cp932"))  # not UTF-8
    (folder / "highreso-cookies.md").write_text(POLICY, encoding="utf-8")
    entries = [(cid, [f"{cid}.txt"]) for cid in EXPECTED_IDS]
    entries[0] = ("highreso", ["highreso.txt", "highreso-cookies.md"])
    (folder / "companies.toml").write_text(_toml(entries), encoding="utf-8")
    return folder


def test_one_bad_file_is_collected_and_the_rest_load(mixed_corpus_dir: Path) -> None:
    corpus = load_corpus(mixed_corpus_dir)
    assert len(corpus.problems) == 1
    problem = corpus.problems[0]
    assert problem.path == str(mixed_corpus_dir / "upward.txt")
    assert "utf-8" in problem.reason.lower()
    assert [d.doc_id for d in corpus.documents] == [
        "highreso",
        "highreso/highreso-cookies",
        "sb-cs",
        "gmo-ai-robotics",
        "win-techno",
    ]
    assert corpus.documents_of("upward") == []
    assert corpus.company("upward") is not None  # the company stays known; only its file is skipped
    with pytest.raises(CorpusError) as exc:
        load_corpus(mixed_corpus_dir, strict=True)
    assert exc.value.path == str(mixed_corpus_dir / "upward.txt")


def test_index_over_a_corpus_with_one_bad_file_indexes_the_good_ones(mixed_corpus_dir: Path, tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.index.builds import build_index, load_index

    corpus: Corpus = load_corpus(mixed_corpus_dir)
    manifest = build_index(corpus, mixed_corpus_dir, tmp_path / "index", hash_embedder, progress=False)
    index = load_index(tmp_path / "index")
    good = {"highreso", "sb-cs", "gmo-ai-robotics", "win-techno"}
    assert set(index.chunk_ranges) == good
    assert {c.company for c in index.chunks} == good
    assert set(index.documents) == {"highreso", "highreso/highreso-cookies", "sb-cs", "gmo-ai-robotics", "win-techno"}
    assert manifest.chunk_count == len(index.chunks) > 0
    assert any(c.doc_id == "highreso/highreso-cookies" for c in index.chunks)
    for chunk in index.chunks:
        assert chunk.text == index.documents[chunk.doc_id].text[chunk.start : chunk.end]
