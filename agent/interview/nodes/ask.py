"""ask: the interviewer's next message — acknowledge what was understood, answer any question
back, and put the planned question (one model call; plain question text if the model fails)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.answers import known_answers, scores_line
from agent.core.prompts import render
from agent.core.schemas import AskContext, QuestionBack
from agent.interview.context import Services
from agent.interview.reading import brief
from agent.interview.state import InterviewState


def ask(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    rubric = svc.rubric
    plan = state.get("plan") or {}
    qid = plan["question"]
    update = state.get("update") or {}
    answers = state.get("answers", {})
    changed = set(update.get("changed", []))
    back = update.get("question_back")
    current = state.get("current")
    ctx = AskContext(
        mode=plan["mode"],
        question=brief(rubric, qid),
        question_why=rubric.question(qid).why,
        same_dimension=current is not None and rubric.question(current).dimension == rubric.question(qid).dimension,
        understood=[k for k in known_answers(rubric, answers) if k.question_id in changed],
        respond_to=QuestionBack.model_validate(back) if back else None,
        show_options=bool(back and back.get("kind") == "options"),
        notices=list(state.get("notices", [])),
        progress=scores_line(rubric, answers),
    )
    # The question streams to the face through LangGraph's writer (stream_mode="custom").
    on_token = (lambda t: runtime.stream_writer({"token": t})) if svc.stream_tokens else None
    text, calls = svc.gateway.text("ask", render("ask", ctx), on_token=on_token)
    if not text:
        # Degrade gracefully: the question in the seed's own words.
        text = "\n\n".join([*ctx.notices, rubric.question(qid).text])
    attempts = dict(state.get("attempts", {}))
    if not back and state.get("reply"):
        attempts[qid] = attempts.get(qid, 0) + 1
    asked = list(state.get("asked", []))
    if not asked or asked[-1] != qid:
        asked.append(qid)
    return {
        "messages": [{"role": "assistant", "content": text}],
        "current": qid, "asked": asked, "attempts": attempts, "notices": [],
        "phase": "interview", "calls": [c.model_dump() for c in calls],
    }

