"""The served side of the benchmark: spawn `privacy-assistant serve`, time its cold start,
load it over HTTP on 127.0.0.1 and read its peak RSS."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.bench_lib import summarize
from evals.bench_messages import Message

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def proc_status_kib(pid: int, field_name: str) -> int | None:
    """A `VmXxx:` field of /proc/PID/status in KiB (None if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def serve_command() -> list[str]:
    """The console script next to this interpreter (the venv's), else `python -m privacy_assistant`."""
    script = Path(sys.executable).parent / "privacy-assistant"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "privacy_assistant"]


@dataclass
class Server:
    """A `serve --no-build` subprocess and what its start-up took."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    listening_seconds: float | None = None
    ready_seconds: float | None = None
    ready_body: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://{HOST}:{self.port}"

    def pids(self) -> list[int]:
        """The server and its worker processes (uvicorn forks one per worker)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [self.proc.pid, *(int(p) for p in children.read_text().split())]
        except OSError:
            return [self.proc.pid]

    def _sum_kib(self, field_name: str) -> float | None:
        values = [proc_status_kib(pid, field_name) for pid in self.pids()]
        known = [v for v in values if v is not None]
        # Summed over processes: pages they share (the memory-mapped index) count once per process,
        # so this overstates the machine's real use.
        return round(sum(known) / 1024, 1) if known else None

    def peak_rss_mib(self) -> float | None:
        """VmHWM (peak resident set) summed over the server's processes, MiB."""
        return self._sum_kib("VmHWM")

    def rss_mib(self) -> float | None:
        """VmRSS (current resident set) summed over the server's processes, MiB."""
        return self._sum_kib("VmRSS")

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server's output."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the server and its workers at once (a crash: nothing gets to clean up)."""
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def _signal_group(self, sig: int) -> None:
        # The server leads its own process group (start_new_session): its workers are in it,
        # and would outlive a signal sent to the supervisor alone if that one is SIGKILLed.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL whatever lingers."""
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._signal_group(signal.SIGKILL)  # workers orphaned by an earlier kill of the supervisor


