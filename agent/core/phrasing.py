"""Interviewer wording from knowledge/phrasing.yaml: the opening message (used by every model) and
the offline engine's messages and report prose (pure, apart from loading the file)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from agent.common.datafile import load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.core.rubric import Rubric
from agent.core.schemas import SummaryContext


class QuestionWording(BaseModel):
    ask: str
    reask: str
    clarify: str


class Phrasing(BaseModel):
    greeting: str
    acknowledge: dict[str, str]
    lead_in: dict[str, list[str]]
    questions: dict[str, QuestionWording]
    dimensions: dict[str, str]
    verify: dict[str, str]
    options: dict[str, str]
    plain: dict[str, list[str]]
    respond: dict[str, str]
    confirm_changes: str
    english_only: str

    def plain_option(self, qid: str, score: int) -> str:
        """The option in plain words (the rubric's label where none is written)."""
        return self.plain[qid][score]


@lru_cache(maxsize=2)
def load_phrasing(path: Path = KNOWLEDGE_DIR / "phrasing.yaml") -> Phrasing:
    """The offline engine's templates (validated)."""
    return load_yaml_model(path, Phrasing, "phrasing")


def opening_message(rubric: Rubric, phrasing: Phrasing, notice: str | None = None,
                    scope: Sequence[str] | None = None) -> str:
    """The greeting and the first question (the first dimension — of `scope`, when the respondent is
    asked about some dimensions only — both of its questions): fixed text, so it can be shown before
    any model loads."""
    parts = [phrasing.greeting.strip()]
    if notice:
        parts.append(f"_{notice}_")
    first = next((d.id for d in rubric.dimensions if not scope or d.id in scope), rubric.questions[0].dimension)
    parts.append(phrasing.dimensions[first])
    return "\n\n".join(parts)


def write_summary(ctx: SummaryContext) -> str:
    """Executive summary prose from the scored facts."""
    if ctx.level is None:
        lo, hi = ctx.level_range
        head = (f"With {len(ctx.missing)} of 12 questions unanswered, the result is provisional: "
                f"the answers so far place the organization between Level {lo} and Level {hi} "
                f"(total {ctx.total} so far).")
    else:
        head = f"The organization is at Level {ctx.level} ({ctx.level_name}) with a total of {ctx.total}/60."
        if ctx.missing:
            head += f" {len(ctx.missing)} question(s) were not answered, so the result is provisional."
    parts = [head]
    if ctx.strengths:
        parts.append("Its strongest areas are " + _join(ctx.strengths) + ".")
    if ctx.gaps:
        parts.append(f"To reach Level {ctx.target_level} ({ctx.target_level_name}), the largest gaps are in "
                     + _join(ctx.gaps) + ".")
    else:
        parts.append(f"The next step is Level {ctx.target_level} ({ctx.target_level_name}).")
    return " ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
