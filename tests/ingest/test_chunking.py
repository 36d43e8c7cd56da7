"""Clause chunking (`assistant/ingest/chunking.py`): exact offsets, windows, section paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.domain import Chunk, Document, Span
from assistant.ingest.chunking import Block, split_into_blocks, split_into_clauses
from assistant.ingest.corpus import Corpus, load_corpus

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    loaded = load_corpus(CORPUS_DIR, strict=True)
    assert len(loaded.documents) == 5
    return loaded


def _doc(text: str, doc_id: str = "synthetic") -> Document:
    return Document(doc_id=doc_id, company="acme", title="t", path="p", text=text, version="v")


def _document(corpus: Corpus, company: str) -> Document:
    return next(d for d in corpus.documents if d.company == company)


def _spans(doc: Document, **kwargs: object) -> list[tuple[Chunk, Span]]:
    """The sentence and item units (passages of one unit each: the structure under test)."""
    kwargs.setdefault("passage_chars", 0)
    return [(c, s) for c in split_into_clauses(doc, **kwargs) for s in c.spans]  # type: ignore[arg-type]


def _span_containing(doc: Document, needle: str) -> Span:
    at = doc.text.index(needle)
    for _, span in _spans(doc):
        if span.start <= at and at + len(needle) <= span.end:
            return span
    raise AssertionError(f"no span holds {needle!r}")


def _assert_offsets(doc: Document, chunks: list[Chunk]) -> None:
    text = doc.text
    previous_end = 0
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.doc_id == doc.doc_id and chunk.company == doc.company
        assert chunk.start >= previous_end, "chunks overlap or are out of order"
        assert chunk.start < chunk.end
        previous_end = chunk.end
        assert chunk.spans, "a chunk without spans cannot be cited"
        assert chunk.spans[0].start == chunk.start and chunk.spans[-1].end == chunk.end
        # Passages overlap (each starts at its own sentence and runs on), so starts only increase.
        span_start = chunk.start - 1
        for span in chunk.spans:
            assert chunk.start <= span.start < span.end <= chunk.end
            assert span.start > span_start, "passages out of order or starting twice"
            span_start = span.start
            body = text[span.start : span.end]
            assert body.strip(), f"empty span {span}"
            assert body == body.strip(), f"span with surrounding whitespace: {body!r}"


# -- every corpus document ---------------------------------------------------------------------


@pytest.mark.parametrize("max_len", [600, 200, 80])
def test_corpus_offsets_reproduce_the_text(corpus: Corpus, max_len: int) -> None:
    for doc in corpus.documents:
        chunks = split_into_clauses(doc, max_len=max_len)
        assert len(chunks) >= 5, doc.doc_id
        _assert_offsets(doc, chunks)


def test_corpus_chunk_ids_are_unique_and_stable(corpus: Corpus) -> None:
    for doc in corpus.documents:
        first = [c.id for c in split_into_clauses(doc)]
        second = [c.id for c in split_into_clauses(_doc(doc.text, doc.doc_id))]
        assert first == second
        assert len(set(first)) == len(first)


def test_chunk_ids_change_exactly_where_the_text_changes(corpus: Corpus) -> None:
    doc = _document(corpus, "upward")
    assert doc.text.count("1,000 yen") == 1
    edited = Document(doc.doc_id, doc.company, doc.title, doc.path, doc.text.replace("1,000 yen", "2,000 yen"), "v2")
    before, after = split_into_clauses(doc), split_into_clauses(edited)
    assert [(c.start, c.end) for c in before] == [(c.start, c.end) for c in after]  # same-length edit
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b.id != a.id]
    assert len(changed) == 1
    old, new = changed[0]
    assert "1,000 yen" in old.text and "2,000 yen" in new.text
    # Another document id gives other ids even for the same text.
    other = split_into_clauses(_doc(doc.text, "upward/copy"))
    assert not {c.id for c in other} & {c.id for c in before}


@pytest.mark.parametrize("max_len", [600, 300, 120])
def test_window_with_len_measure(corpus: Corpus, max_len: int) -> None:
    for doc in corpus.documents:
        for chunk in split_into_clauses(doc, max_len=max_len, measure=len):
            # embed_text is "section\ntext": only the heading may push it over the limit.
            overshoot = len(chunk.embed_text) - max_len
            heading = len(chunk.section) + 1 if chunk.section else 0
            assert overshoot <= heading, (doc.doc_id, chunk.section, len(chunk.text))
            assert len(chunk.text) <= max(40, max_len - len(chunk.section))


def test_smaller_window_gives_more_chunks(corpus: Corpus) -> None:
    doc = _document(corpus, "upward")
    assert len(split_into_clauses(doc, max_len=150)) > len(split_into_clauses(doc, max_len=600))


@pytest.mark.slow
def test_window_with_real_tokenizer(corpus: Corpus, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.index.builds import chunk_corpus

    max_tokens = real_embedder.max_tokens
    assert max_tokens == 256
    chunks = chunk_corpus(corpus, max_tokens, real_embedder.count_tokens)
    assert {c.company for c in chunks} == {c.id for c in corpus.companies}
    longest = max(real_embedder.count_tokens(c.embed_text) for c in chunks)
    over = [(c.id, real_embedder.count_tokens(c.embed_text)) for c in chunks if real_embedder.count_tokens(c.embed_text) > 256]
    assert not over, over
    assert longest > 100  # the window is used, not trivially small chunks


def test_corpus_lead_lines_precede_their_items(corpus: Corpus) -> None:
    for doc in corpus.documents:
        for _, span in _spans(doc):
            lead_start = getattr(span, "lead_start", -1)
            if lead_start < 0:
                continue
            lead_end = span.lead_end
            assert lead_start < lead_end <= span.start, (doc.doc_id, span)
            assert doc.text[lead_start:lead_end].strip()


# -- known clauses of the real policies ----------------------------------------------------------


def test_upward_fee_sentence_is_in_section_8(corpus: Corpus) -> None:
    doc = _document(corpus, "upward")
    span = _span_containing(doc, "a fee (1,000 yen per request)")
    assert span.section.startswith("8."), span.section


def test_upward_no_fee_item_is_in_section_8(corpus: Corpus) -> None:
    doc = _document(corpus, "upward")
    span = _span_containing(doc, "(4) In principle, we do not charge a fee")
    assert span.section.startswith("8."), span.section
    assert doc.text_of(span).startswith("(4) In principle, we do not charge a fee")


def test_upward_numbered_list_inside_section_8_stays_inside(corpus: Corpus) -> None:
    doc = _document(corpus, "upward")
    span = _span_containing(doc, "1. If there is a risk of infringing")
    assert span.section.startswith("8."), span.section
    tops = {c.section.split(" > ")[0] for c in split_into_clauses(doc) if c.section}
    assert not any(t.startswith("1. If there") or t.startswith("2. If there") for t in tops)


def test_sb_cs_contact_point_is_in_a_chunk(corpus: Corpus) -> None:
    doc = _document(corpus, "sb-cs")
    at = doc.text.index("Personal Information Inquiries")
    assert any(c.start <= at and at + len("Personal Information Inquiries") <= c.end for c in split_into_clauses(doc))


def _heading_lines_lost(doc: Document) -> list[str]:
    """Lines whose text is neither in a chunk nor in any section path."""
    chunks = split_into_clauses(doc)
    # Heading titles (item labels such as "1" or "A" are too short to count).
    names = {part for c in chunks for s in c.spans for part in s.section.split(" > ") if len(part) > 3}
    lost = []
    offset = 0
    for raw in doc.text.splitlines(keepends=True):
        line = raw.strip()
        if line and any(ch.isalnum() for ch in line):
            at = doc.text.index(line, offset)
            in_chunk = any(c.start < at + len(line) and at < c.end for c in chunks)
            if not in_chunk and not any(name in line for name in names):
                lost.append(line)
        offset += len(raw)
    return lost


@pytest.mark.parametrize(
    "company",
    ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"],
)
def test_no_line_of_the_policy_is_lost(corpus: Corpus, company: str) -> None:
    assert _heading_lines_lost(_document(corpus, company)) == []


# -- structure on synthetic texts ------------------------------------------------------------------


def _block_sections(text: str) -> dict[str, str]:
    """Clause text -> span section path."""
    doc = _doc(text)
    return {doc.text_of(s): s.section for _, s in _spans(doc)}


def test_paren_items_under_numbered_heading() -> None:
    text = (
        "1. Purpose of Use\nWe use data for these purposes.\n"
        "2. Disclosure Requests\nYou may ask us to disclose data.\n"
        "(1) Send the form by post.\n(2) Enclose a copy of your ID.\n"
        "3. Contact\nWrite to us.\n"
    )
    sections = _block_sections(text)
    first = sections["(1) Send the form by post."].split(" > ")
    assert first[0].startswith("2.") and "Disclosure Requests" in first[0]
    assert first[-1] == "1"
    assert sections["(2) Enclose a copy of your ID."].split(" > ")[-1] == "2"
    assert sections["Write to us."] == "3. Contact"
    # Headings are paths, not clauses.
    assert "2. Disclosure Requests" not in sections


def test_decimal_subsections_nest() -> None:
    text = (
        "1. Scope\nThis policy covers all services.\n"
        "2. Information We Collect\nWe collect the following.\n"
        "2.1 Information you give us\nName and address you type in.\n"
        "2.2 Information from devices\nDevice identifiers and logs.\n"
        "3. Security\nWe protect data.\n"
    )
    sections = _block_sections(text)
    assert sections["Name and address you type in."] == "2. Information We Collect > 2.1 Information you give us"
    assert sections["Device identifiers and logs."] == "2. Information We Collect > 2.2 Information from devices"
    assert sections["We protect data."] == "3. Security"


@pytest.mark.parametrize("glyph", ["・", "•", "-"])
def test_bullets_are_items_without_their_glyph(glyph: str) -> None:
    text = f"1. Purposes\nWe use data to:\n{glyph}provide services\n{glyph} answer inquiries\n2. Other\nText here.\n"
    sections = _block_sections(text)
    assert sections["provide services"] == "1. Purposes"
    assert sections["answer inquiries"] == "1. Purposes"
    assert not any(body.startswith(glyph) for body in sections)


def test_letter_subheadings_group_their_items() -> None:
    text = (
        "3. Purposes of Use\nMain purposes are listed below.\n"
        "A. Customers\n(1) To provide services\n(2) To collect fees\n"
        "B. Job Applicants\n(1) For recruitment\n"
        "4. Security\nWe protect data.\n"
    )
    sections = _block_sections(text)
    fees = sections["(2) To collect fees"].split(" > ")
    assert fees[0] == "3. Purposes of Use" and fees[1] == "A. Customers" and fees[-1] == "2"
    recruitment = sections["(1) For recruitment"].split(" > ")
    assert recruitment[1] == "B. Job Applicants" and "A. Customers" not in recruitment
    assert sections["We protect data."] == "4. Security"


def test_roman_items() -> None:
    text = (
        "1. Rights\nYou have these rights:\n"
        "i. Access to your data held by us\nii. Correction of wrong data\niii. Deletion of data\n"
        "2. Contact\nWrite to us.\n"
    )
    sections = _block_sections(text)
    for body, label in (
        ("i. Access to your data held by us", "i"),
        ("ii. Correction of wrong data", "ii"),
        ("iii. Deletion of data", "iii"),
    ):
        parts = sections[body].split(" > ")
        assert parts[0] == "1. Rights" and parts[-1] == label


def test_restarted_numbering_stays_inside_its_section() -> None:
    text = (
        "7. Security\nWe protect data.\n"
        "8. How to Request Disclosure\nWe respond after checking identity.\n"
        "1. If there is a risk of harm to a person\n2. If it would interfere with our business\n"
        "(4) In principle we charge no fee.\n"
        "9. Contact\nWrite to us.\n"
    )
    blocks = split_into_blocks(text)
    tops = {b.section.split(" > ")[0] for b in blocks}
    assert tops == {"7. Security", "8. How to Request Disclosure", "9. Contact"}
    sections = _block_sections(text)
    for body in (
        "1. If there is a risk of harm to a person",
        "2. If it would interfere with our business",
        "(4) In principle we charge no fee.",
    ):
        assert sections[body].startswith("8. How to Request Disclosure"), body
    assert sections["Write to us."] == "9. Contact"


def test_letter_subheading_under_paren_heading_keeps_its_items() -> None:
    text = (
        "8. How to Request\nWe respond after checking identity.\n"
        "(3) Documents to confirm identity\nSend a copy of your passport.\n"
        "A. Legal representative of a minor\nSend a family register.\n"
        "B. Proxy by power of attorney\n(1) A letter of attorney\n(2) A seal registration certificate\n"
        "9. Contact\nWrite to us.\n"
    )
    sections = _block_sections(text)
    assert "B. Proxy by power of attorney" in sections["(1) A letter of attorney"]


def test_crlf_and_tabs_keep_exact_offsets() -> None:
    text = "1. Scope\r\n\tThis policy covers all services.\r\n\r\n2. Contact\r\nWrite to us at the desk.\r\n"
    doc = _doc(text)
    chunks = split_into_clauses(doc)
    _assert_offsets(doc, chunks)
    bodies = [doc.text_of(s) for c in chunks for s in c.spans]
    assert bodies == ["This policy covers all services.", "Write to us at the desk."]


def test_split_long_sentences_have_no_trailing_whitespace() -> None:
    words = "alpha  beta  gamma  delta  epsilon  zeta  eta  theta  iota  kappa  lambda  mu  nu  xi  omicron "
    text = "1. Heading\n" + words * 4 + "end\n"
    doc = _doc(text)
    for _, span in _spans(doc, max_len=60):
        body = doc.text_of(span)
        assert body == body.strip(), repr(body)


@pytest.mark.parametrize("text", ["  1. \n", "Intro line.\n  3. \nMore text here.\n"])
def test_blocks_never_have_negative_length(text: str) -> None:
    for block in split_into_blocks(text):
        assert block.start < block.end, block


# -- property: random policy-like text -----------------------------------------------------------

_MARKERS = [
    "",
    "",
    "",
    "1. ",
    "2.",
    "12. ",
    "2.1 ",
    "3.1.2 ",
    "(1) ",
    "(2)",
    "1) ",
    "A. ",
    "b) ",
    "i. ",
    "iv. ",
    "<Note> ",
    "[Records] ",
    "・",
    "• ",
    "- ",
    "○ ",
    "  1. ",
    "  2. ・",
]
_WORDS = [
    "The",
    "Company",
    "personal",
    "information",
    "shall",
    "be",
    "used.",
    "etc.",
    "e.g.",
    "Ltd.",
    "No.",
    "fee",
    "(1,000",
    "yen)",
    "個人情報",
    "利用目的",
    "。",
    "😀",
    "🇯🇵",
    "\t",
    "  ",
    "Request",
    "Disclosure",
    "A.",
    "2.1",
    ":",
    "privacy@example.com",
    "“quoted.”",
    "x" * 70,
    "supercalifragilisticexpialidocious" * 3,
]
_LINE = st.builds(
    lambda lead, marker, words: lead + marker + " ".join(words),
    st.sampled_from(["", "", " ", "    ", "\t", "\u3000"]),
    st.sampled_from(_MARKERS),
    st.lists(st.sampled_from(_WORDS), max_size=30),
)
_EOL = st.sampled_from(["\n", "\n", "\r\n", "\n\n", "\r\n\r\n", "\n \n", "\n\t\n"])
_NO_WINDOW = 100_000
_TEXT = st.builds(lambda pairs: "".join(line + eol for line, eol in pairs), st.lists(st.tuples(_LINE, _EOL), max_size=30))


@settings(max_examples=200, deadline=None, database=None)
@given(text=_TEXT, max_len=st.one_of(st.just(_NO_WINDOW), st.integers(min_value=40, max_value=400)))
def test_property_chunking_never_breaks_offsets(text: str, max_len: int) -> None:
    doc = _doc(text)
    chunks = split_into_clauses(doc, max_len=max_len, passage_chars=0)
    blocks = split_into_blocks(text)
    for block in blocks:
        assert 0 <= block.start <= len(text) and 0 <= block.end <= len(text)
    previous_end = 0
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.start >= previous_end
        previous_end = chunk.end
        for span in chunk.spans:
            assert chunk.start <= span.start < span.end <= chunk.end <= len(text)
            body = text[span.start : span.end]
            assert body.strip() and body == body.lstrip()
            assert "\n" not in body and "\r" not in body
            assert len(body) <= max_len
            if max_len == _NO_WINDOW:
                assert body == body.strip()  # no window pressure: no cut inside whitespace


# -- passages: what an answer quotes ------------------------------------------------------------


def test_a_list_lead_comes_with_its_items() -> None:
    text = (
        "1. Purpose of Use\nWe use personal information for the following purposes:\n"
        "- To deliver the products you order.\n- To answer your questions.\n- To improve our services.\n"
        "2. Contact\nWrite to the privacy desk.\n"
    )
    doc = _doc(text)
    passages = [doc.text[s.start : s.end] for c in split_into_clauses(doc) for s in c.spans]
    lead = next(p for p in passages if p.startswith("We use personal information"))
    for item in ("To deliver the products", "To answer your questions", "To improve our services"):
        assert item in lead
    # An item quoted on its own still knows its lead, to be embedded and cited beside it.
    spans = [s for c in split_into_clauses(doc) for s in c.spans]
    item = next(s for s in spans if doc.text[s.start : s.end].startswith("To improve"))
    assert doc.text[item.lead_start : item.lead_end].startswith("We use personal information")


def test_a_heading_is_never_a_passage_on_its_own() -> None:
    text = "Privacy Policy\n1. Security\nWe encrypt personal data in transit and at rest.\n2. Contact\nWrite to us.\n"
    doc = _doc(text)
    passages = [doc.text[s.start : s.end] for c in split_into_clauses(doc) for s in c.spans]
    assert "1. Security" not in passages and "Security" not in passages
    assert any(p.startswith("We encrypt personal data") for p in passages)


def test_a_passage_does_not_stop_before_a_sentence_that_leans_on_it() -> None:
    first = "We will respond without delay to requests to " + ", ".join(["disclose, correct or delete the data"] * 9) + ". "
    text = "1. Requests\n" + first + "However, this does not apply where the law exempts us. Other matters are covered elsewhere.\n"
    doc = _doc(text)
    spans = [s for c in split_into_clauses(doc) for s in c.spans]
    opening = next(s for s in spans if doc.text[s.start : s.end].startswith("We will respond"))
    quoted = doc.text[opening.start : opening.end]
    assert quoted.endswith("exempts us.")  # past the 400-character budget: it needs the sentence before
    assert "Other matters" not in quoted  # a plain next sentence waits for the budget


def test_passages_keep_to_the_budget_and_start_at_a_unit(corpus: Corpus) -> None:
    for doc in corpus.documents:
        unit_end = {s.start: s.end for _, s in _spans(doc)}
        for chunk in split_into_clauses(doc):
            for span in chunk.spans:
                assert span.start in unit_end  # a passage never starts inside a sentence
                # Over the budget only when it is one long unit (a sentence is never cut), or
                # when it runs on into a sentence that leans on it, within half a budget more.
                assert span.end - span.start <= 400 or span.end == unit_end[span.start] or span.end - span.start <= 600


# -- markdown ----------------------------------------------------------------------------------

MOZILLA_EN = next(
    (
        p / "dev-corpus" / "mozilla" / "en"
        for p in (CORPUS_DIR.parent.parent / "shared", CORPUS_DIR.parent.parent.parent / "shared")
        if p.is_dir()
    ),
    CORPUS_DIR / "missing",
)

MARKDOWN = """---
title: ignored front matter
---
# Privacy Notice

