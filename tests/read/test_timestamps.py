from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from chainwatch.read.timestamps import parse_timestamp

from .conftest import corpus_file

ELASTIC_SIGNIN_TESTS = (
    "elastic-integrations/packages/azure/data_stream/signinlogs/_dev/test/pipeline"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-14T09:12:33", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("2024-05-14T09:12:33Z", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("2024-05-14T09:12:33.", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("2024-05-14T09:12:33.1Z", datetime(2024, 5, 14, 9, 12, 33, 100000, tzinfo=UTC)),
        ("2024-05-14T09:12:33.0000000Z", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("2024-05-14T09:12:33.123456789Z", datetime(2024, 5, 14, 9, 12, 33, 123456, tzinfo=UTC)),
        ("2024-05-14T11:12:33+02:00", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("2024-05-14T04:12:33-0500", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("2024-05-14 09:12:33", datetime(2024, 5, 14, 9, 12, 33, tzinfo=UTC)),
        ("5/14/2024 10:02:11 AM", datetime(2024, 5, 14, 10, 2, 11, tzinfo=UTC)),
        ("5/14/2024 12:02:11 AM", datetime(2024, 5, 14, 0, 2, 11, tzinfo=UTC)),
        ("5/14/2024 12:02:11 PM", datetime(2024, 5, 14, 12, 2, 11, tzinfo=UTC)),
        ("3/4/2024 9:15:02 PM", datetime(2024, 3, 4, 21, 15, 2, tzinfo=UTC)),
        ("11/14/2025 1:48:53 AM", datetime(2025, 11, 14, 1, 48, 53, tzinfo=UTC)),
        ("/Date(1658751973240)/", datetime(2022, 7, 25, 12, 26, 13, 240000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_shapes(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_parse_timestamp_result_is_utc() -> None:
    assert parse_timestamp("2024-05-14T11:12:33+02:00").tzinfo is UTC


def test_zoneless_time_is_utc_on_non_utc_host(non_utc_timezone: None) -> None:
    assert parse_timestamp("2024-03-10T01:30:00") == datetime(2024, 3, 10, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "yesterday",
        "2024-13-01T00:00:00",
        "2024-02-30T00:00:00",
        "14.05.2024 10:00",
        "5/14/2024 13:02:11 PM",
        "2024-05-14T09:12:33+25:00",
        "2024-05-14",
    ],
)
def test_parse_timestamp_rejects_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_parse_timestamp_error_names_value() -> None:
    with pytest.raises(ValueError, match="yesterday"):
        parse_timestamp("yesterday")


def test_elastic_time_corner_cases_match_expected() -> None:
    log = corpus_file(f"{ELASTIC_SIGNIN_TESTS}/test-time-formats-corner-cases.log")
    expected_file = corpus_file(
        f"{ELASTIC_SIGNIN_TESTS}/test-time-formats-corner-cases.log-expected.json"
    )
    inputs = [orjson.loads(line)["time"] for line in log.read_bytes().splitlines() if line.strip()]
    expected = [doc["@timestamp"] for doc in orjson.loads(expected_file.read_bytes())["expected"]]
    assert len(inputs) == len(expected)

    mismatches = []
    for text, want in zip(inputs, expected, strict=True):
        ours = parse_timestamp(text)
        # Elasticsearch keeps milliseconds, so compare at that precision.
        ours_ms = ours.replace(microsecond=ours.microsecond // 1000 * 1000)
        if ours_ms != parse_timestamp(want):
            mismatches.append((text, ours.isoformat(), want))
    assert mismatches == []
