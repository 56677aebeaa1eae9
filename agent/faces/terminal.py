"""The terminal chat loop (rich): Markdown replies, a progress line, slash commands, and safe
exits. Works interactively and with replies piped on stdin, one per line.

Heavy modules (langgraph, litellm, the composition root) are imported after the opening message
is printed, so the first question appears at once.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from agent.common.config import Settings
from agent.common.hints import command
from agent.common.providers import is_known_provider
from agent.common.safe_text import printable
from agent.core.answers import progress_line
from agent.core.attachment import Attachment, scope_of
from agent.faces.chat_commands import HELP_COMMANDS, LOCAL, QUIT, help_text
from agent.faces.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNAVAILABLE
from agent.interview.notices import model_words
from agent.interview.store import SessionError

if TYPE_CHECKING:
    from rich.table import Table

    from agent.interview.session import Interview


class _Out:
    """Printing for the chat, rich Markdown on a terminal and plain text when piped. Everything
    passes through `printable`: messages quote replies, and a reply must not drive the terminal."""

    def __init__(self) -> None:
        from rich.console import Console

        self.rich = sys.stdout.isatty()
        self.console = Console(highlight=False)
        self.streamed = False

    def assistant(self, text: str) -> None:
        if self.streamed:
            self.console.print()
            self.streamed = False
            return
        text = printable(text)
        if self.rich:
            from rich.markdown import Markdown

            self.console.print(Markdown(text))
            self.console.print()
        else:  # piped: the Markdown source, unwrapped, is what a log or another program wants
            sys.stdout.write(text.rstrip() + "\n\n")
            sys.stdout.flush()

    def token(self, tok: str) -> None:
        self.streamed = True
        self.console.print(printable(tok), end="", markup=False)

    def info(self, text: str) -> None:
        text = printable(text)
        if self.rich:
            self.console.print(text, style="dim", markup=False)
        else:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()


def _resume_hint(name: str) -> str:
    return f"Progress saved. Resume with: {command(f'chat --session {name}')}"


def _done_hint(session: str) -> str:
    ask = command(f'ask "..." --session {session}')
    return (f"Saved. Report: {command(f'report --session {session}')}; more questions: "
            f"{command(f'chat --session {session}')} or {ask}")


FOLLOWUP_HINT = ("Ask me about next steps — “what should we do first?”, “which KPIs should we track?”, "
                 "“how do we get to the next level on cost?”, “why did I get a 1 on tracing?” — or /quit.")


def _watch_ctrl_c() -> threading.Event:
    """Remember that Ctrl-C was pressed: an interrupt that lands inside a library (e.g. while
    litellm imports) can surface as some other exception, which must still read as Ctrl-C."""
    pressed = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        pressed.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    return pressed


def run_chat(settings: Settings, session: str, organization: str | None = None,
             attachment: Attachment | None = None) -> int:
    """Run or resume the named interview until it ends, the user quits, or input runs out; with an
    `attachment`, as one respondent of an organization's round."""
    from agent.observability import tracing

    previous = signal.getsignal(signal.SIGINT)
    try:
        return _chat(settings, session, organization, attachment)
    finally:
        signal.signal(signal.SIGINT, previous)
        tracing.flush()  # send the session's trace before the process exits (no-op without Langfuse)


def _chat(settings: Settings, session: str, organization: str | None, attachment: Attachment | None) -> int:
    from agent.interview.backends import session_store

    ctrl_c = _watch_ctrl_c()
    out = _Out()
    interactive = sys.stdin.isatty()
    if not interactive and hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(errors="replace")
    new = not session_store(settings).exists(session)
    from agent.gateway.models import choose_model

    choice = choose_model(settings)  # no litellm yet: which model, and what to say about it
    out.info(f"Session {session} ({'new' if new else 'resumed'}) · model {choice.model} · /help for commands")
    if new:
        # The opening is fixed text: show it before langgraph and litellm have loaded (they take
        # seconds), while the interviewee reads. The graph's greet node writes the same message.
        from agent.core.phrasing import load_phrasing, opening_message
        from agent.core.rubric import load_rubric

        out.assistant(opening_message(load_rubric(), load_phrasing(), choice.notice,
                                      attachment.scope if attachment else None))
    from agent.app import App, build_gateway

    app = App(settings, gateway=build_gateway(settings, choice))
    app.warm_up()  # litellm imports and the index opens in the background
    gateway = app.gateway
    if not is_known_provider(choice.model):
        gateway.ready()  # an unknown model string must fail (or fall back) now, not mid-interview
        if gateway.notice and gateway.notice != choice.notice:  # compared with what was shown
            out.info(gateway.notice)
    with app.open_session(session, organization=organization, attachment=attachment, stream_tokens=interactive,
                          exclusive=True) as iv:
        if iv.services.attachment:
            a = iv.services.attachment
            who = ", ".join(x for x in (a.get("respondent"), a.get("role")) if x)
            out.info(f"Answering for {a['organization']}, round {a['round']}" + (f" ({who})" if who else "")
                     + f" · the round: {command('org show ' + a['slug'])}")
        opening = iv.start()  # on resume, first finishes a turn a crash cut off
        if not new:
            iv.catch_up()  # the round gets what a killed process or a failed copy left out
            if iv.store_problem:
                out.info(iv.store_problem)
        if iv.is_done and not iv.waiting_for_reply:  # finished before follow-ups existed
            out.info(f"This session is complete. Print its report with: {command(f'report --session {session}')}")
            return EXIT_OK
        if not new:
            for msg in opening:
                out.assistant(msg)
        if iv.is_done:
            out.info(FOLLOWUP_HINT)
        try:
            return _loop(iv, out, session, interactive, ctrl_c)
        except KeyboardInterrupt:
            out.info("\n" + (_done_hint(session) if iv.is_done else _resume_hint(session)))
            return EXIT_INTERRUPTED


