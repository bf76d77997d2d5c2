"""Find out which API a Whatsminer speaks.

1. TCP 4433 ``get.device.info`` answering code 0: API v3.
2. Otherwise TCP 4028 ``get_version``: API v2.

Firmware from 2024-11 on (``fw_ver`` from 20241101) should be driven through
API v3, but keeps a compatibility layer on 4028. If such a miner answers only
there (4433 firewalled, or its v3 API still starting), it is driven through
API v2: the compatibility layer reads, which keeps the miner visible, and a
warning says once per miner that its v3 API is unreachable. The facade
detects again after any connection error, so the miner moves to v3 as soon
as 4433 answers.
"""

from __future__ import annotations

import json
import logging
from typing import Final

from . import transport
from .errors import WhatsminerConnectionError, WhatsminerError
from .models import ApiVersion
from .parse_v2 import parse_version
from .parse_v3 import CODE_OK, parse_envelope
from .repair import parse_reply
from .transport_v3 import V3Connection
from .v2 import COMPAT_FIRMWARE_FROM

_LOGGER = logging.getLogger(__name__)

_V2_PROBE: Final = json.dumps({"cmd": "get_version"}).encode()
# Hosts already warned about: the warning is worth reading once, not every poll.
_warned_v3_unreachable: set[str] = set()


async def _v3_answers(
    host: str, port: int, connect_timeout: float, reply_timeout: float
) -> bool:
    """Return whether ``host:port`` answers ``get.device.info`` with code 0."""
    connection = V3Connection(
        host, port, connect_timeout=connect_timeout, reply_timeout=reply_timeout
    )
    try:
        body = await connection.request(
            {"cmd": "get.device.info", "param": "system"}, may_resend=False
        )
        reply = parse_envelope("get.device.info", body)
    except WhatsminerError as err:
        _LOGGER.debug("%s:%s does not answer API v3: %s", host, port, err)
        return False
    finally:
        await connection.close()
    return bool(reply["code"] == CODE_OK)


async def detect_api(
    host: str,
    *,
    v2_port: int,
    v3_port: int,
    connect_timeout: float,
    reply_timeout: float,
) -> ApiVersion:
    """Return the API to drive the miner through; raise if neither port answers."""
    if await _v3_answers(host, v3_port, connect_timeout, reply_timeout):
        return ApiVersion.V3
    try:
        raw = await transport.request(
            host,
            v2_port,
            _V2_PROBE,
            connect_timeout=connect_timeout,
            reply_timeout=reply_timeout,
        )
    except WhatsminerConnectionError as err:
        msg = f"{host} answers neither API v3 (port {v3_port}) nor API v2 (port {v2_port}): {err}"
        raise WhatsminerConnectionError(msg) from err
    try:
        firmware_date = parse_version(parse_reply(raw)).firmware_date
    except WhatsminerError:
        firmware_date = None  # it answers on 4028, whatever it said: a v2 miner
    if firmware_date is not None and firmware_date >= COMPAT_FIRMWARE_FROM:
        if host not in _warned_v3_unreachable:
            _warned_v3_unreachable.add(host)
            _LOGGER.warning(
                "%s runs firmware from %s, which is driven through API v3, but port %s does "
                "not answer; reading it through the API v2 compatibility layer until it does",
                host,
                firmware_date.isoformat(),
                v3_port,
            )
    return ApiVersion.V2
