"""Soak test: the real server under a steady mixed load for minutes (`make soak`).

Starts `privacy-assistant serve --no-build` on 127.0.0.1 (a free port, a temporary SQLite
database, rate limiting off), then `--concurrency` threads send the benchmark's message mix
(questions, formal requests with distinct texts, off-topic) for `--seconds`, with some
status checks and session deletes mixed in. Pass criteria:

- zero 5xx responses and zero transport errors;
- resident memory (VmRSS of the server) grows less than 10% from the end of the first fifth
  of the run (minute 1 of the default 5 minutes) to the end;
- every request draft a reply offered is submitted (POST /v1/requests); every acknowledged
  submission is in the database under its reference, with the text of the message that made the
  draft; every formal request whose draft was submitted is in exactly one ticket; no other tickets
  exist. (A request repeated in its session comes back as the submitted draft: not a new ticket.)

Usage: python -m evals.soak [--seconds 300] [--concurrency 16] [--index-dir DIR] [--out reports/soak]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.bench_http import start_server
from evals.bench_lib import summarize
from evals.bench_messages import MIX, Message, variant

ROOT = Path(__file__).resolve().parent.parent
MAX_RSS_GROWTH = 0.10
WORDINGS = 48  # variant(text, k) for k < 48 only re-words; beyond, it appends "(ref N)"


class Workload:
    """The benchmark mix, cycled: formal requests get a new wording every pass (so each is a new
    ticket), questions and off-topic messages cycle through their plain re-wordings only (a
    "(ref N)" suffix makes the intent model read many questions as formal requests)."""

    def __init__(self, mix: tuple[Message, ...] = MIX) -> None:
        self._mix = mix
        self._n = 0
        self._lock = threading.Lock()

    def __next__(self) -> Message:
        with self._lock:
            n, self._n = self._n, self._n + 1
        m = self._mix[n % len(self._mix)]
        k = 1 + n // len(self._mix)
        return Message(variant(m.text, k if m.kind == "request" else k % WORDINGS), m.company, m.kind)


@dataclass
class Tally:
    """What the workers saw (guarded by `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    kind_routes: Counter[str] = field(default_factory=Counter)  # e.g. "question->desk"
    misrouted_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    tickets: dict[str, str] = field(default_factory=dict)  # reference -> message
    formal_texts: set[str] = field(default_factory=set)  # distinct formal requests that were ticketed
    repeats: int = 0  # requests answered with their session's already-submitted draft
    tokens: list[tuple[str, str]] = field(default_factory=list)
    requests_not_ticketed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _prepare_index(index_dir: Path, corpus_dir: Path) -> str | None:
    """Make the index the server will serve ready (the factory's one readiness path, building it
    whatever PA_AUTO_BUILD_INDEX says); why it was built, or None."""
    from assistant.factory import IndexHandle, build_embedder
    from assistant.settings import Settings

    settings = Settings(index_dir=index_dir, corpus_dir=corpus_dir, auto_build_index=True)
    return IndexHandle(settings).prepare(build_embedder(settings))


def _worker(base_url: str, stream: Workload, deadline: float, tally: Tally, seed: int) -> None:
    session: str | None = None
    with httpx.Client(base_url=base_url, timeout=120, trust_env=False) as client:
        for i in range(1_000_000):  # bounded; the deadline ends it long before
            if time.monotonic() > deadline:
                return
            message = next(stream)
            if i % 10 == 0:
                session = None  # a new conversation every ten messages
            t0 = time.perf_counter()
            kind = message.kind
            try:
                if i % 25 == 7 and tally.tokens:  # a customer checking their request
                    with tally.lock:
                        ref, token = tally.tokens[(seed + i) % len(tally.tokens)]
                    resp = client.get(f"/v1/requests/{ref}", params={"token": token})
                    kind = "status_check"
                elif i % 40 == 13 and session:  # the widget's "clear" button
                    resp = client.delete(f"/v1/sessions/{session}")
                    session, kind = None, "session_delete"
                else:
                    resp = client.post("/v1/chat", json={"message": message.text, "company": message.company, "session_id": session})
            except httpx.HTTPError as exc:
                with tally.lock:
                    tally.statuses[type(exc).__name__] += 1
                    tally.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            with tally.lock:
                tally.latencies.append(elapsed)
                tally.statuses[str(resp.status_code)] += 1
                tally.kinds[kind] += 1
                if resp.status_code >= 500 and len(tally.errors) < 50:
                    tally.errors.append(f"{kind} {resp.status_code}: {resp.text[:200]}")
            if resp.status_code != 200 or kind in ("status_check", "session_delete"):
                continue
            body = resp.json()
            session = body["session_id"]
            with tally.lock:
                tally.routes[body["route"]] += 1
                tally.kind_routes[f"{kind}->{body['route']}"] += 1
                if kind != "request" and body["route"] == "desk" and len(tally.misrouted_samples) < 10:
                    tally.misrouted_samples.append(message.text)
                draft = body.get("request_draft")
                if message.kind == "request" and not draft:
                    tally.requests_not_ticketed.append(message.text)
                elif draft and draft.get("reference"):
                    tally.repeats += 1
            if draft and not draft.get("reference"):
                _submit(client, body, message.text, kind, tally)


def _submit(client: httpx.Client, reply: dict[str, Any], text: str, kind: str, tally: Tally) -> None:
    """Submit the draft a reply offered, as the widget's form would, and tally the ticket."""
    draft = reply["request_draft"]
    body = {"draft_id": draft["id"], "session_id": reply["session_id"], "contact": {"email": "soak@example.org"}, "consent": True}
    try:
        resp = client.post("/v1/requests", json=body)
    except httpx.HTTPError as exc:
        with tally.lock:
            tally.statuses[type(exc).__name__] += 1
            tally.errors.append(f"submit: {type(exc).__name__}: {exc}")
        return
    with tally.lock:
        tally.statuses[str(resp.status_code)] += 1
        tally.kinds["submit"] += 1
        if resp.status_code != 201:
            if resp.status_code >= 500 and len(tally.errors) < 50:
                tally.errors.append(f"submit {resp.status_code}: {resp.text[:200]}")
            return
        created = resp.json()
        if created["reference"] in tally.tickets:
            tally.errors.append(f"reference {created['reference']} handed out twice")
        tally.tickets[created["reference"]] = text
        if kind == "request":
            tally.formal_texts.add(text)
        tally.tokens.append((created["reference"], created["lookup_token"]))


def run_soak(seconds: float, concurrency: int, index_dir: Path, corpus_dir: Path, workdir: Path) -> dict[str, Any]:
    """Serve, load, measure; the report as a dict (`passed` says whether every criterion held)."""
    db_path = workdir / "soak.db"
    server = start_server(corpus_dir, index_dir, db_path, workdir / "server.log")
    tally = Tally()
    rss: list[tuple[float, int]] = []
    try:
        with httpx.Client(base_url=server.base_url, timeout=120, trust_env=False) as warm:
            for text in ("What data do you collect?", "Can you recommend a laptop?"):
                warm.post("/v1/chat", json={"message": text, "company": "upward"})
        stream = Workload()
        started = time.monotonic()
        deadline = started + seconds
        threads = [
            threading.Thread(target=_worker, args=(server.base_url, stream, deadline, tally, n), daemon=True) for n in range(concurrency)
        ]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            mib = server.rss_mib()  # summed over the server's worker processes
            kib = None if mib is None else int(mib * 1024)
            if kib is not None:
                rss.append((round(time.monotonic() - started, 1), kib))
            if server.proc.poll() is not None:
                tally.errors.append(f"server exited with {server.proc.returncode}")
                break
            time.sleep(min(5.0, max(0.5, seconds / 60)))
        for t in threads:
            t.join(150)
        wall = time.monotonic() - started
        peak_mib = server.peak_rss_mib()
        peak = None if peak_mib is None else int(peak_mib * 1024)
    finally:
        server.stop()

    from assistant.factory import build_resources
    from assistant.settings import Settings

    resources = build_resources(Settings(corpus_dir=corpus_dir, database_url=f"sqlite:///{db_path}"), create=False)
    stored, _ = resources.desk.list(limit=1_000_000)
    resources.close()
    by_message = Counter(t.message for t in stored)
    by_reference = {t.reference: t.message for t in stored}
    missing = [ref for ref, text in tally.tickets.items() if by_reference.get(ref) != text]
    # Formal requests have distinct texts: each must be in exactly one ticket. (A question the intent
    # model sends to the desk may repeat its text in other sessions; it is checked by reference.)
    twice = [text for text in tally.formal_texts if by_message[text] != 1]
    unacknowledged = sorted(set(by_reference) - set(tally.tickets))

    mark = seconds / 5  # "minute 1" of a 5-minute run
    first = next((kib for t, kib in rss if t >= mark), rss[0][1] if rss else None)
    last = rss[-1][1] if rss else None
    growth = (last - first) / first if first and last else None
    server_errors = sum(n for s, n in tally.statuses.items() if not s.isdigit() or int(s) >= 500)
    checks = {
        "zero_5xx_or_transport_errors": server_errors == 0,
        "rss_growth_under_10pct": growth is not None and growth < MAX_RSS_GROWTH,
        "every_ticket_stored_exactly_once": not missing and not twice and not unacknowledged,
        "no_worker_errors": not tally.errors,
    }
    return {
        "seconds": round(wall, 1),
        "concurrency": concurrency,
        "requests": sum(tally.statuses.values()),
        "rps": round(sum(tally.statuses.values()) / wall, 2) if wall else None,
        "statuses": dict(tally.statuses),
        "kinds": dict(tally.kinds),
        "routes": dict(tally.routes),
        "kind_routes": dict(sorted(tally.kind_routes.items())),
        "non_requests_routed_to_desk": tally.misrouted_samples,
        "latency": summarize(tally.latencies),
        "tickets_acknowledged": len(tally.tickets),
        "formal_requests_ticketed": len(tally.formal_texts),
        "tickets_in_database": len(stored),
        "tickets_missing": missing,
        "tickets_stored_not_once": twice,
        "tickets_unacknowledged": unacknowledged,
        "formal_requests_not_routed_to_desk": len(tally.requests_not_ticketed),
        "requests_repeated_after_submission": tally.repeats,
        "rss_kib": {"at_first_fifth": first, "at_end": last, "peak": peak, "growth": round(growth, 4) if growth is not None else None},
        "rss_samples": rss,
        "errors": tally.errors[:50],
        "checks": checks,
        "passed": all(checks.values()),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m evals.soak`."""
    parser = argparse.ArgumentParser(prog="python -m evals.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=300.0, help="how long to hold the load (default 300)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--index-dir", type=Path, help="index to serve (default PA_INDEX_DIR or ./index; built first if stale)")
    parser.add_argument("--corpus-dir", type=Path, default=ROOT / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "soak", help="folder for soak.json and server.log")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 3600 or not 1 <= args.concurrency <= 64:
        parser.error("--seconds must be 1-3600 and --concurrency 1-64")
    from assistant.settings import Settings

    index_dir = (args.index_dir or Path(Settings().index_dir)).resolve()
    reason = _prepare_index(index_dir, args.corpus_dir)
    if reason:
        print(f"built the index first ({reason})", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pa-soak-") as tmp:
        report = run_soak(args.seconds, args.concurrency, index_dir, args.corpus_dir, Path(tmp))
        log = Path(tmp) / "server.log"
        if log.is_file():
            (args.out / "server.log").write_bytes(log.read_bytes())
    (args.out / "soak.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    summary = {
        k: v
        for k, v in report.items()
        if k not in ("rss_samples", "errors", "tickets_missing", "tickets_stored_not_once", "tickets_unacknowledged")
    }
    print(json.dumps(summary, indent=2))
    print(f"soak {'PASSED' if report['passed'] else 'FAILED'}; report in {args.out / 'soak.json'}", file=sys.stderr)
    return 0 if report["passed"] else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
