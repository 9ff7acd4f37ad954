"""Double-click storms against a real server: `wulian serve --workers 2` started as its own
process on a free loopback port and the test's database, and CLICKS browsers posting one form
(one one-time key) at the same moment while a probe asks /healthz."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

from tests.conftest import PASSWORD, csrf_from
from tests.e2e.conftest import free_port
from wulian.core import forms
from wulian.core.settings import Settings

CLICKS = 20
WORKERS = 2
RESPONSE_SECONDS = 60  # every answer arrives within this, or the storm fails


@contextmanager
def workers(settings: Settings, count: int = WORKERS) -> Iterator[str]:
    """`wulian serve --workers count` on the settings' database and data directory; its base URL.
    The server is stopped (SIGINT, then SIGKILL of its process group) when the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "WULIAN_DATABASE_URL": settings.database_url,
        "WULIAN_DATA_DIR": str(settings.data_dir),
        "WULIAN_WARM_UP": "false",
        "WULIAN_LOG_REQUESTS": "false",
        "WULIAN_DESK_SWEEP_MINUTES": "0",
    }
    command = [sys.executable, "-m", "wulian", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(count)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                output = server.stdout.read().decode(errors="replace") if server.stdout else ""
                raise RuntimeError(f"测试服务器退出（{server.returncode}）：{output[-2000:]}")
            try:
                if httpx2.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("测试服务器未能在 60 秒内启动")
            time.sleep(0.2)
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        if server.stdout:
            server.stdout.close()


def browser(base: str, username: str) -> httpx2.Client:
    """A signed-in browser of username (its own cookies)."""
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=RESPONSE_SECONDS)
    token = csrf_from(client.get("/login").text)
    signed = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 303, signed.text
    return client


def storm(
    base: str, username: str, path: str, page: str, fields: dict[str, str]
) -> tuple[list[httpx2.Response], list[int]]:
    """CLICKS browsers of username post the same form (one key) to path at once, while a probe
    asks /healthz; the responses and the health answers. Fails if a submission hangs."""
    clients = []
    for _ in range(CLICKS):
        client = browser(base, username)
        clients.append((client, csrf_from(client.get(page).text)))
    key = forms.new_key()
    start = threading.Barrier(CLICKS)
    answers: list[httpx2.Response] = []
    failures: list[BaseException] = []
    health: list[int] = []
    stop = threading.Event()
    probing = threading.Event()  # the health probe has answered once: the storm may start

    def click(client: httpx2.Client, token: str) -> None:
        try:
            probing.wait(timeout=30)
            start.wait(timeout=30)
            data = {**fields, "csrf_token": token, "form_key": key}
            answers.append(client.post(path, data=data))
        except Exception as error:  # a timeout is a failure of the storm, reported below
            failures.append(error)

    def watch() -> None:
        with httpx2.Client(base_url=base, timeout=10) as probe:
            while True:  # at least once, and on until the storm is over
                try:
                    health.append(probe.get("/healthz").status_code)
                except httpx2.TransportError:
                    health.append(0)
                probing.set()
                if stop.is_set():
                    return
                time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=click, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RESPONSE_SECONDS + 30)
    stop.set()
    watcher.join(timeout=15)
    for client, _ in clients:
        client.close()
    assert not any(t.is_alive() for t in threads), "a submission hung"
    assert failures == []
    assert len(answers) == CLICKS
    return answers, health
