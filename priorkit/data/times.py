"""When a sample was posted: ``TreeSample.created_at``, seconds since 1970-01-01 UTC.

Temporal splits order samples by it. Files give it as a number of seconds or as an ISO 8601
time; Twitter loaders read it from the source tweet's id (Twitter ids since November 2010
are "snowflake" ids whose upper bits count milliseconds since 2010-11-04).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from priorkit.errors import ConfigError

TWITTER_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 2**22 * 10**6  # ids below this are the sequential pre-2010 ones


def snowflake_seconds(tweet_id: str | int) -> float | None:
    """The creation time coded in a Twitter snowflake id, or None for an id that is not one
    (not an integer, an id from before November 2010, or one beyond the 63 bits a snowflake
    has, whose time would lie centuries ahead)."""
    try:
        value = int(str(tweet_id).strip())
    except ValueError:
        return None
    if not _FIRST_SNOWFLAKE <= value < 2**63:
        return None
    return ((value >> 22) + TWITTER_EPOCH_MS) / 1000.0


def parse_time(value: str | float | int) -> float:
    """Seconds since 1970-01-01 UTC from a number (taken as such) or an ISO 8601 time (a time
    without a zone is read as UTC).

    Raises:
        ValueError: naming what was expected.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected seconds since 1970 or an ISO 8601 time (got {value!r})")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number of seconds (got {value!r})")
        return _in_range(float(value), value)
    try:
        stamp = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time such as 2015-01-07T11:11:33Z (got {str(value)[:40]!r})"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return _in_range(stamp.timestamp(), value)


EARLIEST = datetime(1, 1, 2, tzinfo=UTC).timestamp()  # a day inside the range of every zone
LATEST = datetime(3000, 1, 1, tzinfo=UTC).timestamp()


def _in_range(seconds: float, given: object) -> float:
    """``seconds`` when it is a time between the year 1 and the year 3000 (beyond: most likely
    milliseconds or microseconds, which would be read as a far future)."""
    if EARLIEST <= seconds < LATEST:
        return seconds
    hint = " (milliseconds? divide by 1000)" if seconds >= LATEST else ""
    raise ValueError(f"expected a time between the years 1 and 3000 (got {str(given)[:40]!r}{hint})")


def iso_time(seconds: float) -> str:
    """``1420629093.0`` -> ``"2015-01-07T11:11:33Z"`` (fractions of a second kept)."""
    stamp = datetime.fromtimestamp(seconds, tz=UTC)
    text = stamp.isoformat().replace("+00:00", "Z")
    return text


def every_time(times: Sequence[float | None], ids: Sequence[str], why: str, fix: str) -> np.ndarray:
    """The samples' times (``created_at``) as an array, every one given; else a
    :class:`~priorkit.errors.ConfigError` that says ``why`` a time is needed, counts the samples
    without one, names the first and ends with ``fix``.

    Shapes:
        times, ids: (n,) -> (n,) float64.
    """
    t = np.asarray([np.nan if v is None else float(v) for v in times], dtype=np.float64)
    missing = np.flatnonzero(np.isnan(t))
    if len(missing):
        raise ConfigError(
            f"{why}; {len(missing)} of {len(t)} have none (first: sample {ids[missing[0]]!r}). {fix}"
        )
    return t
