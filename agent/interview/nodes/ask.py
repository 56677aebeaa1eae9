"""ask: the interviewer's next message — acknowledge what the last reply set or changed (old →
new, with the words), answer any question back, and put the planned question: a dimension's open
question, one question, a confirmation of inferred answers, or numbered options (one model call;
the question in plain text if the model fails)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.answers import known_answers, scores_line
from agent.core.organization import declines_name, organization_named
from agent.core.organization import load_rules as load_organization_rules
from agent.core.planner import Plan
from agent.core.prompts import render
from agent.core.schemas import AskContext, ChangeNote, ChoiceSet, QuestionBack, as_question_id
from agent.interview.context import Services
from agent.interview.notices import fallback_alerts
from agent.interview.reading import brief, choices
from agent.interview.state import InterviewState
from agent.reporting.followup_route import explain_term


def _changes(svc: Services, update: dict) -> list[ChangeNote]:
    rubric = svc.rubric
    out = []
    for c in update.get("changes", []):
        q = rubric.question(c["question_id"])
        out.append(ChangeNote(question_id=as_question_id(q.id), topic=q.topic,
                              old=None if c.get("old") is None else q.label(c["old"]), new=q.label(c["new"]),
                              said=c.get("evidence", "")))
    return out


def _fallback(ctx: AskContext, svc: Services) -> str:
    """The message without a model: the notices and the question(s) in the seed's own words."""
    rubric = svc.rubric
    lines = list(ctx.notices)
    if ctx.choices and ctx.question is not None:
        lines.append(rubric.question(ctx.question.id).text)
        lines += [f"{c.number}. {c.label}" for c in ctx.choices] + [f"{len(ctx.choices) + 1}. Something else"]
    else:
        lines += [f"Is this right: {rubric.question(v.question_id).text} — {v.label}?" for v in ctx.verify]
        lines += [rubric.question(q.id).text for q in (ctx.questions or ([ctx.question] if ctx.question else []))]
    return "\n\n".join(lines)


def organization_offer(state: InterviewState) -> tuple[dict, list[str]]:
    """(state update, lines to say) for an organization named — or declined — in the last reply."""
    if state.get("organization"):
        return {}, []
    reply = state.get("reply") or ""
    rules = load_organization_rules()
    if state.get("org_candidate") and not state.get("org_declined") and declines_name(reply):
        return {"org_declined": True}, [rules.declined]
    name = organization_named(reply, rules)
    if not name or name == state.get("org_candidate"):
        return {}, []
    return {"org_candidate": name, "org_declined": False}, [rules.offer.format(name=name)]


def ask(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    rubric = svc.rubric
    plan = Plan.model_validate(state.get("plan") or {})
    qid = plan.question
    assert qid is not None, "an ask plan names its question"
    update = state.get("update") or {}
    answers = state.get("answers", {})
    changed = set(update.get("changed", []))
    back = update.get("question_back")
    current = state.get("current")
    conflict = plan.mode == "options" and qid in (state.get("conflicts") or {})
    ctx = AskContext(
        mode=plan.mode,
        question=brief(rubric, qid),
        questions=[brief(rubric, q) for q in plan.questions] if plan.mode == "dimension" or len(plan.questions) > 1
        or plan.verify else [],
        verify=[k for k in known_answers(rubric, answers) if k.question_id in plan.verify],
        choices=choices(rubric, qid, plan.options) if plan.mode == "options" else [],
        choice_sets=[ChoiceSet(question_id=as_question_id(q), topic=rubric.question(q).topic,
                               choices=choices(rubric, q, opts)) for q, opts in plan.option_sets.items()]
        if plan.mode == "options" and len(plan.option_sets) > 1 else [],
        conflict=conflict,
        question_why=rubric.question(qid).why,
        same_dimension=current is not None and rubric.question(current).dimension == rubric.question(qid).dimension,
        # An unsure reading is not announced as a fact: it comes back as options to choose from.
        understood=[k for k in known_answers(rubric, answers)
                    if k.question_id in changed and k.confidence >= svc.settings.confidence_threshold],
        changes=_changes(svc, update),
        respond_to=QuestionBack.model_validate(back) if back else None,
        show_options=bool(back and back.get("kind") == "options"),
        notices=list(state.get("notices", [])),
        progress=scores_line(rubric, answers),
    )
    # The question streams to the face through LangGraph's writer (stream_mode="custom").
    on_token = (lambda t: runtime.stream_writer({"token": t})) if svc.stream_tokens else None
    before = list(state.get("alerts", []))  # shown first, verbatim (never rewritten by a model)
    meaning = explain_term(state.get("reply") or "", rubric)  # "what do you mean by chains?": say it
    if meaning:
        before.append(meaning)
    if on_token is not None and before:
        on_token("\n\n".join(before) + "\n\n")
    text, calls = svc.gateway.text("ask", render("ask", ctx), on_token=on_token)
    if not text:
        text = _fallback(ctx, svc)  # degrade gracefully: the question in the seed's own words
        if on_token is not None:
            on_token(text)
    # A fallback during this very call is known only now: said after the question.
    after, announced = fallback_alerts(calls, state.get("announced", []))
    if on_token is not None and after:
        on_token("\n\n" + "\n\n".join(after))
    org, said = organization_offer(state)  # a name heard in this reply, offered for the report once
    if on_token is not None and said:
        on_token("\n\n" + "\n\n".join(said))
    text = "\n\n".join([*before, text, *after, *said])
    attempts = dict(state.get("attempts", {}))
    if not back and state.get("reply"):
        for q in plan.asking:
            attempts[q] = attempts.get(q, 0) + 1
    asked = list(state.get("asked", []))
    if not asked or asked[-1] != qid:
        asked.append(qid)
    pending: dict | None = None
    offered = list(state.get("offered", []))
    if plan.mode == "options":
        sets = plan.option_sets or {qid: plan.options}
        pending = {"kind": "options", "question": qid, "options": plan.options, "sets": sets}
        offered = sorted({*offered, *sets})
    elif plan.verify:
        pending = {"kind": "verify", "questions": plan.verify}
    return {
        "messages": [{"role": "assistant", "content": text}],
        "current": qid, "asking": plan.asking, "asked": asked, "attempts": attempts, "notices": [],
        "pending": pending, "offered": offered,
        "phase": "confirm" if state.get("phase") == "confirm" else "interview",
        "calls": [c.model_dump() for c in calls], "alerts": [], "announced": announced, **org,
    }
