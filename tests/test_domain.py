"""The value types' own questions: a span's text and whether two passages overlap."""

from __future__ import annotations

from assistant.domain import Chunk, Document, Evidence, Span

TEXT = "Intro. We keep data. We delete it on request. Contact us."
DOC = Document("d1", "acme", "Policy", "policy.txt", TEXT, "v1")
KEEP = Span(7, 20, "")  # "We keep data."
DELETE = Span(21, 45, "")  # "We delete it on request."
BOTH = Span(7, 45, "")
CHUNK = Chunk("c1", "acme", "d1", "", 7, 45, TEXT[7:45], (KEEP, DELETE, BOTH))


def _ev(span: Span, doc_id: str = "d1") -> Evidence:
    return Evidence(Chunk("c", "acme", doc_id, "", span.start, span.end, TEXT[span.start : span.end], (span,)), span, 1.0)


def test_a_span_reads_the_same_from_its_document_and_its_chunk() -> None:
    assert DOC.text_of(KEEP) == "We keep data."
    for span in CHUNK.spans:
        assert CHUNK.text_of(span) == DOC.text_of(span) == TEXT[span.start : span.end]


def test_passages_overlap_when_they_share_text_of_one_document() -> None:
    assert _ev(BOTH).overlaps(_ev(DELETE)) and _ev(DELETE).overlaps(_ev(BOTH))
    assert not _ev(KEEP).overlaps(_ev(DELETE))  # adjacent: no shared character
    assert not _ev(BOTH).overlaps(_ev(DELETE, doc_id="d2"))  # the same offsets of another document


def test_a_passage_quoted_before_is_found_among_places() -> None:
    assert _ev(DELETE).overlaps_any([("d2", 0, 100), ("d1", 40, 41)])
    assert not _ev(DELETE).overlaps_any([("d2", 0, 100), ("d1", 0, 21)])
    assert not _ev(DELETE).overlaps_any(())
