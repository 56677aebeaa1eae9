"""Structured output: how a schema is asked for (JSON schema, tool calling, or JSON mode with the
schema in the prompt) and how the model's answer is read back into the pydantic model.

Real models wrap their JSON ("Here is the update:", a ```json fence, a closing remark), add fields
nobody asked for, and now and then get one item of a list wrong (an empty quote, a score of 7).
Reading keeps what is usable: the JSON object is taken out of whatever surrounds it, extra fields
are ignored, and an invalid list item (or optional field) is dropped rather than failing the whole
answer. Only an answer with nothing usable left raises, so the gateway can ask once more.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)
Mode = Literal["json_schema", "tools", "json_mode"]

# A fenced block with any language tag (```json, ```JSON, ```javascript, or none).
_FENCE = re.compile(r"```[\w+-]*[^\S\n]*\n?(.*?)```", re.DOTALL)
# Passes of dropping invalid items: one is enough unless dropping reveals another error.
_MAX_PASSES = 4


def parse(schema: type[T], content: str) -> T:
    """The model's answer validated as `schema`, keeping what is usable (see `parse_lenient`);
    raises ValueError / ValidationError when nothing usable is left."""
    return parse_lenient(schema, content)[0]


def parse_lenient(schema: type[T], content: str) -> tuple[T, list[str]]:
    """(the answer as `schema`, what was dropped from it: one line per invalid list item or
    optional field, e.g. "answers[1]: evidence: String should have at least 1 character").

    The JSON object is found inside prose or a fence; extra fields are ignored. Raises ValueError
    when there is no complete JSON object, and the ValidationError when a required field is invalid
    or every item of the essential list was (an answer with nothing usable left)."""
    data = extract_json(content, schema)
    return _salvage(schema, data)


def extract_json(content: str, schema: type[BaseModel] | None = None) -> dict:
    """The JSON object in a model's answer: the whole text, else a fenced block, else the object
    in the surrounding prose that has the most of `schema`'s fields (objects with none of them,
    such as one item of a cut-off answer, do not count). An object that only wraps the answer
    ({"RubricUpdate": {...}}) is unwrapped. ValueError when there is none, or when the answer is
    a JSON object with none of the fields (some other structure)."""
    text = content.strip()
    fields = set(schema.model_fields) if schema is not None else set()
    for candidate in (text, *(m.group(1).strip() for m in _FENCE.finditer(text))):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            found = _unwrapped(value, fields)
            if found is None:  # JSON, but not the answer asked for: reading it would lose the reply
                raise ValueError(f"the JSON object has none of the fields {', '.join(sorted(fields))}")
            return found
    decoder = json.JSONDecoder()
    best: dict | None = None
    done = 0  # objects inside one already read are its parts, not candidates
    for m in re.finditer(r"\{", text):
        if m.start() < done:
            continue
        try:
            value, end = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        done = end
        found = _unwrapped(value, fields) if isinstance(value, dict) else None
        if found is not None and (best is None or len(fields & found.keys()) > len(fields & best.keys())):
            best = found
    if best is None:
        raise ValueError(f"no complete JSON object in the answer{_why_not(text)}")
    return best


def _why_not(text: str) -> str:
    """What the JSON parser says about the text from its first "{" (e.g. cut off mid-object), for
    the repair request."""
    start = text.find("{")
    if start < 0:
        return ""
    try:
        json.loads(text[start:])
    except ValueError as exc:
        return f" ({exc})"
    return ""


def _unwrapped(value: dict, fields: set[str]) -> dict | None:
    """`value` if it has some of `fields` (or no fields are known), else the one object inside it
    that has some, else None."""
    if not fields or fields & value.keys():
        return value
    inner = [v for v in value.values() if isinstance(v, dict) and fields & v.keys()]
    return inner[0] if len(inner) == 1 else None


def _salvage(schema: type[T], data: dict) -> tuple[T, list[str]]:
    """`data` validated as `schema`, dropping the invalid items of list fields and invalid optional
    fields until the rest validates. Raises the first ValidationError when something required is
    invalid, or when every item the model gave in the schema's essential list (its
    `essential_list`, e.g. RubricUpdate.answers; without one, in every list) was invalid: the
    substance of the answer is gone, and asking again with the error is worth more."""
    data = dict(data)
    try:
        return schema.model_validate(data), []
    except ValidationError as exc:
        first = error = exc
    essential = getattr(schema, "essential_list", None)
    filled = [k for k, v in data.items() if isinstance(v, list) and v and (essential is None or k == essential)]
    dropped: list[str] = []
    for _ in range(_MAX_PASSES):
        if not _drop_invalid(schema, data, error, dropped):
            break
        try:
            value = schema.model_validate(data)
        except ValidationError as exc:
            error = exc
            continue
        if not filled or any(data.get(k) for k in filled):
            return value, dropped
        break
    raise first


def _drop_invalid(schema: type[BaseModel], data: dict, exc: ValidationError, dropped: list[str]) -> bool:
    """Remove from `data` what `exc` found invalid, when it can go: an item of a list field, an
    optional field, a field the schema does not have. False when something required is invalid."""
    items: dict[str, dict[int, str]] = {}
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = err.get("loc") or ()
        if not loc or not isinstance(loc[0], str):
            return False
        name, msg = loc[0], str(err.get("msg", ""))
        if len(loc) > 1 and isinstance(loc[1], int) and isinstance(data.get(name), list):
            items.setdefault(name, {}).setdefault(loc[1], _where(loc[2:], msg))
            continue
        info = schema.model_fields.get(name)
        if info is not None and info.is_required():
            return False
        fields.setdefault(name, _where(loc[1:], msg))
    for name, bad in items.items():
        data[name] = [item for i, item in enumerate(data[name]) if i not in bad]
        dropped.extend(f"{name}[{i}]: {why}" for i, why in sorted(bad.items()))
    for name, why in fields.items():
        data.pop(name, None)
        dropped.append(f"{name}: {why}")
    return bool(items or fields)


def _where(loc: tuple, msg: str) -> str:
    """'evidence: String should have ...' for an error at `loc` inside an item or field."""
    where = ".".join(str(p) for p in loc)
    return f"{where}: {msg}" if where else msg


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


def looks_like_data(text: str) -> bool:
    """True when a text answer is JSON (bare or fenced) instead of prose: a model that answers a
    question-phrasing request with data must not have it shown as the interviewer's message."""
    body = text.strip()
    if body.startswith("```"):
        return True
    if not body.startswith(("{", "[")):
        return False
    try:
        json.loads(body)
    except ValueError:
        return body.endswith(("}", "]"))
    return True


