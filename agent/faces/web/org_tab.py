"""The web page's Organization tab: an organization's owners see a round (respondents and their
progress, the aggregate chart, the level and the range the disagreements allow, who said what),
settle a question, read the history and download the round's report.

Who sees an organization: without logins (a loopback page), everyone sees every organization; with
logins, only the logins listed as its owners (`aiops-assess org owner ORG USER`). Anyone else asking
for it, or for one that does not exist, gets the same answer, so the page does not tell which names
exist. Everything from the store (names, roles, quotes, notes) is escaped before it is shown.
"""

from __future__ import annotations

import logging
import os
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from agent.app import App
from agent.common.safe_text import md_safe, md_text, printable
from agent.core.attachment import in_scope
from agent.core.org_names import OrgNameError, org_slug
from agent.core.rubric import Rubric
from agent.core.schemas import QUESTION_ID_SET
from agent.core.scoring import level_text
from agent.faces.web.start_screen import clean_field
from agent.storage.database import StorageError
from agent.storage.organizations import Organization, OrgStore, OrgSummary

log = logging.getLogger("agent.faces.web.org_tab")

WEB_SETTLER = "web"  # who settles on a page without logins

CSS = """
#aiops-org-summary table { border-collapse: collapse; margin: .4rem 0 .8rem; font-size: .9rem; }
#aiops-org-summary th, #aiops-org-summary td { border-bottom: 1px solid var(--neutral-200, #e5e7eb);
  padding: .25rem .6rem; text-align: left; vertical-align: top; }
#aiops-org-summary tr.superseded { color: var(--body-text-color-subdued, #6b7280); }
#aiops-org-summary .level { font-size: 1.05rem; }
#aiops-org-summary .disagreements li { margin: .3rem 0; }
#aiops-org-summary q { font-style: italic; }
#aiops-org-chart svg { max-width: 440px; width: 100%; height: auto; }
"""


class NotYours(Exception):
    """An organization this login may not see (or one that does not exist: said the same way)."""


def not_yours(ref: str, user: str) -> str:
    """The answer (Markdown) for an organization this login may not see, or that does not exist."""
    return (f"Organization “{md_text(clean_field(ref), newlines=False)}” is not one of yours (login "
            f"{md_text(user, newlines=False)}): you see the organizations whose owners include your login. "
            f"Whoever runs this server can add you with `aiops-assess org owner ORG {user}`.")


