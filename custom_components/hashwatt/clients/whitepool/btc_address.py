"""Bitcoin mainnet address validation, for the external payout address.

Legacy addresses (``1…`` P2PKH, ``3…`` P2SH) are base58check: 25 bytes, a version byte
(0x00 or 0x05) and a 4-byte checksum, the head of SHA-256(SHA-256(version + hash)).
Segwit addresses (``bc1…``) are bech32 for witness version 0 (BIP173) and bech32m for
versions 1 to 16 (BIP350, e.g. taproot ``bc1p…``). Testnet and other networks are refused:
the pool pays out on mainnet only.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Final

_BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX: Final = {char: index for index, char in enumerate(_BASE58_ALPHABET)}
_BECH32_ALPHABET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX: Final = {char: index for index, char in enumerate(_BECH32_ALPHABET)}
_BECH32_CONST: Final = 1
_BECH32M_CONST: Final = 0x2BC830A3
_GENERATOR: Final = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_MAINNET_HRP: Final = "bc"
_P2PKH_VERSION: Final = 0x00
_P2SH_VERSION: Final = 0x05


class BtcAddressType(StrEnum):
    """The kinds of mainnet address the validator accepts."""

    P2PKH = "p2pkh"
    P2SH = "p2sh"
    SEGWIT_V0 = "segwit_v0"  # P2WPKH (20-byte program) or P2WSH (32 bytes)
    TAPROOT = "taproot"  # witness version 1, 32-byte program
    SEGWIT_FUTURE = "segwit_future"  # witness versions 1-16 with other program sizes


class InvalidBtcAddressError(ValueError):
    """The text is not a valid Bitcoin mainnet address; the message says why."""


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def base58_decode(text: str) -> bytes:
    """Decode base58 text (Bitcoin alphabet); leading ``1`` characters are zero bytes."""
    number = 0
    for char in text:
        digit = _BASE58_INDEX.get(char)
        if digit is None:
            raise InvalidBtcAddressError(f"character {char!r} is not base58")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def _check_base58(address: str) -> BtcAddressType:
    raw = base58_decode(address)
    if len(raw) != 25:
        raise InvalidBtcAddressError("a base58 address decodes to 25 bytes")
    payload, checksum = raw[:-4], raw[-4:]
    if _sha256d(payload)[:4] != checksum:
        raise InvalidBtcAddressError("base58 checksum mismatch")
    if payload[0] == _P2PKH_VERSION:
        return BtcAddressType.P2PKH
    if payload[0] == _P2SH_VERSION:
        return BtcAddressType.P2SH
    raise InvalidBtcAddressError(f"version byte {payload[0]} is not a mainnet address")


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _convert_bits(data: list[int], from_bits: int, to_bits: int) -> bytes:
    """Regroup 5-bit groups into bytes; padding must be short and zero (BIP173)."""
    accumulator = 0
    bits = 0
    result = bytearray()
    mask = (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & mask)
    if bits >= from_bits or (accumulator << (to_bits - bits)) & mask:
        raise InvalidBtcAddressError("invalid padding in the witness program")
    return bytes(result)


def _check_bech32(address: str) -> BtcAddressType:
    if address.lower() != address and address.upper() != address:
        raise InvalidBtcAddressError(
            "bech32 addresses must not mix upper and lower case"
        )
    address = address.lower()
    if len(address) > 90:
        raise InvalidBtcAddressError("bech32 addresses are at most 90 characters")
    hrp, separator, data_part = address.rpartition("1")
    if not separator or hrp != _MAINNET_HRP:
        raise InvalidBtcAddressError("not a bc1 mainnet address")
    if len(data_part) < 6:
        raise InvalidBtcAddressError("bech32 checksum missing")
    data: list[int] = []
    for char in data_part:
        digit = _BECH32_INDEX.get(char)
        if digit is None:
            raise InvalidBtcAddressError(f"character {char!r} is not bech32")
        data.append(digit)
    constant = _polymod(_hrp_expand(hrp) + data)
    if not data[:-6]:
        raise InvalidBtcAddressError("witness version missing")
    version = data[0]
    if version > 16:
        raise InvalidBtcAddressError("witness version must be 0 to 16")
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    if constant != expected:
        raise InvalidBtcAddressError(
            "bech32 checksum mismatch" if version == 0 else "bech32m checksum mismatch"
        )
    program = _convert_bits(data[1:-6], 5, 8)
    if not 2 <= len(program) <= 40:
        raise InvalidBtcAddressError("witness program must be 2 to 40 bytes")
    if version == 0:
        if len(program) == 20 or len(program) == 32:
            return BtcAddressType.SEGWIT_V0
        raise InvalidBtcAddressError("a version 0 witness program is 20 or 32 bytes")
    if version == 1 and len(program) == 32:
        return BtcAddressType.TAPROOT
    return BtcAddressType.SEGWIT_FUTURE


def btc_address_type(address: str) -> BtcAddressType:
    """Return the kind of a mainnet address, or raise :class:`InvalidBtcAddressError`."""
    if not isinstance(address, str) or not address:
        raise InvalidBtcAddressError("empty address")
    if address != address.strip():
        raise InvalidBtcAddressError("surrounding whitespace")
    if address[:3].lower() == "bc1":
        return _check_bech32(address)
    if address[0] in "13":
        if not 26 <= len(address) <= 35:
            raise InvalidBtcAddressError("a base58 address is 26 to 35 characters")
        return _check_base58(address)
    raise InvalidBtcAddressError("not a Bitcoin mainnet address (1…, 3… or bc1…)")


def is_valid_btc_address(address: str) -> bool:
    """Whether ``address`` is a valid Bitcoin mainnet address."""
    try:
        btc_address_type(address)
    except InvalidBtcAddressError:
        return False
    return True
