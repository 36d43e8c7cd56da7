"""Unit tests of the bench's older-commit comparison (--baseline-ref): the interleaving, the
ratio, the n/a paths and the temporary worktree. No model, no server, no timings."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from evals import bench
from evals.bench_http import ROOT, code_env
from evals.bench_lib import ab_compare, ab_schedule, one_line
from evals.bench_ref import ref_worktree, resolve_ref


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with two commits (tagged first and second)."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    for name in ("first", "second"):
        (path / "file.txt").write_text(name + "\n", encoding="utf-8")
        _git(path, "add", "file.txt")
        _git(path, "commit", "-q", "-m", name)
        _git(path, "tag", name)
    return path


# -- interleaving and ratio ------------------------------------------------------------------
def test_schedule_gives_each_server_every_message_once_in_order_and_alternates_who_goes_first() -> None:
    schedule = ab_schedule(5)
    assert schedule == [("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2), ("b", 3), ("a", 3), ("a", 4), ("b", 4)]
    for side in ("a", "b"):
        assert [i for s, i in schedule if s == side] == list(range(5))
    firsts = [schedule[2 * i][0] for i in range(5)]
    assert firsts.count("a") == 3 and firsts.count("b") == 2  # as even as an odd count allows


def test_schedule_in_rounds_of_several_messages() -> None:
    schedule = ab_schedule(5, round_size=2)
    assert schedule == [("a", 0), ("a", 1), ("b", 0), ("b", 1), ("b", 2), ("b", 3), ("a", 2), ("a", 3), ("a", 4), ("b", 4)]
    assert ab_schedule(0) == []
    with pytest.raises(ValueError):
        ab_schedule(3, round_size=0)


def test_compare_reports_p50_of_each_side_and_their_ratio() -> None:
    current = [0.010, 0.012, 0.014, 0.100]  # p50 13 ms
    baseline = [0.020, 0.024, 0.028, 0.030]  # p50 26 ms
    out = ab_compare(current, baseline)
    assert out["current"]["p50_ms"] == pytest.approx(13.0)
    assert out["baseline"]["p50_ms"] == pytest.approx(26.0)
    assert out["ratio_p50"] == 0.5
    assert out["ratio_p95"] == pytest.approx(round(out["current"]["p95_ms"] / out["baseline"]["p95_ms"], 3))
    assert out["reason"] is None


def test_compare_gives_no_ratio_over_errors_or_nothing() -> None:
    out = ab_compare([0.01, 0.02], [0.01, 0.02], current_errors=0, baseline_errors=2)
    assert out["ratio_p50"] is None and out["reason"] == "baseline server answered 2 error(s)"
    assert ab_compare([], [0.01])["reason"] == "no current measurement"
    assert ab_compare([0.01], [])["ratio_p50"] is None


def test_one_line_keeps_the_first_and_last_line() -> None:
    assert one_line("server exited with 1:\n  Traceback ...\n\nModuleNotFoundError: No module named 'x'\n") == (
        "server exited with 1: ... ModuleNotFoundError: No module named 'x'"
    )
    assert one_line('server could not load: {"status":"error"}\nINFO: 127.0.0.1:5 - "GET /readyz HTTP/1.1" 503') == (
        'server could not load: {"status":"error"}'
    )
    assert one_line("  one   line ") == "one line"
    assert one_line("") == "unknown error"
    assert len(one_line("x" * 1000, limit=50)) == 50


# -- targets ---------------------------------------------------------------------------------
def _res(ref: dict[str, Any], dev: dict[str, Any]) -> dict[str, Any]:
    return {"ratios": {"inproc_p50": 0.4}, "build": {"ours": {"seconds": 5.0}, "dev_corpus": dev}, "baseline_ref": ref}


def _row(rows: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return next(r for r in rows if r["target"].startswith(prefix))


def test_targets_keep_the_old_rows_and_add_the_ratio_to_the_older_commit() -> None:
    rows = bench.targets(_res({"ref": "aedb23e", "ratio_p50": 1.1, "reason": None}, {"seconds": 12.0}))
    names = [r["target"] for r in rows]
    assert "in-process p50 ours/baseline" in names and "HTTP p50 at concurrency 1" in names
    assert "index build, five policies" in names
    ref = _row(rows, "HTTP c=1 p50 current/aedb23e")
    assert (ref["value"], ref["limit"], ref["op"], ref["verdict"]) == (1.1, 1.2, "<=", "PASS")
    assert "reason" not in ref
    assert _row(rows, "index build, Mozilla dev corpus")["verdict"] == "PASS"
    assert _row(bench.targets(_res({"ref": "aedb23e", "ratio_p50": 1.3}, {"seconds": 31.0})), "HTTP c=1")["verdict"] == "FAIL"
    assert _row(bench.targets(_res({"ref": "aedb23e", "ratio_p50": 1.3}, {"seconds": 31.0})), "index build, Mozilla")["verdict"] == "FAIL"


def test_an_unmeasured_ref_or_dev_corpus_is_na_with_its_reason_not_fail() -> None:
    rows = bench.targets(
        _res({"ref": "aedb23e", "ratio_p50": None, "reason": "commit aedb23e is not in this clone"}, {"reason": "no dev corpus"})
    )
    ref = _row(rows, "HTTP c=1 p50 current/aedb23e")
    assert ref["verdict"] == "n/a" and ref["reason"] == "commit aedb23e is not in this clone"
    dev = _row(rows, "index build, Mozilla dev corpus")
    assert dev["verdict"] == "n/a" and dev["reason"] == "no dev corpus"


# -- the option and the section's n/a paths ----------------------------------------------------
def test_baseline_ref_option() -> None:
    parse = bench.build_parser().parse_args
    assert bench.make_plan(parse(["--out", "x"])).baseline_ref == "aedb23e"
    assert bench.make_plan(parse(["--out", "x", "--baseline-ref", "none"])).baseline_ref is None
    assert bench.make_plan(parse(["--out", "x", "--quick", "--baseline-ref", "v1.0"])).baseline_ref == "v1.0"


def test_section_says_na_for_none_and_for_a_ref_this_clone_lacks(tmp_path: Path) -> None:
    plan = bench.make_plan(bench.build_parser().parse_args(["--out", "x", "--quick", "--baseline-ref", "none"]))
    out = bench.baseline_ref_section(plan, tmp_path, tmp_path / "index")
    assert out["status"] == "n/a" and out["reason"] == "skipped (--baseline-ref none)" and out.get("ratio_p50") is None
    plan = bench.make_plan(bench.build_parser().parse_args(["--out", "x", "--quick", "--baseline-ref", "no-such-ref-0123"]))
    out = bench.baseline_ref_section(plan, tmp_path, tmp_path / "index")
    assert out["status"] == "n/a" and out.get("ratio_p50") is None
    assert "no-such-ref-0123" in out["reason"] and "\n" not in out["reason"]
    assert not (tmp_path / "baseline-ref").exists()  # nothing was checked out


def test_resolve_ref_names_a_shallow_clone(repo: Path, tmp_path: Path) -> None:
    first = _git(repo, "rev-parse", "first")
    assert resolve_ref("first", repo=repo) == (first, None)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow)], check=True, capture_output=True)
    commit, reason = resolve_ref(first[:7], repo=shallow)
    assert commit is None and reason is not None and "shallow" in reason and first[:7] in reason
    assert resolve_ref("first", repo=tmp_path / "not-a-repo")[0] is None


def test_ref_worktree_is_removed_also_when_the_block_fails(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "bench-tmp" / "src"
    with ref_worktree(_git(repo, "rev-parse", "first"), path, repo=repo) as tree:
        assert (tree / "file.txt").read_text(encoding="utf-8") == "first\n"  # the old commit, not the checkout
    assert not path.exists() and len(_git(repo, "worktree", "list").splitlines()) == 1
    with pytest.raises(KeyboardInterrupt), ref_worktree(_git(repo, "rev-parse", "first"), path, repo=repo):
        raise KeyboardInterrupt("signal 15")  # what SIGTERM becomes in the bench
    assert not path.exists() and len(_git(repo, "worktree", "list").splitlines()) == 1
    with pytest.raises(RuntimeError, match="git worktree add"), ref_worktree("0" * 40, path, repo=repo):
        pass
    assert not path.exists()


def test_code_env_puts_the_checkout_first_and_drops_this_one(tmp_path: Path) -> None:
    env = code_env(tmp_path, {"PYTHONPATH": os.pathsep.join([str(ROOT), "/opt/extra"]), "X": "1"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(tmp_path), "/opt/extra"] and env["X"] == "1"
    assert code_env(ROOT, {})["PYTHONPATH"] == str(ROOT)