def content_of(resp: Any) -> str:
    """The JSON a structured call returned: a tool call's arguments, else the message content."""
    msg = resp.choices[0].message
    calls = getattr(msg, "tool_calls", None) or []
    if calls:
        return calls[0].function.arguments or ""
    return msg.content or ""


@functools.lru_cache(maxsize=16)
def response_format(schema: type[BaseModel]) -> dict:
    """The JSON-schema response_format for a pydantic model, exactly as the OpenAI SDK builds it
    for `chat.completions.parse` (its strict conversion: every object closed with
    `additionalProperties: false`, every property required, `$ref`s with siblings inlined), sent
    with `strict: true`. Computed once: litellm would rebuild it on every call, a few ms each.
    The models leave out of their schema what strict mode refuses (agent.common.strict.ModelOutput)."""
    from openai.lib._parsing._completions import type_to_response_format_param

    return dict(type_to_response_format_param(schema))  # type: ignore[arg-type]


# JSON-schema keywords Anthropic's structured outputs refuse with a 400 ("For 'integer' type,
# property 'minimum' is not supported"); the pydantic model still enforces them on the answer.
_ANTHROPIC_UNSUPPORTED = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                                    "minLength", "maxLength", "pattern", "maxItems"})


def for_provider(provider: str, kwargs: dict) -> dict:
    """The structured-output call arguments adapted to what `provider` accepts (the chain may
    mix providers; `kwargs` is what `request` built for the primary model)."""
    rf = kwargs.get("response_format") or {}
    if provider != "anthropic" or rf.get("type") != "json_schema":
        return kwargs
    schema = _without(rf["json_schema"]["schema"], _ANTHROPIC_UNSUPPORTED)
    return {**kwargs, "response_format": {**rf, "json_schema": {**rf["json_schema"], "schema": schema}}}


def _without(node: Any, drop: frozenset[str], names: bool = False) -> Any:
    """A JSON schema without the `drop` keywords (`names`: a map of property or definition names,
    whose keys are kept whatever they are)."""
    if isinstance(node, dict):
        return {k: _without(v, drop, names=not names and k in ("properties", "$defs", "definitions"))
                for k, v in node.items() if names or k not in drop}
    if isinstance(node, list):
        return [_without(v, drop) for v in node]
    return node
