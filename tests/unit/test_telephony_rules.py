"""The telephone's rules without a network: keypad digits, PINs, the INVITE limits, SDP and
offer/answer through a call's life, session timers (RFC 4028), RTCP, G.711."""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sippy.SipRequest import SipRequest

from summitry.telephony import g711, pins, rtcp, rtp, sdp, sessiontimer
from summitry.telephony.dialog import timer_request, too_small
from summitry.telephony.dtmf import TelephoneEvents, info_digit
from summitry.telephony.negotiation import Negotiation
from summitry.telephony.ratelimit import CallSlots, Lockouts, TokenBuckets
from summitry.telephony.sessiontimer import SessionExpires, SessionTimer, TooSmall


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


def offer(version: int = 1, formats: str = "0 101", *extra: str, host: str = "192.0.2.7") -> str:
    lines = [
        "v=0",
        f"o=phone 42 {version} IN IP4 {host}",
        "s=-",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio 4000 RTP/AVP {formats}",
        "a=rtpmap:101 telephone-event/8000",
        *extra,
    ]
    return "\r\n".join(lines) + "\r\n"


def test_re_offers_hold_resume_and_keep_the_version_while_nothing_changes() -> None:
    negotiation = Negotiation("10.99.0.1", 5000, 5001)
    first, media = negotiation.answer(offer(1))
    assert (media.host, media.port, media.codec, media.sending) == ("192.0.2.7", 4000, 0, True)
    assert media.rtcp == ("192.0.2.7", 4001)  # the RTP port + 1
    assert "a=sendrecv" in first
    assert "a=rtcp:5001" in first
    again, _ = negotiation.answer(offer(2))  # a new version, the same media
    assert again == first, "an unchanged answer keeps its o= version"
    held, media = negotiation.answer(offer(3, "0 101", "a=sendonly"))
    assert "a=recvonly" in held
    assert not media.sending
    origin = next(line for line in held.splitlines() if line.startswith("o="))
    assert origin.split()[2] == str(int(first.split("o=Summitry ")[1].split()[1]) + 1)
    _, media = negotiation.answer(offer(4, "0 101", "a=inactive"))
    assert (media.direction, media.sending) == ("inactive", False)
    _, media = negotiation.answer(offer(5, "0 101", host=sdp.HOLD_ADDRESS))  # RFC 2543's hold
    assert (media.direction, media.sending, media.rtcp) == ("recvonly", False, None)
    resumed, media = negotiation.answer(offer(6))
    assert "a=sendrecv" in resumed
    assert media.sending


def test_a_new_codec_order_chooses_the_first_codec_we_speak() -> None:
    negotiation = Negotiation("10.99.0.1", 5000, 5001)
    _, media = negotiation.answer(offer(1, "0 8 101"))
    assert media.codec == rtp.PCMU
    answer, media = negotiation.answer(offer(2, "9 8 0 101", "a=rtcp-mux"))  # G.722 first
    assert media.codec == rtp.PCMA
    assert "m=audio 5000 RTP/AVP 8 101" in answer
    assert "a=rtcp-mux" in answer
    assert media.rtcp == ("192.0.2.7", 4000)  # muxed on the RTP port
    _, media = negotiation.answer(offer(3, "0 101", "a=rtcp:4100 IN IP4 192.0.2.8"))
    assert media.rtcp == ("192.0.2.8", 4100)
    with pytest.raises(sdp.SdpError):
        negotiation.answer(offer(4, "9 18"))


def test_our_offer_without_theirs_and_their_answer_in_the_ack() -> None:
    negotiation = Negotiation("10.99.0.1", 5000, 5001)
    negotiation.answer(offer(1))
    ours = sdp.parse(negotiation.offer())
    assert ours.payload_types == (0, 8, 101)
    assert ours.direction == "sendrecv"
    media = negotiation.accept(offer(2, "8 101"))
    assert (media.codec, media.sending) == (rtp.PCMA, True)
    with pytest.raises(sdp.SdpError):
        negotiation.accept(offer(3, "9"))


def test_sdp_directions_rtcp_and_origin_are_read() -> None:
    read = sdp.parse(offer(7, "8 0 101", "a=rtcp-mux").replace("t=0 0", "t=0 0\r\na=sendonly"))
    assert (read.direction, read.on_hold, read.rtcp_mux, read.origin) == (
        "sendonly",
        True,
        True,
        "42 7",
    )
    assert read.codec() == rtp.PCMA
    assert read.answer_direction() == "recvonly"


def sip_request(*headers: str) -> SipRequest:
    lines = [
        "INVITE sip:1@10.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1",
        "From: <sip:a@10.0.0.2>;tag=1",
        "To: <sip:1@10.0.0.1>",
        "Call-ID: x@y",
        "CSeq: 1 INVITE",
        "Contact: <sip:a@10.0.0.2>",
        *headers,
        "Content-Length: 0",
    ]
    return SipRequest("\r\n".join(lines) + "\r\n\r\n")


def test_session_timer_requests_are_read_in_long_and_compact_form() -> None:
    request = timer_request(sip_request("k: 100rel, timer", "x: 600;refresher=uac", "Min-SE: 90"))
    assert request == sessiontimer.Request(SessionExpires(600, "uac"), 90, True)
    assert timer_request(sip_request()) == sessiontimer.Request(None, None, False)
    refused = too_small(sip_request("Supported: timer", "Session-Expires: 60"), 90)
    assert refused.getSCode() == (422, "Session Interval Too Small")
    assert "Min-SE: 90" in str(refused)
    assert too_small(sip_request("Session-Expires: 1800"), 90) is None


