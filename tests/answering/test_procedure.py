"""The points of procedure a desk reply quotes (`assistant/answering/procedure.py`)."""

from __future__ import annotations

import itertools
import re
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


def _chunk_with(*sentences: str):  # type: ignore[no-untyped-def]
    from assistant.domain import Chunk

    text = " ".join(sentences)
    return Chunk("c1", "acme", "acme", "Requests", 0, len(text), text)


def test_each_point_is_quoted_once_and_no_text_twice_across_points() -> None:
    from assistant.answering.procedure import ASPECTS, ProcedurePoint, one_quote_each
    from assistant.domain import Evidence, Span

    does = "We will respond to requests for deletion without delay."
    caveat = "However, this does not apply where the law exempts us."
    proof = "Requests must include proof of identity, such as a passport."
    form = "Please send the form designated by us by mail."
    chunk = _chunk_with(does, caveat, proof, form)
    at = {s: chunk.text.index(s) for s in (does, caveat, proof, form)}
    action = Evidence(chunk, Span(0, at[caveat] + len(caveat), "Requests"), 0.9)  # the clause runs on into the caveat
    identity = Evidence(chunk, Span(at[caveat], at[proof] + len(proof), "Requests"), 0.8)  # from the caveat on
    channel = Evidence(chunk, Span(at[form], len(chunk.text), "Requests"), 0.7)
    other_channel = Evidence(chunk, Span(at[proof], len(chunk.text), "Requests"), 0.6)
    aspects = {a.key: a for a in ASPECTS}
    points = [
        ProcedurePoint(aspects["action"], (action,)),
        ProcedurePoint(aspects["channel"], (channel, other_channel)),
        ProcedurePoint(aspects["identity"], (identity,)),
        ProcedurePoint(aspects["response_time"], (action,)),
    ]
    out = one_quote_each(points, ["deletion"])
    assert [len(p.evidence) for p in out] == [1, 1, 1, 1], "one passage a point"
    assert out[1].evidence == (channel,)
    # The identity passage without the caveat the action clause quotes already: it still states the point.
    assert chunk.text_of(out[2].evidence[0].span) == proof
    assert out[3].evidence == (action,), "a passage two points rest on is the same quote"
    spans = sorted((ev.span.start, ev.span.end) for ev in {ev for p in out for ev in p.evidence})
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    # Past the budget a point is marked, not quoted.
    capped = one_quote_each(points, ["deletion"], max_quotes=2)
    assert [(p.aspect.key, p.unquoted, len(p.evidence)) for p in capped] == [
        ("action", False, 1),
        ("channel", False, 1),
        ("identity", True, 0),
        ("response_time", False, 1),
    ]


def test_what_is_left_of_a_passage_rests_on_the_quote_it_runs_on_from() -> None:
    from assistant.answering.procedure import COMPLAINT_ASPECTS, ProcedurePoint, one_quote_each
    from assistant.domain import Evidence, Span

    lead = "For complaints, please contact us by the following methods. Send by mail to the following address:"
    address = "1-4-1 Marunouchi, Chiyoda-ku, Tokyo 100-0005"
    chunk = _chunk_with(lead, address)
    action = Evidence(chunk, Span(0, len(lead), "Contact"), 0.9)
    channel = Evidence(chunk, Span(lead.index("Send"), len(chunk.text), "Contact"), 0.8)
    does, where = COMPLAINT_ASPECTS
    out = one_quote_each([ProcedurePoint(does, (action,)), ProcedurePoint(where, (channel,))], ["complaint"])
    # The address alone does not say how to send: the point names the quote before it too.
    assert [chunk.text_of(ev.span) for ev in out[1].evidence] == [lead, address]


def _chip_labels(reply) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """What the widget names each chip of a desk reply by: the first procedure point citing it."""
    labels: dict[int, str] = {}
    for step in reply.request_draft.procedure:
        for cid in step.citations:
            labels.setdefault(cid, step.label)
    return labels


DESK_MESSAGES = {
    ("en", "request"): "Please delete my personal data.",
    ("ja", "request"): "個人情報を削除してください。",
    ("en", "complaint"): "I want to make a formal complaint about how you handled my data.",
    ("ja", "complaint"): "個人情報の扱いについて苦情を申し立てます。",
}


