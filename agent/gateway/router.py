"""The LiteLLM gateway: the only way the agent calls a model.

A `litellm.Router` built from config (primary model, fallbacks — also for context-window errors —
retries, timeout, and the offline engine as last resort when config allows) serves every call.
Structured output is requested the way the model supports (JSON schema, else tool calling, else
JSON mode with the schema in the prompt), validated, retried once with the validation error, and
otherwise reported as failed so the caller can degrade gracefully. Before text leaves for a
provider, personal data and secrets are replaced by placeholders and put back in the reply
(agent.common.privacy); a per-session budget stops paid calls (agent.gateway.budget). Every call yields a
`CallRecord` (model, tokens, cost, latency) for the interview state, and a Langfuse generation
when tracing is on (agent.observability.tracing).

litellm takes seconds to import, so nothing here imports it until the first call (or `warm_up`).
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from agent.gateway import budget
from agent.observability import tracing
from agent.common.config import OFFLINE_MODEL, Settings
from agent.common.redaction import Redactor
from agent.gateway.models import ModelChoice, choose_model, is_known_provider, provider_of

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

__all__ = ["CallRecord", "Gateway", "ModelChoice", "ModelUnavailable", "choose_model"]


class CallRecord(BaseModel):
    """One model call, as kept in the interview state."""

    task: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    ok: bool = True
    error: str | None = None
    note: str | None = None  # e.g. "budget_exceeded": answered by the offline engine instead


class ModelUnavailable(Exception):
    """No configured model could be reached; the message says what to do."""


_JSON_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def _parse(schema: type[T], content: str) -> T:
    text = _JSON_FENCE.sub("", content.strip()).strip()
    return schema.model_validate_json(text)


class Gateway:
    """Routes every model call through one litellm Router built from config."""

    def __init__(self, settings: Settings, choice: ModelChoice | None = None):
        self.settings = settings
        self.choice = choice or choose_model(settings)
        self._router = None
        self._lock = threading.Lock()
        self._warm: threading.Thread | None = None
        self._warm_error: Exception | None = None
        self._offline_deployment: str | None = None
        self.structured_mode = "json_schema"
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
            except Exception as exc:  # surfaced by ready()
                self._warm_error = exc

        self._warm = threading.Thread(target=run, name="litellm-warm-up", daemon=True)
        self._warm.start()
        return self._warm

    def ready(self) -> None:
        """Wait for the router; raises ModelUnavailable if the configured model cannot be used."""
        if self._warm is None:
            self.warm_up()
        self._warm.join()
        if self._warm_error is not None:
            raise self._warm_error

    def _get_router(self):
        with self._lock:
            if self._router is None:
                self._router = self._build_router()
            return self._router

    def _build_router(self):
        import logging

        import litellm
        from litellm import Router

        from agent.offline.provider import preload, register

        litellm.suppress_debug_info = True
        # litellm logs warnings (cost map, unknown prices) to the console the chat is drawn on.
        logging.getLogger("LiteLLM").setLevel(logging.ERROR)
        # Its Router logs every failed fallback as a multi-line ERROR there too; a failed call is a
        # CallRecord (and, when every model failed, one message to the user) instead.
        logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)
        litellm.drop_params = True
        register()
        self._check_model_known(litellm)
        if OFFLINE_MODEL in (self.choice.model, *self.choice.fallbacks):
            preload()
        names = [self.choice.model, *self.choice.fallbacks]
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
            elif provider_of(m) in ("ollama", "ollama_chat"):
                params["num_ctx"] = OLLAMA_NUM_CTX
            model_list.append({"model_name": f"m{i}", "litellm_params": params})
        fallbacks = [{"m0": [f"m{i}" for i in range(1, len(names))]}] if len(names) > 1 else []
        self._offline_deployment = f"m{names.index(OFFLINE_MODEL)}" if OFFLINE_MODEL in names else None
        self.structured_mode = self._choose_structured_mode(litellm)
        return Router(model_list=model_list, fallbacks=fallbacks, context_window_fallbacks=fallbacks,
                      num_retries=self.settings.num_retries, timeout=self.settings.timeout_seconds)

    def _choose_structured_mode(self, litellm) -> str:
        """json_schema, tools or json_mode for the primary model (see Settings.structured_output)."""
        if self.settings.structured_output != "auto":
            return self.settings.structured_output
        model = self.choice.model
        if model == OFFLINE_MODEL:
            return "json_schema"
        try:
            if litellm.supports_response_schema(model=model):
                return "json_schema"
            if litellm.supports_function_calling(model=model):
                return "tools"
        except Exception:  # unknown to litellm's capability map
            pass
        return "json_mode"

    def _check_model_known(self, litellm) -> None:
        try:
            litellm.get_llm_provider(self.choice.model)
        except Exception as exc:  # litellm raises BadRequestError for unknown providers
            if not self.settings.offline_fallback:
                raise ModelUnavailable(
                    f"LiteLLM does not know the model '{self.choice.model}'. Use a string like "
                    f"openai/gpt-4o-mini or anthropic/claude-3-5-haiku-latest (set AIOPS_MODEL)."
                ) from exc
            self.notice = (f"LiteLLM does not know the model '{self.choice.model}'; using the offline engine "
                           f"({OFFLINE_MODEL}). Set AIOPS_MODEL to a valid LiteLLM model string.")
            self.choice = ModelChoice(model=OFFLINE_MODEL, fallbacks=[])

    # -- calls ------------------------------------------------------------------------------
    def _call(self, task: str, messages: list[dict], **kwargs) -> tuple[Any, CallRecord]:
        with tracing.generation(task, self.choice.model, messages, temperature=self.settings.temperature) as gen:
            resp, rec = self._complete(task, messages, **kwargs)
            gen.record(rec, _content(resp))
        return resp, rec

    def _complete(self, task: str, messages: list[dict], **kwargs) -> tuple[Any, CallRecord]:
        start = time.perf_counter()
        deployment, note = self._deployment()
        if deployment is None:
            return None, CallRecord(task=task, model=self.choice.model, ok=False, note="budget_exceeded",
                                    error=budget.exceeded_message(self.settings.budget_usd, offline=False))
        redactor = self._redactor(deployment)
        try:
            router = self._get_router()
            sent = redactor.redact_messages(messages) if redactor else messages
            resp = router.completion(model=deployment, messages=sent, temperature=self.settings.temperature, **kwargs)
        except Exception as exc:  # any provider failure becomes a record, never a crash
            rec = CallRecord(task=task, model=self.choice.model, ok=False,
                             latency_ms=(time.perf_counter() - start) * 1000, error=_describe(exc))
            return None, rec
        if redactor is not None and redactor.count:
            _restore(resp, redactor)
        rec = self._record(task, resp, start)
        rec.note = note
        budget.add(rec.cost_usd)
        return resp, rec

    def _deployment(self) -> tuple[str | None, str | None]:
        """The Router deployment to call: the configured chain, or (budget used up) the offline
        engine if allowed, else None."""
        if self.choice.model == OFFLINE_MODEL or budget.allowed(self.settings.budget_usd):
            return "m0", None
        if self._offline_deployment is not None:
            return self._offline_deployment, "budget_exceeded"
        return None, "budget_exceeded"

    def _redactor(self, deployment: str) -> Redactor | None:
        """A fresh redactor for a call that leaves the machine (not for the offline engine)."""
        if not self.settings.redact_pii or self.choice.model == OFFLINE_MODEL or deployment == self._offline_deployment:
            return None
        return Redactor()

    def _record(self, task: str, resp, start: float) -> CallRecord:
        usage = getattr(resp, "usage", None)
        cost = _cost(resp, self.choice.model)
        return CallRecord(
            task=task,
            model=str(getattr(resp, "model", None) or self.choice.model),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=cost,
            latency_ms=(time.perf_counter() - start) * 1000,
        )

    def structured(self, task: str, messages: list[dict], schema: type[T]) -> tuple[T | None, list[CallRecord]]:
        """Ask for `schema` as JSON; validate; retry once with the error; None if it still fails."""
        try:
            self._get_router()  # litellm must finish importing (maybe in warm-up) before we touch it
        except Exception as exc:
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=_describe(exc))]
        records: list[CallRecord] = []
        kwargs, attempt_messages = self._structured_request(schema, messages)
        base = list(attempt_messages)
        for attempt in range(2):
            resp, rec = self._call(task, attempt_messages, **kwargs)
            records.append(rec)
            if resp is None:
                return None, records
            content = _structured_content(resp)
            try:
                return _parse(schema, content), records
            except (ValidationError, json.JSONDecodeError, ValueError) as exc:
                rec.ok = False
                rec.error = f"invalid {schema.__name__}: {str(exc)[:300]}"
                if attempt == 0:
                    attempt_messages = [*base, {"role": "assistant", "content": content},
                                        {"role": "user", "content": f"That was not valid {schema.__name__} JSON: "
                                         f"{str(exc)[:500]}\nReturn only the corrected JSON object."}]
        return None, records

    def _structured_request(self, schema: type[T], messages: list[dict]) -> tuple[dict, list[dict]]:
        """Call arguments and messages for structured output in this gateway's mode."""
        if self.structured_mode == "json_schema":
            return {"response_format": _response_format(schema)}, list(messages)
        spec = _response_format(schema)["json_schema"]
        hint = (f"Reply with a single JSON object that validates against this JSON schema "
                f"({schema.__name__}):\n{json.dumps(spec['schema'])}")
        with_hint = _with_system_hint(messages, hint)
        if self.structured_mode == "tools":
            tool = {"type": "function", "function": {"name": spec["name"], "description": schema.__doc__ or spec["name"],
                                                      "parameters": spec["schema"]}}
            return {"tools": [tool], "tool_choice": {"type": "function", "function": {"name": spec["name"]}}}, with_hint
        return {"response_format": {"type": "json_object"}}, with_hint

    def text(self, task: str, messages: list[dict],
             on_token: Callable[[str], None] | None = None) -> tuple[str | None, list[CallRecord]]:
        """Plain text from the model, streamed token by token to `on_token` where the model streams."""
        if on_token is None or self.choice.model == OFFLINE_MODEL:
            resp, rec = self._call(task, messages)
            if resp is None:
                return None, [rec]
            return (resp.choices[0].message.content or "").strip() or None, [rec]
        return self._stream(task, messages, on_token)

    def _stream(self, task: str, messages: list[dict], on_token: Callable[[str], None]):
        with tracing.generation(task, self.choice.model, messages, temperature=self.settings.temperature) as gen:
            text, records = self._stream_tokens(task, messages, on_token)
            gen.record(records[0], text)
        return text, records

    def _stream_tokens(self, task: str, messages: list[dict], on_token: Callable[[str], None]):
        start = time.perf_counter()
        try:
            router = self._get_router()  # first: it waits for litellm's import to complete
        except Exception as exc:
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=_describe(exc))]
        import litellm

        deployment, note = self._deployment()
        if deployment is None:
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, note="budget_exceeded",
                                     error=budget.exceeded_message(self.settings.budget_usd, offline=False))]
        redactor = self._redactor(deployment)
        sent = redactor.redact_messages(messages) if redactor else messages
        emit = _RestoringStream(redactor, on_token) if redactor else on_token
        chunks, parts = [], []
        try:
            for chunk in router.completion(model=deployment, messages=sent, temperature=self.settings.temperature,
                                           stream=True, stream_options={"include_usage": True}):
                chunks.append(chunk)
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    parts.append(delta)
                    emit(delta)
        except Exception as exc:
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=_describe(exc),
                                     latency_ms=(time.perf_counter() - start) * 1000)]
        if isinstance(emit, _RestoringStream):
            emit.flush()
        try:
            rec = self._record(task, litellm.stream_chunk_builder(chunks, messages=sent), start)
        except Exception:
            rec = CallRecord(task=task, model=self.choice.model, latency_ms=(time.perf_counter() - start) * 1000)
        rec.note = note
        budget.add(rec.cost_usd)
        text = "".join(parts).strip() or None
        return (redactor.restore(text) if redactor else text), [rec]


