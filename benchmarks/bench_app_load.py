"""Load on the web app: many reviewers and supervisors at once, on one `fundguard serve` process.

Builds a small scored folder the way the app's tests do (the tiny synthetic region, 9 months,
both models trained, the last two months scored) unless `--scores` names one, starts uvicorn on
127.0.0.1 in a subprocess (loopback only), and runs `--clients` simulated users for `--duration`
seconds: reviewers open list pages, case pages and record dispositions; supervisors open list
and case pages and export (CSV and Excel). Half the users sign in with name and token (a session
cookie; reviewers then post the page's form), the other half send their token as a bearer header
(reviewers then post JSON). Each user waits `--think` seconds on average between requests (a
person reading the page); `--think 0` hammers the server instead.

Figures printed beside the targets (2 cores): no server error (5xx or dropped connection);
p95 <= 100 ms for list and case pages; every disposition the server accepted stored exactly once,
on a chain that verifies. CI does not run this; it is bounded by `--duration`.

    .venv/bin/python benchmarks/bench_app_load.py [--duration 60] [--clients 50] [--think 1.0] [--scores DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 100.0
SERVER = """
import os, sys, uvicorn
os.environ["BENCH_SCORES"], os.environ["BENCH_OUTCOMES"] = sys.argv[1], sys.argv[2]
uvicorn.run("benchmarks.bench_app_load:make_app", factory=True, host="127.0.0.1", port=int(sys.argv[3]),
            workers=int(sys.argv[4]), log_level="warning", access_log=False)
"""


def make_app():
    """The app `fundguard serve` runs, over the folder and database the benchmark made (uvicorn
    calls this in each worker process)."""
    from serving.app import AppConfig, create_app, load_patterns

    config = AppConfig(
        scores_dir=Path(os.environ["BENCH_SCORES"]), outcomes_url=os.environ["BENCH_OUTCOMES"], patterns=load_patterns()
    )
    return create_app(config)


def build_scores(work: Path) -> Path:
    """Two scored months of the tiny region, written as `fundguard score` writes them (the app's
    test fixtures, without pytest)."""
    sys.path.insert(0, str(ROOT))
    from data_contracts.tables import load_dataset, load_labels
    from data_contracts.vocabulary import data_periods
    from features.build import build_feature_set
    from models.job import train_models
    from pipelines.io import dataset_key
    from pipelines.settings import ModelSettings, train_configs
    from serving.report.render import render_report
    from serving.scoring.period import score_period
    from serving.scoring.ranking import ListOptions
    from serving.store.scored_month import write_period
    from synthetic.generate import generate

    data, root = work / "tiny9", work / "scores"
    generate(data, scale="tiny", seed=7, months=9)
    tables, labels = load_dataset(data), load_labels(data / "labels.csv")
    truth = pd.read_csv(data / "truth.csv", dtype={"period": str})
    periods = data_periods(tables["claims"])
    feature_sets = {p: build_feature_set(tables, p) for p in periods}
    configs = train_configs(ModelSettings(provider_capacity_share=0.1, person_capacity=20))
    trained = train_models(feature_sets, labels, periods[-2], configs, truth, "over_testing")
    models = {e: (o.result.model, "1") for e, o in trained.items()}
    for period in periods[-2:]:
        scored = score_period(
            tables,
            labels,
            feature_sets[period],
            models,
            {"provider": ListOptions(), "person": ListOptions()},
            "en",
            1,
            {"data_fingerprint": "bench", "code_version": "bench"},
            {"provider": 20, "person": 40},
        )
        write_period(
            root / period,
            {e: lst.listed for e, lst in scored.lists.items()},
            scored.cases,
            render_report(scored.report),
            {"period": period, "data": dataset_key(data), "models": {"provider": "1", "person": "1"}},
        )
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(scores: Path, url: str, port: int, workers: int) -> subprocess.Popen:
    """The app in its own process, as `fundguard serve` runs it (one uvicorn process; `workers`
    above 1: uvicorn's worker processes behind one socket)."""
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(scores), url, str(port), str(workers)], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the app did not start") from None
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the app did not start within 60 s")