def test_the_refresher_is_agreed_as_rfc_4028_says() -> None:
    def agreed(se: str | None, supports: bool = True) -> sessiontimer.Agreement | None:
        asked = sessiontimer.parse_session_expires(se) if se else None
        return sessiontimer.answer(sessiontimer.Request(asked, None, supports), 90)

    assert agreed(None) is None
    peer = agreed("1800;refresher=uac")
    assert peer is not None
    assert (peer.we_refresh, peer.require_timer, peer.response.header()) == (
        False,
        True,
        "1800;refresher=uac",
    )
    ours = agreed("1800")
    assert ours is not None
    assert ours.we_refresh  # the choice was ours
    unsupported = agreed("1800;refresher=uac", supports=False)
    assert unsupported is not None
    assert unsupported.we_refresh  # a peer without the extension cannot refresh
    assert not unsupported.require_timer
    with pytest.raises(TooSmall) as small:
        sessiontimer.answer(sessiontimer.Request(SessionExpires(60, None), 120, True), 90)
    assert small.value.min_se == 120
    by_response = sessiontimer.agreed_by_response("90;refresher=uas", SessionExpires(90, "uac"))
    assert by_response is not None
    assert not by_response.we_refresh  # uas of our refresh: the peer
    assert sessiontimer.agreed_by_response(None, SessionExpires(90, "uac")) is None


class FakeTimers:
    def __init__(self) -> None:
        self.pending: list[tuple[float, Callable[[], None], list[bool]]] = []

    def schedule(self, delay: float, callback: Callable[[], None]) -> FakeTimers.Handle:
        cancelled = [False]
        self.pending.append((delay, callback, cancelled))
        return FakeTimers.Handle(cancelled)

    def fire(self) -> float:
        """Run the one timer still armed; its delay."""
        armed = [p for p in self.pending if not p[2][0]]
        assert len(armed) == 1
        self.pending.remove(armed[0])
        armed[0][1]()
        return armed[0][0]

    class Handle:
        def __init__(self, cancelled: list[bool]) -> None:
            self.cancelled = cancelled

        def cancel(self) -> None:
            self.cancelled[0] = True


def test_the_session_timer_refreshes_before_half_and_expires_without_refresh() -> None:
    timers = FakeTimers()
    refreshed: list[int] = []
    expired: list[bool] = []
    timer = SessionTimer(timers.schedule, refreshed.append, lambda: expired.append(True))
    ours = sessiontimer.Agreement(1800, True, SessionExpires(1800, "uas"), True)
    timer.start(ours)
    assert timers.fire() < 900  # before half the interval
    assert refreshed == [1800]
    timer.start(ours)  # the 2xx to our refresh: a new interval
    assert timers.fire() < 900
    assert timers.fire() + 810 == 1800  # no 2xx this time: the session ends at its expiry
    assert expired == [True]
    theirs = sessiontimer.Agreement(90, False, SessionExpires(90, "uac"), True)
    timer.start(theirs)
    assert timers.fire() == 60  # the expiry less a third of the interval (RFC 4028 §10)
    timer.start(sessiontimer.Agreement(3600, False, SessionExpires(3600, "uac"), True))
    assert timers.fire() == 3600 - 32
    timer.start(theirs)
    timer.start(None)  # a refresh without Session-Expires turns the timer off
    assert all(p[2][0] for p in timers.pending)


def test_rtcp_sender_and_receiver_reports() -> None:
    stats = rtcp.ReceptionStats()
    for sequence in [65533, 65534, 65535, 0, 1, 3, 4]:  # wraps, and 2 is lost
        stats.update(0xABCDEF01, sequence, sequence * 160)
    block = stats.block()
    ssrc, lost_word, extended = struct.unpack_from("!III", block)
    assert ssrc == 0xABCDEF01
    assert lost_word & 0xFFFFFF == 1
    assert lost_word >> 24 == 256 // 8  # one of eight lost
    assert extended == 65536 + 4
    packet = rtcp.report(0x1234, (5000, 50, 8000), block, "summitry@10.99.0.1", 1.7e9)
    assert len(packet) % 4 == 0
    report = rtcp.parse_sender_report(packet)
    assert report == rtcp.SenderReport(0x1234, rtcp.ntp_time(1.7e9), 5000, 50, 8000)
    assert b"summitry@10.99.0.1" in packet
    receiver = rtcp.report(0x1234, None, b"", "x", 1.7e9)
    assert receiver[1] == rtcp.RR
    assert rtcp.parse_sender_report(receiver) is None
    assert rtcp.is_rtcp(packet)
    assert not rtcp.is_rtcp(rtp.Stamper().next(bytes(160)))
    stats.heard_report(report)
    assert struct.unpack_from("!I", stats.block(), 16)[0] != 0  # LSR echoed


def test_a_law_is_translated_to_and_from_mu_law() -> None:
    tone = (np.sin(np.arange(800) / 8000 * 2 * np.pi * 440) * 12000).astype(np.int16)
    alaw = g711.ulaw_to_alaw(g711.encode(tone))
    assert np.max(np.abs(g711.decode_alaw(alaw).astype(np.int32) - tone)) < 800
    back = g711.decode(g711.alaw_to_ulaw(alaw)).astype(np.int32)
    assert np.max(np.abs(back - tone)) < 800
    assert g711.ulaw_to_alaw(bytes([g711.SILENCE])) == b"\xd5"  # A-law's zero
