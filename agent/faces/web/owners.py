"""Which sessions the web page may open: those it created, and with logins only the logged-in
user's own.

The owner is written once, when the page creates a session (its first reply), beside the session:
a small JSON file next to its SQLite file (`NAME.owner.json`), or a row in Postgres (see
agent.interview.backends). Beside it rather than in the
graph state because the rule belongs to the web face alone: the terminal, `report` and `ask` have
file access to every session anyway, and the check runs before the session is opened, so a session
the page may not open is never loaded into the page's pool. A session without such a file was
created elsewhere (the terminal, an evaluation) and is refused by the page, unless the person
running the server shares it with `aiops-assess web --session NAME`.
"""

from __future__ import annotations

import logging
import re

from agent.interview.backends import Sessions
from agent.interview.store import check_name

log = logging.getLogger(__name__)

WEB = "web"
# Sessions the page created before owners were recorded: its own `web-<12 hex digits>` names. They
# have no user, so they open only on a page without logins.
_OLDER_WEB_NAME = re.compile(r"web-[0-9a-f]{12}")


def record_owner(sessions: Sessions, name: str, user: str | None) -> None:
    """Record that the web page created this session, for `user` (None without logins). Called as
    the page creates the session: an owner left behind by a deleted session is replaced."""
    sessions.set_owner(name, WEB, user)


def may_open(sessions: Sessions, name: str, user: str | None) -> bool:
    """Whether the web page, for `user` (None without logins), may open the session `name`: a name
    not in use yet (the first reply creates it, for this user), or a session the page created for
    this same user."""
    check_name(name)
    if not sessions.exists(name):
        return True
    owner = sessions.owner(name)
    if owner is None:
        return user is None and _OLDER_WEB_NAME.fullmatch(name) is not None
    return owner.get("face") == WEB and owner.get("user") == user
