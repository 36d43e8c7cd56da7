"""The points of procedure a desk reply quotes (`assistant/answering/procedure.py`)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from assistant.answering.procedure import _TYPE_WORDS, find_procedure
from assistant.index.builds import load_index
from assistant.ingest.corpus import load_companies
from assistant.search.retrieval import HybridRetriever

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def retriever(hash_index_dir: Path, hash_embedder) -> HybridRetriever:  # type: ignore[no-untyped-def]
    return HybridRetriever(load_index(hash_index_dir), hash_embedder)


@pytest.mark.parametrize("request_type", sorted(_TYPE_WORDS))
def test_no_point_quotes_the_same_text_twice(retriever: HybridRetriever, request_type: str) -> None:
    # Passages overlap (each runs on from a sentence): a point quoting two of them would
    # show the customer the same sentence twice.
    for company in load_companies(CORPUS_DIR):
        for point in find_procedure(retriever, company, [request_type], proxy=True):
            spans = sorted((ev.chunk.doc_id, ev.span.start, ev.span.end) for ev in point.evidence)
            for (doc_a, _, end_a), (doc_b, start_b, _) in pairwise(spans):
                assert doc_a != doc_b or end_a <= start_b, (company.id, point.aspect.name)


def test_what_the_company_will_do_needs_the_kind_and_a_request_in_one_sentence() -> None:
    from assistant.answering.procedure import ASPECTS, _states

    does = ASPECTS[0]
    assert does.name == "what the policy says it will do"
    # Win Techno: the clause that grants deletion on request.
    granting = (
        "The Company deletes personal information and notifies our Customers of such "
        "deletion: (a) when such Customers request deletion of personal information."
    )
    assert _states(does, granting, ["deletion"])
    assert not _states(does, granting, ["complaint"])  # another kind of request
    # Deletion named, but no request in that sentence (internal rules; leaks of deleted data).
    assert not _states(does, "The internal regulations cover the collection, storage, deletion and correction of data.", ["deletion"])
    assert not _states(does, "We take measures to prevent leakage of deleted information. We answer requests promptly.", ["deletion"])


def test_a_complaint_is_told_where_to_send_it_not_the_requests_form_id_or_fee(real_assistant) -> None:  # type: ignore[no-untyped-def]
    # A complaint is not one of the Act's requests: no disclosure form, ID document or fee applies.
    from assistant.answering.procedure import find_procedure

    for company in load_companies(CORPUS_DIR):
        points = find_procedure(real_assistant.retriever, company, ["complaint"], proxy=False)
        assert [p.aspect.key for p in points] == ["action", "channel"], company.id
        quoted = " ".join(ev.chunk.text_of(ev.span) for p in points for ev in p.evidence)
        assert "yen" not in quoted and "fee" not in quoted.lower(), company.id
        reply = real_assistant.reply(f"I want to make a formal complaint to {company.short_name} about how you handled my data.")
        assert reply.route == "desk" and reply.company == company.id, company.id
        assert "1,000 yen" not in reply.answer and "identity" not in reply.answer.lower(), company.id
        assert reply.answer.startswith("This reads as a complaint for"), reply.answer[:80]


@pytest.mark.parametrize(
    ("key", "text", "types"),
    [
        ("action", "当社は、本人から保有個人データの開示の請求を受けたときは、遅滞なく開示します。", ["disclosure"]),
        ("channel", "所定の申請書に必要事項を記入のうえ、下記の窓口まで郵送してください。", ["disclosure"]),
        ("identity", "運転免許証またはパスポートの写しを同封してください。", ["deletion"]),
        ("proxy", "代理人による請求の場合は、委任状を添付してください。", ["disclosure"]),
        ("fee", "開示の請求1件につき1,000円の手数料をいただきます。", ["disclosure"]),
        ("response_time", "請求を受けた日から14日以内に回答します。", ["correction"]),
    ],
)
def test_a_japanese_policy_states_the_points_in_its_own_words(key: str, text: str, types: list[str]) -> None:
    from assistant.answering.procedure import ASPECTS, _states

    aspect = next(a for a in ASPECTS if a.key == key)
    assert _states(aspect, text, types)
    assert not _states(aspect, "当社は、個人情報を適切に管理します。", types)


def test_a_passage_overlapping_a_better_one_widens_it_when_they_read_as_one_quote() -> None:
    from assistant.answering.procedure import _distinct
    from assistant.domain import Chunk, Evidence, Span

    portal = "To make a request about your data, use our request portal. "
    mail = "For other questions, write to privacy@example.com."
    text = portal + mail + " " + "x" * 500
    chunk = Chunk("c1", "acme", "acme", "Rights", 0, len(text), text)
    best = Evidence(chunk, Span(len(portal), len(portal) + len(mail), "Rights"), 0.5)
    runner_up = Evidence(chunk, Span(0, len(portal) + len(mail), "Rights"), 0.4)  # runs on into the best one
    (found,) = _distinct([best, runner_up], limit=3)
    assert chunk.text_of(found.span) == portal + mail and found.score == 0.5
    too_long = Evidence(chunk, Span(len(portal), len(text), "Rights"), 0.4)  # together no longer one quote
    assert _distinct([best, too_long], limit=3) == (best,)
