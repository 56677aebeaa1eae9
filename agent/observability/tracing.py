"""Langfuse tracing: one trace per interview session, a span per graph node, a generation per model
call, and the report's answers as scores.

    trace  "aiops-assess interview"  id seeded by the session name, session id = the session name;
           metadata: rubric_version, model, prompt_<name> (sha256 prefix of prompts/<name>.md)
      span "turn"                    one graph run (start, or one reply): input reply, output messages
        span "<node>"                greet, listen, interpret, plan, ask, … (input: phase/current/reply)
          generation "<task>"        one model call: messages, output, model, usage, cost
    scores q1..q12 (0-5), total, level   when the report is produced

It is on when LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY are set (LANGFUSE_BASE_URL for a
self-hosted server). Without them every function here is a silent no-op that never imports
langfuse. Nodes and model calls are traced only inside a turn (so the one-shot `ask` command's
model calls are not). Free text passes through `agent.common.privacy` before export: inputs,
outputs and metadata through the SDK's `mask` hook, trace metadata and score comments directly.
A tracing failure is logged at debug level and never reaches the interview.

This is the interview's only import of langfuse, and it runs only when tracing is on.
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

from agent.common.privacy import mask, mask_text
from agent.core.prompts import prompt_versions

log = logging.getLogger(__name__)

KEYS = ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY")
TRACE_NAME = "aiops-assess interview"
DEFAULT_BASE_URL = "https://cloud.langfuse.com"  # the SDK's default server
STATE_FIELDS = ("phase", "current", "reply", "command")  # what a node span shows of its input state

_client: Any = None  # the Langfuse client once created; False if it could not be created
_in_turn: ContextVar[bool] = ContextVar("aiops_tracing_in_turn", default=False)


def enabled() -> bool:
    """True when the Langfuse keys are in the environment."""
    return all(os.environ.get(k) for k in KEYS)


def base_url() -> str:
    """The Langfuse server traces go to, read from the environment as the SDK reads it."""
    return (os.environ.get("LANGFUSE_BASE_URL") or os.environ.get("LANGFUSE_HOST")
            or DEFAULT_BASE_URL).rstrip("/")


def init(**options) -> Any:
    """Create the Langfuse client now; `options` go to `Langfuse(...)` (e.g. a test `span_exporter`
    and `tracer_provider`). Normally the client is created on first use."""
    global _client
    from langfuse import Langfuse

    # An unreachable server must not print export errors into the chat: without this, Python's
    # last-resort handler writes these loggers' warnings to stderr. Handlers an application
    # configures (or LANGFUSE_DEBUG=true) still receive them.
    for name in ("langfuse", "opentelemetry"):
        if not logging.getLogger(name).handlers:
            logging.getLogger(name).addHandler(logging.NullHandler())
    _client = Langfuse(mask=_mask, **options)
    return _client


def _mask(*, data: Any, **_: Any) -> Any:
    return mask(data)


def _langfuse() -> Any:
    """The Langfuse client, or None when tracing is off or could not start."""
    global _client
    if not enabled():
        return None
    if _client is None:
        try:
            init()
        except Exception:
            log.debug("tracing: Langfuse client could not be created", exc_info=True)
            _client = False
    return _client or None


class _Observation:
    """A started span or generation (or nothing, when tracing is off): failures are swallowed."""

    def __init__(self, obs: Any = None):
        self._obs = obs

    @property
    def active(self) -> bool:
        return self._obs is not None

    def update(self, **fields: Any) -> None:
        if self._obs is not None:
            try:
                self._obs.update(**fields)
            except Exception:
                log.debug("tracing: update failed", exc_info=True)

    def record(self, call: Any, output: Any = None) -> None:
        """Finish a generation from the gateway's CallRecord."""
        if self._obs is None:
            return
        try:
            fields = {"model": call.model, "output": output, "cost_details": {"total": call.cost_usd},
                      "usage_details": {"input": call.prompt_tokens, "output": call.completion_tokens,
                                        "total": call.prompt_tokens + call.completion_tokens},
                      "metadata": {"latency_ms": round(call.latency_ms, 1)}}
            if not call.ok:
                fields.update(level="ERROR", status_message=mask_text(call.error or "failed"))
        except Exception:
            log.debug("tracing: unreadable call record", exc_info=True)
            return
        self.update(**fields)


@contextmanager
def _observe(enter: Callable[[Any], list]) -> Iterator[_Observation]:
    """Enter the context managers `enter(client)` returns and yield the first one's observation.

    Tracing errors (on entering, updating or leaving) are logged, never raised; the body's own
    exceptions pass through untouched. LangGraph's interrupt (how `listen` pauses) ends the span
    normally rather than as an error.
    """
    lf = _langfuse()
    if lf is None:
        yield _Observation()
        return
    stack = ExitStack()
    try:
        entered = [stack.enter_context(cm) for cm in enter(lf)]  # all of them, in order
        obs = entered[0]
    except Exception:
        log.debug("tracing: could not start an observation", exc_info=True)
        _close(stack)
        yield _Observation()
        return
    handle = _Observation(obs)
    try:
        yield handle
    except BaseException as exc:
        if _is_pause(exc):
            handle.update(status_message=f"paused ({type(exc).__name__})")
            _close(stack)
        else:
            _close(stack, exc)
        raise
    _close(stack)


