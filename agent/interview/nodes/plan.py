"""plan: decide the next step (ask which question, in which mode, or confirm) with the pure planner."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agent.core.planner import Plan, next_question
from agent.interview.context import Services
from agent.interview.state import InterviewState


def plan(state: InterviewState, runtime: Runtime[Services]) -> dict:
    svc = runtime.context
    update = state.get("update") or {}
    command = state.get("command")
    current = state.get("current")
    answers = state.get("answers", {})
    skipped = list(state.get("skipped", []))

    if state.get("phase") == "confirm":
        # Corrections made while reviewing our understanding go straight back to the review.
        return {"plan": Plan(action="confirm").model_dump()}
    if command == "finish" or update.get("wants_stop"):
        return {"plan": Plan(action="confirm").model_dump()}
    if command == "skip" and current and current not in skipped:
        skipped.append(current)
    if command == "back":
        # `asked` is a stack: going back pops the current question, so "back" twice goes two back.
        asked = list(state.get("asked", []))
        if asked and asked[-1] == current:
            asked.pop()
        if asked:
            return {"plan": Plan(action="ask", question=asked[-1], mode="back").model_dump(), "asked": asked}

    # A reply that asked us something, or that we could not read, gets the same question again
    # (answered in the ask step) rather than moving on.
    stay = update.get("question_back") or not state.get("reply") or update.get("understood") is False \
        or update.get("off_topic")
    if stay and current and current not in answers:
        # Answer a question back, then put the same question as it was; otherwise rephrase it.
        mode: Literal["next", "reask"] = "next" if update.get("question_back") else "reask"
        return {"plan": Plan(action="ask", question=current, mode=mode).model_dump(), "skipped": skipped}

    decided = next_question(
        svc.rubric, answers, threshold=svc.settings.confidence_threshold,
        current=None if command == "skip" else current,
        touched=[a["question_id"] for a in update.get("answers", [])],
        skipped=skipped, attempts=state.get("attempts", {}),
    )
    return {"plan": decided.model_dump(), "skipped": skipped}


def route_after_plan(state: InterviewState) -> str:
    return (state.get("plan") or {}).get("action", "ask")
