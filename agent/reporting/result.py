"""The assessment result: what a report is rendered from, and what the JSON export holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from pydantic import BaseModel, Field

from agent.core.calls import Usage
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord, SummaryContext
from agent.core.scoring import Assessment, score
from agent.core.transitions import Transitions
from agent.reporting.advice import Advice, select_actions
from agent.reporting.priorities import plan_advice

ATTRIBUTION = "Framework: AI Operations Maturity Model v1.0.0 by FrankX Research, CC BY-SA 4.0"


class AssessmentResult(BaseModel):
    """Everything a report needs; also the JSON export (which adds a computed `advice` block)."""

    session: str
    organization: str | None = None
    assessed_on: str  # ISO date
    assessed_by: str = "aiops-assess interview"
    model: str
    rubric_version: str
    assessment: Assessment
    answers: dict[str, AnswerRecord] = Field(default_factory=dict)
    finished_early: bool = False
    summary: str | None = None  # executive-summary prose written by a model
    usage: Usage = Field(default_factory=Usage)
    notes: list[str] = Field(default_factory=list)
    # The dimensions this respondent was asked about (an organization round); None: all of them.
    scope: list[str] | None = None
    # Advice grounded in retrieved passages (set by the report node); None: computed from the guides.
    advice: Advice | None = None


def build_result(
    rubric: Rubric,
    session: str,
    answers: Mapping[str, AnswerRecord],
    *,
    model: str,
    organization: str | None = None,
    assessed_on: str | date | None = None,
    assessed_by: str = "aiops-assess interview",
    finished_early: bool = False,
    summary: str | None = None,
    usage: Usage | None = None,
    notes: Iterable[str] = (),
    scope: Iterable[str] | None = None,
) -> AssessmentResult:
    """Score the answers and bundle them with the session's metadata (date defaults to today)."""
    when = assessed_on or date.today()
    return AssessmentResult(
        session=session,
        organization=organization,
        assessed_on=when.isoformat() if isinstance(when, date) else when,
        assessed_by=assessed_by,
        model=model,
        rubric_version=rubric.version,
        assessment=score(rubric, {qid: rec.score for qid, rec in answers.items()}),
        answers=dict(answers),
        finished_early=finished_early,
        summary=summary,
        usage=usage or Usage(),
        notes=list(notes),
        scope=sorted(scope) if scope else None,
    )


def advice_of(rubric: Rubric, transitions: Transitions, result: AssessmentResult) -> Advice:
    """The result's grounded advice, or (older sessions, no index) the advice from the guides, as the
    report presents it: ordered by importance, with the three things to do first (advice stored by
    an older version gets them here; planning advice again changes nothing)."""
    advice = result.advice or select_actions(rubric, transitions, result.assessment, result.answers)
    return plan_advice(rubric, transitions, result.assessment, advice, result.answers)


def summary_context(assessment: Assessment) -> SummaryContext:
    """What the executive summary is written from: level, strengths, largest gaps, what is missing.
    Its output is part of requests the provider tests replay (tests/cassettes): changing it needs
    new recordings."""
    scored = [(d, d.score) for d in assessment.dimensions if d.score is not None]
    best = [d for d, _ in sorted(scored, key=lambda ds: -ds[1])[:2]]
    gaps = [d for d, _ in sorted(scored, key=lambda ds: -(ds[0].gap or 0)) if (d.gap or 0) > 0][:3]
    return SummaryContext(
        level=assessment.level, level_name=assessment.level_name, level_range=assessment.level_range,
        total=assessment.total, target_level=assessment.target_level,
        target_level_name=assessment.target_level_name,
        strengths=[f"{d.name} ({d.score:.1f})" for d in best],
        gaps=[f"{d.name} ({d.score:.1f} of {d.target:.1f})" for d in gaps],
        missing=assessment.missing,
    )
