"""The browser face: `aiops-assess web`, a Gradio Blocks chat page.

Like the terminal, it only drives the compiled graph through agent.interview.session.Interview on the
session's SQLite checkpointer (agent.faces.web.pool); what the page shows is rendered from the
session's state by agent.faces.web.view. Every browser tab gets its own session name (web-<random>),
carried in the page's link (?session=NAME) so a reload or a bookmark resumes it.
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
from agent.common.safe_text import md_safe, printable
from agent.faces.chat_commands import HELP_COMMANDS, LOCAL, help_text
from agent.faces.web import owners, view
from agent.faces.web.pool import SessionPool, new_session_name
from agent.interview.store import SessionError, check_name
from agent.reporting.export import report_text
from agent.reporting.result import ATTRIBUTION

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
        # The organization typed on the start screen, per session name, until its first reply
        # starts the session (then it is in the session's state, and on its report).
        self._orgs: dict[str, str] = {}
        self.c: dict[str, Any] = {}

    def warm_up(self) -> None:
        """Load litellm and open the retrieval index in the background, so first turns are quick."""
        self.app.warm_up()

    # -- reading a session ----------------------------------------------------------------------
    def _values(self, name: str) -> dict:
        """The session's saved state ({} for a session not started yet)."""
        if not self.pool.exists(name):
            return {}
        with self.pool.use(name) as iv:
            if not iv.is_new:
                iv.start()  # a no-op, unless the process stopped mid-turn: then the step is finished
            return dict(iv.refresh())

    def _chat(self, name: str, values: dict) -> list[dict]:
        return view.chat_messages(self.rubric, values, name) if values else \
            [{"role": "assistant", "content": self.greeting}]

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
        wanted = (request.query_params.get("session") or "").strip() if request else ""
        return self._open(wanted, _user(request)) if wanted else self._session(new_session_name(), {})

    def on_new(self) -> dict:
        return self._session(new_session_name(), {})

    def on_open(self, wanted: str, request: gr.Request | None = None) -> dict:
        return self._open((wanted or "").strip(), _user(request))

    def _may_open(self, name: str, user: str | None) -> bool:
        return owners.may_open(self.settings.sessions_dir, name, user)

    def _open(self, name: str, user: str | None = None) -> dict:
        try:
            check_name(name)
            if not self._may_open(name, user):
                # Not created by this page, or by another login: said the same way either way.
                return self._session(new_session_name(), {}, f"Session {name} cannot be opened here: this page "
                                     "opens only the sessions it started for you. I started a new session instead.")
            values = self._values(name)
        except SessionError as exc:
            return self._session(new_session_name(), {}, f"{exc} I started a new session instead.")
        except Exception:
            log.exception("Could not open web session %s", name)
            return self._session(new_session_name(), {}, f"Sorry, session {name} could not be opened (the "
                                 "error is in the server log). I started a new session instead.")
        return self._session(name, values, None if values else
                             f"_Session {name} is new: it is saved from your first reply._")

    def _session(self, name: str, values: dict, note: str | None = None) -> dict:
        """Every output of a tab switching to a session (load, new, open)."""
        chat = self._chat(name, values)
        c = self.c
        return {c["state"]: name, c["session"]: name, c["chat"]: self._say(chat, note) if note else chat,
                c["org"]: values.get("organization") or self._orgs.get(name, ""),
                c["link"]: (f"Resume link: [?session={name}](?session={name}) · in a terminal: "
                            f"`{command(f'chat --session {name}')}`"),
                **self._panels(name, values)}

    def on_org(self, org: str, name: str) -> None:
        """Remember the organization for this tab's session, if it has not started yet."""
        cleaned = printable(org or "", newlines=False)[:120].strip()
        if not name:
            return
        if cleaned:
            if len(self._orgs) > 10_000:  # tabs that never replied: forget the oldest
                self._orgs.pop(next(iter(self._orgs)))
            self._orgs[name] = cleaned
        else:
            self._orgs.pop(name, None)

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
        return {c["progress"]: view.progress_html(self.rubric, answers, rev=next(self._rev)),
                c["confirm"]: view.confirm_html(self.rubric, answers) if phase == "confirm" else "",
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
        md = js = None
        if done:
            try:
                md, js = self._report_files(name, values)
            except Exception:
                log.exception("Could not write the report files of web session %s", name)
        return {c["confirm_col"]: gr.update(visible=phase == "confirm"),
                c["commands"]: gr.update(visible=phase == "interview"),
                c["followups"]: gr.update(visible=done), c["report_col"]: gr.update(visible=done),
                c["report"]: md_safe(values.get("report_md") or "") if done else "",
                c["dl_md"]: str(md) if md else None, c["dl_json"]: str(js) if js else None}

    def _report_files(self, name: str, values: dict) -> tuple[Path, Path]:
        folder = self.files_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        md, js = folder / f"aiops-report-{name}.md", folder / f"aiops-report-{name}.json"
        if not (md.exists() and js.exists()):  # a finished session's report does not change
            md.write_text(report_text(name, values, "md", self.rubric, self.app.transitions) + "\n", encoding="utf-8")
            js.write_text(report_text(name, values, "json", self.rubric, self.app.transitions) + "\n", encoding="utf-8")
        return md, js

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
        pending = [*chat, view.chat_message("user", text.strip())]
        yield {**first, c["chat"]: self._say(pending, "…")}
        streamed = ""
        try:
            with self.pool.use(name) as iv:
                if iv.is_new:
                    owners.record_owner(self.settings.sessions_dir, name, user)
                    iv.start(organization=self._orgs.pop(name, None))  # the greeting the page already shows
                elif not self._may_open(name, user):  # created elsewhere since the check above
                    raise SessionError(f"Session {name} cannot be opened here. Start a new assessment.")
                # The question streams token by token from LangGraph (stream_mode="custom").
                for token in iv.stream_reply(text):
                    streamed += token
                    yield {c["chat"]: self._say(pending, streamed)}
                said, values = iv.said, dict(iv.state)
        except SessionError as exc:  # the reply goes back into the box, to send again
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
        yield {c["chat"]: final}

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
            c["org"] = gr.Textbox(label="Organization (optional: shown on the report)", max_lines=1,
                                  placeholder="e.g. Petwell Vet Clinics", elem_id="aiops-org")
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    c["chat"] = gr.Chatbot(label="Interview", elem_id="aiops-chat", height=560,
                                           feedback_options=None, buttons=["copy"], show_label=False)
                    with gr.Row():
                        c["input"] = gr.Textbox(placeholder="Type your answer and press Enter",
                                                lines=1, max_lines=8, show_label=False, scale=5,
                                                elem_id="aiops-input", autofocus=True)
                        send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="aiops-send")
                    with gr.Row() as c["commands"]:
                        skip = gr.Button("Skip question", size="sm", elem_id="aiops-skip")
                        back = gr.Button("Go back", size="sm", elem_id="aiops-back")
                        finish = gr.Button("Finish now", size="sm", elem_id="aiops-finish")
                    with gr.Row(visible=False, elem_id="aiops-choices") as c["choices_row"]:
                        # Numbered options (or yes/no) when a question is asked as a closed question.
                        c["choices"] = [gr.Button("", size="sm", visible=False, elem_id=f"aiops-choice-{i + 1}")
                                        for i in range(view.MAX_CHOICE_BUTTONS)]
                    with gr.Row(visible=False) as c["followups"]:
                        asks = [gr.Button(q, size="sm") for q in FOLLOWUPS]
                with gr.Column(scale=2, min_width=320):
                    with gr.Column(visible=False) as c["confirm_col"]:
                        c["confirm"] = gr.HTML(elem_id="aiops-confirm")
                        yes = gr.Button("Yes, write my report", variant="primary", elem_id="aiops-yes")
                    gr.Markdown("### Progress")
                    c["progress"] = gr.HTML(view.progress_html(self.rubric, {}), elem_id="aiops-progress")
                    with gr.Column(visible=False) as c["report_col"]:
                        gr.Markdown("### Report")
                        c["dl_md"] = gr.DownloadButton("Download report (Markdown)", elem_id="aiops-dl-md")
                        c["dl_json"] = gr.DownloadButton("Download report (JSON)", elem_id="aiops-dl-json")
                    with gr.Accordion("Session", open=True):
                        c["session"] = gr.Textbox(label="This session", interactive=False, elem_id="aiops-session")
                        c["link"] = gr.Markdown(elem_id="aiops-link")
                        new = gr.Button("New assessment", elem_id="aiops-new")
                        with gr.Row():
                            wanted = gr.Textbox(placeholder="session name", show_label=False, scale=3,
                                                elem_id="aiops-open-name")
                            open_ = gr.Button("Open", scale=1, min_width=60, elem_id="aiops-open")
                    # "session:phase" of what the tab shows; its change event redraws the panels.
                    c["phase"] = gr.Textbox("", visible="hidden", elem_id="aiops-phase")
            c["report"] = gr.Markdown(elem_id="aiops-report")
            gr.Markdown(f"<small>{ATTRIBUTION}</small>")

            turn_out = [c["chat"], c["input"], c["state"]]
            panels_out = [c["progress"], c["confirm"], c["phase"], c["choices_row"], *c["choices"]]
            phase_out = [c["confirm_col"], c["commands"], c["followups"], c["report_col"], c["report"],
                         c["dl_md"], c["dl_json"]]
            session_out = [c["state"], c["session"], c["link"], c["chat"], c["org"], *panels_out]

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
            turn(send.click, [c["input"], c["state"]])
            for button, said in [(skip, "/skip"), (back, "/back"), (finish, "/finish"), (yes, "yes"),
                                 *zip(asks, FOLLOWUPS, strict=True)]:
                turn(button.click, [gr.State(said), c["state"]])
            for i, button in enumerate(c["choices"]):
                # The button's label is the option; what it sends is its number (or yes/no).
                turn(button.click, [gr.State(i), c["state"], c["choices"][i]], via=self.on_choice)
            c["org"].input(self.on_org, inputs=[c["org"], c["state"]], outputs=None, api_visibility="private",
                            show_progress="hidden")
            c["phase"].change(self.on_phase, inputs=[c["state"], c["phase"]], outputs=phase_out,
                              api_visibility="private", show_progress="hidden")
            switch(demo.load, self.on_load)
            switch(new.click, self.on_new, name="new")
            switch(open_.click, self.on_open, [wanted])
            switch(wanted.submit, self.on_open, [wanted])
        demo.queue(default_concurrency_limit=TURN_CONCURRENCY)
        return demo

    def launch_kwargs(self) -> dict:
        theme = gr.themes.Default(font=_FONTS, font_mono=_MONO_FONTS)  # no web fonts: nothing from a CDN
        return {"css": view.CSS, "theme": theme, "show_error": False,
                "allowed_paths": [str(self.files_dir)], "footer_links": ["api"]}