Effective May 4, 2026
{: datetime="2026-05-04" }

## How we use data

### To provide the browser

We collect **technical data** to run [Firefox](https://example.com/firefox)
and to keep it secure.
<div class="note">
</div>

Cookie Policy
=============

We use cookies.

Choices
-------

**Your choices**

You can opt out in three ways:

- Settings: turn it off.
  - Desktop: in Preferences.
- Support: write to us.

| Data Type | Description |
|---|---|
| Location | We infer your location. |
| Contact data | Your email address. |

---

Nothing here changes your rights.
"""


def _md(text: str, doc_id: str = "acme/notice") -> Document:
    return Document(doc_id=doc_id, company="acme", title="t", path="p.md", text=text, version="v", format="markdown")


def _block_at(text: str, needle: str) -> Block:
    at = text.index(needle)
    return next(b for b in split_into_blocks(text, "markdown") if b.start <= at < b.end)


def _slice(text: str, where: tuple[int, int] | None) -> str:
    assert where is not None
    return text[where[0] : where[1]]


def test_markdown_headings_are_section_paths_not_clauses() -> None:
    text = MARKDOWN
    blocks = split_into_blocks(text, "markdown")
    bodies = [text[b.start : b.end] for b in blocks]
    for heading in ("# Privacy Notice", "## How we use data", "Cookie Policy", "Choices", "**Your choices**", "Data Type"):
        assert not any(heading in body for body in bodies), heading
    for markup_only in ("title: ignored", "{: datetime", "<div", "|---|", "\n---\n"):
        assert not any(markup_only in body for body in bodies), markup_only
    collect = _block_at(text, "We collect")
    assert collect.section == "Privacy Notice > How we use data > To provide the browser"
    assert text[collect.start : collect.end].endswith("keep it secure.")  # a soft-wrapped paragraph stays one clause
    assert _block_at(text, "Effective May").section == "Privacy Notice"
    assert _block_at(text, "We use cookies").section == "Cookie Policy"  # setext level 1 closes the ATX sections
    assert _block_at(text, "You can opt out").section == "Cookie Policy > Choices > Your choices"
    assert _block_at(text, "Nothing here").section == "Cookie Policy > Choices > Your choices"  # a rule is no heading
    _assert_offsets(_md(text), split_into_clauses(_md(text)))


def test_markdown_list_items_nest_and_keep_their_lead() -> None:
    text = MARKDOWN
    settings_item = _block_at(text, "Settings: turn")
    assert _slice(text, settings_item.lead) == "You can opt out in three ways:"
    assert _slice(text, _block_at(text, "Desktop: in").lead) == "Settings: turn it off."
    assert _slice(text, _block_at(text, "Support: write").lead) == "You can opt out in three ways:"


def test_markdown_table_rows_are_clauses_led_by_the_header_row() -> None:
    text = MARKDOWN
    row = _block_at(text, "Location | We")
    assert text[row.start : row.end] == "Location | We infer your location."
    assert _slice(text, row.lead) == "Data Type | Description"
    assert _block_at(text, "Contact data").lead == row.lead


def test_markdown_headings_of_the_mozilla_notices(mozilla: Corpus) -> None:
    for doc in mozilla.documents:
        if doc.format != "markdown":
            continue
        spans = _spans(doc)
        _assert_offsets(doc, split_into_clauses(doc))
        offset = 0
        for line in doc.text.splitlines(keepends=True):
            if line.startswith("#"):
                assert not any(s.start <= offset + line.index(" ") < s.end for _, s in spans), (doc.doc_id, line)
            offset += len(line)
    firefox = next(d for d in mozilla.documents if d.company == "firefox")
    kept = _span_containing(firefox, "We only retain your personal data")
    assert kept.section == "Firefox Privacy Notice > How long we keep your data"
    location = _span_containing(firefox, "We infer your location from your IP address")
    assert firefox.text[location.lead_start : location.lead_end].startswith("Data Type | Description")
    rights = _span_containing(firefox, "Request a copy of the data we have about you")
    assert rights.section == "Firefox Privacy Notice > Your rights and choices > Your rights > 2"
    assert firefox.text[rights.lead_start : rights.lead_end] == "As a Firefox user, you have the right to:"


@pytest.fixture(scope="module")
def mozilla() -> Corpus:
    if not MOZILLA_EN.is_dir():
        pytest.skip(f"{MOZILLA_EN} not present")
    return load_corpus(MOZILLA_EN, strict=True)


BAD_MARKDOWN = {
    "table-without-separator": "# Notice\n\n| Data | Use |\n| Location | Ads |\n",
    "table-without-rows": "# Notice\n\nIntro line.\n\n| Data | Use |\n|---|---|\n",
    "separator-without-header": "# Notice\n|---|---|\n| Location | Ads | extra | cells |\n|\n",
    "ragged-table": "# Notice\n| a |\n|---|---|---|\n| 1 | 2 | 3 | 4 |\n| only one\n",
    "empty-sections": "# Notice\n## Empty\n## Also empty\n\n## Filled\nWe keep data for 30 days.\n## Empty at the end\n",
    "only-headings": "# Notice\n## Purposes\n### Cookies\n",
    "no-markdown-at-all": "Privacy Policy\n1. Purpose of Use\nWe use personal information to provide our services.\n",
    "unclosed-fence-and-html": "# Notice\n```\nraw code line\n<table>\n<tr><td>cell text</td>\n",
    "setext-after-list": "# Notice\n- item\n---\n===\ntext\n",
}


@pytest.mark.parametrize("name", sorted(BAD_MARKDOWN))
def test_bad_markdown_still_indexes(name: str) -> None:
    doc = _md(BAD_MARKDOWN[name])
    chunks = split_into_clauses(doc)
    assert chunks, name
    _assert_offsets(doc, chunks)


def test_markdown_of_only_headings_indexes_the_headings_as_paragraphs() -> None:
    doc = _md(BAD_MARKDOWN["only-headings"])
    texts = [doc.text[s.start : s.end] for _, s in _spans(doc)]
    assert texts == ["# Notice", "## Purposes", "### Cookies"]


def test_markdown_without_headings_uses_the_plain_text_structure() -> None:
    doc = _md(BAD_MARKDOWN["no-markdown-at-all"])
    assert _span_containing(doc, "We use personal").section == "Privacy Policy > 1. Purpose of Use"


def test_markdown_the_parser_cannot_follow_falls_back_to_paragraphs(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.ingest import chunking

    def broken(text: str) -> None:
        raise IndexError("unexpected structure")

    monkeypatch.setattr(chunking, "_markdown_blocks", broken)
    doc = _md(MARKDOWN)
    chunks = split_into_clauses(doc)
    _assert_offsets(doc, chunks)
    assert any("We use cookies." in c.text for c in chunks)
    assert all(c.section == "" for c in chunks)


_MD_PREFIXES = ["", "# ", "## ", "- ", "  - ", "1. ", "| ", "**", "<td>", "<tr>", "{: #x } ", "    ", "> "]
_MD_LINES = ["|---|---|", "---", "===", "```", "<table>", "</table>", "{: #id }", "<br/>", "**Bold**", "| a | b |", ""]
_MD_LINE = st.one_of(
    st.sampled_from(_MD_LINES),
    st.builds(lambda p, w: p + " ".join(w), st.sampled_from(_MD_PREFIXES), st.lists(st.sampled_from(_WORDS), max_size=12)),
)
_MD_TEXT = st.builds(lambda lines, eol: eol.join(lines) + eol, st.lists(_MD_LINE, max_size=30), st.sampled_from(["\n", "\r\n"]))


@settings(max_examples=200, deadline=None, database=None)
@given(text=_MD_TEXT, max_len=st.integers(min_value=40, max_value=600))
def test_property_markdown_never_breaks_offsets(text: str, max_len: int) -> None:
    doc = _md(text)
    chunks = split_into_clauses(doc, max_len=max_len)
    previous_end = 0
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.start >= previous_end
        previous_end = chunk.end
        for span in chunk.spans:
            body = text[span.start : span.end]
            assert body.strip() and body == body.lstrip()
            assert chunk.start <= span.start < span.end <= chunk.end
    if any(ch.isalnum() for ch in text):
        assert chunks
