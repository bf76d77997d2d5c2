"""The API v2 client (TCP 4028): plaintext reads, token-signed AES writes.

Connections per poll: the fast poll joins ``summary+edevs`` into one request and
reads ``status`` alongside (2 connections); the slow poll reads ``get_version``,
``get_miner_info``, ``get_psu``, ``get_error_code`` and the joined
``pools+devdetails`` concurrently (5 connections). Writes add one ``get_token``
per 28 minutes: the token is cached per miner and shared by concurrent writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final

from . import crypto, models, transport, units
from .errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerInvalidReplyError,
    WhatsminerTokenLimitError,
    WhatsminerUnsupportedError,
    WhatsminerWriteDisabledError,
)
from .exchanges import Exchange, ExchangeLog
from .parse_v2 import (
    boards_hashrate,
    is_compat_summary,
    is_error,
    log_file_length,
    message_body,
    parse_boards,
    parse_errors,
    parse_miner_info,
    parse_model,
    parse_pools,
    parse_pre_power_on,
    parse_psu,
    parse_settings,
    parse_status,
    parse_summary,
    parse_version,
    reply_status,
    split_joined,
    summary_errors,
    summary_hashrate,
    summary_liquid_cooled,
    summary_mac,
    with_summary_psu,
)
from .repair import parse_reply
from .values import (
    as_text,
    fans_still_while_hashing,
    is_hashing,
    is_liquid_cooled_model,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 4028
# A token lives 30 minutes; renew it early so a write never races its expiry.
TOKEN_REFRESH_AFTER: Final = 28 * 60.0
MINER_INFO_FIELDS: Final = (
    "ip,proto,netmask,gateway,dns,hostname,mac,ledstat,minersn,powersn"
)
MAX_LOG_BYTES: Final = 64 * 1024 * 1024
# Slowest upload rate we wait for before calling a firmware upload stalled.
MIN_UPLOAD_BYTES_PER_SECOND: Final = 64 * 1024
# Firmware from this date on (fw_ver YYYYMMDD…) is meant for API v3 and answers
# 4028 through a compatibility layer.
COMPAT_FIRMWARE_FROM: Final = date(2024, 11, 1)

# Repairing a reply this large takes milliseconds to (for 1 MiB) most of a
# second: parse it off the event loop.
PARSE_IN_THREAD_FROM: Final = 64 * 1024

CGMINER_READS: Final = frozenset({"summary", "pools", "edevs", "devs", "devdetails"})
_FAST_JOIN: Final = ("summary", "edevs")
_SLOW_JOIN: Final = ("pools", "devdetails")
_MAX_MESSAGE_CHARS: Final = 200
_REDACTED: Final = "***"
_INVALID_COMMAND: Final = 14
_DEPRECATED: Final = 132
_CHECK_TOKEN_ERROR: Final = 135
_TOKEN_LIMIT: Final = 136
_DECRYPT_FAILED: Final = 23

_POWER_MODE_COMMANDS: Final = {
    models.PowerMode.LOW: "set_low_power",
    models.PowerMode.NORMAL: "set_normal_power",
    models.PowerMode.HIGH: "set_high_power",
}
_POWER_PERCENT_COMMANDS: Final = {
    models.PowerPercentMode.FAST: "set_power_pct",
    models.PowerPercentMode.NORMAL: "set_power_pct_v2",
}

type Reply = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Token:
    """A write token: the sign to send and the AES key of the session."""

    sign: str = field(repr=False)
    aes_key: bytes = field(repr=False)
    obtained_at: float


@dataclass(slots=True)
class _Learned:
    """What the replies taught about this miner's firmware, until it may change."""

    unsupported: set[str] = field(default_factory=set)
    firmware: str | None = None
    model: str | None = None
    # Divisors to TH/s that evidence decided (see :mod:`.units`).
    summary_divisor: float | None = None
    board_divisor: float | None = None


