"""Analytics: the turns citizens' conversations are made of, without personal data.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATINGS = ("up", "down", "1", "2", "3", "4", "5")
# each dashboard query reads one of these alone, without the table (store/analytics.py)
INDEXES = {
    "ix_turns_day_channel_feedback": ("day", "channel", "feedback"),
    "ix_turns_channel_conversation": (
        "channel",
        "conversation_hash",
        "day",
        "answered",
        "handed_off",
        "feedback",
    ),
    "ix_turns_channel_latency": ("channel", "latency_ms", "day"),
    "ix_turns_procedure_day": ("procedure_code", "day", "answered"),
    "ix_turns_question_key_day": ("question_key", "day", "answered", "confidence", "at"),
    "ix_turns_conversation_hash_at": ("conversation_hash", "at"),
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("conversation_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("procedure_code", sa.String(16), nullable=True),
        sa.Column("answered", sa.Boolean(create_constraint=False), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("question_key", sa.String(200), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("feedback", sa.String(8), nullable=True),
        sa.Column("handed_off", sa.Boolean(create_constraint=False), nullable=False),
        sa.CheckConstraint(
            "feedback IS NULL OR " + _in("feedback", RATINGS), name="ck_turns_feedback"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_turns"),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "turns", list(columns))


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="turns")
    op.drop_table("turns")
