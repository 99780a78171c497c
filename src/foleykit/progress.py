"""Progress bars on stderr: tqdm's live bars in a terminal, plain lines in a log.

A redirected stderr (a log file, CI, a server's log) gets no carriage returns and no cursor movement
(`ESC[A`, which tqdm uses to stack nested bars): each bar writes a whole line at most every
`LOG_INTERVAL_S` seconds, and one when it ends.
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

LOG_INTERVAL_S = 10.0
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} [{elapsed}<{remaining}, {rate_fmt}]"
_CONTROL = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PlainLines:
    """A text stream that turns tqdm's in-place redraws into whole lines: control sequences dropped,
    a carriage return, a newline or a flush (tqdm flushes after each redraw) ends a line, blank lines
    and repeats of the last line skipped. A bar that clears itself (`leave=False`) leaves nothing."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = ""
        self._last = ""

    def write(self, text: str) -> int:
        self._pending += _CONTROL.sub("", text)
        *lines, self._pending = re.split(r"[\r\n]", self._pending)
        for line in lines:
            self._line(line)
        return len(text)

    def flush(self) -> None:
        self._line(self._pending)
        self._pending = ""
        self.stream.flush()

    def _line(self, line: str) -> None:
        line = line.strip()
        state = line.split(" [")[0]  # the bar and its counts; a redraw with only new timings is no news
        if state and state != self._last:
            self.stream.write(line + "\n")
            self._last = state


def is_terminal(stream: TextIO | None = None) -> bool:
    stream = stream if stream is not None else sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def bar_options(disable: bool = False) -> dict[str, Any]:
    """tqdm keyword arguments for a bar on stderr (also for diffusers' `set_progress_bar_config`)."""
    if disable:
        return {"disable": True, "file": sys.stderr}
    if is_terminal():
        return {"file": sys.stderr}
    return {
        "file": PlainLines(sys.stderr),
        "mininterval": LOG_INTERVAL_S,
        "maxinterval": LOG_INTERVAL_S * 6,
        "bar_format": LOG_FORMAT,
        "ascii": True,
    }


def progress_bar(iterable: Any = None, *, disable: bool = False, **kwargs: Any) -> Any:
    """A tqdm bar (`tqdm.auto`, so Gradio's `track_tqdm` sees it) with `bar_options`."""
    from tqdm.auto import tqdm

    return tqdm(iterable, **{**bar_options(disable), **kwargs})
