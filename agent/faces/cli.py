"""`aiops-assess`: the command line, dispatching to the faces (terminal chat, web, session and
index commands, evaluation).

Only argument parsing and error messages live here. Heavy modules are imported inside the
commands, so `chat` prints its first question at once.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import datetime

from agent.faces.exits import EXIT_OK, EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aiops-assess", description="AI Operations Maturity assessment agent")
    p.add_argument("--config", help="config file (default: config.yaml, or AIOPS_CONFIG)")
    # Not `required`: a bare `aiops-assess` (or `aiops-assess index`) shows the help instead of an
    # argparse error about a missing argument (see main).
    p.set_defaults(print_help=p.print_help)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    c = sub.add_parser("chat", help="run (or resume) an interview")
    c.add_argument("--session", help="session name to start or resume (default: a new one)")
    c.add_argument("--org", help="the organization being assessed: the session joins its round (see `org`)")
    c.add_argument("--respondent", help="who answers (with --org): one person's later session supersedes "
                                        "their earlier one in the round")
    c.add_argument("--role", help="the respondent's role (with --org), e.g. \"Security lead\"")
    c.add_argument("--round", help="the assessment round (with --org), e.g. 2026-Q4 (default: the current quarter)")
    c.add_argument("--dimensions", metavar="DIMS",
                   help="ask only about these dimensions (with --org), e.g. security,cost")
    sub.add_parser("sessions", help="list sessions with progress and level")
    r = sub.add_parser("report", help="print a session's report")
    r.add_argument("--session", required=True)
    r.add_argument("--format", choices=["md", "json", "html"], default="md")
    r.add_argument("--out", metavar="FILE", help="write the report to FILE instead of printing it")
    from agent.faces.org_commands import add_org_parser

    add_org_parser(sub)
    from agent.faces.storage_commands import add_storage_parser

    add_storage_parser(sub)
    a = sub.add_parser("ask", help="ask a follow-up question about a session (next steps, KPIs, scores)")
    a.add_argument("question")
    a.add_argument("--session", required=True)
    a.add_argument("--json", action="store_true")
    ix = sub.add_parser("index", help="the retrieval index over the maturity model and your documents")
    ix.set_defaults(print_help=ix.print_help)
    isub = ix.add_subparsers(dest="index_command", metavar="SUBCOMMAND")
    ib = isub.add_parser("build", help="build the index (only what changed, unless --force)")
    ib.add_argument("--force", action="store_true", help="drop and rebuild from scratch")
    ist = isub.add_parser("status", help="what is indexed, where, with which embedder")
    ist.add_argument("--json", action="store_true")
    ia = isub.add_parser("add", help="add your organization's Markdown or text documents")
    ia.add_argument("paths", nargs="+", metavar="PATH")
    ir = isub.add_parser("remove", help="remove an added document (by the name `index status` shows)")
    ir.add_argument("name")
    w = sub.add_parser("web", help="serve the chat in a browser (127.0.0.1 by default)")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    w.add_argument("--port", type=int, default=7860)
    w.add_argument("--auth", metavar="USER:PASS", help="require these logins: USER:PASS, several separated by "
                                                      "commas (or set AIOPS_WEB_AUTH)")
    w.add_argument("--insecure", action="store_true", help="allow a non-loopback --host without --auth")
    w.add_argument("--session", help="print a link that opens (starts or resumes) this session")
    e = sub.add_parser("eval", help="score the agent against recorded interviews (metrics, report, thresholds)")
    from agent.faces.eval_command import add_arguments

    add_arguments(e)
    ev = sub.add_parser("eval-retrieval", help="recall@1, recall@5 and MRR on labelled queries")
    ev.add_argument("path", nargs="?", help="query file (default: evals/retrieval.yaml)")
    ev.add_argument("--split", choices=["dev", "test", "holdout"])
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--verbose", "-v", action="store_true", help="list the misses")
    d = sub.add_parser(
        "doctor", help="check the set-up before an interview: models, keys, tracing, index, data folder",
        description="Say what will happen when an interview starts: the configured model and its fallbacks "
                    "(key set, known to LiteLLM, price, retirement date, structured-output mode), Langfuse "
                    "tracing, the retrieval index, the data folder, the web login and the config file. Each "
                    "line is ok, a warning or a problem with the fix. Exit code 1 when there is a problem.",
    )
    d.add_argument("--online", action="store_true",
                   help="also send each model a short test request and check that the Langfuse server "
                        "answers (off by default: without it nothing leaves the machine)")
    d.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def new_session_name() -> str:
    """A default session name: readable (the day it started) and unguessable (48 random bits), since
    a name is all it takes to open a session from a shared web page."""
    return f"session-{datetime.now():%Y%m%d}-{secrets.token_hex(6)}"


def _retrieval_errors() -> tuple[type[Exception], ...]:
    """Errors a user can cause or fix in the index and the evaluation; imported only when those
    modules were (chromadb is slow to import)."""
    errors: list[type[Exception]] = []
    if "agent.retrieval.retriever" in sys.modules:
        from agent.retrieval.embeddings import EmbedderUnavailable
        from agent.retrieval.retriever import CorpusMissing
        from agent.retrieval.store import IndexUnavailable

        errors += [CorpusMissing, EmbedderUnavailable, IndexUnavailable]
    if "agent.storage.database" in sys.modules:
        from agent.storage.database import StorageError

        errors.append(StorageError)
    if "agent.evaluation.interviews" in sys.modules:
        from agent.evaluation.interviews import InterviewFileError

        errors.append(InterviewFileError)
    if "agent.evaluation.langfuse_upload" in sys.modules:
        from agent.evaluation.langfuse_upload import LangfuseUploadError

        errors.append(LangfuseUploadError)
    return tuple(errors)


def _empty_session(args: argparse.Namespace) -> str | None:
    """The message for `--session ""` (or only spaces), which would otherwise start a new session
    under a made-up name (chat) or fail with a confusing "Invalid session name ''"."""
    name = getattr(args, "session", None)
    if name is None or name.strip():
        return None
    from agent.common.hints import command

    hint = ("or leave --session out to start a new session" if args.command in ("chat", "web")
            else f"`{command('sessions')}` lists the names")
    return f"--session needs a name, and {name!r} is empty: give one (e.g. --session acme-2026), {hint}."


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None or (args.command in ("index", "org", "storage")
                                and getattr(args, f"{args.command}_command") is None):
        args.print_help()  # bare `aiops-assess` (or `index`): say what it can do
        return EXIT_OK
    problem = _empty_session(args)
    if problem:
        print(f"aiops-assess: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from agent.common.config import ConfigError, load_settings
    from agent.common.datafile import DataFileError
    from agent.faces.org_commands import OrgUsageError
    from agent.faces.output import OutputError
    from agent.faces.storage_commands import StorageUsageError
    from agent.gateway.router import ModelUnavailable
    from agent.interview.store import SessionError

    user_errors: tuple[type[Exception], ...] = (ConfigError, SessionError, DataFileError, ModelUnavailable,
                                                OrgUsageError, OutputError, StorageUsageError)
    if args.command == "doctor":  # before the settings are loaded: an invalid config is one of its findings
        from agent.faces.doctor import run_doctor

        return run_doctor(args.config, online=args.online, as_json=args.json)
    try:
        settings = load_settings(args.config)
        if args.command == "chat":
            from agent.common.safe_text import printable
            from agent.faces.org_commands import chat_attachment
            from agent.faces.terminal import run_chat

            name = args.session or new_session_name()
            # The organization's name is printed and goes into the report: one line, no escapes.
            org = " ".join(printable(args.org, newlines=False).split()) if args.org else None
            return run_chat(settings, name, organization=org or None, attachment=chat_attachment(args, org or None))
        if args.command == "storage":
            from agent.faces.storage_commands import migrate

            return migrate(settings, args)
        if args.command == "org":
            from agent.faces.org_commands import run_org

            return run_org(settings, args)
        if args.command == "web":
            from agent.faces.web.serve import serve

            return serve(settings, args.host, args.port, args.auth, args.insecure, args.session)
        if args.command == "sessions":
            from agent.faces.session_commands import print_sessions

            return print_sessions(settings)
        if args.command == "ask":
            from agent.faces.session_commands import ask

            return ask(settings, args.session, args.question, args.json)
        if args.command == "index":
            from agent.faces import index_command as index_cli

            if args.index_command == "status":
                return index_cli.print_status(settings, args.json)
            if args.index_command == "build":
                return index_cli.build(settings, args.force)
            if args.index_command == "add":
                return index_cli.add(settings, args.paths)
            return index_cli.remove(settings, args.name)
        if args.command == "eval":
            from agent.faces.eval_command import run_eval

            return run_eval(settings, args)
        if args.command == "eval-retrieval":
            from agent.faces import index_command as index_cli

            return index_cli.eval_retrieval(settings, args.path, args.split, args.json, args.verbose)
        from agent.faces.session_commands import print_report

        return print_report(settings, args.session, args.format, args.out)
    except Exception as exc:
        # The index's and the evaluation's errors are known only once those modules were imported
        # (chromadb is slow to import); anything else is a bug and keeps its traceback.
        if not isinstance(exc, (*user_errors, *_retrieval_errors())):
            raise
        print(f"aiops-assess: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
