"""listen: wait for the interviewee's reply (a LangGraph interrupt), clean it and recognise what it
asks for: an interview command (skip, back, finish), or at the review step a confirmation, the
list again, or a correction (agent.core.review).

Nothing happens before `interrupt()`, because on resume LangGraph re-runs the node from its start.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.common.text import clean_reply
from agent.core.commands import Command, parse_command
from agent.core.review import classify
from agent.interview.context import Services
from agent.interview.state import InterviewState


def listen(state: InterviewState, runtime: Runtime[Services]) -> dict:
    raw = interrupt({"phase": state.get("phase"), "question": state.get("current")})
    text = raw if isinstance(raw, str) else str((raw or {}).get("text", "")) if isinstance(raw, dict) else ""
    reply, notices = clean_reply(text, runtime.context.settings.input.max_reply_chars)
    phase = state.get("phase")
    command: Command | None = None
    review: dict | None = None
    # A raise put back to the interviewee at the review step: "yes" answers it (it is not the
    # confirmation of the whole list); anything else is read as a new reply about the answers.
    raising = (state.get("pending") or {}).get("kind") == "raise"
    if reply and phase == "confirm":
        command = None if raising else parse_command(reply, confirming=True)
        if command is None and (raising or not state.get("pending")):
            intent = classify(reply, runtime.context.rubric)
            if intent.kind == "show_list" or (intent.kind == "confirm" and not raising):
                command = intent.kind
            review = intent.model_dump()
    elif reply and phase != "done":  # after the report every reply is a follow-up question
        command = parse_command(reply)
    update: dict = {"reply": reply, "command": command, "review": review, "notices": notices, "update": None}
    if raising and command is not None:
        update["pending"] = None  # the list again: the raise asked about is not applied
    if reply:
        update["messages"] = [{"role": "user", "content": reply}]
        update["user_turns"] = state.get("user_turns", 0) + 1
    else:
        update["notices"] = [*notices, "I didn't catch an answer there."]
    return update
