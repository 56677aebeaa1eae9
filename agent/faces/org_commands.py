"""`aiops-assess org …`: organizations, their assessment rounds, the aggregated report, history,
settlements and the CSV export; and the `chat --org …` options that attach a session to a round.

Only argument handling lives here (heavy modules are imported inside the commands)."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING, Any

from agent.common.config import Settings
from agent.faces.exits import EXIT_OK

if TYPE_CHECKING:
    from agent.core.attachment import Attachment


class OrgUsageError(Exception):
    """An `org` command or a `chat --org` option that cannot be carried out as given."""


def add_org_parser(sub: Any) -> None:
    """The `org` command and its subcommands."""
    o = sub.add_parser("org", help="organizations: several respondents, rounds over time, the shared report")
    o.set_defaults(print_help=o.print_help)
    osub = o.add_subparsers(dest="org_command", metavar="SUBCOMMAND")
    ls = osub.add_parser("list", help="organizations with their rounds and respondents")
    ls.add_argument("--json", action="store_true")
    sh = osub.add_parser("show", help="a round's aggregated report: respondents, disagreements, change, actions")
    sh.add_argument("org", metavar="ORG", help="the organization's name or slug")
    sh.add_argument("--round", help="the round (default: the newest)")
    sh.add_argument("--format", choices=["md", "json", "html"], default="md")
    sh.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    hi = osub.add_parser("history", help="level, total and dimension scores per round, and what changed")
    hi.add_argument("org", metavar="ORG")
    hi.add_argument("--format", choices=["md", "json"], default="md")
    hi.add_argument("--out", metavar="FILE")
    st = osub.add_parser("settle", help="settle a question's score for a round (recorded with who and why)")
    st.add_argument("org", metavar="ORG")
    st.add_argument("question", metavar="QID", help="q1..q12")
    st.add_argument("score", metavar="SCORE", help="0..5")
    st.add_argument("--note", required=True, help="why (shown in the report)")
    st.add_argument("--round", help="the round (default: the newest)")
    st.add_argument("--by", help="who settles it (default: your user name)")
    ex = osub.add_parser("export", help="one CSV row per respondent × question, for spreadsheets and BI tools")
    ex.add_argument("org", metavar="ORG")
    ex.add_argument("--format", choices=["csv"], default="csv")
    ex.add_argument("--round", help="one round (default: every round)")
    ex.add_argument("--out", metavar="FILE")
    ow = osub.add_parser("owner", help="let a web login see the organization's rounds on the web page")
    ow.add_argument("org", metavar="ORG")
    ow.add_argument("user", metavar="USER", help="the web login's user name")
    iv = osub.add_parser("invite", help="a web link that starts a session in the round, with org, round and role filled in")
    iv.add_argument("org", metavar="ORG")
    iv.add_argument("--round", help="default: the current quarter")
    iv.add_argument("--role")
    iv.add_argument("--dimensions", metavar="DIMS", help="e.g. security,cost")
    iv.add_argument("--base-url", default="http://127.0.0.1:7860/", help="the web page's address")
    sy = osub.add_parser("sync", help="copy a session's answers to its round again (after a storage failure)")
    sy.add_argument("--session", required=True)


def chat_attachment(args: argparse.Namespace, org: str | None) -> Attachment | None:
    """The round `chat --org … [--respondent …] [--role …] [--round …] [--dimensions …]` joins."""
    extra = [f"--{k}" for k in ("respondent", "role", "round", "dimensions") if getattr(args, k, None)]
    if not org:
        if extra:
            raise OrgUsageError(f"{', '.join(extra)} need --org: the organization whose round the session joins, "
                                "e.g. --org \"Acme Retail\".")
        return None
    from agent.core.attachment import Attachment, ScopeError, parse_scope
    from agent.core.org_names import OrgNameError, org_slug, round_name
    from agent.core.rubric import load_rubric

    try:
        org_slug(org)
        rnd = round_name(args.round)
        scope = parse_scope(load_rubric(), args.dimensions)
    except (OrgNameError, ScopeError) as exc:
        raise OrgUsageError(str(exc)) from exc
    return Attachment(organization=org, round=rnd, respondent=args.respondent, role=args.role, scope=scope)


def run_org(settings: Settings, args: argparse.Namespace) -> int:
    """Carry out one `org` subcommand."""
    from agent.faces.output import write_output
    from agent.reporting.org import export, markdown
    from agent.reporting.org.view import build_history, build_round_view

    # Not the whole App (gateway, graph, index): reading and settling a round needs none of it, and
    # `org show` answers in well under a second this way.
    app = _OrgApp(settings)
    store = app.org_store()
    cmd = args.org_command
    if cmd == "list":
        return _list(store, args.json)
    if cmd == "show":
        view = build_round_view(store, app.rubric, app.transitions, args.org, args.round)
        if args.format == "json":
            text = export.round_json(view)
        elif args.format == "html":
            from agent.reporting.html.render import render_org_html

            text = render_org_html(view, app.rubric, app.transitions)
        else:
            text = markdown.render_round(app.rubric, view)
        write_output(text, args.out)
        return EXIT_OK
    if cmd == "history":
        history = build_history(store, app.rubric, app.transitions, args.org)
        write_output(export.history_json(history) if args.format == "json"
                     else markdown.render_history(app.rubric, history), args.out)
        return EXIT_OK
    if cmd == "settle":
        return _settle(app, args)
    if cmd == "export":
        org = store.org(args.org)
        rounds = [store.round(org, args.round)] if args.round else store.rounds(org)
        views = [build_round_view(store, app.rubric, app.transitions, org.slug, r) for r in rounds]
        write_output(export.round_csv(app.rubric, views), args.out)
        return EXIT_OK
    if cmd == "owner":
        org = store.org(args.org)
        store.add_owner(org, args.user.strip())
        print(f"{args.user.strip()} may now see {org.name}'s rounds on the web page (when logged in).")
        return EXIT_OK
    if cmd == "invite":
        return _invite(args)
    return _sync(app, args.session)


class _OrgApp:
    """What the `org` commands need: the rubric, the guides, the organization store, a session's state."""

    def __init__(self, settings: Settings) -> None:
        from agent.core.rubric import load_rubric
        from agent.core.transitions import load_transitions

        self.settings = settings
        self.rubric = load_rubric()
        self.transitions = load_transitions()

    def org_store(self) -> Any:
        from agent.storage.organizations import OrgStore

        return OrgStore(self.settings.storage_url)

    def read_session(self, name: str) -> dict:
        from agent.interview.backends import session_store

        return session_store(self.settings).read_values(name)


