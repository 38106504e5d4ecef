"""Parse and format times: ``12.5``, ``12.5s``, ``200ms``, ``1:02.5``, ``00:01:02:12`` (SMPTE), ``12f``."""

from __future__ import annotations

import re
from fractions import Fraction

from .exceptions import ParameterError

_UNIT = {
    "": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
}
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


def parse_fps(fps: str | float | Fraction | None) -> Fraction | None:
    """Parse a frame rate such as ``25``, ``29.97`` or ``30000/1001``."""
    if fps is None or isinstance(fps, Fraction):
        return fps
    try:
        f = Fraction(str(fps))
    except (ValueError, ZeroDivisionError) as e:
        raise ParameterError(f"invalid frame rate {fps!r}: use e.g. 25, 29.97 or 30000/1001") from e
    if f <= 0:
        raise ParameterError(f"invalid frame rate {fps!r}: must be positive")
    return f


def parse_time(text: str | float | int, fps: str | float | Fraction | None = None) -> float:
    """Parse a duration into seconds.

    Parameters
    ----------
    text : str or float
        ``12.5``, ``12.5s``, ``200ms``, ``1:02.5``, ``1:02:03.5``, ``00:01:02:12`` or ``00:01:02;12``
        (SMPTE, needs ``fps``; ``;`` means drop-frame), ``12f`` (frames, needs ``fps``).  Bare numbers
        are seconds.  A leading ``-`` negates.
    fps : str or float, optional
        Frame rate for frame counts and timecode.

    Returns
    -------
    float
        Seconds.

    Raises
    ------
    ParameterError
        If the text is not a recognised time.
    """
    if isinstance(text, (int, float)):
        return float(text)
    s = text.strip()
    sign = 1.0
    if s.startswith("-"):
        sign, s = -1.0, s[1:].strip()
    elif s.startswith("+"):
        s = s[1:].strip()
    m = re.fullmatch(rf"({_NUM})\s*(s|sec|ms|us|µs|min|m|h)?", s)
    if m:
        return sign * float(m.group(1)) * _UNIT[m.group(2) or ""]
    m = re.fullmatch(rf"({_NUM})\s*f", s)
    if m:
        rate = parse_fps(fps)
        if rate is None:
            raise ParameterError(f"{text!r} is a frame count: give --fps too")
        return sign * float(m.group(1)) / float(rate)
    m = re.fullmatch(r"(\d+):(\d{1,2}):(\d{1,2})([:;.])(\d{1,3})", s)
    if m and (m.group(4) in ":;" or fps is not None):
        if m.group(4) == ".":
            pass  # h:m:s.frac handled below
        else:
            rate = parse_fps(fps)
            if rate is None:
                raise ParameterError(f"{text!r} is a timecode: give --fps too")
            h, mi, se, fr = (int(m.group(i)) for i in (1, 2, 3, 5))
            if mi > 59 or se > 59:
                raise ParameterError(f"{text!r}: minutes and seconds of a timecode run from 00 to 59")
            return sign * _timecode_to_seconds(h, mi, se, fr, rate, drop=m.group(4) == ";")
    m = re.fullmatch(r"(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d*)?)", s)
    if m:
        h = int(m.group(1) or 0)
        if float(m.group(3)) >= 60 or (m.group(1) is not None and int(m.group(2)) > 59):
            raise ParameterError(f"{text!r}: seconds (and minutes after hours) run from 0 to 59 in H:MM:SS.s")
        return sign * (h * 3600 + int(m.group(2)) * 60 + float(m.group(3)))
    raise ParameterError(
        f"cannot read {text!r} as a time: use e.g. 12.5, 12.5s, 200ms, 1:02.5, 12f or 00:01:02:12 with --fps"
    )


def _timecode_to_seconds(h: int, m: int, s: int, f: int, fps: Fraction, drop: bool) -> float:
    nominal = round(float(fps))
    if f >= nominal:
        raise ParameterError(f"frame {f} out of range for {float(fps):g} fps")
    frames = ((h * 60 + m) * 60 + s) * nominal + f
    if drop:
        d = 2 if nominal == 30 else 4 if nominal == 60 else 0
        total_min = h * 60 + m
        frames -= d * (total_min - total_min // 10)
    return float(frames / fps)


def format_timecode(seconds: float, fps: str | float | Fraction, drop: bool | None = None) -> str:
    """Format seconds as SMPTE timecode ``HH:MM:SS:FF`` (``;`` before frames when drop-frame)."""
    rate = parse_fps(fps)
    assert rate is not None
    nominal = round(float(rate))
    if drop is None:
        drop = rate.denominator == 1001 and nominal in (30, 60)
    sign = "-" if seconds < 0 else ""
    frames = round(abs(seconds) * rate)
    if drop:
        d = 2 if nominal == 30 else 4
        per10 = nominal * 600 - d * 9
        per1 = nominal * 60 - d
        tens, rem = divmod(frames, per10)
        if rem > d:
            frames += d * 9 * tens + d * ((rem - d) // per1)
        else:
            frames += d * 9 * tens
    f = frames % nominal
    s = frames // nominal
    sep = ";" if drop else ":"
    return f"{sign}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{sep}{f:02d}"


def format_seconds(seconds: float, signed: bool = True) -> str:
    """Format seconds with microsecond precision, e.g. ``+12.254013 s``."""
    return f"{seconds:+.6f} s" if signed else f"{seconds:.6f} s"


def format_duration(seconds: float | None) -> str:
    """Human duration: ``48.0 s``, ``12:03.2``, ``1:02:03``."""
    if seconds is None:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{int(m)}:{s:04.1f}"
    h, m = divmod(m, 60)
    return f"{int(h)}:{int(m):02d}:{int(s):02d}"
