"""The models part of `aiops-assess doctor`: for each configured model, whether its key is set,
what LiteLLM's bundled map says about it (provider, price, retirement date, structured-output
support) and, with `--online`, whether it answers a short request sent through the project's own
Gateway (so the same deployments, keys and `api_base` are used as in an interview).

Nothing here leaves the machine unless `probe` is called.
"""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from agent.common.config import ConfigError, Settings
from agent.common.privacy import mask_text
from agent.common.providers import (
    KEY_ENV,
    KEYLESS,
    OFFLINE_MODEL,
    SELF_HOSTED,
    is_offline,
    missing_key,
    provider_of,
)
from agent.gateway.models import ModelChoice, choose_model

Status = Literal["ok", "warning", "problem"]
Role = Literal["primary", "fallback", "offline_fallback"]

RETIREMENT_WARNING_DAYS = 60
# Short, so that a provider that does not answer cannot hold the check for the chat's 60 s.
PROBE_TIMEOUT_SECONDS = 10.0
# The smallest request that shows the key, the model name and the network work; the Gateway has
# no max_tokens parameter, so the prompt asks for a one-word answer instead.
PROBE_MESSAGES = [{"role": "user", "content": "Reply with the single word OK."}]


class Finding(BaseModel):
    """One line of the doctor's verdict."""

    area: str  # chat | model | tracing | index | data_dir | web_auth | config
    subject: str  # what it is about: a model string, a path, a host
    status: Status
    message: str  # what was found, one sentence
    fix: str | None = None  # one sentence naming the fix; None when there is nothing to do


class Probe(BaseModel):
    """The `--online` test request of one model."""

    answered: bool
    latency_ms: float
    error: str | None = None  # the provider's own error message, one line, secrets masked
    failure: str | None = None  # what it means, in plain words (agent.gateway.failures)
    # auth | quota | model_not_found | invalid_request (will not pass by trying again), rate_limit
    kind: str | None = None
    permanent: bool = False


class ModelCheck(BaseModel):
    """What is known about one model of the chain before the interview calls it."""

    model: str
    role: Role
    provider: str
    api_base: str | None = None
    key_env: list[str]  # where its key is read from; empty when none is needed (or unknown)
    key_set: bool | None  # None: no key needed
    known_to_litellm: bool | None  # None for the built-in offline engine (registered at start-up)
    in_price_map: bool
    input_usd_per_1m: float | None
    output_usd_per_1m: float | None
    deprecation_date: date | None
    successor_model: str | None = None  # what LiteLLM's map names as its replacement
    structured_output: str | None
    probe: Probe | None = None


class ChatPlan(BaseModel):
    """What the chat will run on when it starts now."""

    model: str | None  # None: the chat will not start
    fallbacks: list[str]
    reason: str | None = None  # why it is not the configured model, or why it will not start


def litellm_module() -> Any:
    """litellm, imported quietly and without network (the bundled price map, no download)."""
    # The gateway sets these on import too; the doctor may get here first.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")
    import litellm

    litellm.suppress_debug_info = True  # else an unknown provider prints a banner on stdout
    logging.getLogger("LiteLLM").setLevel(logging.ERROR)
    return litellm


def chain(settings: Settings) -> list[tuple[str, Role]]:
    """The configured models in the order they are tried."""
    if is_offline(settings.model):
        return [(settings.model, "primary")]
    models: list[tuple[str, Role]] = [(settings.model, "primary"), *((m, "fallback") for m in settings.fallbacks)]
    if settings.offline_fallback and OFFLINE_MODEL not in settings.fallbacks:
        models.append((OFFLINE_MODEL, "offline_fallback"))
    return models


