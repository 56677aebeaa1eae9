"""A citable passage of the retrieval corpus and what retrieval may filter it by."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["overview", "level", "dimension", "transition", "kpi", "assessment", "organization"]
Origin = Literal["framework", "organization"]
SEP = " › "


class Chunk(BaseModel):
    """One citable passage and what retrieval may filter it by."""

    id: str
    section: str  # e.g. "Transition Guides › Level 2 to Level 3 › Week 5-8: Evaluation Pipeline"
    kind: Kind
    text: str
    document: str
    origin: Origin = "framework"
    level: int | None = None  # the level a level/kpi chunk describes
    from_level: int | None = None  # transition chunks
    to_level: int | None = None
    dimensions: list[str] = Field(default_factory=list)  # empty: concerns no dimension in particular

    def embed_text(self) -> str:
        """What the embedder sees: the section path gives a short passage its topic words."""
        return f"{self.section}\n{self.text}"

    def cite(self) -> str:
        """How an answer cites this chunk."""
        if self.origin == "organization":
            return f"Your organization's document {self.section}"
        return self.section


def slug(text: str) -> str:
    """A stable, readable id fragment."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