def _close(stack: ExitStack, exc: BaseException | None = None) -> None:
    try:
        stack.__exit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
    except BaseException as err:
        if err is not exc:
            log.debug("tracing: could not end an observation", exc_info=True)


def _is_pause(exc: BaseException) -> bool:
    from langgraph.errors import GraphBubbleUp

    return isinstance(exc, GraphBubbleUp)


def new_trace_id() -> str:
    """A random trace id for a new session (W3C format: 32 hex digits). Random, not derived from
    the session name, so two people who pick the same name do not share a trace."""
    return uuid.uuid4().hex


def _trace_id(lf: Any, session: str, trace_id: str | None = None) -> str:
    """The session's trace id (kept in its state); sessions from before it was kept: derived from
    the name, as they always were."""
    return trace_id or lf.create_trace_id(seed=session)


@contextmanager
def turn(session: str, *, reply: str | None, rubric_version: str, model: str,
         trace_id: str | None = None) -> Iterator[_Observation]:
    """One graph run of `session` (its start, or one reply), in the session's trace."""

    def enter(lf):
        from langfuse import propagate_attributes

        metadata = {"rubric_version": rubric_version, "model": model,
                    **{f"prompt_{name}": sha for name, sha in prompt_versions().items()}}
        return [lf.start_as_current_observation(trace_context={"trace_id": _trace_id(lf, session, trace_id)}, name="turn",
                                                input={"reply": reply} if reply is not None else None),
                propagate_attributes(session_id=session, trace_name=TRACE_NAME, metadata=mask(metadata))]

    with _observe(enter) as obs:
        token = _in_turn.set(obs.active)  # nodes and model calls are traced only inside a traced turn
        try:
            yield obs
        finally:
            _in_turn.reset(token)


def traced(node: Callable, name: str | None = None) -> Callable:
    """The graph node `node`, recorded as a span (named after it) inside a traced turn."""
    span_name = name or node.__name__

    @functools.wraps(node)
    def run(state, *args, **kwargs):
        if not _in_turn.get():
            return node(state, *args, **kwargs)
        seen = {k: state[k] for k in STATE_FIELDS if state.get(k) is not None}
        with _observe(lambda lf: [lf.start_as_current_observation(name=span_name, input=seen or None)]) as span:
            update = node(state, *args, **kwargs)
            if isinstance(update, dict):  # the model calls are recorded as generations already
                span.update(output={k: v for k, v in update.items() if k != "calls"})
            return update

    return run


@contextmanager
def generation(task: str, model: str, messages: list[dict], **params: Any) -> Iterator[_Observation]:
    """One model call, as a generation under the node span that makes it; finish it with
    `.record(call_record, output)`. Outside a traced turn this records nothing."""
    if not _in_turn.get():
        yield _Observation()
        return
    meta = {"task": task, "prompt_version": prompt_versions().get(task)}
    with _observe(lambda lf: [lf.start_as_current_observation(
            as_type="generation", name=task, model=model, input=messages, model_parameters=params or None,
            metadata={k: v for k, v in meta.items() if v})]) as gen:
        yield gen


def score_report(session: str, result: dict | None, trace_id: str | None = None) -> None:
    """Attach a report's answers to the session's trace as scores: q1..q12 (0-5), total, level."""
    lf = _langfuse()
    if lf is None or not result:
        return
    try:
        trace_id = _trace_id(lf, session, trace_id)
        assessment = result["assessment"]
        answers = result.get("answers", {})
        meta = {"rubric_version": result.get("rubric_version"), "model": result.get("model"),
                "complete": assessment.get("complete")}
        scores = {q: (v, (answers.get(q) or {}).get("evidence")) for q, v in assessment["answers"].items()}
        scores["total"] = (assessment["total"], None if assessment.get("complete") else "partial assessment")
        scores["level"] = (assessment.get("level"), assessment.get("level_name"))  # None while partial
        for name, (value, comment) in scores.items():
            if value is None:
                continue
            lf.create_score(name=name, value=float(value), trace_id=trace_id, score_id=f"{trace_id}-{name}",
                            data_type="NUMERIC", comment=mask_text(comment) if comment else None, metadata=meta)
    except Exception:
        log.debug("tracing: scores could not be recorded", exc_info=True)


def flush() -> None:
    """Send everything recorded so far (call before the process exits)."""
    if _client:
        try:
            _client.flush()
        except Exception:
            log.debug("tracing: flush failed", exc_info=True)
