"""Records, their status history, lookup failures, feedback and handoff notes.

Revision ID: 0001
Revises:
Create Date: 2025-07-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "received",
    "processing",
    "waiting_supplement",
    "paused",
    "waiting_payment",
    "result_ready",
    "done",
    "rejected",
    "cancelled",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=False),
        sa.Column("receiving_commune", sa.String(200), nullable=False),
        sa.Column("receiving_unit_code", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("received_at", _when(), nullable=False),
        sa.Column("due_at", _when(), nullable=True),
        sa.Column("finished_at", _when(), nullable=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column(
            "missing_documents",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("result_delivery", sa.String(8), nullable=True),
        sa.Column("collect_at", sa.Text(), nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_records"),
        sa.UniqueConstraint("code", name="uq_records_code"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_records_status"),
        sa.CheckConstraint(
            _in("channel", ("in_person", "online", "postal")), name="ck_records_channel"
        ),
        sa.CheckConstraint(
            "result_delivery IS NULL OR " + _in("result_delivery", ("online", "counter", "post")),
            name="ck_records_result_delivery",
        ),
    )
    op.create_index("ix_records_procedure_code", "records", ["procedure_code"])

    op.create_table(
        "record_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_record_status_events"),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_record_status_events_record_id_records",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_record_status_events_status"),
    )
    op.create_index(
        "ix_record_status_events_record_at", "record_status_events", ["record_id", "at"]
    )

    op.create_table(
        "lookup_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lookup_failures"),
    )
    op.create_index("ix_lookup_failures_key_at", "lookup_failures", ["key_hash", "at"])
    op.create_index("ix_lookup_failures_at", "lookup_failures", ["at"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.CheckConstraint(
            _in("rating", ("up", "down", "1", "2", "3", "4", "5")), name="ck_feedback_rating"
        ),
    )
    op.create_index("ix_feedback_conversation_id", "feedback", ["conversation_id"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])

    op.create_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("closed_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_notes"),
        sa.CheckConstraint(_in("status", ("open", "closed")), name="ck_handoff_notes_status"),
    )
    op.create_index("ix_handoff_notes_conversation_id", "handoff_notes", ["conversation_id"])
    op.create_index("ix_handoff_notes_status_created", "handoff_notes", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("handoff_notes")
    op.drop_table("feedback")
    op.drop_table("lookup_failures")
    op.drop_table("record_status_events")
    op.drop_table("records")
