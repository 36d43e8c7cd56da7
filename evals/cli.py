"""`privacy-assistant eval`: run suites (and SQuAD files), print a table, write results.json and report.html.

In-process (the default) the assistant is built once from settings: the served index is built
first if it is missing or stale (as `serve` does), and replies go to a temporary SQLite database
so eval sessions and request drafts never reach the served one; webhooks are switched off. With
`--corpus DIR` that folder is indexed into a temporary directory instead, leaving the served index
alone. Without `--corpus`, a suite whose header names a corpus other than the served one runs on an
index of that corpus kept under `<index_dir>/suites/<corpus hash>` (rebuilt only when stale). `--half`
runs only the dev or test half of every suite (by a stable hash of the item id). With `--api URL`
a running server answers over HTTP (ranking metrics then use the order of its citations); as the
suite's sessions and its formal-request items' request drafts are then kept in that server's database,
it needs `--allow-tickets`. An evaluation never submits a draft, so it opens no desk ticket.
Answers are extractive (PA_LLM_BACKEND is ignored) unless `--llm` is given: then, in-process only, the
PA_LLM_* chat model phrases them, and each suite also reports the generated summaries.
Exit status: 1 when a suite's declared `min_scores` fail, 2 on bad input, else 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evals import report
from evals.runner import (
    ItemOutcome,
    Responder,
    ServerUnavailableError,
    check_min_scores,
    check_server,
    in_process,
    over_http,
    run_items,
    summarize,
    summarize_phrasing,
)
from evals.squad import SquadOutcome, SquadSet, console_squad, load_squad, run_squad
from evals.suite import HALVES, Suite, load_suite, select_half, suite_corpus

DEFAULT_SUITE = Path(__file__).resolve().parent / "suites" / "gold.jsonl"


def _err(message: str) -> None:
    print(f"privacy-assistant eval: {message}", file=sys.stderr)


def _bar(total: int, desc: str, show: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="item", file=sys.stderr, disable=not show, leave=False)


def _ticker(bar: Any) -> Any:
    """A per-item callback that advances the progress bar."""

    def tick(_outcome: object) -> None:
        bar.update(1)

    return tick


def suite_index_dir(settings: Any, corpus: Path) -> Path:
    """Where the index of a suite's own corpus is kept: `<index_dir>/suites/<hash of the corpus path>`."""
    digest = hashlib.sha256(str(corpus.resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(settings.index_dir) / "suites" / digest


def prepare_in_process(
    settings: Any, embedder: Any, corpus: Path | None, tmp: Path, progress: bool, keep_index: bool = False
) -> tuple[Any, Any]:
    """Settings and resources for an in-process eval: the index ready (served; for `corpus` a temporary
    one, or with `keep_index` one reused from `suite_index_dir` while it is fresh), a fresh temporary
    SQLite database migrated to head, and no webhooks."""
    from assistant.factory import build_resources

    label = "index"  # what is announced when it had to be built; empty for a temporary index, always built
    if corpus is not None:
        if not (corpus / "companies.toml").is_file():
            raise FileNotFoundError(2, "no companies.toml in the corpus folder", str(corpus / "companies.toml"))
        # The suite's own index (or a temporary one): built when missing or stale, whatever
        # PA_AUTO_BUILD_INDEX says, since nothing serves it.
        index_dir = suite_index_dir(settings, corpus) if keep_index else tmp / "index"
        settings = settings.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir, "auto_build_index": True})
        label = f"index of {corpus}" if keep_index else ""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp / 'eval.db'}", "database_schema": None, "desk_webhooks": ""})
    resources = build_resources(settings, migrate=True)
    reason = resources.index.prepare(embedder, progress=progress)
    if reason and label:
        print(f"{label} rebuilt ({reason})", file=sys.stderr)
    return settings, resources


def run_suite(
    suite: Suite, respond: Responder, corpus: Any, show: bool = False, half: str = "all", llm: bool = False
) -> tuple[list[ItemOutcome], dict[str, Any]]:
    """Run one suite (or one half of it); its outcomes and the JSON-able run record (summary, checks, items;
    with `llm`, also the generated summaries' figures and each item's verdicts)."""
    chosen = select_half(suite.items, half)
    bar = _bar(len(chosen), suite.header.name, show)
    try:
        outcomes = run_items(chosen, respond, corpus, on_item=_ticker(bar))
    finally:
        bar.close()
    summary = summarize(outcomes)
    if llm:
        summary["phrasing"] = summarize_phrasing(outcomes)
    items = {i.id: i for i in chosen}
    topics = report.by_topic(outcomes)
    record = {
        "name": suite.header.name,
        "path": suite.path,
        "half": half,
        "description": suite.header.description,
        "min_scores": dict(suite.header.min_scores),
        "min_score_failures": check_min_scores(suite, summary),
        "summary": summary,
        "by_topic": topics,
        "failure_patterns": report.failure_patterns(outcomes),
        "items": [report.item_record(o, items[o.id], phrasing=llm) for o in outcomes],
    }
    return outcomes, record


