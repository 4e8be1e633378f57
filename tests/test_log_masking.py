"""No full card, phone or ID number in any log line: Django, the root logger, Celery, gunicorn."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from accounts import roles
from voc.log_filters import UNMASKABLE, MaskPIIFilter

ROOT = Path(__file__).resolve().parent.parent
MOBILE, ID_NUMBER, CARD = "13812345678", "11010519491231002X", "6222021234567890"
# A full mobile (11 digits, 1[3-9]...), an 18-character ID, a 16-19 digit card (spaces allowed).
LEAK = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<![\dA-Z])\d{17}[\dX](?![\dA-Z])|(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")


def _leaks(text: str) -> list[str]:
    return LEAK.findall(text)


def _writes(handler: logging.Handler) -> bool:
    """A handler that puts records somewhere (pytest's capture and libraries' NullHandlers do not)."""
    return not type(handler).__module__.startswith("_pytest") and not isinstance(handler, logging.NullHandler)


def _configured_handlers() -> dict[str, list[logging.Handler]]:
    """The writing handlers attached to each logger."""
    loggers = {"root": logging.getLogger()}
    loggers |= {name: obj for name, obj in logging.Logger.manager.loggerDict.items() if isinstance(obj, logging.Logger)}
    handlers = {name: [h for h in lg.handlers if _writes(h)] for name, lg in loggers.items()}
    return {name: hs for name, hs in handlers.items() if hs}


@pytest.fixture
def log_output():
    """Everything the configured handlers write, as text (their streams swapped for a buffer)."""
    buffer = io.StringIO()
    swapped = []
    for handlers in _configured_handlers().values():
        for handler in handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                swapped.append((handler, handler.setStream(buffer)))
    levels = {name: logging.getLogger(name).level for name in ("", "django.server", "django.db.backends")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield buffer
    for handler, stream in swapped:
        handler.setStream(stream)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_every_configured_handler_masks_numbers():
    configured = _configured_handlers()
    assert {"root", "django.server"} <= configured.keys()
    assert "django" not in configured  # Django's unmasked console/mail_admins defaults are gone
    unmasked = {
        name: h
        for name, hs in configured.items()
        for h in hs
        if not any(isinstance(f, MaskPIIFilter) for f in h.filters)
    }
    assert not unmasked, f"handlers without the PII mask: {unmasked}"


def test_numbers_are_masked_in_message_args_exceptions_and_extras(log_output, caplog):
    log = logging.getLogger("complaints.example")
    log.info("lookup for %s", MOBILE)
    log.warning("by id %(id)s card %(card)s", {"id": ID_NUMBER, "card": "6222 0212 3456 7890"})
    try:
        raise ValueError(f"customer {MOBILE} card {CARD}")
    except ValueError:
        log.exception("failed for 手机%s", "一三八一二三四五六七八")
    log.info("received", extra={"data": {"args": f"('{MOBILE}',)", "nested": [ID_NUMBER]}})
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /complaints/?q={MOBILE} HTTP/1.1", "200", "512", extra={"status_code": 200}
    )
    text = log_output.getvalue()
    assert _leaks(text) == [] and "一三八一二三四五六七八" not in text
    assert "lookup for 138****5678" in text and "1****************X" in text and "622202******7890" in text
    assert "ValueError: customer 138****5678 card 622202******7890" in text  # the traceback, masked
    assert "GET /complaints/?q=138****5678" in text  # runserver's access line
    received = next(r for r in caplog.records if r.getMessage() == "received")
    assert received.data == {"args": "('138****5678',)", "nested": ["1****************X"]}


def test_a_masker_failure_withholds_the_text(monkeypatch, log_output):
    def broken(text):
        raise RuntimeError("masker bug")

    monkeypatch.setattr("voc.log_filters.mask_text", broken)
    logging.getLogger("complaints.example").warning("lookup for %s", MOBILE)
    assert MOBILE not in log_output.getvalue() and UNMASKABLE in log_output.getvalue()


@pytest.mark.django_db
def test_intake_and_search_flow_logs_and_urls_carry_no_number(client, org_tree, make_user, log_output, caplog):
    """The whole agent journey, with every logger at DEBUG (SQL included), every URL recorded."""
    from tests.complaints.test_pages import _form_token, _post_data

    caplog.set_level(logging.DEBUG)
    for name in ("django.server", "django.request", "django.db.backends"):
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True  # SQL and its parameters are logged too
    agent = make_user(roles.AGENT, org_tree.ho, username="agent_log")
    client.force_login(agent)
    urls = []

    def visit(method, url, data=None, *, typed_by_hand=False):
        """One request; the URLs the application made (pages, htmx, redirects) are recorded."""
        response = getattr(client, method)(url, data or {})
        if not typed_by_hand:
            urls.append(response.request["PATH_INFO"] + "?" + response.request.get("QUERY_STRING", ""))
        urls.append(response.get("Location", ""))
        return response

    try:
        token = _form_token(visit("get", reverse("complaints:intake")).content.decode())
        first = visit("post", reverse("complaints:intake"), _post_data(token, id_number=ID_NUMBER, card_number=CARD))
        assert first.status_code == 302
        token = _form_token(visit("get", reverse("complaints:intake")).content.decode())
        found = visit("post", reverse("complaints:intake_customer"), {"mobile": "138 1234 5678"})
        assert "138****5678" in found.content.decode()
        repeat = visit("post", reverse("complaints:intake_repeat_check"), {"mobile": MOBILE, "code_b": "B030202"})
        assert "重复投诉提醒" in repeat.content.decode()
        visit("post", reverse("complaints:intake_customer"), {"mobile": "1381234567"})  # malformed
        second = visit("post", reverse("complaints:intake"), _post_data(token, details=f"客户手机{MOBILE}卡号{CARD}"))
        assert second.status_code == 302
        search = visit("post", reverse("complaints:list"), {"q": MOBILE})
        listed = visit("get", search["Location"])
        assert listed.content.decode().count("VOC-") >= 2
        visit("get", reverse("complaints:list"), {"q": ID_NUMBER}, typed_by_hand=True)  # redirected to a clean URL
        visit("get", reverse("complaints:list"), {"cursor": f"garbage{MOBILE}"}, typed_by_hand=True)  # 400, logged
    finally:
        connection.force_debug_cursor = False
    everything = log_output.getvalue() + caplog.text
    assert "INSERT INTO" in caplog.text  # the SQL log was on: the check below saw real traffic
    assert _leaks(everything) == []
    assert ID_NUMBER not in everything and CARD not in everything
    assert [u for u in urls if _leaks(u) or ID_NUMBER.lower() in u.lower()] == []


def test_celery_worker_lines_are_masked_including_task_arguments_and_results():
    """A worker's logging set-up, then Celery's own received/succeeded/failed lines."""
    script = textwrap.dedent(
        f"""
        import logging, django
        django.setup()
        from celery.app.trace import LOG_RECEIVED, build_tracer
        from voc.celery import app
        app.log.setup(loglevel="INFO", redirect_stdouts=True)  # what `celery worker` does
        context = {{"name": "t.echo", "id": "job-1", "args": "('{MOBILE}',)", "kwargs": "{{}}", "eta": None}}
        logging.getLogger("celery.worker.strategy").info(LOG_RECEIVED + " %(args)s", context, extra={{"data": context}})

        @app.task(name="t.echo")
        def echo(number):
            logging.getLogger("celery.task").info("working on %s", number)
            return "done for " + number

        @app.task(name="t.boom")
        def boom(number):
            raise ValueError("bad card {CARD} for " + number)

        for task in (echo, boom):
            build_tracer(task.name, task, app=app)("job-2", ("{MOBILE}",), {{}}, {{"id": "job-2"}})
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DJANGO_SETTINGS_MODULE": "voc.settings"}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "received ('138****5678',)" in out
    assert "working on 138****5678" in out
    assert re.search(r"succeeded in \d+\.\d{1,4}s: 'done for 138\*\*\*\*5678'", out), out
    assert "ValueError: bad card 622202******7890 for 138****5678" in out
    assert _leaks(out) == []


