"""The LiteLLM gateway: the only way the agent calls a model.

A `litellm.Router` built from config (primary model, fallbacks — also for context-window errors —
retries, timeout, and the offline engine as last resort when config allows) serves every call.
Structured output is requested the way the model supports (agent.gateway.structured), validated,
retried once with the validation error, and otherwise reported as failed so the caller can degrade
gracefully. Before text leaves for a provider, personal data and secrets are replaced by
placeholders and put back in the reply (agent.common.privacy); a per-session budget stops paid
calls (agent.gateway.budget). Every call yields a `CallRecord` (model, tokens, cost, latency) for
the interview state, and a Langfuse generation when tracing is on.

The gateway knows no rubric and no engine: custom providers (the offline engine, test doubles) are
handed in by the composition root as `CustomProvider`s and registered once litellm is imported.
litellm takes seconds to import, so nothing here imports it until the first call (or `warm_up`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent.common.config import Settings
from agent.common.privacy import Redactor
from agent.common.providers import OFFLINE_MODEL, OLLAMA, is_known_provider, is_offline, provider_of
from agent.core.calls import CallRecord
from agent.gateway import budget, structured
from agent.gateway.models import ModelChoice, choose_model
from agent.gateway.streaming import RestoringStream
from agent.observability import tracing

# Without this, importing litellm tries to download its cost map (and retries in a thread).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Likewise litellm fetches its Anthropic beta-header table from GitHub on the first Anthropic call
# that needs a beta header (up to 5 s where GitHub is unreachable); its bundled copy is enough.
os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")

# Anthropic requires max_tokens; litellm fills in the model's maximum from its bundled map, or
# 128000 for a model the map does not know (e.g. claude-3-5-haiku-latest in litellm 1.110), which
# the API refuses for any model with a smaller output limit. No task here needs more than this.
ANTHROPIC_MAX_TOKENS = 4096
# Ollama's default context window (2048 tokens, 4096 in recent servers) is smaller than our longer
# prompts (up to ~3.5k tokens, the advice step), and Ollama cuts a longer prompt from the front
# without an error, system prompt first. Ask for a window they fit in.
OLLAMA_NUM_CTX = 8192

T = TypeVar("T", bound=BaseModel)

__all__ = ["CallRecord", "CustomProvider", "Gateway", "ModelChoice", "ModelUnavailable", "choose_model"]


class ModelUnavailable(Exception):
    """No configured model could be reached; the message says what to do."""


@dataclass(frozen=True)
class CustomProvider:
    """A LiteLLM custom provider (`prefix/...` model strings) the gateway registers when litellm has
    loaded: `handler()` returns the `litellm.CustomLLM`; `preload()` loads its data ahead of the
    first call when the session's models use it."""

    prefix: str
    handler: Callable[[], Any]
    preload: Callable[[], None] | None = None


