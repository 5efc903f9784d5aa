"""The speakers' list: inscriptions, points of order, rights of reply, the floor, the chair's order.

Plain examples first, then a Hypothesis state machine that drives the list at random against a
model of what became of every request.
"""

from __future__ import annotations

import enum
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from summitry.errors import Conflict
from summitry.floor.speakers import FloorRuleError, Request, RequestKind, SpeakersList

STATEMENT = RequestKind.STATEMENT
POINT_OF_ORDER = RequestKind.POINT_OF_ORDER
RIGHT_OF_REPLY = RequestKind.RIGHT_OF_REPLY
T0 = datetime(2020, 9, 22, 13, 0, tzinfo=UTC)
_ids = itertools.count(1)


def ask(
    delegation: str,
    kind: RequestKind = STATEMENT,
    *,
    on_behalf_of: str | None = None,
    request_id: int | None = None,
) -> Request:
    """A request with a fresh id, made by ``delegation``'s first speaker."""
    number = request_id if request_id is not None else next(_ids)
    return Request(
        id=number,
        delegation=delegation,
        speaker_attendee_id=1000 + number,
        kind=kind,
        on_behalf_of=on_behalf_of,
        inscribed_at=T0 + timedelta(seconds=number),
    )


def listed(speakers: SpeakersList) -> list[tuple[str, RequestKind]]:
    return [(r.delegation, r.kind) for r in speakers.queue]


def inscribed(*requests: Request) -> SpeakersList:
    speakers = SpeakersList().open_item(1)
    for request in requests:
        speakers = speakers.inscribe(request)
    return speakers


# --- inscription ----------------------------------------------------------------------------


def test_statements_are_listed_in_the_order_of_inscription() -> None:
    speakers = inscribed(ask("FR"), ask("CN"), ask("ZA"))
    assert listed(speakers) == [("FR", STATEMENT), ("CN", STATEMENT), ("ZA", STATEMENT)]
    assert speakers.current is None


def test_a_point_of_order_goes_to_the_front_after_earlier_points_of_order() -> None:
    speakers = inscribed(ask("FR"), ask("CN"), ask("ZA", POINT_OF_ORDER), ask("US", POINT_OF_ORDER))
    assert listed(speakers) == [
        ("ZA", POINT_OF_ORDER),
        ("US", POINT_OF_ORDER),
        ("FR", STATEMENT),
        ("CN", STATEMENT),
    ]


def test_a_right_of_reply_goes_to_the_end_and_statements_before_it() -> None:
    speakers = inscribed(ask("FR"), ask("CN", RIGHT_OF_REPLY), ask("ZA"), ask("US", RIGHT_OF_REPLY))
    assert listed(speakers) == [
        ("FR", STATEMENT),
        ("ZA", STATEMENT),
        ("CN", RIGHT_OF_REPLY),
        ("US", RIGHT_OF_REPLY),
    ]


def test_a_statement_the_chair_moved_after_a_reply_is_not_overtaken() -> None:
    fr, reply, za = ask("FR"), ask("CN", RIGHT_OF_REPLY), ask("ZA")
    speakers = inscribed(fr, reply, za).reorder([fr.id, reply.id, za.id])
    speakers = speakers.inscribe(ask("US"))
    assert [r.delegation for r in speakers.queue] == ["FR", "CN", "ZA", "US"]


def test_a_delegation_has_one_pending_statement_per_capacity() -> None:
    speakers = inscribed(ask("ZA"))
    with pytest.raises(FloorRuleError, match=r"statement of ZA .* is already on the list"):
        speakers.inscribe(ask("ZA"))
    # Speaking for a group is a statement of its own, as is a point of order.
    speakers = speakers.inscribe(ask("ZA", on_behalf_of="G77 and China"))
    speakers = speakers.inscribe(ask("ZA", POINT_OF_ORDER))
    assert len(speakers.queue) == 3
    with pytest.raises(FloorRuleError, match="on behalf of G77 and China"):
        speakers.inscribe(ask("ZA", on_behalf_of="G77 and China"))


def test_a_delegation_may_inscribe_again_once_it_has_spoken() -> None:
    speakers = inscribed(ask("ZA")).give_floor()
    assert listed(speakers.inscribe(ask("ZA"))) == [("ZA", STATEMENT)]


def test_a_request_id_is_used_once() -> None:
    first = ask("FR")
    speakers = inscribed(first)
    with pytest.raises(FloorRuleError, match="already on the speakers' list"):
        speakers.inscribe(ask("CN", request_id=first.id))
    with pytest.raises(FloorRuleError, match="already on the speakers' list"):
        speakers.give_floor().inscribe(ask("CN", request_id=first.id))


