"""The edge's run of each log's latest events, which apps' deliveries read when it holds all
they need (edge/apps/tail.py): no I/O."""

from __future__ import annotations

from backchannel.edge.apps.tail import KEPT, Tail
from backchannel.models import Event, Position


def logged(seq: int, workspace: str = "T1", epoch: str = "e1") -> Event:
    event = Event(workspace, "workspace", {"type": "team_join", "n": seq})
    return event.at(Position("shard-0", epoch, seq))


def tail_of(*seqs: int) -> Tail:
    tail = Tail("e1")
    for seq in seqs:
        tail.add(logged(seq))
    return tail


def test_it_answers_what_follows_a_position_it_holds() -> None:
    tail = tail_of(5, 6, 7, 8)
    found = tail.after(Position("shard-0", "e1", 6), "T1", limit=10)
    assert [event.payload["n"] for event in (found or [])] == [7, 8]
    assert tail.after(Position("shard-0", "e1", 8), "T1", limit=10) == []  # caught up


def test_it_sends_a_reader_from_before_it_to_the_database() -> None:
    tail = tail_of(5, 6, 7)
    assert tail.after(Position("shard-0", "e1", 3), "T1", limit=10) is None
    assert tail.after(Position("shard-0", "e2", 6), "T1", limit=10) is None  # another epoch


def test_only_the_workspaces_own_events_and_no_more_than_the_limit() -> None:
    tail = Tail("e1")
    for seq in range(1, 9):
        tail.add(logged(seq, workspace="T1" if seq % 2 else "T2"))
    found = tail.after(Position("shard-0", "e1", 0), "T2", limit=3)
    assert [event.position.seq for event in (found or []) if event.position] == [2, 4, 6]


def test_a_gap_starts_the_run_again() -> None:
    tail = tail_of(5, 6, 9, 10)
    assert tail.first == 9
    assert tail.after(Position("shard-0", "e1", 6), "T1", limit=10) is None


def test_it_keeps_a_bounded_run() -> None:
    tail = tail_of(*range(1, KEPT + 101))
    assert (tail.first, tail.last) == (101, KEPT + 100)
