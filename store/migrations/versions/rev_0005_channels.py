"""Messaging platforms: events taken in (exactly once), users' reply windows, sealed tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_events",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("event_hash", sa.String(64), nullable=False),
        sa.Column("received_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "event_hash", name="pk_channel_events"),
    )
    op.create_index("ix_channel_events_received_at", "channel_events", ["received_at"])
    op.create_table(
        "channel_contacts",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_hash", sa.String(64), nullable=False),
        sa.Column("last_inbound_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_hash", name="pk_channel_contacts"),
    )
    op.create_table(
        "channel_tokens",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("platform", name="pk_channel_tokens"),
    )


def downgrade() -> None:
    op.drop_table("channel_tokens")
    op.drop_table("channel_contacts")
    op.drop_index("ix_channel_events_received_at", table_name="channel_events")
    op.drop_table("channel_events")
