"""The web page's organization side: the start screen's round fields and invite links, sessions
joining a round from their first reply, the Organization tab (respondents, disagreements, chart,
settling, history, downloads), who sees which organization with logins, and several logins.

The handlers are called as Gradio calls them (in-process, offline engine); one browser test opens
an invite link on a real server."""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

ORG = "Acme Retail"
ROUND = "2026-Q4"
# Two respondents who disagree on access control (q11) and sensitive data (q12).
STRICT = ("Every project has its own virtual key with SSO login and per-team model permissions, reviewed "
          "quarterly. Sensitive data is masked automatically by Presidio on the gateway for every call, with "
          "audit logs.")
LAX = "Everyone calls the OpenAI API directly with shared keys, anybody can use any model. No masking of data at all."


def _request(user: str | None = None, **query: str) -> SimpleNamespace:
    """What a gr.Request offers the handlers: the logged-in user and the page's query."""
    return SimpleNamespace(username=user, query_params=query)


def _invite(**extra: str) -> dict[str, str]:
    return {"org": ORG, "round": ROUND, "role": "Security lead", "dimensions": "security", "respondent": "Dana",
            **extra}


def _turn(web, text: str, name: str, request=None) -> list[dict]:
    return list(web.on_turn(text, name, request))


def _said(updates: list[dict], web) -> str:
    """The last message the chat shows after a turn."""
    return [u for u in updates if web.c["chat"] in u][-1][web.c["chat"]][-1]["content"]


def _respond(web, query: dict[str, str], reply: str, user: str | None = None) -> str:
    """A respondent opens an invite link and answers once; their session's name."""
    name = web.on_load(_request(user, **query))[web.c["state"]]
    _turn(web, reply, name, _request(user))
    return name


def _two_respondents(web, user: str | None = None) -> tuple[str, str]:
    dana = _respond(web, _invite(), STRICT, user)
    bo = _respond(web, {"org": "acme retail", "round": "2026q4", "role": "Engineer", "respondent": "Bo"}, LAX, user)
    return dana, bo


def _value(update) -> object:
    return update["value"] if isinstance(update, dict) else update


def _choices(update) -> list[str]:
    """The values a dropdown update offers."""
    return [value for _, value in update["choices"]]


# -- the start screen -----------------------------------------------------------------------------------


def test_invite_link_fills_in_the_start_screen_and_greets_with_its_dimensions(web, rubric):
    from agent.core.phrasing import load_phrasing, opening_message

    out = web.on_load(_request(**_invite()))
    c = web.c
    assert {k: out[c[k]] for k in ("org", "round", "role", "dimensions", "respondent")} == {
        "org": ORG, "round": ROUND, "role": "Security lead", "dimensions": "security", "respondent": "Dana"}
    # The first question shown is the first one the respondent is asked: security, not the gateway.
    greeting = out[c["chat"]][0]["content"]
    assert greeting == opening_message(rubric, load_phrasing(), web.gateway.notice, ["security"])
    assert greeting != web.greeting
    # A plain visit: empty fields, the usual greeting.
    plain = web.on_load(_request())
    assert all(plain[c[k]] == "" for k in ("org", "round", "role", "dimensions", "respondent"))
    assert plain[c["chat"]] == [{"role": "assistant", "content": web.greeting}]
    # An invite link with a dimension that does not exist says so at once.
    odd = web.on_load(_request(org=ORG, dimensions="security,wizardry"))
    assert "'wizardry' is not one dimension" in str(odd[c["chat"]])


def test_changing_the_dimensions_before_the_first_reply_changes_the_greeting(web, rubric):
    from agent.core.phrasing import load_phrasing, opening_message

    name = web.on_load(_request())[web.c["state"]]
    chat = web.on_dimensions("cost", name)
    assert chat[0]["content"] == opening_message(rubric, load_phrasing(), web.gateway.notice, ["cost"])


def test_first_reply_joins_the_round_with_name_role_and_dimensions(web, settings):
    from agent.interview.store import read_values

    name = web.on_load(_request(**_invite()))[web.c["state"]]
    updates = _turn(web, STRICT, name, _request())
    store = web.app.org_store()
    p = store.participation(name)
    assert (p.organization, p.round, p.respondent, p.role, p.scope) == ("acme-retail", ROUND, "Dana",
                                                                        "Security lead", ["security"])
    assert p.answered == 2  # both security questions, from the one reply
    # The progress panel the turn ends with counts the questions this respondent is asked.
    progress = updates[-1][web.c["progress"]]
    assert 'data-answered="2"' in progress and "<b>2/2</b> answered · your dimensions: Security" in progress
    values = read_values(settings.sessions_dir, name)
    assert values["organization"] == ORG and values["attachment"]["round"] == ROUND
    # Reopened, the start screen shows the round the session belongs to.
    out = web.on_open(name)
    assert out[web.c["round"]] == ROUND and out[web.c["respondent"]] == "Dana"
    assert out[web.c["dimensions"]] == "security"


