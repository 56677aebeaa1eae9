"""The shared deployment, for real: two web workers (separate data directories, nothing shared on
disk) on one PostgreSQL, behind nginx configured with deploy/nginx-aiops.conf (the file the docs
give). A person answers in Chromium through the proxy; the worker that served them is killed; a
reload resumes the interview on the other worker and the next reply continues it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web_helpers import (
    CHROMIUM,
    ROOT,
    free_port,
    launch_chromium,
    open_page,
    send,
    session_name,
    user_count,
    web_process,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REPLY_1 = "Every application goes through our LiteLLM gateway, with automatic failover to a second provider."
REPLY_2 = "We trace every request end to end in Langfuse."


def _nginx(tmp: Path, listen: int, workers: list[int]) -> subprocess.Popen:
    snippet = (ROOT / "deploy" / "nginx-aiops.conf").read_text(encoding="utf-8")
    snippet = snippet.replace("127.0.0.1:7861", f"127.0.0.1:{workers[0]}").replace(
        "127.0.0.1:7862", f"127.0.0.1:{workers[1]}").replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    (tmp / "aiops.conf").write_text(snippet, encoding="utf-8")
    user = "user root;" if os.geteuid() == 0 else ""
    temp = " ".join(f"{k}_temp_path {tmp / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "nginx.conf").write_text(f"""{user}
worker_processes 1; daemon off; pid {tmp / 'nginx.pid'}; error_log {tmp / 'error.log'};
events {{ worker_connections 256; }}
http {{
    log_format upstream '$upstream_addr $request_method $uri';
    access_log {tmp / 'access.log'} upstream;
    {temp}
    include {tmp / 'aiops.conf'};
}}
""", encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")], stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{listen}/", timeout=5).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                why = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"nginx did not start: {why}") from None
            time.sleep(0.2)


def _served_by(tmp: Path) -> set[int]:
    """The worker ports the proxy sent the page's turns to (the queue's POSTs), from its access log."""
    lines = (tmp / "access.log").read_text(encoding="utf-8").splitlines()
    return {int(m.group(1)) for ln in lines if "POST" in ln and (m := re.search(r"127\.0\.0\.1:(\d+)", ln))}


def test_two_workers_behind_nginx_share_sessions_and_survive_a_killed_worker(tmp_path, postgres_server):
    if not Path(CHROMIUM).exists() or not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs chromium and nginx for the deployment test (apt-get install chromium nginx)")
        pytest.skip("needs /usr/bin/chromium and nginx (apt-get install chromium nginx)")
    from playwright.sync_api import sync_playwright

    from agent.interview.backends import PostgresSessions
    from tests.pg_server import fresh_database

    db = fresh_database(postgres_server)
    env = {"AIOPS_STORAGE__URL": db}
    (tmp_path / "w1").mkdir()
    (tmp_path / "w2").mkdir()
    proxy_dir = tmp_path / "nginx"
    for sub in ("", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (proxy_dir / sub).mkdir(parents=True, exist_ok=True)
    with web_process(tmp_path / "w1" / "data", env=env) as (url1, proc1), \
            web_process(tmp_path / "w2" / "data", env=env) as (url2, proc2):
        ports = [int(url1.rsplit(":", 1)[1].strip("/")), int(url2.rsplit(":", 1)[1].strip("/"))]
        listen = free_port()
        nginx = _nginx(proxy_dir, listen, ports)
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                page = open_page(browser.new_context(), f"http://127.0.0.1:{listen}/")
                send(page, REPLY_1)
                name = session_name(page)
                [first] = _served_by(proxy_dir)
                (proc1 if first == ports[0] else proc2).send_signal(signal.SIGKILL)
                page.close()
                page = open_page(browser.new_context(), f"http://127.0.0.1:{listen}/?session={name}")
                assert user_count(page) == 1  # the conversation, read from Postgres by the other worker
                send(page, REPLY_2)
                browser.close()
            assert _served_by(proxy_dir) == set(ports)  # the second turn was served by the other worker
        finally:
            nginx.terminate()
            nginx.wait(10)
    said = [m["content"] for m in PostgresSessions(db).read_values(name)["messages"] if m["role"] == "user"]
    assert said == [REPLY_1, REPLY_2]