def boards_total(boards: tuple[models.Board, ...]) -> float | None:
    """Return the boards' hashrates (TH/s) added up; ``None`` when none is known."""
    return units.total(
        board.hashrate_realtime
        if board.hashrate_realtime is not None
        else board.hashrate_average
        for board in boards
    )


def is_mining(status: models.MinerStatus | None, summary: models.Summary) -> bool:
    """Tell whether btminer mines: what ``status`` says, unless the hashrate denies it.

    Old firmware's ``btmineroff`` has been seen saying "true" in the same second
    its summary reported 67 TH/s: a miner that hashes at a real rate is mining.
    Without a usable status, a miner that hashes is mining.
    """
    if status is None:
        return bool(summary.hashrate_realtime or summary.hashrate_average)
    return status.mining or is_hashing(
        summary.hashrate_realtime, summary.hashrate_factory
    )


class _TokenRejectedError(WhatsminerError):
    """The miner rejected the token (code 135): fetch a new one and retry once."""


def _request_key(command: str) -> str:
    """Return the key a read is sent under: cgminer's reads want ``command``.

    2020 firmware answers ``{"cmd": "summary"}`` with code 24 "Missing JSON
    'command'"; every firmware since reads ``command`` too (captured). btminer's
    own commands are sent as ``cmd``, as the vendor documents them.
    """
    parts = command.split("+")
    return "command" if all(part in CGMINER_READS for part in parts) else "cmd"


def _flag(enabled: bool) -> str:  # noqa: FBT001
    return "1" if enabled else "0"


def _first_error(group: ExceptionGroup[Exception]) -> Exception:
    errors: list[Exception] = list(group.exceptions)
    # Our own error explains a failed poll better than a sibling's anything-else.
    ours = [error for error in errors if isinstance(error, WhatsminerError)]
    return ours[0] if ours else errors[0]


async def _parse(raw: bytes) -> Reply:
    """Parse a reply; a large one in a worker thread of its own."""
    if len(raw) < PARSE_IN_THREAD_FROM:
        return parse_reply(raw)
    with ThreadPoolExecutor(1, thread_name_prefix="whatsminer-reply") as worker:
        return await asyncio.get_running_loop().run_in_executor(
            worker, parse_reply, raw
        )