def test_a_session_opened_before_its_first_reply_still_joins_the_round(web):
    """The pool may hold a session's Interview before it starts (a reload read its empty file): the
    first reply attaches it all the same."""
    name = web.on_load(_request(**_invite()))[web.c["state"]]
    with web.pool.use(name) as iv:  # opened (its file created) without a round
        assert iv.is_new and iv.services.attachment is None
    _turn(web, STRICT, name)
    p = web.app.org_store().participation(name)
    assert (p.organization, p.scope, p.answered) == ("acme-retail", ["security"], 2)


def test_typed_fields_join_the_current_quarter_by_default(web):
    from agent.core.org_names import round_name

    name = web.on_load(_request())[web.c["state"]]
    web.on_org("Globex", name)
    web.on_field("respondent", "Ana", name)
    _turn(web, "Everything goes through our LiteLLM proxy.", name)
    p = web.app.org_store().participation(name)
    assert (p.organization, p.round, p.respondent, p.scope) == ("globex", round_name(None), "Ana", None)


@pytest.mark.parametrize("field,value,said", [
    ("round", "next quarter!", "Invalid round 'next quarter!'"),
    ("dimensions", "security,wizardry", "'wizardry' is not one dimension"),
    ("org", "!!!", "is not an organization name"),
])
def test_a_field_the_round_cannot_take_is_one_message_and_the_reply_is_kept(web, settings, field, value, said):
    from agent.interview.store import session_path

    name = web.on_load(_request(org=ORG))[web.c["state"]]
    web.on_field(field, value, name)
    updates = _turn(web, STRICT, name)
    assert len(updates) == 1
    text = str(updates[0][web.c["chat"]])
    assert said in text and "still in the box" in text and "Traceback" not in text
    assert updates[0][web.c["pending"]] == STRICT  # to send again
    assert not session_path(settings.sessions_dir, name).exists()
    web.on_field(field, "", name)  # corrected: the same reply goes through
    web.on_org(ORG, name)
    _turn(web, STRICT, name)
    assert web.app.org_store().participation(name).organization == "acme-retail"


def test_round_fields_without_an_organization_are_one_message(web):
    name = web.on_load(_request(round=ROUND, respondent="Dana"))[web.c["state"]]
    updates = _turn(web, STRICT, name)
    assert "Round and Your name belong to an organization's assessment round" in str(updates[0][web.c["chat"]])
    assert updates[0][web.c["pending"]] == STRICT


def test_a_session_already_in_another_round_is_one_message(web):
    name = web.on_load(_request(**_invite()))[web.c["state"]]
    web.app.org_store().attach(name, "Globex", "2026-Q1")  # e.g. an earlier first reply that failed
    updates = _turn(web, STRICT, name)
    text = str(updates[-1][web.c["chat"]])
    assert "already belongs to Globex, round 2026-Q1" in text and "New assessment" in text
    assert updates[-1][web.c["pending"]] == STRICT


def test_without_an_organization_no_round_is_joined(web):
    name = web.on_load(_request())[web.c["state"]]
    _turn(web, "Everything goes through our LiteLLM proxy.", name)
    assert web.app.org_store().participation(name) is None
    assert web.app.org_store().list_orgs() == []


# -- the Organization tab ---------------------------------------------------------------------------------


