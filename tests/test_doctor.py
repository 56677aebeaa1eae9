"""`aiops-assess doctor` as a user runs it, in-process through the CLI's entry point: what it says
about the set-up, and its exit code (1 only when there is a problem). The online checks run against
a local server that answers like OpenAI's API and Langfuse's health endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tests.error_server import ErrorServer, error_server

# A model of our own in LiteLLM's map (a copy of gpt-4o-mini's entry), so that price and retirement
# date are what each test says, not what the installed litellm's map says today.
TEST_MODEL = "openai/doctor-test-mini"
FAKE_KEY = "sk-test-not-a-real-key-0123456789abcdef"
def flat(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def lines(text: str, status: str) -> list[str]:
    """The findings of one status (each starts a line with its status), wrapping undone."""
    out: list[str] = []
    for line in text.splitlines():
        head = line.strip().split(" ", 1)[0] if line.strip() else ""
        if head in ("ok", "warning", "problem"):
            out.append(line.strip())
        elif out and line.startswith(" " * 10) and line.strip():
            out[-1] += " " + line.strip()
    return [flat(x) for x in out if x.startswith(status + " ")]


@pytest.fixture
def test_model(monkeypatch):
    """TEST_MODEL configured, its key set, with a retirement date each test chooses."""
    from agent.faces.doctor_models import litellm_module

    litellm = litellm_module()
    monkeypatch.setenv("AIOPS_MODEL", TEST_MODEL)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)

    def retiring(on: date | None) -> None:
        entry = {**litellm.model_cost["gpt-4o-mini"], "deprecation_date": on.isoformat() if on else None,
                 "successor_model": "doctor-test-next"}
        monkeypatch.setitem(litellm.model_cost, TEST_MODEL.split("/", 1)[1], entry)

    retiring(None)
    return retiring


@pytest.fixture
def server() -> Iterator[ErrorServer]:
    """A local server answering like OpenAI (401 invalid_api_key) and Langfuse (health OK)."""
    with error_server("openai", "bad_key", get={"/api/public/health": (200, {"status": "OK", "version": "3.100.0"})}) as srv:
        yield srv


@pytest.fixture
def pointed_at(server, tmp_path, monkeypatch, test_model) -> str:
    """A config file whose api_base is the local server, and Langfuse tracing to it; returns the path."""
    url = f"http://127.0.0.1:{server.server_port}"
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"api_base: {url}/v1\n")
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-test")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-test")
    monkeypatch.setenv("LANGFUSE_BASE_URL", url)
    return str(cfg)


def test_offline_set_up_is_ok_and_names_the_offline_engine(aiops, monkeypatch, settings):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    r = aiops(["doctor"])
    assert r.returncode == 0, r.stdout
    assert not settings.data_dir.exists()  # looked at, not created: no index was built
    out = flat(r.stdout)
    assert "The chat will start on offline/rubric." in out
    assert "The built-in offline engine reads the replies" in out
    assert not lines(r.stdout, "problem") and not lines(r.stdout, "warning")
    for area in ("tracing", "index", "data dir", "web login", "config"):
        assert any(f" {area} " in x for x in lines(r.stdout, "ok")), area
    assert "0 problems, 0 warnings (exit code 0)." in out


def test_hosted_model_without_its_key_is_a_problem_naming_the_variable(aiops):
    r = aiops(["doctor"])  # the fixture configures an OpenAI model and no key
    assert r.returncode == 1
    [problem] = [x for x in lines(r.stdout, "problem") if "(primary)" in x]
    assert "OPENAI_API_KEY is not set, so the chat will run on the offline engine instead" in problem
    assert "Fix: Export OPENAI_API_KEY=..." in problem
    assert "The chat will start on offline/rubric because OPENAI_API_KEY is not set." in flat(r.stdout)


def test_model_litellm_does_not_know_is_a_problem(aiops, monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "nosuchprovider/model-x")
    r = aiops(["doctor"])
    assert r.returncode == 1
    [problem] = lines(r.stdout, "problem")
    assert "nosuchprovider/model-x (primary): LiteLLM does not know this model" in problem
    assert "Provider List" not in r.stdout  # litellm's banner stays quiet


def test_ready_model_is_ok_with_its_price_and_mode(aiops, test_model):
    r = aiops(["doctor", "--json"])
    assert r.returncode == 0, r.stdout
    report = json.loads(r.stdout)
    [m, offline] = report["models"]
    assert m["model"] == TEST_MODEL and m["key_env"] == ["OPENAI_API_KEY"] and m["key_set"] is True
    assert m["known_to_litellm"] and m["input_usd_per_1m"] == pytest.approx(0.15)
    assert m["structured_output"] == "json_schema" and m["probe"] is None
    assert offline["role"] == "offline_fallback"
    assert FAKE_KEY not in r.stdout


def test_retirement_date_past_is_a_problem_and_soon_a_warning(aiops, test_model):
    test_model(date.today() - timedelta(days=10))
    r = aiops(["doctor"])
    assert r.returncode == 1
    [problem] = lines(r.stdout, "problem")
    assert "retired it on" in problem and "(10 days ago)" in problem
    assert "Switch to openai/doctor-test-next" in problem

    test_model(date.today() + timedelta(days=30))
    r = aiops(["doctor"])
    assert r.returncode == 0  # warnings alone
    [warning] = lines(r.stdout, "warning")
    assert "retires it on" in warning and "(in 30 days)" in warning

    test_model(date.today() + timedelta(days=365))
    assert not lines(aiops(["doctor"]).stdout, "warning")


def test_data_folder_that_cannot_be_created_is_a_problem(aiops, monkeypatch, tmp_path):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AIOPS_DATA_DIR", str(blocker / "data"))
    r = aiops(["doctor", "--json"])
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["data_dir"] == {"path": str(blocker / "data"), "exists": False, "writable": False, "sessions": 0}
    [problem] = [f for f in report["findings"] if f["status"] == "problem"]
    assert problem["area"] == "data_dir" and f"{blocker} is a file" in problem["message"]
    assert "AIOPS_DATA_DIR" in problem["fix"]


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root can write to any folder")
def test_read_only_data_folder_is_a_problem(aiops, monkeypatch, tmp_path):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o555)
    try:
        r = aiops(["doctor"])
    finally:
        data.chmod(0o755)
    assert r.returncode == 1
    assert "is not writable" in lines(r.stdout, "problem")[0]


def test_json_report_has_the_fields(aiops, monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    monkeypatch.setenv("AIOPS_WEB_AUTH", "alice:s3cret-pass")
    r = aiops(["doctor", "--json"])
    assert r.returncode == 0
    report = json.loads(r.stdout)
    assert report["status"] == "ok" and report["problems"] == 0 and report["online"] is False
    assert report["chat"] == {"model": "offline/rubric", "fallbacks": [], "reason": None}
    assert [m["model"] for m in report["models"]] == ["offline/rubric"]
    assert report["tracing"] == {"enabled": False, "host": None, "reachable": None}
    assert report["index"]["state"] == "not built" and report["index"]["missing"]
    assert report["data_dir"]["writable"] is True and report["data_dir"]["exists"] is False
    assert report["web_auth"] == {"configured": True, "valid": True}
    assert report["config"]["valid"] and "AIOPS_MODEL" in report["config"]["env_overrides"]
    assert "AIOPS_WEB_AUTH" not in report["config"]["env_overrides"]
    assert {f["area"] for f in report["findings"]} >= {"model", "tracing", "index", "data_dir", "web_auth", "config"}
    assert "s3cret-pass" not in r.stdout


def test_index_that_was_built_is_current(aiops, monkeypatch, settings):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    assert aiops(["index", "build"]).returncode == 0
    report = json.loads(aiops(["doctor", "--json"]).stdout)
    assert report["index"]["state"] == "current" and report["index"]["framework_chunks"] > 0
    assert report["index"]["missing"] == []


def test_malformed_web_login_and_invalid_config_are_problems(aiops, monkeypatch, tmp_path):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    monkeypatch.setenv("AIOPS_WEB_AUTH", "only-a-user")
    r = aiops(["doctor"])
    assert r.returncode == 1
    assert "AIOPS_WEB_AUTH is set but must look like USER:PASSWORD" in lines(r.stdout, "problem")[0]
    assert "only-a-user" not in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("confidence_threshold: 7\n")
    r = aiops(["--config", str(bad), "doctor"])
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert any("Invalid config key 'confidence_threshold'" in x for x in lines(r.stdout, "problem"))


def test_without_online_nothing_is_sent(aiops, server, pointed_at):
    r = aiops(["--config", pointed_at, "doctor"])
    assert r.returncode == 0, r.stdout
    assert server.seen == []
    out = flat(r.stdout)
    assert "Tracing is on: interviews are traced to http://127.0.0.1" in out
    assert "test request not sent" in out


def test_online_reports_the_rejected_key_and_that_langfuse_answers(aiops, server, pointed_at):
    r = aiops(["--config", pointed_at, "doctor", "--online"])
    assert r.returncode == 1
    [problem] = lines(r.stdout, "problem")
    assert f"{TEST_MODEL} (primary): Did not answer the test request: OpenAI rejected the API key (401)" in problem
    assert "Incorrect API key provided: sk-test-***-key." in problem
    assert "Fix: Set a valid OPENAI_API_KEY" in problem
    assert FAKE_KEY not in r.stdout
    assert any("Tracing is on and http://127.0.0.1" in x and "answers" in x for x in lines(r.stdout, "ok"))
    posts = [s for s in server.seen if s[0] == "POST"]
    assert len(posts) == 1  # one request, no retries: through the project's Gateway, as the chat would send it
    _, path, auth, body = posts[0]
    assert path == "/v1/chat/completions" and auth == f"Bearer {FAKE_KEY}"
    assert body["model"] == "doctor-test-mini"
    assert ("GET", "/api/public/health", None, None) in server.seen
    report = json.loads(aiops(["--config", pointed_at, "doctor", "--online", "--json"]).stdout)
    probe = report["models"][0]["probe"]
    assert probe["answered"] is False and probe["kind"] == "auth" and probe["permanent"] is True
    assert report["tracing"]["reachable"] is True


def test_online_langfuse_that_does_not_answer_is_a_problem(aiops, monkeypatch):
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    monkeypatch.setenv("LANGFUSE_PUBLIC_KEY", "pk-lf-test")
    monkeypatch.setenv("LANGFUSE_SECRET_KEY", "sk-lf-test")
    with error_server("openai", "bad_key") as srv:
        port = srv.server_port  # closed when the block ends: a port nobody listens on
    monkeypatch.setenv("LANGFUSE_BASE_URL", f"http://127.0.0.1:{port}")
    r = aiops(["doctor", "--online"])
    assert r.returncode == 1
    [problem] = lines(r.stdout, "problem")
    assert f"http://127.0.0.1:{port} did not answer" in problem and "LANGFUSE_BASE_URL" in problem


def test_help_describes_the_command(aiops, capsys):
    with pytest.raises(SystemExit):
        aiops(["doctor", "--help"])
    out = flat(capsys.readouterr().out)
    assert "--online" in out and "--json" in out and "Exit code 1 when there is a problem" in out
