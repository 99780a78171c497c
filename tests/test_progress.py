"""Progress in a log: whole lines, no redraw codes, nothing stale from bars that clear themselves."""

from __future__ import annotations

import io

from tqdm import tqdm

from foleykit.progress import LOG_FORMAT, PlainLines


def test_redraws_become_lines_and_a_cleared_bar_leaves_nothing_stale() -> None:
    sink = io.StringIO()
    options = {"file": PlainLines(sink), "mininterval": 0, "bar_format": LOG_FORMAT, "ascii": True}
    with tqdm(total=2, desc="takes", unit="take", **options) as outer:
        for _ in range(2):
            for _ in tqdm(range(3), desc="steps", leave=False, position=1, **options):
                pass
            outer.update(1)
    text = sink.getvalue()
    assert "\r" not in text and "\x1b" not in text
    steps = [f"steps: {n}/3 it" for n in range(4)]
    assert [line.split(" [")[0] for line in text.splitlines()] == [
        "takes: 0/2 take",
        *steps,
        "takes: 1/2 take",
        *steps,
        "takes: 2/2 take",  # once: the closing redraw repeats it with new timings only
    ]
