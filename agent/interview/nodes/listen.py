"""listen: wait for the interviewee's reply (a LangGraph interrupt) and clean it.

Nothing happens before `interrupt()`, because on resume LangGraph re-runs the node from its start.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.common.text import clean_reply
from agent.core.commands import parse_command
from agent.interview.context import Services
from agent.interview.state import InterviewState


def listen(state: InterviewState, runtime: Runtime[Services]) -> dict:
    raw = interrupt({"phase": state.get("phase"), "question": state.get("current")})
    text = raw if isinstance(raw, str) else str((raw or {}).get("text", "")) if isinstance(raw, dict) else ""
    reply, notices = clean_reply(text, runtime.context.settings.input.max_reply_chars)
    # After the report every reply is a follow-up question, never an interview command.
    finished = state.get("phase") == "done"
    command = parse_command(reply, confirming=state.get("phase") == "confirm") if reply and not finished else None
    update: dict = {"reply": reply, "command": command, "notices": notices, "update": None}
    if reply:
        update["messages"] = [{"role": "user", "content": reply}]
        update["user_turns"] = state.get("user_turns", 0) + 1
    else:
        update["notices"] = [*notices, "I didn't catch an answer there."]
    return update