def test_gunicorn_access_and_error_lines_carry_no_number(capsys):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from voc import gunicorn_conf

    cfg = Config()
    for name in ("accesslog", "access_log_format", "logconfig_dict"):
        cfg.set(name, getattr(gunicorn_conf, name))
    saved = {
        n: (lg.handlers[:], lg.propagate)
        for n in ("gunicorn.error", "gunicorn.access")
        for lg in [logging.getLogger(n)]
    }
    root_handlers = logging.getLogger().handlers[:]
    try:
        log = Logger(cfg)

        class Response:
            status, sent, headers = "200 OK", 512, []

        class Request:
            headers = []

        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/complaints/?q={MOBILE}",
            "PATH_INFO": "/complaints/",
            "QUERY_STRING": f"q={MOBILE}",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.9",
            "HTTP_REFERER": f"https://voc.bank.example/complaints/?q={ID_NUMBER}",
            "HTTP_USER_AGENT": "agent-browser",
        }
        log.access(Response(), Request(), environ, dt.timedelta(microseconds=5000))
        log.error("worker failed on %s", MOBILE)
    finally:
        logging.getLogger().handlers[:] = root_handlers
        for name, (handlers, propagate) in saved.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).propagate = propagate
    captured = capsys.readouterr()
    out = captured.out + captured.err
    # status, size and time stay readable (bare "200 512 5" would read as one spaced-out number)
    assert '"GET /complaints/ HTTP/1.1" status=200 bytes=512 ms=5' in out
    assert "worker failed on 138****5678" in out
    assert _leaks(out) == [] and ID_NUMBER not in out


def test_handlers_a_library_installs_at_import_are_masked_too():
    """torch (openai-whisper) attaches stream handlers to its own loggers when imported; the
    engine puts the mask on them, so a later library log line cannot carry a number out."""
    import torch  # noqa: F401 - the import installs torch's handlers

    from recordings.speech.models import mask_library_log_handlers

    mask_library_log_handlers()
    unmasked = [
        name
        for name, hs in _configured_handlers().items()
        for h in hs
        if not any(isinstance(f, MaskPIIFilter) for f in h.filters)
    ]
    assert unmasked == []
