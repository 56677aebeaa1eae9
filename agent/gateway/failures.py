"""What a failed model call means for the session (pure apart from reading the exception).

A *transient* failure (rate limit, overload, 5xx, timeout, lost connection, a prompt too long
for this model) may pass: retry, then try the next model. A *permanent* one will not pass by
trying again with the same settings (rejected key, no quota or billing, unknown or retired
model, a request the provider refuses): that model is not used again in this process, and the
user is told what to fix. Classification reads litellm's exception type and status code, and
the provider's error code in the message where the status alone is ambiguous (OpenAI answers
429 both for "slow down" and for "no billing").
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from agent.common.providers import KEY_ENV, OLLAMA, provider_of

# Provider names as people know them.
_PROVIDER_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic", "ollama": "Ollama", "ollama_chat": "Ollama",
                   "gemini": "Google Gemini", "mistral": "Mistral", "groq": "Groq", "azure": "Azure OpenAI",
                   "openrouter": "OpenRouter", "deepseek": "DeepSeek", "xai": "xAI", "cohere": "Cohere"}
_QUOTA = re.compile(r"insufficient_quota|exceeded your current quota|credit balance is too low|billing", re.I)
_PULL = re.compile(r"not found, try pulling it first", re.I)
_CONTEXT = re.compile(r"context.{0,20}(length|window)|maximum context|too many tokens|prompt is too long", re.I)


class EmptyResponse(Exception):
    """The provider answered without a message (no `choices`): nothing to read."""


class ReplyTimeLimit(Exception):
    """The reply's time window (`reply_timeout_seconds`) was used up before this model was asked."""


class UnreadableAnswer(Exception):
    """The model answered twice with output that does not match the requested structure."""


class ModelFailure(BaseModel):
    """One failed call, classified: what happened in plain words, whether it will pass, the fix."""

    model: str
    kind: str  # auth | quota | model_not_found | invalid_request | rate_limit | overloaded | server | timeout | connection | context | empty | unreadable | time_limit | other
    permanent: bool
    status: int | None = None
    what: str  # "OpenAI rejected the API key (401)"
    fix: str  # "Check OPENAI_API_KEY, then resume the session."

    @property
    def message(self) -> str:
        return f"{self.what}. {self.fix}".strip()


def provider_name(model: str) -> str:
    """'OpenAI' for openai/..., the prefix itself for providers without a well-known name."""
    prov = provider_of(model)
    return _PROVIDER_NAMES.get(prov, prov or "The provider")


def classify(exc: BaseException, model: str) -> ModelFailure:
    """Classify a failed call of `model` (a litellm exception, or anything a provider raised)."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    text = str(exc)
    who = provider_name(model)
    bare = model.split("/", 1)[-1]
    key = (KEY_ENV.get(provider_of(model)) or ("the API key",))[0]

    def failure(kind: str, permanent: bool, what: str, fix: str) -> ModelFailure:
        return ModelFailure(model=model, kind=kind, permanent=permanent, status=status,
                            what=what + (f" ({status})" if status else ""), fix=fix)

    if isinstance(exc, ReplyTimeLimit):
        return failure("time_limit", False, f"{who} did not answer within the {text} a reply may wait",
                       "Try again later, or raise reply_timeout_seconds in config.yaml.")
    if isinstance(exc, EmptyResponse):
        return failure("empty", False, f"{who} returned an empty response", "Retrying usually works.")
    if isinstance(exc, UnreadableAnswer):
        return failure("unreadable", False, f"{who}'s answer could not be read ({text})",
                       "The next model reads this reply; the configured model is asked again next time.")
    if provider_of(model) in OLLAMA and _PULL.search(text):
        return failure("model_not_found", True, f"Ollama does not have the model {bare}",
                       f"Run `ollama pull {bare}` on the Ollama server, then resume.")
    if name in ("AuthenticationError",) or status == 401:
        return failure("auth", True, f"{who} rejected the API key", f"Check {key}, then resume the session.")
    if name == "PermissionDeniedError" or status == 403:
        return failure("auth", True, f"{who} refused access to {bare} for this key",
                       f"Use a key with access to {bare}, or set AIOPS_MODEL to another model.")
    if _QUOTA.search(text) and (status in (400, 402, 429) or name in ("RateLimitError", "BadRequestError")):
        return failure("quota", True, f"{who} says the account has no quota or billing left",
                       f"Add billing or credit to the {who} account, or set AIOPS_MODEL to another model.")
    if name == "NotFoundError" or status == 404:
        return failure("model_not_found", True, f"{who} does not know the model {bare} (unknown or retired)",
                       "Set AIOPS_MODEL to a current model (`aiops-assess doctor` lists what is configured).")
    if name == "ContextWindowExceededError" or _CONTEXT.search(text):
        return failure("context", False, f"The conversation is too long for {bare}",
                       "A model with a larger context window is tried next.")
    if name == "RateLimitError" or status == 429:
        return failure("rate_limit", False, f"{who} is rate-limiting requests", "Retrying later usually works.")
    if name in ("Timeout", "APITimeoutError") or "timed out" in text.lower():
        return failure("timeout", False, f"{who} did not answer in time", "Retrying usually works.")
    if name == "APIConnectionError" or re.search(r"connection (refused|error|reset)|cannot connect|name or service not known",
                                                  text, re.I):
        return ModelFailure(model=model, kind="connection", permanent=False, status=None,
                            what=f"{who} could not be reached", fix="Check the network or the server address.")
    if "overloaded" in text.lower() or status == 529:
        return failure("overloaded", False, f"{who} is overloaded", "Retrying later usually works.")
    if status in (500, 502, 503, 504) or name in ("InternalServerError", "ServiceUnavailableError", "APIError"):
        return failure("server", False, f"{who} had a server error", "Retrying later usually works.")
    if name in ("BadRequestError", "UnprocessableEntityError", "UnsupportedParamsError") or status in (400, 422):
        return failure("invalid_request", True, f"{who} refused the request for {bare}",
                       "Try another model (structured_output: json_mode helps models without JSON schema support).")
    return failure("other", False, f"{who} failed ({name})", "Retrying may work.")
