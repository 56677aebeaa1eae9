"""The web page as an attacker meets it (issue 13): what the browser receives for the chat and the
report carries no live HTML, image or script link from replies (item 6); the page opens only
sessions it started, and with logins only the user's own (item 10); failed logins are throttled
(item 12). Without a browser: the handlers are called as Gradio calls them, and the chat is
rendered from what Gradio sends to the browser."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from types import SimpleNamespace

import pytest

from agent.interview.backends import SqliteSessions
from tests.helpers import TO_REVIEW
from tests.test_safe_output import PAYLOADS, _inject, assert_inert, rendered


def _request(user: str | None = None, session: str | None = None) -> SimpleNamespace:
    """What a gr.Request offers the handlers: the logged-in user and the page's query."""
    return SimpleNamespace(username=user, query_params={"session": session} if session else {})


def _browser_view(web, chat: list[dict]) -> list[str]:
    """The chat's messages as Gradio sends them to the browser (its Markdown sources)."""
    sent = web.c["chat"].postprocess(chat).model_dump()
    return [part["text"] for m in sent for part in m["content"] if part.get("type") == "text"]


def _turn(web, text: str, name: str, request=None) -> list[dict]:
    """Every update of one turn."""
    return list(web.on_turn(text, name, request))


# -- item 6: nothing raw in the page ---------------------------------------------------------------


def test_chat_shows_replies_as_text_while_the_interview_runs(web):
    from agent.faces.web.pool import new_session_name

    name = new_session_name()
    seen: list[str] = []
    for reply in [_inject(r) for r in TO_REVIEW[:4]]:
        for update in _turn(web, reply, name):
            if web.c["chat"] in update:
                seen += _browser_view(web, update[web.c["chat"]])
    for markdown in seen:
        assert_inert(markdown)
    assert any("<img src=x onerror=alert(1)>" in "".join(rendered(m).text) for m in seen)  # the reply, as typed


def test_a_conversation_quoting_replies_and_its_report_show_them_as_text(web, monkeypatch, rubric):
    """A saved session where our messages quote the payloads (as the review step does) and whose
    report was stored raw by an earlier version: what the browser gets is inert."""
    from agent.faces.web.pool import new_session_name
    from tests.test_safe_output import hostile_result, hostile_values

    name = new_session_name()
    values = hostile_values(rubric)
    quotes = "\n".join(f"- {q} — you said: “{a['evidence']}”" for q, a in values["answers"].items())
    values["messages"] = [{"role": "user", "content": _inject(TO_REVIEW[0])},
                          {"role": "assistant", "content": f"Here is what I understood:\n\n{quotes}"},
                          {"role": "assistant", "content": values["report_md"]}]
    values["result"] = hostile_result(rubric, values).model_dump(mode="json")
    monkeypatch.setattr(web, "_values", lambda n, catch_up=False: values)
    monkeypatch.setattr(web, "_may_open", lambda n, user: True, raising=False)
    shown = _browser_view(web, web.on_open(name)[web.c["chat"]])
    assert len(shown) == 3
    for markdown in shown:
        assert_inert(markdown)
    assert "<img src=x onerror=alert(1)>" in "".join(rendered(shown[1]).text)  # quoted, as typed
    report = web.on_phase(name, f"{name}:done")[web.c["report"]]
    assert "onerror" in report
    assert_inert(report)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_reply_is_echoed_as_text(web, payload):
    from agent.faces.web.pool import new_session_name

    updates = _turn(web, f"We use {payload} as our gateway.", new_session_name())
    mine = [m for m in _browser_view(web, updates[0][web.c["chat"]]) if "as our gateway" in m]
    assert mine
    assert {t for t, _ in rendered(mine[0]).tags} == {"p"}


def test_a_hostile_session_name_in_open_is_shown_as_text(web):
    out = web.on_open("<img src=http://tracker.example/p.png onerror=alert(1)>")
    messages = _browser_view(web, out[web.c["chat"]])
    assert any("Invalid session name" in m for m in messages)
    for m in messages:
        assert_inert(m)


# -- item 10: whose sessions the page opens ---------------------------------------------------------


def _terminal_session(settings, name: str) -> None:
    """A session started the way `aiops-assess chat` starts one."""
    from agent.app import App

    with App(settings).open_session(name) as iv:
        iv.start()
        iv.reply("Everything goes through our LiteLLM proxy.")


def test_the_page_does_not_open_a_terminal_session(web, settings):
    from agent.interview.store import read_values

    _terminal_session(settings, "acme")
    before = read_values(settings.sessions_dir, "acme")
    out = web.on_open("acme")
    assert out[web.c["state"]] != "acme" and "cannot be opened here" in str(out[web.c["chat"]])
    assert "LiteLLM proxy" not in str(out[web.c["chat"]])
    out = web.on_load(_request(session="acme"))
    assert out[web.c["state"]] != "acme"
    updates = _turn(web, "We have no gateway at all.", "acme")  # a tab whose state says acme
    assert "cannot be opened here" in str(updates[-1][web.c["chat"]])
    assert read_values(settings.sessions_dir, "acme") == before