class _RestoringStream:
    """Passes streamed tokens on with redaction placeholders mapped back; a token that may be the
    start of a placeholder ("[EM") is held until the placeholder is complete."""

    def __init__(self, redactor: Redactor, on_token: Callable[[str], None]) -> None:
        self.redactor, self.on_token, self.pending = redactor, on_token, ""

    def __call__(self, token: str) -> None:
        self.pending += token
        cut = self.pending.rfind("[")
        if cut != -1 and "]" not in self.pending[cut:] and len(self.pending) - cut <= 16:
            ready, self.pending = self.pending[:cut], self.pending[cut:]
        else:
            ready, self.pending = self.pending, ""
        if ready:
            self.on_token(self.redactor.restore(ready))

    def flush(self) -> None:
        if self.pending:
            self.on_token(self.redactor.restore(self.pending))
            self.pending = ""


def _with_system_hint(messages: list[dict], hint: str) -> list[dict]:
    """Messages with `hint` appended to the system message (or a system message added)."""
    out = [dict(m) for m in messages]
    for m in out:
        if m.get("role") == "system" and isinstance(m.get("content"), str):
            m["content"] = f"{m['content']}\n\n{hint}"
            return out
    return [{"role": "system", "content": hint}, *out]


def _structured_content(resp) -> str:
    """The JSON a structured call returned: a tool call's arguments, else the message content."""
    msg = resp.choices[0].message
    calls = getattr(msg, "tool_calls", None) or []
    if calls:
        return calls[0].function.arguments or ""
    return msg.content or ""


