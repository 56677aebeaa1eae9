"""`aiops-assess sessions` and `aiops-assess report`: reading saved sessions."""

from __future__ import annotations

import sys

from agent.common.config import Settings
from agent.interview.store import SessionError, SessionInfo, list_sessions, open_checkpointer


def session_info(settings: Settings, path) -> SessionInfo:
    """Progress and level of one session file (errors reported in the info, not raised)."""
    from agent.core.scoring import score
    from agent.core.rubric import load_rubric

    info = SessionInfo(name=path.stem, path=str(path), updated=path.stat().st_mtime)
    try:
        values = _values(settings, path.stem)
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


def _values(settings: Settings, name: str) -> dict:
    from agent.interview.graph import build_graph

    with open_checkpointer(settings.sessions_dir, name, must_exist=True) as saver:
        graph = build_graph().compile(checkpointer=saver)
        return graph.get_state({"configurable": {"thread_id": name}}).values or {}


def print_sessions(settings: Settings) -> int:
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    files = list_sessions(settings.sessions_dir)
    console = Console()
    if not files:
        console.print(f"No sessions yet in {settings.sessions_dir}. Start one: aiops-assess chat --session NAME")
        return 0
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
    return 0


def print_report(settings: Settings, name: str, fmt: str) -> int:
    """Print a finished session's report; for an unfinished one, the partial report so far."""
    values = _values(settings, name)
    if not values:
        raise SessionError(f"Session '{name}' has not started yet. Run: aiops-assess chat --session {name}")
    sys.stdout.write(report_text(name, values, fmt) + "\n")
    return 0


def report_text(name: str, values: dict, fmt: str) -> str:
    """A session's report as Markdown or JSON (the partial one while the interview is in progress)."""
    if fmt == "md" and values.get("report_md"):
        return values["report_md"]
    from agent.reporting.report import AssessmentResult, render_json, render_markdown
    from agent.core.rubric import load_rubric
    from agent.core.transitions import load_transitions

    result = AssessmentResult.model_validate(values["result"]) if values.get("report_md") \
        else partial_result(name, values)
    rubric, transitions = load_rubric(), load_transitions()
    return render_json(result, rubric, transitions) if fmt == "json" else render_markdown(rubric, transitions, result)


def partial_result(name: str, values: dict):
    """An AssessmentResult for a session still in progress (marked partial by the scoring)."""
    from agent.reporting.report import UsageSummary, build_result
    from agent.core.rubric import load_rubric
    from agent.core.schemas import AnswerRecord

    return build_result(
        load_rubric(), name,
        {k: AnswerRecord.model_validate(v) for k, v in values.get("answers", {}).items()},
        model=values.get("model", "unknown"), organization=values.get("organization"), assessed_by="aiops-assess interview (in progress)",
        finished_early=True, usage=UsageSummary.from_calls(values.get("calls", [])),
        notes=["The interview is still in progress."],
    )


def ask(settings: Settings, name: str, question: str, as_json: bool = False) -> int:
    """Answer one follow-up question about a session (read-only: the session is not changed)."""
    from agent.interview.context import Services
    from agent.reporting.followup import render_answer
    from agent.reporting.followup_answer import answer_followup
    from agent.gateway.router import Gateway
    from agent.core.rubric import load_rubric

    question = " ".join(question.split())
    if not question:
        raise SessionError('The question is empty. Usage: aiops-assess ask "what should we do first?" --session NAME')
    values = _values(settings, name)
    if not values.get("answers"):
        raise SessionError(f"Session '{name}' has no answers yet. Run: aiops-assess chat --session {name}")
    gateway = Gateway(settings)
    if gateway.notice:
        print(f"note: {gateway.notice}", file=sys.stderr)
    svc = Services(settings=settings, rubric=load_rubric(), gateway=gateway, session=name)
    ans, _calls = answer_followup(svc, values, question)
    if as_json:
        sys.stdout.write(ans.model_dump_json(indent=2) + "\n")
        return 0
    if values.get("phase") != "done":
        n = len(values.get("answers", {}))
        print(f"(The interview is still in progress, {n}/12 answered; this answer uses what you have said so far.)")
    sys.stdout.write(render_answer(ans) + "\n")
    return 0
