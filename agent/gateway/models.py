"""Which model a session runs on: provider and credential checks that need no litellm import.

LiteLLM reads keys from the environment under these names; checking them here lets the chat
decide (and say) at start-up, before litellm has loaded, whether the offline engine stands in.
"""

from __future__ import annotations

import os

from pydantic import BaseModel

from agent.common.config import OFFLINE_MODEL, ConfigError, Settings

# Providers whose keys we can check without importing litellm (env var names LiteLLM reads).
_KEY_ENV = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
    "xai": ("XAI_API_KEY",),
    "azure": ("AZURE_API_KEY",),
}
_KEYLESS = {"ollama", "ollama_chat", "offline", "hosted_vllm", "lm_studio", "llamafile"}


class ModelChoice(BaseModel):
    """Which model the session will use, and what the user should be told about it."""

    model: str
    fallbacks: list[str]
    notice: str | None = None


def provider_of(model: str) -> str:
    """The LiteLLM provider prefix of a model string ('gpt-4o' counts as openai)."""
    if "/" in model:
        return model.split("/", 1)[0]
    if model.startswith(("gpt-", "o1", "o3", "o4", "chatgpt")):
        return "openai"
    if model.startswith("claude"):
        return "anthropic"
    return ""


def missing_key(model: str, api_base: str | None = None) -> str | None:
    """The env var a model needs but lacks, or None (unknown providers are checked later)."""
    prov = provider_of(model)
    if prov in _KEYLESS:
        return None
    names = _KEY_ENV.get(prov)
    if not names:
        return None
    if api_base and prov == "openai" and os.environ.get("LITELLM_API_KEY"):
        return None  # a LiteLLM proxy's virtual key
    return None if any(os.environ.get(n) for n in names) else names[0]


def choose_model(settings: Settings) -> ModelChoice:
    """Pick the session's model: the configured one if it has credentials, else the offline engine
    where config allows it (with a one-line notice), else a ConfigError naming the fix."""
    model = settings.model
    if model == OFFLINE_MODEL:
        return ModelChoice(model=model, fallbacks=[])
    key = missing_key(model, settings.api_base)
    if key is None:
        fallbacks = list(settings.fallbacks)
        if settings.offline_fallback and OFFLINE_MODEL not in fallbacks:
            fallbacks.append(OFFLINE_MODEL)
        return ModelChoice(model=model, fallbacks=fallbacks)
    if not settings.offline_fallback:
        raise ConfigError(f"Model '{model}' needs {key}, which is not set. Export {key}=..., "
                          f"or set AIOPS_MODEL={OFFLINE_MODEL} to use the offline engine.")
    return ModelChoice(
        model=OFFLINE_MODEL,
        fallbacks=[],
        notice=f"Using the offline engine ({OFFLINE_MODEL}): {key} is not set. To use {model}, "
               f"export {key}=...; or set AIOPS_MODEL to another LiteLLM model.",
    )


def is_known_provider(model: str) -> bool:
    """True when the model's provider is one these checks know (others are vetted by litellm)."""
    prov = provider_of(model)
    return prov in _KEY_ENV or prov in _KEYLESS
