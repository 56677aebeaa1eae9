"""The browser face: `aiops-assess web`, a Gradio Blocks chat page; here its event handlers (its
layout and which event calls which handler: agent.faces.web.layout).

Like the terminal, it only drives the compiled graph through agent.interview.session.Interview on the
session's checkpointer (agent.faces.web.pool); what the page shows is rendered from the session's
state by agent.faces.web.view. A turn is one event: the browser shows the reply at once, the server
sends the answer (streamed when the model streams) and, with its last update, the panels. Every browser tab gets its own session name (web-<random>),
carried in the page's link (?session=NAME) so a reload or a bookmark resumes it. With an
Organization filled in on the start screen (or by an invite link), the session joins that
organization's round; the Organization tab (agent.faces.web.org_tab; its start fields: start_screen) shows the rounds.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio summarises its last 10,000 events (a pandas DataFrame, grouped) after every event by
# default, for the API page's timings: per event that grows to ~10 ms of CPU on a busy server.
# Every 200th event keeps those timings current at a negligible share.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "200")

import gradio as gr

from agent.app import App
from agent.common.hints import command
from agent.common.safe_text import md_safe
from agent.core.attachment import Attachment, scope_of
from agent.faces.chat_commands import HELP_COMMANDS, LOCAL, help_text
from agent.faces.web import layout, owners, start_screen, view
from agent.faces.web.org_tab import OrgTab
from agent.faces.web.pool import SessionPool, new_session_name
from agent.faces.web.start_screen import START_FIELDS, StartProblem, StartScreen
from agent.interview.store import SessionError, check_name
from agent.reporting.export import report_text
from agent.storage.database import StorageError

log = logging.getLogger("agent.faces.web.page")

STREAM_UPDATE_SECONDS = 0.1



def _user(request: gr.Request | None) -> str | None:
    """The logged-in user's name; None when the page has no logins."""
    return getattr(request, "username", None) if request else None


