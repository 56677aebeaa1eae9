"""Strict pydantic bases: `StrictModel` for validated data files, `ModelOutput` for what a model
call returns as structured output."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

# Keywords OpenAI's strict structured outputs refuse with a 400 ("In context=('properties',
# 'is_correction'), 'default' is not permitted"); the length limits are refused too.
_NOT_IN_STRICT_SCHEMAS = frozenset({"default", "minLength", "maxLength"})


class StrictModel(BaseModel):
    """A typo in a data file fails loudly instead of being ignored; loaded data cannot be changed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _strict_schema(schema: dict[str, Any]) -> None:
    """Leave out of a model's JSON schema what strict structured outputs refuse. Strict mode makes
    every property required, so a default could never apply; pydantic still fills defaults in and
    checks the length limits when the answer is validated."""
    for prop in (schema.get("properties") or {}).values():
        _drop_keywords(prop)


def _drop_keywords(node: Any) -> None:
    if isinstance(node, dict):
        for key in _NOT_IN_STRICT_SCHEMAS & node.keys():
            del node[key]
        for key, value in node.items():
            if key not in ("properties", "$defs"):  # nested models get their own pass
                _drop_keywords(value)
    elif isinstance(node, list):
        for item in node:
            _drop_keywords(item)


class ModelOutput(BaseModel):
    """The base of every structured output asked of a model. Its JSON schema is what is sent to the
    provider (the OpenAI SDK's strict conversion of it, agent.gateway.structured), so it carries
    nothing strict mode refuses; extra fields in an answer are ignored."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_strict_schema)

    # The list field that holds the answer's substance (RubricUpdate.answers): when a model fills
    # it and every item is invalid, nothing usable is left and the model is asked again
    # (agent.gateway.structured). Invalid items of other lists are dropped quietly.
    essential_list: ClassVar[str | None] = None
