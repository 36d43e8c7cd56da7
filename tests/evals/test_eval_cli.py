"""`privacy-assistant eval` end to end with the hash embedder: temporary index and database,
results.json, an escaped report.html, and min_scores gating the exit code."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from assistant.answering.phrasing import Phraser
from assistant.models.embedders import Embedder

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"

ITEMS = [
    {
        "id": "up-fee",
        "company": "upward",
        "turns": ["How much is the fee for a disclosure request?"],
        "expected_route": "answer",
        "gold_quotes": ["1,000 yen"],
        "facts": [["1,000 yen"]],
        "topic": "fees",
    },
    {
        "id": "xss",
        "company": "highreso",
        "turns": ["<script>alert(1)</script> what is the weather <b>today</b>?"],
        "expected_route": "answer",
        "gold_quotes": [],
        "facts": [["<i>never</i>"]],
        "topic": "off_topic",
    },
    {"id": "who", "turns": ["Can you tell me what data you collect?"], "expected_route": "clarify", "topic": "clarify"},
]


def _suite(tmp_path: Path, min_scores: dict[str, float]) -> Path:
    path = tmp_path / "tiny.jsonl"
    lines = [json.dumps({"_suite": {"name": "tiny", "min_scores": min_scores}})] + [json.dumps(i) for i in ITEMS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hash_model(hash_embedder: Embedder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The eval command builds the hash embedder; a served database path that must stay untouched."""
    import assistant.factory

    monkeypatch.setattr(assistant.factory, "build_embedder", lambda settings: hash_embedder)
    served_db = tmp_path / "served.db"
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{served_db}")
    monkeypatch.setenv("PA_INDEX_DIR", str(tmp_path / "served-index"))
    return served_db