def _squad_record(squad: SquadSet, outcomes: list[SquadOutcome], summary: dict[str, Any]) -> dict[str, Any]:
    from dataclasses import asdict

    return {"name": Path(squad.path).stem, "path": squad.path, "summary": summary, "items": [asdict(o) for o in outcomes]}


def corpus_of(suite: Suite, corpus_arg: Path | None, served: Path) -> Path | None:
    """The corpus a suite runs on: `--corpus` if given, else its header's; None means the served corpus."""
    if corpus_arg is not None:
        return corpus_arg
    named = suite_corpus(suite.header)
    if named is None or named == served.resolve():
        return None
    return named


def report_folder(report_dir: Path, name: str, taken: set[str]) -> Path:
    """A subfolder of the report for one suite, named after it (made unique)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "suite"
    folder, n = base, 2
    while folder in taken:
        folder, n = f"{base}-{n}", n + 1
    taken.add(folder)
    return report_dir / folder


def run(args: argparse.Namespace) -> int:
    """Run the suites and SQuAD files named by the parsed `eval` arguments; the exit code."""
    from assistant.settings import Settings

    started = time.perf_counter()
    suite_paths: list[Path] = list(getattr(args, "suite", None) or [])
    squad_paths: list[Path] = list(getattr(args, "squad", None) or [])
    api: str | None = getattr(args, "api", None)
    corpus_arg: Path | None = getattr(args, "corpus", None)
    report_dir = Path(getattr(args, "report", None) or "reports/eval")
    half: str = getattr(args, "half", None) or "all"
    if half not in HALVES:
        _err(f"unknown --half {half!r}: choose dev, test or all")
        return 2
    if not suite_paths and not squad_paths:
        suite_paths = [DEFAULT_SUITE]
    if api and squad_paths:
        _err("--squad runs in-process only (it indexes a temporary corpus); drop --api")
        return 2
    llm = bool(getattr(args, "llm", False))
    if api and llm:
        _err("--llm runs in-process only (the HTTP reply carries no verdicts); drop --api")
        return 2
    if api and not getattr(args, "allow_tickets", False):
        _err(
            f"--api sends the suite to the live server at {api}, whose database keeps its sessions and its formal-request "
            "items' request drafts (none is submitted, so no desk ticket is opened); add --allow-tickets to accept that"
        )
        return 2
    try:
        suites = [load_suite(p) for p in suite_paths]
        squads = [load_squad(p) for p in squad_paths]
    except FileNotFoundError as exc:
        _err(f"file not found: {exc.filename}")
        return 2
    except (ValueError, OSError) as exc:
        _err(str(exc))
        return 2

    if api:
        try:
            check_server(api)
        except ServerUnavailableError as exc:
            _err(str(exc))
            return 2

    settings = _settings(Settings, llm, getattr(args, "llm_base_url", None), getattr(args, "llm_model", None))
    if settings is None:
        return 2
    served = Path(settings.corpus_dir)
    corpora = [corpus_of(s, corpus_arg, served) for s in suites]
    for suite, named in zip(suites, corpora, strict=True):
        if named is not None and not (named / "companies.toml").is_file():
            where = "--corpus" if corpus_arg is not None else f"suite {suite.header.name} names corpus"
            _err(f"{where} {named}: no companies.toml there")
            return 2
    show = sys.stderr.isatty()
    meta: dict[str, Any] = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "half": half}
    if llm:
        meta["llm"] = f"{settings.llm_model} at {settings.llm_base_url} (timeout {settings.llm_timeout_s:g} s)"
    suite_runs: list[tuple[Suite, list[ItemOutcome], dict[str, Any]]] = []
    squad_runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pa-eval-") as tmp_name:
        tmp = Path(tmp_name)
        embedder = None
        if suites:
            if api:
                meta.update(mode=f"HTTP {api} (ranking = citation order)")
                print(
                    "note: over --api the ranking is the reply's citation order (nothing when it abstains), so retrieval "
                    "metrics read lower than in-process and retrieval min_scores are calibrated in-process",
                    file=sys.stderr,
                )
            else:
                from assistant.factory import build_embedder

                embedder = build_embedder(settings)
                meta.update(
                    mode="in-process (ranking = evidence passages, then the other retrieved clauses)",
                    database="temporary SQLite per corpus (discarded after the run)",
                )
            # One assistant per corpus, built when its first suite comes up.
            prepared: dict[Path | None, tuple[Responder, Any, dict[str, Any]]] = {}
            for suite, named in zip(suites, corpora, strict=True):
                if named not in prepared:
                    prepared[named] = _responder(settings, embedder, api, named, corpus_arg, tmp / f"corpus-{len(prepared)}", show)
                respond, corpus, placed = prepared[named]
                outcomes, record = run_suite(suite, respond, corpus, show, half, llm)
                record.update(placed)
                suite_runs.append((suite, outcomes, record))
                print(
                    report.console_suite(
                        record["name"],
                        record["path"],
                        record["summary"],
                        record["min_score_failures"],
                        record["min_scores"],
                        half=half,
                        corpus=record["corpus"],
                    )
                )
                print(report.console_patterns(record["failure_patterns"]))
                print()
            meta["corpus"] = "; ".join(dict.fromkeys(str(w["corpus"]) for _, _, w in prepared.values()))
            builds = {w["index_build"] for _, _, w in prepared.values() if w.get("index_build")}
            models = {w["model"] for _, _, w in prepared.values() if w.get("model")}
            if builds:
                meta["index_build"] = "; ".join(sorted(builds))
            if models:
                meta["model"] = "; ".join(sorted(models))
        for number, squad in enumerate(squads):
            if embedder is None:
                from assistant.factory import build_embedder

                embedder = build_embedder(settings)
            n = sum(len(p.questions) for p in squad.policies)
            bar = _bar(n, Path(squad.path).stem, show)
            try:
                s_outcomes, s_summary = run_squad(squad, settings, embedder, tmp / f"squad-{number}", progress=show, on_item=_ticker(bar))
            finally:
                bar.close()
            squad_runs.append(_squad_record(squad, s_outcomes, s_summary))
            print(console_squad(Path(squad.path).stem, squad.path, s_summary))
            print()

    meta["seconds"] = round(time.perf_counter() - started, 1)
    write_report(report_dir, meta, suite_runs, squad_runs)
    taken: set[str] = set()
    for run_entry in suite_runs:
        folder = report_folder(report_dir, run_entry[2]["name"], taken)
        write_report(folder, {**meta, "corpus": run_entry[2]["corpus"]}, [run_entry], [])
    failed = [(suite.header.name, f) for suite, _, record in suite_runs for f in record["min_score_failures"]]
    print(f"wrote {report_dir / 'results.json'} and {report_dir / 'report.html'} ({meta['seconds']} s)")
    if failed:
        for name, f in failed:
            print(f"min_scores FAILED in suite {name}: {f}", file=sys.stderr)
        return 1
    return 0


def _settings(settings_type: Any, llm: bool, base_url: str | None, model: str | None) -> Any:
    """The run's settings, or None after saying why they will not do. Without `llm` phrasing is off whatever
    PA_LLM_BACKEND says, so the extractive figures stay comparable; with it a chat model must be named
    (`--llm-base-url`/`--llm-model` stand in for PA_LLM_BASE_URL/PA_LLM_MODEL, and imply PA_LLM_BACKEND=openai)."""
    from pydantic import ValidationError

    overrides: dict[str, Any] = {"llm_backend": "none"} if not llm else {}
    if llm and (base_url or model):
        overrides = {"llm_backend": "openai"}
        overrides.update({k: v for k, v in (("llm_base_url", base_url), ("llm_model", model)) if v})
    try:
        settings = settings_type(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        _err(f"{'.'.join(str(x) for x in first['loc']) or 'settings'}: {first['msg']}")
        return None
    if llm and settings.llm_backend == "none":
        _err(
            "--llm needs a chat model: set PA_LLM_BACKEND=openai, PA_LLM_BASE_URL and PA_LLM_MODEL (or pass --llm-base-url and --llm-model)"
        )
        return None
    return settings


def _responder(
    settings: Any, embedder: Any, api: str | None, named: Path | None, corpus_arg: Path | None, tmp: Path, show: bool
) -> tuple[Responder, Any, dict[str, Any]]:
    """The responder for suites on one corpus (`named`, None = served), the loaded corpus, and where it ran."""
    from assistant.ingest.corpus import load_corpus

    if api:
        corpus_dir = Path(named or settings.corpus_dir)
        return over_http(api), load_corpus(corpus_dir), {"corpus": str(corpus_dir)}
    from assistant.factory import build_assistant
    from assistant.index.builds import read_manifest

    local, resources = prepare_in_process(settings, embedder, named, tmp, show, keep_index=corpus_arg is None)
    manifest = read_manifest(Path(local.index_dir))
    label = "served index" if named is None else ("temporary index" if corpus_arg is not None else f"index {local.index_dir}")
    where = {
        "corpus": f"{local.corpus_dir} ({label})",
        "index_build": manifest.build_id,
        "model": manifest.model,
    }
    return in_process(build_assistant(local, embedder, resources)), load_corpus(Path(local.corpus_dir)), where


def write_report(
    report_dir: Path,
    meta: dict[str, Any],
    suite_runs: list[tuple[Suite, list[ItemOutcome], dict[str, Any]]],
    squad_runs: list[dict[str, Any]],
) -> None:
    """results.json (summaries and per-item outcomes) and the self-contained report.html."""
    report_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "meta": meta,
        "passed": not any(r["min_score_failures"] for _, _, r in suite_runs),
        "suites": [r for _, _, r in suite_runs],
        "squad": squad_runs,
    }
    (report_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    sections = []
    for suite, outcomes, record in suite_runs:
        record_with_charts = {**record, "charts": report.suite_charts(record["summary"], record["by_topic"])}
        sections.append(report.suite_html(record_with_charts, {i.id: i for i in suite.items}, outcomes))
    for run_record in squad_runs:
        sections.append(report.squad_html({**run_record, "charts": report.squad_charts(run_record["summary"])}))
    (report_dir / "report.html").write_text(report.page("privacy-assistant eval report", meta, sections), encoding="utf-8")
