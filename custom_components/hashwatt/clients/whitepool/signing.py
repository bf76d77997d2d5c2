"""WhiteBIT private-API request signing, as one pure function.

1. body = ``{"request": path, "nonce": ms, "nonceWindow": true, **params}``;
2. raw = compact JSON of the body, sent as the HTTP body byte for byte;
3. ``X-TXC-PAYLOAD`` = standard base64 of raw;
4. ``X-TXC-SIGNATURE`` = lowercase hex HMAC-SHA512 of the base64 text, keyed with the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What goes on the wire for one authenticated request."""

    body: bytes = field(repr=False)
    payload: str
    signature: str


def build_body(
    path: str, nonce: int, params: Mapping[str, Any], *, nonce_window: bool = True
) -> dict[str, Any]:
    """Return the body in the order the API's examples use: request, nonce, nonceWindow, params."""
    body: dict[str, Any] = {"request": path, "nonce": nonce}
    if nonce_window:
        body["nonceWindow"] = True
    for key, value in params.items():
        if key not in body and key != "nonceWindow":
            body[key] = value
    return body


def sign(body: Mapping[str, Any], secret: str) -> SignedRequest:
    """Serialise ``body`` compactly and sign it with ``secret``."""
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    payload = base64.b64encode(raw).decode("ascii")
    signature = hmac.new(
        secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha512
    ).hexdigest()
    return SignedRequest(body=raw, payload=payload, signature=signature)
