"""`sync.png`: one panel per cue, the mix ±15 ms around its mark, the mark and the re-measured transient.

An editor (or a reviewer of a bug report) sees at a glance that every hit sits on its frame line; a
numeric error in `spotting.csv` says the same, but a picture shows *what* the detector took as the hit.
Drawn with Pillow (already a dependency) rather than matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from foleykit.audio.io import write_atomic
from foleykit.framesync.placement import PlacedCue
from foleykit.framesync.timecode import SAMPLE_RATE
from foleykit.framesync.video import Programme

HALF_WINDOW = round(0.015 * SAMPLE_RATE)
PANEL_W, PANEL_H, TITLE_H = 300, 110, 16
COLUMNS = 4
MAX_PANELS = 48  # beyond that a picture stops being read; spotting.csv has every cue

BACKGROUND, WAVE, MARK, FOUND, TEXT, BAD = "#111418", "#7fb3d5", "#f4d03f", "#e74c3c", "#e5e8e8", "#ff6b6b"


def write_sync_plot(
    path: Path,
    mix: np.ndarray,
    placed: Sequence[PlacedCue],
    errors: Sequence[int | None],
    programme: Programme,
    *,
    force: bool = False,
    tolerance: int = 48,
) -> Path:
    from PIL import Image, ImageDraw

    shown = list(zip(placed, errors, strict=True))[:MAX_PANELS]
    rows = max(1, -(-len(shown) // COLUMNS))
    image = Image.new("RGB", (COLUMNS * PANEL_W, rows * (PANEL_H + TITLE_H)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    signal = np.abs(mix).max(axis=0)
    for index, (item, error) in enumerate(shown):
        x0 = (index % COLUMNS) * PANEL_W
        y0 = (index // COLUMNS) * (PANEL_H + TITLE_H)
        mark = item.cue.mark_sample
        lo, hi = mark - HALF_WINDOW, mark + HALF_WINDOW
        window = np.zeros(hi - lo, np.float32)
        a, b = max(lo, 0), min(hi, signal.size)
        if b > a:
            window[a - lo : b - lo] = signal[a:b]
        peak = float(window.max()) or 1.0
        edges = np.linspace(0, window.size, PANEL_W + 1).astype(int)[:-1]
        columns = np.maximum.reduceat(window, edges) / peak  # x = (sample - lo) × PANEL_W / window
        mid = y0 + TITLE_H + PANEL_H - 4
        for x, value in enumerate(columns):
            draw.line([(x0 + x, mid), (x0 + x, mid - int(value * (PANEL_H - 10)))], fill=WAVE)
        to_x = PANEL_W / (hi - lo)
        draw.line([(x0 + PANEL_W // 2, y0 + TITLE_H), (x0 + PANEL_W // 2, mid)], fill=MARK, width=1)
        if error is not None:
            fx = x0 + int((mark + error - lo) * to_x)
            draw.line([(fx, y0 + TITLE_H + 8), (fx, mid)], fill=FOUND, width=1)
        label = "start" if error is None else f"{1000 * error / SAMPLE_RATE:+.2f} ms"
        ok = error is None or abs(error) <= tolerance
        title = f"{item.cue.number} {programme.timecode_of(item.cue.mark_frame)} {label} {item.cue.name}"
        draw.text((x0 + 4, y0 + 2), title[:48], fill=TEXT if ok else BAD)
        draw.rectangle([x0, y0, x0 + PANEL_W - 1, y0 + PANEL_H + TITLE_H - 1], outline="#2c3e50")

    def writer(tmp: Path) -> None:
        image.save(tmp, format="PNG")

    return write_atomic(path, writer, force=force)
