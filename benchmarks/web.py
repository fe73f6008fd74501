"""Benchmark: 20 signed-in users at once on the heaviest pages of each role, against `pbc serve`.

    .venv/bin/python benchmarks/web.py [--data-dir DIR] [--users 20] [--seconds 30]
                                       [--max-requests N] [--workers N]

With --data-dir the demo built there is served (`pbc demo` builds the full one; the README's
figures are on it); without it a test-scale demo is built in a temporary directory first (the
smoke test in `make test` does this). The script starts `pbc serve` on a free loopback port with
that data directory, as `make run` does, and stops it at the end.

Each demo role signs in once, through the sign-in form and the second factor (the code from
`pbc demo totp`), as a person does. The pages are each role's heaviest (board pack page, PDF and
XLSX; statements; inequalities; registers; findings; indicator pages; a provider's contracts; a
practice's drill-down); the users are spread over the roles and each goes round its role's pages.

1. first: each page once (what the first visitor after a refresh waits for; reported per page);
2. baseline: one user, sequentially, each page `--baseline-rounds` times;
3. ours: `--users` users at once, closed loop without think time (each sends its next request
   when the last is answered), for `--seconds` or until `--max-requests` are answered.

The last line printed is one JSON object: name, users, workers (the server's worker processes),
requests, errors, p50_s and p95_s (concurrent), baseline_p50_s and baseline_p95_s (one user),
ours_s (= p50_s), baseline_s (= baseline_p50_s), ratio (= p95_s / baseline_p95_s: how much
slower the slowest pages get under load), requests_per_s, per-page figures, the server's CPU
seconds during the concurrent phase, and the machine's load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import django

from pbc.config import server
from pbc.synth import geography

PCT = geography.WEST_HERTS
LOCALITY = PCT.localities[0]
PRACTICE = LOCALITY.practices[0].code
PROVIDER = "RWG"
INDICATOR = "gp-referral-rate"

# The demo users whose roles the pages belong to (pbc.demo.DEMO_USERS).
ROLES = ("analyst", "locality", "board", "practice", "provider")


def pages_of(board_month: str, drill_down: str) -> dict[str, list[str]]:
    loc, pct = LOCALITY.slug, PCT.slug
    board = f"/reports/localities/{loc}/{board_month}/"
    return {
        "analyst": [
            f"/finance/pct/{pct}/",
            f"/indicators/pct/{pct}/",
            f"/indicators/i/{INDICATOR}/?org=locality:{loc}",
            f"/validation/providers/{PROVIDER}/",
        ],
        "locality": [
            f"/finance/localities/{loc}/",
            f"/population/localities/{loc}/inequalities/",
            f"/population/localities/{loc}/registers/",
            f"/indicators/localities/{loc}/",
        ],
        "board": [
            board,
            board + "?format=pdf",
            board + "?format=xlsx",
            f"/plans/localities/{loc}/",
        ],
        "practice": [
            f"/finance/practices/{PRACTICE}/",
            drill_down,
            f"/validation/practices/{PRACTICE}/",
            f"/indicators/practices/{PRACTICE}/",
        ],
        "provider": [
            f"/finance/providers/{PROVIDER}/contracts/",
            f"/services/returns/providers/{PROVIDER}/",
        ],
    }


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pbc.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"pbc {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    workers: int

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes (the master and its live workers)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.process.pid, *server.children_of(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total


def start_server(env: dict[str, str], workers: int | None) -> Server:
    port = free_port()
    args = [sys.executable, "-m", "pbc.cli", "serve", "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers)]
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # "pbc is serving on … with N worker processes …"
    match = re.search(r"with (\d+) worker processes", line)
    if match is None:
        process.kill()
        raise SystemExit(f"pbc serve did not start: {line!r}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return Server(process, port, int(match.group(1)))


# --- signed-in users ----------------------------------------------------------------------------


@dataclass
class Session:
    """One signed-in demo user: its cookies, shared by the users of its role (browser tabs)."""

    cookies: dict[str, str] = field(default_factory=dict)

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def request(
    conn: http.client.HTTPConnection, session: Session, method: str, path: str, body: str = ""
) -> tuple[int, dict[str, str], bytes]:
    headers = {"Cookie": session.header(), "Host": "127.0.0.1"}
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{conn.port}{path}"
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    content = response.read()
    for value in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        session.cookies[name.strip()] = rest.split(";", 1)[0]
    return response.status, dict(response.headers.items()), content


def csrf_of(html: bytes) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None, "no CSRF token on the form"
    return match.group(1).decode()


def sign_in(port: int, username: str, env: dict[str, str]) -> Session:
    from pbc.demo import DEMO_PASSWORD

    session = Session()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    _, _, page = request(conn, session, "GET", "/accounts/login/")
    form = {"csrfmiddlewaretoken": csrf_of(page), "username": username, "password": DEMO_PASSWORD}
    status, headers, _ = request(
        conn, session, "POST", "/accounts/login/", urllib.parse.urlencode(form)
    )
    assert status == 302, f"{username}: sign-in answered {status}"
    status, headers, _ = request(conn, session, "GET", "/")
    conn.close()
    if "/accounts/verify/" in headers.get("Location", ""):  # the role needs a second factor
        code = cli(env, "demo", "totp", username).strip()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        _, _, page = request(conn, session, "GET", "/accounts/verify/")
        form = {"csrfmiddlewaretoken": csrf_of(page), "code": code}
        status, _, _ = request(
            conn, session, "POST", "/accounts/verify/", urllib.parse.urlencode(form)
        )
        assert status == 302, f"{username}: second factor answered {status}"
        status, _, _ = request(conn, session, "GET", "/")
    assert status == 200, f"{username}: home answered {status}"
    conn.close()
    return session


# --- timing -------------------------------------------------------------------------------------


@dataclass
class Timings:
    by_page: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, seconds: float, status: int | None) -> None:
        with self.lock:
            self.by_page[path].append(seconds)
            if status != 200:
                self.errors.append(f"{path}: {status}")

    def all(self) -> list[float]:
        return [t for times in self.by_page.values() for t in times]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def fetch(conn: http.client.HTTPConnection, session: Session, path: str, into: Timings) -> None:
    started = time.perf_counter()
    try:
        status: int | None = request(conn, session, "GET", path)[0]
    except (OSError, http.client.HTTPException) as err:
        status = None
        into.errors.append(f"{path}: {err}")
        conn.close()
    into.add(path, time.perf_counter() - started, status)


def sequential(port: int, sessions: dict[str, Session], pages: dict[str, list[str]], rounds: int):  # type: ignore[no-untyped-def]
    timings = Timings()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for _ in range(rounds):
        for role, paths in pages.items():
            for path in paths:
                fetch(conn, sessions[role], path, timings)
    conn.close()
    return timings


def concurrent(
    port: int,
    sessions: dict[str, Session],
    pages: dict[str, list[str]],
    users: int,
    seconds: float,
    max_requests: int,
) -> tuple[Timings, float]:
    timings = Timings()
    budget = iter(range(max_requests))
    budget_lock = threading.Lock()
    roles = list(pages)
    start = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(number: int) -> None:
        role = roles[number % len(roles)]
        paths = pages[role]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        turn = number // len(roles)  # users of one role start on different pages
        start.wait()
        while time.perf_counter() < deadline[0]:
            with budget_lock:
                if next(budget, None) is None:
                    break
            fetch(conn, sessions[role], paths[turn % len(paths)], timings)
            turn += 1
        conn.close()

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return timings, time.perf_counter() - began


# --- the run ------------------------------------------------------------------------------------


def discover(port: int, sessions: dict[str, Session]) -> tuple[str, str]:
    """The board pack's default month and a drill-down the practice's statement links to."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    _, _, html = request(conn, sessions["board"], "GET", f"/reports/localities/{LOCALITY.slug}/")
    month = re.search(rf"/reports/localities/{LOCALITY.slug}/(\d{{4}}-\d{{2}})/".encode(), html)
    assert month is not None, "no board pack month on the locality's reports page"
    _, _, html = request(conn, sessions["practice"], "GET", f"/finance/practices/{PRACTICE}/")
    rows = re.search(rf'"(/finance/practices/{PRACTICE}/rows/\?[^"]+)"'.encode(), html)
    conn.close()
    drill = rows.group(1).decode().replace("&amp;", "&") if rows else None
    return month.group(1).decode(), drill or f"/finance/practices/{PRACTICE}/rows/"


