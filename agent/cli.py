"""The terminal face: `aiops-assess chat | sessions | report`.

Only argument parsing, input/output and error messages live here; the interview itself is the
graph, driven through agent.interview. Heavy modules are imported inside the commands so the
first question appears at once.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130

HELP = """\
Answer in your own words; I map what you say onto the questionnaire.
  /status   answered questions and scores so far
  /skip     skip this question          /back    go back to the previous question
  /finish   review my understanding and get the report now
  /report   print the report (once finished)
  /quit     stop here; progress is saved (resume with --session NAME)
  /help     this help
You can also say "what are the options?", "why does this matter?" or "actually, we do have X now"."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aiops-assess", description="AI Operations Maturity assessment agent")
    p.add_argument("--config", help="config file (default: config.yaml, or AIOPS_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("chat", help="run (or resume) an interview")
    c.add_argument("--session", help="session name to start or resume (default: a new one)")
    c.add_argument("--org", help="the organization being assessed (shown in the report)")
    sub.add_parser("sessions", help="list sessions with progress and level")
    r = sub.add_parser("report", help="print a session's report")
    r.add_argument("--session", required=True)
    r.add_argument("--format", choices=["md", "json"], default="md")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from agent.config import ConfigError, load_settings
    from agent.llm import ModelUnavailable
    from agent.datafile import DataFileError
    from agent.sessions import SessionError

    try:
        settings = load_settings(args.config)
        if args.command == "chat":
            from agent.terminal import run_chat

            name = args.session or datetime.now().strftime("session-%Y%m%d-%H%M%S")
            return run_chat(settings, name, organization=args.org)
        if args.command == "sessions":
            from agent.session_cli import print_sessions

            return print_sessions(settings)
        from agent.session_cli import print_report

        return print_report(settings, args.session, args.format)
    except (ConfigError, SessionError, DataFileError, ModelUnavailable) as exc:
        print(f"aiops-assess: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
