"""The library's commands of the `privacy-assistant` command line: ask, index, db, desk, keys, purge, intent.

`serve` (api/http/serve.py) and `eval` (evals/command.py) register through the same hook, `AddCommand`;
privacy_assistant/cli.py puts all of them together, so this package imports neither the HTTP layer nor the evals."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from assistant.errors import AssistantError
from assistant.settings import Settings, settings_error_line
from assistant.vocabulary import SETTABLE_STATUSES, STATUSES

EPILOG = """examples:
  privacy-assistant ask "How much does UPWARD charge for a disclosure request?" --company upward
  privacy-assistant ask "Win Techno's e-mail address?" --json
  privacy-assistant index build
  privacy-assistant serve --port 8000
  privacy-assistant desk list --company highreso --status received
  privacy-assistant keys create --name desk-alice --company upward
  privacy-assistant purge --dry-run
  privacy-assistant eval --suite evals/suites/smoke.jsonl

settings come from PA_* environment variables (see README); e.g. PA_DATABASE_URL."""


KEYS_EPILOG = """examples:
  privacy-assistant keys create --name "desk-alice" --company upward --company sb-cs
  privacy-assistant keys create --name "auditor" --all
  privacy-assistant keys list
  privacy-assistant keys revoke pak_Ab12Cd34

rotation without downtime: create a new key, switch the clients to it, check they work,
then revoke the old key; both keys are valid in between. Keys in PA_DESK_API_KEYS are
bootstrap keys and are checked first."""


class _Parser(argparse.ArgumentParser):
    """Bad usage: one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


if TYPE_CHECKING:  # what `add_subparsers(parser_class=_Parser)` returns: the argument every `AddCommand` gets
    from assistant.desk.tickets import DeskQueue
    from assistant.factory import Resources
    from assistant.storage.keys import SqlKeyStore

    Subcommands = argparse._SubParsersAction[_Parser]
else:
    Subcommands = argparse._SubParsersAction


