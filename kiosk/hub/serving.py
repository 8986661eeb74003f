"""Running the hub's app under uvicorn with limits on slow and idle connections.

uvicorn closes a connection idle after a response (``timeout_keep_alive``), but not one that never finishes
sending a request's head: a client trickling header bytes holds its socket for ever. Here every connection
must deliver each request's head within ``head_s`` of opening or of its previous response, or it is closed.
A body too slow to arrive is the request guard's (``kiosk.hub.guard``), which answers 408 and closes.
"""

from __future__ import annotations

import asyncio

KEEP_ALIVE_S = 5


def with_head_deadline(base: type, head_s: float) -> type:
    """A uvicorn HTTP protocol class (h11 or httptools) that closes a connection whose next request's head has
    not arrived ``head_s`` after the connection opened or its last response completed."""

    class HeadDeadline(base):  # type: ignore[misc, valid-type]
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(head_s, self._head_overdue)

        def _head_overdue(self) -> None:
            busy = self.cycle is not None and not self.cycle.response_complete
            if not busy and not self.transport.is_closing():  # a request in progress is the guard's to time
                self.transport.close()

    HeadDeadline.__name__ = f"HeadDeadline{base.__name__}"
    return HeadDeadline


def serve(app, host: str, port: int, slow_s: float) -> None:
    import uvicorn
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S,
                http=with_head_deadline(AutoHTTPProtocol, slow_s))
