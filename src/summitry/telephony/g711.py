"""G.711 µ-law, the telephone's codec, with lookup tables (``audioop`` left Python in 3.13)."""

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
