"""Which model a session runs on, decided at start-up before litellm has loaded: the configured
model if its key is set (agent.common.providers knows the names), else the offline engine where
config allows it, saying so."""

from __future__ import annotations

from pydantic import BaseModel

from agent.common.config import ConfigError, Settings
from agent.common.hints import command
from agent.common.providers import OFFLINE_MODEL, missing_key


class ModelChoice(BaseModel):
    """Which model the session will use, and what the user should be told about it."""

    model: str
    fallbacks: list[str]
    notice: str | None = None


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
               f"export {key}=...; or set AIOPS_MODEL to another LiteLLM model. "
               f"Run `{command('doctor')}` to check the set-up.",
    )
