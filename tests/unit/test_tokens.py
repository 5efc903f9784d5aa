"""Invitation tokens: unguessable, URL-safe, and stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import math
import string

from summitry.security.tokens import TOKEN_BYTES, new_token, same, token_hash

URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")


def test_a_token_carries_at_least_128_random_bits() -> None:
    tokens = [new_token() for _ in range(200)]

    assert TOKEN_BYTES * 8 >= 128
    for token in tokens:
        assert set(token) <= URL_SAFE, "a token must survive in a URL unescaped"
        # base64 carries 6 bits a character
        assert len(token) * 6 >= 128
        assert len(token) == math.ceil(TOKEN_BYTES * 8 / 6)
    assert len(set(tokens)) == len(tokens)


def test_tokens_use_the_whole_alphabet() -> None:
    # A generator stuck on a few characters would still pass a length check.
    seen = set("".join(new_token() for _ in range(200)))

    assert len(seen) >= 60


def test_the_stored_form_is_the_sha256_of_the_token() -> None:
    token = new_token()

    stored = token_hash(token)

    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert len(stored) == 64
    assert set(stored) <= set("0123456789abcdef")
    assert token not in stored
    assert token_hash(token) == stored


def test_changing_one_character_changes_the_stored_form() -> None:
    token = new_token()
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert token_hash(altered) != token_hash(token)


def test_secrets_are_compared_whole() -> None:
    token = new_token()

    assert same(token, token)
    assert not same(token, token[:-1])
    assert not same(token, token + "x")
    assert not same(token, token.swapcase())
    assert not same(token, "")
