"""Whatsminer cryptography against independent implementations (OpenSSL) and the reference."""

import base64
import hashlib
import json
import random
import shutil
import subprocess

import pytest
from Crypto.Cipher import AES

from custom_components.hashwatt.clients.whatsminer import crypto

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")

CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PASSWORD_ALPHABET = CRYPT_ALPHABET + "_-!@#%^&*()+=[]{};:,<>?~ äöü€"

# The reference's worked example (vendor values, password "admin").
EXAMPLE_PASSWORD = "admin"
EXAMPLE_SALT = "BQ5hoXV9"
EXAMPLE_NEWSALT = "jbzkfQls"
EXAMPLE_TIME = "5626"
EXAMPLE_KEY = "RxmaDUO33TS7O26yeMHZ81"
EXAMPLE_SIGN = "w.BNbkCV6n1aNWgiBWLzT/"
EXAMPLE_AES_KEY = "199e0a202039bb7b558db7a54697dca29cb278055b7e659a127fb844d5a2fbf6"
EXAMPLE_PLAINTEXT = (
    '{"cmd": "power_off", "respbefore": "true", "token": "w.BNbkCV6n1aNWgiBWLzT/"}'
)
EXAMPLE_REQUEST = (
    '{"enc": 1, "data": "YJracrWpLn2XvqWuNiNqyg70K64pfivIJhwE32DXNCeyv4iYIDyJ6mJuwbGpytIyt'
    'GFk3qcQXxIEGYONPJL4PpGxjzTpYw1ob9fHFP6+QL8="}'
)


def _random_pairs(count: int) -> list[tuple[str, str]]:
    rng = random.Random(20240611)
    pairs = []
    for number in range(count):
        salt = "".join(rng.choice(CRYPT_ALPHABET) for _ in range(rng.randint(1, 8)))
        if (
            number % 4 == 0
        ):  # make sure '.' and '/' appear, in every position over the run
            position = rng.randrange(len(salt))
            salt = salt[:position] + rng.choice("./") + salt[position + 1 :]
        password = "".join(
            rng.choice(PASSWORD_ALPHABET)
            for _ in range(rng.choice((0, 1, 7, 8, 15, 16, 17, 40)))
        )
        pairs.append((password, salt))
    return pairs


def _openssl_md5crypt(password: str, salt: str) -> str:
    assert OPENSSL is not None
    # Through stdin, so a password that starts with "-" is not read as an option.
    result = subprocess.run(
        [OPENSSL, "passwd", "-1", "-salt", salt, "-stdin"],
        input=password + "\n",
        capture_output=True,
        check=True,
        text=True,
        encoding="utf-8",
    )
    return result.stdout.strip()


@needs_openssl
def test_md5crypt_matches_openssl_for_random_passwords_and_salts() -> None:
    """240 seeded random pairs, salts with '.' and '/', lengths across MD5 block edges."""
    pairs = _random_pairs(240)
    assert any("." in salt for _, salt in pairs)
    assert any("/" in salt for _, salt in pairs)
    assert any(not password for password, _ in pairs)
    for password, salt in pairs:
        expected = _openssl_md5crypt(password, salt)
        assert crypto.md5crypt(password, salt) == expected, (password, salt)
        assert crypto.md5crypt_hash(password, salt) == expected.rsplit("$", 1)[1]


@needs_openssl
def test_md5crypt_cuts_the_salt_like_crypt() -> None:
    """Salts longer than eight characters or with a '$' are cut as crypt(3) does."""
    assert crypto.md5crypt("admin", "BQ5hoXV9extra") == _openssl_md5crypt(
        "admin", "BQ5hoXV9"
    )
    assert crypto.md5crypt("admin", "$1$BQ5h$ignored") == _openssl_md5crypt(
        "admin", "BQ5h"
    )


def test_md5crypt_accepts_bytes() -> None:
    """Bytes and their UTF-8 text give the same hash."""
    assert crypto.md5crypt("pässwörd".encode(), "abc") == crypto.md5crypt(
        "pässwörd", "abc"
    )


