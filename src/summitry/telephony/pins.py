"""Personal telephone PINs: rules, generation and checking. Only their Argon2 hash is kept."""

from __future__ import annotations

import secrets

from summitry.security.passwords import hash_password, verify_password

MIN_DIGITS = 6
MAX_DIGITS = 8
DEFAULT_DIGITS = 7
MAX_TRIES = 3
"""Wrong PINs one call may enter before it is ended."""

# Digit runs and repeats are the first PINs anyone guesses.
_WEAK = frozenset({"0123456789"[i : i + n] for n in range(MIN_DIGITS, 11) for i in range(11 - n)})


def is_acceptable(pin: str) -> bool:
    """6–8 digits, not one digit repeated, not a run up or down."""
    if not (MIN_DIGITS <= len(pin) <= MAX_DIGITS and pin.isascii() and pin.isdigit()):
        return False
    if len(set(pin)) == 1:
        return False
    return pin not in _WEAK and pin[::-1] not in _WEAK


def new_pin(digits: int = DEFAULT_DIGITS) -> str:
    """A random PIN that passes ``is_acceptable``."""
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise ValueError(f"a PIN has {MIN_DIGITS} to {MAX_DIGITS} digits")
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(digits))
        if is_acceptable(pin):
            return pin


def hash_pin(pin: str) -> str:
    return hash_password(pin)


def pin_matches(pin_hash: str, pin: str) -> bool:
    return verify_password(pin_hash, pin)