class Tally:
    """Latencies (ms) and answers per kind of request, and the dispositions the server accepted."""

    def __init__(self):
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.codes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.server_errors: list[str] = []
        self.accepted: list[str] = []  # notes of the dispositions answered 201/303

    async def call(self, kind: str, request, expect: tuple[int, ...]):
        start = time.perf_counter()
        try:
            got = await request
        except Exception as exc:  # a dropped connection or a timeout counts as a server error
            self.server_errors.append(f"{kind}: {type(exc).__name__} {exc}"[:200])
            return None
        self.ms[kind].append((time.perf_counter() - start) * 1000)
        self.codes[kind][got.status_code] += 1
        if got.status_code >= 500:
            self.server_errors.append(f"{kind}: {got.status_code} {got.text[:150]}")
        return got if got.status_code in expect else None


async def sign_in(client, name: str, token: str, tally: Tally) -> None:
    await tally.call("sign-in", client.post("/login", data={"name": name, "token": token}), (303,))


async def one_request(client, role: str, session: bool, plan: dict, rng: random.Random, tally: Tally) -> None:
    """One step of a user: a list page, a case page, or their role's action."""
    period, entity = rng.choice(plan["periods"]), rng.choice(("provider", "person"))
    listed = plan[(period, entity)]
    roll = rng.random()
    if roll < 0.45:
        query = {"page": rng.randint(1, 3)} | ({"sort": "amount_at_risk"} if rng.random() < 0.3 else {})
        await tally.call("list page", client.get(f"/periods/{period}/{entity}", params=query), (200,))
    elif roll < 0.85:
        await tally.call("case page", client.get(f"/periods/{period}/{entity}/{rng.choice(listed)}"), (200,))
    elif role == "supervisor":
        fmt = rng.choice(("csv", "xlsx"))
        await tally.call(
            f"export {fmt}", client.get(f"/api/periods/{period}/{entity}/export", params={"format": fmt}), (200,)
        )
    else:
        await dispose(client, session, period, entity, rng.choice(listed), rng, tally)


async def dispose(client, session: bool, period: str, entity: str, entity_id: str, rng, tally: Tally) -> None:
    note = uuid.uuid4().hex
    outcome = rng.choice(("fraud", "violation", "clean"))
    body = {"outcome": outcome, "note": note}
    if outcome != "clean":
        body |= {"pattern": "over_price", "amount_recovered": round(rng.uniform(0, 5000), 2)}
    if session:  # the page's form, as a browser posts it
        form = {k: (f"{v:,.2f}" if k == "amount_recovered" else str(v)) for k, v in body.items()}
        got = await tally.call(
            "disposition", client.post(f"/periods/{period}/{entity}/{entity_id}/disposition", data=form), (303,)
        )
    else:
        got = await tally.call(
            "disposition", client.post(f"/api/cases/{period}/{entity}/{entity_id}/dispositions", json=body), (201,)
        )
    if got is not None:
        tally.accepted.append(note)


async def user(base: str, number: int, tokens: dict, plan: dict, args, deadline: float, tally: Tally) -> None:
    import httpx

    role = "supervisor" if number % 5 == 4 else "reviewer"  # one in five supervises
    session = number % 2 == 0
    name, token = tokens[role]
    rng = random.Random(number)
    headers = {} if session else {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30, follow_redirects=False) as client:
        if session:
            await sign_in(client, name, token, tally)
        await asyncio.sleep(rng.uniform(0, args.think))  # users do not all start at the same instant
        while time.monotonic() < deadline:
            await one_request(client, role, session, plan, rng, tally)
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)


async def run_load(base: str, tokens: dict, plan: dict, args) -> tuple[Tally, float]:
    tally = Tally()
    start = time.monotonic()
    deadline = start + args.duration
    await asyncio.gather(*(user(base, i, tokens, plan, args, deadline, tally) for i in range(args.clients)))
    return tally, time.monotonic() - start


