"""A LiteLLM custom provider that replays scripted replies, to test the gateway's handling of
real-model behaviour (bad JSON, errors, streaming) without a network."""

from __future__ import annotations

import time
from collections import deque

import litellm
from litellm import CustomLLM, ModelResponse


class Scripted(CustomLLM):
    def __init__(self):
        super().__init__()
        self.replies: deque = deque()
        self.requests: list[list[dict]] = []
        self.params: list[dict] = []

    def _next(self, messages, optional_params):
        self.requests.append(messages)
        self.params.append(dict(optional_params))
        item = self.replies.popleft() if self.replies else RuntimeError("script exhausted")
        if isinstance(item, Exception):
            raise item
        return item

    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose, encoding,
                   api_key, logging_obj, optional_params, acompletion=None, litellm_params=None, logger_fn=None,
                   headers=None, timeout=None, client=None):
        text = self._next(messages, optional_params)
        if isinstance(text, ModelResponse):  # a whole response, e.g. with tool calls
            text.model = f"scripted/{model}"
            text.usage = litellm.Usage(prompt_tokens=100, completion_tokens=20, total_tokens=120)
            return text
        return ModelResponse(model=f"scripted/{model}", created=int(time.time()),
                             choices=[{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": text}}],
                             usage={"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120})

    def streaming(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose, encoding,
                  api_key, logging_obj, optional_params, acompletion=None, litellm_params=None, logger_fn=None,
                  headers=None, timeout=None, client=None):
        text = self._next(messages, optional_params)
        words = text.split(" ")
        for i, w in enumerate(words):
            last = i == len(words) - 1
            yield {"text": w + ("" if last else " "), "is_finished": last, "finish_reason": "stop" if last else "",
                   "usage": {"prompt_tokens": 100, "completion_tokens": len(words), "total_tokens": 100 + len(words)}
                   if last else None, "index": 0, "tool_use": None}


def scripted_gateway(settings, handler: Scripted, model: str = "scripted/primary", fallbacks=()):
    """A gateway whose model is `model` (answered by `handler`), with `fallbacks` after it; the
    scripted provider is handed in the way the composition root hands in the offline engine."""
    from agent.app import build_gateway
    from agent.gateway.models import ModelChoice
    from agent.gateway.router import CustomProvider

    return build_gateway(settings, ModelChoice(model=model, fallbacks=list(fallbacks)),
                         providers=[CustomProvider(prefix="scripted", handler=lambda: handler)])
