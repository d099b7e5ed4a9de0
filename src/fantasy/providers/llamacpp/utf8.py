"""Bytes to text exactly as llama.cpp's grammar reads them.

A grammar constrains characters, which llama.cpp decodes from the token bytes with its
own UTF-8 reader: continuation bytes are checked, but an overlong form (``C0 A2``) is
the character it spells (``"``) and a lead byte may announce a value Unicode lacks (a
surrogate, beyond U+10FFFF). Python's decoder turns each of those into several
replacement characters, so the text we return would not be the text the grammar
allowed: a JSON string one character too long for its ``maxLength``, or not closed
where the grammar closed it. Decoding the same way keeps the two equal; valid UTF-8 (what
a trained model writes) decodes as usual, and what is not a character at all becomes
U+FFFD.
"""

from __future__ import annotations

_LENGTHS = (1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4)
"""Sequence length by a lead byte's top four bits (0: a continuation byte), as llama.cpp."""

REPLACEMENT = "\ufffd"


def _char(value: int) -> str:
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return REPLACEMENT
    return chr(value)


class GrammarUtf8Decoder:
    """An incremental decoder: `decode` may be given a sequence in pieces."""

    def __init__(self) -> None:
        self._remaining = 0
        self._value = 0

    def decode(self, data: bytes, final: bool = False) -> str:
        out: list[str] = []
        for byte in data:
            if self._remaining:
                if byte >> 6 == 2:
                    self._value = (self._value << 6) | (byte & 0x3F)
                    self._remaining -= 1
                    if not self._remaining:
                        out.append(_char(self._value))
                    continue
                out.append(REPLACEMENT)  # cut short: this byte starts afresh
                self._remaining = 0
            length = _LENGTHS[byte >> 4]
            if length == 0:
                out.append(REPLACEMENT)
            elif length == 1:
                out.append(chr(byte))
            else:
                self._remaining = length - 1
                self._value = byte & ((1 << (7 - self._remaining)) - 1)
        if final and self._remaining:
            out.append(REPLACEMENT)
            self._remaining = 0
        return "".join(out)