def cpu_seconds(root: int) -> float:
    """User + system CPU time so far of process `root` and its live descendants (uvicorn's workers,
    the exports' worker), from Linux /proc."""
    parent, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid], used[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def under(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(t for pid, t in used.items() if under(pid))


def plan_of(scores: Path) -> dict:
    """The months to ask for and the entities whose cases to open (the top of each list, where
    the case files are, and a few further down)."""
    periods = sorted(p.name for p in scores.iterdir() if not p.name.startswith("."))[-2:]
    plan: dict = {"periods": periods}
    for period in periods:
        for entity in ("provider", "person"):
            ids = pd.read_parquet(scores / period / f"{entity}s.parquet")["entity_id"].astype(str).tolist()
            plan[(period, entity)] = ids[:30] + ids[len(ids) // 2 : len(ids) // 2 + 10]
    return plan


def check_dispositions(url: str, accepted: list[str]) -> dict:
    from serving.store.outcomes import OutcomeStore

    store = OutcomeStore(url)
    notes = store.dispositions()["note"].dropna().value_counts()
    checks = store.verify_chains()
    return {
        "accepted": len(accepted),
        "stored once": int(sum(notes.get(n, 0) == 1 for n in accepted)),
        "stored twice or more": int((notes > 1).sum()),
        "not accepted but stored": len(set(notes.index) - set(accepted)),
        "chains": "; ".join(str(c) for c in checks),
        "chains intact": all(c.intact for c in checks),
    }


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(tally: Tally, seconds: float, stored: dict, args, busy: dict) -> bool:
    total = sum(len(v) for v in tally.ms.values())
    print(
        f"\n{args.clients} users for {seconds:.0f} s (think {args.think:g} s): {total} requests, {total / seconds:.1f}/s"
    )
    print(
        f"server CPU {busy['server cpu']:.1f} s ({busy['server cpu'] / seconds:.0%} of a core, "
        f"{busy['server cpu'] / max(total, 1) * 1000:.1f} ms a request, its worker processes included); "
        f"machine load average {busy['load'][0]:.1f} before, {busy['load'][1]:.1f} after, on {os.cpu_count()} cores"
    )
    print(f"{'kind':<14}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  answers")
    for kind in sorted(tally.ms):
        ms = tally.ms[kind]
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(tally.codes[kind].items()))
        print(f"{kind:<14}{len(ms):>7}{p(ms, 50):>9.1f}{p(ms, 95):>9.1f}{p(ms, 99):>9.1f}{max(ms):>9.1f}  {codes}")
    list_p95, case_p95 = p(tally.ms["list page"], 95), p(tally.ms["case page"], 95)
    once = (
        stored["stored once"] == stored["accepted"]
        and not stored["stored twice or more"]
        and not stored["not accepted but stored"]
    )
    rows = [
        ("server errors (5xx, dropped)", len(tally.server_errors), "0", not tally.server_errors),
        ("list page p95 (ms)", f"{list_p95:.1f}", f"<= {TARGET_P95_MS:g}", list_p95 <= TARGET_P95_MS),
        ("case page p95 (ms)", f"{case_p95:.1f}", f"<= {TARGET_P95_MS:g}", case_p95 <= TARGET_P95_MS),
        ("dispositions stored once", f"{stored['stored once']}/{stored['accepted']}", "all", once),
        ("hash chains", "intact" if stored["chains intact"] else "BROKEN", "intact", stored["chains intact"]),
    ]
    print(f"\n{'figure':<32}{'measured':>14}{'target':>10}")
    for name, value, target, ok in rows:
        print(f"{name:<32}{value!s:>14}{target:>10}  {'ok' if ok else 'MISSED'}")
    print(stored["chains"])
    for line in tally.server_errors[:10]:
        print("  server error:", line)
    return all(ok for *_, ok in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=50, help="simulated users at once (default 50)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's requests (0: none)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (fundguard serve: 1)")
    parser.add_argument("--scores", type=Path, help="a scored folder to serve (default: build a tiny one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fundguard-load-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        scores = args.scores or build_scores(work)
        print(f"scored folder ready in {time.monotonic() - started:.0f} s: {scores}")
        url = f"sqlite:///{work / 'outcomes.db'}"
        sys.path.insert(0, str(ROOT))
        from serving.store.outcomes import OutcomeStore

        store = OutcomeStore(url)
        tokens = {
            "reviewer": ("rita", store.add_user("rita", "reviewer")),
            "supervisor": ("sam", store.add_user("sam", "supervisor")),
        }
        store.dispose()
        port = free_port()
        server = start_server(scores, url, port, args.workers)
        try:
            load_before, cpu_before = os.getloadavg()[0], cpu_seconds(server.pid)
            tally, seconds = asyncio.run(run_load(f"http://127.0.0.1:{port}", tokens, plan_of(scores), args))
            busy = {"server cpu": cpu_seconds(server.pid) - cpu_before, "load": (load_before, os.getloadavg()[0])}
        finally:
            server.terminate()
            server.wait(30)
        ok = report(tally, seconds, check_dispositions(url, tally.accepted), args, busy)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
