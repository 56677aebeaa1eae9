"""Driving one interview session through the compiled graph (what every face uses).

The faces only call `start`, `reply` (or `stream_reply`, which yields the model's text as it
arrives, read from LangGraph's `stream_mode="custom"`) and read `state`; nothing of the
interview's logic lives here. Each graph run is one turn of the session's trace.

Crash safety: a turn runs under the session's lock (one writer at a time, across processes) and
starts from the state as saved. A process killed mid-turn leaves the reply in the checkpoint
(LangGraph saves the resume value and each finished step's writes); `start` finishes that turn
before anything else, so the next line typed answers the next question, not the interrupted one.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.types import RESUME
from langgraph.types import Command, StreamMode

from agent.core.calls import Usage
from agent.gateway import budget, deadline
from agent.interview.context import Services
from agent.interview.graph import build_graph
from agent.interview.store import storage_failure
from agent.observability import tracing


class Interview:
    """One named session (`services.session`) on a checkpointer; with a `lock` (a SessionLock, or a
    Postgres advisory lock: anything with `hold(wait)`), every turn holds it."""

    def __init__(self, services: Services, checkpointer: Any, lock: Any = None,
                 recorder: Callable[[str, dict], str | None] | None = None) -> None:
        self.services = services
        self.lock = lock
        # Copies the answers of a session attached to an organization round to the organization
        # store after each turn; returns a problem to tell the user (None: copied).
        self.recorder = recorder
        self.store_problem: str | None = None
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

    @property
    def cut_off(self) -> bool:
        """True when a turn was cut off (the process was killed, the disk filled): the reply is in
        the checkpoint but the steps it starts did not all finish. `start` finishes it."""
        snap = self.graph.get_state(self.config)
        if not snap.values:
            return False
        # A finished step whose successors were never saved, or a step other than listen pending.
        if any(t.result is not None for t in snap.tasks) or (snap.next and "listen" not in snap.next):
            return True
        saver = self.graph.checkpointer
        saved = saver.get_tuple(self.config) if isinstance(saver, BaseCheckpointSaver) else None
        # The reply reached the checkpoint (LangGraph saves it first) but listen did not finish.
        return bool(saved and any(w[1] == RESUME for w in saved.pending_writes or ()))

    def start(self, organization: str | None = None) -> list[str]:
        """Begin a new session (for `organization`, when given); or resume one: finish a turn that
        was cut off (its messages), else the last message (the open question)."""
        if self.is_new:
            first: dict[str, Any] = {"trace_id": tracing.new_trace_id()}
            if organization:
                first["organization"] = organization
            return self._run(first)
        if self.cut_off:
            return self._run(None)
        said = [m["content"] for m in self.state.get("messages", []) if m["role"] == "assistant"]
        return said[-1:]

    def catch_up(self) -> None:
        """Copy the answers to the organization's round again, for a session being resumed: a process
        killed after saving its last turn but before copying it (or a copy that failed) leaves the
        round behind until then."""
        if not self._attached:
            return
        with self.lock.hold(wait=self.services.settings.session_wait_seconds) if self.lock else contextlib.nullcontext():
            self.refresh()
            self._record()

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
        steps = self._locked(payload)
        while True:
            try:
                token = ctx.run(next, steps)
            except StopIteration:
                return
            yield token

    def _locked(self, payload: Any) -> Iterator[str]:
        with self.lock.hold(wait=self.services.settings.session_wait_seconds) if self.lock else contextlib.nullcontext():
            self._values = None  # another process may have moved the session on since we last read it
            try:
                yield from self._steps(payload)
                self._record()
            except Exception as exc:
                failure = storage_failure(exc, self.name)  # e.g. a full disk: one clear message
                if failure is None:
                    raise
                raise failure from exc

    def _record(self) -> None:
        """Copy the answers to the organization store (under the session's lock, so copies of one
        session never overtake each other)."""
        self.store_problem = None
        if self.recorder is not None and self._attached:
            self.store_problem = self.recorder(self.name, self.state)

    @property
    def _attached(self) -> bool:
        """Whether the session answers for an organization's round whose store it copies to."""
        return self.recorder is not None and bool(self.state.get("attachment") or self.services.attachment)

    def _steps(self, payload: Any) -> Iterator[str]:
        before = len(self.state.get("messages", []))
        was_done = self.is_done
        spent = Usage.of(self.state.get("calls", [])).cost_usd
        svc = self.services
        modes: list[StreamMode] = ["values", "custom"] if svc.stream_tokens else ["values"]
        values: dict[str, Any] = {}
        self._values = None
        trace_id = self.state.get("trace_id") or (payload.get("trace_id") if isinstance(payload, dict) else None)
        with budget.session_spend(spent), deadline.reply_window(svc.settings.reply_timeout_seconds), \
                tracing.turn(self.name, reply=getattr(payload, "resume", None), rubric_version=svc.rubric.version,
                             model=svc.gateway.model, trace_id=trace_id) as turn:
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
