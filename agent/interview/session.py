"""Driving one interview session through the compiled graph (what every face uses).

The faces (terminal, later the browser) only call `start`, `reply` and read `state`; nothing of
the interview's logic lives here. Each graph run is one turn of the session's trace (agent.observability.tracing).
"""

from __future__ import annotations

from collections.abc import Callable

from langgraph.types import Command

from agent.observability import tracing
from agent.gateway import budget
from agent.common.config import Settings
from agent.interview.context import Services
from agent.interview.graph import build_graph
from agent.gateway.router import Gateway
from agent.core.rubric import Rubric, load_rubric


class Interview:
    """One named session on a checkpointer."""

    def __init__(self, settings: Settings, name: str, checkpointer, gateway: Gateway,
                 rubric: Rubric | None = None, on_token: Callable[[str], None] | None = None,
                 organization: str | None = None):
        self.name = name
        self.graph = build_graph().compile(checkpointer=checkpointer)
        self.config = {"configurable": {"thread_id": name}}
        self._values: dict | None = None
        self.services = Services(settings=settings, rubric=rubric or load_rubric(), gateway=gateway,
                                 session=name, on_token=on_token, organization=organization)

    @property
    def state(self) -> dict:
        """The session's current state values (read from the checkpointer once, then kept)."""
        if self._values is None:
            self._values = self.graph.get_state(self.config).values or {}
        return self._values

    @property
    def is_new(self) -> bool:
        return not self.state

    @property
    def is_done(self) -> bool:
        return self.state.get("phase") == "done"

    @property
    def waiting_for_reply(self) -> bool:
        snap = self.graph.get_state(self.config)
        return bool(snap.next) and "listen" in snap.next

    def _run(self, payload) -> list[str]:
        before = len(self.state.get("messages", []))
        was_done = self.is_done
        spent = sum(c.get("cost_usd", 0.0) for c in self.state.get("calls", []))
        self._values = None
        with budget.session_spend(spent), tracing.turn(self.name, reply=getattr(payload, "resume", None),
                          rubric_version=self.services.rubric.version, model=self.services.gateway.model) as turn:
            values = self.graph.invoke(payload, self.config, context=self.services)
            # invoke returns the state at the interrupt (plus an "__interrupt__" entry) or at the end.
            self._values = {k: v for k, v in values.items() if not k.startswith("__")}
            said = [m["content"] for m in self._values.get("messages", [])[before:] if m["role"] == "assistant"]
            turn.update(output=said)
        if self.is_done and not was_done:  # the report was just produced
            tracing.score_report(self.name, self._values.get("result"))
        return said

    def start(self) -> list[str]:
        """Begin a new session, or return the last message of a resumed one (the open question)."""
        if self.is_new:
            return self._run({})
        snap = self.graph.get_state(self.config)
        if snap.next and "listen" not in snap.next:
            # The process stopped between steps (e.g. killed mid-turn): finish the pending step.
            return self._run(None)
        said = [m["content"] for m in self.state.get("messages", []) if m["role"] == "assistant"]
        return said[-1:]

    @property
    def outage(self) -> str | None:
        """Set when no model could answer the last reply (every configured model failed): the face
        tells the user and stops; the session resumes from the same question later."""
        return self.state.get("outage")

    def reply(self, text: str) -> list[str]:
        """Hand the interviewee's reply to the graph; the assistant's new messages."""
        if self.is_done and not self.waiting_for_reply:
            return []  # a session that ended before follow-up questions existed
        return self._run(Command(resume=text))
