"""An HTTP receiver on loopback for what pbxconf or the simulator POSTs out (the PBX's
reports, watch's webhook), refusing its first requests with 503 to test the retries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


class Receiver:
    """Answers its first `refuse` POSTs `refuse_with` (503), then 200; keeps each accepted
    JSON body."""

    def __init__(self, refuse: int = 0, refuse_with: int = 503) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.attempts += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = receiver.attempts > refuse
                if ok:
                    receiver.bodies.append(json.loads(body))
                    receiver.paths.append(self.path)
                self.send_response(200 if ok else refuse_with)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.http = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