def _restore(resp, redactor: Redactor) -> None:
    """Map redaction placeholders in a response back to the values (content and tool calls)."""
    for choice in getattr(resp, "choices", []) or []:
        msg = getattr(choice, "message", None)
        if msg is None:
            continue
        if isinstance(msg.content, str):
            msg.content = redactor.restore(msg.content)
        for call in getattr(msg, "tool_calls", None) or []:
            call.function.arguments = redactor.restore(call.function.arguments)


@functools.lru_cache(maxsize=16)
def _response_format(schema: type[BaseModel]) -> dict:
    """The JSON-schema response_format litellm derives from a pydantic model, computed once
    (litellm would rebuild it on every call, a few ms each), made acceptable to OpenAI's strict
    mode (litellm sends `strict: true`)."""
    from litellm.llms.base_llm.base_utils import type_to_response_format_param

    rf = type_to_response_format_param(schema)
    rf["json_schema"]["schema"] = _strict_compatible(rf["json_schema"]["schema"])
    return rf


# Keywords OpenAI's strict structured outputs refuse with a 400 ("In context=('properties',
# 'is_correction'), 'default' is not permitted"). Every field is required in strict mode anyway,
# and the pydantic model still enforces the length limits when the answer is validated.
_STRICT_UNSUPPORTED = frozenset({"default", "minLength", "maxLength"})


def _strict_compatible(node, names: bool = False):
    """A JSON schema without the keywords strict mode refuses (`names`: a map of property or
    definition names, whose keys are kept whatever they are)."""
    if isinstance(node, dict):
        return {k: _strict_compatible(v, names=not names and k in ("properties", "$defs", "definitions"))
                for k, v in node.items() if names or k not in _STRICT_UNSUPPORTED}
    if isinstance(node, list):
        return [_strict_compatible(v) for v in node]
    return node


def _cost(resp, model: str) -> float:
    """USD cost of a response from LiteLLM's cost map; 0 for the offline engine and unknown prices."""
    import litellm

    if model == OFFLINE_MODEL or str(getattr(resp, "model", "")).startswith("offline"):
        return 0.0
    try:
        return float(litellm.completion_cost(completion_response=resp) or 0.0)
    except Exception:  # e.g. a local model with no price: cost unknown, not an error
        return 0.0


def _content(resp) -> str | None:
    """The text of a response, for the trace (None when there is none)."""
    try:
        return resp.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None


def _describe(exc: Exception) -> str:
    name = type(exc).__name__
    msg = str(exc).splitlines()[0][:300] if str(exc) else ""
    return f"{name}: {msg}"
