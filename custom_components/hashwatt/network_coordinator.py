"""Polling the Bitcoin network's figures from a mempool.space-compatible API.

Every ``BITCOIN_NETWORK_SCAN_INTERVAL`` (3 minutes) one request reads the block tip.
Only when it moved (a block is found every 10 minutes on average) are the hashrate and
difficulty, the difficulty adjustment and the reward stats of the last 144 blocks read
(3 more requests); the BTC price at most every ``BITCOIN_PRICE_INTERVAL`` (mempool
updates it hourly). So a poll while nothing changed costs one small request.

The public instance limits requests per address (HTTP 429, Retry-After). The client
retries a short Retry-After itself; a longer one is honoured here: no request is sent
before it passes, and the figures already read stay (they are per block and carry
their block height) for at most ``MAX_FIGURES_AGE`` after they were last known
current; after that, or on any other failure, the entities are unavailable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .clients.mempool import (
    PRICE_CURRENCIES,
    MempoolClient,
    MempoolConnectionError,
    MempoolError,
    MempoolInvalidReplyError,
    MempoolNotFoundError,
    MempoolRateLimitError,
    MempoolValidationError,
    NetworkFigures,
)
from .clients.mining_economics import net_of_fee
from .const import (
    BITCOIN_NETWORK_SCAN_INTERVAL,
    BITCOIN_PRICE_INTERVAL,
    CONF_CURRENCY,
    CONF_POOL_FEE,
    DEFAULT_POOL_FEE,
    DOMAIN,
    LOGGER,
)

BITCOIN_NETWORK_PLATFORMS: Final = [Platform.SENSOR]
# Without a Home Assistant currency mempool quotes, BTC is priced in this.
FALLBACK_CURRENCY: Final = "USD"
# Figures read at a block are shown this long while the API refuses requests.
MAX_FIGURES_AGE: Final = timedelta(minutes=30)


def network_client(hass: HomeAssistant, data: Mapping[str, Any]) -> MempoolClient:
    """Build the client of a Bitcoin-network entry, on Home Assistant's session.

    Raises MempoolValidationError for a URL that is not an http(s) API root.
    """
    return MempoolClient(async_get_clientsession(hass), data[CONF_URL])


def default_currency(hass: HomeAssistant) -> str:
    """Home Assistant's currency where mempool quotes BTC in it, else USD."""
    currency = hass.config.currency
    return currency if currency in PRICE_CURRENCIES else FALLBACK_CURRENCY


def network_identifier(entry: ConfigEntry[Any]) -> tuple[str, str]:
    """Identify a Bitcoin-network entry's device (one per entry)."""
    return DOMAIN, f"bitcoin-network-{entry.entry_id}"


@dataclass(frozen=True, slots=True)
class BitcoinNetworkData:
    """What one poll knows: the figures at the tip, and the BTC price."""

    figures: NetworkFigures
    # When the figures were last known current: read, or the tip found unchanged.
    confirmed_at: datetime
    btc_price: Decimal | None  # None while mempool has no price in ``currency``
    currency: str
    pool_fee: Decimal  # percent, taken off the hashprice for the break-even price

    @property
    def hashprice(self) -> Decimal:
        """BTC per TH/s per day, as an FPPS pool pays before its fee."""
        return self.figures.hashprice

    @property
    def hashprice_in_currency(self) -> Decimal | None:
        """The hashprice in ``currency`` per TH/s per day."""
        return None if self.btc_price is None else self.hashprice * self.btc_price

    @property
    def revenue(self) -> Decimal:
        """BTC a TH/s earns in a day after the pool fee (what break-even goes by)."""
        return net_of_fee(self.hashprice, self.pool_fee)


def _update_failed(err: MempoolError) -> UpdateFailed:
    if isinstance(err, MempoolRateLimitError):
        key = "bitcoin_network_rate_limited"
    elif isinstance(err, MempoolNotFoundError):
        key = "bitcoin_network_not_found"
    elif isinstance(err, MempoolConnectionError):
        key = "bitcoin_network_cannot_connect"
    elif isinstance(err, MempoolInvalidReplyError):
        key = "bitcoin_network_invalid_reply"
    else:
        key = "bitcoin_network_error"
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


