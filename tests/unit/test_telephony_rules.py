"""The telephone's rules without a network: keypad digits, PINs, the INVITE limits, SDP, G.711."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from summitry.telephony import g711, pins, rtp, sdp
from summitry.telephony.dtmf import TelephoneEvents, info_digit
from summitry.telephony.ratelimit import CallSlots, Lockouts, TokenBuckets


def event(code: int, end: bool, duration: int = 160) -> bytes:
    return struct.pack("!BBH", code, (0x80 if end else 0) | 10, duration)


def test_a_key_press_is_one_digit_though_its_end_packet_comes_three_times() -> None:
    events = TelephoneEvents()
    keyed = [events.feed(1000, event(5, end=False, duration=d)) for d in (160, 320, 480)]
    keyed += [events.feed(1000, event(5, end=True, duration=640)) for _ in range(3)]
    assert keyed == [None, None, None, "5", None, None]


def test_the_same_key_pressed_again_is_a_new_digit() -> None:
    events = TelephoneEvents()
    assert events.feed(1000, event(11, end=True)) == "#"
    assert events.feed(2600, event(11, end=True)) == "#"
    assert events.feed(2600, event(10, end=True)) == "*"  # another key, same timestamp


def test_unknown_events_and_short_payloads_are_ignored() -> None:
    events = TelephoneEvents()
    assert events.feed(1, event(16, end=True)) is None  # flash, not a key
    assert events.feed(2, b"\x05\x80") is None


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 15)), max_size=50))
def test_every_distinct_press_is_reported_once(presses: list[tuple[int, int]]) -> None:
    events = TelephoneEvents()
    reported = []
    for timestamp, code in presses:
        for _ in range(3):
            digit = events.feed(timestamp, event(code, end=True))
            if digit is not None:
                reported.append((timestamp, digit))
    # Fewer presses than the parser remembers: each distinct one is reported exactly once.
    assert [(t, d) for t, d in reported] == [
        (t, "0123456789*#ABCD"[c]) for t, c in dict.fromkeys(presses)
    ]


@pytest.mark.parametrize(
    ("content_type", "body", "digit"),
    [
        ("application/dtmf-relay", "Signal=7\r\nDuration=160\r\n", "7"),
        ("application/dtmf-relay; charset=utf-8", "signal= #\r\n", "#"),
        ("application/dtmf-relay", "Signal=10\r\n", "*"),
        ("application/dtmf", "3", "3"),
        ("application/dtmf-relay", "Duration=160", None),
        ("application/dtmf-relay", "Signal=77", None),
        ("text/plain", "Signal=1", None),
    ],
)
def test_sip_info_bodies(content_type: str, body: str, digit: str | None) -> None:
    assert info_digit(content_type, body) == digit


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("4817302", True),
        ("481730", True),
        ("48173025", True),
        ("48173", False),  # too short
        ("481730251", False),  # too long
        ("1111111", False),  # one digit repeated
        ("1234567", False),  # a run up
        ("876543", False),  # a run down
        ("48173a2", False),
        ("４８１７３０２", False),  # full-width digits are not keypad digits
    ],
)
def test_pin_rules(pin: str, ok: bool) -> None:
    assert pins.is_acceptable(pin) is ok


def test_new_pins_are_acceptable_and_stored_only_as_a_hash() -> None:
    made = {pins.new_pin() for _ in range(50)}
    assert all(pins.is_acceptable(p) and len(p) == pins.DEFAULT_DIGITS for p in made)
    assert len(made) > 45
    pin = made.pop()
    stored = pins.hash_pin(pin)
    assert pin not in stored
    assert stored.startswith("$argon2id$")
    assert pins.pin_matches(stored, pin)
    assert not pins.pin_matches(stored, "9" + pin[1:] if pin[0] != "9" else "8" + pin[1:])
    with pytest.raises(ValueError, match="6 to 8"):
        pins.new_pin(5)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_from_one_source_is_cut_to_the_rate_and_others_still_get_through() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=5, clock=clock)
    flood = [buckets.allow("198.51.100.7") for _ in range(100)]
    assert sum(flood) == 5  # the burst, then nothing
    assert buckets.allow("203.0.113.9")  # another source is unaffected
    clock.now = 1.0
    assert sum(buckets.allow("198.51.100.7") for _ in range(10)) == 2  # refilled at the rate
    clock.now = 100.0
    assert sum(buckets.allow("198.51.100.7") for _ in range(10)) == 5  # never beyond the burst


def test_buckets_do_not_grow_without_bound() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=1, clock=clock)
    for i in range(10_500):
        clock.now = i * 0.001
        buckets.allow(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert len(buckets._buckets) <= 10_000
    with pytest.raises(ValueError, match="rate"):
        TokenBuckets(rate=0, burst=1)


def test_call_slots_cap_the_total_and_each_source() -> None:
    slots = CallSlots(total=3, per_source=2)
    assert slots.take("a")
    assert slots.take("a")
    assert not slots.take("a")
    assert slots.take("b")
    assert not slots.take("c")  # the total
    slots.give_back("a")
    assert slots.take("c")
    assert slots.in_use == 3


def test_sdp_offers_are_read_and_answers_written() -> None:
    offer = sdp.parse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 8 0 96\r\nc=IN IP4 192.0.2.50\r\na=rtpmap:96 telephone-event/8000\r\n"
        "m=video 4002 RTP/AVP 97\r\n"
    )
    assert (offer.host, offer.port, offer.event_pt, offer.speaks_pcmu) == (
        "192.0.2.50",
        4000,
        96,
        True,
    )
    answer = sdp.parse(sdp.describe("10.99.0.1", 5000, 96))
    assert (answer.host, answer.port, answer.payload_types) == ("10.99.0.1", 5000, (0, 96))
    with pytest.raises(sdp.SdpError):
        sdp.parse("v=0\r\nm=audio 4000 RTP/AVP 0\r\n")  # no address
    with pytest.raises(sdp.SdpError):
        sdp.parse("c=IN IP4 192.0.2.1\r\nm=audio 99999 RTP/AVP 0\r\n")


def test_g711_round_trip_and_rtp_restamping() -> None:
    tone = (np.sin(np.arange(800) / 8000 * 2 * np.pi * 440) * 12000).astype(np.int16)
    back = g711.decode(g711.encode(tone)).astype(np.int32)
    assert np.max(np.abs(back - tone)) < 400  # µ-law keeps about 13 bits near this level
    stamper = rtp.Stamper()
    first, second = (rtp.parse(stamper.next(bytes(160))) for _ in range(2))
    assert first.ssrc == second.ssrc
    assert first.marker
    assert not second.marker
    assert (second.sequence - first.sequence) % 65536 == 1
    assert (second.timestamp - first.timestamp) % 2**32 == 160
    with pytest.raises(rtp.NotRtp):
        rtp.parse(b"\x00" * 12)


def test_a_source_that_keeps_failing_pins_is_locked_out_for_a_while() -> None:
    clock = Clock()
    lockouts = Lockouts(limit=3, window=600, duration=900, clock=clock)
    for minute in (0, 4, 11):  # the first failure has left the window by the third
        clock.now = minute * 60.0
        lockouts.failed("198.51.100.7")
    assert not lockouts.locked("198.51.100.7")
    clock.now = 12 * 60.0
    lockouts.failed("198.51.100.7")
    assert lockouts.locked("198.51.100.7")
    assert not lockouts.locked("203.0.113.9")
    clock.now = 12 * 60.0 + 899
    assert lockouts.locked("198.51.100.7")
    clock.now = 12 * 60.0 + 900
    assert not lockouts.locked("198.51.100.7")
