"""Whatsminer API cryptography: MD5-crypt, AES-256-ECB and the v2/v3 tokens.

Python 3.13 removed the ``crypt`` module and passlib is unmaintained, so MD5-crypt
(the ``$1$`` scheme, as ``openssl passwd -1`` prints it) is implemented here.
"""

from __future__ import annotations

import base64
import hashlib

from Crypto.Cipher import AES

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MAGIC = b"$1$"
_AES_BLOCK = 16

# Byte triplets of the final digest, in the order MD5-crypt encodes them.
_ENCODE_ORDER = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def _to64(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ITOA64[value & 0x3F])
        value >>= 6
    return "".join(chars)


def md5crypt(password: str | bytes, salt: str) -> str:
    """Return the full MD5-crypt string ``$1$<salt>$<hash>``.

    The salt is cut at the first ``$`` and to eight characters, as crypt(3) does.
    """
    secret = password.encode() if isinstance(password, str) else password
    salt_bytes = salt.removeprefix("$1$").split("$", 1)[0].encode()[:8]

    alternate = hashlib.md5(
        secret + salt_bytes + secret, usedforsecurity=False
    ).digest()
    context = hashlib.md5(secret + _MAGIC + salt_bytes, usedforsecurity=False)
    for remaining in range(len(secret), 0, -16):
        context.update(alternate[: min(16, remaining)])
    length = len(secret)
    while length:
        context.update(b"\x00" if length & 1 else secret[:1])
        length >>= 1
    digest = context.digest()

    # 1000 rounds, deliberately slow in the original scheme.
    for round_number in range(1000):
        step = hashlib.md5(usedforsecurity=False)
        step.update(secret if round_number & 1 else digest)
        if round_number % 3:
            step.update(salt_bytes)
        if round_number % 7:
            step.update(secret)
        step.update(digest if round_number & 1 else secret)
        digest = step.digest()

    encoded = "".join(
        _to64((digest[a] << 16) | (digest[b] << 8) | digest[c], 4)
        for a, b, c in _ENCODE_ORDER
    )
    encoded += _to64(digest[11], 2)
    return f"$1${salt_bytes.decode()}${encoded}"


def md5crypt_hash(password: str | bytes, salt: str) -> str:
    """Return only the 22-character hash part of MD5-crypt (after the third ``$``)."""
    return md5crypt(password, salt).rsplit("$", 1)[1]


def v2_key(password: str, salt: str) -> str:
    """Return the v2 key: the MD5-crypt hash of the admin password with the miner's salt."""
    return md5crypt_hash(password, salt)


def v2_sign(key: str, time: str, newsalt: str) -> str:
    """Return the v2 token sign from the key, the token time and the fresh salt."""
    return md5crypt_hash(key + time[-4:], newsalt)


def v2_aes_key(key: str) -> bytes:
    """Return the 32-byte AES key for v2: SHA-256 of the key's ASCII text."""
    return hashlib.sha256(key.encode()).digest()


def aes_encrypt(aes_key: bytes, plaintext: bytes) -> str:
    """Encrypt with AES-256-ECB, NUL-padded to the block size, as standard base64."""
    padding = -len(plaintext) % _AES_BLOCK
    cipher = AES.new(aes_key, AES.MODE_ECB)
    return base64.b64encode(cipher.encrypt(plaintext + b"\x00" * padding)).decode()


def aes_decrypt(aes_key: bytes, data: str) -> bytes:
    """Decrypt base64 AES-256-ECB data and strip NUL or PKCS7 padding.

    Raises ``ValueError`` when the data is not base64 or not whole blocks.
    """
    raw = base64.b64decode(data, validate=True)
    if not raw or len(raw) % _AES_BLOCK:
        msg = "ciphertext is not a whole number of AES blocks"
        raise ValueError(msg)
    plain = AES.new(aes_key, AES.MODE_ECB).decrypt(raw)
    pad = plain[-1]
    if 0 < pad <= _AES_BLOCK and plain.endswith(bytes([pad]) * pad):
        return plain[:-pad]
    return plain.rstrip(b"\x00")


def v3_digest(command: str, password: str, salt: str, timestamp: int) -> bytes:
    """Return SHA-256(cmd + password + salt + ts): the v3 token source and AES key."""
    return hashlib.sha256(f"{command}{password}{salt}{timestamp}".encode()).digest()


def v3_token(command: str, password: str, salt: str, timestamp: int) -> str:
    """Return the 8-character v3 token for one command at one timestamp."""
    digest = v3_digest(command, password, salt, timestamp)
    return base64.b64encode(digest).decode()[:8]
