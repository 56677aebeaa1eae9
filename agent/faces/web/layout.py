"""The web page's layout and events: what `aiops-assess web` shows and which handler of
agent.faces.web.page.WebChat each event calls. Scripts that run in the browser are files in
scripts/ beside this module."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Protocol

import gradio as gr

from agent.common.config import Settings
from agent.core.rubric import Rubric
from agent.faces.web import org_tab, view
from agent.faces.web.start_screen import START_FIELDS, StartScreen
from agent.reporting.result import ATTRIBUTION


class PageHandlers(Protocol):
    """What the layout needs of the page (agent.faces.web.page.WebChat): what it shows, and the
    handlers its events call. The components are put into `c` by name."""

    c: dict[str, Any]
    settings: Settings
    rubric: Rubric
    gateway: Any
    org: Any

    @property
    def on_turn(self) -> Callable[..., Any]: ...
    @property
    def on_choice(self) -> Callable[..., Any]: ...
    @property
    def on_field(self) -> Callable[..., Any]: ...
    @property
    def on_dimensions(self) -> Callable[..., Any]: ...
    @property
    def on_phase(self) -> Callable[..., Any]: ...
    @property
    def on_options(self) -> Callable[..., Any]: ...
    @property
    def on_load(self) -> Callable[..., Any]: ...
    @property
    def on_new(self) -> Callable[..., Any]: ...
    @property
    def on_open(self) -> Callable[..., Any]: ...


FOLLOWUPS = ["What should we do first?", "Which KPIs should we track?", "How do we get to the next level?"]
TURN_CONCURRENCY = 32  # turns running at once (model calls wait on the network; the offline engine is quick)
_FONTS: list[Any] = ["system-ui", "sans-serif"]
_MONO_FONTS: list[Any] = ["ui-monospace", "monospace"]


def script(name: str) -> str:
    """A browser script of scripts/ (one function expression), without its leading comment lines."""
    text = (Path(__file__).parent / "scripts" / f"{name}.js").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("//")).strip()


SET_URL_JS = script("set_url")
ECHO_JS = script("echo")
CHOICE_ECHO_JS = f"((echo) => {script('choice_echo')})({ECHO_JS})"
RESTORE_JS = script("restore")


def build(chat: PageHandlers) -> gr.Blocks:
    """The page: its components go into `chat.c` (by name), its events to `chat`'s handlers."""
    c: dict = {}
    chat.c = c
    with gr.Blocks(title="AI Operations Maturity assessment", analytics_enabled=False) as demo:
        c["state"] = gr.State("")  # this tab's session name
        gr.Markdown("## AI Operations Maturity assessment")
        gr.Markdown(view.model_notice(chat.gateway.model, chat.settings, chat.gateway.notice),
                    elem_id="aiops-model")
        with gr.Tabs(elem_id="aiops-tabs"):
            with gr.Tab("Interview", id="interview", elem_id="aiops-tab-interview"):
                _interview_tab(chat, c)
            with gr.Tab("Organization", id="organization", elem_id="aiops-tab-org") as org_tab:
                chat.org.build(org_tab)
        gr.Markdown(f"<small>{ATTRIBUTION}</small>")
        _events(chat, demo, c)
    demo.queue(default_concurrency_limit=TURN_CONCURRENCY)
    return demo

def _interview_tab(chat: PageHandlers, c: dict) -> None:
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
            c["progress"] = gr.HTML(view.progress_html(chat.rubric, {}), elem_id="aiops-progress")
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
            # The option buttons' labels (JSON); its change event redraws the buttons.
            c["options"] = gr.Textbox("[]", visible="hidden", elem_id="aiops-options")
            # The reply on its way to the server (see _ECHO_JS), or one to put back into the box.
            c["pending"] = gr.Textbox("", visible="hidden", elem_id="aiops-pending")
    c["report"] = gr.Markdown(elem_id="aiops-report")


