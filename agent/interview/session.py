"""Driving one interview session through the compiled graph (what every face uses).

The faces only call `start`, `reply` (or `stream_reply`, which yields the model's text as it
arrives, read from LangGraph's `stream_mode="custom"`) and read `state`; nothing of the
interview's logic lives here. Each graph run is one turn of the session's trace.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from typing import Any

from langgraph.types import Command, StreamMode

from agent.core.calls import Usage
from agent.gateway import budget
from agent.interview.context import Services
from agent.interview.graph import build_graph
from agent.observability import tracing


class Interview:
    """One named session (`services.session`) on a checkpointer."""

    def __init__(self, services: Services, checkpointer: Any) -> None:
        self.services = services
        self.name = services.session
        self.graph = build_graph().compile(checkpointer=checkpointer)
        self.config: Any = {"configurable": {"thread_id": self.name}}
        self._values: dict | None = None
        self.said: list[str] = []  # what the assistant said in the last turn

    @property
    def state(self) -> dict:
        """The session's current state values (read from the checkpointer once, then kept)."""
        if self._values is None:
            self._values = dict(self.graph.get_state(self.config).values or {})
        return self._values

    def refresh(self) -> dict:
        """The state as saved now (another process or tab may have moved the session on)."""
        self._values = None
        return self.state

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

    @property
    def outage(self) -> str | None:
        """Set when no model could answer the last reply (every configured model failed): the face
        tells the user and stops; the session resumes from the same question later."""
        return self.state.get("outage")

    def start(self) -> list[str]:
        """Begin a new session, or return the last message of a resumed one (the open question)."""
        if self.is_new:
            return self._run({"trace_id": tracing.new_trace_id()})
        snap = self.graph.get_state(self.config)
        if snap.next and "listen" not in snap.next:
            # The process stopped between steps (e.g. killed mid-turn): finish the pending step.
            return self._run(None)
        said = [m["content"] for m in self.state.get("messages", []) if m["role"] == "assistant"]
        return said[-1:]

    def reply(self, text: str) -> list[str]:
        """Hand the interviewee's reply to the graph; the assistant's new messages."""
        for _ in self.stream_reply(text):
            pass
        return self.said

    def stream_reply(self, text: str) -> Iterator[str]:
        """Like `reply`, yielding the model's text as it streams (when `services.stream_tokens`);
        afterwards `said` holds the assistant's new messages."""
        if self.is_done and not self.waiting_for_reply:
            self.said = []  # a session that ended before follow-up questions existed
            return iter(())
        return self._turn(Command(resume=text))

    def _run(self, payload: Any) -> list[str]:
        for _ in self._turn(payload):
            pass
        return self.said

    def _turn(self, payload: Any) -> Iterator[str]:
        # A face may resume this generator from different threads (the web server does); running
        # every step in one Context keeps the turn's budget and trace context across them.
        ctx = contextvars.copy_context()
        steps = self._steps(payload)
        while True:
            try:
                token = ctx.run(next, steps)
            except StopIteration:
                return
            yield token

    def _steps(self, payload: Any) -> Iterator[str]:
        before = len(self.state.get("messages", []))
        was_done = self.is_done
        spent = Usage.of(self.state.get("calls", [])).cost_usd
        svc = self.services
        modes: list[StreamMode] = ["values", "custom"] if svc.stream_tokens else ["values"]
        values: dict[str, Any] = {}
        self._values = None
        trace_id = self.state.get("trace_id") or (payload.get("trace_id") if isinstance(payload, dict) else None)
        with budget.session_spend(spent), tracing.turn(self.name, reply=getattr(payload, "resume", None),
                                                         rubric_version=svc.rubric.version, model=svc.gateway.model,
                                                         trace_id=trace_id) as turn:
            for mode, chunk in self.graph.stream(payload, self.config, context=svc, stream_mode=modes):
                if mode == "values" and isinstance(chunk, dict):
                    values = chunk
                elif isinstance(chunk, dict) and chunk.get("token"):
                    yield str(chunk["token"])
            self._values = {k: v for k, v in values.items() if not k.startswith("__")} or None
            self.said = [m["content"] for m in self.state.get("messages", [])[before:] if m["role"] == "assistant"]
            turn.update(output=self.said)
        if self.is_done and not was_done:  # the report was just produced
            tracing.score_report(self.name, self.state.get("result"), self.state.get("trace_id"))
