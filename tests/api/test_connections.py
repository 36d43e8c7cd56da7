"""M7: connection-level limits of the server `serve` runs, against a live server process on
127.0.0.1: a head or body that never finishes is cut off, a huge head is refused, and an
example nginx config in front of it passes calls and headers through."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, ROOT

QUESTION = {"message": "How much does UPWARD charge for a disclosure request?", "company": "upward"}


@dataclass
class Live:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_live(tmp_path: Path, index_dir: Path, **env: str) -> Live:
    """The server on a socket bound here, once /readyz is 200."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    inherited = {k: v for k, v in os.environ.items() if k not in ("PA_RUN_DIR", "PA_WORKERS")}
    full_env = {
        **inherited,
        "PYTHONPATH": str(ROOT),
        "PA_CORPUS_DIR": str(CORPUS),
        "PA_INDEX_DIR": str(index_dir),
        "PA_DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}",
        "PA_RATE_LIMIT_PER_MINUTE": "0",
        "PA_DESK_API_KEYS": "live-staff-key-0123456789abcdef=*",
        **env,
    }
    from assistant.storage.db import make_engine, upgrade_database

    upgrade_database(make_engine(full_env["PA_DATABASE_URL"]))
    log = tmp_path / f"live-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.live_server", str(listener.fileno())],
            cwd=ROOT,
            env=full_env,
            pass_fds=(listener.fileno(),),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    listener.close()
    live = Live(proc, port, log)
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=live.url, timeout=5, trust_env=False) as client:
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_live(live)
                raise RuntimeError(f"live server did not become ready:\n{log.read_text()[-2000:]}")
            try:
                ready = client.get("/readyz")
                if ready.status_code == 200:
                    return live
                if ready.json()["status"] == "unavailable":
                    deadline = 0.0
            except httpx.TransportError:
                pass
            time.sleep(0.05)


def stop_live(live: Live) -> None:
    if live.proc.poll() is None:
        live.proc.terminate()
        try:
            live.proc.wait(10)
        except subprocess.TimeoutExpired:
            live.proc.kill()
            live.proc.wait(10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, hash_index_dir: Path) -> Iterator[Live]:
    # Short limits, so the test waits seconds; the defaults are 10 s and 20 s.
    server = start_live(
        tmp_path_factory.mktemp("live"),
        hash_index_dir,
        PA_HTTP_HEADER_TIMEOUT_SECONDS="1",
        PA_HTTP_BODY_TIMEOUT_SECONDS="1",
        PA_TRUSTED_PROXIES="127.0.0.1",
    )
    yield server
    stop_live(server)


def _read_until_closed(sock: socket.socket, limit: float = 6.0) -> bytes:
    """Everything the server sends until it closes; fails if it is still open after `limit` seconds."""
    sock.settimeout(limit)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit:.0f} s (got {data[:80]!r})")
    except ConnectionResetError:
        pass
    return data


def test_idle_connection_is_closed(live: Live) -> None:
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        assert _read_until_closed(sock) == b""  # nothing was asked: closed without an answer


def test_half_sent_header_is_answered_408_and_closed(live: Live) -> None:
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # slowloris: the head never ends
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ") and b'"detail"' in answer


def test_half_sent_body_is_answered_408_and_closed(live: Live) -> None:
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        sock.sendall(
            b"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 200\r\n\r\n{"message": "How much'
        )
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ") and b"body" in answer


def test_8_mb_header_is_refused_and_the_server_stays_up(live: Live) -> None:
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (8 * 1024 * 1024) + b"\r\n\r\n"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
        answer = _read_until_closed(sock)
    assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.1 431 Request Header Fields Too Large", b"HTTP/1.1 400 Bad Request")
    ok = httpx.get(live.url + "/healthz", headers={"X-Normal": "b" * 4000}, trust_env=False)
    assert ok.status_code == 200  # ordinary headers still fine


