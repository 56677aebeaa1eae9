"""`aiops-assess sessions`, `report` and `ask`: reading saved sessions."""

from __future__ import annotations

import sys
from datetime import datetime

from agent.common.config import Settings
from agent.common.hints import command
from agent.common.safe_text import printable
from agent.faces.exits import EXIT_OK
from agent.faces.output import write_output
from agent.interview.backends import Sessions, session_store
from agent.interview.store import SessionError, SessionInfo


def session_info(sessions: Sessions, name: str, updated: float) -> SessionInfo:
    """Progress and level of one session (errors reported in the info, not raised)."""
    from agent.core.rubric import load_rubric
    from agent.core.scoring import score

    info = SessionInfo(name=name, path=f"{sessions.where}/{name}", updated=updated)
    try:
        values = sessions.read_values(name)
    except SessionError as exc:
        info.error = str(exc).split(". ")[0]
        return info
    answers = {k: v["score"] for k, v in values.get("answers", {}).items()}
    info.answered = len(answers)
    info.phase = values.get("phase", "new")
    result = score(load_rubric(), answers)
    info.total = result.total
    info.level = result.level
    return info


# Session names longer than their column lose the middle, never the end: generated names keep their
# random part there (`web-3f9a1c2b7d4e`, `session-20261202-3f9a1c2b7d4e`), and people's own names
# (`acme-2026-q3`, `acme-2026-q4`) differ at the end as often as at the start. 12 characters is the
# random tail of a generated name.
_KEEP_TAIL = 12
_NARROWEST_NAME = 16
_ELLIPSIS = "…"


def shorten_middle(name: str, width: int) -> str:
    """`name` cut to `width` characters by replacing its middle with "…" (the end kept whole)."""
    if len(name) <= width:
        return name
    tail = min(max(_KEEP_TAIL, (width - 1) * 2 // 3), width - 2)
    head = width - 1 - tail
    return name[:head] + _ELLIPSIS + name[-tail:]


def _fit_names(names: list[str], width: int) -> dict[str, str] | None:
    """Each name as shown in a column `width` wide, or None when shortening would make two look the
    same (then the column wraps them instead)."""
    shown = {n: shorten_middle(n, max(width, _NARROWEST_NAME)) for n in names}
    return shown if len(set(shown.values())) == len(shown) else None


def print_sessions(settings: Settings) -> int:
    """The sessions table, one line per session in the terminal's width (80 columns included):
    long names lose their middle, never the end that tells them apart. Its cells come from files on
    disk, so they are shown as plain text (no escape sequences, no rich markup)."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def cell(value: object) -> Text:
        return Text(printable(value, newlines=False))

    sessions = session_store(settings)
    files = sessions.names()
    console = Console()
    if not files:
        console.print(f"No sessions yet in {sessions.where}. Start one: {command('chat --session NAME')}")
        return EXIT_OK
    headers = ("session", "answers", "phase", "level", "total", "updated")
    rows: list[tuple[str, ...]] = []
    problems: list[tuple[str, str]] = []
    for name, updated in files:
        i = session_info(sessions, name, updated)
        when = datetime.fromtimestamp(i.updated).strftime("%Y-%m-%d %H:%M")
        if i.error:
            # The reason goes under the table: in a column it would squeeze the names.
            rows.append((i.name, "—", "unreadable", "—", "—", when))
            problems.append((i.name, i.error))
            continue
        level = "—" if i.level is None else f"L{i.level}" + ("" if i.answered == 12 else " (partial)")
        rows.append((i.name, f"{i.answered}/12", i.phase, level, f"{i.total}/60", when))
    rows = [tuple(printable(v, newlines=False) for v in row) for row in rows]
    gap = 2  # between columns (no borders, see the table below)
    others = sum(max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(headers) if c) + gap * (len(headers) - 1)
    fitted = _fit_names([r[0] for r in rows], console.width - others)
    table = Table(title=f"Sessions in {sessions.where}", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, collapse_padding=True, title_justify="left")
    table.add_column(headers[0], no_wrap=fitted is not None, overflow="fold")
    for h in headers[1:]:
        table.add_column(h, no_wrap=True)
    for name, *rest in rows:
        table.add_row(Text(fitted[name] if fitted else name), *map(Text, rest))
    console.print(table)
    if fitted and any(fitted[n] != n for n in fitted):
        console.print(cell(f"({_ELLIPSIS} marks the middle of a name shortened to fit the terminal.)"))
    for name, error in problems:
        console.print(cell(f"{name}: {error}"))
    return EXIT_OK


def print_report(settings: Settings, name: str, fmt: str, out: str | None = None) -> int:
    """Print (or write to `out`) a finished session's report; for an unfinished one, the partial
    report so far."""
    from agent.core.rubric import load_rubric
    from agent.core.transitions import load_transitions
    from agent.reporting.export import report_text

    values = session_store(settings).read_values(name)
    if not values:
        raise SessionError(f"Session '{name}' has not started yet. Run: {command(f'chat --session {name}')}")
    write_output(report_text(name, values, fmt, load_rubric(), load_transitions()), out)
    return EXIT_OK


def ask(settings: Settings, name: str, question: str, as_json: bool = False) -> int:
    """Answer one follow-up question about a session (read-only: the session is not changed)."""
    from agent.app import App
    from agent.reporting.followup import render_answer
    from agent.reporting.followup_answer import answer_followup

    question = " ".join(question.split())
    if not question:
        usage = command('ask "what should we do first?" --session NAME')
        raise SessionError(f"The question is empty. Usage: {usage}")
    values = session_store(settings).read_values(name)
    if not values.get("answers"):
        raise SessionError(f"Session '{name}' has no answers yet. Run: {command(f'chat --session {name}')}")
    app = App(settings)
    if app.gateway.notice:
        print(f"note: {app.gateway.notice}", file=sys.stderr)
    ans, _calls = answer_followup(app.reporting(), values, question)
    if as_json:
        sys.stdout.write(printable(ans.model_dump_json(indent=2)) + "\n")
        return EXIT_OK
    if values.get("phase") != "done":
        n = len(values.get("answers", {}))
        print(f"(The interview is still in progress, {n}/12 answered; this answer uses what you have said so far.)")
    sys.stdout.write(printable(render_answer(ans)) + "\n")
    return EXIT_OK