def test_a_closed_list_refuses_statements_but_not_points_of_order_or_replies() -> None:
    speakers = inscribed(ask("FR")).close()
    with pytest.raises(FloorRuleError, match="closed") as refused:
        speakers.inscribe(ask("CN"))
    assert isinstance(refused.value, Conflict)  # the API answers 409 with the message
    speakers = speakers.inscribe(ask("CN", POINT_OF_ORDER)).inscribe(ask("US", RIGHT_OF_REPLY))
    assert [r.kind for r in speakers.queue] == [POINT_OF_ORDER, STATEMENT, RIGHT_OF_REPLY]
    assert listed(speakers.reopen().inscribe(ask("CN")))[2] == ("CN", STATEMENT)


def test_closing_or_reopening_twice_says_so() -> None:
    with pytest.raises(FloorRuleError, match="already open"):
        SpeakersList().reopen()
    with pytest.raises(FloorRuleError, match="already closed"):
        SpeakersList().close().close()


# --- the chair's order ----------------------------------------------------------------------


def test_the_chair_reorders_the_waiting_requests() -> None:
    fr, cn, za = ask("FR"), ask("CN"), ask("ZA")
    speakers = inscribed(fr, cn, za).reorder([za.id, fr.id, cn.id])
    assert [r.delegation for r in speakers.queue] == ["ZA", "FR", "CN"]


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        ([2, 1], "missing 3"),
        ([2, 1, 3, 9], "not waiting 9"),
        ([2, 1, 3, 3], "twice 3"),
    ],
)
def test_a_new_order_must_name_every_waiting_request_once(order: list[int], problem: str) -> None:
    speakers = inscribed(
        *(ask(code, request_id=n) for n, code in ((1, "FR"), (2, "CN"), (3, "ZA")))
    )
    with pytest.raises(FloorRuleError, match=problem):
        speakers.reorder(order)


def test_points_of_order_stay_in_front_of_a_new_order() -> None:
    fr, point = ask("FR"), ask("ZA", POINT_OF_ORDER)
    speakers = inscribed(fr, point)
    with pytest.raises(FloorRuleError, match=r"point of order of ZA .* must be heard before"):
        speakers.reorder([fr.id, point.id])
    assert speakers.reorder([point.id, fr.id]) == speakers


# --- the floor --------------------------------------------------------------------------------


def test_the_floor_goes_to_the_next_and_the_current_turn_ends() -> None:
    fr, cn = ask("FR"), ask("CN")
    speakers = inscribed(fr, cn).give_floor()
    assert speakers.current == fr
    speakers = speakers.give_floor()
    assert speakers.current == cn
    assert speakers.queue == ()
    with pytest.raises(FloorRuleError, match="no one is waiting"):
        speakers.give_floor()
    speakers = speakers.release()
    assert speakers.current is None
    with pytest.raises(FloorRuleError, match="no one has the floor"):
        speakers.release()


def test_the_chair_may_give_the_floor_out_of_turn_but_not_before_a_point_of_order() -> None:
    fr, cn, za = ask("FR"), ask("CN"), ask("ZA")
    speakers = inscribed(fr, cn, za).give_floor(za.id)
    assert speakers.current == za
    assert [r.id for r in speakers.queue] == [fr.id, cn.id]
    point = ask("US", POINT_OF_ORDER)
    speakers = speakers.inscribe(point)
    with pytest.raises(FloorRuleError, match=r"point of order of US .* must be heard before"):
        speakers.give_floor(cn.id)
    assert speakers.give_floor().current == point


def test_the_floor_cannot_go_to_a_request_that_is_not_waiting() -> None:
    fr = ask("FR")
    speakers = inscribed(fr).give_floor()
    with pytest.raises(FloorRuleError, match=f"request {fr.id} has the floor"):
        speakers.give_floor(fr.id)
    with pytest.raises(FloorRuleError, match="request 99999 is not on the speakers' list"):
        speakers.give_floor(99999)


def test_withdraw_and_skip_take_a_request_off_the_list() -> None:
    fr, cn, za = ask("FR"), ask("CN"), ask("ZA")
    speakers = inscribed(fr, cn, za).withdraw(cn.id).skip(fr.id)
    assert speakers.queue == (za,)
    with pytest.raises(FloorRuleError, match="not on the speakers' list"):
        speakers.withdraw(cn.id)
    with pytest.raises(FloorRuleError, match="has the floor"):
        speakers.give_floor().skip(za.id)


# --- agenda items -----------------------------------------------------------------------------


def test_closing_an_item_ends_the_turn_and_empties_the_list() -> None:
    speakers = inscribed(ask("FR"), ask("CN"), ask("ZA", RIGHT_OF_REPLY)).give_floor().close()
    assert speakers.item == 1
    speakers = speakers.close_item()
    assert speakers == SpeakersList()
    with pytest.raises(FloorRuleError, match="no agenda item is open"):
        speakers.close_item()


