"""What the hub's kiosk-facing endpoints share: refusals, the bounded body, the device signature check, and
``signed_route`` (a route whose handler runs on a kiosk thread for an active device's signed request)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from kiosk.hub import store
from kiosk.hub.guard import MAX_BODY
from kiosk.signatures import SignatureError, authority_of, parse, verify



def _nobody() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                   serialization.PublicFormat.Raw)


_NOBODY = _nobody()


def _refuse(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason}, status_code=status)


LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def own_address(request: Request) -> str:
    """This hub's URL as the connection itself says (the local address it arrived at), never the request's
    Host header, which the sender chooses. Behind a proxy, set --public-url."""
    host, port = request.scope.get("server") or ("127.0.0.1", 8470)
    host = f"[{host}]" if ":" in host else host
    return f"{request.url.scheme}://{host}:{port}"


def expected_authority(request: Request) -> Callable[[str], str]:
    """For a kiosk enrolled under a name (the Host of its enrolment), the host and port its signature must
    name to be for this hub: those of the --public-url; without one, the address the connection arrived at,
    or (on loopback) localhost at the same port, or the name that kiosk enrolled under. A Host header naming
    anything else, say another hub whose signed batch is being replayed here, is not this hub's name."""
    public = getattr(request.app.state, "public_authority", "")
    own = authority_of(own_address(request))
    said = request.headers.get("host", "").strip().lower()
    own_host, _, own_port = own.rpartition(":")
    host, _, port = said.rpartition(":")
    known = said == own or own_host in LOOPBACK and host in LOOPBACK and port == own_port

    def for_device(enrolled_as: str) -> str:
        if public:
            return public
        return said if known or (said and said == enrolled_as) else own
    return for_device


def authenticate(engine: Engine, headers, method: str, path: str, body: bytes,
                 authority: Callable[[str], str], query: str = ""):
    """(device row, parsed signature) of a validly signed request by an active device, or the refusal.
    ``authority``: the name the device's signature must give this hub, from the name it enrolled under
    (``expected_authority``). The nonce is not spent here: the caller spends it in the transaction that acts
    on the request."""
    try:
        signed = parse(headers)
        dev = store.device(engine, signed.keyid)
        # An unknown device is checked against a key nobody holds: refused exactly as a wrong signature is,
        # so the answer never tells an enrolled device id from one that is not.
        verify(headers, method, path, body, dev.public_key if dev is not None else _NOBODY, None,
               authority(dev.enrolled_as if dev is not None else ""), query)
        if dev is None:
            raise SignatureError("bad_signature", "the signature does not verify with the device's key")
    except SignatureError as exc:
        return _refuse(401, exc.code, exc.message)
    if dev.state != "active":
        return _refuse(403, "revoked", f"device {dev.id!r} is revoked")
    return dev, signed


async def read_body(request: Request, most: int = MAX_BODY) -> bytes | JSONResponse:
    """The request's body, or a 413 once it passes ``most`` bytes (declared or streamed); the connection is
    then closed, so the rest is never read."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > most:
        return _too_large(most)
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > most:
            return _too_large(most)
    return b"".join(chunks)


def _too_large(most: int) -> JSONResponse:
    r = _refuse(413, "too_large", f"the body is over {most} bytes")
    r.headers["Connection"] = "close"
    return r


def signed_device(engine: Engine, request: Request, body: bytes):
    """The active device that signed this request, its nonce now spent; or the refusal."""
    auth = authenticate(engine, request.headers, request.method, request.url.path, body,
                        expected_authority(request), request.url.query)
    if isinstance(auth, JSONResponse):
        return auth
    dev, signed = auth
    try:
        store.spend_nonce(engine, dev.id, signed.nonce, signed.created)
    except store.Replayed:
        return _refuse(401, "replayed", "this signature's nonce was used before")
    return dev


KIOSK_THREADS = 40  # what all requests shared before (anyio's default), now the kiosks' alone


async def on_kiosk_thread(app: FastAPI, fn: Callable[..., Any], *args) -> Any:
    """``fn(*args)`` on the threads that serve kiosks alone: however busy the dashboard and the login page
    are, a kiosk's signed request never waits behind them for a thread."""
    pool = getattr(app.state, "kiosk_threads", None)
    if pool is None:  # made on the event loop's first kiosk request, so never twice
        pool = app.state.kiosk_threads = ThreadPoolExecutor(KIOSK_THREADS, thread_name_prefix="kiosk-api")
    return await asyncio.get_running_loop().run_in_executor(pool, partial(fn, *args))


def signed_route(app: FastAPI, engine: Engine, method: str, path: str,
                 handler: Callable[[Any, Request, bytes], Any]) -> None:
    """``handler(device, request, body)`` in a worker thread (database, crypto and upstream calls block),
    for requests an active device signed; everything else is refused before it runs."""
    async def endpoint(request: Request):
        body = await read_body(request)
        if isinstance(body, JSONResponse):
            return body

        def run():
            dev = signed_device(engine, request, body)
            return dev if isinstance(dev, JSONResponse) else handler(dev, request, body)
        return await on_kiosk_thread(request.app, run)

    app.add_api_route(path, endpoint, methods=[method])