def test_org_view_shows_respondents_disagreements_level_range_and_chart(web):
    dana, bo = _two_respondents(web)
    o = web.org.c
    out = web.org.on_enter(None, None, _request())
    assert _value(out[o["org"]]) == "acme-retail" and _value(out[o["round"]]) == ROUND
    html = out[o["summary"]]
    assert f'data-session="{dana}"' in html and f'data-session="{bo}"' in html
    assert "Dana" in html and "Security lead" in html and "Bo" in html and "2/2 (security)" in html
    assert 'data-q="q11"' in html and 'data-q="q12"' in html  # the disagreements, with who said what
    assert "Presidio on the gateway" in html and "No masking of data at all" in html
    assert "level range the disagreements allow" in html and 'data-range="0-5"' in html
    assert out[o["chart"]].count("<svg") == 1 and 'role="img"' in out[o["chart"]]
    assert "| 2026-Q4 |" in out[o["history"]]
    assert _value(out[o["settle_q"]]) == "q11"  # the first unsettled disagreement is offered
    # Everything a respondent typed is shown as text.
    evil = _respond(web, {"org": ORG, "round": ROUND, "respondent": "<img src=x onerror=alert(1)>"},
                    "We call OpenAI directly <script>alert(2)</script>.")
    html = web.org.on_show("acme-retail", ROUND, _request())[o["summary"]]
    assert f'data-session="{evil}"' in html
    assert "<img" not in html and "<script" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_settling_through_the_page_records_who(web):
    _two_respondents(web)
    store = web.app.org_store()
    o = web.org.c
    out = web.org.on_settle("acme-retail", ROUND, "q11", "2", "", _request())
    assert "needs a note" in out[o["message"]] and store.round_data(store.org(ORG), ROUND).settlements == []
    out = web.org.on_settle("acme-retail", ROUND, "q11", "2", "Checked the gateway config together.", _request())
    assert "Settled q11 at 2 by web" in out[o["message"]] and out[o["note"]] == ""
    assert "Settled at <b>2</b> by web" in out[o["summary"]]
    store.add_owner(store.org(ORG), "ana")
    web.org.on_settle("acme-retail", ROUND, "q12", 1, "Masking is off.", _request("ana"))
    settled = store.round_data(store.org(ORG), ROUND).settlements
    assert [(s.question, s.score, s.by, s.note) for s in settled] == [
        ("q11", 2, "web", "Checked the gateway config together."), ("q12", 1, "ana", "Masking is off.")]
    out = web.org.on_settle("acme-retail", ROUND, "q12", 1, "Mine now.", _request("bob"))  # not an owner
    assert "is not one of yours" in out[o["message"]] and len(store.round_data(store.org(ORG), ROUND).settlements) == 2
    assert "Choose the settled score" in web.org.on_settle("acme-retail", ROUND, "q1", "9", "x", _request())[o["message"]]


def test_org_downloads_have_the_right_content(web):
    from agent.reporting.org.export import CSV_COLUMNS

    _two_respondents(web)
    o = web.org.c
    out = web.org.on_enter(None, None, _request())
    files = {k: Path(_value(out[o[k]])) for k in ("dl_md", "dl_json", "dl_html", "dl_csv")}
    assert all(f.is_relative_to(web.files_dir) for f in files.values())  # inside the served folder
    rows = list(csv.reader(io.StringIO(files["dl_csv"].read_text(encoding="utf-8"))))
    assert rows[0] == CSV_COLUMNS
    assert {(r[2], r[5]) for r in rows[1:] if r[2]} >= {("Dana", "q11"), ("Bo", "q11"), ("Bo", "q1")}
    html = files["dl_html"].read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html") and ORG in html
    data = json.loads(files["dl_json"].read_text(encoding="utf-8"))
    assert data["organization"]["name"] == ORG and data["summary"]["disagreements"] == ["q11", "q12"]
    assert files["dl_md"].read_text(encoding="utf-8").startswith(f"# {ORG} — AI Operations Maturity, round {ROUND}")


def test_a_finished_sessions_report_has_an_html_download(web):
    name = _respond(web, _invite(), STRICT)
    for reply in ("/finish", "yes"):
        _turn(web, reply, name)
    out = web.on_phase(name, f"{name}:done")
    paths = {k: out[web.c[k]] for k in ("dl_md", "dl_json", "dl_html")}
    assert all(paths.values()), paths
    html = Path(paths["dl_html"]).read_text(encoding="utf-8")
    assert "<html" in html.lower() and ORG in html


# -- who sees which organization ----------------------------------------------------------------------------