def test_a_burst_of_32_concurrent_chats_has_no_errors(live: Live) -> None:
    """The concurrency cap sits well above `make bench`'s 32 clients: none of them is turned away."""
    from concurrent.futures import ThreadPoolExecutor

    limits = httpx.Limits(max_connections=64)
    with httpx.Client(base_url=live.url, timeout=30, trust_env=False, limits=limits) as client, ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(lambda _: client.post("/v1/chat", json=QUESTION).status_code, range(128)))
    assert codes == [200] * 128


@pytest.mark.slow  # two worker processes started and one restarted: 10-25 s on a busy machine
def test_readyz_stays_503_until_a_restarted_worker_is_ready(tmp_path: Path, hash_index_dir: Path) -> None:
    """Two workers, one killed: /readyz (answered by either) is 503 until its replacement has loaded."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    server = start_live(tmp_path, hash_index_dir, PA_WORKERS="2", PA_RUN_DIR=str(run_dir))
    try:
        workers = sorted(int(p.name.removeprefix("worker-")) for p in run_dir.glob("worker-*"))
        assert len(workers) == 2  # start_live saw a 200: both had reported ready
        os.kill(workers[0], signal.SIGKILL)
        seen: list[tuple[int, str]] = []
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=server.url, timeout=5, trust_env=False) as client:
            while time.monotonic() < deadline and (200, "2/2") not in seen[1:]:
                try:  # a new connection each time, so either worker may answer
                    r = client.get("/readyz", headers={"Connection": "close"})
                except httpx.TransportError:
                    continue
                entry = (r.status_code, r.json()["components"]["workers"])
                if not seen or seen[-1] != entry:
                    seen.append(entry)
                time.sleep(0.02)
        assert seen[0] == (503, "1/2") and seen[-1] == (200, "2/2"), seen
        assert len({int(p.name.removeprefix("worker-")) for p in run_dir.glob("worker-*")} - set(workers)) == 1
    finally:
        stop_live(server)


# -- behind nginx -----------------------------------------------------------------------------------
NGINX_EXAMPLE = ROOT / "deploy" / "nginx-privacy-assistant.conf"


def test_example_nginx_config_passes_calls_and_headers(live: Live, tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (make system installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = NGINX_EXAMPLE.read_text(encoding="utf-8")
    assert "server 127.0.0.1:8000" in site and "listen 80;" in site
    site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{live.port}").replace("listen 80;", f"listen 127.0.0.1:{port};")
    (tmp_path / "site.conf").write_text(site)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    (tmp_path / "nginx.conf").write_text(
        # What /etc/nginx/nginx.conf provides on Debian, in a temp prefix; the site file is the example as shipped.
        f"worker_processes 1;\nerror_log {tmp_path / 'error.log'} warn;\npid {tmp_path / 'nginx.pid'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\n access_log {tmp_path / 'access.log'};\n client_body_temp_path {temp['body']};\n"
        f" proxy_temp_path {temp['proxy']};\n fastcgi_temp_path {temp['fastcgi']};\n uwsgi_temp_path {temp['uwsgi']};\n"
        f" scgi_temp_path {temp['scgi']};\n include {tmp_path / 'site.conf'};\n}}\n"
    )
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off; master_process off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10, trust_env=False) as client:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"nginx did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
                    time.sleep(0.05)
            chat = client.post("/v1/chat", json=QUESTION)
            assert chat.status_code == 200 and chat.json()["route"] == "answer"
            assert chat.headers["x-request-id"] and chat.headers["x-content-type-options"] == "nosniff"
            me = client.get("/v1/staff/me", headers={"X-API-Key": "live-staff-key-0123456789abcdef"})
            assert me.status_code == 200 and me.json()["all_companies"] is True  # the request header got through
            big = client.get("/healthz", headers={"X-Big": "a" * 100_000})
            assert big.status_code in (400, 431)  # nginx refuses it before the server sees it
    finally:
        proc.terminate()
        proc.wait(10)