@pytest.mark.slow
def test_a_desk_reply_is_short_each_point_one_line_each_quote_once(real_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.answering.procedure import MAX_QUOTES

    for company in load_companies(CORPUS_DIR):
        for (lang, kind), message in DESK_MESSAGES.items():
            reply = real_assistant.reply(message, company=company.id)
            where = (company.id, lang, kind)
            assert reply.route == "desk" and reply.request_draft, where
            steps = reply.request_draft.procedure
            cites = reply.citations
            assert len(cites) <= min(MAX_QUOTES, len(steps)), where
            for a, b in itertools.combinations(cites, 2):
                assert a.doc_id != b.doc_id or a.end <= b.start or b.end <= a.start, (where, a.id, b.id)
                assert a.text.strip() != b.text.strip(), where
            # Each point is one line of the reply, and every quote is on a point's line.
            lines = reply.answer.split("\n")
            points = [line for line in lines if line.startswith("- ")]
            assert len(points) == len(steps), where
            assert all(line.startswith("- ") for line in lines if re.search(r"\[\d+\]", line)), where
            # Each chip is named by its point, no two alike.
            labels = _chip_labels(reply)
            assert sorted(labels) == [c.id for c in cites], where
            assert len(set(labels.values())) == len(labels), where
            if kind == "complaint":
                assert [s.aspect for s in steps] == ["action", "channel"], where
                assert not re.search(r"yen|\bfees?\b|円|手数料", reply.answer, re.I), where


def test_a_point_runs_on_into_the_next_passage_and_the_channels_keep_a_second_quote_when_room_is_left() -> None:
    from assistant.answering.procedure import ASPECTS, ProcedurePoint, one_quote_each
    from assistant.domain import Evidence, Span

    form = "Please send the form designated by us by mail."
    envelope = "Write 'Request enclosed' on the envelope."
    portal = "You may also use our request portal."
    proof = "Requests must include proof of identity, such as a passport."
    chunk = _chunk_with(form, envelope, portal, proof)
    at = {s: chunk.text.index(s) for s in (form, envelope, portal, proof)}

    def passage(sentence: str, score: float) -> Evidence:
        return Evidence(chunk, Span(at[sentence], at[sentence] + len(sentence), "Requests"), score)

    aspects = {a.key: a for a in ASPECTS}
    points = [
        ProcedurePoint(aspects["channel"], (passage(form, 0.9), passage(portal, 0.7), passage(envelope, 0.5))),
        ProcedurePoint(aspects["identity"], (passage(proof, 0.8),)),
    ]
    channel, identity = one_quote_each(points, ["deletion"])
    # The form sentence runs on into the envelope one that follows it straight on: one quote.
    assert [chunk.text_of(ev.span) for ev in channel.evidence] == [f"{form} {envelope}", portal]
    assert [chunk.text_of(ev.span) for ev in identity.evidence] == [proof]
    # With room for one quote a point, the channels give up their second rather than a later point its only one.
    channel, identity = one_quote_each(points, ["deletion"], max_quotes=2)
    assert [chunk.text_of(ev.span) for ev in channel.evidence] == [f"{form} {envelope}"]
    assert len(identity.evidence) == 1 and not identity.unquoted


def test_the_best_passage_cut_of_quoted_text_comes_before_a_worse_one() -> None:
    from assistant.answering.procedure import ASPECTS, ProcedurePoint, one_quote_each
    from assistant.domain import Evidence, Span

    fee = "A fee of 1,000 yen per request is charged for disclosure."
    does = "We will respond to requests for disclosure without delay."
    free = "In principle, no fee is charged for the procedures."
    chunk = _chunk_with(fee, does, free)
    at = {s: chunk.text.index(s) for s in (fee, does, free)}
    action = Evidence(chunk, Span(at[does], at[does] + len(does), "Requests"), 0.9)
    fee_runs_on = Evidence(chunk, Span(0, at[does] + len(does), "Requests"), 0.8)  # into the action sentence
    no_fee = Evidence(chunk, Span(at[free], len(chunk.text), "Requests"), 0.5)
    aspects = {a.key: a for a in ASPECTS}
    points = [ProcedurePoint(aspects["action"], (action,)), ProcedurePoint(aspects["fee"], (fee_runs_on, no_fee))]
    _, fee_point = one_quote_each(points, ["disclosure"])
    assert [chunk.text_of(ev.span) for ev in fee_point.evidence] == [fee]
