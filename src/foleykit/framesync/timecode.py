"""Exact frame rates and SMPTE timecode (DESIGN §3): rationals only, never 23.976 in arithmetic.

Written by hand rather than with `opentimelineio.opentime`, whose timecode functions take float rates;
the tests check every conversion here against OTIO's own implementation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from foleykit.audio import DELIVERY_SAMPLE_RATE as SAMPLE_RATE  # every placement is at the delivery rate
from foleykit.errors import BadInputError

STANDARD_RATES: tuple[Fraction, ...] = tuple(
    Fraction(r) for r in ("24000/1001", "24", "25", "30000/1001", "30", "48", "50", "60000/1001", "60")
)
# Ways people write the NTSC rates; a decimal is only ever a name for one of these exact rationals.
_DECIMAL_NAMES = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "59.94": Fraction(60000, 1001),
}
# HH:MM:SS:FF, drop-frame HH:MM:SS;FF (also . or ,), and Premiere's all-semicolon HH;MM;SS;FF
_TIMECODE = re.compile(r"^(\d{1,2})[:;](\d{2})[:;](\d{2})([:;.,])(\d{2})$")


def snap_rate(rate: Fraction, tolerance: float = 2e-4) -> Fraction:
    """A container's rate (2997/100, say) as the standard rational it stands for; others stay as they are.

    The tolerance is well under the 1/1001 that separates 24 from 24000/1001.
    """
    if rate in STANDARD_RATES:
        return rate
    for standard in STANDARD_RATES:
        if abs(rate - standard) <= standard * Fraction(tolerance):
            return standard
    return rate


def parse_rate(text: str | int | Fraction) -> Fraction:
    """'24000/1001', '23.976', '29.97', '25' → exact rational; a rate that names nothing standard is refused."""
    if isinstance(text, Fraction):
        rate = text
    else:
        raw = str(text).strip()
        try:
            rate = _DECIMAL_NAMES.get(raw) or Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise BadInputError(
                f"frame rate {raw!r} is not a number (e.g. 24, 25, 24000/1001, 29.97)"
            ) from None
    snapped = snap_rate(rate)
    if snapped not in STANDARD_RATES:
        names = ", ".join(str(r) for r in STANDARD_RATES)
        raise BadInputError(f"frame rate {text} is not one foleykit supports ({names})")
    return snapped


def rate_label(rate: Fraction) -> str:
    """'24', '29.97', '23.976': how editors name a rate (for file metadata, not arithmetic)."""
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def nominal_fps(rate: Fraction) -> int:
    """Frames per timecode second: 30 for 30000/1001."""
    return round(rate)


def drop_frame_allowed(rate: Fraction) -> bool:
    return rate in (Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass(frozen=True)
class Timecode:
    """A timecode format: a rate and whether it counts drop-frame."""

    rate: Fraction
    drop_frame: bool = False

    def __post_init__(self) -> None:
        if self.drop_frame and not drop_frame_allowed(self.rate):
            raise BadInputError(f"drop-frame timecode needs 29.97 or 59.94 fps, not {rate_label(self.rate)}")

    @property
    def fps(self) -> int:
        return nominal_fps(self.rate)

    @property
    def _dropped(self) -> int:  # frame numbers skipped each minute but every tenth
        return 2 * self.fps // 30 if self.drop_frame else 0

    def to_frame(self, text: str) -> int:
        """Frames since 00:00:00:00 for a timecode string; `;` (or `.`/`,`) before the frames means drop-frame."""
        match = _TIMECODE.match(str(text).strip())
        if not match:
            raise BadInputError(f"timecode {text!r} is not HH:MM:SS:FF (or HH:MM:SS;FF for drop-frame)")
        hh, mm, ss, sep, ff = match.groups()
        hours, minutes, seconds, frames = int(hh), int(mm), int(ss), int(ff)
        is_drop = sep in ";.,"
        if is_drop and not self.drop_frame:
            if not drop_frame_allowed(self.rate):
                raise BadInputError(
                    f"timecode {text!r} is drop-frame, but {rate_label(self.rate)} fps has no drop-frame"
                )
            raise BadInputError(f"timecode {text!r} is drop-frame, but this programme's timecode is non-drop")
        if not is_drop and self.drop_frame:
            raise BadInputError(
                f"timecode {text!r} is non-drop, but this programme's timecode is drop-frame (use ;)"
            )
        if hours > 23 or minutes > 59 or seconds > 59 or frames >= self.fps:
            raise BadInputError(f"timecode {text!r} is out of range at {rate_label(self.rate)} fps")
        drop = self._dropped
        if drop and seconds == 0 and frames < drop and minutes % 10:
            raise BadInputError(
                f"timecode {text!r} does not exist in drop-frame (frames 0–{drop - 1} are skipped)"
            )
        total_minutes = 60 * hours + minutes
        return (
            (3600 * hours + 60 * minutes + seconds) * self.fps
            + frames
            - drop * (total_minutes - total_minutes // 10)
        )

    def to_string(self, frame: int) -> str:
        """The timecode of a frame count since midnight (wraps at 24 h, as timecode does)."""
        fps, drop = self.fps, self._dropped
        frame %= fps * 86400 - (drop * (1440 - 144))
        if drop:
            per_ten_minutes = fps * 600 - 9 * drop
            per_minute = fps * 60 - drop
            tens, rest = divmod(frame, per_ten_minutes)
            frame += 9 * drop * tens + (drop * ((rest - drop) // per_minute) if rest >= drop else 0)
        seconds, ff = divmod(frame, fps)
        minutes, ss = divmod(seconds, 60)
        hh, mm = divmod(minutes, 60)
        return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop else ':'}{ff:02d}"


def frame_to_sample(frame: int | Fraction, rate: Fraction, sample_rate: int = SAMPLE_RATE) -> int:
    """DESIGN §3: sample = round(frame × 48000 × den / num), exactly."""
    return round(Fraction(frame) * sample_rate / rate)


def sample_to_frame(sample: int, rate: Fraction, sample_rate: int = SAMPLE_RATE) -> int:
    """The frame a sample falls in, with frame starts as `frame_to_sample` rounds them."""
    frame = int((Fraction(sample) * rate) // sample_rate)
    if frame_to_sample(frame + 1, rate, sample_rate) <= sample:
        return frame + 1
    if frame_to_sample(frame, rate, sample_rate) > sample:
        return frame - 1
    return frame


def seconds_to_sample(seconds: float | Fraction, sample_rate: int = SAMPLE_RATE) -> int:
    return round(Fraction(seconds) * sample_rate)
