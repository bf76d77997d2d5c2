"""Raw exchanges with a miner: what was asked and the bytes that came back.

The backends keep the last reply to each read request they sent (for
diagnostics), and ``capture`` records a miner's replies to every read request
the client knows (for bug reports and replays). Both write them in the capture
format that docs/firmware.md describes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .models import ApiVersion

CAPTURE_FORMAT: Final = "hashwatt-whatsminer-capture"
CAPTURE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Exchange:
    """One read request and the miner's raw reply (or why none came).

    ``reply`` is every byte of a v2 reply, or the body of a v3 reply frame.
    """

    api: ApiVersion
    request: Mapping[str, Any]
    reply: bytes | None
    error: str | None = None

    @property
    def key(self) -> str:
        """Tell requests apart: the API and the request as canonical JSON."""
        return f"{self.api}:{request_key(self.request)}"


def request_key(request: Mapping[str, Any]) -> str:
    """Return a request as canonical JSON (v2's ``command`` read as ``cmd``)."""
    normal = dict(request)
    if "command" in normal and "cmd" not in normal:
        normal["cmd"] = normal.pop("command")
    return json.dumps(normal, sort_keys=True, separators=(",", ":"))


def exchange_to_json(exchange: Exchange) -> dict[str, Any]:
    """Write one exchange as the capture format does."""
    reply: str | None = None
    encoding: str | None = None
    if exchange.reply is not None:
        try:
            reply, encoding = exchange.reply.decode("utf-8"), "text"
        except UnicodeDecodeError:
            reply = base64.b64encode(exchange.reply).decode("ascii")
            encoding = "base64"
    return {
        "api": str(exchange.api),
        "request": dict(exchange.request),
        "reply": reply,
        "reply_encoding": encoding,
        "error": exchange.error,
    }


def exchange_from_json(data: Mapping[str, Any]) -> Exchange:
    """Read one exchange of a capture; raise ``ValueError`` if it is malformed."""
    try:
        api = ApiVersion(data["api"])
        request = data["request"]
        reply_text = data.get("reply")
        encoding = data.get("reply_encoding")
        error = data.get("error")
    except (KeyError, TypeError) as err:
        msg = f"not an exchange: {err}"
        raise ValueError(msg) from None
    if not isinstance(request, Mapping):
        msg = "an exchange's request is no JSON object"
        raise ValueError(msg)  # noqa: TRY004  # one error for every malformed capture
    reply: bytes | None = None
    if reply_text is not None:
        if not isinstance(reply_text, str):
            msg = "an exchange's reply is no text"
            raise ValueError(msg)
        if encoding == "text":
            reply = reply_text.encode("utf-8")
        elif encoding == "base64":
            try:
                reply = base64.b64decode(reply_text, validate=True)
            except binascii.Error:
                msg = "an exchange's base64 reply does not decode"
                raise ValueError(msg) from None
        else:
            msg = f"unknown reply_encoding {encoding!r}"
            raise ValueError(msg)
    return Exchange(
        api=api,
        request=request,
        reply=reply,
        error=error if isinstance(error, str) else None,
    )


@dataclass(slots=True)
class ExchangeLog:
    """The last exchange of each read request a backend sent."""

    _last: dict[str, Exchange] = field(default_factory=dict)

    def record(self, exchange: Exchange) -> None:
        """Keep ``exchange`` as the last one of its request."""
        key = exchange.key
        self._last.pop(key, None)  # the newest last, in sending order
        self._last[key] = exchange

    def exchanges(self) -> tuple[Exchange, ...]:
        """Return the kept exchanges, oldest request first."""
        return tuple(self._last.values())
