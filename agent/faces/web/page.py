"""The browser face: `aiops-assess web`, a Gradio Blocks chat page.

Like the terminal, it only drives the compiled graph through agent.interview.session.Interview on the
session's SQLite checkpointer (agent.faces.web.pool); what the page shows is rendered from the
session's state by agent.faces.web.view. Every browser tab gets its own session name (web-<random>),
carried in the page's link (?session=NAME) so a reload or a bookmark resumes it. With an
Organization filled in on the start screen (or by an invite link), the session joins that
organization's round; the Organization tab (agent.faces.web.org_tab; its start fields: start_screen) shows the rounds.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from agent.app import App
from agent.common.hints import command
from agent.common.safe_text import md_safe
from agent.core.attachment import Attachment, scope_of
from agent.faces.chat_commands import HELP_COMMANDS, LOCAL, help_text
from agent.faces.web import org_tab, owners, start_screen, view
from agent.faces.web.org_tab import OrgTab
from agent.faces.web.pool import SessionPool, new_session_name
from agent.faces.web.start_screen import START_FIELDS, StartProblem, StartScreen
from agent.interview.store import SessionError, check_name
from agent.reporting.export import report_text
from agent.reporting.result import ATTRIBUTION
from agent.storage.database import StorageError

log = logging.getLogger("agent.faces.web.page")

FOLLOWUPS = ["What should we do first?", "Which KPIs should we track?", "How do we get to the next level?"]
TURN_CONCURRENCY = 32  # turns running at once (model calls wait on the network; the offline engine is quick)
REVEAL_SECONDS = 0.03
# Set the URL to ?session=NAME without reloading, so a reload or a copied link resumes the session.
_SET_URL_JS = """(name) => {
  if (name) { const u = new URL(window.location.href); u.searchParams.set('session', name);
              window.history.replaceState(null, '', u.toString()); }
  return [];
}"""
_FONTS: list[Any] = ["system-ui", "sans-serif"]
_MONO_FONTS: list[Any] = ["ui-monospace", "monospace"]


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
    # Gradio spends far more on an output a handler leaves out (it rebuilds that component) than on
    # a new value, so each event has few outputs and sets them all: the turn streams the chat, then
    # `on_panels` redraws progress and confirmation, and `on_phase` (only when the session or its
    # phase changes) shows or hides the panels, the report and its downloads.

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

    def on_panels(self, name: str) -> dict:
        """Progress and confirmation after a turn. The progress panel carries a new `data-rev` each
        time, which marks the end of a turn (the browser tests wait for it)."""
        try:
            values = self._values(name) if name else {}
        except Exception:
            log.warning("Could not read web session %s", name, exc_info=True)
            values = {}
        return self._panels(name, values)

    def _panels(self, name: str, values: dict) -> dict:
        c = self.c
        answers = values.get("answers", {})
        phase = values.get("phase", "interview")
        labels = view.choice_buttons(self.rubric, values.get("pending"))
        buttons = {b: gr.update(visible=i < len(labels), value=labels[i] if i < len(labels) else "")
                   for i, b in enumerate(c["choices"])}
        scope = scope_of(values)  # a round's respondent asked about some only
        return {c["progress"]: view.progress_html(self.rubric, answers, rev=next(self._rev), scope=scope),
                c["confirm"]: view.confirm_html(self.rubric, answers, scope) if phase == "confirm" else "",
                c["phase"]: f"{name}:{phase}", c["choices_row"]: gr.update(visible=bool(labels)), **buttons}

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

    def on_choice(self, index: int, name: str, label: str, request: gr.Request | None = None) -> Iterator[dict]:
        """A numbered-option (or yes/no) button: the turn with what the button stands for."""
        yield from self.on_turn(view.choice_reply(index, label), name, request)

    def on_turn(self, text: str, name: str, request: gr.Request | None = None) -> Iterator[dict]:
        """A reply: shown at once, then the assistant's answer as it streams (outputs: the chat, the
        input box, the tab's session name)."""
        c = self.c
        first: dict = {c["input"]: ""}  # the reply is taken; Enter again is ignored until the turn ends
        if not name:  # an API client, which skips the page's load event
            name = first[c["state"]] = new_session_name()
        text = (text or "")[: self.max_input]
        user = _user(request)
        if not self._may_open(name, user):
            yield {**first, c["chat"]: self._say(self._chat(name, {}), f"Session {name} cannot be opened here. "
                                                 "Start a new assessment to go on.")}
            return
        try:
            values = self._values(name)
        except Exception as exc:
            log.exception("Could not read web session %s", name)
            msg = str(exc) if isinstance(exc, SessionError) else "Sorry, this session could not be read."
            yield {**first, c["chat"]: self._say(self._chat(name, {}), f"{msg} Start a new assessment to go on.")}
            return
        chat = self._chat(name, values)
        if not text.strip():
            yield {**first, c["chat"]: chat}
            return
        if text.strip().lower() in LOCAL:
            cmd = text.strip().lower()
            yield {**first, c["chat"]: self._say([*chat, view.chat_message("user", cmd)],
                                                 self._local(cmd, name, values))}
            return
        attachment = None
        if not values:  # the first reply starts the session: in an organization's round, if one is named
            try:
                attachment = self._attachment(name, user)
            except StartProblem as exc:  # the reply stays in the box, to send once the fields are right
                yield {**first, c["chat"]: self._say(chat, f"{exc} Your reply is still in the box: send it "
                                                     "again when that is right."), c["input"]: text}
                return
            except StorageError as exc:
                yield {**first, c["chat"]: self._say(chat, f"{exc}"), c["input"]: text}
                return
        pending = [*chat, view.chat_message("user", text.strip())]
        yield {**first, c["chat"]: self._say(pending, "…")}
        streamed, problem = "", None
        try:
            with self.pool.use(name, attachment) if attachment else self.pool.use(name) as iv:
                if iv.is_new:
                    owners.record_owner(self.app.sessions, name, user)
                    self.start.forget(name)  # now in the session's state (its attachment)
                    iv.start()  # the greeting the page already shows
                elif not self._may_open(name, user):  # created elsewhere since the check above
                    raise SessionError(f"Session {name} cannot be opened here. Start a new assessment.")
                # The question streams token by token from LangGraph (stream_mode="custom").
                for token in iv.stream_reply(text):
                    streamed += token
                    yield {c["chat"]: self._say(pending, streamed)}
                said, values, problem = iv.said, dict(iv.state), iv.store_problem
        except (SessionError, StorageError) as exc:  # the reply goes back into the box, to send again
            yield {c["chat"]: self._say(chat, f"{exc}"), c["input"]: text}
            return
        except Exception:
            log.exception("Web turn failed for session %s", name)
            yield {c["chat"]: self._say(chat, "Sorry, something went wrong handling that reply (the details are in "
                                        "the server log). Your progress up to your previous reply is saved: send "
                                        "it again, or go on."), c["input"]: text}
            return
        final = self._chat(name, values)
        if not said:
            yield {c["chat"]: self._say(final, "This assessment was completed before follow-up questions were "
                                        "possible; its report is below.")}
            return
        if not streamed:  # the whole reply arrived at once (the offline engine): show it word by word
            for partial in view.reveal_steps(final[-1]["content"]):
                yield {c["chat"]: self._say(final[:-1], partial)}
                threading.Event().wait(REVEAL_SECONDS)
        yield {c["chat"]: self._say(final, problem) if problem else final}

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
        c: dict = {}
        self.c = c
        with gr.Blocks(title="AI Operations Maturity assessment", analytics_enabled=False) as demo:
            c["state"] = gr.State("")  # this tab's session name
            gr.Markdown("## AI Operations Maturity assessment")
            gr.Markdown(view.model_notice(self.gateway.model, self.settings, self.gateway.notice),
                        elem_id="aiops-model")
            with gr.Tabs(elem_id="aiops-tabs"):
                with gr.Tab("Interview", id="interview", elem_id="aiops-tab-interview"):
                    self._interview_tab(c)
                with gr.Tab("Organization", id="organization", elem_id="aiops-tab-org") as org_tab:
                    self.org.build(org_tab)
            gr.Markdown(f"<small>{ATTRIBUTION}</small>")
            self._events(demo, c)
        demo.queue(default_concurrency_limit=TURN_CONCURRENCY)
        return demo

    def _interview_tab(self, c: dict) -> None:
        """The start screen's fields, the chat, its panels and the report."""
        StartScreen.build(c)
        b: dict[str, Any] = {}  # the buttons and boxes only events need
        c["buttons"] = b
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                c["chat"] = gr.Chatbot(label="Interview", elem_id="aiops-chat", height=560,
                                       feedback_options=None, buttons=["copy"], show_label=False)
                with gr.Row():
                    c["input"] = gr.Textbox(placeholder="Type your answer and press Enter",
                                            lines=1, max_lines=8, show_label=False, scale=5,
                                            elem_id="aiops-input", autofocus=True)
                    b["send"] = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="aiops-send")
                with gr.Row() as c["commands"]:
                    b["skip"] = gr.Button("Skip question", size="sm", elem_id="aiops-skip")
                    b["back"] = gr.Button("Go back", size="sm", elem_id="aiops-back")
                    b["finish"] = gr.Button("Finish now", size="sm", elem_id="aiops-finish")
                with gr.Row(visible=False, elem_id="aiops-choices") as c["choices_row"]:
                    # Numbered options (or yes/no) when a question is asked as a closed question.
                    c["choices"] = [gr.Button("", size="sm", visible=False, elem_id=f"aiops-choice-{i + 1}")
                                    for i in range(view.MAX_CHOICE_BUTTONS)]
                with gr.Row(visible=False) as c["followups"]:
                    b["asks"] = [gr.Button(q, size="sm") for q in FOLLOWUPS]
            with gr.Column(scale=2, min_width=320):
                with gr.Column(visible=False) as c["confirm_col"]:
                    c["confirm"] = gr.HTML(elem_id="aiops-confirm")
                    b["yes"] = gr.Button("Yes, write my report", variant="primary", elem_id="aiops-yes")
                gr.Markdown("### Progress")
                c["progress"] = gr.HTML(view.progress_html(self.rubric, {}), elem_id="aiops-progress")
                with gr.Column(visible=False) as c["report_col"]:
                    gr.Markdown("### Report")
                    c["dl_md"] = gr.DownloadButton("Download report (Markdown)", elem_id="aiops-dl-md")
                    c["dl_json"] = gr.DownloadButton("Download report (JSON)", elem_id="aiops-dl-json")
                    c["dl_html"] = gr.DownloadButton("Download report (HTML)", elem_id="aiops-dl-html")
                with gr.Accordion("Session", open=True):
                    c["session"] = gr.Textbox(label="This session", interactive=False, elem_id="aiops-session")
                    c["link"] = gr.Markdown(elem_id="aiops-link")
                    b["new"] = gr.Button("New assessment", elem_id="aiops-new")
                    with gr.Row():
                        b["wanted"] = gr.Textbox(placeholder="session name", show_label=False, scale=3,
                                                 elem_id="aiops-open-name")
                        b["open"] = gr.Button("Open", scale=1, min_width=60, elem_id="aiops-open")
                # "session:phase" of what the tab shows; its change event redraws the panels.
                c["phase"] = gr.Textbox("", visible="hidden", elem_id="aiops-phase")
        c["report"] = gr.Markdown(elem_id="aiops-report")

    def _events(self, demo: gr.Blocks, c: dict) -> None:
        b = c["buttons"]
        turn_out = [c["chat"], c["input"], c["state"]]
        panels_out = [c["progress"], c["confirm"], c["phase"], c["choices_row"], *c["choices"]]
        phase_out = [c["confirm_col"], c["commands"], c["followups"], c["report_col"], c["report"],
                     c["dl_md"], c["dl_json"], c["dl_html"]]
        session_out = [c["state"], c["session"], c["link"], c["chat"], *(c[k] for k in START_FIELDS), *panels_out]

        def turn(trigger: Any, inputs: list[Any], name: str | None = None, via: Any = None) -> None:
            """A turn on `trigger`, then the panels; `name`: a public API endpoint (the load test
            and API clients call "turn"), else private."""
            visibility: Literal["public", "private"] = "public" if name else "private"
            trigger(via or self.on_turn, inputs=inputs, outputs=turn_out, concurrency_limit=TURN_CONCURRENCY,
                    concurrency_id="turn", show_progress="hidden", api_name=name, api_visibility=visibility) \
                .then(self.on_panels, inputs=[c["state"]], outputs=panels_out, show_progress="hidden",
                      api_name="panels" if name else None, api_visibility=visibility)

        def switch(trigger: Any, fn: Any, inputs: list[Any] | None = None, name: str | None = None) -> None:
            """A tab switching session (load, new, open), then the page's link set to it."""
            trigger(fn, inputs=inputs, outputs=session_out, api_name=name,
                    api_visibility="public" if name else "private") \
                .then(None, inputs=[c["session"]], outputs=None, js=_SET_URL_JS)

        turn(c["input"].submit, [c["input"], c["state"]], name="turn")
        turn(b["send"].click, [c["input"], c["state"]])
        for button, said in [(b["skip"], "/skip"), (b["back"], "/back"), (b["finish"], "/finish"), (b["yes"], "yes"),
                             *zip(b["asks"], FOLLOWUPS, strict=True)]:
            turn(button.click, [gr.State(said), c["state"]])
        for i, button in enumerate(c["choices"]):
            # The button's label is the option; what it sends is its number (or yes/no).
            turn(button.click, [gr.State(i), c["state"], c["choices"][i]], via=self.on_choice)
        quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        for key in START_FIELDS:
            c[key].input(self.on_field, inputs=[gr.State(key), c[key], c["state"]], outputs=None, **quiet)
        # The greeting of a session not started yet asks about the first of the dimensions typed.
        for event in (c["dimensions"].blur, c["dimensions"].submit):
            event(self.on_dimensions, inputs=[c["dimensions"], c["state"]], outputs=[c["chat"]], **quiet)
        c["phase"].change(self.on_phase, inputs=[c["state"], c["phase"]], outputs=phase_out, **quiet)
        switch(demo.load, self.on_load)
        switch(b["new"].click, self.on_new, name="new")
        switch(b["open"].click, self.on_open, [b["wanted"]], name="open")  # API clients resume by name
        switch(b["wanted"].submit, self.on_open, [b["wanted"]])

    def launch_kwargs(self) -> dict:
        theme = gr.themes.Default(font=_FONTS, font_mono=_MONO_FONTS)  # no web fonts: nothing from a CDN
        return {"css": view.CSS + org_tab.CSS, "theme": theme, "show_error": False,
                "allowed_paths": [str(self.files_dir)], "footer_links": ["api"]}
