"""Second factors in transit: one-time factor tokens and conversations awaiting a factor.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "factor_tokens",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("conversation_hash", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_factor_tokens")),
    )
    op.create_index(op.f("ix_factor_tokens_expires_at"), "factor_tokens", ["expires_at"])
    op.create_table(
        "awaiting_factors",
        sa.Column("conversation_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_hash", name=op.f("pk_awaiting_factors")),
    )
    op.create_index(op.f("ix_awaiting_factors_expires_at"), "awaiting_factors", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_awaiting_factors_expires_at"), table_name="awaiting_factors")
    op.drop_table("awaiting_factors")
    op.drop_index(op.f("ix_factor_tokens_expires_at"), table_name="factor_tokens")
    op.drop_table("factor_tokens")