def _list(store: Any, as_json: bool) -> int:
    import json

    orgs = store.list_orgs()
    if as_json:
        print(json.dumps([o.model_dump(mode="json") for o in orgs], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not orgs:
        from agent.common.hints import command

        start = command('chat --org "Acme Retail" --respondent NAME --role ROLE')
        print(f"No organizations yet. Start one: {start}")
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Organizations", title_justify="left")
    for h in ("organization", "slug", "rounds", "newest round", "respondents", "web owners"):
        table.add_column(h)
    for o in orgs:
        table.add_row(Text(o.organization.name), Text(o.organization.slug), str(len(o.rounds)),
                      Text(o.rounds[-1] if o.rounds else "—"), str(o.respondents), Text(", ".join(o.owners) or "—"))
    Console().print(table)
    return EXIT_OK


def _settle(app: Any, args: argparse.Namespace) -> int:
    from agent.core.schemas import QUESTION_ID_SET

    qid = args.question.strip().lower()
    if qid not in QUESTION_ID_SET:
        raise OrgUsageError(f"{args.question!r} is not a question: use q1..q12.")
    try:
        score = int(args.score)
    except ValueError:
        score = -1
    if not 0 <= score <= 5:
        raise OrgUsageError(f"The score must be a whole number 0..5, not {args.score!r}.")
    store = app.org_store()
    org = store.org(args.org)
    rnd = store.round(org, args.round)
    by = (args.by or "").strip() or os.environ.get("AIOPS_USER") or getpass.getuser()
    s = store.settle(org, rnd, qid, score, args.note, by)
    print(f"{org.name} {rnd}: {qid} settled at {s.score} by {s.by} ({s.note}).")
    return EXIT_OK


def _invite(args: argparse.Namespace) -> int:
    from urllib.parse import urlencode

    from agent.core.attachment import ScopeError, parse_scope
    from agent.core.org_names import OrgNameError, clean_display, org_slug, round_name
    from agent.core.rubric import load_rubric

    try:
        org_slug(args.org)
        params = {"org": clean_display(args.org), "round": round_name(args.round)}
        if args.role:
            params["role"] = clean_display(args.role)
        scope = parse_scope(load_rubric(), args.dimensions)
    except (OrgNameError, ScopeError) as exc:
        raise OrgUsageError(str(exc)) from exc
    if scope:
        params["dimensions"] = ",".join(scope)
    base = args.base_url if args.base_url.endswith("/") else args.base_url + "/"
    print(base + "?" + urlencode(params))
    return EXIT_OK


def _sync(app: Any, session: str) -> int:
    values = app.read_session(session)
    store = app.org_store()
    if store.participation(session) is None:
        raise OrgUsageError(f"Session {session!r} is not part of an organization's round (start one with chat --org).")
    store.record(session, str(values.get("phase", "interview")), values.get("answers", {}))
    print(f"Copied {len(values.get('answers', {}))} answers of session {session} to its round.")
    return EXIT_OK
