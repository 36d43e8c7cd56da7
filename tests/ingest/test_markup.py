"""Readable citation text (`assistant/ingest/markup.py`): markup removed, words kept, offsets untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.domain import Evidence
from assistant.ingest.chunking import split_into_clauses
from assistant.ingest.corpus import Corpus, load_corpus
from assistant.ingest.markup import display_text

ROOT = Path(__file__).resolve().parents[2]
# ../shared beside the main checkout (../../shared from a worktree under wt/).
MOZILLA = next((p / "dev-corpus" / "mozilla" for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared") if p.is_dir()), ROOT)
MOZILLA_EN = MOZILLA / "en"
MARKUP = ("#", "**", "__", "](", "{:", "<br")


@pytest.fixture(scope="module")
def mozilla() -> Corpus:
    if not MOZILLA_EN.is_dir():
        pytest.skip(f"{MOZILLA_EN} not present")
    return load_corpus(MOZILLA_EN, strict=True)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("## What if we change this policy? {: #changes }", "What if we change this policy?"),
        ("### Contact ###", "Contact"),
        ("__Add-on data__: we collect **the add-on id** and *version*.", "Add-on data: we collect the add-on id and version."),
        (
            "Write to [dpo@mozilla.com](mailto:dpo@mozilla.com) or see <https://mozilla.org/privacy>.",
            "Write to dpo@mozilla.com or see https://mozilla.org/privacy.",
        ),
        ("Mail <compliance@mozilla.com>", "Mail compliance@mozilla.com"),
        (
            "Bird & Bird DPO Services SRL<br/>\nAvenue Louise 235 b 1<br>\nBelgium<br />",
            "Bird & Bird DPO Services SRL\nAvenue Louise 235 b 1\nBelgium",
        ),
        ('<td><a id="x"></a>To provide <strong>Firefox</strong></td>', "To provide Firefox"),
        ("| Location | We infer your location | Country code, city. |", "Location · We infer your location · Country code, city."),
        ("We process  data\t(for example,\n{: #data }\nyour IP address).", "We process data (for example,\nyour IP address)."),
        ("A snake_case_name, 2 * 3 and AT&amp;T stay", "A snake_case_name, 2 * 3 and AT&T stay"),
        ("Learn [more](https://example.com/a_(b)) here", "Learn more here"),
        ("**cut inside bold", "cut inside bold"),
        ("First paragraph.\n\n\n- **One**: item\n\nLast.", "First paragraph.\n\u2022 One: item\nLast."),
        ("manager](https://support.example/kb/a_(b)) and [Total](https://t.example).", "manager and Total."),
        ("see the [password manager](https://support.exa", "see the password manager"),
    ],
)
def test_markdown_display(raw: str, shown: str) -> None:
    assert display_text(raw, "markdown") == shown


def test_plain_text_and_pdf_are_only_stripped() -> None:
    raw = "  (4) We do **not** charge a fee: see [1] and <https://x.example>.\n"
    assert display_text(raw, "text") == raw.strip()
    assert display_text(" A fee of 1,000 yen applies. ", "pdf") == "A fee of 1,000 yen applies."
    # PDFs printed from markdown carry its bold markers literally (Mozilla's Japanese notice).
    assert display_text("__操作データ。__操作データの収集は無効です。", "pdf") == "操作データ。操作データの収集は無効です。"


def _words(s: str) -> list[str]:
    return re.findall(r"\w+", s)


def test_every_markdown_span_displays_without_markup_and_only_its_own_words(mozilla: Corpus) -> None:
    docs = [d for d in mozilla.documents if d.format == "markdown"]
    assert len(docs) == 4
    checked = 0
    for doc in docs:
        for chunk in split_into_clauses(doc):
            for span in chunk.spans:
                raw = doc.text[span.start : span.end]
                shown = display_text(raw, doc.format)
                assert shown, (doc.doc_id, raw)
                for mark in MARKUP:
                    assert mark not in shown, (doc.doc_id, mark, raw)
                raw_words = set(_words(raw))
                assert all(w in raw_words for w in _words(shown)), (doc.doc_id, raw, shown)
                checked += 1
    assert checked > 400


def test_citations_carry_the_exact_slice_and_its_display(mozilla: Corpus, tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.answering.compose import AnswerComposer
    from assistant.index.builds import build_index, load_index

    build_index(mozilla, MOZILLA_EN, tmp_path, hash_embedder, progress=False)
    index = load_index(tmp_path)
    doc = index.documents["firefox/firefox_privacy_notice"]
    assert doc.format == "markdown"  # kept through the index files
    chunk = next(c for c in index.chunks if c.doc_id == doc.doc_id and "dpo@mozilla.com" in c.text)
    span = next(s for s in chunk.spans if "dpo@mozilla.com" in doc.text[s.start : s.end])
    cite = AnswerComposer(index).citations("firefox", [Evidence(chunk, span, 0.9)])[0]
    assert cite.text == doc.text[cite.start : cite.end]
    assert "](mailto:" in cite.text and "](" not in cite.display and "dpo@mozilla.com" in cite.display
    assert cite.display == display_text(cite.text, "markdown")
