import pytest

from backchannel.types import (
    MAX_KEYSPACE,
    InvalidId,
    format_ts,
    keyspace_of,
    new_keyed_id,
    next_ts,
    parse_ts,
)


@pytest.mark.parametrize("keyspace", [0, 1, 31, 32, 12345, MAX_KEYSPACE])
def test_keyed_id_carries_its_keyspace(keyspace: int) -> None:
    for prefix in "TUBCGD":
        made = new_keyed_id(prefix, keyspace)
        assert made[0] == prefix and len(made) == 11
        assert keyspace_of(made) == keyspace


@pytest.mark.parametrize(
    "bad", ["", "T", "X0000100000", "t00001ABCDE", "T0000I00000", "C00001ABCDEF"]
)
def test_keyspace_of_rejects_foreign_ids(bad: str) -> None:
    with pytest.raises(InvalidId):
        keyspace_of(bad)


def test_keyspace_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="keyspace"):
        new_keyed_id("T", MAX_KEYSPACE + 1)


def test_ts_round_trips_and_always_increases() -> None:
    assert format_ts(1_732_412_345_000_100) == "1732412345.000100"
    assert parse_ts("1732412345.000100") == 1_732_412_345_000_100
    # The clock went backwards: the next ts still follows the last one.
    assert next_ts(1_732_412_000.0, "1732412345.000100") == "1732412345.000101"
    assert next_ts(1_732_412_400.5, "1732412345.000100") == "1732412400.500000"
    with pytest.raises(ValueError):
        parse_ts("12.5")
