"""What every marker reader shares: decoding editors' text files, and marker times → programme frames.

A marker's time is an absolute timecode (or an OTIO/FCP time from the file's own start timecode); it
lands on the programme frame with that timecode, counted from the programme's start timecode, exactly:
- timecode labels (EDL, Premiere, plain lists) carry no rate, so they are read at the programme's rate,
  drop-frame or not as the label (or the EDL's FCM line) says: 29.97 DF and NDF count the same frames,
  so either converts exactly; a label a rate cannot have (frame 25 at 25 fps) is refused;
- times with a rate (OTIO, FCP XML) convert to the programme's rate exactly, or within half a 48 kHz
  sample of a frame boundary (a 48 kHz OTIO time); anything between frames is refused.
"""

from __future__ import annotations

import codecs
import re
from fractions import Fraction
from pathlib import Path

from foleykit.errors import BadInputError
from foleykit.framesync.timecode import SAMPLE_RATE, Timecode, drop_frame_allowed, rate_label, snap_rate
from foleykit.framesync.video import Programme

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DEFAULT_NAME = re.compile(r"^(marker|locator|sequence marker|chapter)\s*\d*$", re.IGNORECASE)
_DROP_SEPARATORS = ";.,"


def text_encoding(data: bytes) -> str:
    """How editors' text is encoded: by its BOM, UTF-16 without one (every other byte of ASCII text is
    zero), else UTF-8."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is None and len(data) >= 4 and data[1::2][:2] == b"\0\0":
        encoding = "utf-16-le"
    return encoding or "utf-8"


def decode_head(data: bytes) -> str:
    """The start of a text file as `decode` reads it, undecodable bytes dropped (to sniff a format)."""
    return data.decode(text_encoding(data), errors="ignore")


def decode(path: Path, what: str = "marker file") -> str:
    """A text file as editors write it: UTF-8 (with or without BOM) or UTF-16 with its BOM (Premiere)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"{what} {path} does not exist") from None
    except OSError as err:
        raise BadInputError(f"{what} {path} cannot be read: {err.strerror or err}") from None
    try:
        return data.decode(text_encoding(data))
    except UnicodeDecodeError as err:
        raise BadInputError(
            f"{what} {path} is not UTF-8 or UTF-16 text (byte {err.start}); save it as UTF-8"
        ) from None


def sound_text(name: str, comment: str) -> str:
    """What a marker asks for: its name, or its comment where the name is empty or a tool's default."""
    name, comment = " ".join(name.split()), " ".join(comment.split())
    if name and not _DEFAULT_NAME.match(name):
        return name
    return comment  # a default name alone asks for nothing: empty, refused by the caller


def is_drop_label(text: str) -> bool:
    return any(sep in text.strip()[-3:] for sep in _DROP_SEPARATORS)


def frame_of_timecode(text: str, programme: Programme, *, drop: bool | None = None) -> int:
    """The programme frame (from its first frame) a timecode label names. A `;` (or `.`/`,`) before the
    frames says drop-frame; `drop=True` (an EDL's FCM line) makes an all-colon label drop-frame too, at
    the rates that have it."""
    label = text.strip()
    is_drop = is_drop_label(label)
    if drop and not is_drop and drop_frame_allowed(programme.rate):
        is_drop, label = True, label[:-3] + ";" + label[-2:]
    absolute = Timecode(programme.rate, is_drop).to_frame(label)
    return _in_programme(absolute, programme, f"timecode {text.strip()}")


def frame_of_time(value: float, rate: float, programme: Programme, what: str) -> int:
    """The programme frame of an absolute time `value` at `rate` (frames since midnight)."""
    exact_rate = snap_rate(Fraction(rate).limit_denominator(1_000_000))
    frames = Fraction(value).limit_denominator(1_000_000) * programme.rate / exact_rate
    nearest = round(frames)
    if abs(frames - nearest) * SAMPLE_RATE / programme.rate > Fraction(1, 2):
        raise BadInputError(
            f"{what} is between frames at the programme's {rate_label(programme.rate)} fps "
            f"({float(value):g} at {float(rate):g}/s); move it onto a frame"
        )
    return _in_programme(nearest, programme, what)


def _in_programme(absolute: int, programme: Programme, what: str) -> int:
    frame = absolute - programme.start_frame
    if frame < 0:
        raise BadInputError(
            f"{what} is before the programme's start timecode {programme.start_timecode} "
            "(give the picture's start with --start-tc)"
        )
    if frame >= programme.frame_count:
        end = programme.timecode_of(programme.frame_count)
        raise BadInputError(
            f"{what} is at or after the programme end ({end}, {programme.frame_count} frames from "
            f"{programme.start_timecode}; a marker list from another start timecode needs --start-tc)"
        )
    return frame


__all__ = [
    "decode",
    "decode_head",
    "frame_of_time",
    "frame_of_timecode",
    "is_drop_label",
    "sound_text",
    "text_encoding",
]
