"""Desk tickets as CSV for spreadsheets: a UTF-8 BOM, no formula injection, no hidden characters."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from assistant.desk.tickets import TicketDetail

BOM = "\ufeff"  # without it, Japanese Excel reads UTF-8 as Shift_JIS and shows mojibake
COLUMNS = ("reference", "company", "status", "request_types", "proxy", "channel", "created_at", "due_at", "overdue", "message")
# Bidi controls reorder what staff read (a "txt.exe" that displays as "exe.txt"); zero-width
# characters hide text or a formula sign. Both are shown as <U+XXXX> instead.
_HIDDEN = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# Spreadsheets evaluate a cell that starts with one of these as a formula (fullwidth forms too:
# Japanese Excel and LibreOffice treat ＝ like =).
_FORMULA_SIGNS = frozenset("=+-@＝＋－＠﹦﹢﹣﹫")


def safe_cell(value: object) -> str:
    """The cell text, with hidden characters made visible and a formula neutralised by a leading '."""
    text = str(value)
    visible = _HIDDEN.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    # Look past leading whitespace and invisible characters: " =1+1" or "\u200b=1+1" is still a formula.
    core = _HIDDEN.sub("", text).lstrip()
    if core[:1] in _FORMULA_SIGNS or text[:1] in ("\t", "\r", "\n"):
        return "'" + visible
    return visible


def tickets_csv(tickets: Iterable[TicketDetail]) -> str:
    """The tickets as CSV text starting with a BOM, every cell made safe for spreadsheets."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for t in tickets:
        row = (
            t.reference,
            t.company,
            t.status,
            " ".join(t.request_types),
            t.proxy,
            t.channel,
            t.created_at,
            t.due_at,
            t.overdue,
            t.message,
        )
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue()
