"""`aiops-assess web`: the checks before serving (address, logins) and the server's life cycle.
The page itself is agent.faces.web.page.

Logins: `--auth USER:PASSWORD` (or AIOPS_WEB_AUTH), or several separated by commas
(`ana:pw1,bo:pw2`); a password therefore cannot contain a comma. With logins, each person sees only
the sessions they started, and the Organization tab only the organizations they own
(`aiops-assess org owner ORG USER`)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from agent.common.config import Settings
from agent.common.hints import command
from agent.faces.exits import EXIT_OK, EXIT_USAGE
from agent.interview.store import check_name

if TYPE_CHECKING:
    from agent.interview.backends import Sessions

AUTH_ENV = "AIOPS_WEB_AUTH"


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


Credentials = tuple[str, str] | list[tuple[str, str]]


def parse_auth(value: str | None) -> Credentials | None:
    """The page's logins: 'user:password' -> (user, password); several, separated by commas
    ('ana:pw1,bo:pw2') -> [(user, password), ...], as Gradio's `launch(auth=...)` takes them; None
    when not given. A password cannot contain a comma (it would split the pair); one may contain
    ':' (the first one ends the name). Raises ValueError, naming the pair by its position (never its
    text: the value holds passwords), when malformed."""
    if not value:
        return None
    if "," not in value:
        return _pair(value, "must look like USER:PASSWORD (both non-empty)")
    pairs = [p.strip() for p in value.split(",")]
    several = (f"must look like USER:PASSWORD, or several such logins separated by commas "
               f"(a password cannot contain a comma): login {{n}} of {len(pairs)} is not USER:PASSWORD "
               "(both non-empty)")
    out = [_pair(p, several.format(n=i)) for i, p in enumerate(pairs, 1)]
    names = [u.casefold() for u, _ in out]
    twice = sorted({i for i, n in enumerate(names, 1) if names.count(n) > 1})
    if twice:
        raise ValueError(f"names one user twice (logins {' and '.join(map(str, twice))} of {len(out)}): "
                         "give each login its own user name")
    return out


def _pair(text: str, problem: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    user = user.strip()  # Gradio strips the name typed on the login page
    if not sep or not user or not password:
        raise ValueError(problem)
    return user, password


def login_names(credentials: Credentials | None) -> list[str]:
    """The user names of the page's logins ([] without logins)."""
    if credentials is None:
        return []
    return [credentials[0]] if isinstance(credentials, tuple) else [u for u, _ in credentials]


def _login_guard(credentials: Credentials | None) -> dict:
    """launch() arguments that throttle failed logins (per user name and address, for every login)
    and say so on the login page."""
    if credentials is None:
        return {}
    from starlette.middleware import Middleware

    from agent.faces.web.logins import AUTH_MESSAGE, LoginThrottle, LoginThrottleMiddleware

    return {"auth_message": AUTH_MESSAGE,
            "app_kwargs": {"middleware": [Middleware(LoginThrottleMiddleware, throttle=LoginThrottle())]}}


def _share(sessions: Sessions, name: str, user: str | None) -> None:
    """`--session NAME` names a session for this page to open: one started elsewhere (the terminal)
    is shared with the page's user, as the person running the server asked."""
    from agent.faces.web import owners

    if not owners.may_open(sessions, name, user):
        owners.record_owner(sessions, name, user)
        print(f"Session {name} is shared with this page" + (f" (login {user})." if user else "."))


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          insecure: bool = False, session: str | None = None) -> int:
    """Run the web chat until Ctrl-C (exit code 0); 2 when the address, password or session name is refused."""
    import sys

    from agent.observability import tracing

    def fail(msg: str) -> int:
        print(f"aiops-assess web: {msg}", file=sys.stderr)
        return EXIT_USAGE

    try:
        credentials = parse_auth(auth or os.environ.get(AUTH_ENV))
    except ValueError as exc:
        return fail(f"--auth (or {AUTH_ENV}) {exc}.")
    if session:
        check_name(session)  # SessionError: reported by the CLI
    if not is_loopback(host):
        print(f"aiops-assess web: WARNING: serving on {host}, not on loopback: anyone who can reach this "
              "machine can open the page, and every session is reachable by its link.", file=sys.stderr)
        if credentials is None and not insecure:
            return fail(f"refusing to serve on {host} without a password. Pass --auth USER:PASSWORD "
                        f"(or set {AUTH_ENV}=USER:PASSWORD), or --insecure to serve without one.")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = demo = None
    try:
        from agent.app import App
        from agent.faces.web.page import WebChat  # gradio loads here, after the checks

        core = App(settings)
        if settings.on_permanent_error == "ask":
            # Nobody to ask mid-turn on a page: go on with the next model and say so in the chat.
            core.gateway.allow_fallback()
        app = WebChat(core)
        if session:  # shared with the first login when there are several
            names = login_names(credentials)
            _share(core.sessions, session, names[0] if names else None)
        app.warm_up()
        demo = app.blocks()
        try:
            demo.launch(server_name=host, server_port=port, auth=credentials, quiet=True, inbrowser=False,
                        share=False, prevent_thread_lock=True, **app.launch_kwargs(), **_login_guard(credentials))
        except OSError as exc:
            return fail(f"cannot serve on {host}:{port} ({exc}). Pick another --port.")
        shown = "localhost" if host in ("0.0.0.0", "::") else host
        url = f"http://{shown}:{port}/" + (f"?session={session}" if session else "")
        print(f"aiops-assess web · model {app.gateway.model} · sessions in {core.sessions.where}")
        print(f"Open {url}  (Ctrl-C to stop)", flush=True)
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        if demo is not None:
            demo.close(verbose=False)
        if app is not None:
            app.pool.close_all()
        tracing.flush()
    print(f"Stopped. Sessions are saved; resume one with ?session=NAME or {command('chat --session NAME')}.")
    return EXIT_OK
