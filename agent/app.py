"""The composition root: settings → gateway (with the offline engine registered) → services →
interviews. Every face and the evaluation build their objects here, and nowhere else.

    app = App(load_settings())
    with app.open_session("acme") as interview:      # the session's SQLite checkpointer
        interview.start(); interview.reply("We call OpenAI directly.")
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from agent.common.config import Settings
from agent.common.providers import OFFLINE_PROVIDER, is_offline
from agent.core.rubric import Rubric, load_rubric
from agent.core.transitions import load_transitions
from agent.gateway.models import ModelChoice
from agent.gateway.router import CustomProvider, Gateway
from agent.interview.context import Services
from agent.interview.session import Interview
from agent.interview.store import SessionLock, open_checkpointer, read_values
from agent.reporting.context import ReportingContext
from agent.retrieval.retriever import Retriever, shared_retriever


def _offline_handler() -> Any:
    # Imported only when litellm has loaded (the gateway calls this from its router set-up):
    # the engine's module imports litellm, which takes seconds.
    from agent.offline.provider import OfflineEngine

    return OfflineEngine()


def _offline_preload() -> None:
    from agent.offline.provider import preload

    preload()


OFFLINE_ENGINE = CustomProvider(prefix=OFFLINE_PROVIDER, handler=_offline_handler, preload=_offline_preload)


def build_gateway(settings: Settings, choice: ModelChoice | None = None,
                  providers: Sequence[CustomProvider] = ()) -> Gateway:
    """The model gateway for these settings, with the offline engine (and any `providers`) registered."""
    return Gateway(settings, choice, providers=(OFFLINE_ENGINE, *providers))


class App:
    """Everything the faces need, built once per process from the settings."""

    def __init__(self, settings: Settings, *, gateway: Gateway | None = None, rubric: Rubric | None = None) -> None:
        self.settings = settings
        self.rubric = rubric or load_rubric()
        self.transitions = load_transitions()
        self.gateway = gateway or build_gateway(settings)
        self._index_warm_up: threading.Thread | None = None

    @property
    def model(self) -> str:
        """The model the sessions run on (the offline engine when no key is set and config allows)."""
        return self.gateway.model

    def retriever(self) -> Retriever:
        """The process's retrieval index for these settings (opened on first use)."""
        return shared_retriever(self.settings)

    def reporting(self) -> ReportingContext:
        """What advice and follow-up answers need, outside an interview (`aiops-assess ask`)."""
        return ReportingContext(rubric=self.rubric, transitions=self.transitions, gateway=self.gateway,
                                retriever=self.retriever, top_k=self.settings.retrieval.top_k)

    def services(self, session: str, *, organization: str | None = None, stream_tokens: bool = False) -> Services:
        """The run context of one session's graph."""
        # The offline engine answers in one piece: asking LangGraph for a token stream would only
        # move the nodes onto its worker threads (measured: ~10 % fewer web turns per second).
        streams = stream_tokens and not is_offline(self.gateway.model)
        return Services(rubric=self.rubric, transitions=self.transitions, gateway=self.gateway,
                        retriever=self.retriever, top_k=self.settings.retrieval.top_k, settings=self.settings,
                        session=session, organization=organization, stream_tokens=streams)

    def interview(self, session: str, checkpointer: Any, *, organization: str | None = None,
                  stream_tokens: bool = False) -> Interview:
        """The session driven on `checkpointer` (in-memory in tests and simulations)."""
        return Interview(self.services(session, organization=organization, stream_tokens=stream_tokens), checkpointer)

    @contextmanager
    def open_session(self, name: str, *, organization: str | None = None, stream_tokens: bool = False,
                     exclusive: bool = False) -> Iterator[Interview]:
        """The named session on its SQLite checkpointer (created on first use). Every turn holds the
        session's lock; `exclusive` holds it from opening to closing (a terminal: a second window
        on the same session is refused at once, with SessionBusy)."""
        lock = SessionLock(self.settings.sessions_dir, name)
        with contextlib.ExitStack() as stack:
            if exclusive:  # a turn answered elsewhere (a web worker) ends within seconds: wait for that
                stack.enter_context(lock.hold(wait=min(2.0, self.settings.session_wait_seconds)))
            saver = stack.enter_context(open_checkpointer(self.settings.sessions_dir, name))
            iv = self.interview(name, saver, organization=organization, stream_tokens=stream_tokens)
            iv.lock = lock
            yield iv

    def read_session(self, name: str) -> dict:
        """A saved session's state, read-only (SessionError if there is none)."""
        return read_values(self.settings.sessions_dir, name)

    def warm_up(self, index: bool = True) -> None:
        """Import litellm and (with `index`) open the retrieval index in the background, so the
        first turns are quick; a failure surfaces, as a message, where it is used."""
        self.gateway.warm_up()
        if index and self._index_warm_up is None:
            def run() -> None:
                # A failure is reported, as a message, by the step that needs the index.
                with contextlib.suppress(Exception):
                    self.retriever().open()

            self._index_warm_up = threading.Thread(target=run, daemon=True, name="index-warm-up")
            self._index_warm_up.start()
            atexit.register(self.finish_warm_up)

    def finish_warm_up(self, timeout: float = 60.0) -> None:
        """Wait for the index warm-up before the process exits: a daemon thread stopped by the
        interpreter's shutdown inside Chroma's native code can hang the exit."""
        if self._index_warm_up is not None:
            self._index_warm_up.join(timeout)