def test_with_logins_only_owners_see_an_organization(web):
    _two_respondents(web, user="dana")
    store = web.app.org_store()
    store.attach("other-session", "Globex", ROUND, respondent="Zed")
    store.add_owner(store.org(ORG), "ana")
    o = web.org.c
    # The owner sees it (and only it); another login sees none; no logins (loopback): every one.
    mine = web.org.on_enter(None, None, _request("ana"))
    assert _choices(mine[o["org"]]) == ["acme-retail"] and "Dana" in mine[o["summary"]]
    theirs = web.org.on_enter(None, None, _request("bob"))
    assert _choices(theirs[o["org"]]) == [] and theirs[o["summary"]] == ""
    assert "No organization lists your login (bob) as an owner" in theirs[o["message"]]
    assert _choices(web.org.on_enter(None, None, _request())[o["org"]]) == ["acme-retail", "globex"]
    # Asking by name: the same answer whether it exists or not, and nothing of the round.
    known = web.org.on_show("acme-retail", ROUND, _request("bob"))
    unknown = web.org.on_show("acme-retailx", ROUND, _request("bob"))
    assert "is not one of yours (login bob)" in known[o["message"]]
    assert known[o["message"]].replace("acme-retail", "X") == unknown[o["message"]].replace("acme-retailx", "X")
    assert known[o["summary"]] == "" and all(_value(known[o[k]]) is None for k in ("dl_md", "dl_csv"))
    assert "not one of yours" in web.org.on_show("globex", None, _request("ana"))[o["message"]]
    # A respondent's own sessions stay theirs (owners.py), attached to a round or not.
    dana = store.round_data(store.org(ORG), ROUND).participations[0].session
    assert web.on_open(dana, _request("dana"))[web.c["state"]] == dana
    assert web.on_open(dana, _request("ana"))[web.c["state"]] != dana


def test_several_logins_parse_and_errors_are_one_clear_message():
    from agent.faces.web.serve import _login_guard, login_names, parse_auth

    assert parse_auth("ana:pw1, bo:p:w2") == [("ana", "pw1"), ("bo", "p:w2")]
    assert parse_auth("ana:s3cret") == ("ana", "s3cret")  # one login: as before
    assert login_names(parse_auth("ana:pw1,bo:pw2")) == ["ana", "bo"] and login_names(None) == []
    for bad, why in [("ana:pw1,bo", "login 2 of 2 is not USER:PASSWORD"), ("ana:pw1,", "login 2 of 2"),
                     ("ana:pw1,:pw2", "login 2 of 2"), ("ana:pw1,ANA:pw2", "names one user twice")]:
        with pytest.raises(ValueError, match=why) as exc:
            parse_auth(bad)
        assert "pw1" not in str(exc.value) and "pw2" not in str(exc.value)  # passwords are never echoed
    with pytest.raises(ValueError, match="a password cannot contain a comma"):
        parse_auth("ana:pa,ss")
    assert "middleware" in _login_guard(parse_auth("ana:pw1,bo:pw2"))["app_kwargs"]


@pytest.mark.slow
def test_every_login_works_and_is_throttled_on_its_own(tmp_path):
    from tests.web_helpers import web_server

    data = tmp_path / "data"
    data.mkdir()

    def login(url: str, user: str, password: str) -> int:
        body = urllib.parse.urlencode({"username": user, "password": password}).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(url + "login", data=body), timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with web_server(data, env={"AIOPS_WEB_AUTH": "ana:pw-ana,bo:pw-bo"}) as url:
        assert login(url, "ana", "pw-ana") == 200 and login(url, "bo", "pw-bo") == 200
        assert login(url, "ana", "pw-bo") == 400
        assert [login(url, "bo", f"guess{i}") for i in range(6)] == [400] * 6
        assert login(url, "bo", "pw-bo") == 400  # locked, the right password too
        assert login(url, "ana", "pw-ana") == 200  # another login is not


# -- in a browser -------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_invite_link_in_a_browser_joins_the_round_and_the_org_tab_shows_it(tmp_path):
    from tests.web_helpers import CHROMIUM, launch_chromium, open_org_tab, open_page, send, start_field, web_server

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    data = tmp_path / "data"
    data.mkdir()
    with web_server(data) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = open_page(context, url + "?" + urllib.parse.urlencode(_invite()))
            assert {k: start_field(page, k) for k in ("org", "round", "role", "dimensions", "respondent")} == {
                "org": ORG, "round": ROUND, "role": "Security lead", "dimensions": "security", "respondent": "Dana"}
            assert "security" in page.locator("#aiops-chat [data-testid=bot]").first.inner_text()
            send(page, STRICT)
            assert "2/2" in page.inner_text("#aiops-progress")
            open_org_tab(page)
            text = page.inner_text("#aiops-org-summary")
            assert "Dana" in text and "Security lead" in text and "2/2" in text and ROUND in text
            assert page.locator("#aiops-org-chart svg").count() == 1
            with page.expect_download() as download:
                page.click("#aiops-org-dl-csv")
            rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
            assert rows[0][:3] == ["organization", "round", "respondent"] and ("Dana" in {r[2] for r in rows})
            assert not page.outside, page.outside  # nothing but this server was contacted
        finally:
            browser.close()
