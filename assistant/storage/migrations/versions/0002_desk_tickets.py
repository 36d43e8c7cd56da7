"""Desk tickets and their audit trail.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_tickets",
        # The autoincrement key is the reference number: unique under concurrency.
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("company", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("request_types", sa.JSON(), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("normalized", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64)),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_desk_tickets_reference", "desk_tickets", ["reference"], unique=True)
    op.create_index("ix_desk_tickets_company", "desk_tickets", ["company"])
    op.create_index("ix_desk_tickets_status", "desk_tickets", ["status"])
    op.create_index("ix_desk_tickets_normalized", "desk_tickets", ["normalized"])
    op.create_index("ix_desk_tickets_session_id", "desk_tickets", ["session_id"])
    op.create_index("ix_desk_tickets_created_at", "desk_tickets", ["created_at"])
    op.create_index("ix_desk_tickets_due_at", "desk_tickets", ["due_at"])
    op.create_table(
        "desk_ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_number", sa.Integer(), sa.ForeignKey("desk_tickets.number", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(32)),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_desk_ticket_events_ticket_number", "desk_ticket_events", ["ticket_number"])


def downgrade() -> None:
    op.drop_table("desk_ticket_events")
    op.drop_table("desk_tickets")
