"""The terminal view of `aiops-assess doctor`: what the chat will run on, the models in the order
they are tried, then one line per finding, problems first."""

from __future__ import annotations

from typing import Any

from agent.faces.doctor_models import ChatPlan, ModelCheck
from agent.faces.doctor_report import DoctorReport
from agent.faces.exits import EXIT_FAILED, EXIT_OK

_RANK = {"ok": 0, "warning": 1, "problem": 2}
_STYLE = {"ok": "green", "warning": "yellow", "problem": "bold red"}
_AREA = {"chat": "chat", "model": "model", "tracing": "tracing", "index": "index", "data_dir": "data dir",
         "web_auth": "web login", "config": "config"}


def render(report: DoctorReport, console: Any = None) -> None:
    """The report for a terminal: what the chat will run on, the models, one line per finding."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    mode = ("online: each model and Langfuse were sent a test request" if report.online
            else "offline: nothing was sent (add --online to send each model a test request)")
    console.print(f"[bold]aiops-assess doctor[/] · config {escape(report.config.path)} · {mode}")
    if report.chat is not None:
        console.print(escape(_chat_sentence(report.chat)))
    if report.models:
        console.print("\n[bold]Models[/], in the order they are tried:")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for m in report.models:
            grid.add_row("  " + escape(m.model), escape(" · ".join(_model_facts(m))))
        console.print(grid)
    console.print("\n[bold]Checks[/]:")
    lines = Table.grid(padding=(0, 2))
    lines.add_column(no_wrap=True)
    lines.add_column(no_wrap=True)
    lines.add_column()
    for f in sorted(report.findings, key=lambda f: -_RANK[f.status]):  # stable: problems first, then in order
        subject = f"{f.subject}: " if f.area == "model" else ""
        label = "Fix" if f.status != "ok" else "Tip"
        text = escape(f"{subject}{f.message}") + (f" [dim]{label}:[/] {escape(f.fix)}" if f.fix else "")
        lines.add_row(f"  [{_STYLE[f.status]}]{f.status}[/]", _AREA.get(f.area, f.area), text)
    console.print(lines)
    verdict = (f"{report.problems} problem{'s' if report.problems != 1 else ''}, "
               f"{report.warnings} warning{'s' if report.warnings != 1 else ''}")
    code = EXIT_FAILED if report.problems else EXIT_OK
    console.print(f"\n[{_STYLE[report.status]}]{verdict}[/] (exit code {code}).")


def _chat_sentence(plan: ChatPlan) -> str:
    if plan.model is None:
        return f"The chat will not start: {plan.reason}."
    then = "".join(f", then {m}" for m in plan.fallbacks)
    why = f" because {plan.reason}" if plan.reason else ""
    return f"The chat will start on {plan.model}{then}{why}."


def _model_facts(m: ModelCheck) -> list[str]:
    role = m.role.replace("_", " ")
    if m.known_to_litellm is None:
        return [role, "built in", "no key", "free", f"structured output {m.structured_output}"]
    key = ("no key needed" if m.key_set is None else
           f"{m.key_env[0] if m.key_env else 'key'} {'set' if m.key_set else 'NOT SET'}")
    facts = [role + (f" via {m.api_base}" if m.api_base else ""), key,
             "LiteLLM knows it" if m.known_to_litellm else "UNKNOWN to LiteLLM"]
    if not m.known_to_litellm:
        return facts
    if m.input_usd_per_1m is None or m.output_usd_per_1m is None:
        facts.append("no price in LiteLLM's map")
    else:
        facts.append(f"{_usd(m.input_usd_per_1m)} / {_usd(m.output_usd_per_1m)} per 1M tokens in / out")
    facts.append(f"retires {m.deprecation_date}" if m.deprecation_date else "no retirement date")
    facts.append(f"structured output {m.structured_output}")
    if m.probe is None:
        facts.append("test request not sent")
    else:
        facts.append(f"answered in {m.probe.latency_ms:,.0f} ms" if m.probe.answered else "test request FAILED")
    return facts


def _usd(amount: float) -> str:
    if amount == 0:
        return "free"
    return f"${amount:.2f}" if amount >= 0.1 else f"${amount:.3g}"
