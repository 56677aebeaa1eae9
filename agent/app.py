"""The composition root: settings → gateway (with the offline engine registered) → services →
interviews. Every face and the evaluation build their objects here, and nowhere else.

    app = App(load_settings())
    with app.open_session("acme") as interview:      # the session's SQLite checkpointer
        interview.start(); interview.reply("We call OpenAI directly.")
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agent.common.config import Settings
from agent.common.hints import command
from agent.common.providers import OFFLINE_PROVIDER, is_offline
from agent.core.attachment import Attachment, in_scope, scope_of
from agent.core.rubric import Rubric, load_rubric
from agent.core.transitions import load_transitions
from agent.gateway.models import ModelChoice
from agent.gateway.router import CustomProvider, Gateway
from agent.interview.backends import Sessions, session_store
from agent.interview.context import Services
from agent.interview.session import Interview
from agent.reporting.context import ReportingContext
from agent.retrieval.retriever import Retriever, shared_retriever

if TYPE_CHECKING:
    from agent.storage.organizations import OrgStore

log = logging.getLogger(__name__)


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
        self._org_store: OrgStore | None = None
        self._sessions: Sessions | None = None

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

    @property
    def sessions(self) -> Sessions:
        """Where sessions live (SQLite files, or Postgres with storage.url); opened on first use."""
        if self._sessions is None:
            self._sessions = session_store(self.settings)
        return self._sessions

    def org_store(self) -> OrgStore:
        """The organization store (opened, and migrated, on first use)."""
        if self._org_store is None:
            from agent.storage.organizations import OrgStore

            self._org_store = OrgStore(self.settings.storage_url)
        return self._org_store

    def attach(self, session: str, attachment: Attachment) -> dict:
        """Attach a session to an organization's round (created on first use; StorageError when the
        session belongs to another round); the attachment as the session's state keeps it."""
        p = self.org_store().attach(session, attachment.organization, attachment.round,
                                    respondent=attachment.respondent, role=attachment.role, scope=attachment.scope)
        return {"organization": p.organization_name, "slug": p.organization, "round": p.round,
                "respondent": p.respondent, "role": p.role, "scope": p.scope}

    def record_answers(self, session: str, state: dict) -> str | None:
        """Copy a session's answers to the organization store; the problem to tell the user when
        that failed (the session itself is saved either way)."""
        from agent.storage.database import StorageError

        # A respondent asked about some dimensions only is asked to confirm nothing else: a passing
        # remark about another dimension is left to the colleagues who answer for it.
        asked = set(in_scope(self.rubric, scope_of(state)))
        answers = {q: a for q, a in state.get("answers", {}).items() if q in asked}
        try:
            self.org_store().record(session, str(state.get("phase", "interview")), answers)
        except StorageError as exc:
            log.warning("Session %s: answers not copied to the organization store: %s", session, exc)
            return (f"Your answers are saved in the session, but the organization's round was not updated "
                    f"({exc}) It is updated after your next reply, or with: "
                    f"{command('org sync --session ' + session)}")
        return None

    def services(self, session: str, *, organization: str | None = None, attachment: dict | None = None,
                 stream_tokens: bool = False) -> Services:
        """The run context of one session's graph."""
        # The offline engine answers in one piece: asking LangGraph for a token stream would only
        # move the nodes onto its worker threads (measured: ~10 % fewer web turns per second).
        streams = stream_tokens and not is_offline(self.gateway.model)
        return Services(rubric=self.rubric, transitions=self.transitions, gateway=self.gateway,
                        retriever=self.retriever, top_k=self.settings.retrieval.top_k, settings=self.settings,
                        session=session, organization=organization, attachment=attachment,
                        stream_tokens=streams)

    def interview(self, session: str, checkpointer: Any, *, organization: str | None = None,
                  attachment: Attachment | None = None, stream_tokens: bool = False) -> Interview:
        """The session driven on `checkpointer` (in-memory in tests and simulations); with an
        `attachment`, attached to that organization round (its answers copied there after each turn)."""
        attached = self.attach(session, attachment) if attachment else None
        services = self.services(session, organization=organization, attachment=attached, stream_tokens=stream_tokens)
        return Interview(services, checkpointer, recorder=self.record_answers)

    @contextmanager
    def open_session(self, name: str, *, organization: str | None = None, attachment: Attachment | None = None,
                     stream_tokens: bool = False, exclusive: bool = False) -> Iterator[Interview]:
        """The named session on its SQLite checkpointer (created on first use). Every turn holds the
        session's lock; `exclusive` holds it from opening to closing (a terminal: a second window
        on the same session is refused at once, with SessionBusy). An `attachment` applies to a new
        session (a started one keeps the round it was started in)."""
        lock = self.sessions.lock(name)
        with contextlib.ExitStack() as stack:
            if exclusive:  # a turn answered elsewhere (a web worker) ends within seconds: wait for that
                stack.enter_context(lock.hold(wait=min(2.0, self.settings.session_wait_seconds)))
            saver = stack.enter_context(self.sessions.checkpointer(name))
            iv = self.interview(name, saver, organization=organization, attachment=attachment,
                                stream_tokens=stream_tokens)
            iv.lock = lock
            yield iv

    def read_session(self, name: str) -> dict:
        """A saved session's state, read-only (SessionError if there is none)."""
        return self.sessions.read_values(name)

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
