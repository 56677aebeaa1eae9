"""Load and fault test of the shared deployment: locust drives whole interviews through the page's
API (Gradio's queue: `new`, then a `turn` per reply, as the page does) against 2 web
workers sharing one PostgreSQL and one Chroma server, on this machine. One worker is SIGKILLed
during the run and restarted; its users reload on the other worker (`open` with their session's
name, as a browser reload with ?session=NAME does) and resend their reply only when the chat does
not show it. Afterwards every session is compared with what its user sent: lost replies,
duplicated replies, replies that ended up in someone else's session.

    uv run python benchmarks/bench_load.py [--users 100] [--think 4 12] [--kill-at 40] [--restart-after 15]

Users are bound to one worker each, half and half: what a sticky proxy (ip_hash, docs/deploy.md)
does with users on many addresses — from one machine every request would come from one address.
"""

from __future__ import annotations

# locust runs on gevent: the standard library is patched before anything imports ssl or socket.
from gevent import monkey

monkey.patch_all()

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

import gevent
from locust import User, between, events, task
from locust.env import Environment
from locust.exception import StopUser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_web import SCRIPT
from benchmarks.gradio_queue import Page, chat_texts, fn_indexes
from tests.pg_server import PostgresServer, fresh_database
from tests.web_helpers import free_port, web_env


class Worker:
    """`aiops-assess web` on a fixed port (so it can be restarted on it)."""

    def __init__(self, port: int, data_dir: Path, env: dict[str, str]) -> None:
        self.port, self.data_dir, self.env = port, data_dir, env
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir.parent / f"worker-{self.port}.log", "a")  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen([sys.executable, "-m", "agent", "web", "--port", str(self.port)], cwd=ROOT,
                                     env={**web_env(self.data_dir), **self.env}, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"worker on {self.port} did not start") from None
                time.sleep(0.3)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Run:
    """What the users did, for checking the sessions afterwards."""

    workers: ClassVar[list[Worker]] = []
    fns: ClassVar[dict[str, int]] = {}
    think: ClassVar[tuple[float, float]] = (4.0, 12.0)
    sent: ClassVar[dict[str, list[str]]] = {}
    failovers: ClassVar[int] = 0
    errors: ClassVar[list[str]] = []
    completed: ClassVar[int] = 0


class Respondent(User):
    wait_time = between(0, 0)
    _ids = iter(range(10**9))

    def on_start(self) -> None:
        self.n = next(Respondent._ids)
        self.worker = Run.workers[self.n % len(Run.workers)]
        self.page = Page(self.worker.url, Run.fns)
        self.name = self._timed("new", lambda: self.page.call("new", []))[1]
        Run.sent[self.name] = []

    def _timed(self, kind: str, fn):
        t = time.perf_counter()
        exc = None
        try:
            return fn()
        except Exception as e:
            exc = e
            raise
        finally:
            events.request.fire(request_type="API", name=kind, response_time=(time.perf_counter() - t) * 1000,
                                response_length=0, exception=exc, context={})

    def _failover(self) -> list[str]:
        """The worker died: reload on another one (a new tab on the same session); what the chat shows."""
        Run.failovers += 1
        others = [w for w in Run.workers if w is not self.worker and w.proc and w.proc.poll() is None]
        self.worker = others[0] if others else self.worker
        for _ in range(30):
            try:
                self.page = Page(self.worker.url, Run.fns)
                out = self._timed("open", lambda: self.page.call("open", [self.name]))
                return chat_texts(out[3])
            except Exception:  # noqa: BLE001 - the other worker may be restarting too: wait and retry
                gevent.sleep(1)
        raise RuntimeError(f"{self.name}: no worker to resume on")

    @task
    def interview(self) -> None:
        tag = f" [respondent {self.n}]"
        for i, reply in enumerate(SCRIPT):
            if i:
                gevent.sleep(random.uniform(*Run.think))  # reading the answer, typing the next reply
            text = reply + tag
            for attempt in range(3):
                try:
                    self._timed("turn", lambda text=text: self.page.turn(text))
                    break
                except Exception as exc:
                    Run.errors.append(f"{self.name} turn {i}: {type(exc).__name__}")
                    shown = self._failover()
                    if shown and shown[-1] == text:
                        break  # it was saved before the worker died: the chat shows it
                    if attempt == 2:
                        raise StopUser() from exc
            Run.sent[self.name].append(text)
        Run.completed += 1
        raise StopUser()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--spawn-rate", type=float, default=5)
    ap.add_argument("--think", type=float, nargs=2, default=(4.0, 12.0))
    ap.add_argument("--kill-at", type=float, default=40)
    ap.add_argument("--restart-after", type=float, default=15)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="aiops-load-"))
    pg = PostgresServer()
    chroma = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(tmp / "chroma"),
                               "--port", str(chroma_port := free_port())], stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    db = fresh_database(pg.url)
    env = {"AIOPS_STORAGE__URL": db, "AIOPS_CHROMA__HOST": "localhost", "AIOPS_CHROMA__PORT": str(chroma_port)}
    Run.workers = [Worker(free_port(), tmp / f"w{i}" / "data", env) for i in range(2)]
    Run.think = tuple(args.think)  # type: ignore[assignment]
    try:
        for w in Run.workers:
            w.start()
        Run.fns = fn_indexes(Run.workers[0].url)
        environment = Environment(user_classes=[Respondent], events=events)
        runner = environment.create_local_runner()
        t0 = time.perf_counter()
        runner.start(args.users, spawn_rate=args.spawn_rate)
        victim = Run.workers[0]
        gevent.sleep(args.kill_at)
        victim.kill()
        killed_at = time.perf_counter() - t0
        gevent.sleep(args.restart_after)
        gevent.spawn(victim.start).join()
        while runner.user_count and time.perf_counter() - t0 < 1800:
            gevent.sleep(1)
        wall = time.perf_counter() - t0
        runner.quit()
        stats = environment.stats.get("turn", "API")
        turns = stats.num_requests - stats.num_failures
        from agent.interview.backends import PostgresSessions

        store = PostgresSessions(db)
        lost = dup = leaks = 0
        for name, sent in Run.sent.items():
            said = [m["content"] for m in store.read_values(name).get("messages", []) if m["role"] == "user"] \
                if store.exists(name) else []
            lost += sum(1 for s in sent if s not in said)
            dup += len(said) - len(set(said))
            mine = sent[0].rsplit(" [respondent", 1)[1] if sent else None
            leaks += sum(1 for s in said if mine and not s.endswith(" [respondent" + mine))
        result = {
            "users": args.users, "completed_users": Run.completed, "workers": 2, "think_seconds": args.think,
            "wall_seconds": round(wall, 1), "turns": turns, "turns_per_second": round(turns / wall, 2),
            "turn_p50_s": round(stats.get_response_time_percentile(0.5) / 1000, 2),
            "turn_p95_s": round(stats.get_response_time_percentile(0.95) / 1000, 2),
            "turn_errors": stats.num_failures, "killed_worker_at_s": round(killed_at, 1),
            "restarted_after_s": args.restart_after, "failovers": Run.failovers,
            "sessions_checked": len(Run.sent), "replies_lost": lost, "replies_duplicated": dup,
            "cross_session_leaks": leaks, "other_errors": [e for e in Run.errors if "turn" not in e][:5],
        }
        store.close()
        print(json.dumps(result, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
        return 0 if lost == dup == leaks == 0 and Run.completed == args.users else 1
    finally:
        for w in Run.workers:
            w.stop()
        chroma.terminate()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
