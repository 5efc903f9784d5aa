"""G.711 µ-law, the telephone's codec, and A-law as byte translations to and from it, with
lookup tables (``audioop`` left Python in 3.13)."""

from __future__ import annotations

import numpy as np

_BIAS = 0x84
_CLIP = 32635


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _encode_table() -> np.ndarray:
    # One entry per 16-bit sample value (offset by 32768): 64 KiB, built once.
    samples = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), _CLIP) + _BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    table: np.ndarray = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return table


_DECODE = _decode_table()
_ENCODE = _encode_table()

SILENCE = 0xFF
"""The µ-law code of a zero sample."""


def decode(payload: bytes) -> np.ndarray:
    """µ-law bytes to 16-bit samples."""
    return _DECODE[np.frombuffer(payload, dtype=np.uint8)]


def encode(samples: np.ndarray) -> bytes:
    """16-bit samples to µ-law bytes."""
    return bytes(_ENCODE[samples.astype(np.int32) + 32768])


_ALAW_SEGMENT_ENDS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _alaw_of(sample: int) -> int:
    """One 16-bit sample to A-law (ITU-T G.711, as in its reference code)."""
    pcm = sample >> 3
    if pcm >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        pcm = -pcm - 1
    segment = next((i for i, end in enumerate(_ALAW_SEGMENT_ENDS) if pcm <= end), 8)
    if segment >= 8:
        return 0x7F ^ mask
    value = segment << 4
    value |= (pcm >> 1 if segment < 2 else pcm >> segment) & 0x0F
    return value ^ mask


def _linear_of_alaw(code: int) -> int:
    code ^= 0x55
    value = (code & 0x0F) << 4
    segment = (code & 0x70) >> 4
    if segment == 0:
        value += 8
    else:
        value = (value + 0x108) << (segment - 1)
    return value if code & 0x80 else -value


_ALAW_DECODE = np.array([_linear_of_alaw(c) for c in range(256)], dtype=np.int16)
_ULAW_TO_ALAW = bytes(_alaw_of(int(s)) for s in _DECODE)
_ALAW_TO_ULAW = bytes(int(_ENCODE[int(s) + 32768]) for s in _ALAW_DECODE)


def ulaw_to_alaw(payload: bytes) -> bytes:
    """µ-law bytes to A-law bytes, sample by sample."""
    return payload.translate(_ULAW_TO_ALAW)


def alaw_to_ulaw(payload: bytes) -> bytes:
    """A-law bytes to µ-law bytes, sample by sample."""
    return payload.translate(_ALAW_TO_ULAW)


def decode_alaw(payload: bytes) -> np.ndarray:
    """A-law bytes to 16-bit samples."""
    return _ALAW_DECODE[np.frombuffer(payload, dtype=np.uint8)]
