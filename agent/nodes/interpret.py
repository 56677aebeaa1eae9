"""interpret: one structured model call turns the reply into a verified RubricUpdate and merges it."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.answers import known_answers, merge
from agent.context import Services
from agent.evidence import is_instruction, verify
from agent.phrasing import load_phrasing
from agent.prompts import render
from agent.schemas import InterpretContext, QuestionBrief, RubricUpdate, Turn
from agent.state import InterviewState

RECENT_TURNS = 4


def brief(rubric, qid: str) -> QuestionBrief:
    q = rubric.question(qid)
    return QuestionBrief(id=q.id, dimension=q.dimension, text=q.text, options=[o.label for o in q.options])


def interpret(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    rubric = svc.rubric
    reply = state["reply"]
    messages = state.get("messages", [])
    ctx = InterpretContext(
        reply=reply,
        current_question=brief(rubric, state["current"]) if state.get("current") else None,
        questions=[brief(rubric, q.id) for q in rubric.questions],
        known=known_answers(rubric, state.get("answers", {})),
        recent=[Turn(role=m["role"], content=m["content"]) for m in messages[-(RECENT_TURNS + 1):-1]],
    )
    update, calls = svc.gateway.structured("interpret", render("interpret", ctx), RubricUpdate)
    notices = list(state.get("notices", []))
    if update is None:
        notices.append("I couldn't process that reply just now (the model did not respond usefully); "
                       "your words are kept — let's continue.")
        return {"update": None, "notices": notices, "calls": [c.model_dump() for c in calls]}

    switched = {}
    if state.get("model") and svc.gateway.model != state.get("model"):
        # The gateway gave up on the configured model when it first loaded (e.g. unknown model).
        switched = {"model": svc.gateway.model}
        notices.append(svc.gateway.notice or f"Now using {svc.gateway.model}.")

    user_texts = [m["content"] for m in messages if m["role"] == "user"]
    verified, dropped = verify(update, user_texts)
    if dropped:
        notices.append(f"I ignored {len(dropped)} reading(s) I couldn't match to your own words.")
    if is_instruction(reply):
        notices.append("I score only what you describe about your organization's practice.")
    if not verified.understood and svc.gateway.model.startswith("offline/"):
        notices.append(load_phrasing().english_only)
    answers, changed = merge(state.get("answers", {}), verified, turn=state.get("user_turns", 0),
                             current=state.get("current"), threshold=svc.settings.confidence_threshold)
    data = verified.model_dump()
    data["changed"] = changed
    return {"answers": answers, "update": data, "notices": notices, "calls": [c.model_dump() for c in calls],
            **switched}
