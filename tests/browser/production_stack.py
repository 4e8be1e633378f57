"""The production stack for browser journeys: production settings on a PostgreSQL database of
its own (tests.test_production's prod_env/prod_site), Redis as broker and cache (one Redis
database, flushed before and after), gunicorn behind a TLS-terminating reverse proxy that sets
X-Forwarded-Proto/-For as nginx does (VOC_TRUSTED_PROXIES=1), and two Celery workers as
scripts/serve runs them: default+analytics, and transcription with the offline model.

Only used when DATABASE_URL points at PostgreSQL and Redis answers on 127.0.0.1:6379; the
SQLite run skips (``stack_unavailable`` gives the reason).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.test_production import VENV_BIN, Site, _free_port, _manage, _process

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 7  # this suite's own Redis database
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
MODEL_CACHE = ROOT / "var" / "models"  # the offline models scripts/bootstrap installs (tests/recordings)


def stack_unavailable() -> str | None:
    """Why the production stack cannot run here, or None."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://", "psql://")):
        return "production journeys need DATABASE_URL pointing at PostgreSQL (the SQLite run skips them)"
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(64).startswith(b"+PONG"):
                return f"Redis on {REDIS_HOST}:{REDIS_PORT} did not answer PING"
    except OSError as exc:
        return f"production journeys need Redis on {REDIS_HOST}:{REDIS_PORT} ({exc})"
    return None


def flush_redis_db() -> None:
    """FLUSHDB on this suite's Redis database only."""
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=5).flushdb()


# --- TLS-terminating reverse proxy ---------------------------------------------------------


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "proxy.crt", folder / "proxy.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


class TlsProxy:
    """https://127.0.0.1:<port> → http://127.0.0.1:<upstream>, one request per connection (the
    sync gunicorn worker closes after each response; bodies come with Content-Length). Like nginx's ``proxy_set_header``, the
    client's own X-Forwarded-* headers are replaced, never passed on."""

    _DROP = (b"x-forwarded-proto:", b"x-forwarded-for:", b"connection:", b"keep-alive:")

    def __init__(self, upstream: int, cert: Path, key: Path) -> None:
        self.upstream = upstream
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, addr[0]), daemon=True).start()

    def _serve(self, raw: socket.socket, client_ip: str) -> None:
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        upstream = None
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk or len(data) > 65536:
                    return
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            length = next(
                (int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")), 0
            )
            while len(body) < length:  # read the whole body first: an SSL socket is not for two threads at once
                chunk = conn.recv(min(65536, length - len(body)))
                if not chunk:
                    return
                body += chunk
            lines = [line for line in lines if not line.lower().startswith(self._DROP)]
            lines += [b"X-Forwarded-Proto: https", b"X-Forwarded-For: " + client_ip.encode(), b"Connection: close"]
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=120)
            upstream.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            while chunk := upstream.recv(65536):
                conn.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (upstream, conn):
                if s is not None:
                    with suppress(OSError):
                        s.close()


# --- the stack ---------------------------------------------------------------------------


@dataclass
class Stack:
    env: dict[str, str]
    url: str  # the proxy's https address, what the browser opens
    site: Site  # gunicorn itself, plain http (the health probe's view)
    var: Path

    def health(self) -> tuple[int, dict]:
        status, _, body = self.site.get("/healthz")
        return status, json.loads(body)

    def manage(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
        result = _manage(self.env | extra_env, *args)
        assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}"
        return result


def stack_env(prod_site: dict[str, str]) -> dict[str, str]:
    var = Path(prod_site["VOC_VAR_DIR"])
    return prod_site | {
        "CELERY_BROKER_URL": REDIS_URL,
        "REDIS_URL": REDIS_URL,  # the cache every web process shares
        "VOC_MEDIA_ROOT": str(var / "media"),
        "VOC_TRANSCRIPTION_ENGINE": "faster-whisper",
        "VOC_TRANSCRIPTION_MODEL": "pkg:tiny.en",  # English-only and fast (the clip speaks English)
        "VOC_TRANSCRIPTION_MODEL_CACHE": str(MODEL_CACHE),
        "VOC_TRUSTED_PROXIES": "1",
        "VOC_HEALTH_WORKER_TIMEOUT_S": "2",
        "VOC_ANALYTICS_FLUSH_DEBOUNCE_S": "0.5",
    }


def _worker_ready(site: Site, queues: tuple[str, ...]):
    def ready() -> bool:
        try:
            _, _, body = site.get("/healthz")
        except OSError:
            return False
        counts = json.loads(body)["checks"]["workers"].get("queues", {})
        return all(counts.get(q, 0) >= 1 for q in queues)

    return ready


@contextmanager
def production_stack(prod_site: dict[str, str], tmp: Path, web_workers: int = 3) -> Iterator[Stack]:
    """gunicorn + TLS proxy + the two workers of scripts/serve; everything stopped on exit."""
    env = stack_env(prod_site)
    flush_redis_db()
    with ExitStack() as stack:
        stack.callback(flush_redis_db)
        site = Site(_free_port())
        gunicorn = [str(VENV_BIN / "gunicorn"), "-c", "python:voc.gunicorn_conf", "voc.wsgi"]
        gunicorn += ["-b", f"127.0.0.1:{site.port}", "-w", str(web_workers)]
        stack.enter_context(_process(env, gunicorn, site.up))
        tag = f"journey{os.getpid()}"
        workers = (("default", ("default", "analytics")), ("transcription", ("transcription",)))
        for i, (name, queues) in enumerate(workers):
            worker = [str(VENV_BIN / "celery"), "-A", "voc", "worker", "--pool", "solo", "-Q", ",".join(queues)]
            worker += ["-n", f"{name}-{tag}@%h", "--loglevel", "INFO", "--without-mingle", "--without-gossip"]
            # Both boot at once; the last waits until /healthz sees a worker on every queue.
            last = i == len(workers) - 1
            ready = _worker_ready(site, tuple(q for _, qs in workers for q in qs)) if last else lambda: True
            stack.enter_context(_process(env, worker, ready))
        proxy = TlsProxy(site.port, *self_signed_cert(tmp))
        stack.callback(proxy.close)
        yield Stack(env=env, url=proxy.url, site=site, var=Path(env["VOC_VAR_DIR"]))
