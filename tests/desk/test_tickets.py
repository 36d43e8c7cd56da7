"""Desk tickets. References, lifecycle, duplicates, status look-up, scoping, listing and
concurrency are the DeskQueue contract (assistant/testing/contracts.py), which the SQL queue
passes on SQLite and PostgreSQL in tests/test_contracts.py; what is left here is not the queue's."""

from __future__ import annotations

from assistant.desk.tickets import normalize_request


def test_normalisation_folds_case_space_and_punctuation() -> None:
    assert normalize_request("Delete   my data, please!") == normalize_request("delete my data please")
    assert normalize_request("delete my data") != normalize_request("correct my data")
