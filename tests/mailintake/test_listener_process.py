"""The inbound mail listener as scripts/run starts it: its own process (``manage.py
mail_intake_smtp``) beside the worker, beat and web, answering SMTP until SIGTERM stops it."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scripts_run_starts_the_listener_in_its_process_group():
    """Every process scripts/run starts is in ``pids`` (stopped by its Ctrl-C); the listener is one."""
    script = (ROOT / "scripts" / "run").read_text()
    started = re.findall(r"^(.+?) &(?:\s+#.*)?\npids\+=\(\$!\)$", script, re.M)
    assert any("manage.py mail_intake_smtp" in line for line in started), started


def test_the_listener_command_answers_smtp_and_stops_cleanly_on_sigterm():
    port = _free_port()
    env = os.environ | {"VOC_MAIL_INTAKE_RECIPIENTS": "complaints@bank.example=", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "mail_intake_smtp", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not any("mail intake listening" in line for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)  # the command exited before listening
            lines.append(line)
        assert f"listening on 127.0.0.1:{port}" in lines[-1], lines
        deadline = time.monotonic() + 20
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline, "the listener never accepted a connection"
                time.sleep(0.2)
        with client:
            client.ehlo()
            assert client.mail("wang.fang@example.com")[0] == 250
            assert client.rcpt("nobody@bank.example")[0] == 550
            assert client.rcpt("complaints@bank.example")[0] == 250
            client.rset()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        assert "mail intake stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
