"""The contradiction notice: only incompatible values for the same point, measured on a labelled set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answering.compose import _may_conflict
from assistant.answering.consistency import conflicting_pair, conflicts
from assistant.domain import Citation
from evals.notices import CONFLICT_PAIRS, half, load, score_conflicts

ROOT = Path(__file__).resolve().parents[2]
MOZILLA = ROOT.parent / "shared" / "dev-corpus" / "mozilla" / "en"
if not MOZILLA.is_dir():
    MOZILLA = Path("/work/shared/dev-corpus/mozilla/en")

FEE = "Please be advised that a fee (1,000 yen per request) prescribed by the Company will be charged for handling retained personal data."
NO_FEE = "(4) In principle, we do not charge a fee for the procedures for requesting disclosure, etc."
POSTAGE = "However, postage and other communication costs incurred in mailing documents shall be borne by the requesting party."
COOKIES = [
    "We use cookies to remember information about your settings (such as language preference).",
    "You can accept or decline individual cookies in your preferences. Note that certain features of our products "
    "and services may not function properly without the aid of cookies.",
    "Necessary: These cookies are necessary for our website to function. They cannot be switched off.",
]


def test_fires_on_fee_versus_no_fee() -> None:
    assert conflicts("Is there a fee?", [FEE, NO_FEE])
    assert conflicts("Is it free?", ["Requests are handled free of charge.", "A fee of 500 yen will be charged per request."])
    pair = conflicting_pair("fee", [POSTAGE, FEE, NO_FEE])
    assert pair is not None and (pair.first, pair.second, pair.kind) == (1, 2, "fee")


def test_silent_on_three_agreeing_cookie_passages() -> None:
    assert not conflicts("Do you use cookies?", COOKIES)


def test_silent_on_a_fee_and_postage_borne_by_the_requester() -> None:
    assert not conflicts("How much does it cost?", [FEE, POSTAGE])
    assert not conflicts("Do I pay postage?", [NO_FEE, POSTAGE])


def test_amounts_conflict_only_when_they_differ() -> None:
    same = "The fee is 1,000 yen per request."
    assert not conflicts("fee", [FEE, same])
    assert conflicts("fee", [FEE, "The fee is 2,000 yen per request."])


def test_durations_conflict_for_the_same_point_only() -> None:
    assert conflicts("how fast", ["We will respond to your request within 2 weeks.", "We will respond to your request within 30 days."])
    assert not conflicts(
        "how long",
        ["System logs of your DNS requests are deleted within 24 hours.", "Server logs of your IP address are kept for 90 days."],
    )
    assert not conflicts("how fast", ["We respond within 14 days.", "We respond within two weeks."])


def test_polarity_needs_the_same_predicate_object_and_qualifier() -> None:
    assert conflicts("sell", ["We do not sell personal information to third parties.", "We sell personal information to third parties."])
    # A denial with an exception is compatible with what the exception allows.
    assert not conflicts(
        "third parties",
        [
            "We will not provide personal information to third parties without your consent.",
            "We may provide personal information to third parties with your consent.",
        ],
    )
    # One negation about a different object, sharing the question's words.
    assert not conflicts(
        "phone",
        ["We cannot respond to requests by telephone.", "We will respond to your request in writing by mail."],
    )
    # A negation inside a condition asserts nothing.
    assert not conflicts(
        "provide",
        ["If you do not provide your personal information, you may not receive our services.", "We provide our services."],
    )


def _cite(i: int, text: str) -> Citation:
    return Citation(
        id=i, company="c", doc_id="d", version="v", section="s", page=None, text=text, start=0, end=len(text), score=1.0, display=text
    )


def test_answer_notice_uses_the_check() -> None:
    # The old rule fired on any shared term with one negation; the phone pair above is such a case.
    phone = [
        _cite(1, "Please note that we cannot respond to requests by telephone."),
        _cite(2, "We will respond to your request in writing."),
    ]
    assert not _may_conflict("Can I send my request by telephone?", phone)
    assert _may_conflict("Is there a fee?", [_cite(1, FEE), _cite(2, NO_FEE)])
    assert not _may_conflict("Is there a fee?", [_cite(1, FEE)])


def test_labelled_set_shape() -> None:
    items = load(CONFLICT_PAIRS)
    assert len(items) >= 60 and len({it["id"] for it in items}) == len(items)
    assert sum(it["conflict"] for it in items) >= 20
    assert {it["corpus"].split("/")[0] for it in items} == {"policies", "mozilla"}
    assert {"dev", "test"} == {half(it["id"]) for it in items}


def _document(corpus: str) -> str | None:
    kind, name = corpus.split("/", 1)
    path = (ROOT / "corpus" if kind == "policies" else MOZILLA) / name
    if not path.exists():
        return None
    if path.suffix == ".pdf":
        import pypdf

        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
        return re.sub(r"\s+", " ", text.replace("•", " "))  # reflowed, list bullets dropped
    return path.read_text(encoding="utf-8")


def test_labelled_passages_are_verbatim_unless_marked_edited() -> None:
    checked = 0
    for it in load(CONFLICT_PAIRS):
        doc = _document(it["corpus"])
        if doc is None:
            continue
        edited = "(b edited)" in it["note"]
        assert it["a"] in doc, it["id"]
        assert edited or it["b"] in doc, it["id"]
        checked += 1
    if not checked:
        pytest.skip("corpora not present")


def test_precision_and_recall_on_the_test_half() -> None:
    score = score_conflicts([it for it in load(CONFLICT_PAIRS) if half(it["id"]) == "test"])
    assert score.precision >= 0.9, score.false_positives
    assert score.recall >= 0.7, score.misses


def test_a_number_spelled_out_with_digits_is_one_period() -> None:
    thirty = "All amended terms shall be effective thirty (30) days after they are posted."
    assert conflicts("when", [thirty, "All amended terms shall be effective fourteen (14) days after they are posted."])
    assert not conflicts("when", [thirty, "All amended terms shall be effective 30 days after they are posted."])
