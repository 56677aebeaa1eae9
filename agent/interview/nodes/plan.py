"""plan: decide the next step (which question(s), in which mode, or the review) with the pure
planner (agent.core.planner)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.core.choices import says_unknown
from agent.core.planner import MAX_ATTEMPTS, Plan, next_question
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
        # At the review step: a correction that did not settle an answer gets that answer's
        # options; anything else goes back to the review.
        for qid, options in (state.get("choose") or {}).items():
            rest = {q: o for q, o in (state.get("choose") or {}).items() if q != qid}
            return {"plan": Plan(action="ask", question=qid, questions=[qid], mode="options", options=options,
                                 option_sets={qid: options}).model_dump(), "choose": rest}
        return {"plan": Plan(action="confirm").model_dump()}
    if command == "finish" or update.get("wants_stop"):
        return {"plan": Plan(action="confirm").model_dump()}
    if command == "skip":
        for qid in state.get("asking") or ([current] if current else []):
            if qid not in skipped and qid not in answers:
                skipped.append(qid)
    if command == "back":
        # `asked` is a stack: going back pops the current question, so "back" twice goes two back.
        asked = list(state.get("asked", []))
        if asked and asked[-1] == current:
            asked.pop()
        if asked:
            back = Plan(action="ask", question=asked[-1], questions=[asked[-1]], mode="back")
            return {"plan": back.model_dump(), "asked": asked}

    # A reply that asked us something, or that we could not read, gets the same question again
    # (answered in the ask step) rather than moving on.
    # "I don't know" is an answer of sorts: move on (the question comes back as options later).
    unread = state.get("update") is None  # the model failed to read it: the reply is kept, asked again
    # A reply that carried text aimed at the assessor and changed nothing: one calm sentence (the
    # notice) and the same question again.
    screened_out = bool((update.get("flags") or {}).get("kinds")) and not update.get("changed")
    stay = update.get("question_back") or unread or screened_out or (
        (not state.get("reply") or update.get("understood") is False or update.get("off_topic"))
        and not says_unknown(state.get("reply") or ""))
    asking = state.get("asking") or ([current] if current else [])
    attempts = state.get("attempts", {})
    keep = [q for q in asking if q not in answers and attempts.get(q, 0) < MAX_ATTEMPTS]
    # "I'd say a 3" is not an answer, but it says where to look: the options around it, each in
    # words, so the answer is a described option the interviewee picked.
    rated = (state.get("hints") or {}).get(keep[0]) if keep and screened_out and command is None \
        and update["flags"].get("kinds") == ["self_rating"] else None
    if rated:
        return {"plan": Plan(action="ask", question=keep[0], questions=[keep[0]], mode="options", options=rated,
                             option_sets={keep[0]: rated}).model_dump(), "skipped": skipped}
    if stay and current and command is None and keep:
        # Answer a question back, then put the same question as it was; otherwise rephrase it.
        again = Plan(action="ask", question=keep[0], questions=keep,
                     mode="next" if update.get("question_back") else "reask")
        if update.get("question_back") and len(keep) == 2 and current in keep:
            again.mode = "dimension"
        return {"plan": again.model_dump(), "skipped": skipped}

    decided = next_question(
        svc.rubric, answers, threshold=svc.settings.confidence_threshold,
        current=None if command == "skip" else current,
        touched=[a["question_id"] for a in update.get("answers", [])],
        skipped=skipped, attempts=attempts, offered=state.get("offered", []),
        conflicts=state.get("conflicts", {}), hints=state.get("hints", {}), declined=state.get("declined", {}),
    )
    return {"plan": decided.model_dump(), "skipped": skipped}


def route_after_plan(state: InterviewState) -> str:
    return (state.get("plan") or {}).get("action", "ask")