def _user(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request else None


def _write(path: Path, text: str) -> Path:
    """Write a download's file whole (a reader never sees half of it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    os.replace(tmp, path)
    return path


# -- what the tab shows (pure: from the round's view) ----------------------------------------------------


def summary_html(rubric: Rubric, view: Any) -> str:
    """Level, the level range the disagreements allow, respondents with their progress, and the
    disagreements with who said what (an OrgRoundView)."""
    agg = view.aggregate
    a = agg.assessment
    lo, hi = agg.level_range
    span = f"Level {lo}" if lo == hi else f"Level {lo}–{hi}"
    out = [f'<div class="org-round" data-org="{escape(view.organization.slug)}" data-round="{escape(view.round)}">',
           f"<h3>{escape(view.organization.name)} — round {escape(view.round)}</h3>",
           f'<p class="level"><b>{escape(level_text(rubric, a))}</b>, total <b>{a.total}/60</b> · '
           f'level range the disagreements allow: <b data-range="{lo}-{hi}">{span}</b></p>']
    if view.change:
        out.append(f'<p class="change">{escape(view.change.headline())}</p>')
    counting = len(view.counting)
    out += [f"<h4>Respondents ({counting} counting)</h4>",
            "<table class=\"respondents\"><tr><th>Respondent</th><th>Role</th><th>Answered</th><th>Phase</th>"
            "<th>Session</th></tr>"]
    for p in view.participations:
        asked = len(in_scope(rubric, p.scope))
        scope = f" ({', '.join(p.scope)})" if p.scope else ""
        phase = escape(p.phase) + (" · superseded by a later session" if p.superseded else "")
        out.append(f'<tr class="{"superseded" if p.superseded else "counting"}" data-session="{escape(p.session)}">'
                   f"<td>{escape(p.who)}</td><td>{escape(p.role or '—')}</td>"
                   f'<td data-answered="{p.answered}">{p.answered}/{asked}{escape(scope)}</td>'
                   f"<td>{phase}</td><td><code>{escape(p.session)}</code></td></tr>")
    out.append("</table>")
    out.append(f"<h4>Disagreements ({len(agg.disagreements)})</h4>")
    if not agg.disagreements:
        out.append("<p>Respondents differ by at most one option on every question.</p>")
    else:
        out.append('<ul class="disagreements">')
        for q in agg.disagreements:
            said = "".join(
                f"<li>{escape(x.respondent)}{' (' + escape(x.role) + ')' if x.role else ''}: <b>{x.score}</b>"
                + (f" — <q>{escape(x.quote)}</q>" if x.quote else "") + "</li>" for x in q.answers)
            if q.settlement:
                s = q.settlement
                settled = (f'<div class="settled">Settled at <b>{s.score}</b> by {escape(s.by)} on '
                           f"{escape(s.at[:10])}: {escape(s.note)}</div>")
            else:
                settled = '<div class="unsettled">Not settled yet.</div>'
            out.append(f'<li data-q="{q.question}"><b>{q.question} · {escape(q.topic)}</b> '
                       f"(range {q.low}–{q.high}, median {q.median})<ul>{said}</ul>{settled}</li>")
        out.append("</ul>")
    out.append(f"<p><small>{escape(agg.rule)}</small></p></div>")
    return "\n".join(out)


def chart_svg(view: Any) -> str:
    """The round's dimension chart (current against target, and the round before) as inline SVG."""
    from agent.reporting.html.chart import dimension_chart

    a = view.aggregate.assessment
    prev = view.previous.assessment if view.previous else None
    return dimension_chart([d.name for d in a.dimensions], [d.score for d in a.dimensions],
                           [d.target for d in a.dimensions], [d.score for d in prev.dimensions] if prev else None)


def settle_choices(view: Any | None) -> tuple[list[tuple[str, str]], str | None]:
    """The settle form's questions (disagreements marked) and the one to offer first."""
    if view is None:
        return [], None
    agg = view.aggregate
    labels = [(f"{q.question} · {q.topic}" + (" ⚠ disagreement" if q.disagreement else "")
               + (f" (settled at {q.settlement.score})" if q.settlement else ""), q.question) for q in agg.questions]
    first = next((q.question for q in agg.questions if q.disputed), None) or \
        next((q.question for q in agg.questions if q.disagreement), agg.questions[0].question)
    return labels, first


# -- the tab ---------------------------------------------------------------------------------------------


class OrgTab:
    """The Organization tab's components and handlers (one per page)."""

    def __init__(self, app: App, files_dir: Path) -> None:
        self.app = app
        self.rubric = app.rubric
        self.transitions = app.transitions
        self.files_dir = files_dir / "_organizations"  # no session is named so (names start alphanumeric)
        self.c: dict[str, Any] = {}

    @property
    def store(self) -> OrgStore:
        return self.app.org_store()

    # -- who sees what ---------------------------------------------------------------------------------
    def visible(self, user: str | None) -> list[OrgSummary]:
        """The organizations this login sees (every one without logins)."""
        orgs = self.store.list_orgs()
        return orgs if user is None else [o for o in orgs if user in o.owners]

    def allowed(self, ref: str, user: str | None) -> Organization:
        """The organization `ref` names, if this login may see it; NotYours otherwise (StorageError
        without logins, naming the organizations there are)."""
        if user is None:
            return self.store.org(ref)
        try:
            org = self.store.org(ref)
        except StorageError:
            org = None
        if org is None or user not in self.store.owners(org):
            raise NotYours(not_yours(ref, user))
        return org

    # -- handlers --------------------------------------------------------------------------------------
    def on_enter(self, org: str | None, rnd: str | None, request: gr.Request | None = None) -> dict:
        """The tab is opened: the organizations this login sees, and the chosen (or the invite
        link's, or the first) one's round."""
        user = _user(request)
        try:
            orgs = self.visible(user)
        except StorageError as exc:
            return self._render(None, None, user, [], message=str(exc))
        slugs = [o.organization.slug for o in orgs]
        pick = org if org in slugs else None
        if pick is None and request is not None:
            invited = clean_field(getattr(request, "query_params", {}).get("org"))
            try:
                pick = org_slug(invited) if invited and org_slug(invited) in slugs else None
            except OrgNameError:
                pick = None
        pick = pick or (slugs[0] if slugs else None)
        return self._render(pick, rnd if pick == org else None, user, orgs)

    def on_pick(self, org: str | None, request: gr.Request | None = None) -> dict:
        """Another organization chosen: its newest round."""
        return self._render(org, None, _user(request))

    def on_show(self, org: str | None, rnd: str | None, request: gr.Request | None = None) -> dict:
        """A round chosen, or Refresh."""
        return self._render(org, rnd, _user(request))

    def on_settle(self, org: str | None, rnd: str | None, qid: str | None, score: Any, note: str | None,
                  request: gr.Request | None = None) -> dict:
        """Settle a question's score for the round, recorded with the login (or "web") and the note."""
        user = _user(request)
        note = printable(note or "", newlines=False).strip()[:2000]
        qid = (qid or "").strip().lower()
        try:
            value = int(str(score).strip())
        except ValueError:
            value = -1
        if not org or not rnd:
            return self._render(org, rnd, user, message="Choose an organization and a round first.")
        if qid not in QUESTION_ID_SET:
            return self._render(org, rnd, user, message="Choose the question to settle (q1..q12).", keep_note=note)
        if not 0 <= value <= 5:
            return self._render(org, rnd, user, message="Choose the settled score, 0 to 5.", keep_note=note)
        if not note:
            return self._render(org, rnd, user, message="A settlement needs a note saying why: the report shows it.",
                                keep_note=note)
        try:
            found = self.allowed(org, user)
            name = self.store.round(found, rnd)
            s = self.store.settle(found, name, qid, value, note, user or WEB_SETTLER)
        except NotYours as exc:
            return self._render(None, None, user, message=str(exc))
        except StorageError as exc:
            return self._render(org, rnd, user, message=md_text(str(exc)), keep_note=note)
        return self._render(org, rnd, user, message=f"Settled {qid} at {s.score} by {md_text(s.by, newlines=False)}.")

    # -- rendering -------------------------------------------------------------------------------------
    def _render(self, org: str | None, rnd: str | None, user: str | None, orgs: list[OrgSummary] | None = None,
                message: str | None = None, keep_note: str = "") -> dict:
        """Every output of the tab for the organization `org` (a slug or name) and round `rnd` (None:
        the newest)."""
        c = self.c
        out: dict[Any, Any] = {c["message"]: message or "", c["summary"]: "", c["chart"]: "", c["history"]: "",
                               c["note"]: keep_note, c["settle_col"]: gr.update(visible=False),
                               c["settle_q"]: gr.update(choices=[], value=None),
                               **{c[k]: gr.update(value=None, visible=False) for k in ("dl_md", "dl_json", "dl_html",
                                                                                        "dl_csv")}}
        try:
            if orgs is None:
                orgs = self.visible(user)
        except StorageError as exc:
            orgs, message = [], str(exc)
        choices = [(o.organization.name, o.organization.slug) for o in orgs]
        out[c["org"]] = gr.update(choices=choices, value=None)
        out[c["round"]] = gr.update(choices=[], value=None)
        if not org:
            if not orgs and not message:
                message = ("No organizations yet: an interview started with an Organization filled in joins "
                           "its round." if user is None else
                           f"No organization lists your login ({md_text(user, newlines=False)}) as an owner yet. "
                           f"Whoever runs this server can add you with `aiops-assess org owner ORG {user}`.")
            out[c["message"]] = message or ""
            return out
        try:
            found = self.allowed(org, user)
            rounds = self.store.rounds(found)
            name = self.store.round(found, rnd or None)
            view = self._view(found, name)
        except NotYours as exc:
            out[c["message"]] = str(exc)
            return out
        except StorageError as exc:
            out[c["message"]] = md_text(str(exc), newlines=False)
            return out
        except Exception:
            log.exception("Could not show organization %r round %r", org, rnd)
            out[c["message"]] = "Sorry, this round could not be shown (the error is in the server log)."
            return out
        if found.slug not in [v for _, v in choices]:  # without logins, one not listed yet
            choices.append((found.name, found.slug))
        out[c["org"]] = gr.update(choices=choices, value=found.slug)
        out[c["round"]] = gr.update(choices=list(reversed(rounds)), value=name)
        out[c["summary"]] = summary_html(self.rubric, view)
        try:
            out[c["chart"]] = f'<div class="org-chart">{chart_svg(view)}</div>'
        except Exception:
            log.exception("Could not draw the chart of %s %s", found.slug, name)
            out[c["chart"]] = "<p>The chart could not be drawn (the error is in the server log).</p>"
        try:
            out[c["history"]] = self._history(found)
        except Exception:
            log.exception("Could not write the history of %s", found.slug)
        labels, first = settle_choices(view)
        out[c["settle_q"]] = gr.update(choices=labels, value=first)
        out[c["settle_col"]] = gr.update(visible=True)
        for key, path in self._files(found, name, view).items():
            out[c[key]] = gr.update(value=str(path), visible=True)
        return out

    def _view(self, org: Organization, name: str) -> Any:
        from agent.reporting.org.view import build_round_view

        return build_round_view(self.store, self.rubric, self.transitions, org.slug, name)

    def _history(self, org: Organization) -> str:
        from agent.reporting.org.markdown import render_history
        from agent.reporting.org.view import build_history

        return md_safe(render_history(self.rubric, build_history(self.store, self.rubric, self.transitions, org.slug)))

    def _files(self, org: Organization, name: str, view: Any) -> dict[str, Path]:
        """The round's downloads, written afresh (the round changes as respondents answer)."""
        from agent.reporting.org import export, markdown

        folder = self.files_dir / org.slug / name
        stem = f"aiops-{org.slug}-{name}"
        makers = {
            "dl_md": ("md", lambda: markdown.render_round(self.rubric, view)),
            "dl_json": ("json", lambda: export.round_json(view)),
            "dl_html": ("html", lambda: self._html(view)),
            "dl_csv": ("csv", lambda: export.round_csv(self.rubric, [view])),
        }
        out: dict[str, Path] = {}
        for key, (ext, make) in makers.items():
            try:
                out[key] = _write(folder / f"{stem}.{ext}", make())
            except Exception:
                log.exception("Could not write the %s download of %s %s", ext, org.slug, name)
        return out

    def _html(self, view: Any) -> str:
        from agent.reporting.html.render import render_org_html

        return render_org_html(view, self.rubric, self.transitions)

    # -- layout ----------------------------------------------------------------------------------------
    def build(self, tab: Any) -> None:
        """The tab's components (inside `tab`, the current Blocks context) and their events."""
        c = self.c
        with gr.Row():
            c["org"] = gr.Dropdown(label="Organization", choices=[], value=None, interactive=True, scale=3,
                                   elem_id="aiops-org-pick")
            c["round"] = gr.Dropdown(label="Round", choices=[], value=None, interactive=True, scale=2,
                                     elem_id="aiops-org-round")
            refresh = gr.Button("Refresh", scale=1, min_width=80, elem_id="aiops-org-refresh")
        c["message"] = gr.Markdown(elem_id="aiops-org-message")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                c["summary"] = gr.HTML(elem_id="aiops-org-summary")
            with gr.Column(scale=2, min_width=320):
                c["chart"] = gr.HTML(elem_id="aiops-org-chart")
                with gr.Row():
                    c["dl_md"] = gr.DownloadButton("Markdown", visible=False, size="sm", elem_id="aiops-org-dl-md")
                    c["dl_json"] = gr.DownloadButton("JSON", visible=False, size="sm", elem_id="aiops-org-dl-json")
                    c["dl_html"] = gr.DownloadButton("HTML", visible=False, size="sm", elem_id="aiops-org-dl-html")
                    c["dl_csv"] = gr.DownloadButton("CSV", visible=False, size="sm", elem_id="aiops-org-dl-csv")
                with gr.Column(visible=False) as c["settle_col"]:
                    gr.Markdown("### Settle a question")
                    c["settle_q"] = gr.Dropdown(label="Question", choices=[], value=None, elem_id="aiops-settle-q")
                    c["score"] = gr.Dropdown(label="Settled score", choices=[str(i) for i in range(6)], value=None,
                                             elem_id="aiops-settle-score")
                    c["note"] = gr.Textbox(label="Why (shown in the report)", lines=2, max_lines=6,
                                           elem_id="aiops-settle-note")
                    settle = gr.Button("Settle", variant="primary", elem_id="aiops-settle")
        with gr.Accordion("History", open=False):
            c["history"] = gr.Markdown(elem_id="aiops-org-history")
        outputs = [c[k] for k in ("org", "round", "message", "summary", "chart", "history", "note", "settle_col",
                                  "settle_q", "dl_md", "dl_json", "dl_html", "dl_csv")]
        common: dict[str, Any] = {"outputs": outputs, "api_visibility": "private", "show_progress": "minimal"}
        tab.select(self.on_enter, inputs=[c["org"], c["round"]], **common)
        c["org"].input(self.on_pick, inputs=[c["org"]], **common)
        c["round"].input(self.on_show, inputs=[c["org"], c["round"]], **common)
        refresh.click(self.on_show, inputs=[c["org"], c["round"]], **common)
        settle.click(self.on_settle, inputs=[c["org"], c["round"], c["settle_q"], c["score"], c["note"]], **common)
