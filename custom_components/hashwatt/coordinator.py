"""Polling a Whatsminer: a fast poll for live figures, a slow one for everything else.

Connections per poll are part of the design. The fast poll is one client call
(API v2: two connections, ``summary+edevs`` and ``status``; API v3: one request on
a kept connection). The slow poll reads identity, firmware, PSU, error codes, pools
and settings, and checks the password with one encrypted read.

The slow poll runs right after a fast poll that reached the miner, once it is due.
So an outage is noticed and logged by the fast poll alone (one line when the miner
goes away, one when it is back), and a miner that comes back is read in full at
once: it may have rebooted into other firmware or with new error codes.

Figures are published only for a miner known to be the entry's (by its MAC): at
setup the slow poll reads the MAC before anything is shown; after an outage the
first fast poll that reaches a miner reads its MAC (one more request) before its
figures are published, since another miner may answer at the address now. So
does a poll whose uptime does not follow the clock: a reboot no poll saw, or
another miner that took the address between two polls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .clients.whatsminer.client import Whatsminer
from .clients.whatsminer.errors import (
    WhatsminerAuthError,
    WhatsminerCommandError,
    WhatsminerConnectionError,
    WhatsminerError,
    WhatsminerTokenLimitError,
    WhatsminerWriteDisabledError,
)
from .clients.whatsminer.models import FastData, SlowData
from .const import (
    CONF_READ_ONLY,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    SLOW_SCAN_INTERVAL,
)

type HashwattConfigEntry = ConfigEntry[MinerRuntimeData]

# How far a miner's uptime may stray from the clock between two polls before the
# MAC is read again (polls take seconds; uptime is counted in whole seconds).
UPTIME_TOLERANCE = timedelta(minutes=1)


@dataclass
class MinerRuntimeData:
    """What a loaded miner entry holds: its client and its two coordinators."""

    client: Whatsminer
    fast: WhatsminerFastCoordinator
    slow: WhatsminerSlowCoordinator

    @property
    def writable(self) -> bool:
        """Whether writes can reach the miner (write API on, password verified)."""
        return self.slow.writable

    @property
    def another_miner_answers(self) -> bool:
        """Whether the last MAC read found another miner at the entry's address.

        The fast poll's figures are then that miner's: nothing may take them as
        this one's (energy, efficiency, hashboards), until this miner is found
        again.
        """
        return self.fast.other_miner_mac is not None

    async def async_refresh_after_write(
        self, *, settings_changed: bool = False
    ) -> None:
        """Let the next polls confirm a write instead of assuming its result.

        ``settings_changed``: the write changed something the slow poll reads
        (pools, hostname, or a setting in ``SlowData.settings``).
        """
        await self.fast.async_request_refresh()
        if settings_changed:
            await self.slow.async_request_refresh()


def write_disabled_issue_id(entry: ConfigEntry) -> str:
    """Return the ID of the repair issue raised while an entry's write API is off."""
    return f"write_disabled_{entry.entry_id}"


def _update_failed(err: WhatsminerError, host: str) -> UpdateFailed:
    if isinstance(err, WhatsminerConnectionError):
        key = "cannot_connect"
    else:
        key = "invalid_reply"
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"host": host, "error": str(err)},
    )


class WhatsminerFastCoordinator(DataUpdateCoordinator[FastData]):
    """Hashrate, power, temperatures, fans and mining state, every scan interval."""

    config_entry: HashwattConfigEntry

    def __init__(
        self, hass: HomeAssistant, config_entry: HashwattConfigEntry, client: Whatsminer
    ) -> None:
        """Poll ``client`` at the entry's scan interval."""
        interval = config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=timedelta(seconds=interval),
        )
        self.client = client
        # Whether the miner answering is known to be the entry's: not after an
        # outage, until its MAC is read again. Set by the slow poll at setup.
        self.identity_confirmed = False
        # The MAC of another miner found answering at the entry's address.
        self.other_miner_mac: str | None = None
        self._last_uptime: tuple[datetime, int] | None = None

    @callback
    def async_set_identity(self, mac: str | None) -> bool:
        """Take a MAC read from the miner at the address; return whether it is ours.

        A missing MAC proves nothing either way: the miner is taken as ours.
        """
        if mac is not None and format_mac(mac) != self.config_entry.unique_id:
            self.identity_confirmed = False
            self.other_miner_mac = format_mac(mac)
            return False
        self.identity_confirmed = True
        self.other_miner_mac = None
        return True

    @override
    async def _async_update_data(self) -> FastData:
        try:
            data = await self.client.fetch_fast()
            if not self._uptime_follows_clock(data):
                self.identity_confirmed = False
            if not self.identity_confirmed and self.other_miner_mac is None:
                # First answer after an outage: whose figures are these? While
                # another miner is known to answer, the slow poll (retried at
                # every fast poll) reads the MAC anyway.
                self.async_set_identity(await self.client.read_mac())
        except WhatsminerError as err:
            self.identity_confirmed = False
            self.other_miner_mac = None
            self._last_uptime = None
            raise _update_failed(err, self.config_entry.data[CONF_HOST]) from err
        return data

    def _uptime_follows_clock(self, data: FastData) -> bool:
        """Whether the uptime grew as much as the time since the last poll."""
        uptime = data.summary.system_uptime
        now = dt_util.utcnow()
        last = self._last_uptime
        self._last_uptime = None if uptime is None else (now, uptime)
        if uptime is None or last is None:
            return True
        expected = last[1] + (now - last[0]).total_seconds()
        return abs(uptime - expected) <= UPTIME_TOLERANCE.total_seconds()


