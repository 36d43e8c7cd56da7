"""Compare two eval runs item by item: the same route, answer text and citations?

    python -m evals.compare before/results.json after/results.json

For a change meant to alter no answer (a refactor), every item of every suite should match:
route, the answer text, and each citation's document and offsets. Prints one line per suite
and the ids that differ; exits 0 when all match, 1 when any differs, 2 on unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def fingerprint(item: dict[str, Any]) -> tuple[Any, ...]:
    """What must not change: the route, the answer text and the cited spans."""
    cites = tuple((c["doc_id"], c["start"], c["end"]) for c in item.get("citations", []))
    return (item.get("route"), item.get("answer"), cites)


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    """Per suite name, the ids whose fingerprint differs (or that only one run has)."""
    out: dict[str, list[str]] = {}
    old_suites = {s["name"]: s for s in before.get("suites", [])}
    for suite in after.get("suites", []):
        old = {i["id"]: fingerprint(i) for i in old_suites.get(suite["name"], {}).get("items", [])}
        new = {i["id"]: fingerprint(i) for i in suite.get("items", [])}
        out[suite["name"]] = sorted(i for i in old.keys() | new.keys() if old.get(i) != new.get(i))
    for name in old_suites.keys() - {s["name"] for s in after.get("suites", [])}:
        out[name] = sorted(i["id"] for i in old_suites[name].get("items", []))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison; 0 when every item matches."""
    parser = argparse.ArgumentParser(prog="python -m evals.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="results.json of the first run")
    parser.add_argument("after", type=Path, help="results.json of the second run")
    args = parser.parse_args(argv)
    try:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in (args.before, args.after))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"python -m evals.compare: error: {exc}", file=sys.stderr)
        return 2
    differs = compare(before, after)
    for name, ids in sorted(differs.items()):
        total = len(next((s["items"] for s in after.get("suites", []) if s["name"] == name), []))
        shown = ", ".join(ids[:10]) + (" ..." if len(ids) > 10 else "")
        print(f"{name}: {total - len(ids)} of {total} items identical" + (f"; differ: {shown}" if ids else ""))
    return 1 if any(differs.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
