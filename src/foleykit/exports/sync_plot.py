"""`sync.png`: one panel per cue, the mix ±15 ms around its mark, the mark and the re-measured transient.

An editor (or a reviewer of a bug report) sees at a glance that every hit sits on its frame line; a
numeric error in `spotting.csv` says the same, but a picture shows *what* the detector took as the hit.
Each panel has a time axis in ms from the mark; the grid is as even as the count allows (3 cues: one row
of 3; 5: 3 + 2; 6: 3 + 3), at most 4 panels wide.
Drawn with Pillow (already a dependency) rather than matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.placement import PlacedCue
from foleykit.framesync.timecode import SAMPLE_RATE
from foleykit.framesync.video import Programme

HALF_WINDOW_MS = 15
HALF_WINDOW = round(HALF_WINDOW_MS / 1000 * SAMPLE_RATE)
TICK_MS = 5
PANEL_W, PLOT_H, TITLE_H, AXIS_H = 300, 96, 30, 16
PANEL_H = TITLE_H + PLOT_H + AXIS_H
COLUMNS = 4
MAX_PANELS = 48  # beyond that a picture stops being read; spotting.csv has every cue

BACKGROUND, WAVE, MARK, FOUND, TEXT, BAD = "#111418", "#7fb3d5", "#f4d03f", "#e74c3c", "#e5e8e8", "#ff6b6b"
AXIS, FRAME = "#95a5a6", "#2c3e50"


def _fit(text: str, font: object, width: int) -> str:
    """`text`, shortened with an ellipsis to fit `width` pixels."""
    if font.getlength(text) <= width:  # type: ignore[attr-defined]
        return text
    while text and font.getlength(text + "…") > width:  # type: ignore[attr-defined]
        text = text[:-1]
    return text + "…"


def write_to_file(model: PlacedProgramme, path: Path, *, tolerance: int = 48) -> None:
    """sync.png: a panel per cue (the first MAX_PANELS), the mix around its mark and where its hit is."""
    draw_panels(model.mix, model.cues, model.errors, model.programme, tolerance=tolerance).save(
        path, format="PNG"
    )


def draw_panels(
    mix: np.ndarray,
    placed: Sequence[PlacedCue],
    errors: Sequence[int | None],
    programme: Programme,
    *,
    tolerance: int = 48,
) -> Any:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=11)
    small = ImageFont.load_default(size=9)
    shown = list(zip(placed, errors, strict=True))[:MAX_PANELS]
    rows = max(1, -(-len(shown) // COLUMNS))
    columns = max(1, -(-len(shown) // rows))
    image = Image.new("RGB", (columns * PANEL_W, rows * PANEL_H), BACKGROUND)
    draw = ImageDraw.Draw(image)
    signal = np.abs(mix).max(axis=0)
    plot_w = PANEL_W - 8
    for index, (item, error) in enumerate(shown):
        x0 = (index % columns) * PANEL_W + 4
        y0 = (index // columns) * PANEL_H
        mark = item.cue.mark_sample
        lo, hi = mark - HALF_WINDOW, mark + HALF_WINDOW
        window = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, signal.size)
        if b > a:
            window[a - lo : b - lo] = signal[a:b]
        peak = float(window.max())
        base = y0 + TITLE_H + PLOT_H - 2  # the plot's zero line
        to_x = (plot_w - 1) / (hi - lo)
        if peak > 0:
            edges = np.linspace(0, window.size, plot_w + 1).astype(int)[:-1]
            columns_peak = np.maximum.reduceat(window, edges) / peak
            for x, value in enumerate(columns_peak):
                draw.line([(x0 + x, base), (x0 + x, base - int(value * (PLOT_H - 8)))], fill=WAVE)
        else:
            draw.text((x0 + 6, base - PLOT_H // 2), "silent around the mark", fill=AXIS, font=small)
        for ms in range(-HALF_WINDOW_MS, HALF_WINDOW_MS + 1, TICK_MS):
            x = x0 + round((mark + ms * SAMPLE_RATE / 1000 - lo) * to_x)
            draw.line([(x, base + 1), (x, base + 3)], fill=AXIS)
            anchor = "lt" if ms == -HALF_WINDOW_MS else ("rt" if ms == HALF_WINDOW_MS else "mt")
            label = f"{ms:+d}" if ms else "0 ms"
            draw.text((x, base + 4), label, fill=AXIS, font=small, anchor=anchor)
        draw.line(
            [(x0 + round(HALF_WINDOW * to_x), y0 + TITLE_H), (x0 + round(HALF_WINDOW * to_x), base)],
            fill=MARK,
        )
        if error is not None:
            fx = x0 + round((mark + error - lo) * to_x)
            draw.line([(fx, y0 + TITLE_H + 6), (fx, base)], fill=FOUND, width=1)
        label = "placed by its start" if error is None else f"transient {1000 * error / SAMPLE_RATE:+.2f} ms"
        ok = error is None or abs(error) <= tolerance
        first = f"{item.cue.number}  {programme.timecode_of(item.cue.mark_frame)}  {label}"
        draw.text((x0 + 2, y0 + 3), _fit(first, font, plot_w - 4), fill=TEXT if ok else BAD, font=font)
        draw.text((x0 + 2, y0 + 16), _fit(item.cue.name, font, plot_w - 4), fill=AXIS, font=font)
        draw.rectangle([x0 - 4, y0, x0 - 4 + PANEL_W - 1, y0 + PANEL_H - 1], outline=FRAME)
    return image
