"""The web face without a browser: panels rendered from state, the model notice, serving safety, and
handler errors shown as messages."""

from __future__ import annotations

import pytest

from agent.common.config import load_settings
from agent.faces.web import view as view
from tests.helpers import cli, cli_env


def _answers(**scores):
    return {q: {"question_id": q, "score": s, "confidence": 0.9, "evidence": f"<b>we said {q}</b>", "turn": 1}
            for q, s in scores.items()}


def test_progress_panel_counts_answers_and_scores_dimensions(rubric):
    empty = view.progress_html(rubric, {})
    assert 'data-answered="0"' in empty and "0/12" in empty and empty.count('data-score="—"') == 6
    html = view.progress_html(rubric, _answers(q1=2, q2=3, q3=1))
    assert 'data-answered="3"' in html
    assert 'data-dim="gateway" data-score="2.5"' in html and 'data-dim="observability" data-score="1.0"' in html
    assert "Total so far <b>6/60</b>" in html


def test_confirm_list_shows_every_question_and_escapes_quotes(rubric):
    html = view.confirm_html(rubric, _answers(q1=2))
    assert html.count("<li") == 12 and 'data-q="q1" data-score="2"' in html
    assert "&lt;b&gt;we said q1&lt;/b&gt;" in html and "<b>we said" not in html
    assert 'class="missing" data-q="q2"' in html


def test_report_shows_as_a_card_in_the_chat(rubric):
    values = {"messages": [{"role": "assistant", "content": "hi"}, {"role": "user", "content": "x"},
                           {"role": "assistant", "content": "# Report"}], "report_md": "# Report", "result": None}
    chat = view.chat_messages(rubric, values, "s1")
    assert [m["role"] for m in chat] == ["assistant", "user", "assistant"]
    assert "report is ready" in chat[-1]["content"] and "# Report" not in chat[-1]["content"]


def test_model_notice_says_where_replies_go(settings):
    assert "not sent anywhere" in view.model_notice("offline/rubric", settings)
    hosted = view.model_notice("openai/gpt-4o-mini", settings)
    assert "hosted by openai" in hosted and "sent to openai" in hosted
    assert "server you run" in view.model_notice("ollama_chat/llama3.1", settings)
    assert "_key missing_" in view.model_notice("offline/rubric", settings, "key missing")


def test_auth_and_host_checks():
    from agent.faces.web.serve import is_loopback, parse_auth

    assert parse_auth("ana:s3cret:x") == ("ana", "s3cret:x") and parse_auth(None) is None
    for bad in ("nopassword", ":x", "x:"):
        with pytest.raises(ValueError):
            parse_auth(bad)
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


@pytest.mark.slow
def test_public_host_needs_auth_or_insecure(tmp_path):
    env = cli_env(tmp_path)
    r = cli(["web", "--host", "0.0.0.0", "--port", "1"], env)
    assert r.returncode == 2
    assert "WARNING" in r.stderr and "--auth" in r.stderr and "--insecure" in r.stderr
    r = cli(["web", "--auth", "nocolon"], env)
    assert r.returncode == 2 and "USER:PASSWORD" in r.stderr
    r = cli(["web", "--session", "bad name!"], env)
    assert r.returncode == 2 and "Invalid session name" in r.stderr


def test_a_failing_turn_is_a_message_and_keeps_the_reply(monkeypatch, caplog):
    from contextlib import contextmanager

    from agent.app import App
    from agent.faces.web.page import WebChat

    app = WebChat(App(load_settings()))
    app.blocks()

    @contextmanager
    def broken(name):
        raise RuntimeError("disk on fire")
        yield

    monkeypatch.setattr(app.pool, "use", broken)
    monkeypatch.setattr(app.pool, "exists", lambda name: False)
    pages = list(app.on_turn("We use LiteLLM.", "web-test"))
    last = pages[-1]
    chat = last[app.c["chat"]]
    assert "something went wrong" in chat[-1]["content"] and "disk on fire" not in chat[-1]["content"]
    assert "Traceback" not in str(chat)
    assert last[app.c["pending"]] == "We use LiteLLM."  # to send again (the page puts it back into the box)
    assert "disk on fire" in caplog.text  # logged server-side, with the traceback


