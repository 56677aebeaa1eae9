"""What the web page shows, rendered from a session's state (pure: no Gradio, no I/O).

The panels are small HTML fragments styled by `CSS`; everything that came from a person (their
quotes) or from configuration is escaped. Chat messages are Markdown the browser renders: a
person's own messages are shown as text (`md_text`), ours, which quote them, pass through
`md_safe` (no raw HTML, no images, no links that run code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from agent.common.config import Settings
from agent.common.hints import command
from agent.common.providers import SELF_HOSTED, is_offline, provider_of
from agent.common.safe_text import md_safe, md_text
from agent.core.answers import progress_line, scores_line
from agent.core.attachment import in_scope
from agent.core.phrasing import load_phrasing
from agent.core.rubric import Rubric
from agent.core.scoring import Assessment, level_text, score

CSS = """
#aiops-progress .answered { font-size: 1.05rem; margin-bottom: .3rem; }
#aiops-progress .meter, #aiops-progress .bar { display: block; position: relative; height: .6rem;
  background: var(--neutral-200, #e5e7eb); border-radius: .3rem; overflow: hidden; }
#aiops-progress .meter > span, #aiops-progress .bar > .fill { display: block; height: 100%;
  background: var(--color-accent, #f97316); border-radius: .3rem; transition: width .3s; }
#aiops-progress .bar > .fill { background: #2563eb; }
#aiops-progress .bar > .target { position: absolute; top: 0; bottom: 0; width: 2px; background: #111827; }
#aiops-progress .dims { margin-top: .8rem; display: grid; grid-template-columns: 8.5rem 1fr 3rem 2.5rem;
  gap: .35rem .5rem; align-items: center; font-size: .9rem; }
#aiops-progress .dim { display: contents; }
#aiops-progress .dim-val, #aiops-progress .dim-n { text-align: right; font-variant-numeric: tabular-nums; }
#aiops-progress .dim-n { color: var(--body-text-color-subdued, #6b7280); }
#aiops-progress .total { margin-top: .7rem; font-size: .9rem; }
#aiops-progress .legend { font-size: .75rem; color: var(--body-text-color-subdued, #6b7280); margin-top: .3rem; }
#aiops-confirm ol { padding-left: 1.2rem; margin: .4rem 0; }
#aiops-confirm li { margin: .35rem 0; }
#aiops-confirm li.missing { color: var(--body-text-color-subdued, #6b7280); }
#aiops-confirm q { font-style: italic; }
#aiops-confirm .hint { font-size: .9rem; }
#aiops-notice { font-size: .9rem; }
"""


def model_notice(model: str, settings: Settings, notice: str | None = None) -> str:
    """Which model reads the replies and where they go (Markdown, one or two lines)."""
    prov = provider_of(model)
    if is_offline(model):
        text = (f"Model: **{model}**, the built-in offline engine: it runs on this server and your replies "
                "are not sent anywhere else.")
    elif settings.api_base:
        text = f"Model: **{model}** via `{settings.api_base}`: your replies are sent to that endpoint."
    elif prov in SELF_HOSTED:
        text = f"Model: **{model}**, served by a {prov} server you run: your replies are sent to it."
    else:
        text = (f"Model: **{model}**, hosted by {prov or 'its provider'}: your replies are sent to "
                f"{prov or 'that provider'} to be read.")
    if notice:
        text += f"  \n_{notice}_"
    return text


def assessment_of(rubric: Rubric, answers: Mapping[str, dict]) -> Assessment:
    return score(rubric, {k: v["score"] for k, v in answers.items()})


def progress_html(rubric: Rubric, answers: Mapping[str, dict], rev: int = 0,
                  scope: Sequence[str] | None = None) -> str:
    """Answered n/12 (of the questions asked: a respondent in an organization round may be asked
    about some dimensions only, `scope`), a bar per dimension (score so far out of 5, with the
    target level marked), and the total and level so far."""
    a = assessment_of(rubric, answers)
    asked = in_scope(rubric, scope)
    n, total_q = sum(1 for q in asked if q in a.answers), len(asked)
    yours = ""
    if scope:
        yours = " · your dimensions: " + escape(", ".join(d.name for d in rubric.dimensions if d.id in scope))
    rows = []
    for d in a.dimensions:
        if scope and d.dimension not in scope:
            continue
        count = len(d.answered) + len(d.missing)
        width = 0 if d.score is None else d.score / 5 * 100
        value = "—" if d.score is None else f"{d.score:.1f}"
        rows.append(
            f'<div class="dim" data-dim="{escape(d.dimension)}" data-score="{value}">'
            f'<span class="dim-name">{escape(d.name)}</span>'
            f'<span class="bar"><span class="fill" style="width:{width:.0f}%"></span>'
            f'<span class="target" style="left:{d.target / 5 * 100:.0f}%"></span></span>'
            f'<span class="dim-val">{value}</span><span class="dim-n">{len(d.answered)}/{count}</span></div>'
        )
    return (
        f'<div class="progress" data-answered="{n}" data-rev="{rev}">'
        f'<div class="answered"><b>{n}/{total_q}</b> answered{yours}</div>'
        f'<div class="meter"><span style="width:{n / total_q * 100:.0f}%"></span></div>'
        f'<div class="dims">{"".join(rows)}</div>'
        f'<div class="legend">Bars: dimension score so far (0–5); the black tick marks the target, '
        f'Level {a.target_level}.</div>'
        f'<div class="total">Total so far <b>{a.total}/60</b> · {escape(level_text(rubric, a))}</div>'
        f'</div>'
    )


def confirm_html(rubric: Rubric, answers: Mapping[str, dict], scope: Sequence[str] | None = None) -> str:
    """The understanding-confirmation step as a list: every question asked (those of `scope` when
    given), what we understood and the person's own words, or that it is unanswered."""
    items = []
    asked = set(in_scope(rubric, scope))
    for q in rubric.questions:
        if q.id not in asked:
            continue
        rec = answers.get(q.id)
        if rec is None:
            items.append(f'<li class="missing" data-q="{q.id}"><b>{q.id} · {escape(q.topic)}</b>: '
                         f'not answered ({escape(q.text)})</li>')
            continue
        quote = " ".join(str(rec.get("evidence", "")).split())
        said = f'<br>you said: <q>{escape(quote)}</q>' if quote else ""
        items.append(f'<li data-q="{q.id}" data-score="{rec["score"]}"><b>{q.id} · {escape(q.topic)}</b>: '
                     f'{escape(q.label(rec["score"]))} <b>({rec["score"]}/5)</b>{said}</li>')
    return (
        '<div class="confirm"><h3>Please check what I understood</h3>'
        f'<ol>{"".join(items)}</ol>'
        '<p class="hint">Something wrong or missing? Type the correction in the chat in your own words, '
        'e.g. “actually we do have automatic failover now”; the list updates. When it is right, press '
        '<b>Yes, write my report</b> (or reply “yes”).</p></div>'
    )


def report_card(rubric: Rubric, result: Mapping | None, session: str) -> str:
    """What the chat shows in place of the full report (which is rendered below the chat)."""
    if not result:
        return "**Your report is ready.** It is shown below the chat, with downloads."
    a = Assessment.model_validate(result["assessment"])
    partial = " (partial: some questions were not answered)" if a.missing else ""
    return (f"**Your report is ready: {level_text(rubric, a)}, total {a.total}/60{partial}.**\n\n"
            "The full report is below the chat, with Markdown, JSON and HTML downloads "
            f"(also: `{command(f'report --session {session}')}`).\n\n"
            "Ask me about next steps here: “what should we do first?”, “which KPIs should we track?”, "
            "“how do we get to the next level on cost?”, “why did I get a 1 on tracing?”")


def chat_message(role: str, content: str) -> dict:
    """One chat message as the page shows it: a person's words as text, ours made safe."""
    return {"role": role, "content": md_text(content) if role == "user" else md_safe(content)}


def chat_messages(rubric: Rubric, values: Mapping, session: str) -> list[dict]:
    """The conversation for the chat, from the session's state (the report as a short card)."""
    report_md = values.get("report_md")
    out = []
    for m in values.get("messages", []):
        content = m["content"]
        if report_md and m["role"] == "assistant" and content == report_md:
            content = report_card(rubric, values.get("result"), session)
        out.append(chat_message(m["role"], content))
    return out


def status_text(rubric: Rubric, answers: Mapping[str, dict]) -> str:
    """/status in the chat: progress and scores so far."""
    return f"{progress_line(rubric, answers)}\n\n{scores_line(rubric, answers)}"


MAX_CHOICE_BUTTONS = 5


def choice_buttons(rubric: Rubric, pending: Mapping | None) -> list[str]:
    """Button labels for a closed question: its numbered options plus "something else", or yes/no
    to confirm an answer read from an earlier reply; [] when no closed question is open."""
    if not pending:
        return []
    if pending.get("kind") == "verify":
        return ["Yes, that's right", "No, not quite"]
    if pending.get("kind") != "options" or len(pending.get("sets") or {}) > 1:
        return []  # two lists at once: typed as "2, 1"
    phrasing = load_phrasing()
    qid = pending["question"]
    opts = [f"{i}. {phrasing.plain_option(qid, s)}" for i, s in enumerate(pending.get("options", []), 1)]
    return [*opts, f"{len(opts) + 1}. Something else"][:MAX_CHOICE_BUTTONS]


def choice_reply(index: int, label: str) -> str:
    """What a choice button sends: its number for an option, the words for yes/no."""
    number = label.split(".", 1)[0]
    return number if number.isdigit() else label
