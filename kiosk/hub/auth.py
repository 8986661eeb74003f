"""Refusals and the device signature check shared by the hub's kiosk-facing endpoints."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from kiosk.hub import store
from kiosk.signatures import SignatureError, parse, verify


def _refuse(status: int, code: str, reason: str) -> JSONResponse:
    return JSONResponse({"error": code, "reason": reason}, status_code=status)


def authenticate(engine: Engine, headers, method: str, path: str, body: bytes):
    """(device row, parsed signature) of a validly signed request by an active device, or the refusal.
    The nonce is not spent here: the caller spends it in the transaction that acts on the request."""
    try:
        signed = parse(headers)
        dev = store.device(engine, signed.keyid)
        if dev is None:
            return _refuse(401, "unknown_device", f"device {signed.keyid!r} is not enrolled")
        verify(headers, method, path, body, dev.public_key)
    except SignatureError as exc:
        return _refuse(401, exc.code, exc.message)
    if dev.state != "active":
        return _refuse(403, "revoked", f"device {dev.id!r} is revoked")
    return dev, signed
