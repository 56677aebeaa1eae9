"""Benchmarks of `aiops-assess eval` (not timed tests).

1. Throughput with the offline engine: 100 interview runs (the recorded interviews, cycled),
   transcript mode, concurrency 1 and 2. Target: 100 interviews in under 30 s on 2 cores.
2. Speed-up from --concurrency 16 against a provider with 200 ms latency: a local
   OpenAI-compatible server that waits 200 ms per chat completion. Target: >= 10x over serial.

Run: uv run python benchmarks/bench_eval.py [--latency-interviews N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agent.app import App, build_gateway  # noqa: E402
from agent.common.config import load_settings  # noqa: E402
from agent.core.rubric import load_rubric  # noqa: E402
from agent.evaluation.interviews import load_interviews  # noqa: E402
from agent.evaluation.runner import run_all  # noqa: E402
from agent.gateway.models import ModelChoice  # noqa: E402

LATENCY_S = 0.2


class SlowOpenAI(BaseHTTPRequestHandler):
    """POST /v1/chat/completions: waits LATENCY_S, answers an empty RubricUpdate in OpenAI's format."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(LATENCY_S)
        body = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": int(time.time()), "model": "bench",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps({"answers": []})}}],
            "usage": {"prompt_tokens": 500, "completion_tokens": 10, "total_tokens": 510},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def throughput(settings, rubric, interviews, concurrency: int) -> float:
    hundred = list(itertools.islice(itertools.cycle(interviews), 100))
    app = App(settings, rubric=rubric)
    app.gateway.ready()
    run_all(app, hundred[:2])  # warm caches
    t0 = time.perf_counter()
    runs = run_all(app, hundred, concurrency=concurrency)
    assert not any(r.error for r in runs), [r.error for r in runs if r.error][:1]
    return time.perf_counter() - t0


def serve(port_queue) -> None:
    """The slow provider, in its own process (a real provider does not share our CPU or GIL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowOpenAI)
    server.daemon_threads = True
    port_queue.put(server.server_port)
    server.serve_forever()


def latency_speedup(settings, rubric, interviews, n: int) -> dict:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    ports = ctx.Queue()
    proc = ctx.Process(target=serve, args=(ports,), daemon=True)
    proc.start()
    os.environ["OPENAI_API_KEY"] = "sk-bench-not-a-key"
    base = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"
    s = settings.model_copy(update={"model": "openai/bench", "api_base": base, "num_retries": 0,
                                    "offline_fallback": False})
    app = App(s, gateway=build_gateway(s, ModelChoice(model="openai/bench", fallbacks=[])), rubric=rubric)
    app.gateway.ready()
    subset = interviews[:n]
    out = {}
    for conc in (1, 16):
        t0 = time.perf_counter()
        runs = run_all(app, subset, concurrency=conc)
        out[conc] = time.perf_counter() - t0
        assert not any(r.error for r in runs), [r.error for r in runs if r.error][:1]
        calls = sum(r.model_calls for r in runs)
    proc.terminate()
    return {"interviews": n, "calls": calls, "serial_s": round(out[1], 2), "concurrent_16_s": round(out[16], 2),
            "speedup": round(out[1] / out[16], 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-interviews", type=int, default=32)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        settings = load_settings().model_copy(update={"data_dir": Path(d), "model": "offline/rubric"})
        rubric = load_rubric()
        interviews = load_interviews(None, rubric)
        for conc in (1, 2):
            sec = throughput(settings, rubric, interviews, conc)
            print(f"offline engine, 100 interviews, concurrency {conc}: {sec:.1f} s ({100 / sec:.1f} interviews/s)")
        r = latency_speedup(settings, rubric, interviews, args.latency_interviews)
        print(f"200 ms provider, {r['interviews']} interviews ({r['calls']} calls): serial {r['serial_s']} s, "
              f"--concurrency 16 {r['concurrent_16_s']} s, speed-up {r['speedup']}x")


if __name__ == "__main__":
    main()
