"""A real HTTP receiver on 127.0.0.1 for sync tests: ingest (de-duplicating CloudEvents by id) and an
OpenAI-style chat endpoint, with scripted faults. Every raw request is captured for canary checks."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.events: dict[str, dict] = {}
        self.received = 0           # events received, duplicates included
        self.requests: list[dict] = []
        self.faults: list[str] = []  # consumed one per ingest request: ok|500|429:<v>|reset|slow:<s>|400
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body.decode("utf-8", "replace")})
                    fault = receiver.faults.pop(0) if receiver.faults else "ok"
                if fault.startswith("slow:"):
                    time.sleep(float(fault[5:]))
                if fault == "500":
                    return self._send(500, {"error": "boom"})
                if fault.startswith("429:"):
                    return self._send(429, {"error": "slow down"}, {"Retry-After": fault[4:]})
                if fault == "400":
                    return self._send(400, {"error": "bad event"})
                if self.path.endswith("/chat/completions"):
                    q = json.loads(body)["messages"][-1]["content"]
                    return self._send(200, {"choices": [{"message": {"content": f"Staff say: {q[:40]}"}}]})
                if self.headers.get("Content-Type") != "application/cloudevents-batch+json":
                    return self._send(415, {"error": "wrong content type"})
                batch = json.loads(body)
                with receiver.lock:
                    receiver.received += len(batch)
                    for e in batch:
                        receiver.events.setdefault(e["id"], e)
                if fault == "reset":  # stored, but the kiosk never hears back
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._send(200, {"accepted": len(batch)})

            def _send(self, code, obj, headers=None):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # a killed client resets its connection
                import sys

                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
