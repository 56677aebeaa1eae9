"""A local HTTP server that answers every POST with one of the providers' real error responses
(tests/fixtures/provider_errors.yaml), and GET requests from a small table (e.g. Langfuse's health
endpoint), recording what it was sent, so a test can point the agent at it with `api_base`
(OpenAI, Anthropic), OLLAMA_API_BASE or LANGFUSE_BASE_URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ERRORS = yaml.safe_load((Path(__file__).parent / "fixtures" / "provider_errors.yaml").read_text())


class _Handler(BaseHTTPRequestHandler):
    server: ErrorServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.seen.append(("POST", self.path, self.headers.get("authorization"), json.loads(body or b"{}")))
        if self.server.delay and self.server.released.wait(self.server.delay):
            return  # the test is over: no answer
        self._send(self.server.status, self.server.body)

    def do_GET(self) -> None:
        self.server.seen.append(("GET", self.path, None, None))
        self._send(*self.server.get.get(self.path, (404, {"message": "not found"})))

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (a timeout under test)
            pass

    def log_message(self, *args) -> None:
        pass


class ErrorServer(ThreadingHTTPServer):
    status: int
    body: dict
    get: dict[str, tuple[int, dict]]
    seen: list[tuple]
    delay: float
    released: threading.Event

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def requests(self) -> int:
        """How many model requests (POSTs) it answered."""
        return sum(1 for s in self.seen if s[0] == "POST")


@contextmanager
def error_server(provider: str, error: str, get: dict[str, tuple[int, dict]] | None = None) -> Iterator[ErrorServer]:
    """Serve `provider`'s `error` (a key of the fixtures file) to every POST on a free local port,
    after the fixture's `delay` seconds if it has one; GET answers from `get` (path → status,
    body), else 404."""
    srv = ErrorServer(("127.0.0.1", 0), _Handler)
    srv.status, srv.body = ERRORS[provider][error]["status"], ERRORS[provider][error]["body"]
    srv.get, srv.seen = dict(get or {}), []
    srv.delay, srv.released = float(ERRORS[provider][error].get("delay", 0)), threading.Event()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.released.set()
        srv.shutdown()
        srv.server_close()
