"""What every request to the hub meets before a route sees it (a pure ASGI middleware):

* a body is bounded before it is read: a declared Content-Length over the limit is refused at once (413), a
  streamed one as soon as it passes the limit, whoever the caller is and whatever the route;
* a body must arrive within ``body_s`` of the request's head, or the request is refused (408);
* a request with both Content-Length and Transfer-Encoding is refused (400): two framings, two meanings;
* a client that goes away before its body arrived costs one log line, not a traceback.

Every refusal here closes the connection (``Connection: close``), so the unread rest of a body is never read.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.requests import ClientDisconnect

log = logging.getLogger("kiosk.hub")

MAX_BODY = 1024 * 1024


class Refused(Exception):
    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _caught(exc: BaseException, kind: type) -> BaseException | None:
    """``exc`` or the first ``kind`` inside an exception group (task groups wrap what their tasks raise)."""
    if isinstance(exc, kind):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _caught(inner, kind)
        if found is not None:
            return found
    return None


class RequestGuard:
    def __init__(self, app, max_body: int = MAX_BODY, body_s: float = 20.0) -> None:
        self.app, self.max_body, self.body_s = app, max_body, body_s

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _header(scope, b"content-length"), _header(scope, b"transfer-encoding")
        try:
            if declared is not None and chunked is not None:
                raise Refused(400, "ambiguous_length", "a request has Content-Length or Transfer-Encoding, not both")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
                raise Refused(413, "too_large", f"the body is over {self.max_body} bytes")
        except Refused as early:
            await self._refuse(send, early)
            return
        await self._guarded(scope, receive, send)

    async def _guarded(self, scope, receive, send) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_s
        state = {"read": 0, "done": False, "started": False}

        async def bounded_receive():
            if state["done"]:  # the body is in: later receives only wait for a disconnect
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):  # no task per receive, unlike wait_for
                    message = await receive()
            except TimeoutError:
                raise Refused(408, "too_slow", f"the body did not arrive within {self.body_s:g} s") from None
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > self.max_body:
                    raise Refused(413, "too_large", f"the body is over {self.max_body} bytes")
                state["done"] = not message.get("more_body", False)
            return message

        async def tracking_send(message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BaseException as exc:
            refused, gone = _caught(exc, Refused), _caught(exc, ClientDisconnect)
            if refused is None and gone is None:
                raise
            where = f"{_client(scope)} {scope['method']} {scope['path']}"
            if gone is not None:
                log.warning("%s: the client went away before its body arrived", where)
            elif state["started"]:
                log.warning("%s: %s", where, refused.reason)
            else:
                log.info("%s: refused (%s)", where, refused.code)
                await self._refuse(send, refused)

    @staticmethod
    async def _refuse(send, refused: Refused) -> None:
        body = json.dumps({"error": refused.code, "reason": refused.reason}).encode()
        await send({"type": "http.response.start", "status": refused.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _client(scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "?"
