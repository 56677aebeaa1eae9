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
from agent.common.providers import DEFAULT_MODELS, OFFLINE_MODEL, OLLAMA, is_known_provider, is_offline, provider_of
from agent.core.calls import CallRecord
from agent.gateway import budget, deadline, responses, structured
from agent.gateway.chain import RETRY_BACKOFF_SECONDS, ModelChain
from agent.gateway.deployments import deployments, structured_hint
from agent.gateway.failures import EmptyResponse, ModelFailure, ReplyTimeLimit, UnreadableAnswer, classify
from agent.gateway.models import ModelChoice, choose_model
from agent.gateway.streaming import ProseOnly, RestoringStream
from agent.observability import tracing

# Without this, importing litellm tries to download its cost map (and retries in a thread).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Likewise litellm fetches its Anthropic beta-header table from GitHub on the first Anthropic call
# that needs a beta header (up to 5 s where GitHub is unreachable); its bundled copy is enough.
os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")

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
        self.structured_mode: structured.Mode = "json_schema"
        self._schema_hint: Callable[[type[BaseModel]], str] | None = None
        self.notice = self.choice.notice
        self.chain = ModelChain(settings)

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
        model_list = deployments(names, self.settings)
        self.chain.entries = [(f"m{i}", m) for i, m in enumerate(names)]
        self.structured_mode = ("json_schema" if is_offline(self.choice.model)
                                else structured.choose_mode(litellm, self.choice.model, self.settings.structured_output))
        if provider_of(self.choice.model) in OLLAMA and self.settings.structured_output == "auto":
            # Ollama (0.5+) constrains its output to a JSON schema given as `format`, which litellm
            # sends for response_format json_schema; its map does not know ollama_chat models, so
            # it would send format "json" without the schema. Small models also follow the schema
            # better when it is in the prompt.
            self.structured_mode = "json_schema"
            self._schema_hint = structured_hint
        # Fallbacks, retries and the choice between them are ours (agent.gateway.failures): the
        # Router's would retry a rejected key and hide which model answered.
        return Router(model_list=model_list, num_retries=0, timeout=self.settings.timeout_seconds)

    @property
    def disabled(self) -> dict[str, ModelFailure]:
        """Models that failed permanently (rejected key, no quota, unknown model): not called again."""
        return self.chain.disabled

    def next_model(self) -> str | None:
        """After a permanent failure that stopped the chain: the model falling back would use."""
        return self.chain.next_model()

    def allow_fallback(self) -> None:
        """Go on to the next model after a permanent failure (the user agreed to, or the face
        has nobody to ask and says so instead)."""
        self.chain.fallback_on_permanent = True

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
                    f"{DEFAULT_MODELS['openai']} or {DEFAULT_MODELS['anthropic']} (set AIOPS_MODEL; "
                    "`aiops-assess doctor` checks the set-up)."
                ) from exc
            self.notice = (f"LiteLLM does not know the model '{self.choice.model}'; using the offline engine "
                           f"({OFFLINE_MODEL}). Set AIOPS_MODEL to a valid LiteLLM model string.")
            self.choice = ModelChoice(model=OFFLINE_MODEL, fallbacks=[])

    # -- calls ------------------------------------------------------------------------------
    def _plan(self) -> tuple[list[tuple[str, str]] | None, ModelFailure | None, str | None]:
        """(the deployments to try, the failure that disabled the first choice if any, a note);
        no deployments (None) when the budget is used up and the offline engine is not allowed."""
        candidates, note = self.chain.candidates(is_offline(self.choice.model) or budget.allowed(self.settings.budget_usd))
        if not candidates:
            return None, None, note
        usable, why = self.chain.usable(candidates)
        return usable, why, note

    def _complete(self, task: str, messages: list[dict], skip: dict[str, ModelFailure] | None = None,
                  **kwargs: Any) -> tuple[Any, list[CallRecord]]:
        """One call through the chain: transient failures are retried, then the next model tried;
        a permanent failure disables its model. Every attempt is a CallRecord; the one that
        answered names the model that did and, if it was not the first choice, why. Models in
        `skip` (e.g. whose answer to this call could not be read) are passed over."""
        router = self._get_router()  # first: it builds the chain
        usable, why, note = self._plan()
        if usable is None:
            return None, [self._over_budget(task)]
        records: list[CallRecord] = []
        for dep, model in usable:
            if self.chain.stops_after(why):
                break
            if skip and model in skip:
                why = skip[model]
                continue
            redactor = self._redactor(model)
            sent = redactor.redact_messages(messages) if redactor else messages
            for attempt in range(self.chain.tries(model)):
                start = time.perf_counter()
                try:
                    timeout = self._time_left(model)
                    resp = router.completion(model=dep, messages=sent, temperature=self.settings.temperature,
                                             timeout=timeout, **structured.for_provider(provider_of(model), kwargs))
                    if not getattr(resp, "choices", None):
                        raise EmptyResponse("no choices in the response")
                except Exception as exc:  # noqa: BLE001 - any provider failure becomes a record, never a crash
                    failure = why = self.chain.failed(exc, model)
                    records.append(self.chain.failure_record(task, model, exc, failure, start))
                    if failure.permanent or failure.kind == "time_limit" or attempt + 1 >= self.chain.tries(model):
                        break
                    self._backoff(attempt)
                    continue
                self.chain.answered(model)
                if redactor is not None and redactor.count:
                    responses.restore(resp, redactor)
                rec = self._record(task, model, resp, start)
                rec.note = note
                self.chain.mark(rec, why)
                budget.add(rec.cost_usd)
                records.append(rec)
                return resp, records
        return None, records or [self.chain.stopped(task)]

    def _time_left(self, model: str) -> float:
        """The timeout for the next attempt: the model's own, cut to what is left of the reply's
        window; ReplyTimeLimit when nothing is left (the offline engine is always allowed)."""
        own = self.chain.timeout(model)
        left = deadline.remaining()
        if left is None or is_offline(model) or self.chain.first_load(model):  # a first load may take minutes
            return own
        if left <= 0.5:
            raise ReplyTimeLimit(f"{deadline.limit():g} s")
        return min(own, left)

    def _backoff(self, attempt: int) -> None:
        left = deadline.remaining()
        if left is None or left > RETRY_BACKOFF_SECONDS * (2 ** attempt):
            self.chain.backoff(attempt)

    def _call(self, task: str, messages: list[dict], skip: dict[str, ModelFailure] | None = None,
              **kwargs: Any) -> tuple[Any, list[CallRecord]]:
        with tracing.generation(task, self.choice.model, messages, temperature=self.settings.temperature) as gen:
            resp, recs = self._complete(task, messages, skip=skip, **kwargs)
            gen.record(recs[-1], responses.content(resp))
        return resp, recs

    def _over_budget(self, task: str) -> CallRecord:
        return CallRecord(task=task, model=self.choice.model, ok=False, note="budget_exceeded",
                          error=budget.exceeded_message(self.settings.budget_usd or 0.0, offline=False))

    def _redactor(self, model: str) -> Redactor | None:
        """A fresh redactor for a call that leaves the machine (not for the offline engine)."""
        if not self.settings.redact_pii or is_offline(model):
            return None
        return Redactor()

    def _record(self, task: str, model: str, resp: Any, start: float) -> CallRecord:
        usage = getattr(resp, "usage", None)
        return CallRecord(
            task=task,
            model=model,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=responses.cost(resp, model),
            latency_ms=(time.perf_counter() - start) * 1000,
        )

    def structured(self, task: str, messages: list[dict], schema: type[T]) -> tuple[T | None, list[CallRecord]]:
        """Ask for `schema` as JSON; validate; retry once with the error; None if it still fails."""
        try:
            self._get_router()  # litellm must finish importing (maybe in warm-up) before we touch it
        except Exception as exc:  # noqa: BLE001 - reported as a failed call
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=responses.describe(exc))]
        records: list[CallRecord] = []
        kwargs, attempt_messages = structured.request(self.structured_mode, schema, messages)
        if self._schema_hint:
            attempt_messages = structured.with_system_hint(attempt_messages, self._schema_hint(schema))
        base = list(attempt_messages)
        unreadable: dict[str, ModelFailure] = {}
        for attempt in range(3):
            resp, recs = self._call(task, attempt_messages, skip=unreadable, **kwargs)
            records.extend(recs)
            if resp is None:
                return None, records
            content = structured.content_of(resp)
            try:
                value, dropped = structured.parse_lenient(schema, content)
                records[-1].dropped = dropped
                return value, records
            except (ValidationError, ValueError) as exc:
                rec = records[-1]
                rec.ok = False
                rec.error = f"invalid {schema.__name__}: {str(exc)[:300]}"
                if attempt == 0:  # once more, with the error: most models fix it
                    attempt_messages = structured.repair_messages(base, content, schema, exc)
                    continue
                # Twice unreadable: the reply goes to the next model in the chain (announced as a
                # fallback), rather than being lost.
                unreadable[rec.model] = classify(UnreadableAnswer(f"invalid {schema.__name__} twice"), rec.model)
                rec.failure, rec.failure_summary = unreadable[rec.model].message, unreadable[rec.model].what
                if not self._has_model_besides(unreadable):
                    break
                attempt_messages = base
        return None, records

    def _has_model_besides(self, skip: dict[str, ModelFailure]) -> bool:
        usable, why, _ = self._plan()
        return bool(usable) and not self.chain.stops_after(why) and any(m not in skip for _, m in usable or [])

    def text(self, task: str, messages: list[dict],
             on_token: Callable[[str], None] | None = None) -> tuple[str | None, list[CallRecord]]:
        """Plain text from the model, streamed token by token to `on_token` where the model streams."""
        if on_token is None or is_offline(self.choice.model):
            resp, recs = self._call(task, messages)
            if resp is None:
                return None, recs
            said = (responses.content(resp) or "").strip()
            if structured.looks_like_data(said):  # data, not words: the next model words it
                skip = {recs[-1].model: self._not_prose(recs)}
                if not self._has_model_besides(skip):
                    return None, recs
                resp, more = self._call(task, messages, skip=skip)
                recs = [*recs, *more]
                said = (responses.content(resp) or "").strip() if resp is not None else ""
                if structured.looks_like_data(said):
                    self._not_prose(recs)
                    return None, recs
            return said or None, recs
        with tracing.generation(task, self.choice.model, messages, temperature=self.settings.temperature) as gen:
            text, records = self._stream(task, messages, on_token)
            gen.record(records[-1], text)
        return text, records

    @staticmethod
    def _not_prose(records: list[CallRecord]) -> ModelFailure:
        """Mark the last call as failed: asked for words, it answered with data (JSON), which must
        not be shown as the interviewer's message."""
        rec = records[-1]
        failure = classify(UnreadableAnswer("JSON instead of text"), rec.model)
        rec.ok, rec.error, rec.failure, rec.failure_summary = False, "answered with JSON instead of text", \
            failure.message, failure.what
        return failure

    def _stream(self, task: str, messages: list[dict],
                on_token: Callable[[str], None]) -> tuple[str | None, list[CallRecord]]:
        try:
            router = self._get_router()  # first: it waits for litellm's import to complete
        except Exception as exc:  # noqa: BLE001 - reported as a failed call
            return None, [CallRecord(task=task, model=self.choice.model, ok=False, error=responses.describe(exc))]
        import litellm

        usable, why, note = self._plan()
        if usable is None:
            return None, [self._over_budget(task)]
        records: list[CallRecord] = []
        for dep, model in usable:
            if self.chain.stops_after(why):
                break
            start = time.perf_counter()
            redactor = self._redactor(model)
            sent = redactor.redact_messages(messages) if redactor else messages
            restoring = RestoringStream(redactor, on_token) if redactor else None
            emit = ProseOnly(restoring or on_token)
            chunks, parts = [], []
            try:
                if is_offline(model):  # the engine answers at once: one piece, no stream to read
                    resp = router.completion(model=dep, messages=sent, temperature=self.settings.temperature)
                    whole = responses.content(resp) or ""
                    rec = self._record(task, model, resp, start)
                    self.chain.mark(rec, why)
                    records.append(rec)
                    if structured.looks_like_data(whole):
                        self._not_prose(records)
                        return None, records
                    on_token(whole)
                    return whole.strip() or None, records
                for chunk in router.completion(model=dep, messages=sent, temperature=self.settings.temperature,
                                               timeout=self._time_left(model), stream=True,
                                               stream_options={"include_usage": True}):
                    chunks.append(chunk)
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    if delta:
                        parts.append(delta)
                        emit(delta)
            except Exception as exc:  # noqa: BLE001 - any provider failure becomes a record
                why = self.chain.failed(exc, model)
                records.append(self.chain.failure_record(task, model, exc, why, start))
                if parts:  # half a message is on the screen: no second one after it
                    return None, records
                continue
            self.chain.answered(model)
            is_data = structured.looks_like_data("".join(parts))
            emit.finish(is_data)
            if restoring is not None:
                restoring.flush()
            try:
                rec = self._record(task, model, litellm.stream_chunk_builder(chunks, messages=sent), start)
            except Exception:  # noqa: BLE001 - usage is a nicety; the text arrived
                rec = CallRecord(task=task, model=model, latency_ms=(time.perf_counter() - start) * 1000)
            rec.note = note
            self.chain.mark(rec, why)
            budget.add(rec.cost_usd)
            records.append(rec)
            if is_data:  # nothing was shown: the next model words it
                why = self._not_prose(records)
                continue
            text = "".join(parts).strip() or None
            return (redactor.restore(text) if redactor else text), records
        return None, records or [self.chain.stopped(task)]
