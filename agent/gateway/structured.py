"""Structured output: how a schema is asked for (JSON schema, tool calling, or JSON mode with the
schema in the prompt) and how the model's answer is read back into the pydantic model."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)
Mode = Literal["json_schema", "tools", "json_mode"]

_JSON_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)

# Keywords OpenAI's strict structured outputs refuse with a 400 ("In context=('properties',
# 'is_correction'), 'default' is not permitted"). Every field is required in strict mode anyway,
# and the pydantic model still enforces the length limits when the answer is validated.
_STRICT_UNSUPPORTED = frozenset({"default", "minLength", "maxLength"})


def parse(schema: type[T], content: str) -> T:
    """The model's JSON (a ```json fence allowed) validated as `schema`; raises on invalid data."""
    text = _JSON_FENCE.sub("", content.strip()).strip()
    return schema.model_validate_json(text)


def choose_mode(litellm: Any, model: str, configured: str) -> Mode:
    """json_schema, tools or json_mode for `model` (`configured`: Settings.structured_output)."""
    if configured != "auto":
        return configured  # type: ignore[return-value]
    try:
        if litellm.supports_response_schema(model=model):
            return "json_schema"
        if litellm.supports_function_calling(model=model):
            return "tools"
    except Exception:  # noqa: BLE001 - unknown to litellm's capability map
        pass
    return "json_mode"


def request(mode: Mode, schema: type[BaseModel], messages: list[dict]) -> tuple[dict, list[dict]]:
    """Call arguments and messages that ask for `schema` in `mode`."""
    if mode == "json_schema":
        return {"response_format": response_format(schema)}, list(messages)
    spec = response_format(schema)["json_schema"]
    hint = (f"Reply with a single JSON object that validates against this JSON schema "
            f"({schema.__name__}):\n{json.dumps(spec['schema'])}")
    with_hint = with_system_hint(messages, hint)
    if mode == "tools":
        tool = {"type": "function", "function": {"name": spec["name"], "description": schema.__doc__ or spec["name"],
                                                  "parameters": spec["schema"]}}
        return {"tools": [tool], "tool_choice": {"type": "function", "function": {"name": spec["name"]}}}, with_hint
    return {"response_format": {"type": "json_object"}}, with_hint


def repair_messages(base: list[dict], content: str, schema: type[BaseModel], error: Exception) -> list[dict]:
    """The conversation again, with the invalid answer and what was wrong with it."""
    return [*base, {"role": "assistant", "content": content},
            {"role": "user", "content": f"That was not valid {schema.__name__} JSON: "
             f"{str(error)[:500]}\nReturn only the corrected JSON object."}]


def with_system_hint(messages: list[dict], hint: str) -> list[dict]:
    """Messages with `hint` appended to the system message (or a system message added)."""
    out = [dict(m) for m in messages]
    for m in out:
        if m.get("role") == "system" and isinstance(m.get("content"), str):
            m["content"] = f"{m['content']}\n\n{hint}"
            return out
    return [{"role": "system", "content": hint}, *out]


def content_of(resp: Any) -> str:
    """The JSON a structured call returned: a tool call's arguments, else the message content."""
    msg = resp.choices[0].message
    calls = getattr(msg, "tool_calls", None) or []
    if calls:
        return calls[0].function.arguments or ""
    return msg.content or ""


@functools.lru_cache(maxsize=16)
def response_format(schema: type[BaseModel]) -> dict:
    """The JSON-schema response_format litellm derives from a pydantic model, computed once
    (litellm would rebuild it on every call, a few ms each), made acceptable to OpenAI's strict
    mode (litellm sends `strict: true`)."""
    from litellm.llms.base_llm.base_utils import type_to_response_format_param

    rf = type_to_response_format_param(schema)
    assert rf is not None  # None only for a schema of None
    rf["json_schema"]["schema"] = _strict_compatible(rf["json_schema"]["schema"])
    return rf


def _strict_compatible(node: Any, names: bool = False) -> Any:
    """A JSON schema without the keywords strict mode refuses (`names`: a map of property or
    definition names, whose keys are kept whatever they are)."""
    if isinstance(node, dict):
        return {k: _strict_compatible(v, names=not names and k in ("properties", "$defs", "definitions"))
                for k, v in node.items() if names or k not in _STRICT_UNSUPPORTED}
    if isinstance(node, list):
        return [_strict_compatible(v) for v in node]
    return node
