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
    if reply and phase == "confirm":
        command = parse_command(reply, confirming=True)
        if command is None and not state.get("pending"):
            intent = classify(reply, runtime.context.rubric)
            if intent.kind in ("confirm", "show_list"):
                command = intent.kind
            review = intent.model_dump()
    elif reply and phase != "done":  # after the report every reply is a follow-up question
        command = parse_command(reply)
    update: dict = {"reply": reply, "command": command, "review": review, "notices": notices, "update": None}
    if reply:
        update["messages"] = [{"role": "user", "content": reply}]
        update["user_turns"] = state.get("user_turns", 0) + 1
    else:
        update["notices"] = [*notices, "I didn't catch an answer there."]
    return update
