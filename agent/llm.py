"""The LiteLLM gateway: the only way the agent calls a model.

A `litellm.Router` built from config (primary model, fallbacks, retries, timeout, and the offline
engine as last resort when config allows) serves every call. Structured output is requested with
`response_format=<pydantic model>`, validated, retried once with the validation error, and
otherwise reported as failed so the caller can degrade gracefully. Every call yields a
`CallRecord` (model, tokens, cost, latency) for the interview state, and a Langfuse generation
when tracing is on (agent.tracing).

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

from agent import tracing
from agent.config import OFFLINE_MODEL, Settings
from agent.models import ModelChoice, choose_model, is_known_provider

# Without this, importing litellm tries to download its cost map (and retries in a thread).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

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
            model_list.append({"model_name": f"m{i}", "litellm_params": params})
        fallbacks = [{"m0": [f"m{i}" for i in range(1, len(names))]}] if len(names) > 1 else []
        return Router(model_list=model_list, fallbacks=fallbacks, num_retries=self.settings.num_retries,
                      timeout=self.settings.timeout_seconds)

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
        try:
            router = self._get_router()
            resp = router.completion(model="m0", messages=messages, temperature=self.settings.temperature, **kwargs)
        except Exception as exc:  # any provider failure becomes a record, never a crash
            rec = CallRecord(task=task, model=self.choice.model, ok=False,
                             latency_ms=(time.perf_counter() - start) * 1000, error=_describe(exc))
            return None, rec
        return resp, self._record(task, resp, start)

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
        attempt_messages = list(messages)
        for attempt in range(2):
            resp, rec = self._call(task, attempt_messages, response_format=_response_format(schema))
            records.append(rec)
            if resp is None:
                return None, records
            content = resp.choices[0].message.content or ""
            try:
                return _parse(schema, content), records
            except (ValidationError, json.JSONDecodeError, ValueError) as exc:
                rec.ok = False
                rec.error = f"invalid {schema.__name__}: {str(exc)[:300]}"
                if attempt == 0:
                    attempt_messages = [*messages, {"role": "assistant", "content": content},
                                        {"role": "user", "content": f"That was not valid {schema.__name__} JSON: "
                                         f"{str(exc)[:500]}\nReturn only the corrected JSON object."}]
        return None, records

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

        chunks, parts = [], []
        try:
            for chunk in router.completion(model="m0", messages=messages, temperature=self.settings.temperature,
                                           stream=True, stream_options={"include_usage": True}):
                chunks.append(chunk)
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    parts.append(delta)
                    on_token(delta)
        except Exception as exc:
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=_describe(exc),
                                     latency_ms=(time.perf_counter() - start) * 1000)]
        try:
            rec = self._record(task, litellm.stream_chunk_builder(chunks, messages=messages), start)
        except Exception:
            rec = CallRecord(task=task, model=self.choice.model, latency_ms=(time.perf_counter() - start) * 1000)
        return "".join(parts).strip() or None, [rec]


@functools.lru_cache(maxsize=16)
def _response_format(schema: type[BaseModel]) -> dict:
    """The JSON-schema response_format litellm derives from a pydantic model, computed once
    (litellm would rebuild it on every call, a few ms each)."""
    from litellm.llms.base_llm.base_utils import type_to_response_format_param

    return type_to_response_format_param(schema)


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