class WhatsminerSlowCoordinator(DataUpdateCoordinator[SlowData]):
    """Identity, firmware, PSU, error codes, pools and settings, and write access.

    Has no timer of its own: ``async_fast_updated`` starts it after a fast poll
    reached the miner, every ``SLOW_SCAN_INTERVAL``, and at once after an outage
    or a failed slow poll.
    """

    config_entry: HashwattConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: HashwattConfigEntry,
        client: Whatsminer,
        fast: WhatsminerFastCoordinator,
    ) -> None:
        """Read ``client`` when the fast coordinator says it is due."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=f"{config_entry.title} (identity, firmware, errors, pools)",
            update_interval=None,
        )
        self.client = client
        self.writable = False
        self._fast = fast
        self._last_attempt: datetime | None = None
        self._missed_while_offline = False

    @callback
    def async_fast_updated(self) -> None:
        """Start the slow poll if it is due, now that a fast poll has finished."""
        if not self._fast.last_update_success:
            self._missed_while_offline = True
            return
        due = (
            self._missed_while_offline
            # A failed slow poll leaves every entity unavailable: retry it now
            # rather than up to five minutes after the miner answers again. A
            # refused password is no glitch: it waits for reauthentication.
            or not (
                self.last_update_success
                or isinstance(self.last_exception, ConfigEntryAuthFailed)
            )
            or self._last_attempt is None
            or dt_util.utcnow() - self._last_attempt >= SLOW_SCAN_INTERVAL
        )
        if due:
            self._missed_while_offline = False
            self.config_entry.async_create_task(
                self.hass, self.async_request_refresh(), "slow poll"
            )

    @override
    async def _async_update_data(self) -> SlowData:
        self._last_attempt = dt_util.utcnow()
        host = self.config_entry.data[CONF_HOST]
        try:
            data = await self.client.fetch_slow()
        except WhatsminerError as err:
            raise _update_failed(err, host) from err
        if not self._fast.async_set_identity(data.identity.mac):
            # After an address change another miner may answer here: its figures
            # must not be shown as this miner's.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="unexpected_miner",
                translation_placeholders={
                    "host": host,
                    "mac": str(self.other_miner_mac),
                },
            )
        await self._async_check_write_access(host)
        return data

    @property
    def other_miner_mac(self) -> str | None:
        """The MAC of another miner answering at the entry's address, if one does.

        Commands carry no MAC: one sent now would reach that miner.
        """
        return self._fast.other_miner_mac

    async def _async_check_write_access(self, host: str) -> None:
        """Verify the password, which needs the write API; track the outcome."""
        try:
            await self.client.verify_password()
        except WhatsminerAuthError as err:
            self.writable = False
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"host": host},
            ) from err
        except WhatsminerWriteDisabledError:
            self._async_set_writable(writable=False)
        except (WhatsminerTokenLimitError, WhatsminerCommandError) as err:
            # A clear answer about tokens (none left: 136; refused: 135) says
            # nothing about the password or the write API: keep what we knew,
            # and the data the reads brought.
            LOGGER.debug("%s: could not verify the password: %s", host, err)
        except WhatsminerError as err:
            raise _update_failed(err, host) from err
        else:
            self._async_set_writable(writable=True)

    @callback
    def _async_set_writable(self, *, writable: bool) -> None:
        self.writable = writable
        entry = self.config_entry
        issue_id = write_disabled_issue_id(entry)
        if writable:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            if entry.data.get(CONF_READ_ONLY):
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_READ_ONLY: False}
                )
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="write_disabled",
            translation_placeholders={
                "name": entry.title,
                "host": entry.data[CONF_HOST],
            },
        )
