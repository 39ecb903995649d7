"""Accounts: users.password_hash and users.role; login_sessions; login_failures.

Written from ``alembic revision --autogenerate`` against a database at 0001_initial
and checked by hand.  Existing users (the local user of single-user mode) get
``role = 'aspirant'`` from the server default and no password, so they keep their
history and cannot sign in, as before.  Both new ``users`` columns are added with
``ALTER TABLE ... ADD COLUMN`` (SQLite does that in place: no table copy).

Revision ID: 0002_accounts
Revises: 0001_initial
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_accounts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=16), server_default="aspirant", nullable=False))

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=120), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failures_account", "login_failures", ["account"], unique=False)
    op.create_index("ix_login_failures_client", "login_failures", ["client"], unique=False)
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
    op.drop_index("ix_login_failures_client", table_name="login_failures")
    op.drop_index("ix_login_failures_account", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("role")
        batch_op.drop_column("password_hash")
