"""The request desk under load, with a crash in the middle: no acknowledged request is lost.

A fresh database (SQLite file, or a new PostgreSQL database) gets the desk's configuration, the
departments it routes to and 50 firms, each with an API token bound to it. The server runs as
`wulian serve` on 127.0.0.1. 200 client threads (each one firm's system, with keep-alive
connections) submit requests, read their list and one request, and add comments, with a think
time of 0.5–3.5 s, for 60 s. Halfway through, the server's process group is killed with SIGKILL
and started again; clients keep going (their failed calls are counted, never acknowledged).
At the end every request that got a tracking number is read back from the database and compared
with what the client sent, and every acknowledged comment is looked up among the events.

Printed: requests per second, p50/p99 per endpoint, failures during the crash, and the check.
The reference is the server's own floor measured in the same run: p99 of /healthz (no database
work) under the same load; each endpoint's p99 is printed as a ratio to it and to the 300 ms
target for submit.

    python benchmarks/load_desk.py --database sqlite|postgresql [--clients 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql

import wulian.models  # noqa: F401
from wulian.core import audit
from wulian.core.auth import service as auth_service
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.permissions import Actor
from wulian.core.settings import load_or_create_secret
from wulian.desk import service
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.enterprises import service as enterprise_service
from wulian.enterprises.uscc import synthetic
from wulian.install import DEPARTMENTS

PG_MAINTENANCE = os.environ.get("WULIAN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
FIRMS = 50
TARGET_P99 = 0.300
TEXTS = [
    ("新产线用电增容申请", "新产线下月投产，需增容 800 千伏安，请协调供电部门加快报装。", "power"),
    ("二期项目用地指标", "二期项目需新增用地 30 亩，请协调用地指标与预审意见。", "land"),
    ("研发费用补助咨询", "研发投入 500 万元，可享受哪些研发费用补助？", "policy"),
    ("货车通行证办理", "配送货车需进入限行路段，申请货车通行证。", "logistics"),
    ("技术工人招聘困难", "急需数控、电工等技术工人 40 名，请协助组织专场招聘。", "employment"),
]


@dataclass
class Record:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    finished: list[tuple[float, str, float]] = field(default_factory=list)  # (at, label, took)
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acknowledged: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # no → firm, …
    comments: list[tuple[str, str]] = field(default_factory=list)  # (tracking no, note)
    errors: list[str] = field(default_factory=list)  # the first few refusals, as sent
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(kind: str, folder: Path) -> tuple[str, list[tuple[int, str]]]:
    """A fresh database with the desk set up; the firms and their token plaintexts."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'wulian.db'}"
    else:
        name = f"wulian_load_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_MAINTENANCE, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = re.sub(r"/[^/]*$", f"/{name}", PG_MAINTENANCE).replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    engine = create_engine(url)
    migrate.upgrade(engine)
    secret = load_or_create_secret(folder)
    actor = Actor.system("压力测试")
    firms = []
    with unit_of_work(session_factory(engine)) as session:
        audit.track(session, actor)
        for code, name in DEPARTMENTS:
            auth_service.create_department(session, actor=actor, code=code, name=name)
        service.install_shipped(session, actor=actor)
        for i in range(FIRMS):
            firm = enterprise_service.create(
                session, actor=actor, name=f"压力测试企业{i:02d}有限公司", code=synthetic(5000 + i)
            )
            token = auth_service.create_token(
                session, actor=actor, name=f"企业系统{i:02d}", scopes=["desk:submit"],
                secret=secret, enterprise_id=firm.id,
            )  # fmt: skip
            firms.append((firm.id, token.plaintext))
    engine.dispose()
    return url, firms


def start_server(url: str, folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "WULIAN_DATABASE_URL": url,
        "WULIAN_DATA_DIR": str(folder),
        "WULIAN_LOG_REQUESTS": "false",
    }
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "wulian", "serve", "--port", str(port), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("服务器未能启动")


class Client(threading.Thread):
    def __init__(self, index: int, port: int, firm: tuple[int, str], record: Record, stop: float):
        super().__init__(daemon=True)
        self.port, self.record, self.stop_at = port, record, stop
        self.firm_id, self.token = firm
        self.random = random.Random(index)
        self.mine: list[str] = []
        self.index = index
        self.connection: http.client.HTTPConnection | None = None

    def call(self, label: str, method: str, path: str, body: object = None) -> object | None:
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection = None
            with self.record.lock:
                self.record.failures[label] += 1
            return None
        elapsed = time.perf_counter() - started
        with self.record.lock:
            if response.status >= 400:
                self.record.failures[f"{label} {response.status}"] += 1
                if len(self.record.errors) < 3:
                    self.record.errors.append(payload[:300].decode("utf-8", "replace"))
                return None
            self.record.latencies[label].append(elapsed)
            self.record.finished.append((time.monotonic(), label, elapsed))
        return json.loads(payload) if payload else None

    def run(self) -> None:
        n = 0
        while time.monotonic() < self.stop_at:
            time.sleep(self.random.uniform(0.5, 3.5))
            roll = self.random.random()
            if roll < 0.35 or not self.mine:
                n += 1
                title, text, category = TEXTS[self.random.randrange(len(TEXTS))]
                marker = f"{title}（{self.index}-{n}）"
                body = {"service_code": category, "title": marker, "description": text}
                answer = self.call("submit", "POST", "/api/v1/open311/requests", body)
                if isinstance(answer, list) and answer:
                    tracking = answer[0]["service_request_id"]
                    self.mine.append(tracking)
                    with self.record.lock:
                        self.record.acknowledged[tracking] = (self.firm_id, marker, text)
            elif roll < 0.55:
                self.call("list", "GET", "/api/v1/open311/requests?per_page=20")
            elif roll < 0.75:
                tracking = self.random.choice(self.mine)
                self.call("read", "GET", f"/api/v1/open311/requests/{tracking}")
            elif roll < 0.80:
                self.call("healthz", "GET", "/healthz")
            else:
                tracking = self.random.choice(self.mine)
                note = f"补充说明 {uuid.uuid4().hex[:8]}"
                body = {"action": "comment", "note": note}
                if self.call(
                    "update", "POST", f"/api/v1/open311/requests/{tracking}/updates", body
                ):
                    with self.record.lock:
                        self.record.comments.append((tracking, note))


def kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def verify(url: str, record: Record) -> tuple[int, int, int]:
    """(acknowledged requests missing or altered, comments missing, requests checked)."""
    engine = create_engine(url)
    with session_factory(engine)() as session:
        rows = {
            r.tracking_no: (r.enterprise_id, r.title, r.description)
            for r in session.scalars(sa.select(DeskRequest))
        }
        notes = set(
            session.execute(
                sa.select(DeskRequest.tracking_no, DeskEvent.note)
                .join(DeskEvent, DeskEvent.request_id == DeskRequest.id)
                .where(DeskEvent.action == "comment")
            ).all()
        )
    engine.dispose()
    bad = sum(1 for no, sent in record.acknowledged.items() if rows.get(no) != sent)
    lost_comments = sum(1 for pair in record.comments if pair not in notes)
    return bad, lost_comments, len(record.acknowledged)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="the server's worker processes")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wulian-load-"))
    url, firms = prepare(args.database, folder)
    port = free_port()
    server = start_server(url, folder, port, args.workers)
    record = Record()
    started = time.monotonic()
    stop = started + args.seconds
    clients = [Client(i, port, firms[i % len(firms)], record, stop) for i in range(args.clients)]
    for client in clients:
        client.start()
    time.sleep(args.seconds / 2)
    before = sum(len(v) for v in record.latencies.values())
    kill(server)
    killed_at = time.monotonic() - started
    server = start_server(url, folder, port, args.workers)
    restarted = time.monotonic() - started - killed_at
    for client in clients:
        client.join()
    elapsed = time.monotonic() - started
    kill(server)
    bad, lost_comments, checked = verify(url, record)
    total = sum(len(v) for v in record.latencies.values())
    print(
        f"企呼我应压力与崩溃测试：{args.database}，{args.clients} 个客户端，{args.seconds:.0f} 秒"
    )
    print(
        f"  第 {killed_at:.1f} 秒 SIGKILL 服务器（此前完成 {before} 次调用），"
        f"{restarted:.1f} 秒后重新可用"
    )
    print(
        f"  成功调用 {total} 次，{total / elapsed:.1f} 次/秒；"
        f"失败（含崩溃期间）{dict(record.failures)}"
    )
    for text in record.errors:
        print(f"  拒绝示例：{text}")
    floor = percentile(record.latencies["healthz"], 0.99)
    for label in ("submit", "list", "read", "update", "healthz"):
        values = record.latencies[label]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"  {label:8s} n={len(values):5d}  p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms"
              f"  （p99 / healthz p99 = {p99 / floor:.2f}）")  # fmt: skip
    submit_p99 = percentile(record.latencies["submit"], 0.99)
    print(f"  submit p99 / 目标 300 ms = {submit_p99 / TARGET_P99:.2f}（全程，含崩溃与重启）")
    phases = {
        "崩溃前": (0.0, killed_at),
        "重启后": (killed_at + restarted, elapsed),
    }
    for name, (start, end) in phases.items():
        took = [t for at, label, t in record.finished
                if label == "submit" and start <= at - started < end]  # fmt: skip
        p50, p99 = percentile(took, 0.5) * 1000, percentile(took, 0.99) * 1000
        print(f"  submit {name}（第 {start:.0f}–{end:.0f} 秒）n={len(took)}  "
              f"p50 {p50:.1f} ms  p99 {p99:.1f} ms")  # fmt: skip
    windows: dict[int, list[float]] = defaultdict(list)
    for at, label, took_one in record.finished:
        if label == "submit":
            windows[int((at - started) // 10)].append(took_one)
    print("  submit 每 10 秒的 p99：" + "，".join(
        f"{w * 10}–{w * 10 + 10} 秒 {percentile(v, 0.99) * 1000:.0f} ms"
        for w, v in sorted(windows.items())))  # fmt: skip
    print(f"  核对：已确认受理 {checked} 件，缺失或被改动 {bad} 件；已确认补充说明 "
          f"{len(record.comments)} 条，缺失 {lost_comments} 条")  # fmt: skip
    ok = bad == 0 and lost_comments == 0 and checked > 0
    print("  结论：" + ("没有丢失任何已确认的诉求" if ok else "有已确认的诉求丢失！"))
    if args.database == "postgresql":
        with psycopg.connect(PG_MAINTENANCE, autocommit=True) as conn:
            name = url.rsplit("/", 1)[1]
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
