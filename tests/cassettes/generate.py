"""Author the cassettes of tests/test_providers.py from local emulators of the providers' HTTP APIs.

No provider is reachable where these tests were written, so their cassettes are generated: this
script starts local servers that speak

  OpenAI chat completions   POST /v1/chat/completions (JSON; SSE `data: …` chunks ending in
                            `data: [DONE]` when streaming; tool calls for `tools`/`tool_choice`)
  Anthropic Messages        POST /v1/messages (content blocks; `tool_use` for a forced tool; SSE
                            events when streaming; usage input_tokens/output_tokens; requires the
                            `x-api-key` and `anthropic-version` headers and refuses a max_tokens
                            above the model's output limit, as the API does)
  Ollama chat               POST /api/chat (JSON, NDJSON when streaming)
  a LiteLLM proxy           POST /chat/completions, OpenAI format, needs a virtual key

whose answers come from the project's offline engine (`agent.offline.provider.respond`: what an
LLM should return for our prompts), runs tests/test_providers.py in-process with
`--record-mode=rewrite` while litellm is pointed at them (OPENAI_BASE_URL, ANTHROPIC_API_BASE,
OLLAMA_API_BASE, and the proxy as the test's api_base), so vcrpy records the agent's real HTTP
traffic, and finally rewrites every cassette written in this run to the real endpoints
(https://api.openai.com, https://api.anthropic.com, http://localhost:11434, and
http://localhost:4000 for the proxy), which is where the tests send their requests when replaying.

Tests provoke faults through the `emulator` fixture (`emulator.fail("openai", "rate_limit")`): the
next requests to that provider get a 429, a 5xx, a truncated or an out-of-range JSON answer.

    uv run python tests/cassettes/generate.py             # every test of tests/test_providers.py
    uv run python tests/cassettes/generate.py -k budget   # extra pytest arguments select tests

Ids, timestamps and durations in the answers are derived from the request, so generating twice
gives the same cassettes.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import threading
import time
from collections import defaultdict, deque
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "tests" / "cassettes" / "test_providers"
REAL = {
    "openai": "https://api.openai.com",
    "anthropic": "https://api.anthropic.com",
    "ollama": "http://localhost:11434",
    "proxy": "http://localhost:4000",
}
CREATED = 1795856400  # 2026-11-28T09:00:00Z, the answers' clock

# The emulators while this script runs the tests (tests/test_providers.py looks here); else None.
ACTIVE: Emulators | None = None

# Model names as the providers answer them (aliases resolve to dated snapshots).
_SNAPSHOT = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-5.4-mini": "gpt-5.4-mini-2026-03-17",
             "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022", "claude-haiku-4-5": "claude-haiku-4-5-20251001"}
# Anthropic output-token limits the API enforces (max_tokens above them is a 400).
_ANTHROPIC_MAX_OUTPUT = {"claude-3-5-haiku": 8192, "claude-3-haiku": 4096, "claude-haiku-4-5": 64000,
                         "claude-sonnet-4": 64000, "claude-opus-4": 32000}
FAULTS = ("ok", "rate_limit", "unavailable", "truncated", "out_of_range")


def _anthropic_schema_error(node, names: bool = False) -> str | None:
    """What Anthropic's structured outputs refuse in a schema (numeric and length constraints), or None."""
    if isinstance(node, dict):
        for k, v in node.items():
            if not names and k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                                   "maxLength") and node.get("type") in ("integer", "number", "string"):
                return f"For '{node['type']}' type, property '{k}' is not supported"
            err = _anthropic_schema_error(v, names=not names and k in ("properties", "$defs", "definitions"))
            if err:
                return err
    elif isinstance(node, list):
        for v in node:
            err = _anthropic_schema_error(v)
            if err:
                return err
    return None