async def _concurrently(*requests: Coroutine[Any, Any, Reply]) -> list[Reply]:
    """Run requests at once; on the first failure cancel the rest and raise it."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(request) for request in requests]
    except ExceptionGroup as errors:
        raise _first_error(errors) from None
    return [task.result() for task in tasks]


class WhatsminerV2:
    """A Whatsminer driven through API v2 on TCP 4028."""

    api: models.ApiVersion = models.ApiVersion.V2

    def __init__(  # noqa: PLR0913
        self,
        host: str,
        *,
        port: int = DEFAULT_PORT,
        password: str | None = None,
        connect_timeout: float = 5.0,
        reply_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Describe the miner; nothing is sent until the first call."""
        self.host = host
        self.port = port
        self._password = password
        self._connect_timeout = connect_timeout
        self._reply_timeout = reply_timeout
        self._clock = clock
        self._token: _Token | None = None
        self._token_request: asyncio.Future[_Token] | None = None
        self._refused_joins: set[tuple[str, ...]] = set()
        self._learned = _Learned()
        self._log = ExchangeLog()
        self._last_summary: Reply = {}
        # Whether 4028 answers as the compatibility layer of 2024-11+ firmware
        # (which API v3 should drive), as its replies show.
        self.compat_layer = False

    def __repr__(self) -> str:
        """Describe the miner without its password or token."""
        return f"WhatsminerV2(host={self.host!r}, port={self.port})"

    def set_password(self, password: str | None) -> None:
        """Use another admin password from now on (the cached token goes)."""
        self._password = password
        self._token = None

    async def close(self) -> None:
        """Nothing to close: every request has its own connection."""

    # Plumbing.

    async def _exchange(self, payload: bytes) -> bytes:
        return await transport.request(
            self.host,
            self.port,
            payload,
            connect_timeout=self._connect_timeout,
            reply_timeout=self._reply_timeout,
        )

    async def _open(self) -> transport.Connection:
        return await transport.Connection.open(
            self.host,
            self.port,
            connect_timeout=self._connect_timeout,
            reply_timeout=self._reply_timeout,
        )

    def _redact(self, text: str, secrets: Sequence[str] = ()) -> str:
        text = text[:_MAX_MESSAGE_CHARS]
        for secret in filter(None, (self._password, *secrets)):
            text = text.replace(secret, _REDACTED)
        return text

    async def _read_raw(self, command: str, **params: str) -> Reply:
        """Send a plaintext read; return the reply without judging its status."""
        _LOGGER.debug("%s: reading %s", self.host, command)
        request = {_request_key(command): command, **params}
        try:
            raw = await self._exchange(json.dumps(request).encode())
        except WhatsminerConnectionError:
            # An outage: the miner may come back with other firmware.
            self._forget()
            raise
        if command != "get_token":  # part of writing, not of reading the miner
            self._log.record(Exchange(models.ApiVersion.V2, request, raw))
        return await _parse(raw)

    def _command_error(
        self, command: str, reply: Reply, secrets: Sequence[str] = ()
    ) -> WhatsminerCommandError:
        _, code, message = reply_status(reply)
        text = self._redact(message, secrets)
        lowered = message.lower()
        if (
            code == _INVALID_COMMAND and "data" not in lowered
        ) or "deprecated" in lowered:
            # 14 "invalid cmd" (not "…command or data"); 132 "This command is deprecated."
            return WhatsminerUnsupportedError(command, code, text)
        return WhatsminerCommandError(command, code, text)

    def _checked(self, command: str, reply: Reply) -> Reply:
        if is_error(reply):
            raise self._command_error(command, reply)
        return reply

    async def _read(self, command: str, **params: str) -> Reply:
        return self._checked(command, await self._read_raw(command, **params))

    async def _read_optional(
        self, command: str, *, tolerate_errors: bool = True, **params: str
    ) -> Reply:
        """Read a command some firmware lacks, refuses or garbles; that reads as ``{}``.

        A command the firmware does not have (14 "invalid cmd", 132
        "deprecated") is not asked again until the next outage or firmware
        change. Without ``tolerate_errors`` (identity: who answers must be
        known) any other refusal or a garbled reply raises. Connection
        failures always raise: they mean the miner is gone.
        """
        if command in self._learned.unsupported:
            return {}
        try:
            return await self._read(command, **params)
        except WhatsminerUnsupportedError as err:
            _LOGGER.debug(
                "%s: has no %s (%s); not asking again", self.host, command, err
            )
            self._learned.unsupported.add(command)
            if err.code == _DEPRECATED:
                # 132 "This command is deprecated.": the compatibility layer.
                self.compat_layer = True
        except (WhatsminerCommandError, WhatsminerInvalidReplyError) as err:
            if not tolerate_errors:
                raise
            _LOGGER.debug("%s: no usable %s reply: %s", self.host, command, err)
        return {}

    async def _read_joined(self, commands: tuple[str, ...]) -> Reply:
        """Read several cgminer commands in one request; ``{command: reply}``.

        Falls back to one request per command when the miner does not join.
        """
        if commands not in self._refused_joins:
            reply = await self._read_raw("+".join(commands))
            if (parts := split_joined(reply, commands)) is not None:
                return dict(parts)
            if is_error(reply):
                # This firmware refuses this join: stop asking for it.
                self._refused_joins.add(commands)
        replies = await _concurrently(
            *(self._read_raw(command) for command in commands)
        )
        return dict(zip(commands, replies, strict=True))

    # Reads.

    async def identify(self) -> models.MinerIdentity:
        """Read MAC, hostname, serial, model and firmware (3-4 connections, no password).

        Old firmware has no ``get_miner_info``: its MAC is in ``summary``. New
        firmware's compatibility layer refuses ``devdetails``: its model is in
        ``get_version``.
        """
        version_reply, info_reply, details_reply = await _concurrently(
            self._read("get_version"),
            self._read_optional(
                "get_miner_info", tolerate_errors=False, info=MINER_INFO_FIELDS
            ),
            self._read_optional("devdetails"),
        )
        version = self._learn_version(version_reply)
        info = parse_miner_info(info_reply)
        mac = info.mac
        if mac is None:
            mac = summary_mac(await self._read_optional("summary"))
        return models.MinerIdentity(
            mac=mac,
            hostname=info.hostname,
            model=self._learn_model(details_reply, version),
            serial_number=info.miner_serial,
            firmware_version=version.firmware_version,
            api=models.ApiVersion.V2,
        )

    async def read_mac(self) -> str | None:
        """Read the MAC (1 connection, no password)."""
        reply = await self._read("get_miner_info", info=MINER_INFO_FIELDS)
        return parse_miner_info(reply).mac

    async def fetch_fast(self) -> models.FastData:
        """Read summary, boards and mining state (2 connections)."""
        joined, status_reply = await _concurrently(
            self._read_joined(_FAST_JOIN), self._read_optional("status")
        )
        summary_reply = self._checked("summary", joined["summary"])
        self._last_summary = summary_reply
        edevs_reply = joined["edevs"]
        if is_compat_summary(summary_reply):
            self.compat_layer = True
        board_divisor = self._board_divisor(edevs_reply)
        boards = (
            ()
            if is_error(edevs_reply)
            else parse_boards(edevs_reply, divisor=board_divisor)
        )
        summary = parse_summary(
            summary_reply, divisor=self._summary_divisor(summary_reply, boards)
        )
        status = parse_status(status_reply)
        if status is not None:
            summary = replace(
                summary,
                power_limit=summary.power_limit
                if summary.power_limit is not None
                else status.power_limit,
                liquid_temperature=status.liquid_temperature,
            )
        return models.FastData(
            summary=summary,
            boards=boards,
            mining=is_mining(status, summary),
            liquid_cooled=summary.liquid_temperature is not None
            or fans_still_while_hashing(summary)
            or self._is_liquid_cooled(summary_reply),
        )

    def _board_divisor(self, edevs_reply: Reply) -> float:
        """Decide the unit of the boards' hashrates (see :mod:`.units`)."""
        learned = self._learned
        divisor, decided = units.board_divisor(
            boards_hashrate(edevs_reply),
            compat=self.compat_layer,
            remembered=learned.board_divisor,
        )
        if decided is not None:
            learned.board_divisor = decided
        return divisor

    def _summary_divisor(
        self, summary_reply: Reply, boards: tuple[models.Board, ...]
    ) -> float:
        """Decide the unit of the summary's hashrates: the one its boards agree with."""
        learned = self._learned
        divisor, decided = units.summary_divisor(
            summary_hashrate(summary_reply),
            boards_total(boards),
            remembered=learned.summary_divisor,
        )
        if decided is not None:
            learned.summary_divisor = decided
        return divisor

    def _is_liquid_cooled(self, summary_reply: Reply) -> bool:
        flag = summary_liquid_cooled(summary_reply)
        if flag is not None:
            return flag
        return is_liquid_cooled_model(self._learned.model)

    async def fetch_slow(self) -> models.SlowData:
        """Read identity, firmware, PSU, errors and pools (5 connections).

        Commands this firmware lacks are asked once (until the next outage or
        firmware change); what they would tell comes from ``summary`` then.
        """
        (
            version_reply,
            info_reply,
            psu_reply,
            errors_reply,
            joined,
        ) = await _concurrently(
            self._read("get_version"),
            self._read_optional(
                "get_miner_info", tolerate_errors=False, info=MINER_INFO_FIELDS
            ),
            self._read_optional("get_psu"),
            self._read_optional("get_error_code"),
            self._read_joined(_SLOW_JOIN),
        )
        pools_reply = self._checked("pools", joined["pools"])
        version = self._learn_version(version_reply)
        model = self._learn_model(joined["devdetails"], version)
        info = parse_miner_info(info_reply)
        psu = parse_psu(psu_reply)
        errors = parse_errors(errors_reply)
        if "get_miner_info" in self._learned.unsupported or not errors_reply:
            # Old firmware: MAC, error codes and the PSU fan are in summary,
            # which the fast poll has just read.
            summary_reply = self._last_summary or await self._read_optional("summary")
            if info.mac is None:
                info = replace(info, mac=summary_mac(summary_reply))
            if not errors_reply:
                errors = summary_errors(summary_reply)
            psu = with_summary_psu(psu, summary_reply)
        identity = models.MinerIdentity(
            mac=info.mac,
            hostname=info.hostname,
            model=model,
            serial_number=info.miner_serial,
            firmware_version=version.firmware_version,
            api=models.ApiVersion.V2,
        )
        return models.SlowData(
            identity=identity,
            version=version,
            info=info,
            psu=psu,
            errors=errors,
            pools=parse_pools(pools_reply),
            settings=parse_settings(info_reply),
        )

    def _learn_version(self, version_reply: Reply) -> models.Version:
        """Parse ``get_version``; other firmware than before starts learning anew."""
        version = parse_version(version_reply)
        firmware = version.firmware_version
        if firmware is not None:
            if self._learned.firmware not in (None, firmware):
                _LOGGER.debug("%s: firmware changed to %s", self.host, firmware)
                self._forget()
            self._learned.firmware = firmware
        return version

    def _learn_model(self, details_reply: Reply, version: models.Version) -> str | None:
        """Return the model from ``devdetails``, or from ``get_version`` where it is gone."""
        if is_error(details_reply):
            model = None
            if reply_status(details_reply)[1] == _DEPRECATED:
                # 132 "This command is deprecated.": the compatibility layer.
                self.compat_layer = True
        else:
            model = parse_model(details_reply)
        model = model or version.model
        if model is not None:
            self._learned.model = model
        return model

    def _forget(self) -> None:
        """Forget what was learned about the firmware: it may have changed."""
        self._learned = _Learned()
        self._refused_joins.clear()
        self._last_summary = {}
        self.compat_layer = False

    def exchanges(self) -> tuple[Exchange, ...]:
        """Return the last raw reply to each read request sent (for diagnostics)."""
        return self._log.exchanges()

    # Tokens.

    def _require_password(self) -> str:
        if not self._password:
            msg = "this command needs the miner's admin password"
            raise WhatsminerAuthError(msg)
        return self._password

    def _fresh_token(self) -> _Token | None:
        token = self._token
        if (
            token is not None
            and self._clock() - token.obtained_at < TOKEN_REFRESH_AFTER
        ):
            return token
        return None

    async def _current_token(self) -> _Token:
        """Return the cached token, or fetch one that all concurrent writers share.

        Writers that arrive while a ``get_token`` is under way wait for its
        result, success or failure: a burst of writes costs one token.
        """
        password = self._require_password()
        while True:
            if token := self._fresh_token():
                return token
            pending = self._token_request
            if pending is None:
                break
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if pending.cancelled() and task is not None and not task.cancelling():
                    continue  # the writer fetching it was cancelled: take over
                raise
        pending = asyncio.get_running_loop().create_future()
        self._token_request = pending
        try:
            token = await self._fetch_token(password)
        except asyncio.CancelledError:
            pending.cancel()
            raise
        except Exception as err:
            pending.set_exception(err)
            pending.exception()  # retrieved here; waiters raise it themselves
            raise
        finally:
            self._token_request = None
        if self._password == password:  # not replaced while the token was fetched
            self._token = token
        pending.set_result(token)
        return token

    async def _fetch_token(self, password: str) -> _Token:
        _LOGGER.debug("%s: fetching a write token", self.host)
        reply = await self._read_raw("get_token")
        self._raise_for_status("get_token", reply)
        body = message_body(reply)
        token_time = as_text(body.get("time"))
        salt = as_text(body.get("salt"))
        new_salt = as_text(body.get("newsalt"))
        if token_time is None or salt is None or new_salt is None:
            msg = "get_token answered without time, salt and newsalt"
            raise WhatsminerInvalidReplyError(msg)
        key = crypto.v2_key(password, salt)
        return _Token(
            sign=crypto.v2_sign(key, token_time, new_salt),
            aes_key=crypto.v2_aes_key(key),
            obtained_at=self._clock(),
        )

    def _forget_token(self, token: _Token) -> None:
        # Only the token that failed: a concurrent writer may hold a newer one.
        if self._token is token:
            self._token = None

    # Writes.

    def _raise_for_status(
        self, command: str, reply: Reply, secrets: Sequence[str] = ()
    ) -> None:
        _, code, message = reply_status(reply)
        lowered = message.lower()
        if "access write cmd" in lowered:
            msg = "the miner's write API is disabled (enable it in WhatsMinerTool)"
            raise WhatsminerWriteDisabledError(msg)
        if code == _CHECK_TOKEN_ERROR:
            raise _TokenRejectedError(self._redact(message, secrets))
        if code == _TOKEN_LIMIT or "over max connect" in lowered:
            msg = "the miner has handed out too many tokens; try again in 30 minutes"
            raise WhatsminerTokenLimitError(msg)
        if code == _DECRYPT_FAILED or "enc json load err" in lowered:
            msg = "the miner could not decrypt the request: the admin password is wrong"
            raise WhatsminerAuthError(msg)
        if is_error(reply):
            raise self._command_error(command, reply, secrets)

    def _encrypt(self, token: _Token, command: Mapping[str, object]) -> bytes:
        plaintext = json.dumps({**command, "token": token.sign}).encode()
        return json.dumps(
            {"enc": 1, "data": crypto.aes_encrypt(token.aes_key, plaintext)}
        ).encode()

    def _decode(
        self, command: str, raw: bytes, token: _Token, secrets: Sequence[str]
    ) -> object:
        """Decrypt (if encrypted) and judge a write reply; return its ``Msg``."""
        reply = parse_reply(raw)
        encrypted = reply.get("enc")
        if encrypted is not None:
            if not isinstance(encrypted, str):
                msg = f"{command}: the encrypted reply holds no ciphertext"
                raise WhatsminerInvalidReplyError(msg)
            try:
                reply = parse_reply(crypto.aes_decrypt(token.aes_key, encrypted))
            except ValueError:
                msg = f"{command}: the encrypted reply does not decrypt"
                raise WhatsminerInvalidReplyError(msg) from None
        self._raise_for_status(command, reply, secrets)
        return reply.get("Msg")

    async def _with_token[T](
        self, command: str, attempt: Callable[[_Token], Awaitable[T]]
    ) -> T:
        """Run ``attempt`` with the cached token; on code 135 renew it and retry once."""
        token = await self._current_token()
        try:
            return await attempt(token)
        except _TokenRejectedError:
            _LOGGER.debug("%s: token rejected, fetching a new one", self.host)
            self._forget_token(token)
        token = await self._current_token()
        try:
            return await attempt(token)
        except _TokenRejectedError as err:
            raise WhatsminerCommandError(
                command, _CHECK_TOKEN_ERROR, str(err)
            ) from None

    async def _write(
        self,
        command: str,
        params: Mapping[str, object] | None = None,
        *,
        may_not_answer: bool = False,
        secrets: Sequence[str] = (),
    ) -> object:
        """Send one encrypted command; return the ``Msg`` of its reply.

        With ``may_not_answer`` (commands that restart what would answer), a
        request sent in full with no reply counts as sent: returns ``None``.
        """

        async def attempt(token: _Token) -> object:
            _LOGGER.debug("%s: writing %s", self.host, command)
            request = self._encrypt(token, {"cmd": command, **(params or {})})
            try:
                raw = await self._exchange(request)
            except transport.ReplyTimeoutError, transport.NoReplyError:
                if not may_not_answer:
                    raise
                _LOGGER.debug("%s: %s sent; no reply, as expected", self.host, command)
                return None
            return self._decode(command, raw, token, secrets)

        return await self._with_token(command, attempt)

    async def verify_password(self) -> None:
        """Check the password with an encrypted read of ``get_version``.

        Raises :class:`WhatsminerAuthError` for a wrong password and
        :class:`WhatsminerWriteDisabledError` when the write API is off.
        """
        await self._write("get_version")

    async def power_on(self) -> None:
        """Start mining (the miner may not answer; the next poll confirms)."""
        await self._write("power_on", may_not_answer=True)

    async def power_off(self) -> None:
        """Stop mining; ``respbefore`` asks the miner to answer before it acts."""
        await self._write("power_off", {"respbefore": "true"}, may_not_answer=True)

    async def restart_mining(self) -> None:
        """Restart btminer (the miner may not answer)."""
        await self._write("restart_btminer", may_not_answer=True)

    async def reboot(self) -> None:
        """Reboot the control board (the miner may not answer)."""
        await self._write("reboot", may_not_answer=True)

    async def factory_reset(self) -> None:
        """Restore factory settings."""
        await self._write("factory_reset")

    async def set_power_mode(self, mode: models.PowerMode) -> None:
        """Switch power mode; btminer restarts on success, so it may not answer."""
        await self._write(_POWER_MODE_COMMANDS[mode], may_not_answer=True)

    async def set_power_limit(self, watts: int) -> None:
        """Set the power ceiling in watts."""
        await self._write("adjust_power_limit", {"power_limit": str(watts)})

    async def set_power_percent(
        self, percent: int, mode: models.PowerPercentMode
    ) -> None:
        """Scale power; fast is ``set_power_pct``, normal ``set_power_pct_v2``."""
        await self._write(_POWER_PERCENT_COMMANDS[mode], {"percent": str(percent)})

    async def set_target_frequency(self, percent: int) -> None:
        """Adjust the target frequency by a percentage."""
        await self._write("set_target_freq", {"percent": str(percent)})

    async def set_led_auto(self) -> None:
        """Give the LED back to automatic control."""
        await self._write("set_led", {"param": "auto"})

    async def set_led(
        self, color: models.LedColor, period_ms: int, duration_ms: int, start_ms: int
    ) -> None:
        """Blink the LED; the vendor text gives these three as integers."""
        await self._write(
            "set_led",
            {
                "color": color.value,
                "period": period_ms,
                "duration": duration_ms,
                "start": start_ms,
            },
        )

    async def update_pools(self, pools: tuple[models.PoolConfig, ...]) -> None:
        """Replace the pools; empty slots are sent as ``""``, never null."""
        params: dict[str, str] = {}
        for number in range(1, 4):
            pool = (
                pools[number - 1]
                if number <= len(pools)
                else models.PoolConfig("", "", "")
            )
            params[f"pool{number}"] = pool.url
            params[f"worker{number}"] = pool.worker
            params[f"passwd{number}"] = pool.password
        await self._write("update_pools", params)

    async def set_fast_boot(self, enabled: bool) -> None:  # noqa: FBT001
        """Enable or disable btminer fast boot."""
        await self._write(
            "enable_btminer_fast_boot" if enabled else "disable_btminer_fast_boot"
        )

    async def set_web_pools(self, enabled: bool) -> None:  # noqa: FBT001
        """Allow or forbid pool changes from the web page."""
        await self._write("enable_web_pools" if enabled else "disable_web_pools")

    async def set_hostname(self, hostname: str) -> None:
        """Set the hostname."""
        await self._write("set_hostname", {"hostname": hostname})

    async def set_timezone(self, timezone: str, zone_name: str) -> None:
        """Set the time zone."""
        await self._write("set_zone", {"timezone": timezone, "zonename": zone_name})

    async def set_temperature_offset(self, offset: int) -> None:
        """Offset the hashboard target temperature."""
        await self._write("set_temp_offset", {"temp_offset": str(offset)})

    async def set_upfreq_speed(self, speed: int) -> None:
        """Set the up-frequency speed."""
        await self._write("adjust_upfreq_speed", {"upfreq_speed": str(speed)})

    async def set_poweroff_cool(self, enabled: bool) -> None:  # noqa: FBT001
        """Choose whether fans keep cooling after mining stops."""
        await self._write("set_poweroff_cool", {"poweroff_cool": _flag(enabled)})

    async def set_fan_zero_speed(self, enabled: bool) -> None:  # noqa: FBT001
        """Choose whether fans may stop completely."""
        await self._write("set_fan_zero_speed", {"fan_zero_speed": _flag(enabled)})

    async def set_heat_mode(self, mode: models.HeatMode) -> None:
        """API v2 has no heat mode: only API v3 firmware sets it."""
        raise WhatsminerUnsupportedError(
            "set_heat_mode", None, f"API v2 cannot set heat mode {mode.value!r}"
        )

    async def pre_power_on(self) -> models.PrePowerOnState:
        """Preheat a stopped miner, or report how far preheating has come."""
        return parse_pre_power_on(await self._write("pre_power_on"))

    async def change_password(self, new_password: str) -> None:
        """Change the admin password, then use the new one (and a new token)."""
        current = self._require_password()
        await self._write(
            "update_pwd", {"old": current, "new": new_password}, secrets=(new_password,)
        )
        self.set_password(new_password)

    async def set_network(self, config: models.NetworkConfig | None) -> None:
        """Use DHCP (``None``) or a static address; the network restarts, so it may not answer."""
        params: dict[str, str] = (
            {"param": "dhcp"}
            if config is None
            else {
                "ip": config.ip,
                "mask": config.netmask,
                "gate": config.gateway,
                "dns": " ".join(config.dns),
                "host": config.hostname,
            }
        )
        await self._write("net_config", params, may_not_answer=True)

    async def set_log_server(self, server: models.LogServer) -> None:
        """Send the miner's logs to a syslog server."""
        await self._write(
            "load_log",
            {"ip": server.ip, "port": str(server.port), "proto": server.protocol},
        )

    async def download_logs(self) -> bytes:
        """Download the logs: a JSON head with ``logfilelen``, then that many bytes."""

        async def attempt(token: _Token) -> bytes:
            async with await self._open() as connection:
                await connection.send(self._encrypt(token, {"cmd": "download_logs"}))
                head, rest = await connection.read_object()
                length = log_file_length(self._decode("download_logs", head, token, ()))
                if length > MAX_LOG_BYTES:
                    msg = (
                        f"download_logs announced {length} bytes, over {MAX_LOG_BYTES}"
                    )
                    raise WhatsminerInvalidReplyError(msg)
                return await connection.read_exactly(length, rest)

        return await self._with_token("download_logs", attempt)

    async def update_firmware(self, firmware: bytes) -> None:
        """Upload firmware on one connection: request, "ready", then size and image."""

        async def attempt(token: _Token) -> None:
            async with await self._open() as connection:
                await connection.send(self._encrypt(token, {"cmd": "update_firmware"}))
                head, _ = await connection.read_object()
                ready = self._decode("update_firmware", head, token, ())
                if not (isinstance(ready, str) and ready.strip().lower() == "ready"):
                    message = self._redact(str(ready))
                    raise WhatsminerCommandError("update_firmware", None, message)
                upload_timeout = (
                    self._reply_timeout + len(firmware) / MIN_UPLOAD_BYTES_PER_SECOND
                )
                await connection.send(struct.pack("<I", len(firmware)))
                await connection.send(firmware, timeout=upload_timeout)
                try:
                    final = await connection.read_to_eof()
                except transport.ReplyTimeoutError, transport.NoReplyError:
                    return  # installing; the miner reboots without a word
                self._decode("update_firmware", final, token, ())

        await self._with_token("update_firmware", attempt)