class Gateway:
    """Routes every model call through one litellm Router built from config."""

    def __init__(self, settings: Settings, choice: ModelChoice | None = None,
                 providers: Sequence[CustomProvider] = ()) -> None:
        self.settings = settings
        self.choice = choice or choose_model(settings)
        self.providers = tuple(providers)
        self._router: Any = None
        self._lock = threading.Lock()
        self._warm: threading.Thread | None = None
        self._warm_error: Exception | None = None
        self._offline_deployment: str | None = None
        self.structured_mode: structured.Mode = "json_schema"
        self.notice = self.choice.notice

    @property
    def model(self) -> str:
        return self.choice.model

    # -- set-up -----------------------------------------------------------------------------
    @property
    def known_provider(self) -> bool:
        """True when the model's provider is one we can vet without litellm."""
        return is_known_provider(self.choice.model)

    def warm_up(self) -> threading.Thread:
        """Import litellm and build the router in the background, so the first call is fast."""
        def run() -> None:
            try:
                self._get_router()
            except Exception as exc:  # noqa: BLE001 - surfaced by ready()
                self._warm_error = exc

        self._warm = threading.Thread(target=run, name="litellm-warm-up", daemon=True)
        self._warm.start()
        return self._warm

    def ready(self) -> None:
        """Wait for the router; raises ModelUnavailable if the configured model cannot be used."""
        warm = self._warm or self.warm_up()
        warm.join()
        if self._warm_error is not None:
            raise self._warm_error

    def _get_router(self) -> Any:
        with self._lock:
            if self._router is None:
                self._router = self._build_router()
            return self._router

    def _build_router(self) -> Any:
        import litellm
        from litellm import Router

        litellm.suppress_debug_info = True
        # litellm logs warnings (cost map, unknown prices) to the console the chat is drawn on.
        logging.getLogger("LiteLLM").setLevel(logging.ERROR)
        # Its Router logs every failed fallback as a multi-line ERROR there too; a failed call is a
        # CallRecord (and, when every model failed, one message to the user) instead.
        logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)
        litellm.drop_params = True
        self._register_providers(litellm)
        self._check_model_known(litellm)
        names = [self.choice.model, *self.choice.fallbacks]
        used = {provider_of(m) for m in names}
        for p in self.providers:
            if p.preload is not None and p.prefix in used:
                p.preload()
        model_list = []
        for i, m in enumerate(names):
            params: dict[str, Any] = {"model": m, "timeout": self.settings.timeout_seconds}
            if i == 0 and self.settings.api_base:
                params["api_base"] = self.settings.api_base
                if provider_of(m) == "openai" and os.environ.get("LITELLM_API_KEY"):
                    # A LiteLLM proxy's virtual key (litellm itself reads only OPENAI_API_KEY here).
                    params["api_key"] = os.environ["LITELLM_API_KEY"]
            if provider_of(m) == "anthropic":
                params["max_tokens"] = ANTHROPIC_MAX_TOKENS
            elif provider_of(m) in OLLAMA:
                params["num_ctx"] = OLLAMA_NUM_CTX
            model_list.append({"model_name": f"m{i}", "litellm_params": params})
        fallbacks = [{"m0": [f"m{i}" for i in range(1, len(names))]}] if len(names) > 1 else []
        self._offline_deployment = f"m{names.index(OFFLINE_MODEL)}" if OFFLINE_MODEL in names else None
        self.structured_mode = ("json_schema" if is_offline(self.choice.model)
                                else structured.choose_mode(litellm, self.choice.model, self.settings.structured_output))
        return Router(model_list=model_list, fallbacks=fallbacks, context_window_fallbacks=fallbacks,
                      num_retries=self.settings.num_retries, timeout=self.settings.timeout_seconds)

    def _register_providers(self, litellm: Any) -> None:
        """Put this gateway's custom providers into litellm's (process-wide) provider map."""
        if not self.providers:
            return
        from litellm.utils import custom_llm_setup

        mine = {p.prefix for p in self.providers}
        kept = [e for e in (litellm.custom_provider_map or []) if e.get("provider") not in mine]
        litellm.custom_provider_map = kept + [{"provider": p.prefix, "custom_handler": p.handler()}
                                              for p in self.providers]
        custom_llm_setup()

    def _check_model_known(self, litellm: Any) -> None:
        try:
            litellm.get_llm_provider(self.choice.model)
        except Exception as exc:
            if not self.settings.offline_fallback:
                raise ModelUnavailable(
                    f"LiteLLM does not know the model '{self.choice.model}'. Use a string like "
                    f"openai/gpt-4o-mini or anthropic/claude-3-5-haiku-latest (set AIOPS_MODEL)."
                ) from exc
            self.notice = (f"LiteLLM does not know the model '{self.choice.model}'; using the offline engine "
                           f"({OFFLINE_MODEL}). Set AIOPS_MODEL to a valid LiteLLM model string.")
            self.choice = ModelChoice(model=OFFLINE_MODEL, fallbacks=[])

    # -- calls ------------------------------------------------------------------------------
    def _call(self, task: str, messages: list[dict], **kwargs: Any) -> tuple[Any, CallRecord]:
        with tracing.generation(task, self.choice.model, messages, temperature=self.settings.temperature) as gen:
            resp, rec = self._complete(task, messages, **kwargs)
            gen.record(rec, _content(resp))
        return resp, rec

    def _complete(self, task: str, messages: list[dict], **kwargs: Any) -> tuple[Any, CallRecord]:
        start = time.perf_counter()
        deployment, note = self._deployment()
        if deployment is None:
            return None, self._over_budget(task)
        redactor = self._redactor(deployment)
        try:
            router = self._get_router()
            sent = redactor.redact_messages(messages) if redactor else messages
            resp = router.completion(model=deployment, messages=sent, temperature=self.settings.temperature, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any provider failure becomes a record, never a crash
            rec = CallRecord(task=task, model=self.choice.model, ok=False,
                             latency_ms=(time.perf_counter() - start) * 1000, error=describe(exc))
            return None, rec
        if redactor is not None and redactor.count:
            _restore(resp, redactor)
        rec = self._record(task, resp, start)
        rec.note = note
        budget.add(rec.cost_usd)
        return resp, rec

    def _over_budget(self, task: str) -> CallRecord:
        return CallRecord(task=task, model=self.choice.model, ok=False, note="budget_exceeded",
                          error=budget.exceeded_message(self.settings.budget_usd or 0.0, offline=False))

    def _deployment(self) -> tuple[str | None, str | None]:
        """The Router deployment to call: the configured chain, or (budget used up) the offline
        engine if allowed, else None."""
        if is_offline(self.choice.model) or budget.allowed(self.settings.budget_usd):
            return "m0", None
        if self._offline_deployment is not None:
            return self._offline_deployment, "budget_exceeded"
        return None, "budget_exceeded"

    def _redactor(self, deployment: str) -> Redactor | None:
        """A fresh redactor for a call that leaves the machine (not for the offline engine)."""
        if not self.settings.redact_pii or is_offline(self.choice.model) or deployment == self._offline_deployment:
            return None
        return Redactor()

    def _record(self, task: str, resp: Any, start: float) -> CallRecord:
        usage = getattr(resp, "usage", None)
        return CallRecord(
            task=task,
            model=str(getattr(resp, "model", None) or self.choice.model),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=_cost(resp, self.choice.model),
            latency_ms=(time.perf_counter() - start) * 1000,
        )

    def structured(self, task: str, messages: list[dict], schema: type[T]) -> tuple[T | None, list[CallRecord]]:
        """Ask for `schema` as JSON; validate; retry once with the error; None if it still fails."""
        try:
            self._get_router()  # litellm must finish importing (maybe in warm-up) before we touch it
        except Exception as exc:  # noqa: BLE001 - reported as a failed call
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=describe(exc))]
        records: list[CallRecord] = []
        kwargs, attempt_messages = structured.request(self.structured_mode, schema, messages)
        base = list(attempt_messages)
        for attempt in range(2):
            resp, rec = self._call(task, attempt_messages, **kwargs)
            records.append(rec)
            if resp is None:
                return None, records
            content = structured.content_of(resp)
            try:
                return structured.parse(schema, content), records
            except (ValidationError, ValueError) as exc:
                rec.ok = False
                rec.error = f"invalid {schema.__name__}: {str(exc)[:300]}"
                if attempt == 0:
                    attempt_messages = structured.repair_messages(base, content, schema, exc)
        return None, records

    def text(self, task: str, messages: list[dict],
             on_token: Callable[[str], None] | None = None) -> tuple[str | None, list[CallRecord]]:
        """Plain text from the model, streamed token by token to `on_token` where the model streams."""
        if on_token is None or is_offline(self.choice.model):
            resp, rec = self._call(task, messages)
            if resp is None:
                return None, [rec]
            return (resp.choices[0].message.content or "").strip() or None, [rec]
        with tracing.generation(task, self.choice.model, messages, temperature=self.settings.temperature) as gen:
            text, records = self._stream(task, messages, on_token)
            gen.record(records[0], text)
        return text, records

    def _stream(self, task: str, messages: list[dict],
                on_token: Callable[[str], None]) -> tuple[str | None, list[CallRecord]]:
        start = time.perf_counter()
        try:
            router = self._get_router()  # first: it waits for litellm's import to complete
        except Exception as exc:  # noqa: BLE001 - reported as a failed call
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=describe(exc))]
        import litellm

        deployment, note = self._deployment()
        if deployment is None:
            return None, [self._over_budget(task)]
        redactor = self._redactor(deployment)
        sent = redactor.redact_messages(messages) if redactor else messages
        emit: Callable[[str], None] = RestoringStream(redactor, on_token) if redactor else on_token
        chunks, parts = [], []
        try:
            for chunk in router.completion(model=deployment, messages=sent, temperature=self.settings.temperature,
                                           stream=True, stream_options={"include_usage": True}):
                chunks.append(chunk)
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    parts.append(delta)
                    emit(delta)
        except Exception as exc:  # noqa: BLE001 - any provider failure becomes a record
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=describe(exc),
                                     latency_ms=(time.perf_counter() - start) * 1000)]
        if isinstance(emit, RestoringStream):
            emit.flush()
        try:
            rec = self._record(task, litellm.stream_chunk_builder(chunks, messages=sent), start)
        except Exception:  # noqa: BLE001 - usage is a nicety; the text arrived
            rec = CallRecord(task=task, model=self.choice.model, latency_ms=(time.perf_counter() - start) * 1000)
        rec.note = note
        budget.add(rec.cost_usd)
        text = "".join(parts).strip() or None
        return (redactor.restore(text) if redactor else text), [rec]


