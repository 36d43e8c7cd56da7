"""The smoke suite gates `make test`: its declared min_scores must hold with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.ingest.corpus import load_corpus
from evals.runner import check_min_scores, in_process, run_items, summarize
from evals.suite import load_suite

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "evals" / "suites" / "smoke.jsonl"


@pytest.mark.slow
def test_smoke_suite_meets_its_min_scores(real_assistant) -> None:  # type: ignore[no-untyped-def]
    suite = load_suite(SMOKE)
    assert suite.header.min_scores, "the smoke suite must declare min_scores"
    outcomes = run_items(suite.items, in_process(real_assistant), load_corpus(ROOT / "corpus"))
    summary = summarize(outcomes)
    failures = check_min_scores(suite, summary)
    failed_items = {o.id: f"expected {o.expected_route}, got {o.route}" for o in outcomes if not o.route_ok or o.error}
    assert not failures, (
        "smoke suite below its min_scores:\n  "
        + "\n  ".join(failures)
        + "\nsummary:\n"
        + json.dumps(summary, indent=1)
        + "\nmis-routed items:\n"
        + json.dumps(failed_items, indent=1)
        + "\nrun `privacy-assistant eval --suite evals/suites/smoke.jsonl` for the full report"
    )