def _events(chat: PageHandlers, demo: gr.Blocks, c: dict) -> None:
    b = c["buttons"]
    panels_out = [c["progress"], c["confirm"], c["phase"], c["options"]]
    turn_out = [c["chat"], c["state"], c["pending"], *panels_out]
    phase_out = [c["confirm_col"], c["commands"], c["followups"], c["report_col"], c["report"],
                 c["dl_md"], c["dl_json"], c["dl_html"]]
    session_out = [c["state"], c["session"], c["link"], c["chat"], *(c[k] for k in START_FIELDS), *panels_out]

    def turn(trigger: Any, said: Any, name: str | None = None, choice: int | None = None) -> None:
        """A turn on `trigger`: the reply `said` (the input box, the words a button stands for, or
        the label of option button `choice`) shown at once in the browser, then the server's turn,
        then a reply it could not take put back into the box. `name`: a public API endpoint (the
        load test and API clients call "turn"), else private."""
        visibility: Literal["public", "private"] = "public" if name else "private"
        echo_out = [c["input"], c["chat"], c["pending"]]
        if isinstance(said, str):  # a button's words: the input box keeps what is typed there
            echo = trigger(None, inputs=[c["input"], c["chat"]], outputs=echo_out,
                           js=f"(text, chat) => ({ECHO_JS})({json.dumps(said)}, chat).map((v, i) => i ? v : text)")
        elif choice is not None:
            echo = trigger(None, inputs=[c["input"], said, c["chat"]], outputs=echo_out, js=CHOICE_ECHO_JS)
        else:
            echo = trigger(None, inputs=[said, c["chat"]], outputs=echo_out, js=ECHO_JS)
        server, extra = (chat.on_turn, []) if choice is None else (chat.on_choice, [gr.State(choice)])
        echo.then(server, inputs=[c["pending"], c["state"], *extra], outputs=turn_out,
                  concurrency_limit=TURN_CONCURRENCY, concurrency_id="turn", show_progress="hidden",
                  api_name=name, api_visibility=visibility) \
            .then(None, inputs=[c["pending"], c["input"]], outputs=[c["input"]], js=RESTORE_JS)

    def switch(trigger: Any, fn: Any, inputs: list[Any] | None = None, name: str | None = None) -> None:
        """A tab switching session (load, new, open), then the page's link set to it."""
        trigger(fn, inputs=inputs, outputs=session_out, api_name=name,
                api_visibility="public" if name else "private") \
            .then(None, inputs=[c["session"]], outputs=None, js=SET_URL_JS)

    turn(c["input"].submit, c["input"], name="turn")
    turn(b["send"].click, c["input"])
    for button, said in [(b["skip"], "/skip"), (b["back"], "/back"), (b["finish"], "/finish"), (b["yes"], "yes"),
                         *zip(b["asks"], FOLLOWUPS, strict=True)]:
        turn(button.click, said)
    for i, button in enumerate(c["choices"]):
        # The button's label is the option; what it sends is its number (or yes/no).
        turn(button.click, c["choices"][i], choice=i)
    quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    for key in START_FIELDS:
        c[key].input(chat.on_field, inputs=[gr.State(key), c[key], c["state"]], outputs=None, **quiet)
    # The greeting of a session not started yet asks about the first of the dimensions typed.
    for event in (c["dimensions"].blur, c["dimensions"].submit):
        event(chat.on_dimensions, inputs=[c["dimensions"], c["state"]], outputs=[c["chat"]], **quiet)
    c["phase"].change(chat.on_phase, inputs=[c["state"], c["phase"]], outputs=phase_out, **quiet)
    c["options"].change(chat.on_options, inputs=[c["options"]], outputs=[c["choices_row"], *c["choices"]], **quiet)
    switch(demo.load, chat.on_load)
    switch(b["new"].click, chat.on_new, name="new")
    switch(b["open"].click, chat.on_open, [b["wanted"]], name="open")  # API clients resume by name
    switch(b["wanted"].submit, chat.on_open, [b["wanted"]])


def launch_kwargs(files_dir: Path) -> dict:
    """Gradio's launch arguments for the page: its styles and theme, and the folder of downloads."""
    theme = gr.themes.Default(font=_FONTS, font_mono=_MONO_FONTS)  # no web fonts: nothing from a CDN
    return {"css": view.CSS + org_tab.CSS, "theme": theme, "show_error": False,
            "allowed_paths": [str(files_dir)], "footer_links": ["api"]}