# What results.json holds per suite and per item without --llm: pinned, so phrasing adds nothing there.
SUMMARY_KEYS = {"items", "errors", "retrieval", "citations", "answers", "routing", "abstention", "latency_ms"}
ITEM_KEYS = {
    "id", "company", "topic", "tags", "question", "expected_route", "route", "answer", "expected_types", "types", "facts",
    "facts_ok", "citations", "relevance", "n_gold", "isolation_violations", "seconds", "error", "turns", "gold_quotes",
    "route_ok", "hit_at_5", "failures",
}  # fmt: skip


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """PA_LLM_BACKEND=openai in the environment, served by the shipped fake phraser (the first sentence of
    passage [1]); the backend each assistant the run built was given."""
    import assistant.factory
    from assistant.settings import Settings
    from assistant.testing.fakes import fake_phraser

    backends: list[str] = []

    def build_phraser(settings: Settings) -> Phraser | None:
        backends.append(settings.llm_backend)
        return fake_phraser() if settings.llm_backend == "openai" else None

    monkeypatch.setenv("PA_LLM_BACKEND", "openai")
    monkeypatch.setenv("PA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("PA_LLM_MODEL", "fake")
    monkeypatch.setattr(assistant.factory, "build_phraser", build_phraser)
    return backends


def test_eval_on_a_corpus_folder(tmp_path: Path, hash_model: Path, fake_llm: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """One run (indexing is the slow part): results.json, escaped report.html, min_scores gate the exit code;
    without --llm nothing is phrased, though PA_LLM_BACKEND names a model."""
    from evals import cli

    out = tmp_path / "report"
    suite = _suite(tmp_path, {"isolation_violations": 0, "route_accuracy": 1.01})
    args = argparse.Namespace(suite=[suite], api=None, report=out, corpus=CORPUS, squad=None)
    assert cli.run(args) == 1  # route_accuracy can never reach 1.01
    captured = capsys.readouterr()
    assert "== suite tiny" in captured.out and "Hit@5" in captured.out and "confusion" in captured.out
    assert "phrasing" not in captured.out
    assert "FAIL route_accuracy" in captured.out and "route_accuracy" in captured.err
    assert "isolation_violations" not in captured.err
    # Neither the served database nor the served index was touched.
    assert not hash_model.exists()
    assert not (tmp_path / "served-index").exists()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    run = results["suites"][0]
    assert results["passed"] is False and run["min_score_failures"] == [
        f"route_accuracy = {run['summary']['routing']['accuracy']:.3f} < 1.01"
    ]
    assert run["summary"]["items"] == 3
    assert set(run["summary"]) == SUMMARY_KEYS and all(set(i) == ITEM_KEYS for i in run["items"])
    assert "llm" not in results["meta"] and fake_llm == ["none"]
    assert {i["id"] for i in run["items"]} == {"up-fee", "xss", "who"}
    assert all("turns" in i and "failures" in i for i in run["items"])
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 3
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<i>never</i>" not in page and "&lt;i&gt;never&lt;/i&gt;" in page
    # No item went to the desk: its latency is missing, not 0 ms, in results.json and the page.
    assert run["summary"]["latency_ms"]["desk"] == {"p50": None, "p95": None, "n": 0}
    assert "<tr><td class=l>desk</td><td>-</td><td>-</td><td>0</td></tr>" in page


def test_bad_suite_file_exits_2(tmp_path: Path) -> None:
    from evals import cli

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "turns": [], "expected_route": "answer"}\n', encoding="utf-8")
    args = argparse.Namespace(suite=[bad], api=None, report=tmp_path / "r", corpus=None, squad=None)
    assert cli.run(args) == 2


def test_header_corpus_half_and_a_report_folder_per_suite(tmp_path: Path, hash_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A suite naming its own corpus runs on an index of it kept under <index_dir>/suites/ (reused while
    fresh), --half dev runs only the dev items, and each suite gets its own report folder."""
    import shutil

    from evals import cli
    from evals.suite import half_of

    corpus = tmp_path / "own-corpus"
    shutil.copytree(CORPUS, corpus)
    path = tmp_path / "own.jsonl"
    header = {"_suite": {"name": "own", "corpus": str(corpus)}}
    path.write_text("\n".join([json.dumps(header)] + [json.dumps(i) for i in ITEMS]) + "\n", encoding="utf-8")
    out = tmp_path / "report"
    args = argparse.Namespace(suite=[path], api=None, report=out, corpus=None, squad=None, half="dev")
    assert cli.run(args) == 0
    first = capsys.readouterr()
    assert "== suite own" in first.out and "dev half" in first.out and "rebuilt" in first.err
    suites_dir = tmp_path / "served-index" / "suites"
    assert [p.name for p in (tmp_path / "served-index").iterdir()] == ["suites"]  # the served index was not built
    assert len(list(suites_dir.iterdir())) == 1
    dev = {i["id"] for i in ITEMS if half_of(i["id"]) == "dev"}
    for folder in (out, out / "own"):
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        run = results["suites"][0]
        assert run["half"] == "dev" and {i["id"] for i in run["items"]} == dev
        assert str(corpus) in run["corpus"] and "dev half" in (folder / "report.html").read_text(encoding="utf-8")
    # A second run reuses the suite's index: nothing is rebuilt.
    assert cli.run(args) == 0
    assert "rebuilt" not in capsys.readouterr().err


def test_a_suite_naming_a_missing_corpus_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals import cli

    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"_suite": {"name": "s", "corpus": str(tmp_path / "nowhere")}}) + "\n", encoding="utf-8")
    args = argparse.Namespace(suite=[path], api=None, report=tmp_path / "r", corpus=None, squad=None, half="all")
    assert cli.run(args) == 2
    assert "no companies.toml" in capsys.readouterr().err


def test_unknown_half_exits_2(tmp_path: Path) -> None:
    from evals import cli

    args = argparse.Namespace(suite=[_suite(tmp_path, {})], api=None, report=tmp_path / "r", corpus=None, squad=None, half="x")
    assert cli.run(args) == 2


def test_eval_llm_reports_the_generated_summaries(
    tmp_path: Path, hash_model: Path, fake_llm: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """With --llm the PA_LLM_* model phrases the answers: per suite, the sentences kept and dropped by reason,
    phraser failures, and fact accuracy of the summary alone, in the console, results.json and report.html."""
    from evals import cli

    out = tmp_path / "report"
    args = argparse.Namespace(suite=[_suite(tmp_path, {})], api=None, report=out, corpus=CORPUS, squad=None, llm=True)
    assert cli.run(args) == 0
    assert fake_llm == ["openai"]
    printed = capsys.readouterr().out
    assert "phrasing   (n=" in printed and "summary fact accuracy" in printed and "phraser failures: timeout 0" in printed
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["meta"]["llm"].startswith("fake at http://127.0.0.1:9/v1")
    run = results["suites"][0]
    p = run["summary"]["phrasing"]
    items = {i["id"]: i for i in run["items"]}
    phrased = [i for i in run["items"] if i["phrasing"]]
    assert p["replies"] == len(phrased) >= 1 and p["sentences"] == sum(len(i["phrasing"]["verdicts"]) for i in phrased)
    assert p["kept"] + sum(p["dropped"].values()) == pytest.approx(1.0)
    assert p["failures"] == {"timeout": 0, "error": 0, "refusal": 0, "empty": 0}
    assert p["fact_items"] == 2  # up-fee and xss: the answer items with facts
    # The fake quotes passage [1]'s first sentence: kept, shown above the quotes, and counted for its facts.
    fee = items["up-fee"]["phrasing"]
    assert fee["verdicts"][0]["kept"] and items["up-fee"]["answer"].startswith(fee["summary"])
    stated = "1,000 yen" in fee["summary"]
    assert p["summary_fact_accuracy"] == pytest.approx((1.0 if stated else 0.0) / 2)
    assert items["who"]["phrasing"] is None  # a clarification is never phrased
    assert "Generated summaries" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("env", "flags", "message"),
    [
        ({}, {}, "--llm needs a chat model: set PA_LLM_BACKEND=openai"),
        ({}, {"llm_model": "gemma"}, "PA_LLM_BACKEND=openai needs PA_LLM_BASE_URL"),
        ({}, {"llm_base_url": "ftp://x", "llm_model": "gemma"}, "not an http(s) URL"),
        ({"PA_LLM_BACKEND": "openai", "PA_LLM_BASE_URL": "http://h/v1", "PA_LLM_MODEL": "m"}, {"api": "http://h"}, "in-process only"),
    ],
)
def test_eval_llm_without_a_usable_model_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    flags: dict[str, str],
    message: str,
) -> None:
    from evals import cli

    for name in ("PA_LLM_BACKEND", "PA_LLM_BASE_URL", "PA_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = argparse.Namespace(
        suite=[_suite(tmp_path, {})], report=tmp_path / "r", corpus=None, squad=None, llm=True, **{"api": None, **flags}
    )
    assert cli.run(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
