"""A webhook receiver as a bank's system would write one (docs/webhooks.md), on a real local
HTTP server thread: it checks the signature and the replay window, keeps each event once by its
id (a repeat is answered 200 and dropped), and can be told to answer 500 or to stall."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from integrations import signing


@dataclass
class Receiver:
    secret: str = ""
    url: str = ""
    requests: list[dict] = field(default_factory=list)  # every POST, repeats included
    events: list[dict] = field(default_factory=list)  # each event once, in arrival order
    rejected: list[str] = field(default_factory=list)  # why a request was refused (bad signature...)
    # answers to give next: a status code, ("stall", s), or ("hold", arrived, release) threading.Events
    script: deque = field(default_factory=deque)
    _seen: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers, body: bytes) -> int:
        with self._lock:
            answer = self.script.popleft() if self.script else 200
        hold = None
        if isinstance(answer, tuple) and answer[0] == "stall":  # ("stall", s): longer than the sender waits
            time.sleep(answer[1])
            answer = 200
        elif isinstance(answer, tuple):  # ("hold", arrived, release): store, then answer only when released
            hold, answer = answer[1:], 200
        try:
            signing.verify(headers.get(signing.HEADER), body, self.secret, now=time.time())
        except signing.SignatureError as exc:
            with self._lock:
                self.rejected.append(str(exc))
            return 401
        event = json.loads(body)
        with self._lock:
            self.requests.append({"headers": dict(headers), "event": event})
            if answer >= 300:
                return answer
            if event["id"] not in self._seen:  # de-duplication by event id
                self._seen.add(event["id"])
                self.events.append(event)
        if hold is not None:
            arrived, release = hold
            arrived.set()
            release.wait(30)
        return answer


def start(receiver: Receiver) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code = receiver.handle(self.headers, body)
            try:
                self.send_response(code)
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/voc"
    return server, thread