def _restore(resp: Any, redactor: Redactor) -> None:
    """Map redaction placeholders in a response back to the values (content and tool calls)."""
    for choice in getattr(resp, "choices", []) or []:
        msg = getattr(choice, "message", None)
        if msg is None:
            continue
        if isinstance(msg.content, str):
            msg.content = redactor.restore(msg.content)
        for call in getattr(msg, "tool_calls", None) or []:
            call.function.arguments = redactor.restore(call.function.arguments)


def _cost(resp: Any, model: str) -> float:
    """USD cost of a response: what litellm already computed for it (its hidden params), else its
    cost map; 0 for the offline engine and unknown prices."""
    if is_offline(model) or is_offline(str(getattr(resp, "model", ""))):
        return 0.0
    hidden = getattr(resp, "_hidden_params", None) or {}
    if hidden.get("response_cost") is not None:
        return float(hidden["response_cost"])
    import litellm

    try:
        return float(litellm.completion_cost(completion_response=resp) or 0.0)
    except Exception:  # noqa: BLE001 - e.g. a local model with no price: cost unknown, not an error
        return 0.0


def _content(resp: Any) -> str | None:
    """The text of a response, for the trace (None when there is none)."""
    try:
        return resp.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None


def describe(exc: BaseException) -> str:
    """A one-line description of a failure for a call record: 'RateLimitError: ...'."""
    name = type(exc).__name__
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{name}: {msg}"
