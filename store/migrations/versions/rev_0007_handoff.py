"""Live handoff: conversations waiting for or claimed by a staff member, and their messages.

The audit log's list of actions grows by four (claim, reply, hand back, close). Its CHECK
constraint is replaced as in revision 0004: on SQLite the table is rebuilt in batch mode,
which drops its append-only triggers, so they are made again here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.migrations.versions import rev_0004_catalogue_releases as rev_0004
from store.migrations.versions import rev_0006_analytics as rev_0006
from store.migrations.versions.rev_0003_staff_accounts import SQLITE_TRIGGERS

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the actions as the previous revision left them (0006 names its own list if it changed it)
OLD_ACTIONS: tuple[str, ...] = getattr(rev_0006, "AUDIT_ACTIONS", rev_0004.AUDIT_ACTIONS)
HANDOFF_ACTIONS = ("handoff_claim", "handoff_reply", "handoff_return", "handoff_close")
AUDIT_ACTIONS = (*OLD_ACTIONS, *HANDOFF_ACTIONS)
STATES = ("asking", "waiting", "pending", "claimed", "returned", "closed")
ACTIVE_STATES = ("asking", "waiting", "pending", "claimed")
STEPS = ("question", "consent", "contact")
AUTHORS = ("citizen", "bot", "staff", "system")
KINDS = ("text", "claimed", "returned", "closed")
DELIVERIES = ("pending", "sent", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _audit_actions(actions: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_audit_log_action", "audit_log", type_="check")
        op.create_check_constraint("ck_audit_log_action", "audit_log", _in("action", actions))
        return
    for statement in ("DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"):
        op.execute(statement)
    with op.batch_alter_table("audit_log", recreate="always") as batch:
        batch.drop_constraint("ck_audit_log_action", type_="check")
        batch.create_check_constraint("ck_audit_log_action", _in("action", actions))
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "handoff_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("step", sa.String(8), nullable=True),
        sa.Column("after_hours", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("procedure_code", sa.String(16), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("claimed_at", _when(), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("closed_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_conversations"),
        sa.CheckConstraint(_in("state", STATES), name="ck_handoff_conversations_state"),
        sa.CheckConstraint(
            "step IS NULL OR " + _in("step", STEPS), name="ck_handoff_conversations_step"
        ),
    )
    active = sa.text(_in("state", ACTIVE_STATES))
    op.create_index(
        "uq_handoff_conversations_active",
        "handoff_conversations",
        ["conversation_id"],
        unique=True,
        sqlite_where=active,
        postgresql_where=active,
    )
    op.create_index(
        "ix_handoff_conversations_state_created",
        "handoff_conversations",
        ["state", "created_at"],
    )
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("author", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("staff", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("delivery", sa.String(8), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("tried_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_messages"),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoff_conversations.id"],
            name="fk_handoff_messages_handoff_id_handoff_conversations",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_in("author", AUTHORS), name="ck_handoff_messages_author"),
        sa.CheckConstraint(_in("kind", KINDS), name="ck_handoff_messages_kind"),
        sa.CheckConstraint(_in("delivery", DELIVERIES), name="ck_handoff_messages_delivery"),
    )
    op.create_index("ix_handoff_messages_delivery", "handoff_messages", ["delivery"])
    op.create_index("ix_handoff_messages_handoff_id", "handoff_messages", ["handoff_id"])
    op.create_index(
        "ix_handoff_messages_conversation_id_id", "handoff_messages", ["conversation_id", "id"]
    )
    _audit_actions(AUDIT_ACTIONS)


def downgrade() -> None:
    op.drop_table("handoff_messages")
    op.drop_table("handoff_conversations")
    kept = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM audit_log WHERE NOT ({_in('action', OLD_ACTIONS)})")
    )
    if kept.scalar():  # the log is append-only: its handoff rows cannot go
        raise RuntimeError("the audit log holds handoff steps; it cannot go back to 0006")
    _audit_actions(OLD_ACTIONS)