def plan(settings: Settings, litellm: Any | None) -> ChatPlan:
    """The model the chat starts on (agent.gateway.models.choose_model, then the gateway's check
    that LiteLLM knows it), and what the chat will say about it."""
    try:
        choice = choose_model(settings)
    except ConfigError as exc:
        return ChatPlan(model=None, fallbacks=[], reason=str(exc))
    if choice.model != settings.model:
        return ChatPlan(model=choice.model, fallbacks=choice.fallbacks,
                        reason=f"{missing_key(settings.model, settings.api_base)} is not set")
    if litellm is not None and not is_offline(choice.model) and not _known(litellm, choice.model):
        unknown = f"LiteLLM does not know the model {choice.model}"
        if not settings.offline_fallback:
            return ChatPlan(model=None, fallbacks=[], reason=unknown)
        return ChatPlan(model=OFFLINE_MODEL, fallbacks=[], reason=unknown)
    return ChatPlan(model=choice.model, fallbacks=choice.fallbacks)


def _known(litellm: Any, model: str) -> bool:
    try:
        litellm.get_llm_provider(model)
    except Exception:  # noqa: BLE001 - litellm raises BadRequestError, ValueError, ... for unknown models
        return False
    return True


def facts(litellm: Any | None, model: str, role: Role, settings: Settings) -> ModelCheck:
    """What the environment and LiteLLM's bundled map say about `model` (no network)."""
    api_base = settings.api_base if role == "primary" else None  # api_base applies to the primary only
    if is_offline(model):
        return ModelCheck(model=model, role=role, provider=provider_of(model), key_env=[], key_set=None,
                          known_to_litellm=None, in_price_map=False, input_usd_per_1m=0.0, output_usd_per_1m=0.0,
                          deprecation_date=None, structured_output="json_schema")
    from agent.gateway.structured import choose_mode

    assert litellm is not None  # imported whenever the chain has a model other than the offline engine
    name, provider = model, provider_of(model)
    known = True
    try:
        name, provider = litellm.get_llm_provider(model)[:2]
    except Exception:  # noqa: BLE001 - see _known
        known = False
    entry = _price_entry(litellm, model, name, provider)
    key_env, key_set = _key(litellm, model, provider, api_base, known)
    per_1m = {k: float(entry[k]) * 1_000_000 if isinstance(entry.get(k), int | float) else None
              for k in ("input_cost_per_token", "output_cost_per_token")}
    return ModelCheck(
        model=model, role=role, provider=provider, api_base=_without_secrets(api_base), key_env=key_env,
        key_set=key_set, known_to_litellm=known, in_price_map=bool(entry),
        input_usd_per_1m=per_1m["input_cost_per_token"], output_usd_per_1m=per_1m["output_cost_per_token"],
        deprecation_date=_date(entry.get("deprecation_date")),
        successor_model=_successor(entry.get("successor_model"), provider),
        structured_output=choose_mode(litellm, model, settings.structured_output) if known else None,
    )


def _price_entry(litellm: Any, model: str, name: str, provider: str) -> dict:
    # The map is keyed by the bare name for most providers ("gpt-4o-mini"), prefixed for others.
    for key in (model, f"{provider}/{name}", name):
        entry = litellm.model_cost.get(key)
        if isinstance(entry, dict):
            return entry
    return {}


def _key(litellm: Any, model: str, provider: str, api_base: str | None, known: bool) -> tuple[list[str], bool | None]:
    prov = provider_of(model) or provider
    if prov in KEYLESS:
        return [], None
    if api_base and prov == "openai" and os.environ.get("LITELLM_API_KEY"):
        return ["LITELLM_API_KEY"], True  # a LiteLLM proxy's virtual key, sent instead of OPENAI_API_KEY
    names = KEY_ENV.get(prov)
    if names:
        return list(names), any(os.environ.get(n) for n in names)
    if not known:
        return [], None
    # Providers agent.common.providers does not list (bedrock, vertex_ai, ...): litellm knows them.
    env = litellm.validate_environment(model=model)
    return list(env.get("missing_keys") or []), bool(env.get("keys_in_environment"))


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _successor(name: Any, provider: str) -> str | None:
    """The map's successor as a model string for the same provider ('gpt-6-luna' -> 'openai/gpt-6-luna')."""
    if not isinstance(name, str) or not name.strip():
        return None
    return name if "/" in name else f"{provider}/{name}"


def _without_secrets(url: str | None) -> str | None:
    """A URL without a user:password part or query string (which may carry a key)."""
    if not url:
        return url
    return re.sub(r"//[^/@]*@", "//", url).split("?", 1)[0]