def test_worked_example_key_sign_and_aes_key() -> None:
    """The reference's example: key, sign and AES key."""
    key = crypto.v2_key(EXAMPLE_PASSWORD, EXAMPLE_SALT)
    assert key == EXAMPLE_KEY
    assert crypto.v2_sign(key, EXAMPLE_TIME, EXAMPLE_NEWSALT) == EXAMPLE_SIGN
    # Only the last four characters of the time count.
    assert crypto.v2_sign(key, "1643185626", EXAMPLE_NEWSALT) == EXAMPLE_SIGN
    assert crypto.v2_aes_key(key).hex() == EXAMPLE_AES_KEY
    assert crypto.v2_aes_key(key) == hashlib.sha256(EXAMPLE_KEY.encode()).digest()


def test_worked_example_ciphertext() -> None:
    """The example plaintext (77 bytes) is NUL-padded to 80 and encrypts to the reference request."""
    plaintext = EXAMPLE_PLAINTEXT.encode()
    assert len(plaintext) == 77
    data = crypto.aes_encrypt(bytes.fromhex(EXAMPLE_AES_KEY), plaintext)
    assert json.dumps({"enc": 1, "data": data}) == EXAMPLE_REQUEST
    assert len(base64.b64decode(data)) == 80


@needs_openssl
def test_aes_encrypt_matches_openssl() -> None:
    """AES-256-ECB with NUL padding, checked with openssl enc (no padding of its own)."""
    assert OPENSSL is not None
    key = bytes.fromhex(EXAMPLE_AES_KEY)
    for plaintext in (
        b"",
        b"x",
        b"A" * 15,
        b"B" * 16,
        b"C" * 17,
        EXAMPLE_PLAINTEXT.encode(),
    ):
        padded = plaintext + b"\x00" * (-len(plaintext) % 16)
        expected = subprocess.run(
            [OPENSSL, "enc", "-aes-256-ecb", "-nopad", "-K", key.hex()],
            input=padded,
            capture_output=True,
            check=True,
        ).stdout
        if plaintext:
            assert base64.b64decode(crypto.aes_encrypt(key, plaintext)) == expected


def test_aes_decrypt_tolerates_nul_and_pkcs7_padding() -> None:
    """Replies may be NUL-padded (miners) or PKCS7-padded (some clients); both decrypt."""
    key = bytes.fromhex(EXAMPLE_AES_KEY)
    message = b'{"STATUS":"S","Code":131,"Msg":"API command OK"}'
    nul_padded = crypto.aes_encrypt(key, message)
    pkcs7 = 16 - len(message) % 16
    pkcs7_padded = base64.b64encode(
        AES.new(key, AES.MODE_ECB).encrypt(message + bytes([pkcs7]) * pkcs7)
    ).decode()
    assert crypto.aes_decrypt(key, nul_padded) == message
    assert crypto.aes_decrypt(key, pkcs7_padded) == message
    # A whole block of PKCS7 padding (the message fills its blocks exactly).
    exact = b"0123456789abcdef"
    whole_block = base64.b64encode(
        AES.new(key, AES.MODE_ECB).encrypt(exact + bytes([16]) * 16)
    ).decode()
    assert crypto.aes_decrypt(key, whole_block) == exact


@pytest.mark.parametrize(
    "data", ["not base64!", "", base64.b64encode(b"short").decode()]
)
def test_aes_decrypt_rejects_what_is_not_ciphertext(data: str) -> None:
    """Invalid base64 or partial blocks raise ValueError (the client turns it into its own)."""
    with pytest.raises(ValueError):
        crypto.aes_decrypt(bytes(32), data)


def test_v3_token_vector() -> None:
    """The v3 test vector of the reference (used by the v2 compat layer's miners too)."""
    assert (
        crypto.v3_token("set.miner.power_limit", "super", "uhCiDyVj", 1773869570)
        == "TaB0bCds"
    )
