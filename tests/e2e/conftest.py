"""Harness of the end-to-end test: the demo's real processes around the test database.

Every process started here uses the test database of pytest-django (PostgreSQL). They
are the demo's web server (``runserver``), a Celery worker and a Celery beat on Redis
database 13, and the management commands that set the demo up and move the clock. An SMTP server
on loopback (aiosmtpd) collects the emails, and Chromium (Playwright) is the customer's
browser. Every process is bound to 127.0.0.1 on a free port, its output goes to a log
file under ``test-artifacts/e2e/``, and it is stopped in the fixture's teardown, before
pytest-django flushes and drops the database.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.core.processes import ROOT, worker_environment

ARTIFACTS = ROOT / "test-artifacts" / "e2e"
BROKER_URL = "redis://127.0.0.1:6379/13"
# A queue of its own, so a worker of another test run on the same Redis takes nothing.
QUEUE = "offboarding-e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
COMMAND_TIMEOUT = 180
# Seconds a sign-in counts as recent in the processes started here. The walk waits this
# long before downloading its export, so the download requires a re-authentication.
REAUTHENTICATION_MAX_AGE = 10
# The demo's setup as an operator runs it: the app's run-time defaults and beat schedule,
# the demo story, 5,000 generated rows for one more organisation, and the SSO client.
SETUP_SCRIPT = """
from django.core.management import call_command
call_command("offboarding_setup")
call_command("demo_setup")
call_command("demo_data", accounts=1, rows_per_account=5000)
call_command("sso_setup", base_url="{base_url}")
"""
START_TIMEOUT = 60

# Playwright's sync API runs an event loop in this thread. The test's own ORM calls are
# still plain synchronous calls, which Django would otherwise reject next to a loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.5, what: str
) -> Any:
    """Call ``condition`` until it returns a true value and return that value.

    Raises AssertionError naming ``what`` when ``timeout`` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


# Email


class MailSink:
    """aiosmtpd handler that keeps every message and writes it to ``mail/NNN.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            number = len(self.messages)
        (self.directory / f"{number:03d}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool], *, timeout: float, what: str
    ) -> EmailMessage:
        """Return the first received message that ``predicate`` accepts, waiting for it."""

        def find() -> EmailMessage | None:
            return next((message for message in self.received() if predicate(message)), None)

        try:
            return wait_until(find, timeout=timeout, what=what)
        except AssertionError:
            subjects = [str(message["Subject"]) for message in self.received()]
            raise AssertionError(
                f"No email for {what} within {timeout:.0f} s; received: {subjects}"
            ) from None


# Processes


@dataclass
class Harness:
    """The running demo: its URL, environment, processes, mail sink and artefact folders."""

    base_url: str
    env: dict[str, str]
    mail: MailSink
    artifacts: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    _logs: list[Any] = field(default_factory=list)
    _command_number: int = 0

    @property
    def screenshots(self) -> Path:
        return self.artifacts / "screenshots"

    def manage(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run ``manage.py <args>`` against the test database and return its output."""
        self._command_number += 1
        log = self.artifacts / "logs" / f"command-{self._command_number:02d}-{args[0]}.log"
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        log.write_text(f"{time.monotonic() - started:.1f} s\n{result.stdout}")
        assert result.returncode == 0, (
            f"manage.py {' '.join(args)} exited with {result.returncode}:\n{result.stdout[-4000:]}"
        )
        return result.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen:
        """Start ``python <args>`` as a long-running process with its output in logs/<name>."""
        log = open(self.artifacts / "logs" / f"{name}.log", "w")  # noqa: SIM115 - closed in stop_all
        self._logs.append(log)
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes[name] = process
        return process

    def log_text(self, name: str) -> str:
        return (self.artifacts / "logs" / f"{name}.log").read_text(errors="replace")

    def assert_running(self) -> None:
        """Fail with the process's log when one of the processes has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(
                    f"The {name} process exited with {process.returncode}:\n"
                    f"{self.log_text(name)[-4000:]}"
                )

    def stop_all(self) -> None:
        # Beat first, so it queues nothing for a worker that is already gone.
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        for log in self._logs:
            log.close()

    def wait_for_http(self, path: str) -> None:
        def answers() -> bool:
            self.assert_running()
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2) as response:  # noqa: S310 - loopback
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(answers, timeout=START_TIMEOUT, what=f"the web server to answer {path}")

    def wait_for_log(self, name: str, text: str) -> None:
        def logged() -> bool:
            self.assert_running()
            return text in self.log_text(name)

        wait_until(logged, timeout=START_TIMEOUT, what=f"{text!r} in the {name} log")


def fresh_artifacts() -> Path:
    """Empty ``test-artifacts/e2e/`` and create its folders."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    for folder in ("logs", "mail", "screenshots", "downloads", "var"):
        (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def flush_broker() -> None:
    """Empty Redis database 13, so no task of an earlier run is delivered to this one."""
    import redis

    client = redis.Redis.from_url(BROKER_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def demo_environment(base_url: str, smtp_port: int, artifacts: Path) -> dict[str, str]:
    """Environment of every subprocess: test database, broker, SMTP sink, site URL."""
    env = worker_environment(
        "tests.e2e.settings",
        OFFBOARDING_WORKER_BROKER_URL=BROKER_URL,
        CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        OFFBOARDING_SITE_URL=base_url,
        # Media files, the exports and the IdP's signing key live in the run's own folder.
        DEMO_VAR_DIR=str(artifacts / "var"),
        DEMO_SSO_SERVER_URL=f"{base_url}/o",
        OFFBOARDING_REAUTHENTICATION_MAX_AGE=str(REAUTHENTICATION_MAX_AGE),
        PYTHONUNBUFFERED="1",
    )
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.pop("DJANGO_EMAIL_BACKEND", None)
    return env


@pytest.fixture
def e2e(transactional_db, settings) -> Iterator[Harness]:
    """Set the demo up in the test database and run its web server, worker and beat."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    from aiosmtpd.controller import Controller

    started = time.monotonic()
    artifacts = fresh_artifacts()
    flush_broker()
    # The test process reads the same storage as the server, for the archives and PDFs.
    settings.MEDIA_ROOT = artifacts / "var" / "media"

    sink = MailSink(artifacts / "mail")
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    harness = Harness(base_url, demo_environment(base_url, smtp.port, artifacts), sink, artifacts)
    try:
        # One process runs the four setup commands: each Django start costs seconds.
        harness.manage("shell", "--no-imports", "-c", SETUP_SCRIPT.format(base_url=base_url))

        harness.start("server", "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
        harness.start(
            "worker",
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-Q",
            QUEUE,
            "--hostname",
            f"e2e-worker-{port}@127.0.0.1",
        )
        harness.start(
            "beat",
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel=INFO",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--max-interval",
            "1",
            "--schedule",
            str(artifacts / "var" / "celerybeat-schedule"),
        )
        harness.wait_for_http("/accounts/login/")
        harness.wait_for_log("worker", "ready.")
        (artifacts / "logs" / "harness.log").write_text(
            f"processes ready {time.monotonic() - started:.1f} s after the fixture started\n"
        )
        yield harness
    finally:
        harness.stop_all()
        smtp.stop()


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
