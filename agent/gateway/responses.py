"""Reading a provider's response: its text, its cost, placeholders mapped back, and a failure in
one line (helpers of agent.gateway.router)."""

from __future__ import annotations

from typing import Any

from agent.common.privacy import Redactor
from agent.common.providers import is_offline


def restore(resp: Any, redactor: Redactor) -> None:
    """Map redaction placeholders in a response back to the values (content and tool calls)."""
    for choice in getattr(resp, "choices", []) or []:
        msg = getattr(choice, "message", None)
        if msg is None:
            continue
        if isinstance(msg.content, str):
            msg.content = redactor.restore(msg.content)
        for call in getattr(msg, "tool_calls", None) or []:
            call.function.arguments = redactor.restore(call.function.arguments)


def cost(resp: Any, model: str) -> float:
    """USD cost of a response: what litellm already computed for it (its hidden params), else its
    cost map; 0 for the offline engine and unknown prices."""
    if is_offline(model) or is_offline(str(getattr(resp, "model", ""))):
        return 0.0
    hidden = getattr(resp, "_hidden_params", None) or {}
    if hidden.get("response_cost") is not None:
        return float(hidden["response_cost"])
    import litellm

    try:
        return float(litellm.completion_cost(completion_response=resp) or 0.0)
    except Exception:  # noqa: BLE001 - e.g. a local model with no price: cost unknown, not an error
        return 0.0


def content(resp: Any) -> str | None:
    """The text of a response, for the trace (None when there is none)."""
    try:
        return resp.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None


def describe(exc: BaseException) -> str:
    """A one-line description of a failure for a call record: 'RateLimitError: ...'."""
    name = type(exc).__name__
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{name}: {msg}"
