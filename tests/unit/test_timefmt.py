from fractions import Fraction

import pytest

from syncmm.exceptions import ParameterError
from syncmm.timefmt import format_duration, format_timecode, parse_fps, parse_time


@pytest.mark.parametrize(
    ("text", "fps", "expected"),
    [
        ("12.5", None, 12.5),
        ("12.5s", None, 12.5),
        ("200ms", None, 0.2),
        ("-40ms", None, -0.04),
        ("1:02.5", None, 62.5),
        ("1:00:02.5", None, 3602.5),
        ("12f", "25", 0.48),
        ("00:01:02:12", "25", 62.48),
        ("00:00:01:00", "30000/1001", 30 / (30000 / 1001)),
        ("00:01:00;02", "30000/1001", 1800 / (30000 / 1001)),
        ("2min", None, 120.0),
        (3, None, 3.0),
    ],
)
def test_parse_time(text, fps, expected):
    assert parse_time(text, fps) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("text", ["", "abc", "12x", "1:2:3:4:5"])
def test_parse_time_rejects(text):
    with pytest.raises(ParameterError):
        parse_time(text)


def test_frames_need_fps():
    with pytest.raises(ParameterError, match="--fps"):
        parse_time("12f")
    with pytest.raises(ParameterError, match="--fps"):
        parse_time("00:00:01:12")


def test_timecode_roundtrip_drop_frame():
    fps = Fraction(30000, 1001)
    for frames in (0, 1799, 1800, 17982, 107892):
        tc = format_timecode(frames / fps, fps)
        assert parse_time(tc, fps) == pytest.approx(float(frames / fps), abs=1e-9), tc
    assert format_timecode(1800 / fps, fps) == "00:01:00;02"
    assert format_timecode(62.48, 25) == "00:01:02:12"


def test_parse_fps_and_duration():
    assert parse_fps("30000/1001") == Fraction(30000, 1001)
    with pytest.raises(ParameterError):
        parse_fps("0")
    assert format_duration(48.04) == "48.0 s"
    assert format_duration(3725) == "1:02:05"