def test_inscriptions_made_before_an_item_carry_over_to_it_and_the_list_opens() -> None:
    fr = ask("FR")
    speakers = SpeakersList().inscribe(fr).close().open_item(2)
    assert speakers.queue == (fr,)
    assert speakers.item == 2
    assert not speakers.closed
    with pytest.raises(FloorRuleError, match="item 2 is still open; close it before opening 3"):
        speakers.open_item(3)


# --- the state machine ------------------------------------------------------------------------


class Fate(enum.Enum):
    PENDING = "pending"
    CURRENT = "current"
    DONE = "done"
    SKIPPED = "skipped"
    WITHDRAWN = "withdrawn"


DELEGATIONS = ("FR", "CN", "ZA", "US")
GROUPS = (None, "G77 and China")


class SpeakersListMachine(RuleBasedStateMachine):
    """Drives the list at random; a model records the fate of every request ever inscribed."""

    def __init__(self) -> None:
        super().__init__()
        self.speakers = SpeakersList()
        self.fate: dict[int, Fate] = {}
        self.requests: dict[int, Request] = {}
        self.next_id = 1

    # --- the model --------------------------------------------------------------------------

    def move(self, request_id: int, to: Fate) -> None:
        """Record a request's new fate; only a pending one can start to speak or leave."""
        allowed = {
            Fate.CURRENT: {Fate.PENDING},
            Fate.DONE: {Fate.CURRENT},
            Fate.SKIPPED: {Fate.PENDING},
            Fate.WITHDRAWN: {Fate.PENDING},
        }[to]
        assert self.fate[request_id] in allowed, f"{request_id}: {self.fate[request_id]} → {to}"
        self.fate[request_id] = to

    def end_current_turn(self) -> None:
        for request_id, fate in list(self.fate.items()):
            if fate is Fate.CURRENT:
                self.move(request_id, Fate.DONE)

    def inscribe_and_check(self, request: Request) -> None:
        self.next_id += 1
        capacity = (request.delegation, request.on_behalf_of)
        duplicate = any(
            r.kind is STATEMENT and (r.delegation, r.on_behalf_of) == capacity
            for r in self.speakers.queue
        )
        refused = request.kind is STATEMENT and (self.speakers.closed or duplicate)
        before = self.speakers.queue
        try:
            self.speakers = self.speakers.inscribe(request)
        except FloorRuleError:
            assert refused  # a closed list refuses statements; so does a second one
            return
        assert not refused
        self.fate[request.id] = Fate.PENDING
        self.requests[request.id] = request
        # Its place: points of order first, rights of reply last, statements in between.
        at = self.speakers.queue.index(request)
        assert self.speakers.queue == (*before[:at], request, *before[at:])
        if request.kind is POINT_OF_ORDER:
            assert all(r.kind is POINT_OF_ORDER for r in before[:at])
            assert all(r.kind is not POINT_OF_ORDER for r in before[at:])
        elif request.kind is RIGHT_OF_REPLY:
            assert at == len(before)
        else:
            assert all(r.kind is RIGHT_OF_REPLY for r in before[at:])

    # --- rules ------------------------------------------------------------------------------

    @rule(
        kind=st.sampled_from(RequestKind),
        delegation=st.sampled_from(DELEGATIONS),
        group=st.sampled_from(GROUPS),
    )
    def inscribe(self, kind: RequestKind, delegation: str, group: str | None) -> None:
        self.inscribe_and_check(
            Request(
                id=self.next_id,
                delegation=delegation,
                speaker_attendee_id=self.next_id,
                kind=kind,
                on_behalf_of=group,
                inscribed_at=T0,
            )
        )

    @rule(delegation=st.sampled_from(DELEGATIONS))
    def inscribe_statement(self, delegation: str) -> None:
        # Statements are most of a real list: a rule of their own makes them twice as likely.
        self.inscribe_and_check(
            Request(id=self.next_id, delegation=delegation, speaker_attendee_id=1, inscribed_at=T0)
        )

    @rule(data=st.data(), withdrawn=st.booleans())
    def withdraw_or_skip(self, data: st.DataObject, withdrawn: bool) -> None:
        # Mostly a waiting request; sometimes the speaker, a stranger or one long gone.
        gone = [i for i, fate in self.fate.items() if fate is not Fate.PENDING]
        request_id = data.draw(
            st.sampled_from(self.speakers.pending_ids) | st.sampled_from([10_000, *gone])
            if self.speakers.queue
            else st.sampled_from([10_000, *gone])
        )
        waiting = request_id in self.speakers.pending_ids
        try:
            if withdrawn:
                self.speakers = self.speakers.withdraw(request_id)
            else:
                self.speakers = self.speakers.skip(request_id)
        except FloorRuleError:
            assert not waiting
            return
        assert waiting
        self.move(request_id, Fate.WITHDRAWN if withdrawn else Fate.SKIPPED)

    @rule(data=st.data())
    def reorder(self, data: st.DataObject) -> None:
        order = data.draw(st.permutations(self.speakers.pending_ids))
        tamper = data.draw(st.sampled_from(["none", "drop", "duplicate", "stranger"]))
        if tamper == "drop" and order:
            order = order[1:]
        elif tamper == "duplicate" and order:
            order = [*order, order[0]]
        elif tamper == "stranger":
            order = [*order, 10_000]
        else:
            tamper = "none"
        kinds = [self.requests[i].kind for i in order if i in self.requests]
        points = kinds.count(POINT_OF_ORDER)
        valid = tamper == "none" and all(k is POINT_OF_ORDER for k in kinds[:points])
        try:
            self.speakers = self.speakers.reorder(order)
        except FloorRuleError:
            assert not valid
            return
        assert valid
        assert list(self.speakers.pending_ids) == order

    @rule(data=st.data(), named=st.booleans())
    def give_floor(self, data: st.DataObject, named: bool) -> None:
        queue = self.speakers.queue
        chosen: int | None = None
        if named and queue:
            chosen = data.draw(st.sampled_from([r.id for r in queue]))
        if chosen is None:
            allowed = bool(queue)
            expected = queue[0].id if queue else None
        else:
            allowed = (
                queue[0].kind is not POINT_OF_ORDER or self.requests[chosen].kind is POINT_OF_ORDER
            )
            expected = chosen
        try:
            self.speakers = self.speakers.give_floor(chosen)
        except FloorRuleError:
            assert not allowed
            return
        assert allowed
        assert expected is not None
        self.end_current_turn()
        self.move(expected, Fate.CURRENT)

    @rule()
    def release(self) -> None:
        had_floor = self.speakers.current is not None
        try:
            self.speakers = self.speakers.release()
        except FloorRuleError:
            assert not had_floor
            return
        assert had_floor
        self.end_current_turn()

    @rule()
    def close_or_reopen(self) -> None:
        was_closed = self.speakers.closed
        self.speakers = self.speakers.reopen() if was_closed else self.speakers.close()
        assert self.speakers.closed is not was_closed

    @rule(item=st.integers(min_value=1, max_value=9), close=st.booleans())
    def open_or_close_item(self, item: int, close: bool) -> None:
        was_open = self.speakers.item is not None
        try:
            if close:
                self.speakers = self.speakers.close_item()
            else:
                self.speakers = self.speakers.open_item(item)
        except FloorRuleError:
            assert was_open is not close
            return
        assert was_open is close
        if close:
            assert self.speakers.item is None
            self.end_current_turn()
            for request_id, fate in list(self.fate.items()):
                if fate is Fate.PENDING:  # not heard: the item closed before their turn
                    self.move(request_id, Fate.SKIPPED)
        else:
            assert self.speakers.item == item
            assert not self.speakers.closed

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def one_person_at_most_has_the_floor(self) -> None:
        current = [i for i, fate in self.fate.items() if fate is Fate.CURRENT]
        assert len(current) <= 1
        assert current == ([self.speakers.current.id] if self.speakers.current else [])

    @invariant()
    def a_pending_point_of_order_is_next(self) -> None:
        kinds = [r.kind for r in self.speakers.queue]
        points = kinds.count(POINT_OF_ORDER)
        assert all(k is POINT_OF_ORDER for k in kinds[:points])
        if points:
            assert self.speakers.next is not None
            assert self.speakers.next.kind is POINT_OF_ORDER

    @invariant()
    def no_request_is_lost_or_duplicated(self) -> None:
        ids = self.speakers.pending_ids
        assert len(ids) == len(set(ids))
        assert sorted(ids) == sorted(i for i, f in self.fate.items() if f is Fate.PENDING)
        if self.speakers.current is not None:
            assert self.speakers.current.id not in ids

    @invariant()
    def every_request_has_exactly_one_fate(self) -> None:
        # The model holds one fate per id; the list must agree with it for the living ones.
        assert set(self.fate) == set(self.requests)
        for request_id, fate in self.fate.items():
            in_queue = request_id in self.speakers.pending_ids
            is_current = self.speakers.current is not None and (
                self.speakers.current.id == request_id
            )
            assert in_queue == (fate is Fate.PENDING)
            assert is_current == (fate is Fate.CURRENT)


SpeakersListMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
test_speakers_list_machine = SpeakersListMachine.TestCase