def summary(timings: Timings) -> dict[str, object]:
    values = timings.all()
    return {
        "requests": len(values),
        "errors": len(timings.errors),
        "p50_s": round(statistics.median(values), 4) if values else None,
        "p95_s": round(percentile(values, 95), 4),
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    work: Path | None = None
    data_dir = args.data_dir
    if data_dir is None:
        work = Path(tempfile.mkdtemp(prefix="pbc-web-bench-"))
        data_dir = work / "var"
    env = {**os.environ, "PBC_DATA_DIR": str(Path(data_dir).resolve())}
    if args.data_dir is None:
        env.pop("DATABASE_URL", None)
        cli(env, "demo", "--scale", "test")
    os.environ["PBC_DATA_DIR"] = env["PBC_DATA_DIR"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbc.config.settings")
    django.setup()  # pbc.demo (the demo's password) reads the settings
    site = start_server(env, args.workers)
    try:
        sessions = {role: sign_in(site.port, role, env) for role in ROLES}
        month, drill_down = discover(site.port, sessions)
        pages = pages_of(month, drill_down)
        first = sequential(site.port, sessions, pages, rounds=1)
        baseline = sequential(site.port, sessions, pages, rounds=args.baseline_rounds)
        cpu_before = site.cpu_seconds()
        ours, elapsed = concurrent(
            site.port, sessions, pages, args.users, args.seconds, args.max_requests
        )
        cpu = site.cpu_seconds() - cpu_before
    finally:
        site.process.terminate()
        site.process.wait(timeout=60)
        if work is not None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    ours_figures, base_figures = summary(ours), summary(baseline)
    p95, base_p95 = ours_figures["p95_s"], base_figures["p95_s"]
    return {
        "name": "web",
        "users": args.users,
        "workers": site.workers,
        "cores": len(os.sched_getaffinity(0)),
        **ours_figures,
        "requests_per_s": round(len(ours.all()) / elapsed, 2),
        "seconds": round(elapsed, 1),
        "server_cpu_s": round(cpu, 1),
        "baseline": "one user, sequential, same pages, same run",
        "baseline_requests": base_figures["requests"],
        "baseline_errors": base_figures["errors"],
        "baseline_p50_s": base_figures["p50_s"],
        "baseline_p95_s": base_p95,
        "ours_s": ours_figures["p50_s"],
        "baseline_s": base_figures["p50_s"],
        "ratio": round(p95 / base_p95, 2) if isinstance(p95, float) and base_p95 else None,
        "first_s": {p: round(t[0], 3) for p, t in first.by_page.items()},
        "first_errors": first.errors,
        "pages": {
            p: {
                "n": len(t),
                "p50_s": round(statistics.median(t), 3),
                "p95_s": round(percentile(t, 95), 3),
            }
            for p, t in ours.by_page.items()
        },
        "error_samples": ours.errors[:10] + baseline.errors[:10],
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory with the demo built")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument("--baseline-rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, help="worker processes (default: pbc serve's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary demo")
    record = run(parser.parse_args())
    print(json.dumps(record))


if __name__ == "__main__":
    main()