def findings(check: ModelCheck, settings: Settings, today: date) -> list[Finding]:
    """The verdict on one model, worst first: unknown, key, retirement, price, then the probe."""
    subject = f"{check.model} ({check.role.replace('_', ' ')})"

    def out(status: Status, message: str, fix: str | None = None) -> Finding:
        return Finding(area="model", subject=subject, status=status, message=message, fix=fix)

    if check.known_to_litellm is None:
        if check.role == "offline_fallback":
            return [out("ok", "The offline engine is the last resort (offline_fallback: true): if every model "
                              "fails, the interview carries on offline.")]
        return [out("ok", "The built-in offline engine reads the replies: no key, no network, no cost.",
                    "Set AIOPS_MODEL to a LiteLLM model string (and its key) to use an LLM.")]
    if check.role == "primary":
        instead = (", so the chat will run on the offline engine instead" if settings.offline_fallback
                   else ", so the chat will not start")
    else:
        instead = ", so this fallback would fail and the next model be tried"
    if not check.known_to_litellm:
        return [out("problem", f"LiteLLM does not know this model{instead}.",
                    "Use a LiteLLM model string such as openai/gpt-4o-mini or anthropic/claude-3-5-haiku-latest "
                    "(AIOPS_MODEL, or model/fallbacks in the config file).")]
    found: list[Finding] = []
    if check.key_set is False:
        var = check.key_env[0] if check.key_env else "its API key"
        fix = f"Export {var}=... (keys are read only from the environment)"
        if check.api_base and check.provider == "openai":
            fix += ", or LITELLM_API_KEY with a LiteLLM proxy's virtual key"
        if check.role == "primary" and settings.offline_fallback:
            fix += f"; or set AIOPS_MODEL={OFFLINE_MODEL} to choose the offline engine"
        elif check.role == "fallback":
            fix += "; or remove it from fallbacks"
        found.append(out("problem", f"{var} is not set{instead}.", fix + "."))
    found += _retirement(check, today, out)
    if not check.in_price_map and check.provider not in SELF_HOSTED:
        found.append(out("warning", "LiteLLM's price map does not list it: its calls count as $0, so /status, the "
                                    "report and budget_usd cannot account for them.",
                         "Check the model name against LiteLLM's model list; if it is right, set no budget_usd "
                         "for it or watch the provider's own bill."))
    if check.probe is not None:
        found.append(_probe_finding(check, out))
    if not found:
        found.append(out("ok", _ready(check), None if check.probe else "Run with --online to send it a test request."))
    return found


def _retirement(check: ModelCheck, today: date, out: Any) -> list[Finding]:
    if check.deprecation_date is None:
        return []
    days = (check.deprecation_date - today).days
    fix = (f"Switch to {check.successor_model}, which LiteLLM's map names as its successor" if check.successor_model
           else "Switch to a current model of the provider") + " (AIOPS_MODEL, or fallbacks in the config file)."
    if days < 0:
        answered = check.probe is not None and check.probe.answered
        # Past the date LiteLLM's map gives, the provider may have switched it off; if it still
        # answered just now, the date was moved and a warning is enough.
        status: Status = "warning" if answered else "problem"
        still = " It still answered the test request." if answered else ""
        return [out(status, f"LiteLLM's map says the provider retired it on {check.deprecation_date} "
                            f"({-days} days ago).{still}", fix)]
    if days <= RETIREMENT_WARNING_DAYS:
        return [out("warning", f"LiteLLM's map says the provider retires it on {check.deprecation_date} "
                               f"(in {days} days).", fix)]
    return []


def _ready(check: ModelCheck) -> str:
    key = (f"{check.key_env[0]} is set" if check.key_set and check.key_env
           else "its key is set" if check.key_set else "no key needed")
    return f"Ready as far as can be told without calling it: {key}, LiteLLM knows it."


