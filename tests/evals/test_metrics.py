"""The eval metric functions on small cases whose expected values are worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evals import metrics


def test_covers_needs_half_of_the_gold_quote() -> None:
    gold = (10, 20)  # 10 characters
    assert metrics.covers((15, 20), gold)  # 5 of 10 overlap: exactly half counts
    assert metrics.covers((0, 100), gold)  # contains it
    assert metrics.covers((12, 18), gold) is True  # 6 of 10
    assert not metrics.covers((16, 30), gold)  # 4 of 10
    assert not metrics.covers((0, 10), gold)  # touching ends do not overlap
    assert not metrics.covers((30, 40), gold)
    assert metrics.covers((16, 30), gold, share=0.4)  # 4 of 10 with a lower share
    assert not metrics.covers((0, 0), (0, 0))  # no characters, no hit


def test_relevance_counts_each_gold_once() -> None:
    golds = [[(0, 10)], [(100, 110)]]
    # (2, 9) hits gold 0 again (7 of 10): already found, so it is not a new hit.
    assert metrics.relevance([(0, 10), (2, 9), (100, 110), (50, 60)], golds) == [0, -1, 1, -1]


def test_relevance_either_occurrence_of_a_quote_counts_once() -> None:
    golds = [[(0, 10), (200, 210)]]  # the same quote twice in the policy
    assert metrics.relevance([(200, 210), (0, 10)], golds) == [0, -1]


def test_relevance_span_over_two_golds_takes_the_first_then_the_next() -> None:
    golds = [[(0, 10)], [(100, 110)]]
    assert metrics.relevance([(0, 110), (0, 110)], golds) == [0, 1]


def test_hit_at() -> None:
    rels = [-1, 0, -1]
    assert metrics.hit_at(rels, 1) == 0.0
    assert metrics.hit_at(rels, 2) == 1.0
    assert metrics.hit_at([], 5) == 0.0


def test_recall_at() -> None:
    rels = [0, -1, 2, 1]  # 3 golds, found at ranks 1, 3, 4
    assert metrics.recall_at(rels, 3, 1) == pytest.approx(1 / 3)
    assert metrics.recall_at(rels, 3, 3) == pytest.approx(2 / 3)
    assert metrics.recall_at(rels, 3, 4) == pytest.approx(1.0)
    assert metrics.recall_at(rels, 0, 4) == 0.0


def test_mrr_at() -> None:
    assert metrics.mrr_at([-1, -1, 0], 10) == pytest.approx(1 / 3)
    assert metrics.mrr_at([-1, -1, 0], 2) == 0.0  # first hit beyond k
    assert metrics.mrr_at([0, 1], 10) == 1.0
    assert metrics.mrr_at([-1, -1], 10) == 0.0


def test_ndcg_two_golds_hits_at_ranks_1_and_3() -> None:
    # DCG = 1/log2(1+1) + 1/log2(3+1) = 1 + 1/2; ideal puts both golds first: 1 + 1/log2(3).
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert expected == pytest.approx(1.5 / 1.6309297535714575)
    assert metrics.ndcg_at([0, -1, 1], 2, 10) == pytest.approx(expected)


def test_ndcg_ideal_uses_min_of_golds_and_k() -> None:
    # 3 golds but k = 2: the ideal is two hits, so hits at ranks 1 and 2 score 1.0.
    assert metrics.ndcg_at([0, 1, -1], 3, 2) == pytest.approx(1.0)
    # 3 golds, k = 10, only one found at rank 1: 1 / (1 + 1/log2(3) + 1/log2(4)).
    assert metrics.ndcg_at([0], 3, 10) == pytest.approx(1 / (1 + 0.6309297535714575 + 0.5))
    assert metrics.ndcg_at([-1, -1], 0, 10) == 0.0


def test_facts_present_any_phrasing_case_insensitive() -> None:
    facts = [["1,000 yen", "1000 yen"], ["passport"]]
    assert metrics.facts_present("A fee of 1000 YEN; bring your Passport.", facts)
    assert not metrics.facts_present("A fee of 1000 yen.", facts)
    assert metrics.facts_present("anything", [])


def test_abstention_matrix() -> None:
    expected = ["answer", "answer", "abstain", "abstain", "abstain", "desk", "clarify"]
    predicted = ["answer", "abstain", "abstain", "answer", "desk", "answer", "answer"]
    # answer->answer correct; answer->abstain over-refusal; abstain->abstain correct;
    # abstain->answer and abstain->desk unsupported; desk and clarify rows are not counted.
    assert metrics.abstention_matrix(expected, predicted) == {
        "correct_answer": 1,
        "correct_abstention": 1,
        "over_refusal": 1,
        "unsupported_answer": 2,
    }


def test_per_class_and_confusion() -> None:
    expected = ["a", "a", "b", "b", "c"]
    predicted = ["a", "b", "b", "b", "a"]
    scores = metrics.per_class(expected, predicted, ["a", "b", "c"])
    # a: tp 1 (item 0), fp 1 (item 4), fn 1 (item 1) -> P 1/2, R 1/2, F1 1/2.
    assert (scores["a"].precision, scores["a"].recall, scores["a"].f1, scores["a"].support) == pytest.approx((0.5, 0.5, 0.5, 2))
    # b: tp 2, fp 1 (item 1), fn 0 -> P 2/3, R 1, F1 = 2 * 2/3 * 1 / (5/3) = 4/5.
    assert scores["b"].precision == pytest.approx(2 / 3)
    assert scores["b"].recall == pytest.approx(1.0)
    assert scores["b"].f1 == pytest.approx(0.8)
    assert scores["b"].support == 2
    # c: never predicted, its one item missed -> all zero, support 1.
    assert (scores["c"].precision, scores["c"].recall, scores["c"].f1, scores["c"].support) == (0.0, 0.0, 0.0, 1)
    assert metrics.confusion(expected, predicted, ["a", "b", "c"]) == {
        "a": {"a": 1, "b": 1, "c": 0},
        "b": {"a": 0, "b": 2, "c": 0},
        "c": {"a": 1, "b": 0, "c": 0},
    }
    # Labels outside the list are ignored.
    assert metrics.confusion(["a", "x"], ["x", "a"], ["a"]) == {"a": {"a": 0}}


def test_mean_of_no_values_is_zero() -> None:
    assert metrics.mean([1.0, 0.0, 0.5]) == 0.5
    assert metrics.mean([]) == 0.0


def test_precision_recall_from_counts() -> None:
    assert metrics.precision_recall(3, 1, 2) == pytest.approx((0.75, 0.6))
    assert metrics.precision_recall(0, 0, 0) == (0.0, 0.0)  # nothing predicted, nothing expected
    assert metrics.precision_recall(0, 0, 0, undefined=1.0) == (1.0, 1.0)
    assert metrics.precision_recall(0, 2, 0) == (0.0, 0.0)


def test_percentile_interpolates() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # sorted: 1, 2, 3, 4
    assert metrics.percentile(values, 50) == pytest.approx(2.5)  # position 1.5
    assert metrics.percentile(values, 95) == pytest.approx(3.85)  # position 2.85: 3 + 0.85
    assert metrics.percentile(values, 0) == 1.0
    assert metrics.percentile(values, 100) == 4.0
    assert metrics.percentile([7.0], 95) == 7.0
    assert metrics.percentile([1.0, 2.0], 50) == 1.5


def test_percentile_matches_numpy_linear_interpolation() -> None:
    values = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0]
    for q in (0, 10, 25, 50, 90, 95, 99, 100):
        assert metrics.percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_no_values_or_outside_0_to_100_is_an_error() -> None:
    with pytest.raises(ValueError):
        metrics.percentile([], 50)
    with pytest.raises(ValueError):
        metrics.percentile([1.0], 101)


def test_latency_is_missing_where_nothing_was_timed() -> None:
    assert metrics.latency_ms([0.010, 0.020, 0.030, 0.040]) == {"p50": 25.0, "p95": 38.5}
    assert metrics.latency_ms([]) == {"p50": None, "p95": None}
