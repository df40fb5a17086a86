"""A webhook receiver on loopback: a threaded HTTP server that keeps every request, and can
answer 503 while it is "down"."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Received:
    """One request as the receiver got it."""

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body
        self.events: list[dict[str, Any]] = json.loads(body)["events"]


class WebhookReceiver:
    """Listens on 127.0.0.1:`port`; 503 while `failing`, else 200 and keeps the request."""

    def __init__(self, port: int, failing: bool = False) -> None:
        self.port = port
        self.failing = failing
        self.received: list[Received] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.record(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        return Handler

    def record(self, headers: dict[str, str], body: bytes) -> int:
        """Keep a request (or count it refused); the status to answer."""
        with self._lock:
            if self.failing:
                self.refused += 1
                return 503
            self.received.append(Received(headers, body))
            return 200

    def events(self) -> list[dict[str, Any]]:
        """Every event received, in the order received."""
        with self._lock:
            return [e for r in self.received for e in r.events]

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
