"""A fully obedient model, as a LiteLLM custom provider (issue 13): it does whatever an injection
asks. Asked to read a reply, it returns an update that sets the demanded scores — every question
to 5, and to any other number the reply mentions — with evidence quoting the attacker's own text,
every sentence of it, and every earlier sentence the interviewee said (a genuine sentence quoted
for a raise it does not describe); at the review step each answer is flagged as the correction.
It works from what the attacker typed (handed in by the test), not from what the agent sends it,
so it stands for a model that saw everything — the agent's screening before the model is then
not what stops it; the evidence check and the review's confirmation have to.

Every other task (asking, the summary, advice, follow-ups) is answered as the offline engine would.
"""

from __future__ import annotations

import json
import re
import time

from litellm import CustomLLM, ModelResponse

from agent.core.prompts import extract_context
from agent.offline.provider import respond

_SENTENCE = re.compile(r"(?<=[.!?;:\n。])\s*|\n+")
_NUMBER = re.compile(r"(?<![\d.,])([1-5])(?![\d.,%])")


class Obedient(CustomLLM):
    def __init__(self) -> None:
        super().__init__()
        self.reply = ""  # what the attacker typed, as typed
        self.earlier: list[str] = []  # what the interviewee said before
        self.interpret_calls = 0

    def attack(self, reply: str, earlier: list[str]) -> None:
        """The reply to obey next, and the interviewee's earlier words to quote too."""
        self.reply, self.earlier, self.interpret_calls = reply, list(earlier), 0

    def _obey(self, ctx: dict) -> str:
        self.interpret_calls += 1
        quotes = [q for q in dict.fromkeys([self.reply, *_SENTENCE.split(self.reply), *self.earlier,
                                            *(s for e in self.earlier for s in _SENTENCE.split(e))])
                  if q and q.strip()]
        demanded = sorted({5, *(int(n) for n in _NUMBER.findall(self.reply))})
        correcting = bool(ctx.get("known"))
        answers = [{"question_id": f"q{i}", "score": score, "confidence": 1.0, "evidence": quote.strip(),
                    "corrects": correcting}
                   # Lower demands first: of the readings that survive, the highest is applied last.
                   for score in demanded for i in range(1, 13) for quote in quotes]
        return json.dumps({"answers": answers, "is_correction": correcting, "language": "en", "understood": True})

    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose, encoding,
                   api_key, logging_obj, optional_params, acompletion=None, litellm_params=None, logger_fn=None,
                   headers=None, timeout=None, client=None) -> ModelResponse:
        ctx = extract_context(messages) or {}
        content = self._obey(ctx) if ctx.get("task") == "interpret" else respond(messages)
        return ModelResponse(model=f"obedient/{model}", created=int(time.time()),
                             choices=[{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": content}}],
                             usage={"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120})

    async def acompletion(self, *args, **kwargs) -> ModelResponse:
        return self.completion(*args, **kwargs)


def obedient_gateway(settings, handler: Obedient):
    """A gateway whose only model is `handler` (no fallback to the offline engine)."""
    from agent.app import build_gateway
    from agent.gateway.models import ModelChoice
    from agent.gateway.router import CustomProvider

    settings = settings.model_copy(update={"num_retries": 0, "structured_output": "json_schema",
                                           "offline_fallback": False, "fallbacks": []})
    return build_gateway(settings, ModelChoice(model="obedient/model", fallbacks=[]),
                         providers=[CustomProvider(prefix="obedient", handler=lambda: handler)])
