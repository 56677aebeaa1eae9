"""A browser tab's side of the page's Gradio queue API, for the benchmarks: join the queue with an
event, read the event stream until it completes (what gradio_client does, without its threads, so
that locust's gevent and a plain loop can both drive it)."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid

import requests

TURN_TIMEOUT = 120


class Page:
    """One browser tab's conversation with one worker through Gradio's queue API."""

    def __init__(self, base: str, fns: dict[str, int]) -> None:
        self.base, self.fns = base + "/gradio_api", fns
        self.hash = uuid.uuid4().hex[:12]
        self.http = requests.Session()

    def call(self, api: str, data: list) -> list:
        r = self.http.post(f"{self.base}/queue/join", timeout=TURN_TIMEOUT, json={
            "data": data, "fn_index": self.fns[api], "session_hash": self.hash, "event_data": None, "trigger_id": None})
        r.raise_for_status()
        event = r.json()["event_id"]
        with self.http.get(f"{self.base}/queue/data", params={"session_hash": self.hash}, stream=True,
                           timeout=TURN_TIMEOUT) as stream:
            for line in stream.iter_lines():
                if not line.startswith(b"data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") == event and msg.get("msg") == "process_completed":
                    if not msg.get("success"):
                        raise RuntimeError(f"{api} failed: {str(msg.get('output'))[:200]}")
                    return msg["output"]["data"]
        raise ConnectionError(f"{api}: the event stream ended without a result")

    def turn(self, text: str) -> list:
        """A reply, as the page sends it: the tab's state (its session name) is the server's, so the
        client sends None for it. The last update's data."""
        return self.call("turn", [text, None])


def chat_texts(chat: list) -> list[str]:
    """The person's messages in a Chatbot value (content as text or as a list of parts), as typed:
    the page shows them Markdown-escaped ("\\[", "&lt;"), which a person reads as the plain text."""
    out = []
    for m in chat or []:
        if m.get("role") != "user":
            continue
        content = m.get("content")
        shown = " ".join(p.get("text", "") for p in content if isinstance(p, dict)) \
            if isinstance(content, list) else str(content)
        out.append(re.sub(r"\\(.)", r"\1", shown).replace("&lt;", "<").replace("&amp;", "&"))
    return out


def fn_indexes(url: str) -> dict[str, int]:
    config = json.loads(urllib.request.urlopen(url + "/config", timeout=10).read())
    return {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name") in ("new", "turn", "open")}
