"""Audit-trail notes the library writes carry a code and their values, so a client words them in its own language.

Entries written before get their code where it is certain: the library's four fixed notes, worded the same since
the first release, told apart from staff's own words by where they sit (a ticket's first entry has no from_status;
a staff read or a message keeps the status, which a status change never does). Any other entry keeps no code and
is shown as stored.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The codes and notes as this revision knows them (not imported: a migration must not change with the code).
_FIRST = ("request_received", "request received")
_SAME_STATUS = (
    ("viewed", "viewed"),
    ("message_to_customer", "message to the customer"),
    ("message_from_customer", "message from the customer"),
)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite); both nullable, so existing rows stay valid.
    op.add_column("desk_ticket_events", sa.Column("note_code", sa.String(64)))
    op.add_column("desk_ticket_events", sa.Column("note_params", sa.JSON()))
    events = sa.table(
        "desk_ticket_events",
        sa.column("from_status", sa.String),
        sa.column("to_status", sa.String),
        sa.column("note", sa.Text),
        sa.column("note_code", sa.String),
    )
    code, note = _FIRST
    op.execute(events.update().where(events.c.from_status.is_(None), events.c.note == note).values(note_code=code))
    for code, note in _SAME_STATUS:
        op.execute(events.update().where(events.c.from_status == events.c.to_status, events.c.note == note).values(note_code=code))


def downgrade() -> None:
    with op.batch_alter_table("desk_ticket_events") as batch:
        batch.drop_column("note_params")
        batch.drop_column("note_code")