def _fail(message: str) -> NoReturn:
    print(f"privacy-assistant: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _settings() -> Settings:
    return Settings()


def _resources(settings: Settings, create: bool = False, request_timeouts: bool = False) -> Resources:
    """The resources of PA_DATABASE_URL, migrated to the latest schema. Only `db upgrade` and `serve`
    pass create=True: for any other command a missing SQLite file is a mistyped URL, not a fresh start.
    Maintenance commands run without the per-request timeouts; `ask` answers as a request would."""
    from assistant.factory import build_resources

    return build_resources(settings, create=create, migrate=True, request_timeouts=request_timeouts)


def _assistant(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant, build_embedder

    resources = _resources(settings, request_timeouts=True)  # before the model loads: a missing database fails at once
    embedder = build_embedder(settings)
    resources.index.prepare(embedder, progress=sys.stderr.isatty())
    return build_assistant(settings, embedder, resources)


def cmd_ask(args: argparse.Namespace) -> int:
    """Ask one question in-process, as the API would answer it."""
    assistant = _assistant(_settings())
    reply = assistant.reply(args.question, company=args.company or None, session_id=args.session)
    if args.json:
        data = asdict(reply)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(f"[{reply.route}] {reply.answer}")
        for c in reply.citations:
            print(f"  [{c.id}] {c.company} {c.doc_id} {c.start}-{c.end} §{c.section}")
        if reply.ticket:
            print(f"  ticket {reply.ticket.id} ({reply.ticket.status}); lookup token {reply.ticket.lookup_token}")
        print(f"  session {reply.session_id}")
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    """Rebuild the index from the corpus and swap it in atomically."""
    from assistant.factory import IndexHandle, build_embedder

    settings = _settings()
    manifest = IndexHandle(settings).rebuild(build_embedder(settings), progress=not args.quiet)
    print(
        f"built {manifest.build_id}: {manifest.chunk_count} clauses, {manifest.span_count} passages, "
        f"{len(manifest.companies)} companies in {manifest.build_seconds:.1f}s -> {settings.index_dir}"
    )
    return 0


def cmd_index_status(args: argparse.Namespace) -> int:
    """Show the served build and whether it is stale."""
    from assistant.index.builds import is_stale, read_manifest
    from assistant.ingest.corpus import load_corpus

    settings = _settings()
    manifest = read_manifest(Path(settings.index_dir))
    corpus = load_corpus(Path(settings.corpus_dir))
    reason = is_stale(Path(settings.index_dir), corpus, Path(settings.corpus_dir), manifest.model)
    print(json.dumps({**asdict(manifest), "stale": reason}, indent=2))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply database migrations."""
    _resources(_settings(), create=True)
    print("database is at the latest migration")
    return 0


def _desk_queue(settings: Settings) -> DeskQueue:
    return _resources(settings).desk


def _no_such_ticket(reference: str) -> NoReturn:
    _fail(f"no such ticket {reference!r} (see `privacy-assistant desk list`)")


def cmd_desk_list(args: argparse.Namespace) -> int:
    """List desk tickets."""
    from assistant.desk.tickets import TicketFilter
    from assistant.ingest.corpus import load_companies
    from assistant.vocabulary import REQUEST_TYPES

    settings = _settings()
    # Checked, not just passed on as filters: a typo would list "0 ticket(s)" as if the queue were empty.
    known = sorted(c.id for c in load_companies(Path(settings.corpus_dir)))
    if args.company is not None and args.company not in known:
        _fail(f"unknown company {args.company!r}; valid ids: {', '.join(known)}")
    types = tuple(REQUEST_TYPES)
    if args.type is not None and args.type not in types:
        _fail(f"unknown request type {args.type!r}; valid: {', '.join(types)}")
    where = TicketFilter(
        companies=(args.company,) if args.company else None,
        status=args.status,
        request_type=args.type,
        overdue=True if args.overdue else None,
        include_eval=args.include_eval,
    )
    items, total = _desk_queue(settings).list(where, args.offset, args.limit)
    if args.json:
        print(json.dumps([asdict(t) for t in items], ensure_ascii=False, indent=2))
        return 0
    print(f"{total} ticket(s)")
    for t in items:
        flag = " OVERDUE" if t.overdue else ""
        print(f"{t.reference}  {t.company:16} {t.status:18} {','.join(t.request_types):30} due {t.due_at[:10]}{flag}")
    return 0


def cmd_desk_show(args: argparse.Namespace) -> int:
    """Show one ticket with its audit trail."""
    from assistant.desk.tickets import TicketNotFoundError

    try:
        detail = _desk_queue(_settings()).get(args.reference, actor="cli")
    except TicketNotFoundError:
        _no_such_ticket(args.reference)
    print(json.dumps(asdict(detail), ensure_ascii=False, indent=2))
    return 0


def cmd_desk_set_status(args: argparse.Namespace) -> int:
    """Change a ticket's status (with a note; required for rejected)."""
    from assistant.desk.tickets import TicketNotFoundError

    try:
        detail = _desk_queue(_settings()).set_status(args.reference, args.status, f"cli:{args.actor}", args.note)
    except TicketNotFoundError:
        _no_such_ticket(args.reference)
    print(f"{detail.reference} is now {detail.status}")
    return 0


def cmd_desk_export(args: argparse.Namespace) -> int:
    """Export desk tickets as CSV (UTF-8 with BOM, safe for spreadsheets)."""
    from assistant.desk.csv_export import tickets_csv
    from assistant.desk.tickets import TicketFilter

    where = TicketFilter(companies=(args.company,) if args.company else None, status=args.status)
    items, _ = _desk_queue(_settings()).list(where, 0, 100_000)
    data = tickets_csv(items).encode("utf-8")
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)  # bytes: the BOM and Japanese text whatever the terminal's encoding
        sys.stdout.buffer.flush()
    return 0


def _key_store(settings: Settings) -> SqlKeyStore:
    return _resources(settings).keys


def cmd_keys_create(args: argparse.Namespace) -> int:
    """Create a staff key and print it (the only time it is shown)."""
    from assistant.ingest.corpus import load_companies

    settings = _settings()
    companies = None if args.all else sorted(set(args.company or []))
    if companies is not None:
        if not companies:
            _fail("give --company ID (repeatable) or --all")
        known = {c.id for c in load_companies(Path(settings.corpus_dir))}
        unknown = [c for c in companies if c not in known]
        if unknown:
            _fail(f"unknown company {', '.join(unknown)}; valid ids: {', '.join(sorted(known))}")
    created = _key_store(settings).create(args.name, companies)
    scope = "all companies" if created.info.companies is None else ", ".join(created.info.companies)
    print(created.key)
    print(f"created key {created.info.prefix}… ({created.info.name}) for {scope}; store it now: it is not shown again", file=sys.stderr)
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    """Revoke a staff key by its prefix."""
    info = _key_store(_settings()).revoke(args.prefix)
    print(f"revoked {info.prefix}… ({info.name})")
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    """List staff keys (prefixes only)."""
    keys = _key_store(_settings()).list(include_revoked=not args.active)
    if args.json:
        print(json.dumps([asdict(k) for k in keys], ensure_ascii=False, indent=2))
        return 0
    print(f"{len(keys)} key(s)")
    for k in keys:
        scope = "*" if k.companies is None else "|".join(k.companies)
        state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
        print(f"{k.prefix}…  {k.name:24} {scope:30} created {k.created_at}  {state}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete chat transcripts and closed tickets past their retention."""
    from assistant.storage.retention import purge

    settings = _settings()
    engine = _resources(settings).engine
    counts = purge(engine, settings.transcript_retention_days, settings.ticket_retention_days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{verb}: {counts.sessions} session(s), {counts.turns} turn(s) older than {settings.transcript_retention_days} days; "
        f"{counts.tickets} closed ticket(s) with {counts.ticket_events} event(s) closed over {settings.ticket_retention_days} days ago; "
        f"{counts.rate_limit_windows} old rate-limit window(s); {counts.expired_drafts} expired request draft(s)"
    )
    return 0


def cmd_intent_report(args: argparse.Namespace) -> int:
    """Precision/recall of intent detection on the held-out labelled examples, English then Japanese."""
    from assistant.factory import build_embedder
    from assistant.understand.intent import (
        EmbeddingIntentClassifier,
        evaluate_intents,
        is_held_out,
        load_examples,
        train_intent_weights,
    )

    embedder = build_embedder(_settings())
    examples = load_examples()
    train = [e for e in examples if not is_held_out(e.text)]
    held = [e for e in examples if is_held_out(e.text)]
    classifier = EmbeddingIntentClassifier(embedder, train_intent_weights(train, embedder))
    print(f"trained on {len(train)}, held out {len(held)}")
    print(f"{'class':34} {'precision':>9} {'recall':>7} {'support':>8}")
    for r in evaluate_intents(classifier, held):
        print(f"{r.label:34} {r.precision:9.2f} {r.recall:7.2f} {r.support:8d}")
    _japanese_intent_report()
    return 0


def _japanese_intent_report() -> None:
    """The Japanese classifier trained on its examples and measured on the held-out file written apart from them."""
    from assistant.factory import build_multilingual_embedder
    from assistant.understand.intent import evaluate_intents, load_examples
    from assistant.understand.intent_ja import EXAMPLES_PATH, HELDOUT_PATH, JapaneseIntentClassifier, train_japanese_intent_weights

    embedder = build_multilingual_embedder(_settings())
    train, held = load_examples(EXAMPLES_PATH), load_examples(HELDOUT_PATH)
    classifier = JapaneseIntentClassifier(embedder, train_japanese_intent_weights(train, embedder))
    print(f"\nJapanese ({embedder.name}): trained on {len(train)} ({EXAMPLES_PATH.name}), held out {len(held)} ({HELDOUT_PATH.name})")
    print(f"{'class':34} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for r in evaluate_intents(classifier, held):
        print(f"{r.label:34} {r.precision:9.2f} {r.recall:7.2f} {r.f1:6.2f} {r.support:8d}")


def add_ask(sub: Subcommands) -> None:
    ask = sub.add_parser("ask", help="ask one question", description="Ask one question, answered exactly as the API would.")
    ask.add_argument("question", help="the customer's message, in quotes")
    ask.add_argument("--company", help="company id (see `GET /v1/companies`); omit to infer it from the message")
    ask.add_argument("--session", help="continue a session id printed by an earlier ask")
    ask.add_argument("--json", action="store_true", help="print the full reply as JSON")
    ask.set_defaults(func=cmd_ask)


def add_index(sub: Subcommands) -> None:
    index = sub.add_parser("index", help="build or inspect the search index").add_subparsers(
        dest="index_command", required=True, parser_class=_Parser
    )
    build = index.add_parser(
        "build", help="rebuild from the corpus", description="Chunk, embed and index every policy; the new build is swapped in atomically."
    )
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=cmd_index_build)
    status = index.add_parser("status", help="show the served build and whether it is stale")
    status.set_defaults(func=cmd_index_status)


def add_db(sub: Subcommands) -> None:
    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)


def add_desk(sub: Subcommands) -> None:
    desk = sub.add_parser("desk", help="work the privacy-desk queue").add_subparsers(
        dest="desk_command", required=True, parser_class=_Parser
    )
    dl = desk.add_parser("list", help="list tickets")
    dl.add_argument("--company")
    dl.add_argument("--status", choices=STATUSES)
    dl.add_argument("--type", help="request type, e.g. deletion")
    dl.add_argument("--overdue", action="store_true", help="only open tickets past their due date")
    dl.add_argument("--offset", type=int, default=0)
    dl.add_argument("--limit", type=int, default=50)
    dl.add_argument("--include-eval", action="store_true", help="also list evaluation tickets (opened by `eval --api --allow-tickets`)")
    dl.add_argument("--json", action="store_true")
    dl.set_defaults(func=cmd_desk_list)
    ds = desk.add_parser("show", help="one ticket with its audit trail")
    ds.add_argument("reference", help="e.g. PRQ-000123")
    ds.set_defaults(func=cmd_desk_show)
    dss = desk.add_parser("set-status", help="change a ticket's status")
    dss.add_argument("reference")
    dss.add_argument("status", choices=SETTABLE_STATUSES)
    dss.add_argument("--note", default="", help="why (required for rejected)")
    dss.add_argument("--actor", default=os.environ.get("USER", "staff"), help="who is making the change")
    dss.set_defaults(func=cmd_desk_set_status)
    de = desk.add_parser("export", help="tickets as CSV for a spreadsheet (UTF-8 with BOM)")
    de.add_argument("--company")
    de.add_argument("--status", choices=STATUSES)
    de.add_argument("-o", "--output", help="file to write (default: standard output)")
    de.set_defaults(func=cmd_desk_export)


def add_keys(sub: Subcommands) -> None:
    keys = sub.add_parser(
        "keys",
        help="staff API keys kept in the database",
        description="Staff API keys for /v1/desk, /v1/search and the console, stored as SHA-256 hashes.",
        epilog=KEYS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).add_subparsers(dest="keys_command", required=True, parser_class=_Parser)
    kc = keys.add_parser(
        "create", help="create a key (printed once)", epilog=KEYS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    kc.add_argument("--name", required=True, help="who or what uses the key (shown in audit trails)")
    scope = kc.add_mutually_exclusive_group(required=True)
    scope.add_argument("--company", action="append", help="a company the key may see (repeatable)")
    scope.add_argument("--all", action="store_true", help="the key may see every company")
    kc.set_defaults(func=cmd_keys_create)
    kr = keys.add_parser(
        "revoke", help="revoke a key by its prefix", epilog=KEYS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    kr.add_argument("prefix", help="the prefix `keys list` shows, e.g. pak_Ab12Cd34")
    kr.set_defaults(func=cmd_keys_revoke)
    kl = keys.add_parser("list", help="list keys (prefixes only, never the keys)")
    kl.add_argument("--active", action="store_true", help="hide revoked keys")
    kl.add_argument("--json", action="store_true")
    kl.set_defaults(func=cmd_keys_list)


def add_purge(sub: Subcommands) -> None:
    pg = sub.add_parser(
        "purge",
        help="delete transcripts and closed tickets past retention",
        description="Delete chat sessions idle over PA_TRANSCRIPT_RETENTION_DAYS (default 30) with their turns, and "
        "tickets closed over PA_TICKET_RETENTION_DAYS (default 365) ago with their audit trail. Run it daily.",
    )
    pg.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    pg.set_defaults(func=cmd_purge)


def add_intent(sub: Subcommands) -> None:
    intent = sub.add_parser("intent", help="intent classifier tools").add_subparsers(
        dest="intent_command", required=True, parser_class=_Parser
    )
    intent.add_parser("report", help="precision/recall on held-out examples").set_defaults(func=cmd_intent_report)


AddCommand = Callable[[Subcommands], None]
"""The registration hook: a function that adds one subcommand (and sets its `func`) to the parser's subcommands."""

# The commands the library itself provides. The full `privacy-assistant` program (privacy_assistant/cli.py)
# adds `serve` (from the HTTP layer) and `eval` (from the evals) between them; `assistant` imports neither.
CORE_COMMANDS: tuple[AddCommand, ...] = (add_ask, add_index, add_db, add_desk, add_keys, add_purge, add_intent)


def build_parser(commands: Sequence[AddCommand] = CORE_COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with `commands` registered in order (also used to render --help in the README)."""
    parser = _Parser(
        prog="privacy-assistant",
        description="Answers questions from a company's privacy policy with verbatim "
        "citations, and routes formal requests to its privacy desk.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in commands:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None, commands: Sequence[AddCommand] = CORE_COMMANDS) -> int:
    """Parse `argv` against `commands` and run the chosen one (the console script passes every command)."""
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    from assistant.logctx import install_log_record_factory

    install_log_record_factory()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s [%(request_id)s]: %(message)s"
    )
    try:
        return int(args.func(args))
    except AssistantError as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:  # e.g. PostgreSQL down: one line, no traceback with parameters
        _fail(f"database unavailable: {type(exc).__name__}; check PA_DATABASE_URL")
    except ValidationError as exc:  # a bad PA_* setting; the value itself (maybe a key) is never printed
        _fail(settings_error_line(exc))
    except FileNotFoundError as exc:
        _fail(f"file not found: {exc.filename}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
