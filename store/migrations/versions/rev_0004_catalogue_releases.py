"""Catalogue releases: uploaded catalogues, the pointer to the live one, and their audit actions.

The audit log's list of actions grows by three. Its CHECK constraint is replaced; on SQLite
that rebuilds the table in batch mode, which drops its append-only triggers, so they are made
again here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from store.migrations.versions.rev_0003_staff_accounts import AUDIT_ACTIONS as OLD_ACTIONS
from store.migrations.versions.rev_0003_staff_accounts import SQLITE_TRIGGERS

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_ACTIONS = (*OLD_ACTIONS, "catalogue_stage", "catalogue_publish", "catalogue_rollback")
RELEASE_STATES = ("invalid", "staged", "building", "failed", "published")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


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
        "catalogue_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("procedures", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("report", _json(), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("published_at", _when(), nullable=True),
        sa.Column("published_by", sa.String(64), nullable=True),
        sa.Column("build_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_catalogue_releases"),
        sa.CheckConstraint(_in("state", RELEASE_STATES), name="ck_catalogue_releases_state"),
    )
    op.create_table(
        "catalogue_live",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", _when(), nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalogue_live"),
        sa.CheckConstraint("id = 1", name="ck_catalogue_live_single"),
    )
    _audit_actions(AUDIT_ACTIONS)


def downgrade() -> None:
    op.drop_table("catalogue_live")
    op.drop_table("catalogue_releases")
    kept = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM audit_log WHERE NOT ({_in('action', OLD_ACTIONS)})")
    )
    if kept.scalar():  # the log is append-only: its catalogue rows cannot go
        raise RuntimeError("the audit log holds catalogue publications; it cannot go back to 0003")
    _audit_actions(OLD_ACTIONS)
