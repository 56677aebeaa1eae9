"""The offline engine as a LiteLLM custom provider (model string `offline/rubric`).

It answers the same prompts an LLM gets (it reads the JSON context embedded by agent.core.prompts), so
the rest of the agent cannot tell it from a hosted model. The composition root (agent.app) hands it
to the gateway, which registers it with litellm. Importing this module imports litellm.
"""

from __future__ import annotations

import json
import time

from litellm import CustomLLM, ModelResponse

from agent.common.providers import OFFLINE_MODEL, OFFLINE_PROVIDER
from agent.core.phrasing import load_phrasing, write_summary
from agent.core.prompts import extract_context
from agent.core.routing import RouteContext, RouteGuess
from agent.core.rubric import load_rubric
from agent.core.schemas import AskContext, InterpretContext, SummaryContext
from agent.offline.interpret import interpret, load_lexicon
from agent.offline.model import load_model
from agent.offline.wording import phrase_ask

PROVIDER = OFFLINE_PROVIDER
MODEL = OFFLINE_MODEL

_NOT_SUPPORTED = (
    "The offline engine only runs the assessment interview; it cannot answer free-form requests. "
    "Set AIOPS_MODEL to an LLM for that."
)


def respond(messages: list[dict]) -> str:
    """The engine's reply content for a chat request (JSON for interpret, text otherwise)."""
    ctx = extract_context(messages) or {}
    task = ctx.get("task")
    rubric = load_rubric()
    if task == "interpret":
        update = interpret(InterpretContext.model_validate(ctx), rubric, load_lexicon())
        return update.model_dump_json()
    if task == "ask":
        return phrase_ask(AskContext.model_validate(ctx), rubric, load_phrasing())
    if task == "summary":
        return write_summary(SummaryContext.model_validate(ctx))
    if task == "advice":  # extractive: the passages' own open checklist items, as suggested
        cands = ctx.get("candidates") or []
        return json.dumps({"actions": [{"text": c["text"], "term": c["term"], "dimension": c.get("dimension"),
                                        "cites": [c["cite"]]} for c in cands]})
    if task == "route":  # which question a follow-up question is about: the reader's relevance
        return route_guess(RouteContext.model_validate(ctx)).model_dump_json()
    if task == "followup":  # extractive: the draft assembled from the passages
        return json.dumps(ctx.get("draft") or {"answer": "", "cites": [], "covered": False})
    return _NOT_SUPPORTED


def route_guess(ctx: RouteContext) -> RouteGuess:
    """The question the trained reader finds most relevant to a follow-up question, with its
    calibrated probability (the same reading that maps interview replies to questions)."""
    relevance = load_model().read(ctx.question).relevance
    known = sorted((q for q in relevance if q in {x.id for x in ctx.questions}), key=relevance.__getitem__,
                   reverse=True)
    if not known:
        return RouteGuess(question_id=None, confidence=0.0)
    best = known[0]
    top = float(relevance[best])
    # The reader is calibrated on interview sentences; a short question gets low relevance even
    # when it is plainly about one practice. Its share of the relevance then says how sure the
    # choice is — once the question is about something at all (a floor of 0.1).
    share = top / (sum(float(relevance[q]) for q in known) or 1.0)
    confidence = top if top >= 0.5 or top < 0.1 else min(0.9, share)
    return RouteGuess(question_id=best, confidence=round(confidence, 3))


def _tokens(text: str) -> int:
    # A rough count (about 4 characters a token) so usage is reported like a real provider's.
    return max(1, len(text) // 4)


class OfflineEngine(CustomLLM):
    """litellm.CustomLLM that answers from the rubric data, deterministically and locally."""

    def completion(self, model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                   encoding, api_key, logging_obj, optional_params, acompletion=None, litellm_params=None,
                   logger_fn=None, headers=None, timeout=None, client=None) -> ModelResponse:
        content = respond(messages)
        prompt_tokens = sum(_tokens(m.get("content") or "") for m in messages if isinstance(m.get("content"), str))
        completion_tokens = _tokens(content)
        return ModelResponse(
            id=f"offline-{time.time_ns()}",
            model=MODEL,
            created=int(time.time()),
            choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                   "total_tokens": prompt_tokens + completion_tokens},
        )

    async def acompletion(self, *args, **kwargs) -> ModelResponse:
        return self.completion(*args, **kwargs)


def preload() -> None:
    """Load the engine's data now (rubric, lexicon, phrasing) rather than on the first reply."""
    load_rubric()
    load_lexicon()
    load_phrasing()
    load_model()


__all__ = ["MODEL", "PROVIDER", "OfflineEngine", "preload", "respond"]
