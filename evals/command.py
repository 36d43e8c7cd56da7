"""`privacy-assistant eval`: the subcommand's arguments, registered by privacy_assistant/cli.py.

The run itself is `evals.cli.run`, imported only when `eval` is chosen, so registering it costs
the other commands nothing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.cli import Subcommands


def add_eval(sub: Subcommands) -> None:
    """Register `eval` (the `AddCommand` hook of assistant/cli.py)."""
    ev = sub.add_parser(
        "eval",
        help="run answer-accuracy suites",
        description="Score the assistant on JSONL suites (see evals/README.md).",
    )
    ev.add_argument("--suite", action="append", type=Path, help="suite file (repeatable); default: evals/suites/gold.jsonl")
    ev.add_argument("--api", help="run against a live server at this base URL instead of in-process (needs --allow-tickets)")
    ev.add_argument(
        "--allow-tickets",
        action="store_true",
        help="with --api: accept that the server keeps the suite's sessions and request drafts (none is submitted: no desk ticket)",
    )
    ev.add_argument("--report", type=Path, default=Path("reports/eval"), help="folder for results.json and report.html")
    ev.add_argument(
        "--corpus",
        type=Path,
        help="evaluate every suite on this corpus folder (indexed into a temporary folder); default: each suite header's corpus",
    )
    ev.add_argument("--squad", type=Path, action="append", help="a SQuAD v1.1 JSON file of policy questions (repeatable)")
    ev.add_argument(
        "--half",
        choices=("dev", "test", "all"),
        default="all",
        help="run only the dev or test half of each suite (a stable hash of the item id); default all",
    )
    ev.add_argument(
        "--llm",
        action="store_true",
        help="also phrase answers with the chat model of PA_LLM_* (in-process) and report the generated summaries: "
        "sentences kept, dropped by reason, phraser failures, fact accuracy of the summary alone",
    )
    ev.add_argument("--llm-base-url", help="with --llm: the OpenAI-compatible server to use instead of PA_LLM_BASE_URL")
    ev.add_argument("--llm-model", help="with --llm: the model name to use instead of PA_LLM_MODEL")
    ev.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    """Run answer-accuracy suites."""
    from evals.cli import run

    return run(args)
