"""What changed between two rounds of an organization's assessment, and how far the transition
guide the earlier round pointed to has come (pure functions, no I/O)."""

from __future__ import annotations

from pydantic import BaseModel

from agent.core.aggregation import RespondentAnswer, RoundAggregate
from agent.core.rubric import Rubric
from agent.core.transitions import Transitions


class DimensionChange(BaseModel):
    dimension: str
    name: str
    before: float | None
    after: float | None

    @property
    def moved(self) -> bool:
        return self.before != self.after


class AnswerMove(BaseModel):
    """A question whose aggregate moved, with what the respondents said then and now."""

    question: str
    topic: str
    before: int | None
    after: int | None
    said_before: list[RespondentAnswer]
    said_now: list[RespondentAnswer]


class GuideProgress(BaseModel):
    """The guide from the earlier round's level to the level it targeted: its checklist items the
    answers show as done then and now (items the questionnaire cannot vouch for are not counted as
    done), its success criteria as the seed states them, and whether the target level is reached."""

    heading: str  # "Level 1 to Level 2"
    title: str
    target_level: int
    items_total: int
    done_before: list[str]
    done_now: list[str]
    success_criteria: list[str]
    target_reached: bool

    @property
    def newly_done(self) -> list[str]:
        return [i for i in self.done_now if i not in self.done_before]


class RoundChange(BaseModel):
    """One round compared with the one before it."""

    round: str
    previous: str
    level_before: int | None
    level_after: int | None
    level_range_before: tuple[int, int]
    level_range_after: tuple[int, int]
    total_before: int
    total_after: int
    dimensions: list[DimensionChange]
    moved: list[AnswerMove]
    progress: GuideProgress | None

    def headline(self) -> str:
        """'since 2026-Q3: Cost 1 → 3, level 1 → 2' (only what moved; 'no change' when nothing did)."""
        parts = [f"{d.name} {_num(d.before)} → {_num(d.after)}" for d in self.dimensions if d.moved]
        before = _level(self.level_before, self.level_range_before)
        after = _level(self.level_after, self.level_range_after)
        if before != after:
            parts.append(f"level {before} → {after}")
        return f"since {self.previous}: " + (", ".join(parts) if parts else "no change")


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _level(level: int | None, span: tuple[int, int]) -> str:
    """The level, or the range that missing answers and unsettled disagreements leave open."""
    if span[0] == span[1]:
        return str(span[0])
    return f"{span[0]}–{span[1]}" if level is None else f"{level} (range {span[0]}–{span[1]})"


def compare_rounds(rubric: Rubric, transitions: Transitions, previous: tuple[str, RoundAggregate],
                   current: tuple[str, RoundAggregate]) -> RoundChange:
    """How `current` differs from `previous` (each a (round name, aggregate) pair)."""
    (prev_name, prev), (cur_name, cur) = previous, current
    dims = [DimensionChange(dimension=a.dimension, name=a.name, before=b.score, after=a.score)
            for b, a in zip(prev.assessment.dimensions, cur.assessment.dimensions, strict=True)]
    moved = []
    for b, a in zip(prev.questions, cur.questions, strict=True):
        if b.score != a.score:
            moved.append(AnswerMove(question=a.question, topic=a.topic, before=b.score, after=a.score,
                                    said_before=b.answers, said_now=a.answers))
    return RoundChange(
        round=cur_name, previous=prev_name,
        level_before=prev.assessment.level, level_after=cur.assessment.level,
        level_range_before=prev.level_range, level_range_after=cur.level_range,
        total_before=prev.assessment.total, total_after=cur.assessment.total,
        dimensions=dims, moved=moved, progress=_progress(transitions, prev, cur))


def _progress(transitions: Transitions, prev: RoundAggregate, cur: RoundAggregate) -> GuideProgress | None:
    start = prev.assessment.level if prev.assessment.level is not None else prev.level_range[0]
    guide = transitions.guide(start)
    if guide is None:
        return None
    items = [i for block in guide.blocks for i in block.items]
    then, now = prev.scores, cur.scores
    reached = cur.assessment.level if cur.assessment.level is not None else cur.level_range[0]
    return GuideProgress(
        heading=guide.heading, title=guide.title, target_level=guide.to_level, items_total=len(items),
        done_before=[i.text for i in items if i.satisfied(then)],
        done_now=[i.text for i in items if i.satisfied(now)],
        success_criteria=list(guide.success_criteria), target_reached=reached >= guide.to_level)
