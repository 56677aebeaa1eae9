"""score and report: score the answers (pure), write the summary prose (one model call, optional)
and render the report the user leaves with."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.attachment import in_scope, scope_of
from agent.core.calls import Usage
from agent.core.prompts import render
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.core.scoring import score as score_answers
from agent.interview.context import Services
from agent.interview.notices import fallback_alerts, models_line
from agent.interview.state import InterviewState
from agent.reporting.advice import Advice
from agent.reporting.markdown import render_markdown
from agent.reporting.result import build_result, summary_context
from agent.reporting.wording import load_report_wording


def score(state: InterviewState, runtime: Runtime[Services]) -> dict:
    rubric = runtime.context.rubric
    answers = {q: a["score"] for q, a in state.get("answers", {}).items()}
    assessment = score_answers(rubric, answers)
    return {"result": {"assessment": assessment.model_dump(mode="json")}, "phase": "report"}


def _flag_notes(state: InterviewState) -> list[str]:
    """The replies the screening set text aside from (instructions, fake messages, self-ratings),
    so a reader of the report can weigh the assessment."""
    flags = state.get("flags") or []
    if not flags:
        return []
    wording = load_report_wording()
    kinds = sorted({wording.flag_kinds.get(k, k.replace("_", " ")) for f in flags for k in f.get("kinds", [])}) \
        or ["readings refused"]
    refused = sum(n for f in flags for n in (f.get("dropped") or {}).values())
    turns = sorted({int(f.get("turn", 0)) for f in flags})
    return [wording.notes.flagged.format(
        replies=f"{len(flags)} repl{'y' if len(flags) == 1 else 'ies'}", kinds=", ".join(kinds),
        turns=("reply " if len(turns) == 1 else "replies ") + ", ".join(map(str, turns)),
        refused=f"; {refused} reading{'s' if refused != 1 else ''} refused" if refused else "")]


def _model_notes(state: InterviewState, configured: str, calls: list) -> list[str]:
    """What the report says when not every answer or text came from the configured model."""
    notes = []
    line = models_line(state.get("answers", {}), state.get("model") or configured)
    if line:
        notes.append(f"{line}. The configured model was not available for part of this session.")
    alerts, _ = fallback_alerts([*state.get("calls", []), *calls], [])
    notes += [a.removeprefix("⚠ ") for a in alerts]
    return notes


def _scope_notes(state: InterviewState, rubric: Rubric) -> list[str]:
    """What was not asked: outside the respondent's scope (an organization round), or skipped."""
    scope = scope_of(state)
    asked = set(in_scope(rubric, scope))
    skipped = [q for q in state.get("skipped", []) if q in asked]
    notes = []
    if scope:
        names = ", ".join(d.name for d in rubric.dimensions if d.id in scope)
        notes.append(f"This respondent was asked about {names} only; the other questions are answered by "
                     "their colleagues in the organization's round.")
    if skipped:
        notes.append(f"Skipped: {', '.join(skipped)}")
    return notes


def report(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    rubric = svc.rubric
    assessment = Assessment.model_validate((state.get("result") or {})["assessment"])
    summary, calls = svc.gateway.text("summary", render("summary", summary_context(assessment)))
    call_dicts = [c.model_dump() for c in calls]
    result = build_result(
        rubric, svc.session,
        {q: AnswerRecord.model_validate(a) for q, a in state.get("answers", {}).items()},
        model=state.get("model") or svc.gateway.model,
        organization=state.get("organization") or (None if state.get("org_declined") else state.get("org_candidate")),
        finished_early=bool(assessment.missing),
        summary=summary,
        usage=Usage.of([*state.get("calls", []), *calls]),
        scope=scope_of(state),
        notes=[*_scope_notes(state, rubric),
               *_model_notes(state, svc.gateway.model, calls), *_flag_notes(state)],
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