def code_env(code_dir: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) with `code_dir` first on PYTHONPATH, so a subprocess
    imports that checkout's `assistant` and `api` rather than the editable install's; the
    entries naming another checkout of this repository (ROOT) are dropped."""
    out = dict(os.environ if env is None else env)
    keep = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() not in (ROOT, code_dir.resolve())]
    out["PYTHONPATH"] = os.pathsep.join([str(code_dir), *keep])
    return out


def start_server(
    corpus_dir: Path,
    index_dir: Path,
    db_path: Path,
    log_path: Path,
    timeout: float = 180.0,
    workers: int | None = None,
    code_dir: Path = ROOT,
    command: Sequence[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Server:
    """Spawn the server (`workers` processes, default one per core) on a free port and wait
    until GET /readyz is 200 on every worker.

    `code_dir` is the checkout whose code serves (its folder is the working directory and comes
    first on PYTHONPATH; by default this one), `command` what runs `serve` (default: the venv's
    console script) and `extra_env` settings on top of the bench's.

    `listening_seconds` is the time to the first HTTP answer (imports, migrations, uvicorn);
    `ready_seconds` the time to readiness (the model and index loaded). Each poll opens a new
    connection, which the kernel hands to any worker: readiness is 8 x workers 200s in a row."""
    port = free_port()
    env = code_env(code_dir)
    env.update(
        {
            "PA_CORPUS_DIR": str(corpus_dir),
            "PA_INDEX_DIR": str(index_dir),
            "PA_DATABASE_URL": f"sqlite:///{db_path}",
            "PA_RATE_LIMIT_PER_MINUTE": "0",
            # The load comes from one address: to the server, one client submitting for everyone.
            "PA_MAX_SUBMISSIONS_PER_HOUR": "1000000",
            "PA_QUERY_CACHE_SIZE": "0",  # every request embeds its message: repeats cannot flatter
            "PA_HOST": HOST,
            "PA_PORT": str(port),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "PA_WORKERS": str(workers or os.cpu_count() or 1),
            **(extra_env or {}),
        }
    )
    in_a_row, ready_streak = 8 * int(env["PA_WORKERS"]), 0
    log = log_path.open("wb")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*(command or serve_command()), "serve", "--no-build", "--host", HOST, "--port", str(port)],
        cwd=str(code_dir),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    server = Server(proc, port, log_path)
    try:
        with httpx.Client(base_url=server.base_url, timeout=5.0, trust_env=False) as client:
            while True:
                elapsed = time.perf_counter() - started
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log_tail()}")
                if elapsed > timeout:
                    raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{server.log_tail()}")
                try:
                    r = client.get("/readyz", headers={"Connection": "close"})
                except httpx.TransportError:
                    time.sleep(0.02)
                    continue
                now = time.perf_counter() - started
                if server.listening_seconds is None:
                    server.listening_seconds = round(now, 3)
                if r.status_code == 200:
                    ready_streak += 1
                    if ready_streak >= in_a_row:
                        server.ready_seconds = round(now, 3)
                        server.ready_body = r.json()
                        return server
                    continue
                ready_streak = 0
                body = r.json()
                # Older servers (a --baseline-ref commit) say {"status": "error"} instead.
                if body.get("components", {}).get("index") in ("missing", "damaged", "error") or body.get("status") == "error":
                    raise RuntimeError(f"server could not load: {r.text}\n{server.log_tail()}")
                time.sleep(0.02)
    except BaseException:
        server.stop()
        raise


def chat_body(message: Message, company: str | None = None) -> dict[str, Any]:
    """The POST /v1/chat body for a message (fresh session: no session_id)."""
    return {"message": message.text, "company": company or message.company, "session_id": None}


def post_chat(client: httpx.Client, body: dict[str, Any]) -> tuple[float, str, str | None]:
    """POST one body to /v1/chat: the seconds it took, the status (or the error's name) and the
    route answered (None unless 200)."""
    t0 = time.perf_counter()
    try:
        r = client.post("/v1/chat", json=body)
        status = str(r.status_code)
        route = r.json().get("route", "?") if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        status, route = type(exc).__name__, None
    return time.perf_counter() - t0, status, route


def run_load(
    base_url: str,
    bodies: Sequence[dict[str, Any]],
    concurrency: int,
    max_seconds: float,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """POST every body to /v1/chat from `concurrency` threads (one shared keep-alive client)
    until all are sent or `max_seconds` have passed; latency, throughput and errors."""
    lock = threading.Lock()
    todo = iter(bodies)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    routes: dict[str, int] = {}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=base_url, timeout=timeout, limits=limits, trust_env=False) as client:
        started = time.perf_counter()
        deadline = started + max_seconds

        def worker() -> None:
            while True:
                with lock:
                    body = next(todo, None)
                if body is None or time.perf_counter() > deadline:
                    return
                elapsed, status, route = post_chat(client, body)
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    if route is not None:
                        routes[route] = routes.get(route, 0) + 1
                    elif len(errors) < 5:
                        errors.append(status)

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for f in [pool.submit(worker) for _ in range(concurrency)]:
                f.result()
        wall = time.perf_counter() - started
    done = len(latencies)
    ok = statuses.get("200", 0)
    return {
        "concurrency": concurrency,
        "requests": done,
        "planned": len(bodies),
        "wall_seconds": round(wall, 3),
        "rps": round(done / wall, 2) if wall > 0 else None,
        "errors": done - ok,
        "statuses": statuses,
        "routes": routes,
        "error_samples": errors,
        "latency": summarize(latencies),
    }


def run_interleaved(
    base_urls: dict[str, str], bodies: Sequence[dict[str, Any]], schedule: Sequence[tuple[str, int]], timeout: float = 60.0
) -> dict[str, dict[str, Any]]:
    """POST bodies to several servers one request at a time (concurrency 1), in the order
    `schedule` gives as (server, body index) pairs, each server over its own keep-alive
    connection. Per server: latencies (seconds), errors, statuses and the route per body."""
    out: dict[str, dict[str, Any]] = {
        name: {"latencies": [], "errors": 0, "statuses": {}, "routes": {}, "route_of": {}} for name in base_urls
    }
    clients = {name: httpx.Client(base_url=url, timeout=timeout, trust_env=False) for name, url in base_urls.items()}
    try:
        for name, i in schedule:
            side = out[name]
            elapsed, status, route = post_chat(clients[name], bodies[i])
            side["latencies"].append(elapsed)
            side["statuses"][status] = side["statuses"].get(status, 0) + 1
            if route is None:
                side["errors"] += 1
            else:
                side["routes"][route] = side["routes"].get(route, 0) + 1
                side["route_of"][i] = route
    finally:
        for client in clients.values():
            client.close()
    return out
