"""The `eval --llm` figures on hand-built outcomes: shares of sentences kept and dropped by reason,
phraser failures by reason, and fact accuracy over the summary text alone."""

from __future__ import annotations

from typing import Any

import pytest

from evals.runner import ItemOutcome, PhrasingOutcome, summarize_phrasing


def outcome(item_id: str, phrasing: PhrasingOutcome | None, facts: list[list[str]], route: str = "answer") -> ItemOutcome:
    # The answer states every fact: only the summary may count for the summary's accuracy.
    answer = " ".join(f[0] for f in facts)
    return ItemOutcome(item_id, "acme", "fees", [], "q?", route, route, answer, [], [], facts, None, phrasing=phrasing)


def verdict(kept: bool, reason: str | None = None) -> dict[str, Any]:
    return {"text": "s", "cited": ("1",), "kept": kept, "reason": reason, "detail": ""}


def test_shares_failures_and_summary_fact_accuracy() -> None:
    outcomes = [
        # Summary keeps the fact: stated.
        outcome("a", PhrasingOutcome("A fee of 1,000 yen. [1]", None, [verdict(True), verdict(False, "fact")]), [["1,000 yen"]]),
        # Every sentence dropped: no summary, so not stated (though the answer's quotes hold it).
        outcome("b", PhrasingOutcome(None, None, [verdict(False, "meaning"), verdict(False, "negation")]), [["30 days"]]),
        # The phraser timed out: no sentence, not stated.
        outcome("c", PhrasingOutcome(None, "timeout"), [["privacy@example.com"]]),
        # A summary without the required fact.
        outcome("d", PhrasingOutcome("You can ask. [2]", None, [verdict(True), verdict(False, "no_passage")]), [["10 days"]]),
        # Not phrased at all (an abstention): no sentences, and its facts are not answer facts.
        outcome("e", None, [["x"]], route="abstain"),
    ]
    p = summarize_phrasing(outcomes)
    assert p["replies"] == 4 and p["summaries"] == 2 and p["omitted"] == 1
    assert p["sentences"] == 6
    assert p["kept"] == pytest.approx(2 / 6)
    assert p["dropped"] == pytest.approx({"no_passage": 1 / 6, "fact": 1 / 6, "language": 0.0, "meaning": 1 / 6, "negation": 1 / 6})
    assert p["failures"] == {"timeout": 1, "error": 0, "refusal": 0, "empty": 0}
    assert p["fact_items"] == 4 and p["summary_fact_accuracy"] == pytest.approx(1 / 4)


def test_no_sentence_written_has_no_shares() -> None:
    p = summarize_phrasing([outcome("a", PhrasingOutcome(None, "error"), [["1,000 yen"]])])
    assert p["sentences"] == 0 and p["kept"] is None and set(p["dropped"].values()) == {None}
    assert p["failures"]["error"] == 1 and p["summary_fact_accuracy"] == 0.0
