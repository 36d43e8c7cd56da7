"""The real local OpenAI-compatible server: llama.cpp's server (llama-cpp-python) over the Gemma 3
270M GGUF, both built by `make llm-local` into .llm/ (a venv of their own, so this module uses
only the standard library and starts that venv's python). The generative path's integration
tests and `make bench` both start it from here.

`serve_local_llm()` starts it on a free loopback port, waits until /v1/models answers and yields
where it is; `unavailable_reason()` says why it cannot be started (None when it can). Run as
`python -m evals.llm_local --port 8080` (what `make llm-serve` does) to serve in the
foreground for a person trying PA_LLM_BACKEND=openai.

Two quirks a client must allow for: this server reads `max_tokens` and ignores
`max_completion_tokens`, which is what LangChain's ChatOpenAI sends for its max_tokens (so pass
`extra_body={"max_tokens": n}` too, or a generation runs to the context end, ~100 s); and the
GGUF has no chat template, so the server uses its llama-2 fallback, which keeps system messages
(its gemma template would drop them). On 2 cores it starts in ~1 s and decodes ~25 tokens/s."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LLM_DIR = ROOT / ".llm"
MODEL_FILE_NAME = "gemma-3-270m-q4_k_m.gguf"  # what `make llm-local` assembles (LLM_MODEL there)
MODEL_NAME = "gemma-3-270m"  # the alias the server lists at /v1/models and expects as `model`
START_TIMEOUT_S = 120.0  # it starts in a few seconds; a shared 2-core CI box gets slack


@dataclass(frozen=True)
class LocalLLM:
    """Where a running local server answers: base_url ends in /v1, as OpenAI clients expect."""

    base_url: str
    model: str
    log_file: Path


def llm_python(llm_dir: Path = LLM_DIR) -> Path:
    """The python of the local server's own venv."""
    return llm_dir / "venv" / "bin" / "python"


def unavailable_reason(llm_dir: Path = LLM_DIR) -> str | None:
    """Why the local server cannot be started here, or None when `make llm-local` has built it."""
    # Any stamp will do: make test depends on llm-local, which replaces a stale one first.
    if not any(llm_dir.glob(".stamp-*")):
        return f"the local LLM is not built ({llm_dir.name}/ has no stamp): run `make llm-local` (once, ~6 min)"
    python, model = llm_python(llm_dir), llm_dir / MODEL_FILE_NAME
    if not python.exists() or not model.exists():
        return f"the local LLM build is incomplete (no {python} or {model}): rm -rf .llm && make llm-local"
    return None


def server_command(port: int, host: str = "127.0.0.1", threads: int = 2, llm_dir: Path = LLM_DIR) -> list[str]:
    """The llama.cpp server command line: context as the generative path needs, 2 threads (2 cores)."""
    # No --chat_format: the fallback template keeps system messages (see the module docstring).
    return [
        str(llm_python(llm_dir)),
        "-m",
        "llama_cpp.server",
        "--model",
        str(llm_dir / MODEL_FILE_NAME),
        "--model_alias",
        MODEL_NAME,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
    ]


def server_env() -> dict[str, str]:
    """A minimal environment: the server reads any of its settings (HOST, PORT, MODEL, API_KEY …)
    from bare environment variables, and HOST and PORT there even override its command line."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    # OpenMP threads that spin while waiting starve everything else on a shared 2-core box (and
    # themselves: a first generation took 13-19 s instead of 2 s under load); passive ones sleep.
    env["OMP_WAIT_POLICY"] = "passive"
    return env


def free_port() -> int:
    """A loopback port nothing listens on now (the server binds it itself: llama.cpp's takes no fd)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _models(base_url: str) -> list[str]:
    with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
        body = json.load(response)
    return [str(item["id"]) for item in body.get("data", [])]


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own process group: nothing it started outlives it
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def serve_local_llm(
    log_dir: Path | None = None, timeout_s: float = START_TIMEOUT_S, threads: int = 2, llm_dir: Path = LLM_DIR
) -> Iterator[LocalLLM]:
    """Start the local server on a free loopback port, yield it once /v1/models lists the model, stop it."""
    reason = unavailable_reason(llm_dir)
    if reason:
        raise RuntimeError(reason)
    log_file = Path(tempfile.mkdtemp(prefix="llm-server-", dir=log_dir)) / "server.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            server_command(port, threads=threads, llm_dir=llm_dir),
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the local LLM server exited with {process.returncode}:\n{_tail(log_file)}")
            try:
                if MODEL_NAME in _models(base_url):
                    break
            except (OSError, ValueError, KeyError):
                pass  # not listening yet, or still loading the model
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local LLM server did not answer within {timeout_s:.0f} s:\n{_tail(log_file)}")
            time.sleep(0.2)
        yield LocalLLM(base_url=base_url, model=MODEL_NAME, log_file=log_file)
    finally:
        _stop(process)


def wait_idle(llm: LocalLLM, timeout_s: float = START_TIMEOUT_S) -> float:
    """Block until the server has finished whatever it is generating; the seconds that took.

    It serves one completion at a time and does not stop one whose client gave up (a phraser's
    timeout), so the next request would wait behind it: a one-token completion returns once the
    server is free again."""
    body = {"model": llm.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "temperature": 0}
    request = urllib.request.Request(
        f"{llm.base_url}/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        response.read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the local model (OpenAI-compatible) in the foreground.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        sys.exit(reason)
    print(
        f"serving {MODEL_NAME} on http://{args.host}:{args.port}/v1 — try: PA_LLM_BACKEND=openai "
        f"PA_LLM_BASE_URL=http://{args.host}:{args.port}/v1 PA_LLM_MODEL={MODEL_NAME} make serve",
        flush=True,
    )
    os.execve(str(llm_python()), server_command(args.port, args.host, args.threads), server_env())


if __name__ == "__main__":
    main()
