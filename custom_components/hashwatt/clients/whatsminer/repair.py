"""Turn what a Whatsminer sends on TCP 4028 into a JSON object.

Real firmware sends JSON with defects (see ``whatsminer.md``, "Firmware quirks"):
a trailing NUL, invalid UTF-8, trailing commas, ``}{`` and ``[,{`` between list
items, a missing comma before a key (``"7""temp0"``), the ``error_code`` list
written as ``["329":"2022-01-17 11:28:11"]``, firmware versions wrapped in single
quotes, and replies cut off in the middle. :func:`parse_reply` repairs all of
them in one place so the parsers only ever see plain Python objects.

Well-formed replies take the fast path through :func:`json.loads`; only a reply
that fails there goes through the tolerant parser below.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from .errors import WhatsminerInvalidReplyError

# Deeper nesting than any real reply has; bounds the recursion of both parsers.
MAX_DEPTH: Final = 64
# json.loads(text, strict=False) builds a decoder per call; this one is shared.
_DECODER: Final = json.JSONDecoder(strict=False)

# One token of JSON-ish text: punctuation, a string (perhaps unterminated), or a
# bare word (number, literal, or junk). Whitespace before a token is skipped.
_TOKEN: Final = re.compile(
    r"""\s*(?:
        (?P<punct>[{}\[\]:,])
      | (?P<string>"(?:[^"\\]|\\.)*(?P<closed>")?)
      | (?P<word>[^\s{}\[\]:,"]+)
    )""",
    re.VERBOSE | re.DOTALL,
)


class _Truncated(Exception):  # noqa: N818  # control flow, never escapes this module
    """The text ended before the value being read was complete."""


class _PartialValue(_Truncated):
    """An object or list cut off by the end of the text, with what was read of it."""

    def __init__(self, value: dict[str, Any] | list[Any]) -> None:
        super().__init__()
        self.value = value


class _Token:
    __slots__ = ("kind", "partial", "text")

    def __init__(self, kind: str, text: str, *, partial: bool = False) -> None:
        self.kind = kind  # "punct", "string" or "word"
        self.text = text
        self.partial = partial


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    end = len(text)
    # Every character is whitespace, punctuation, a quote or part of a word, so
    # the matches cover the whole text.
    for match in _TOKEN.finditer(text):
        if match.group("punct"):
            tokens.append(_Token("punct", match.group("punct")))
        elif match.group("string") is not None:
            closed = match.group("closed") is not None
            tokens.append(_Token("string", match.group("string"), partial=not closed))
        else:
            # A bare word running to the very end of the text may be cut short.
            tokens.append(
                _Token("word", match.group("word"), partial=match.end() >= end)
            )
    return tokens


# A \' escape: a backslash before a quote, unless that backslash is itself escaped.
_QUOTE_ESCAPE: Final = re.compile(r"(?<!\\)((?:\\\\)*)\\'")


def _decode_string(token: _Token) -> str:
    # 2020 firmware escapes single quotes (\'20200917.22.REL\'); JSON has no such escape.
    text = _QUOTE_ESCAPE.sub(r"\1'", token.text)
    try:
        value = json.loads(text, strict=False)
    except ValueError:
        # An invalid escape: keep the characters rather than lose the value.
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


def _decode_word(word: str) -> Any:  # noqa: ANN401
    try:
        return json.loads(word)
    except ValueError:
        return word  # a bare word that is no JSON literal: keep it as text


class _TolerantParser:
    """A forgiving recursive-descent JSON parser over :func:`_tokenize` tokens.

    A missing comma between members or items is read as if it were there; stray
    commas are skipped. A value cut off by the end of the text is dropped and
    the containers around it are closed (:class:`_PartialValue`).
    """

    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens
        self._index = 0

    def _peek(self) -> _Token | None:
        return self._tokens[self._index] if self._index < len(self._tokens) else None

    def _next(self) -> _Token:
        token = self._peek()
        if token is None:
            raise _Truncated
        self._index += 1
        return token

    def _is(self, text: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "punct" and token.text == text

    def _skip_commas(self) -> None:
        while self._is(","):
            self._index += 1

    def value(self, depth: int) -> Any:  # noqa: ANN401
        if depth > MAX_DEPTH:
            msg = "reply nests too deeply"
            raise WhatsminerInvalidReplyError(msg)
        token = self._next()
        if token.partial:
            raise _Truncated
        if token.kind == "string":
            return _decode_string(token)
        if token.kind == "word":
            return _decode_word(token.text)
        if token.text == "{":
            return self.object(depth + 1)
        if token.text == "[":
            return self.array(depth + 1)
        msg = f"unexpected {token.text!r} in reply"
        raise WhatsminerInvalidReplyError(msg)

    def object(self, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while True:
            self._skip_commas()  # ",}", "{," and ",,"
            token = self._peek()
            if token is None or token.partial:
                raise _PartialValue(result)
            self._index += 1
            if token.kind == "punct":
                if token.text == "}":
                    return result
                msg = f"unexpected {token.text!r} where a key belongs"
                raise WhatsminerInvalidReplyError(msg)
            key = _decode_string(token) if token.kind == "string" else token.text
            if not self._is(":"):
                if self._peek() is None:
                    raise _PartialValue(result)
                msg = "missing ':' after a key"
                raise WhatsminerInvalidReplyError(msg)
            self._index += 1
            try:
                result[key] = self.value(depth)
            except _PartialValue as partial:
                result[key] = partial.value
                raise _PartialValue(result) from None
            except _Truncated:
                raise _PartialValue(result) from None

    def array(self, depth: int) -> list[Any]:
        result: list[Any] = []
        while True:
            self._skip_commas()  # "[,{", ",]" and ",,"
            if self._is("]"):
                self._index += 1
                return result
            try:
                item = self.value(depth)
                if isinstance(item, str) and self._is(":"):
                    # ["329":"2022-01-17 11:28:11"]: a key/value pair in a list.
                    self._index += 1
                    item = {item: self.value(depth)}
            except _PartialValue as partial:
                result.append(partial.value)
                raise _PartialValue(result) from None
            except _Truncated:
                raise _PartialValue(result) from None
            result.append(item)

    def document(self) -> dict[str, Any]:
        """Read the top-level object(s); two back to back ("}{") are merged."""
        merged: dict[str, Any] = {}
        while (token := self._peek()) is not None:
            if not (token.kind == "punct" and token.text == "{"):
                self._index += 1  # junk before, between or after objects
                continue
            try:
                part = self.value(0)
            except _PartialValue as partial:
                # value() read an object here, so what it kept is a dict.
                merged.update(partial.value if isinstance(partial.value, dict) else {})
                break
            merged.update(part)
        return merged


def _unwrap_single_quotes(value: Any, depth: int = 0) -> Any:  # noqa: ANN401
    """Strip single quotes wrapped around whole strings ("'20210322.22.REL'")."""
    if depth > MAX_DEPTH:
        msg = "reply nests too deeply"
        raise WhatsminerInvalidReplyError(msg)
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == "'":  # noqa: PLR2004
            return value[1:-1]
        return value
    if isinstance(value, dict):
        return {
            key: _unwrap_single_quotes(item, depth + 1) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_unwrap_single_quotes(item, depth + 1) for item in value]
    return value


def _decode_text(data: bytes) -> str:
    return data.rstrip(b"\x00").decode("utf-8", errors="replace").strip().strip("\x00")


def parse_reply(data: bytes) -> dict[str, Any]:
    """Return the JSON object in a reply, repairing known firmware defects.

    A value cut off by truncation is dropped, never guessed at; the objects and
    lists around it are closed. Raises :class:`WhatsminerInvalidReplyError` when
    nothing usable remains.
    """
    text = _decode_text(data)
    if not text:
        msg = "empty reply"
        raise WhatsminerInvalidReplyError(msg)
    try:
        result = _DECODER.decode(text)
    except RecursionError:
        msg = "reply nests too deeply"
        raise WhatsminerInvalidReplyError(msg) from None
    except ValueError:
        result = _repair(text)
    else:
        if _nothing_to_unwrap(text) and isinstance(result, dict) and result:
            return result
    if not isinstance(result, dict) or not result:
        msg = "reply is not a JSON object"
        raise WhatsminerInvalidReplyError(msg)
    unwrapped: dict[str, Any] = _unwrap_single_quotes(result)
    return unwrapped


def _nothing_to_unwrap(text: str) -> bool:
    """Whether the walk of ``_unwrap_single_quotes`` would return an equal copy.

    True when valid JSON holds no single quote (not even escaped) and has too
    few objects and lists to nest deeper than ``MAX_DEPTH``: most replies. The
    walk copies every object and list, which cost as much as decoding them.
    """
    return (
        "'" not in text
        and "\\u0027" not in text
        and text.count("{") + text.count("[") <= MAX_DEPTH
    )


def _repair(text: str) -> dict[str, Any]:
    parser = _TolerantParser(_tokenize(text))
    return parser.document()
