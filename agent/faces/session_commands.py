"""`aiops-assess sessions`, `report` and `ask`: reading saved sessions."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from agent.common.config import Settings
from agent.common.hints import command
from agent.faces.exits import EXIT_OK
from agent.interview.store import SessionError, SessionInfo, list_sessions, read_values


def session_info(settings: Settings, path: Path) -> SessionInfo:
    """Progress and level of one session file (errors reported in the info, not raised)."""
    from agent.core.rubric import load_rubric
    from agent.core.scoring import score

    info = SessionInfo(name=path.stem, path=str(path), updated=path.stat().st_mtime)
    try:
        values = read_values(settings.sessions_dir, path.stem)
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


def print_sessions(settings: Settings) -> int:
    from rich.console import Console
    from rich.table import Table

    files = list_sessions(settings.sessions_dir)
    console = Console()
    if not files:
        console.print(f"No sessions yet in {settings.sessions_dir}. Start one: {command('chat --session NAME')}")
        return EXIT_OK
    table = Table(title=f"Sessions in {settings.sessions_dir}")
    for col in ("session", "progress", "phase", "level", "total", "updated"):
        table.add_column(col)
    for path in files:
        i = session_info(settings, path)
        if i.error:
            table.add_row(i.name, "—", "unreadable", "—", "—", i.error)
            continue
        level = "—" if i.level is None else f"L{i.level}" + ("" if i.answered == 12 else " (partial)")
        table.add_row(i.name, f"{i.answered}/12", i.phase, level, f"{i.total}/60",
                      datetime.fromtimestamp(i.updated).strftime("%Y-%m-%d %H:%M"))
    console.print(table)
    return EXIT_OK


def print_report(settings: Settings, name: str, fmt: str) -> int:
    """Print a finished session's report; for an unfinished one, the partial report so far."""
    from agent.core.rubric import load_rubric
    from agent.core.transitions import load_transitions
    from agent.reporting.export import report_text

    values = read_values(settings.sessions_dir, name)
    if not values:
        raise SessionError(f"Session '{name}' has not started yet. Run: {command(f'chat --session {name}')}")
    sys.stdout.write(report_text(name, values, fmt, load_rubric(), load_transitions()) + "\n")
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
    values = read_values(settings.sessions_dir, name)
    if not values.get("answers"):
        raise SessionError(f"Session '{name}' has no answers yet. Run: {command(f'chat --session {name}')}")
    app = App(settings)
    if app.gateway.notice:
        print(f"note: {app.gateway.notice}", file=sys.stderr)
    ans, _calls = answer_followup(app.reporting(), values, question)
    if as_json:
        sys.stdout.write(ans.model_dump_json(indent=2) + "\n")
        return EXIT_OK
    if values.get("phase") != "done":
        n = len(values.get("answers", {}))
        print(f"(The interview is still in progress, {n}/12 answered; this answer uses what you have said so far.)")
    sys.stdout.write(render_answer(ans) + "\n")
    return EXIT_OK
