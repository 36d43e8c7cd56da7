"""What the last answer of a session quoted, so a follow-up quotes something new.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chat_sessions", sa.Column("last_cited", sa.JSON()))


def downgrade() -> None:
    op.drop_column("chat_sessions", "last_cited")
