"""`python -m evals.compare`: two runs item by item."""

from __future__ import annotations

import json
from pathlib import Path

from evals.compare import compare, main


def _run(*items: dict) -> dict:  # type: ignore[type-arg]
    return {"suites": [{"name": "gold", "items": list(items)}]}


def _item(id: str, answer: str = "A", start: int = 0) -> dict:  # type: ignore[type-arg]
    return {"id": id, "route": "answer", "answer": answer, "citations": [{"doc_id": "d", "start": start, "end": start + 5}]}


def test_identical_runs_match_and_any_change_is_named(tmp_path: Path) -> None:
    same = _run(_item("a"), _item("b"))
    assert compare(same, same) == {"gold": []}
    assert compare(same, _run(_item("a", answer="B"), _item("b"))) == {"gold": ["a"]}
    assert compare(same, _run(_item("a"), _item("b", start=3))) == {"gold": ["b"]}
    assert compare(same, _run(_item("a"))) == {"gold": ["b"]}
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(same))
    after.write_text(json.dumps(same))
    assert main([str(before), str(after)]) == 0
    after.write_text(json.dumps(_run(_item("a", answer="B"), _item("b"))))
    assert main([str(before), str(after)]) == 1
    assert main([str(before), str(tmp_path / "missing.json")]) == 2
