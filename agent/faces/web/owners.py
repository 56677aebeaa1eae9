"""Which sessions the web page may open: those it created, and with logins only the logged-in
user's own.

The owner is written once, when the page creates a session (its first reply), to a small JSON file
beside the session file (`NAME.owner.json` next to `NAME.sqlite`). Beside it rather than in the
graph state because the rule belongs to the web face alone: the terminal, `report` and `ask` have
file access to every session anyway, and the check runs before the session is opened, so a session
the page may not open is never loaded into the page's pool. A session without such a file was
created elsewhere (the terminal, an evaluation) and is refused by the page, unless the person
running the server shares it with `aiops-assess web --session NAME`.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from agent.interview.store import check_name, session_path

log = logging.getLogger(__name__)

WEB = "web"
# Sessions the page created before owners were recorded: its own `web-<12 hex digits>` names. They
# have no user, so they open only on a page without logins.
_OLDER_WEB_NAME = re.compile(r"web-[0-9a-f]{12}")


def owner_path(sessions_dir: Path, name: str) -> Path:
    """The owner file of a session."""
    return sessions_dir / f"{check_name(name)}.owner.json"


def read_owner(sessions_dir: Path, name: str) -> dict | None:
    """{"face": ..., "user": ...} of a session, or None when none was recorded (or it is unreadable)."""
    try:
        data = json.loads(owner_path(sessions_dir, name).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        log.warning("Unreadable owner file for session %s", name, exc_info=True)
        return None
    return data if isinstance(data, dict) else None


def record_owner(sessions_dir: Path, name: str, user: str | None) -> None:
    """Record that the web page created this session, for `user` (None without logins). Called as
    the page creates the session: an owner file left behind by a deleted session is replaced."""
    path = owner_path(sessions_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"face": WEB, "user": user}), encoding="utf-8")


def may_open(sessions_dir: Path, name: str, user: str | None) -> bool:
    """Whether the web page, for `user` (None without logins), may open the session `name`: a name
    not in use yet (the first reply creates it, for this user), or a session the page created for
    this same user."""
    if not session_path(sessions_dir, name).exists():
        return True
    owner = read_owner(sessions_dir, name)
    if owner is None:
        return user is None and _OLDER_WEB_NAME.fullmatch(name) is not None
    return owner.get("face") == WEB and owner.get("user") == user