# -- what the model says ---------------------------------------------------------------------------
def _text_of(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks / parts
        out = []
        for b in content:
            if not isinstance(b, dict):
                continue
            if b.get("type") == "text":
                out.append(b.get("text", ""))
            elif b.get("type") == "tool_use":
                out.append(json.dumps(b.get("input")))
            elif b.get("type") == "tool_result":
                out.append(_text_of(b.get("content")))
        return "\n".join(out)
    return ""


def _answer(messages: list[dict], fault: str) -> tuple[str, bool]:
    """(content, cut off) the engine gives for these OpenAI-shaped messages under `fault`."""
    from agent.offline.provider import respond

    content = respond([{"role": m["role"], "content": _text_of(m.get("content"))} for m in messages])
    if fault == "truncated":
        return content[: max(1, len(content) // 2)], True
    if fault == "out_of_range":
        try:
            data = json.loads(content)
        except ValueError:
            return content, False
        if isinstance(data, dict) and data.get("answers"):
            data["answers"] = [{**a, "score": a["score"] + 6} for a in data["answers"]]
        else:
            data = {"answers": [{"question_id": "q1", "score": 9, "confidence": 0.5, "evidence": "everything"}]}
        return json.dumps(data), False
    return content, False


def _tokens(text: str) -> int:
    import litellm

    return max(1, litellm.token_counter(model="gpt-4o-mini", text=text or " "))


def _prompt_tokens(messages: list[dict]) -> int:
    import litellm

    return litellm.token_counter(model="gpt-4o-mini",
                                 messages=[{"role": m["role"], "content": _text_of(m.get("content"))}
                                           for m in messages])


def _pieces(text: str) -> list[str]:
    """`text` cut where a BPE tokenizer cuts it (tokens joined until they are whole UTF-8)."""
    from litellm.litellm_core_utils.default_encoding import encoding

    out, buf = [], b""
    for t in encoding.encode(text, disallowed_special=()):
        buf += encoding.decode_single_token_bytes(t)
        try:
            out.append(buf.decode("utf-8"))
            buf = b""
        except UnicodeDecodeError:
            continue
    if buf:
        out.append(buf.decode("utf-8", "replace"))
    return out


# What OpenAI's strict structured outputs refuse (documented limits, and the 400s users report:
# "'default' is not permitted", "'maxLength' is not permitted").
_STRICT_REFUSED = ("default", "minLength", "maxLength", "patternProperties", "unevaluatedProperties",
                   "propertyNames", "minProperties", "maxProperties", "uniqueItems", "contains")


def _strict_schema_error(schema, path: tuple = ()) -> str | None:
    """The API's complaint about a `strict: true` JSON schema, or None."""
    if isinstance(schema, list):
        for i, s in enumerate(schema):
            err = _strict_schema_error(s, (*path, str(i)))
            if err:
                return err
        return None
    if not isinstance(schema, dict):
        return None
    ctx = f"In context={path!r}"
    for key in _STRICT_REFUSED:
        if key in schema:
            return f"{ctx}, '{key}' is not permitted."
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"{ctx}, 'additionalProperties' is required to be supplied and to be false."
        missing = [k for k in schema.get("properties", {}) if k not in (schema.get("required") or [])]
        if missing:
            return (f"{ctx}, 'required' is required to be supplied and to be an array including every key in "
                    f"properties. Missing '{missing[0]}'.")
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            for name, sub in value.items():
                err = _strict_schema_error(sub, (*path, key, name))
                if err:
                    return err
        elif key in ("items", "anyOf", "allOf", "oneOf", "not"):
            err = _strict_schema_error(value, (*path, key))
            if err:
                return err
    return None


def _ident(body: bytes, n: int = 24) -> str:
    return hashlib.sha256(body).hexdigest()[:n]


# -- the servers -----------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    provider = ""  # set per server
    emulators: Emulators

    def log_message(self, *args) -> None:  # quiet
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line, and the server and date headers this provider sends (a fixed clock)."""
        self.send_response_only(code, message)
        server = {"openai": "cloudflare", "anthropic": "cloudflare", "proxy": "uvicorn"}.get(self.provider)
        if server:
            self.send_header("server", server)
        self.send_header("date", formatdate(CREATED, usegmt=True))

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data, headers: dict | None = None, content_type="application/json") -> None:
        self._send(status, json.dumps(data).encode(), content_type, headers)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            return self._json(400, {"error": "invalid JSON body"})
        fault = self.emulators.next_fault(self.provider)
        if self.provider in ("openai", "proxy"):
            return self._openai(body, raw, fault)
        if self.provider == "anthropic":
            return self._anthropic(body, raw, fault)
        return self._ollama(body, raw, fault)

    # OpenAI chat completions (and a LiteLLM proxy in front of it) ---------------------------------
    def _openai(self, body: dict, raw: bytes, fault: str) -> None:
        proxy = self.provider == "proxy"
        path_ok = self.path in ("/chat/completions", "/v1/chat/completions") if proxy else self.path == "/v1/chat/completions"
        if not path_ok:
            return self._json(404, {"error": {"message": f"Invalid URL (POST {self.path})", "type": "invalid_request_error",
                                              "param": None, "code": None}})
        auth = self.headers.get("authorization") or ""
        if not auth.startswith("Bearer ") or len(auth) < 12:
            msg = ("Authentication Error, No api key passed in." if proxy else
                   "You didn't provide an API key. You need to provide your API key in an Authorization header "
                   "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
            return self._json(401, {"error": {"message": msg, "type": "invalid_request_error", "param": None,
                                              "code": None}})
        model = body.get("model", "")
        rid = _ident(raw)
        headers = {"x-request-id": f"req_{rid}", "openai-version": "2020-10-01", "openai-processing-ms": "412"}
        if proxy:
            headers = {"x-litellm-version": "1.110.2", "x-litellm-call-id": rid, "x-litellm-model-api-base":
                       "https://api.openai.com"}
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema" and fmt.get("json_schema", {}).get("strict"):
            err = _strict_schema_error(fmt["json_schema"].get("schema") or {})
            if err:
                name = fmt["json_schema"].get("name", "")
                return self._json(400, {"error": {"message": f"Invalid schema for response_format '{name}': {err}",
                                                  "type": "invalid_request_error", "param": "response_format",
                                                  "code": None}}, headers)
        if fault == "rate_limit":
            return self._json(429, {"error": {
                "message": f"Rate limit reached for {model} in organization org-emulator on requests per min (RPM): "
                           "Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit "
                           "https://platform.openai.com/account/rate-limits to learn more.",
                "type": "requests", "param": None, "code": "rate_limit_exceeded"}},
                {**headers, "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "0",
                 "x-ratelimit-reset-requests": "120ms"})
        if fault == "unavailable":
            return self._json(503, {"error": {"message": "The server is overloaded or not ready yet.",
                                              "type": "server_error", "param": None, "code": None}}, headers)
        content, cut = _answer(body.get("messages", []), fault)
        snapshot = _SNAPSHOT.get(model, model)
        common = {"id": f"chatcmpl-{rid}", "created": CREATED, "model": snapshot}
        tail = {"service_tier": "default", "system_fingerprint": "fp_7a51d3e1c4"}
        prompt, completion = _prompt_tokens(body.get("messages", [])), _tokens(content)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
                 "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                               "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
        tools = body.get("tools") or []
        forced = body.get("tool_choice")
        if body.get("stream"):
            return self._openai_stream(common, tail, content, usage, body)
        if tools and isinstance(forced, dict):
            name = forced.get("function", {}).get("name") or tools[0]["function"]["name"]
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": f"call_{rid[:24]}", "type": "function", "function": {"name": name, "arguments": content}}],
                "refusal": None, "annotations": []}
            finish = "length" if cut else "stop"  # a forced tool call ends with "stop", not "tool_calls"
        else:
            message = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
            finish = "length" if cut else "stop"
        self._json(200, {"id": common["id"], "object": "chat.completion", "created": CREATED, "model": snapshot,
                         "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                         "usage": usage, **tail}, headers)

    def _openai_stream(self, common: dict, tail: dict, content: str, usage: dict, body: dict) -> None:
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        head = {"id": common["id"], "object": "chat.completion.chunk", "created": CREATED, "model": common["model"],
                **tail}

        def chunk(choices, **extra) -> str:
            data = {**head, "choices": choices, **({"usage": None} if with_usage else {}), **extra}
            return "data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n\n"

        events = [chunk([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": None},
                          "logprobs": None, "finish_reason": None}])]
        events += [chunk([{"index": 0, "delta": {"content": p}, "logprobs": None, "finish_reason": None}])
                   for p in _pieces(content)]
        events.append(chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
        if with_usage:
            events.append(chunk([], usage=usage))
        events.append("data: [DONE]\n\n")
        self._send(200, "".join(events).encode(), "text/event-stream; charset=utf-8",
                   {"x-request-id": f"req_{common['id'][9:]}", "openai-version": "2020-10-01",
                    "openai-processing-ms": "187"})

    # Anthropic Messages --------------------------------------------------------------------------
    def _anthropic_error(self, status: int, kind: str, message: str, rid: str, headers=None) -> None:
        self._json(status, {"type": "error", "error": {"type": kind, "message": message},
                            "request_id": f"req_{rid}"}, {"request-id": f"req_{rid}", **(headers or {})})

    def _anthropic(self, body: dict, raw: bytes, fault: str) -> None:
        rid = _ident(raw)
        if self.path != "/v1/messages":
            return self._anthropic_error(404, "not_found_error", "Not found", rid)
        if not self.headers.get("x-api-key"):
            return self._anthropic_error(401, "authentication_error", "x-api-key header is required", rid)
        if not self.headers.get("anthropic-version"):
            return self._anthropic_error(400, "invalid_request_error", "anthropic-version: header is required", rid)
        model = body.get("model", "")
        snapshot = _SNAPSHOT.get(model, model)
        limit = next((v for k, v in _ANTHROPIC_MAX_OUTPUT.items() if model.startswith(k)), None)
        if not isinstance(body.get("max_tokens"), int):
            return self._anthropic_error(400, "invalid_request_error", "max_tokens: Field required", rid)
        if limit is not None and body["max_tokens"] > limit:
            return self._anthropic_error(400, "invalid_request_error",
                                         f"max_tokens: {body['max_tokens']} > {limit}, which is the maximum allowed "
                                         f"number of output tokens for {snapshot}", rid)
        if body.get("output_format") and "structured-outputs" not in (self.headers.get("anthropic-beta") or ""):
            # Structured outputs are a beta: without its header the API refuses the field.
            return self._anthropic_error(400, "invalid_request_error", "output_format: Extra inputs are not permitted",
                                         rid)
        refused = _anthropic_schema_error((body.get("output_format") or {}).get("schema") or {})
        if refused:
            return self._anthropic_error(400, "invalid_request_error", f"output_format.schema: {refused}", rid)
        if fault == "rate_limit":
            return self._anthropic_error(429, "rate_limit_error",
                                         "This request would exceed the rate limit for your organization of 50 "
                                         "requests per minute. For details, refer to: "
                                         "https://docs.claude.com/en/api/rate-limits.", rid, {"retry-after": "1"})
        if fault == "unavailable":
            return self._anthropic_error(529, "overloaded_error", "Overloaded", rid)
        system = body.get("system")
        messages = ([{"role": "system", "content": _text_of(system)}] if system else []) + body.get("messages", [])
        forced = body.get("tool_choice") or {}
        tool = forced.get("name") if forced.get("type") == "tool" else None
        content, cut = _answer(messages, "out_of_range" if (tool and fault == "truncated") else fault)
        usage = {"input_tokens": _prompt_tokens(messages), "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0, "output_tokens": _tokens(content), "service_tier": "standard"}
        msg_id = f"msg_01{rid}"
        if body.get("stream"):
            return self._anthropic_stream(msg_id, snapshot, content, usage, cut, rid)
        if tool:
            blocks = [{"type": "tool_use", "id": f"toolu_01{rid}", "name": tool, "input": json.loads(content)}]
            stop = "tool_use"
        else:
            blocks = [{"type": "text", "text": content}]
            stop = "max_tokens" if cut else "end_turn"
        self._json(200, {"id": msg_id, "type": "message", "role": "assistant", "model": snapshot, "content": blocks,
                         "stop_reason": stop, "stop_sequence": None, "usage": usage},
                   {"request-id": f"req_{rid}", "anthropic-organization-id": "00000000-0000-4000-8000-000000000000"})

    def _anthropic_stream(self, msg_id: str, model: str, content: str, usage: dict, cut: bool, rid: str) -> None:
        def event(name: str, data: dict) -> str:
            return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"

        start_usage = {**usage, "output_tokens": 1}
        out = [event("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": None,
            "stop_sequence": None, "usage": start_usage}}),
               event("content_block_start", {"type": "content_block_start", "index": 0,
                                             "content_block": {"type": "text", "text": ""}}),
               event("ping", {"type": "ping"})]
        pieces = _pieces(content)
        for i in range(0, len(pieces), 3):  # Anthropic's deltas carry a few tokens each
            out.append(event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                     "delta": {"type": "text_delta", "text": "".join(pieces[i:i + 3])}}))
        out += [event("content_block_stop", {"type": "content_block_stop", "index": 0}),
                event("message_delta", {"type": "message_delta",
                                        "delta": {"stop_reason": "max_tokens" if cut else "end_turn",
                                                  "stop_sequence": None},
                                        "usage": {"output_tokens": usage["output_tokens"]}}),
                event("message_stop", {"type": "message_stop"})]
        self._send(200, "".join(out).encode(), "text/event-stream; charset=utf-8",
                   {"request-id": f"req_{rid}", "cache-control": "no-cache"})

    # Ollama chat ---------------------------------------------------------------------------------
    def _ollama(self, body: dict, raw: bytes, fault: str) -> None:
        if self.path != "/api/chat":
            return self._send(404, b"404 page not found", "text/plain")
        if fault == "unavailable":
            return self._json(503, {"error": "server busy, please try again.  maximum pending requests exceeded"})
        if fault == "rate_limit":
            return self._json(429, {"error": "too many requests"})
        content, cut = _answer(body.get("messages", []), fault)
        n = int(_ident(raw, 6), 16)
        prompt, completion = _prompt_tokens(body.get("messages", [])), _tokens(content)
        prompt = min(prompt, (body.get("options") or {}).get("num_ctx") or 4096)  # Ollama cuts longer prompts
        stats = {"total_duration": 2_400_000_000 + n, "load_duration": 21_000_000 + n % 1000,
                 "prompt_eval_count": prompt, "prompt_eval_duration": 900_000_000 + n % 100_000,
                 "eval_count": completion, "eval_duration": 1_400_000_000 + n % 100_000}
        stamp = f"2026-11-28T09:00:00.{n % 1_000_000:06d}Z"
        done_reason = "length" if cut else "stop"
        if body.get("stream"):
            lines = [json.dumps({"model": body["model"], "created_at": stamp,
                                 "message": {"role": "assistant", "content": p}, "done": False})
                     for p in _pieces(content)]
            lines.append(json.dumps({"model": body["model"], "created_at": stamp,
                                     "message": {"role": "assistant", "content": ""}, "done_reason": done_reason,
                                     "done": True, **stats}))
            return self._send(200, ("\n".join(lines) + "\n").encode(), "application/x-ndjson")
        self._json(200, {"model": body["model"], "created_at": stamp, "message": {"role": "assistant", "content": content},
                         "done_reason": done_reason, "done": True, **stats},
                   content_type="application/json; charset=utf-8")


class Emulators:
    """The four emulated endpoints, on free ports of 127.0.0.1, and the faults tests queue."""

    def __init__(self) -> None:
        self._faults: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        self.servers: dict[str, ThreadingHTTPServer] = {}

    def start(self) -> Emulators:
        for name in REAL:
            handler = type(f"{name.title()}Handler", (_Handler,), {"provider": name, "emulators": self})
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, name=f"emulator-{name}", daemon=True).start()
            self.servers[name] = server
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def base(self, name: str) -> str:
        return f"http://127.0.0.1:{self.servers[name].server_port}"

    def env(self) -> dict[str, str]:
        """Where litellm sends each provider's requests while generating."""
        return {"OPENAI_BASE_URL": self.base("openai") + "/v1", "ANTHROPIC_API_BASE": self.base("anthropic"),
                "OLLAMA_API_BASE": self.base("ollama")}

    def fail(self, provider: str, *faults: str) -> None:
        """The next requests to `provider` (openai, anthropic, ollama, proxy) get these answers."""
        assert provider in REAL and all(f in FAULTS for f in faults), (provider, faults)
        with self._lock:
            self._faults[provider].extend(faults)

    def next_fault(self, provider: str) -> str:
        with self._lock:
            q = self._faults[provider]
            return q.popleft() if q else "ok"

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()

    def real_uri(self, uri: str) -> str:
        for name, real in REAL.items():
            if uri.startswith(self.base(name)):
                return real + uri[len(self.base(name)):]
        return uri


def rewrite(path: Path, emulators: Emulators) -> None:
    """Point a cassette recorded against the emulators at the real endpoints."""
    from urllib.parse import urlsplit

    from tests.cassette_yaml import read_cassette, write_cassette

    data = read_cassette(path)
    for it in data["interactions"]:
        req = it["request"]
        req["uri"] = emulators.real_uri(req["uri"])
        for name in list(req.get("headers") or {}):
            if name.lower() == "host":
                req["headers"][name] = [urlsplit(req["uri"]).netloc]
    write_cassette(path, data)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import pytest

    me = importlib.import_module("tests.cassettes.generate")  # the module the tests import
    emulators = me.Emulators().start()
    me.ACTIVE = emulators
    os.environ.update(emulators.env())
    started = time.time() - 1
    try:
        code = pytest.main(["tests/test_providers.py", "--record-mode=rewrite", "-p", "no:cacheprovider", "-q", *argv])
    finally:
        emulators.stop()
        me.ACTIVE = None
    written = sorted(p for p in CASSETTES.glob("*.yaml") if p.stat().st_mtime >= started)
    for p in written:
        rewrite(p, emulators)
    print(f"\n{len(written)} cassette(s) written and pointed at the real endpoints:")
    for p in written:
        print(f"  {p.relative_to(ROOT)}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
