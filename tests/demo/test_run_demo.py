"""What `make demo` prints: setup lines first, then the demo users once, after the server starts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USER_LINE = "northwind-owner@example.com"
LAST_LINE = "Stop the demo with Ctrl-C."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _demo_environment(var_dir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "OFFBOARDING_WORKER_BROKER_URL"):
        env.pop(name, None)
    env.update(DEMO_VAR_DIR=str(var_dir), PYTHONPATH=str(ROOT))
    return env


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """Return the output up to and including the line with ``marker``."""
    os.set_blocking(process.stdout.fileno(), False)
    output, deadline = b"", time.monotonic() + timeout
    while marker.encode() not in output and time.monotonic() < deadline:
        chunk = process.stdout.read()
        if chunk:
            output += chunk
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.2)
    return output.decode()


@pytest.mark.slow
def test_run_demo_lists_users_once_after_start(tmp_path):
    env = _demo_environment(tmp_path)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    setup = subprocess.run(
        [*manage, "demo_setup"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    port = _free_port()
    demo = subprocess.Popen(
        [str(ROOT / "scripts" / "run-demo")],
        cwd=ROOT,
        env={**env, "BIN": str(BIN), "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output = _read_until(demo, LAST_LINE, timeout=90)
    finally:
        # Ctrl-C in a terminal sends SIGINT to the whole process group, as here.
        os.killpg(demo.pid, signal.SIGINT)
        try:
            stopped = demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
            stopped = None

    assert stopped is not None, "the demo did not stop on Ctrl-C within 60 s"

    assert USER_LINE not in setup.stdout
    assert "manage.py demo_info" in setup.stdout
    assert LAST_LINE in output, output
    assert output.count(USER_LINE) == 1
    # Django 6.1 prints "Starting WSGI development server at", earlier versions print
    # "Starting development server at".
    assert output.index("development server at") < output.index(USER_LINE)
    assert f"http://127.0.0.1:{port}/admin/" in output
    assert f"their links point to http://127.0.0.1:{port}." in output
    assert "offboarding_clock --days 31" in output
    assert "restart" not in output


def test_sso_setup_first_key_message(settings, tmp_path, db):
    settings.VAR_DIR = tmp_path
    output = StringIO()

    call_command("sso_setup", stdout=output)

    text = output.getvalue()
    assert "Signing key written to" in text
    assert "restart the server to load it" not in text
    assert "already running" in text