def test_the_page_reopens_its_own_sessions_and_only_for_their_user(web, settings):
    from agent.faces.web.pool import new_session_name

    name = new_session_name()
    _turn(web, "Everything goes through our LiteLLM proxy.", name, _request("ana"))
    assert web.app.sessions.owner(name) == {"face": "web", "user": "ana"}
    assert web.on_open(name, _request("ana"))[web.c["state"]] == name
    assert web.on_load(_request("ana", session=name))[web.c["state"]] == name
    for other in (_request("bob"), _request(None)):
        out = web.on_open(name, other)
        assert out[web.c["state"]] != name and "LiteLLM proxy" not in str(out[web.c["chat"]])
        assert "cannot be opened here" in str(_turn(web, "hello", name, other)[-1][web.c["chat"]])
    # Without logins, a session the page started opens for anyone with its name.
    free = new_session_name()
    _turn(web, "Everything goes through our LiteLLM proxy.", free)
    assert web.on_open(free)[web.c["state"]] == free
    assert web.on_open(free, _request("ana"))[web.c["state"]] != free


def test_older_web_sessions_open_only_without_logins(settings):
    from agent.faces.web.owners import may_open

    _terminal_session(settings, "web-0123456789ab")  # a page's name, from before owners were recorded
    assert may_open(SqliteSessions(settings.sessions_dir), "web-0123456789ab", None)
    assert not may_open(SqliteSessions(settings.sessions_dir), "web-0123456789ab", "ana")
    assert may_open(SqliteSessions(settings.sessions_dir), "not-started-yet", "ana")  # a new name: the first reply claims it


def test_web_session_option_shares_a_terminal_session_with_the_page(settings, capsys):
    from agent.faces.web.owners import may_open
    from agent.faces.web.serve import _share

    _terminal_session(settings, "acme")
    _share(SqliteSessions(settings.sessions_dir), "acme", "ana")  # aiops-assess web --auth ana:... --session acme
    assert "shared with this page (login ana)" in capsys.readouterr().out
    assert may_open(SqliteSessions(settings.sessions_dir), "acme", "ana") and not may_open(SqliteSessions(settings.sessions_dir), "acme", "bob")


# -- item 12: throttled logins ------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_locks_a_name_after_five_failures_and_doubles():
    from agent.faces.web.logins import LoginThrottle

    clock = _Clock()
    t = LoginThrottle(clock=clock)
    for _ in range(5):
        assert t.attempt("ana", "10.0.0.1") == 0
    assert t.attempt("ana", "10.0.0.1") == 60 and t.attempt("ANA ", "10.0.0.1") == 60  # the right one too
    assert t.attempt("ana", "10.0.0.2") == 0 and t.attempt("bob", "10.0.0.1") == 0  # others are not locked
    clock.now += 61
    assert t.attempt("ana", "10.0.0.1") == 0  # checked again, and wrong again
    assert t.retry_after("ana", "10.0.0.1") == 120
    clock.now += 121
    assert t.attempt("ana", "10.0.0.1") == 0
    t.succeeded("ana", "10.0.0.1")  # right: the name's count starts over
    assert t.retry_after("ana", "10.0.0.1") == 0


def test_throttle_locks_an_address_trying_many_names():
    from agent.faces.web.logins import LoginThrottle

    t = LoginThrottle(clock=_Clock())
    for i in range(20):
        assert t.attempt(f"user{i}", "10.0.0.9") == 0
    assert t.attempt("someone-else", "10.0.0.9") > 0 and t.attempt("someone-else", "10.0.0.8") == 0
    ok = LoginThrottle(clock=_Clock())
    for _ in range(50):  # logging in right, again and again, never locks an address
        assert ok.attempt("ana", "10.0.0.7") == 0
        ok.succeeded("ana", "10.0.0.7")


def _login_app(clock):
    """Gradio's login route in miniature (200 for the right password, 400 otherwise), behind the
    throttle as `aiops-assess web --auth` puts it."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from agent.faces.web.logins import LoginThrottle, LoginThrottleMiddleware

    async def login(request):
        form = await request.form()
        if form.get("username") == "ana" and form.get("password") == "right":
            return JSONResponse({"success": True})
        return JSONResponse({"detail": "Incorrect credentials."}, status_code=400)

    throttle = LoginThrottle(clock=clock)
    return Starlette(routes=[Route("/login", login, methods=["POST"])],
                     middleware=[Middleware(LoginThrottleMiddleware, throttle=throttle)])


def test_login_middleware_refuses_the_right_password_while_locked():
    from starlette.testclient import TestClient

    clock = _Clock()
    client = TestClient(_login_app(clock))
    wrong = [client.post("/login", files={"username": (None, "ana"), "password": (None, f"guess{i}")})
             for i in range(30)]  # multipart, as the login page sends it
    assert [r.status_code for r in wrong] == [400] * 30
    right = client.post("/login", data={"username": "ana", "password": "right"})
    assert right.status_code == 400 and "Too many failed logins" in right.json()["detail"]
    assert int(right.headers["retry-after"]) > 0
    clock.now += 901
    assert client.post("/login", data={"username": "ana", "password": "right"}).status_code == 200
    assert client.post("/login", data={"username": "ana", "password": "right"}).status_code == 200


@pytest.mark.slow
def test_the_web_command_throttles_failed_logins(tmp_path):
    from tests.web_helpers import web_server

    data = tmp_path / "data"
    data.mkdir()

    def login(url: str, password: str) -> tuple[int, dict]:
        body = urllib.parse.urlencode({"username": "ana", "password": password}).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(url + "login", data=body), timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    with web_server(data, "--auth", "ana:s3cret-pass") as url:
        assert [login(url, f"guess{i}")[0] for i in range(30)] == [400] * 30
        status, body = login(url, "s3cret-pass")
        assert status == 400 and "Too many failed logins" in body["detail"]
        assert "5 wrong passwords" in urllib.request.urlopen(url, timeout=10).read().decode()
