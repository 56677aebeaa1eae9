"""`aiops-assess storage migrate --to URL`: move the embedded SQLite storage (sessions and the
organization store under data_dir) onto a server database, then point storage.url at it."""

from __future__ import annotations

import argparse
from typing import Any

from agent.common.config import Settings
from agent.faces.exits import EXIT_OK


class StorageUsageError(Exception):
    """`storage migrate` cannot be carried out as given; the message names the fix."""


def add_storage_parser(sub: Any) -> None:
    s = sub.add_parser("storage", help="move sessions and organizations to a server database")
    s.set_defaults(print_help=s.print_help)
    ssub = s.add_subparsers(dest="storage_command", metavar="SUBCOMMAND")
    m = ssub.add_parser("migrate", help="copy the SQLite sessions and organization store under data_dir into "
                                        "a Postgres database (postgresql://…)")
    m.add_argument("--to", required=True, metavar="URL", help="the target, e.g. postgresql://aiops@db/aiops")
    m.add_argument("--session", action="append", dest="sessions", metavar="NAME",
                   help="only this session (repeatable; default: all)")


def migrate(settings: Settings, args: argparse.Namespace) -> int:
    from agent.interview.backends import PostgresSessions, SqliteSessions
    from agent.interview.transfer import copy_sessions
    from agent.storage.database import is_postgres
    from agent.storage.transfer import copy_store

    if not is_postgres(args.to):
        raise StorageUsageError(f"--to must be a postgresql:// URL (got {args.to.split(':', 1)[0]}:…): the "
                                "SQLite files under data_dir are what is moved.")
    if settings.storage.url:
        raise StorageUsageError("storage.url is already set: migrate from the embedded storage (unset "
                                "storage.url / AIOPS_STORAGE__URL for this command).")
    target = PostgresSessions(args.to)
    moved = copy_sessions(SqliteSessions(settings.sessions_dir), target, args.sessions)
    print(f"Sessions: {len(moved.copied)} copied ({moved.checkpoints} checkpoints) to {target.where}"
          + (f"; {len(moved.skipped)} already there, left as they are: {', '.join(moved.skipped)}" if moved.skipped else ""))
    if (settings.data_dir / "organizations.sqlite").exists():
        rows = copy_store(settings.storage_url, args.to).rows
        print("Organization store: " + ", ".join(f"{n} {t}" for t, n in rows.items()))
    print(f"Now set storage.url: {target.where} in config.yaml (or AIOPS_STORAGE__URL). The SQLite files "
          "are left in place.")
    return EXIT_OK