def test_the_organization_typed_on_the_start_screen_is_on_the_report(tmp_path, monkeypatch):
    """Issue 14: the web start screen names the organization, as --org does in the terminal."""
    from agent.app import App
    from agent.faces.web.page import WebChat
    from agent.interview.store import read_values
    from agent.reporting.export import report_text
    from tests.helpers import TO_REVIEW

    monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path))
    settings = load_settings()
    page = WebChat(App(settings))
    page.blocks()
    name = "web-0a1b2c3d4e5f"
    page.on_org("Petwell Vet Clinics\x1b[2J", name)  # what the person typed, escape sequence and all
    for reply in [*TO_REVIEW, "yes, looks right"]:
        list(page.on_turn(reply, name))
    values = read_values(settings.sessions_dir, name)
    assert values["organization"] == "Petwell Vet Clinics"
    assert "**Organization:** Petwell Vet Clinics" in report_text(name, values, "md", page.rubric, page.app.transitions)
    assert page.on_open(name)[page.c["org"]] == "Petwell Vet Clinics"  # shown when the session is reopened


def test_a_turn_ends_with_the_panels_and_the_option_buttons_labels(web):
    """One event per turn: its last update carries the progress panel (a new data-rev, the end-of-turn
    mark) and the option buttons' labels, whose change draws the buttons."""
    import json

    c, name = web.c, "web-0123456789ab"
    labels, revs = [], []
    for text in ["We use LiteLLM as a gateway for all teams.", "hmm, not sure", "not sure really", "2",
                 "we have some dashboards"]:
        last = list(web.on_turn(text, name))[-1]
        revs.append(int(last[c["progress"]].split('data-rev="', 1)[1].split('"', 1)[0]))
        labels.append(json.loads(last[c["options"]]))
    assert [len(x) for x in labels] == [0, 0, 0, 4, 0]  # the fourth reply is answered with options
    assert revs == sorted(set(revs))
    buttons = web.on_options(json.dumps(labels[3]))
    assert buttons[c["choices_row"]]["visible"] is True
    assert [buttons[b]["value"] for b in c["choices"]] == [*labels[3], ""]
    assert web.on_options("[]")[c["choices_row"]]["visible"] is False


def test_the_web_framework_does_not_summarise_its_event_log_after_every_event(web):
    """Gradio rebuilds a summary of up to 10,000 past events after each event by default (~10 ms of
    CPU per event on a busy server); the page has it done every 200th."""
    from gradio.queueing import Queue

    queue = Queue(live_updates=False, concurrency_count=1, update_intervals=1, max_size=None, blocks=web.blocks())
    assert queue.ANAYLTICS_CACHE_FREQUENCY >= 200


def test_a_streamed_answer_is_sent_at_most_ten_times_a_second(web, monkeypatch):
    """A model streaming hundreds of tokens does not cost the server a render of the whole chat per
    token: updates are coalesced (the whole answer still arrives with the turn's last update)."""
    from agent.interview.session import Interview

    real = Interview.stream_reply

    def many_tokens(self, text):  # the turn as it is, its question streamed in 200 pieces
        for _ in real(self, text):
            pass
        question = self.said[-1]
        step = max(1, len(question) // 200)
        yield from (question[i:i + step] for i in range(0, len(question), step))

    monkeypatch.setattr(Interview, "stream_reply", many_tokens)
    updates = list(web.on_turn("We use LiteLLM as a gateway for all teams.", "web-0123456789ab"))
    assert 2 <= len(updates) <= 3  # the first piece at once, then the whole turn
    assert "observability" in updates[-1][web.c["chat"]][-1]["content"]
