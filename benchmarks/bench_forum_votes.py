"""Benchmark: the forum's vote endpoint under 50 concurrent clients.

Target (issue 8): 300 votes/s sustained from 50 concurrent clients, none lost.

    uv run --frozen python benchmarks/bench_forum_votes.py [--clients 50] [--votes 6000]
        [--statements 60] [--threads 16] [--processes 2] [--port 8765]

Makes a fresh SQLite database (WAL) in a temporary folder (WHATWORKS_VAR_DIR), creates one
open conversation with anonymous voting, then starts the real platform in a subprocess
(``whatworks serve --no-worker``, waitress) and lets the clients hammer ``POST
/forum/<slug>/vote/`` over keep-alive HTTP connections, each like a browser: it fetches the
voting page once for its CSRF cookie and token, then votes, keeping the per-browser
participant cookie the first vote sets.  A client votes once on each statement and then
becomes a new browser (a new participant), which keeps every participant inside the vote
rate limit, as real people are.  All clients share 127.0.0.1, so the per-address limits of
anonymous voting are raised for the server (``WHATWORKS_THROTTLE_RATES``); their counting
still runs on every vote.  The redirect to the next statement is not followed: the
vote endpoint is what is measured.

A vote is *lost* if the server answered 303 (accepted) but the vote log does not hold it;
the script also counts refused requests.  Prints votes/s, latency percentiles and the
counts, and exits 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
SLUG = "bench-votes"


def setup(folder: Path, statements: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "whatworks.config.settings.base"
    os.environ["WHATWORKS_VAR_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from whatworks.forum.services.conversations import conversation_create

    call_command("migrate", verbosity=0)
    conversation_create(
        actor=None,
        slug=SLUG,
        question="Benchmark conversation",
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=1),
        seed_statements=[
            f"Benchmark statement number {i} about {i * 7919}" for i in range(statements)
        ],
    )


def wait_for(port: int, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


class Client:
    """One browser: keep-alive connection, cookies, the CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": self._cookie_header(), "Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}/forum/{SLUG}/"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                self._remember(response)
                return response.status, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt or method == "POST":
                    raise
        raise AssertionError("unreachable")

    def new_browser(self) -> None:
        self.cookies.clear()
        status, page = self.request("GET", f"/forum/{SLUG}/")
        assert status == 200, status
        match = TOKEN.search(page)
        assert match, "no CSRF token on the voting page"
        self.token = match.group(1).decode()


def run(
    *, clients: int, votes: int, statements: int, threads: int, processes: int, port: int
) -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-forum-"))
    setup(folder, statements)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "whatworks.config.settings.base",
        "WHATWORKS_VAR_DIR": str(folder),
        # every simulated browser comes from 127.0.0.1: lift the per-address limits on
        # anonymous voting (the per-participant limit still holds); the throttle's own
        # queries are still made on every vote, so their cost is measured
        "WHATWORKS_THROTTLE_RATES": "forum.join.address=1000000/3600,forum.vote.address=1000000/60",
    }
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "whatworks.cli",
            "serve",
            "--no-worker",
            "--port",
            str(port),
            "--threads",
            str(threads),
            "--processes",
            str(processes),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(port, server)
        per_client = votes // clients
        accepted = [0] * clients
        refused: list[int] = []
        errors: list[str] = []
        latencies: list[float] = []
        lock = threading.Lock()
        browsers = [Client(port) for _ in range(clients)]
        for browser in browsers:
            browser.new_browser()
        barrier = threading.Barrier(clients + 1)

        def work(index: int) -> None:
            browser = browsers[index]
            mine: list[float] = []
            barrier.wait()
            for n in range(per_client):
                statement = n % statements
                if n and statement == 0:
                    browser.new_browser()
                body = urlencode(
                    {
                        "csrfmiddlewaretoken": browser.token,
                        "statement": statement,
                        "vote": ("agree", "disagree", "pass")[(index + n) % 3],
                    }
                )
                started = time.perf_counter()
                try:
                    status, _ = browser.request("POST", f"/forum/{SLUG}/vote/", body)
                except Exception as exc:  # noqa: BLE001 — counted and reported
                    with lock:
                        errors.append(repr(exc))
                    continue
                mine.append(time.perf_counter() - started)
                if status == 303 and "forum_participant" in browser.cookies:
                    accepted[index] += 1
                else:
                    with lock:
                        refused.append(status)
            with lock:
                latencies.extend(mine)

        workers = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        for worker in workers:
            worker.start()
        barrier.wait()
        started = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    import sqlite3

    with sqlite3.connect(folder / "whatworks.sqlite3") as db:
        stored = db.execute("SELECT COUNT(*) FROM forum_vote").fetchone()[0]
        people = db.execute("SELECT COUNT(*) FROM forum_participant").fetchone()[0]
    total = sum(accepted)
    lost = total - stored
    rate = total / elapsed if elapsed else 0.0
    latencies.sort()
    p50 = statistics.median(latencies) if latencies else 0.0
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0.0
    print(
        f"cores: {os.cpu_count()}, clients: {clients}, web processes: {processes}, "
        f"waitress threads each: {threads}"
    )
    print(f"votes accepted (303): {total} of {clients * per_client} sent in {elapsed:.2f} s")
    print(
        f"throughput: {rate:.0f} votes/s; latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    print(f"votes stored: {stored}; participants: {people}; lost: {lost}")
    print(f"refused: {len(refused)} {sorted(set(refused))}; connection errors: {len(errors)}")
    print(f"server log: {folder / 'server.log'}")
    ok = rate >= 300 and lost == 0 and not refused and not errors
    print("target met" if ok else "TARGET MISSED: 300 votes/s, none lost")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--votes", type=int, default=6000)
    parser.add_argument("--statements", type=int, default=60)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    return run(
        clients=args.clients,
        votes=args.votes,
        statements=args.statements,
        threads=args.threads,
        processes=args.processes,
        port=args.port,
    )


if __name__ == "__main__":
    sys.exit(main())
