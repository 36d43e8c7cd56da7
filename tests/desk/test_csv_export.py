"""CSV export of desk tickets (`assistant/desk/csv_export.py`, `GET /v1/desk/tickets.csv`, `desk export`)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from assistant.desk.csv_export import BOM, COLUMNS, safe_cell, tickets_csv
from assistant.desk.tickets import NewTicket, SqlDeskQueue
from assistant.storage.db import make_engine
from privacy_assistant.cli import main

HIDDEN = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"]
HIDDEN += ["\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff"]


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",  # the ASCII signs (escaped before)
        '＝HYPERLINK("http://x")',
        "＋1",
        "－1",
        "＠SUM(A1)",  # fullwidth signs
        "\u200b=1+1",
        "\ufeff=1+1",
        "\u2060\u200d@SUM(A1)",
        "\u202e=1+1",  # led by invisible characters
        " =1+1",
        "\u3000＝1+1",
        "\u00a0+1",
        "\n=1+1",
        "\t=1+1",
        " \u200b -1",  # led by whitespace
    ],
)
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe_cell(cell).startswith("'")


@pytest.mark.parametrize("char", HIDDEN)
def test_bidi_and_zero_width_characters_are_shown(char: str) -> None:
    out = safe_cell(f"invoice{char}txt.exe")
    assert char not in out
    assert out == f"invoice<U+{ord(char):04X}>txt.exe"


@pytest.mark.parametrize("cell", ["PRQ-000001", "個人情報を削除してください。", "2026-01-01T00:00:00+00:00", "True", "a=b", "メール@"])
def test_ordinary_cells_are_unchanged(cell: str) -> None:
    assert safe_cell(cell) == cell


def _open_tickets(queue: SqlDeskQueue) -> None:
    queue.submit(NewTicket("upward", "v1", ("deletion",), False, "chat", "個人情報を削除してください。", "s1", 14, draft_id="d1"))
    queue.submit(
        NewTicket("upward", "v1", ("disclosure",), False, "chat", '\u200b＝HYPERLINK("http://evil")\u202e', "s2", 14, draft_id="d2")
    )


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM.encode("utf-8"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _check(rows: list[list[str]]) -> None:
    assert tuple(rows[0]) == COLUMNS
    messages = sorted(r[COLUMNS.index("message")] for r in rows[1:])
    assert messages == ['\'<U+200B>＝HYPERLINK("http://evil")<U+202E>', "個人情報を削除してください。"]


def test_tickets_csv_has_a_bom_and_safe_cells(sqlite_url: str) -> None:
    queue = SqlDeskQueue(make_engine(sqlite_url))
    _open_tickets(queue)
    _check(_rows(tickets_csv(queue.list()[0]).encode("utf-8")))


def test_http_export_is_utf8_with_bom(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    _open_tickets(hash_assistant.desk)
    key = next(k.key for k in hash_settings.staff_keys if k.companies is None)
    with TestClient(create_app(hash_settings, hash_assistant)) as client:
        resp = client.get("/v1/desk/tickets.csv", headers={"X-API-Key": key})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    _check(_rows(resp.content))


def test_http_export_takes_the_queue_filters(hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    """The console's CSV button sends the queue's filters: type and overdue narrow the export as they narrow the list."""
    _open_tickets(hash_assistant.desk)
    key = next(k.key for k in hash_settings.staff_keys if k.companies is None)
    with TestClient(create_app(hash_settings, hash_assistant)) as client:

        def refs(**params: str) -> list[str]:
            resp = client.get("/v1/desk/tickets.csv", params=params, headers={"X-API-Key": key})
            assert resp.status_code == 200, resp.text
            return [r[0] for r in _rows(resp.content)[1:]]

        def listed(**params: str) -> list[str]:
            resp = client.get("/v1/desk/tickets", params=params, headers={"X-API-Key": key})
            return [t["reference"] for t in resp.json()["items"]]

        for params in ({"type": "deletion"}, {"type": "disclosure"}, {"overdue": "true"}, {"overdue": "false"}, {}):
            assert refs(**params) == listed(**params), params
        assert len(refs(type="deletion")) == 1 and refs(overdue="true") == []
        assert client.get("/v1/desk/tickets.csv", params={"type": "nonsense"}, headers={"X-API-Key": key}).status_code == 422


def test_cli_export_writes_the_same_csv(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _open_tickets(SqlDeskQueue(make_engine(sqlite_url)))
    monkeypatch.setenv("PA_DATABASE_URL", sqlite_url)
    out = tmp_path / "tickets.csv"
    assert main(["desk", "export", "--company", "upward", "-o", str(out)]) == 0
    _check(_rows(out.read_bytes()))
    assert main(["desk", "export"]) == 0
    _check(_rows(capsysbinary.readouterr().out))
