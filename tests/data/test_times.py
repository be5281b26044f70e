import math

import pytest

from priorkit.data.times import iso_time, parse_time, snowflake_seconds


def test_snowflake_ids_decode_to_their_post_time() -> None:
    # a snowflake id is (milliseconds since the Twitter epoch 1288834974657) << 22 | worker and sequence bits
    posted_ms = int(parse_time("2015-01-07T11:11:33.250Z") * 1000)
    tweet_id = ((posted_ms - 1288834974657) << 22) | 0b1011_0000_0001
    assert iso_time(snowflake_seconds(str(tweet_id))) == "2015-01-07T11:11:33.250000Z"  # type: ignore[arg-type]
    assert snowflake_seconds("12345") is None  # a pre-2010 sequential id
    assert snowflake_seconds("abc") is None
    assert snowflake_seconds("9" * 30) is None  # beyond 63 bits: no snowflake, no time in the year 10^13
    last = snowflake_seconds(str(2**63 - 1))  # the largest snowflake still names a time
    assert last is not None and iso_time(last).startswith("2080-")


def test_parse_time_reads_numbers_and_iso_8601() -> None:
    assert parse_time(1420629093) == 1420629093.0
    assert parse_time("2015-01-07T11:11:33Z") == 1420629093.0
    assert parse_time("2015-01-07T11:11:33") == 1420629093.0  # no zone: UTC
    assert parse_time("2015-01-07T12:11:33+01:00") == 1420629093.0
    assert iso_time(parse_time("2015-01-07T11:11:33Z")) == "2015-01-07T11:11:33Z"
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_time("yesterday")
    with pytest.raises(ValueError, match="finite"):
        parse_time(math.inf)
