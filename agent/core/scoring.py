"""Scoring by the seed's rules (pure functions, no I/O).

Total = sum of the twelve 0-5 answers; level = the seed's band for the total; a dimension's score
is the mean of its two answers (one decimal); the target is one level up, capped at 5. A partial
assessment is marked partial, lists what is missing and never counts a missing answer as 0: its
level is given as the range the missing answers could still produce.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from agent.core.rubric import Rubric


class DimensionScore(BaseModel):
    dimension: str
    name: str
    score: float | None  # mean of the answered questions, one decimal; None if none answered
    target: float
    gap: float | None  # target - score, never negative; None if unscored
    answered: list[str]
    missing: list[str]


class Assessment(BaseModel):
    complete: bool
    answers: dict[str, int]
    missing: list[str]
    total: int  # sum of the answered questions only
    max_total: int  # the highest total still possible (missing answers at 5)
    level: int | None  # None while partial and the range spans several levels
    level_name: str | None
    level_range: tuple[int, int]  # (missing all 0, missing all 5)
    target_level: int
    target_level_name: str
    dimensions: list[DimensionScore]


def total_score(answers: Mapping[str, int]) -> int:
    """Sum of the given answers."""
    return sum(answers.values())


def target_level(level: int) -> int:
    """One level up from the current one, capped at 5 (the seed: 'usually +1 level')."""
    return min(level + 1, 5)


def dimension_score(rubric: Rubric, dimension: str, answers: Mapping[str, int]) -> float | None:
    """Mean of the dimension's answered questions, rounded to one decimal."""
    vals = [answers[q.id] for q in rubric.questions_in(dimension) if q.id in answers]
    if not vals:
        return None
    return round(sum(vals) / len(vals) + 1e-9, 1)


def score(rubric: Rubric, answers: Mapping[str, int]) -> Assessment:
    """Score a (possibly partial) set of answers {question id: 0..5}."""
    clean = {q.id: int(answers[q.id]) for q in rubric.questions if q.id in answers}
    for qid, val in clean.items():
        if not 0 <= val <= 5:
            raise ValueError(f"{qid} must be 0..5, got {val}")
    missing = [q.id for q in rubric.questions if q.id not in clean]
    total = total_score(clean)
    max_total = total + 5 * len(missing)
    lo, hi = rubric.level_for_total(total), rubric.level_for_total(max_total)
    level = lo if lo == hi else None
    # Until the level is known, plan from the lowest level the answers so far guarantee.
    tgt = target_level(lo)
    dims = []
    for d in rubric.dimensions:
        qs = rubric.questions_in(d.id)
        s = dimension_score(rubric, d.id, clean)
        dims.append(
            DimensionScore(
                dimension=d.id,
                name=d.name,
                score=s,
                target=float(tgt),
                gap=None if s is None else round(max(0.0, tgt - s), 1),
                answered=[q.id for q in qs if q.id in clean],
                missing=[q.id for q in qs if q.id not in clean],
            )
        )
    return Assessment(
        complete=not missing,
        answers=clean,
        missing=missing,
        total=total,
        max_total=max_total,
        level=level,
        level_name=None if level is None else rubric.level(level).name,
        level_range=(lo, hi),
        target_level=tgt,
        target_level_name=rubric.level(tgt).name,
        dimensions=dims,
    )


def level_text(rubric: Rubric, a: Assessment) -> str:
    """'Level 2 (Organized)', or while the missing answers leave it open 'Level 1–3, provisional'."""
    if a.level is not None:
        return f"Level {a.level} ({rubric.level(a.level).name})"
    lo, hi = a.level_range
    return f"Level {lo}–{hi}, provisional"
