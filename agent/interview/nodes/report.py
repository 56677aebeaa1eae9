"""score and report: score the answers (pure), write the summary prose (one model call, optional)
and render the report the user leaves with."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.calls import Usage
from agent.core.prompts import render
from agent.core.schemas import AnswerRecord, SummaryContext
from agent.core.scoring import Assessment
from agent.core.scoring import score as score_answers
from agent.interview.context import Services
from agent.interview.state import InterviewState
from agent.reporting.advice import Advice
from agent.reporting.markdown import render_markdown
from agent.reporting.result import build_result


def score(state: InterviewState, runtime: Runtime[Services]) -> dict:
    rubric = runtime.context.rubric
    answers = {q: a["score"] for q, a in state.get("answers", {}).items()}
    assessment = score_answers(rubric, answers)
    return {"result": {"assessment": assessment.model_dump(mode="json")}, "phase": "report"}


def _summary_context(rubric, assessment) -> SummaryContext:
    scored = [d for d in assessment.dimensions if d.score is not None]
    best = sorted(scored, key=lambda d: -d.score)[:2]
    gaps = [d for d in sorted(scored, key=lambda d: -(d.gap or 0)) if (d.gap or 0) > 0][:3]
    return SummaryContext(
        level=assessment.level, level_name=assessment.level_name, level_range=assessment.level_range,
        total=assessment.total, target_level=assessment.target_level,
        target_level_name=assessment.target_level_name,
        strengths=[f"{d.name} ({d.score:.1f})" for d in best],
        gaps=[f"{d.name} ({d.score:.1f} of {d.target:.1f})" for d in gaps],
        missing=assessment.missing,
    )


def report(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    rubric = svc.rubric
    assessment = Assessment.model_validate((state.get("result") or {})["assessment"])
    summary, calls = svc.gateway.text("summary", render("summary", _summary_context(rubric, assessment)))
    call_dicts = [c.model_dump() for c in calls]
    result = build_result(
        rubric, svc.session,
        {q: AnswerRecord.model_validate(a) for q, a in state.get("answers", {}).items()},
        model=state.get("model") or svc.gateway.model,
        organization=state.get("organization"),
        finished_early=bool(assessment.missing),
        summary=summary,
        usage=Usage.of([*state.get("calls", []), *calls]),
        notes=[f"Skipped: {', '.join(state['skipped'])}"] if state.get("skipped") else [],
    )
    if state.get("advice"):
        result.advice = Advice.model_validate(state["advice"])
    md = render_markdown(rubric, svc.transitions, result)
    return {
        "messages": [{"role": "assistant", "content": md}],
        "result": result.model_dump(mode="json"),
        "report_md": md,
        "phase": "done",
        "current": None,
        "calls": call_dicts,
    }
