"""Formal-request drafts, idempotent submissions with encrypted contact details, and desk-customer messages.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_drafts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("company", sa.String(64), nullable=False),
        sa.Column("request_types", sa.JSON(), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_reference", sa.String(32)),
    )
    op.create_index("ix_request_drafts_session_id", "request_drafts", ["session_id"])
    op.create_index("ix_request_drafts_expires_at", "request_drafts", ["expires_at"])
    # Plain ADD COLUMN (no batch copy on SQLite); the unique index makes one ticket per draft.
    op.add_column("desk_tickets", sa.Column("draft_id", sa.String(64)))
    op.add_column("desk_tickets", sa.Column("contact", sa.Text()))
    op.add_column("desk_tickets", sa.Column("client_key", sa.String(32)))
    op.create_index("ix_desk_tickets_draft_id", "desk_tickets", ["draft_id"], unique=True)
    op.create_index("ix_desk_tickets_client_key", "desk_tickets", ["client_key"])
    op.create_table(
        "desk_ticket_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_number", sa.Integer(), sa.ForeignKey("desk_tickets.number", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_desk_ticket_messages_ticket_number", "desk_ticket_messages", ["ticket_number"])


def downgrade() -> None:
    op.drop_table("desk_ticket_messages")
    op.drop_index("ix_desk_tickets_client_key", "desk_tickets")
    op.drop_index("ix_desk_tickets_draft_id", "desk_tickets")
    with op.batch_alter_table("desk_tickets") as batch:
        batch.drop_column("client_key")
        batch.drop_column("contact")
        batch.drop_column("draft_id")
    op.drop_table("request_drafts")