class WebChat:
    """The page and its handlers; one per server."""

    def __init__(self, app: App) -> None:
        from agent.core.phrasing import load_phrasing, opening_message

        self.app = app
        self.settings = app.settings
        self.gateway = app.gateway
        self.rubric = app.rubric
        self.pool = SessionPool(app)
        self.greeting = opening_message(self.rubric, load_phrasing(), self.gateway.notice)
        self.files_dir = Path(tempfile.mkdtemp(prefix="aiops-web-"))
        self.max_input = self.settings.input.max_reply_chars * 4  # the graph trims to the limit, with a notice
        self._rev = itertools.count(1)
        self.start = StartScreen(self.rubric)  # the round fields of sessions not started yet
        self.org = OrgTab(app, self.files_dir)
        self.c: dict[str, Any] = {}

    def warm_up(self) -> None:
        """Load litellm and open the retrieval index in the background, so first turns are quick."""
        self.app.warm_up()

    # -- reading a session ----------------------------------------------------------------------
    def _values(self, name: str, catch_up: bool = False) -> dict:
        """The session's saved state ({} for a session not started yet); with `catch_up` (a session
        being opened), its answers are copied to its organization's round again."""
        if not self.pool.exists(name):
            return {}
        with self.pool.use(name) as iv:
            if not iv.is_new:
                iv.start()  # a no-op, unless the process stopped mid-turn: then the step is finished
                if catch_up:
                    iv.catch_up()
            return dict(iv.refresh())

    def _chat(self, name: str, values: dict) -> list[dict]:
        return view.chat_messages(self.rubric, values, name) if values else \
            [{"role": "assistant", "content": self._greeting(name)}]

    def _greeting(self, name: str) -> str:
        """The greeting of a session not started yet: its first question is of the first dimension
        the start screen asks about."""
        scope = self.start.scope(name)
        if not scope:
            return self.greeting
        from agent.core.phrasing import load_phrasing, opening_message

        return opening_message(self.rubric, load_phrasing(), self.gateway.notice, scope)

    @staticmethod
    def _say(chat: list[dict], text: str) -> list[dict]:
        """The chat with a message from us at the end (shown, not stored in the session)."""
        return [*chat, view.chat_message("assistant", text)]

    # -- handlers -------------------------------------------------------------------------------
    # Server CPU per turn is mostly the web framework's, per event and per update it sends: a turn
    # is one event whose last update also redraws progress and confirmation (from the state the turn
    # ended with, not read again), and `on_phase` runs only when the session or its phase changes, to
    # show or hide the panels, the report and its downloads.

    def on_load(self, request: gr.Request) -> dict:
        query = request.query_params if request else {}
        wanted = (query.get("session") or "").strip()
        invite = start_screen.invite_fields(query)  # an invite link: ?org=…&round=…&role=…&dimensions=…
        return self._open(wanted, _user(request), invite) if wanted else self._session(new_session_name(), {},
                                                                                         invite=invite)

    def on_new(self) -> dict:
        return self._session(new_session_name(), {})

    def on_open(self, wanted: str, request: gr.Request | None = None) -> dict:
        return self._open((wanted or "").strip(), _user(request))

    def _may_open(self, name: str, user: str | None) -> bool:
        return owners.may_open(self.app.sessions, name, user)

    def _open(self, name: str, user: str | None = None, invite: dict[str, str] | None = None) -> dict:
        try:
            check_name(name)
            if not self._may_open(name, user):
                # Not created by this page, or by another login: said the same way either way.
                return self._session(new_session_name(), {}, f"Session {name} cannot be opened here: this page "
                                     "opens only the sessions it started for you. I started a new session instead.")
            values = self._values(name, catch_up=True)
        except SessionError as exc:
            return self._session(new_session_name(), {}, f"{exc} I started a new session instead.")
        except Exception:
            log.exception("Could not open web session %s", name)
            return self._session(new_session_name(), {}, f"Sorry, session {name} could not be opened (the "
                                 "error is in the server log). I started a new session instead.")
        return self._session(name, values, None if values else
                             f"_Session {name} is new: it is saved from your first reply._", invite=invite)

    def _session(self, name: str, values: dict, note: str | None = None,
                 invite: dict[str, str] | None = None) -> dict:
        """Every output of a tab switching to a session (load, new, open); `invite`: the start
        screen's fields from an invite link, for a session not started yet."""
        problem = self.start.invite(name, invite) if invite and not values else None
        if problem:
            note = f"{note}\n\n{problem}" if note else problem
        fields = start_screen.session_fields(values) if values else self.start.fields(name)
        chat = self._chat(name, values)
        c = self.c
        return {c["state"]: name, c["session"]: name, c["chat"]: self._say(chat, note) if note else chat,
                **{c[k]: fields.get(k, "") for k in START_FIELDS},
                c["link"]: (f"Resume link: [?session={name}](?session={name}) · in a terminal: "
                            f"`{command(f'chat --session {name}')}`"),
                **self._panels(name, values)}

    def on_org(self, org: str, name: str) -> None:
        """Remember the organization for this tab's session, if it has not started yet."""
        self.start.set(name, "org", org)

    def on_field(self, key: str, value: str, name: str) -> None:
        """Remember a start-screen field for this tab's session, if it has not started yet."""
        self.start.set(name, key, value)

    def on_dimensions(self, value: str, name: str) -> Any:
        """The dimensions changed: a session not started yet greets with their first question."""
        self.start.set(name, "dimensions", value)
        if not name or self.pool.exists(name):
            return gr.skip()
        return self._chat(name, {})

    def _panels(self, name: str, values: dict, mark: bool = True) -> dict:
        """Progress, confirmation, the session's phase and its option buttons' labels, for a session's
        state (all plain values: Gradio rebuilds a component for every update of its properties). The
        progress panel carries a new `data-rev` each time, which marks the end of a turn (the browser
        tests wait for it)."""
        c = self.c
        answers = values.get("answers", {})
        phase = values.get("phase", "interview")
        scope = scope_of(values)  # a round's respondent asked about some only
        progress = {c["progress"]: view.progress_html(self.rubric, answers, rev=next(self._rev), scope=scope)} if mark else {}
        return {**progress, c["confirm"]: view.confirm_html(self.rubric, answers, scope) if phase == "confirm" else "",
                c["phase"]: f"{name}:{phase}",
                c["options"]: json.dumps(view.choice_buttons(self.rubric, values.get("pending")))}

    def on_options(self, mark: str) -> dict:
        """The option buttons (their labels changed: a closed question was asked or answered)."""
        c = self.c
        try:
            labels = [str(x) for x in json.loads(mark or "[]")][: len(c["choices"])]
        except ValueError:
            labels = []
        return {c["choices_row"]: gr.update(visible=bool(labels)),
                **{b: gr.update(visible=i < len(labels), value=labels[i] if i < len(labels) else "")
                   for i, b in enumerate(c["choices"])}}

    def on_phase(self, name: str, mark: str) -> dict:
        """Panels, report and downloads for the session's phase."""
        c = self.c
        try:
            values = self._values(name) if name else {}
        except Exception:  # noqa: BLE001 - reported where the session was opened
            values = {}
        phase = values.get("phase", "interview")
        done = phase == "done" and bool(values.get("result"))
        md = js = html = None
        if done:
            try:
                md, js, html = self._report_files(name, values)
            except Exception:
                log.exception("Could not write the report files of web session %s", name)
        return {c["confirm_col"]: gr.update(visible=phase == "confirm"),
                c["commands"]: gr.update(visible=phase == "interview"),
                c["followups"]: gr.update(visible=done), c["report_col"]: gr.update(visible=done),
                c["report"]: md_safe(values.get("report_md") or "") if done else "",
                c["dl_md"]: str(md) if md else None, c["dl_json"]: str(js) if js else None,
                c["dl_html"]: str(html) if html else None}

    def _report_files(self, name: str, values: dict) -> tuple[Path, Path, Path | None]:
        folder = self.files_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        md, js = folder / f"aiops-report-{name}.md", folder / f"aiops-report-{name}.json"
        html = folder / f"aiops-report-{name}.html"
        if not (md.exists() and js.exists()):  # a finished session's report does not change
            md.write_text(report_text(name, values, "md", self.rubric, self.app.transitions) + "\n", encoding="utf-8")
            js.write_text(report_text(name, values, "json", self.rubric, self.app.transitions) + "\n", encoding="utf-8")
        if not html.exists():
            try:
                html.write_text(report_text(name, values, "html", self.rubric, self.app.transitions), encoding="utf-8")
            except Exception:  # the Markdown and JSON downloads are there either way
                log.exception("Could not write the HTML report of web session %s", name)
                return md, js, None
        return md, js, html

    def on_choice(self, label: str, name: str, index: int, request: gr.Request | None = None) -> Iterator[dict]:
        """A numbered-option (or yes/no) button: the turn with what the button stands for."""
        yield from self.on_turn(view.choice_reply(index, label), name, request)

    def on_turn(self, text: str, name: str, request: gr.Request | None = None) -> Iterator[dict]:
        """A reply (the browser already shows it): the assistant's answer as it streams, and a last
        update with the whole chat and the panels. Outputs: the chat, the tab's session name, the
        `pending` box (emptied when the reply was taken; the reply, for the page to put back into
        the input box, when it must be sent again) and the panels."""
        c = self.c
        first: dict = {c["pending"]: ""}
        if not name:  # an API client, which skips the page's load event
            name = first[c["state"]] = new_session_name()
        text = (text or "")[: self.max_input]
        user = _user(request)
        if not self._may_open(name, user):
            yield {**first, c["chat"]: self._say(self._chat(name, {}), f"Session {name} cannot be opened here. "
                                                 "Start a new assessment to go on."), **self._panels(name, {})}
            return
        try:
            values = self._values(name)
        except Exception as exc:
            log.exception("Could not read web session %s", name)
            msg = str(exc) if isinstance(exc, SessionError) else "Sorry, this session could not be read."
            yield {**first, c["chat"]: self._say(self._chat(name, {}), f"{msg} Start a new assessment to go on."),
                   **self._panels(name, {})}
            return
        chat = self._chat(name, values)
        if not text.strip():
            yield {**first, c["chat"]: chat, **self._panels(name, values)}
            return
        if text.strip().lower() in LOCAL:
            cmd = text.strip().lower()
            yield {**first, c["chat"]: self._say([*chat, view.chat_message("user", cmd)],
                                                 self._local(cmd, name, values)), **self._panels(name, values)}
            return
        attachment = None
        if not values:  # the first reply starts the session: in an organization's round, if one is named
            try:
                attachment = self._attachment(name, user)
            except StartProblem as exc:  # the reply stays in the box, to send once the fields are right
                yield {**first, c["chat"]: self._say(chat, f"{exc} Your reply is still in the box: send it "
                                                     "again when that is right."), c["pending"]: text,
                       **self._panels(name, values)}
                return
            except StorageError as exc:
                yield {**first, c["chat"]: self._say(chat, f"{exc}"), c["pending"]: text, **self._panels(name, values)}
                return
        pending = [*chat, view.chat_message("user", text.strip())]
        streamed, problem, shown_at = "", None, 0.0
        unchanged: dict | None = None  # the panels as they are, sent with each streamed update
        try:
            with self.pool.use(name, attachment) if attachment else self.pool.use(name) as iv:
                if iv.is_new:
                    owners.record_owner(self.app.sessions, name, user)
                    self.start.forget(name)  # now in the session's state (its attachment)
                    iv.start()  # the greeting the page already shows
                elif not self._may_open(name, user):  # created elsewhere since the check above
                    raise SessionError(f"Session {name} cannot be opened here. Start a new assessment.")
                # The question streams token by token from LangGraph (stream_mode="custom").
                # Updates at most every STREAM_UPDATE_SECONDS: each costs the server a render of
                # the whole chat, and the eye does not need more.
                for token in iv.stream_reply(text):
                    streamed += token
                    if time.monotonic() - shown_at >= STREAM_UPDATE_SECONDS:
                        shown_at = time.monotonic()
                        unchanged = unchanged or self._panels(name, values, mark=False)
                        yield {**first, c["chat"]: self._say(pending, streamed), **unchanged}
                said, values, problem = iv.said, dict(iv.state), iv.store_problem
        except (SessionError, StorageError) as exc:  # the reply goes back into the box, to send again
            yield {**first, c["chat"]: self._say(chat, f"{exc}"), c["pending"]: text, **self._panels(name, values)}
            return
        except Exception:
            log.exception("Web turn failed for session %s", name)
            yield {**first, c["chat"]: self._say(chat, "Sorry, something went wrong handling that reply (the "
                                                 "details are in the server log). Your progress up to your previous "
                                                 "reply is saved: send it again, or go on."), c["pending"]: text,
                   **self._panels(name, values)}
            return
        final = self._chat(name, values)
        panels = self._panels(name, values)
        if not said:
            yield {**first, c["chat"]: self._say(final, "This assessment was completed before follow-up questions "
                                                 "were possible; its report is below."), **panels}
            return
        yield {**first, c["chat"]: self._say(final, problem) if problem else final, **panels}

    def _attachment(self, name: str, user: str | None) -> Attachment | None:
        """The round the start screen's fields name for a new session (None: none), checked before
        anything is written; its owner is recorded first, so a failure further on leaves a session
        this user can still open."""
        attachment = self.start.attachment(name)
        if attachment is not None:
            start_screen.check_joinable(self.app.org_store(), name, attachment)
            if not self.pool.exists(name):
                owners.record_owner(self.app.sessions, name, user)
        return attachment

    def _local(self, cmd: str, name: str, values: dict) -> str:
        """The answer to /help, /status, /report or /quit (which the graph does not see)."""
        if cmd in HELP_COMMANDS:
            return help_text(name, web=True)
        if cmd == "/status":
            return view.status_text(self.rubric, values.get("answers", {}))
        if cmd == "/report":
            return ("The report is below the chat, with downloads." if values.get("report_md") else
                    "No report yet: answer the questions, or press **Finish now** to review and get it.")
        return (f"Your progress is saved. Come back with this page's link (?session={name}) or "
                f"`{command(f'chat --session {name}')}` in a terminal.")

    # -- layout ---------------------------------------------------------------------------------
    def blocks(self) -> gr.Blocks:
        """The page (agent.faces.web.layout), its components in `self.c`."""
        return layout.build(self)

    def launch_kwargs(self) -> dict:
        return layout.launch_kwargs(self.files_dir)
