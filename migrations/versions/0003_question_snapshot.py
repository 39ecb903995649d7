"""Attempts keep the question as it was answered: attempts.question_json.

A nullable text column added with ``ALTER TABLE ... ADD COLUMN`` (SQLite does that in
place: no table copy). Attempts recorded before it have NULL there and show the bank's
current question, as before; newer ones keep the question's text, marks and model
answer, so History still shows them after the bank edits or deletes the question.

Revision ID: 0003_question_snapshot
Revises: 0002_accounts
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_question_snapshot"
down_revision = "0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_column("question_json")