class BitcoinNetworkCoordinator(DataUpdateCoordinator[BitcoinNetworkData]):
    """Hashprice, hashrate, difficulty and the BTC price of one mempool API."""

    config_entry: BitcoinNetworkConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: BitcoinNetworkConfigEntry,
        client: MempoolClient,
    ) -> None:
        """Poll ``client`` every ``BITCOIN_NETWORK_SCAN_INTERVAL``."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=BITCOIN_NETWORK_SCAN_INTERVAL,
        )
        self.client = client
        self._retry_at: datetime | None = None
        self._price: tuple[datetime, Decimal | None] | None = None
        self._price_failing = False

    @property
    def currency(self) -> str:
        """The currency of the BTC price: the option, else Home Assistant's (or USD)."""
        return str(
            self.config_entry.options.get(CONF_CURRENCY) or default_currency(self.hass)
        )

    @property
    def pool_fee(self) -> Decimal:
        """The pool fee option, in percent."""
        return Decimal(
            str(self.config_entry.options.get(CONF_POOL_FEE, DEFAULT_POOL_FEE))
        )

    @override
    async def _async_update_data(self) -> BitcoinNetworkData:
        now = dt_util.utcnow()
        if self._retry_at is not None and now < self._retry_at:
            return self._keep_while_rate_limited(now, None)
        try:
            data = await self._async_poll(now)
        except MempoolRateLimitError as err:
            wait = err.retry_after or BITCOIN_NETWORK_SCAN_INTERVAL.total_seconds()
            self._retry_at = now + timedelta(seconds=wait)
            LOGGER.info(
                "%s: the API asks to wait %d s before the next request", self.name, wait
            )
            return self._keep_while_rate_limited(now, err)
        except MempoolError as err:
            raise _update_failed(err) from err
        self._retry_at = None
        return data

    def _keep_while_rate_limited(
        self, now: datetime, err: MempoolRateLimitError | None
    ) -> BitcoinNetworkData:
        """The figures read last, while they are recent enough; else fail."""
        if self.data is not None and now - self.data.confirmed_at <= MAX_FIGURES_AGE:
            return self.data
        raise _update_failed(
            err or MempoolRateLimitError("waiting for Retry-After to pass")
        )

    async def _async_poll(self, now: datetime) -> BitcoinNetworkData:
        tip = await self.client.tip_height()
        previous = self.data
        if previous is not None and previous.figures.tip_height == tip:
            figures = previous.figures
        else:
            figures = await self.client.network_figures(tip_height=tip)
        currency = self.currency
        price = await self._async_price(now, currency)
        return BitcoinNetworkData(
            figures=figures,
            confirmed_at=now,
            btc_price=price,
            currency=currency,
            pool_fee=self.pool_fee,
        )

    async def _async_price(self, now: datetime, currency: str) -> Decimal | None:
        """The BTC price in ``currency``, read at most every ``BITCOIN_PRICE_INTERVAL``.

        A failed price read leaves the price (and what needs it) unavailable, not
        the network's figures.
        """
        if self._price is not None and now - self._price[0] < BITCOIN_PRICE_INTERVAL:
            return self._price[1]
        try:
            prices = await self.client.prices()
        except MempoolRateLimitError:
            raise
        except MempoolError as err:
            if not self._price_failing:
                LOGGER.warning("%s: no BTC price: %s", self.name, err)
                self._price_failing = True
            self._price = None
            return None
        if self._price_failing:
            LOGGER.info("%s: the BTC price is back", self.name)
            self._price_failing = False
        price = prices.prices.get(currency)
        self._price = (now, price)
        return price


@dataclass
class BitcoinNetworkRuntimeData:
    """What a loaded Bitcoin-network entry holds."""

    client: MempoolClient
    coordinator: BitcoinNetworkCoordinator


type BitcoinNetworkConfigEntry = ConfigEntry[BitcoinNetworkRuntimeData]


async def async_setup_network_entry(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> bool:
    """Set up a Bitcoin-network entry: first poll, then its sensors."""
    try:
        client = network_client(hass, entry.data)
    except MempoolValidationError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="bitcoin_network_bad_url",
            translation_placeholders={"error": str(err)},
        ) from err
    coordinator = BitcoinNetworkCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = BitcoinNetworkRuntimeData(
        client=client, coordinator=coordinator
    )
    await hass.config_entries.async_forward_entry_setups(
        entry, BITCOIN_NETWORK_PLATFORMS
    )
    return True


async def async_unload_network_entry(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> bool:
    """Unload a Bitcoin-network entry's sensors."""
    return await hass.config_entries.async_unload_platforms(
        entry, BITCOIN_NETWORK_PLATFORMS
    )
