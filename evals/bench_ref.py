"""An older commit of this repository, served next to the current code in the same bench run
(`python -m evals.bench --baseline-ref REF`): a temporary detached `git worktree` of REF, its
index built by its own code, its server started from its own folder with its packages first
on PYTHONPATH (same venv, same corpus, same settings as the current server)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from evals.bench_http import code_env
from evals.bench_lib import one_line

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str, repo: Path = ROOT, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def resolve_ref(ref: str, repo: Path = ROOT) -> tuple[str | None, str | None]:
    """(the commit `ref` names, None), or (None, why not in one line): not a git checkout,
    or a ref this clone does not have (a shallow clone, say)."""
    try:
        found = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", repo=repo, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, one_line(f"git not usable: {exc}")
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip(), None
    if _git("rev-parse", "--git-dir", repo=repo, timeout=30).returncode != 0:
        return None, f"{repo} is not a git checkout, so {ref} cannot be checked out"
    shallow = _git("rev-parse", "--is-shallow-repository", repo=repo, timeout=30).stdout.strip() == "true"
    hint = " (a shallow clone: `git fetch --unshallow` brings it)" if shallow else ""
    return None, f"commit {ref} is not in this clone{hint}"


@contextlib.contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """SIGTERM held back while a clean-up runs (it must not stop half-way), delivered after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)


def remove_worktree(path: Path, repo: Path = ROOT) -> None:
    """Remove a worktree `ref_worktree` added, and git's record of it (never fails)."""
    with _sigterm_deferred():
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            _git("worktree", "remove", "--force", str(path), repo=repo, timeout=60)
        shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            _git("worktree", "prune", repo=repo, timeout=60)


@contextlib.contextmanager
def ref_worktree(commit: str, path: Path, repo: Path = ROOT) -> Iterator[Path]:
    """`git worktree add --detach PATH COMMIT` for the duration of the block; removed at the
    end, also when the block raises (a SIGTERM arrives as KeyboardInterrupt, see bench.main)."""
    try:
        added = _git("worktree", "add", "--detach", "--quiet", str(path), commit, repo=repo)
        if added.returncode != 0:
            raise RuntimeError(one_line(f"git worktree add {commit[:12]} failed: {added.stderr}"))
        # The checkout serves with the settings the current server gets; a local .env (read from
        # the working directory) too.
        if (repo / ".env").is_file():
            shutil.copyfile(repo / ".env", path / ".env")
        yield path
    finally:
        remove_worktree(path, repo)


def ref_env(worktree: Path, corpus_dir: Path, index_dir: Path, db_path: Path, model_cache_dir: Path) -> dict[str, str]:
    """The environment the old commit's commands run with: its folder first on PYTHONPATH, its
    own index folder and database, the bench's corpus, and the ONNX export the current server
    uses (assistant/models/onnx_export.py makes it; a commit that wants another export makes its own)."""
    env = code_env(worktree)
    env.update(
        {
            "PA_CORPUS_DIR": str(corpus_dir),
            "PA_INDEX_DIR": str(index_dir),
            "PA_DATABASE_URL": f"sqlite:///{db_path}",
            "PA_MODEL_CACHE_DIR": str(model_cache_dir),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    return env


def ref_cli(worktree: Path) -> list[str]:
    """How to run the old commit's console script: `python -m privacy_assistant` once the commands were
    put together there, `python -m assistant.cli` before."""
    if (worktree / "privacy_assistant" / "__main__.py").is_file():
        return [sys.executable, "-m", "privacy_assistant"]
    return [sys.executable, "-m", "assistant.cli"]


def check_code(worktree: Path, env: dict[str, str]) -> None:
    """Raise unless a subprocess with `env` imports the old commit's console script (`assistant.cli`,
    and `privacy_assistant.cli` where it has one) and `api.main`, and every `assistant`/`api`/
    `privacy_assistant` module they pull in, from the worktree. The editable install's finder would
    otherwise fill in what the commit lacks from the current checkout (a package without __init__.py
    is a namespace one, and its missing modules come from there)."""
    script = ", privacy_assistant.cli" if (worktree / "privacy_assistant" / "__main__.py").is_file() else ""
    probe = (
        f"import json, sys, assistant.cli{script}, api.main\n"
        "mods = [m for n, m in list(sys.modules.items()) if n.split('.')[0] in ('assistant', 'api', 'privacy_assistant')]\n"
        "print(json.dumps([p for m in mods for p in [getattr(m, '__file__', None), *getattr(m, '__path__', [])] if p]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=str(worktree), env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(one_line(f"the old commit's packages do not import: {done.stderr}"))
    files = [Path(f).resolve() for f in json.loads(done.stdout.strip().splitlines()[-1])]
    wrong = sorted({str(f) for f in files if not f.is_relative_to(worktree.resolve())})
    if wrong:
        raise RuntimeError(f"the old commit's server would import {', '.join(wrong)}, not its own code")


def build_index(worktree: Path, env: dict[str, str], log_path: Path, timeout: float = 900.0) -> float:
    """`python -m assistant.cli index build` run by the old commit's own code; seconds taken."""
    started = time.perf_counter()
    with log_path.open("wb") as log:
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "index", "build", "--quiet"],
            cwd=str(worktree),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
    if done.returncode != 0:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        raise RuntimeError(one_line(f"its index build exited with {done.returncode}: {tail[0]}"))
    return time.perf_counter() - started
