"""What a LiteLLM model string says about its provider, without importing litellm (pure).

The one place that knows the offline engine's name, which providers run on the user's own
machine, and which environment variable each hosted provider's key lives in (the names LiteLLM
reads), so the chat can decide and say at start-up which model will read the replies.
"""

from __future__ import annotations

import os

OFFLINE_PROVIDER = "offline"
OFFLINE_MODEL = "offline/rubric"

# Providers whose keys can be checked without litellm: the env var names LiteLLM reads.
KEY_ENV: dict[str, tuple[str, ...]] = {
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
# Model servers a person runs themselves: no key, and replies go only to that server.
SELF_HOSTED = frozenset({"ollama", "ollama_chat", "lm_studio", "llamafile", "hosted_vllm"})
OLLAMA = frozenset({"ollama", "ollama_chat"})
# The model suggested for each provider: current and served, chosen from litellm's model map (not
# deprecated within 60 days; tests/test_defaults.py checks it against the installed litellm).
DEFAULT_MODELS: dict[str, str] = {
    "openai": "openai/gpt-5.4-mini",
    "anthropic": "anthropic/claude-haiku-4-5",
    "ollama": "ollama_chat/llama3.1",
}
KEYLESS = SELF_HOSTED | {OFFLINE_PROVIDER}


def provider_of(model: str) -> str:
    """The LiteLLM provider prefix of a model string ('gpt-4o' counts as openai)."""
    if "/" in model:
        return model.split("/", 1)[0]
    if model.startswith(("gpt-", "o1", "o3", "o4", "chatgpt")):
        return "openai"
    if model.startswith("claude"):
        return "anthropic"
    return ""


def is_offline(model: str | None) -> bool:
    """True for the built-in offline engine (any `offline/...` model string)."""
    return bool(model) and provider_of(model or "") == OFFLINE_PROVIDER


def is_self_hosted(model: str) -> bool:
    return provider_of(model) in SELF_HOSTED


def is_known_provider(model: str) -> bool:
    """True when the model's provider is one these checks know (others are vetted by litellm)."""
    prov = provider_of(model)
    return prov in KEY_ENV or prov in KEYLESS


def missing_key(model: str, api_base: str | None = None) -> str | None:
    """The env var a model needs but lacks, or None (unknown providers are checked later)."""
    prov = provider_of(model)
    if prov in KEYLESS:
        return None
    names = KEY_ENV.get(prov)
    if not names:
        return None
    if api_base and prov == "openai" and os.environ.get("LITELLM_API_KEY"):
        return None  # a LiteLLM proxy's virtual key
    return None if any(os.environ.get(n) for n in names) else names[0]
