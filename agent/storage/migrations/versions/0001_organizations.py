"""Organizations, rounds, respondents' sessions, their answers and settlements.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "org_owners",
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_name", sa.String(200), primary_key=True),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "name", name="uq_rounds_org_name"),
    )
    op.create_table(
        "participations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("session", sa.String(64), nullable=False, unique=True),
        sa.Column("respondent_key", sa.String(200), nullable=False),
        sa.Column("respondent", sa.String(200), nullable=True),
        sa.Column("role", sa.String(120), nullable=True),
        sa.Column("scope", sa.Text, nullable=True),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("answered", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_participations_round_id", "participations", ["round_id"])
    op.create_table(
        "answers",
        sa.Column("participation_id", sa.Integer, sa.ForeignKey("participations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("question", sa.String(8), primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("source", sa.String(20), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question", sa.String(8), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("settled_by", sa.String(200), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_settlements_round_id", "settlements", ["round_id"])


def downgrade() -> None:
    for table in ("settlements", "answers", "participations", "rounds", "org_owners", "organizations"):
        op.drop_table(table)