def _loop(iv: Interview, out: _Out, session: str, interactive: bool, ctrl_c: threading.Event) -> int:
    while True:
        try:
            line = out.console.input("[bold cyan]you ›[/] ") if interactive else _read_line()
        except EOFError:
            out.info(_done_hint(session) if iv.is_done else _resume_hint(session))
            return EXIT_OK
        cmd = line.strip().lower()
        if cmd in LOCAL:
            if cmd in QUIT:
                out.info(_done_hint(session) if iv.is_done else _resume_hint(session))
                return EXIT_OK
            _local_command(cmd, iv, out, session)
            continue
        if not interactive and line.strip():
            out.info(f"you › {printable(line.strip(), newlines=False)[:200]}")
        was_done = iv.is_done
        failed = _send(iv, out, line, session, ctrl_c)
        if failed is not None:
            return failed
        if iv.outage:
            if _continue_on_next_model(iv, out, interactive):
                failed = _send(iv, out, line, session, ctrl_c)  # the same reply, read by the next model
                if failed is not None:
                    return failed
            if iv.outage:
                out.info(iv.outage)
                nxt = iv.services.gateway.next_model()
                if nxt and not interactive:
                    out.info(f"To continue with {model_words(nxt)} instead, set AIOPS_ON_PERMANENT_ERROR=fallback "
                             "(or on_permanent_error: fallback in config.yaml).")
                out.info(_resume_hint(session))
                return EXIT_UNAVAILABLE
        if iv.store_problem:
            out.info(iv.store_problem)
        if not iv.is_done:
            out.info(progress_line(iv.services.rubric, iv.state.get("answers", {}), scope_of(iv.state)))
        elif not was_done:
            out.info(f"Assessment complete. Report: {command(f'report --session {session}')} [--format json]")
            out.info(FOLLOWUP_HINT)


def _send(iv: Interview, out: _Out, line: str, session: str, ctrl_c: threading.Event) -> int | None:
    """One reply through the interview, its answer shown as it streams; an exit code if it failed."""
    try:
        for token in iv.stream_reply(line):
            out.token(token)
        for msg in iv.said:
            out.assistant(msg)
    except SessionError as exc:  # the session could not be saved (a full disk) or is busy elsewhere
        out.info(str(exc))
        return EXIT_INTERRUPTED
    except Exception as exc:
        if ctrl_c.is_set():
            raise KeyboardInterrupt from exc
        out.info(f"Something went wrong handling that reply ({type(exc).__name__}: {exc}). {_resume_hint(session)}")
        return EXIT_INTERRUPTED
    return None


def _continue_on_next_model(iv: Interview, out: _Out, interactive: bool) -> bool:
    """After a failure retrying cannot fix, ask whether to go on with the next model (config
    on_permanent_error: ask, in a terminal); True when the user agreed."""
    gateway = iv.services.gateway
    nxt = gateway.next_model()
    if not (interactive and nxt and iv.services.settings.on_permanent_error == "ask"):
        return False
    out.info(iv.outage or "")
    try:
        answer = out.console.input(f"Continue this session with {model_words(nxt)}? [y/N] ")
    except EOFError:
        return False
    if answer.strip().lower() not in ("y", "yes"):
        return False
    gateway.allow_fallback()
    return True


def _read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")


def _local_command(cmd: str, iv: Interview, out: _Out, session: str) -> None:
    if cmd in HELP_COMMANDS:
        out.info(help_text(session))
    elif cmd == "/status":
        out.console.print(status_table(iv))
    elif cmd == "/report":
        md = iv.state.get("report_md")
        if md:
            out.assistant(md)
        else:
            out.info("No report yet: answer the questions or type /finish.")


def status_table(iv: Interview) -> Table:
    """The answers and scores so far, as a rich table."""
    from rich.table import Table

    from agent.core.calls import Usage
    from agent.core.scoring import level_text, score

    rubric = iv.services.rubric
    answers = iv.state.get("answers", {})
    table = Table(title=progress_line(rubric, answers), show_lines=False)
    for col in ("q", "question", "answer", "conf."):
        table.add_column(col)
    for q in rubric.questions:
        a = answers.get(q.id)
        table.add_row(q.id, q.text, f"{a['score']} · {q.label(a['score'])}" if a else "—",
                      f"{a['confidence']:.2f}" if a else "")
    result = score(rubric, {k: v["score"] for k, v in answers.items()})
    usage = Usage.of(iv.state.get("calls", []))
    configured = iv.state.get("model", "?")
    answering = next((c["model"] for c in reversed(iv.state.get("calls", [])) if c.get("ok")), configured)
    model = configured if answering == configured else f"{configured} (now {answering})"
    table.caption = printable(f"Total so far {result.total}/60 · {level_text(rubric, result)} · model {model} · "
                     f"{usage.model_calls} calls, {usage.prompt_tokens + usage.completion_tokens} tokens, "
                     f"${usage.cost_usd:.4f}")
    return table
