"""The Router's deployments: one per model of the chain, with what each provider needs."""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import BaseModel

from agent.common.config import Settings
from agent.common.providers import OLLAMA, provider_of
from agent.gateway import structured

# Anthropic requires max_tokens; litellm fills in the model's maximum from its bundled map, or
# 128000 for a model the map does not know (e.g. a retired one such as claude-3-5-haiku-latest), which
# the API refuses for any model with a smaller output limit. No task here needs more than this.
ANTHROPIC_MAX_TOKENS = 4096
# Ollama's default context window (2048 tokens, 4096 in recent servers) is smaller than our longer
# prompts (up to ~3.5k tokens, the advice step), and Ollama cuts a longer prompt from the front
# without an error, system prompt first. Ask for a window they fit in.
OLLAMA_NUM_CTX = 8192



def deployments(names: list[str], settings: Settings) -> list[dict[str, Any]]:
    """litellm Router model_list entries `m0`, `m1`, ... for the models in `names` (the primary
    first, which gets `api_base` and a LiteLLM proxy's virtual key when configured)."""
    model_list = []
    for i, m in enumerate(names):
        params: dict[str, Any] = {"model": m, "timeout": settings.timeout_seconds}
        if i == 0 and settings.api_base:
            params["api_base"] = settings.api_base
            if provider_of(m) == "openai" and os.environ.get("LITELLM_API_KEY"):
                # A LiteLLM proxy's virtual key (litellm itself reads only OPENAI_API_KEY here).
                params["api_key"] = os.environ["LITELLM_API_KEY"]
        if provider_of(m) == "anthropic":
            params["max_tokens"] = ANTHROPIC_MAX_TOKENS
        elif provider_of(m) in OLLAMA:
            params["num_ctx"] = OLLAMA_NUM_CTX
        model_list.append({"model_name": f"m{i}", "litellm_params": params})
    return model_list


def structured_hint(schema: type[BaseModel]) -> str:
    """The schema in words for the system prompt (models that follow the prompt better than the
    decoding constraint)."""
    spec = structured.response_format(schema)["json_schema"]
    return (f"Reply with a single JSON object that validates against this JSON schema ({schema.__name__}):\n"
            f"{json.dumps(spec['schema'])}")


