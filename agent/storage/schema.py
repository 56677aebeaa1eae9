"""The organization store's tables (SQLAlchemy Core). The schema evolves only through migrations in
agent/storage/migrations/versions; SCHEMA_REVISION names the newest one, so opening an up-to-date
database needs no migration machinery at all."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_REVISION = "0001"

metadata = MetaData()

organizations = Table(
    "organizations", metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(80), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

org_owners = Table(
    "org_owners", metadata,
    Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_name", String(200), primary_key=True),
)

rounds = Table(
    "rounds", metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("org_id", "name", name="uq_rounds_org_name"),
)

participations = Table(
    "participations", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("session", String(64), nullable=False, unique=True),
    # Who answered: the name's key (case and spacing folded), so one person's second session in a
    # round supersedes the first; an anonymous respondent's key is its session.
    Column("respondent_key", String(200), nullable=False),
    Column("respondent", String(200), nullable=True),
    Column("role", String(120), nullable=True),
    Column("scope", Text, nullable=True),  # JSON list of dimension ids; null: all of them
    Column("phase", String(20), nullable=False),
    Column("answered", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

answers = Table(
    "answers", metadata,
    Column("participation_id", Integer, ForeignKey("participations.id", ondelete="CASCADE"), primary_key=True),
    Column("question", String(8), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("quote", Text, nullable=False),
    Column("source", String(20), nullable=True),
    Column("model", String(200), nullable=True),
)

settlements = Table(
    "settlements", metadata,
    Column("id", Integer, primary_key=True),
    Column("round_id", Integer, ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("question", String(8), nullable=False),
    Column("score", Integer, nullable=False),
    Column("note", Text, nullable=False),
    Column("settled_by", String(200), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=False),
)