def _probe_finding(check: ModelCheck, out: Any) -> Finding:
    p = check.probe
    assert p is not None
    if p.answered:
        return out("ok", f"Answered a test request in {p.latency_ms:,.0f} ms.")
    said = f" The provider said: “{p.error}”" if p.error else ""
    what = (p.failure or "it failed").rstrip(".")
    if p.kind == "auth":
        var = check.key_env[0] if check.key_env else "the API key"
        return out("problem", f"Did not answer the test request: {what}.{said}",
                   f"Set a valid {var}: the provider rejected the one that is set.")
    if p.kind == "model_not_found":
        return out("problem", f"Did not answer the test request: {what}.{said}",
                   "Check the model name, or choose a current model (AIOPS_MODEL, or fallbacks in the config file).")
    if p.permanent:  # no quota, a refused request: the failure says what to do
        return out("problem", f"Did not answer the test request: {what}.{said}")
    if p.kind == "rate_limit":  # the key and the model work; the account is busy
        return out("warning", f"Rate-limited just now: {what}.{said}",
                   "Nothing to fix if it passes; otherwise ask the provider for a higher rate limit.")
    where = f" ({check.api_base})" if check.api_base else ""
    if check.provider in SELF_HOSTED:
        fix = ("Start the model server (for Ollama: `ollama serve`, and `ollama pull` the model), or point "
               "api_base (OLLAMA_API_BASE for Ollama) at it.")
    else:
        fix = "Check the network, api_base and the provider's status page, then run `doctor --online` again."
    return out("problem", f"Did not answer the test request{where}: {what}.{said}", fix)


def probe(settings: Settings, check: ModelCheck) -> Probe:
    """Send one short request to `check.model` alone through a Gateway built as the interview's is
    (composition root, same deployments, keys and api_base), without retries or fallbacks."""
    from agent.app import build_gateway

    quick = settings.model_copy(update={
        "timeout_seconds": min(settings.timeout_seconds, PROBE_TIMEOUT_SECONDS),
        # An Ollama model's first load may take minutes; the chat waits for it, the doctor does not.
        "first_load_timeout_seconds": min(settings.timeout_seconds, PROBE_TIMEOUT_SECONDS),
        "num_retries": 0, "fallbacks": [], "offline_fallback": False, "budget_usd": None,
        "api_base": settings.api_base if check.role == "primary" else None,
    })
    gateway = build_gateway(quick, ModelChoice(model=check.model, fallbacks=[]))
    start = time.perf_counter()
    try:
        _text, records = gateway.text("doctor", PROBE_MESSAGES)
    except Exception as exc:  # noqa: BLE001 - e.g. the router cannot be built for this model
        return Probe(answered=False, latency_ms=_ms(start), error=provider_message(f"{type(exc).__name__}: {exc}"))
    last = records[-1]
    if last.ok:
        return Probe(answered=True, latency_ms=last.latency_ms or _ms(start))
    # A failure that will not pass (rejected key, no quota, unknown model) disables the model in
    # the gateway, classified; a passing one is only described in the call record.
    permanent = gateway.disabled.get(check.model)
    if permanent is not None:
        kind: str | None = permanent.kind
    else:
        kind = "rate_limit" if (last.error or "").startswith("RateLimitError") else None
    return Probe(answered=False, latency_ms=_ms(start), error=provider_message(last.error or "") or None,
                 failure=permanent.what if permanent else last.failure, kind=kind, permanent=permanent is not None)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


# litellm's exception text stacks its own prefixes on the provider's message:
# "AuthenticationError: litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key ..."
_PREFIX = re.compile(r"^\s*(?:litellm\.)?\w*(?:Error|Exception|Timeout)\s*(?::|-)\s*")
_JSON_MESSAGE = re.compile(r'"message"\s*:\s*"((?:[^"\\]|\\.)*)"')


def provider_message(error: str, limit: int = 240) -> str:
    """The provider's own words from a failed call's description: one line, prefixes removed,
    anything that looks like a key masked."""
    text = error.strip()
    while (shorter := _PREFIX.sub("", text, count=1)) != text:
        text = shorter
    inner = _JSON_MESSAGE.search(text)  # Anthropic, Gemini, ... answer with a JSON body
    if inner:
        text = inner.group(1)
    text = mask_text(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
