"""The eval suite format (JSONL): a header line, then one item per line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, field_validator

from assistant.vocabulary import Route

Half = Literal["dev", "test", "all"]
HALVES: tuple[str, ...] = ("dev", "test", "all")
# Relative corpus paths in suite headers are read from the repository root (the folder holding evals/).
REPO_ROOT = Path(__file__).resolve().parent.parent


Item = TypeVar("Item", bound=BaseModel)


class SuiteHeader(BaseModel):
    """First line of a suite file: `{"_suite": {...}}`."""

    name: str
    description: str = ""
    min_scores: dict[str, float] = Field(default_factory=dict, description="metric name -> minimum value")
    corpus: str | None = Field(default=None, description="corpus folder the suite runs on, relative to the repo root")


class EvalItem(BaseModel):
    """One scored conversation: only the last turn is scored."""

    id: str
    company: str | None = None
    turns: list[str] = Field(min_length=1)
    expected_route: Route
    gold_quotes: list[str] = Field(default_factory=list)
    facts: list[list[str]] = Field(default_factory=list)
    request_types: list[str] = Field(default_factory=list)
    topic: str = "other"
    tags: list[str] = Field(default_factory=list)

    @field_validator("turns")
    @classmethod
    def _non_empty_turns(cls, turns: list[str]) -> list[str]:
        if any(not t.strip() for t in turns):
            raise ValueError("every turn needs text")
        return turns


class Suite(BaseModel):
    """A loaded suite."""

    header: SuiteHeader
    items: list[EvalItem]
    path: str = ""


def read_suite(path: Path, item_type: type[Item]) -> tuple[SuiteHeader, list[Item]]:
    """A JSONL suite's `_suite` header and its items as `item_type`; errors name the file and line."""
    header = SuiteHeader(name=path.stem)
    items: list[Item] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if "_suite" in data:
                    header = SuiteHeader(**data["_suite"])
                else:
                    items.append(item_type(**data))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from exc
    return header, items


def load_suite(path: Path) -> Suite:
    """Read a JSONL suite of eval items; errors name the file and line."""
    header, items = read_suite(path, EvalItem)
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate item ids")
    return Suite(header=header, items=items, path=str(path))


def half_of(item_id: str) -> str:
    """The half ("dev" or "test") an item belongs to, by a stable hash of its id."""
    return "dev" if int(hashlib.sha1(item_id.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "test"


def select_half(items: Iterable[EvalItem], half: str) -> list[EvalItem]:
    """The items of one half ("dev", "test"), or all of them ("all")."""
    if half not in HALVES:
        raise ValueError(f"unknown half {half!r}: choose dev, test or all")
    return [i for i in items if half == "all" or half_of(i.id) == half]


def suite_corpus(header: SuiteHeader, root: Path = REPO_ROOT) -> Path | None:
    """The corpus folder the header names (a relative path is read from `root`), or None when it names none."""
    if not header.corpus:
        return None
    path = Path(header.corpus).expanduser()
    return (path if path.is_absolute() else root / path).resolve()
