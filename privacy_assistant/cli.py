"""The `privacy-assistant` console script: the library's commands plus `serve` and `eval`.

Each command registers itself through the hook of assistant/cli.py (`AddCommand`); this is the
explicit registry, in the order `--help` lists them. A new command is one import and one entry here."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from api.http.serve import add_serve
from assistant import cli as core
from evals.command import add_eval

COMMANDS: tuple[core.AddCommand, ...] = (
    core.add_ask,
    core.add_index,
    add_serve,
    core.add_db,
    core.add_desk,
    core.add_keys,
    core.add_purge,
    add_eval,
    core.add_intent,
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used to render --help in the README)."""
    return core.build_parser(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    return core.main(argv, COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
