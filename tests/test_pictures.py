"""Pictures people compare by eye: spectrograms with axes on one colour scale, and sync.png's panels."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from foleykit.audio import pictures
from foleykit.audio.bwf import BextInfo, write_bwf


def _noise_take(path: Path, level_db: float, seconds: float = 2.0) -> Path:
    rng = np.random.default_rng(0)
    audio = 10 ** (level_db / 20) * rng.standard_normal((1, round(seconds * 48000))) / 4
    return write_bwf(path, audio.astype(np.float32), 48000, BextInfo(0))


def _png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_one_colour_scale_for_every_take(tmp_path: Path) -> None:
    """The same noise 30 dB quieter looks darker: the scale is fixed in dBFS, not stretched per file."""
    loud = _png(pictures.spectrogram_png(_noise_take(tmp_path / "loud.wav", -6)))
    quiet = _png(pictures.spectrogram_png(_noise_take(tmp_path / "quiet.wav", -36)))
    plot = (slice(0, 90), slice(pictures.AXIS_LEFT, pictures.AXIS_LEFT + 360))
    assert loud[plot].mean() > quiet[plot].mean() + 20


def test_spectrograms_have_a_time_and_a_frequency_axis(tmp_path: Path) -> None:
    image = _png(pictures.spectrogram_png(_noise_take(tmp_path / "a.wav", -6, seconds=3.0), 360, 90))
    assert image.shape == (90 + pictures.AXIS_BOTTOM, pictures.AXIS_LEFT + 360 + 4, 3)
    background = np.array(pictures.BACKGROUND)
    left = image[:90, : pictures.AXIS_LEFT - 4]  # frequency labels
    below = image[90:, pictures.AXIS_LEFT :]  # time labels
    assert (np.abs(left - background).sum(axis=2) > 60).sum() > 40
    assert (np.abs(below - background).sum(axis=2) > 60).sum() > 80
    assert [round(t, 3) for t in pictures._time_ticks(3.0, 360)] == [0, 0.5, 1, 1.5, 2, 2.5, 3]


def test_a_low_tone_sits_low_and_a_high_tone_high(tmp_path: Path) -> None:
    """Frequency runs up the log axis: 100 Hz near the bottom, 8 kHz near the top."""
    t = np.arange(48000) / 48000
    rows = {}
    for hz in (100, 8000):
        path = write_bwf(tmp_path / f"{hz}.wav", 0.5 * np.sin(2 * np.pi * hz * t)[None], 48000, BextInfo(0))
        plot = _png(pictures.spectrogram_png(path, 200, 120))[
            :120, pictures.AXIS_LEFT : pictures.AXIS_LEFT + 200
        ]
        rows[hz] = int(plot.sum(axis=(1, 2)).argmax())
    low, high = np.log10(pictures.LOW_HZ), np.log10(24000)
    for hz, row in rows.items():
        expected = (high - np.log10(hz)) / (high - low) * 120
        assert abs(row - expected) <= 6, (hz, row, expected)  # 23 Hz bins are coarse at 100 Hz


@pytest.mark.parametrize(("cues", "grid"), [(1, (1, 1)), (3, (3, 1)), (5, (3, 2)), (6, (3, 2)), (9, (3, 3))])
def test_sync_plot_has_a_panel_per_cue_and_names_that_fit(
    tmp_path: Path, cues: int, grid: tuple[int, int]
) -> None:
    from foleykit.exports.sync_plot import PANEL_H, PANEL_W, _fit, draw_panels
    from foleykit.framesync.cues import Cue
    from foleykit.framesync.placement import CueSound, place, render_mix
    from foleykit.framesync.video import programme_from_rate

    programme = programme_from_rate(Fraction(25), 10.0)
    placed = []
    for number in range(1, cues + 1):
        audio = np.zeros((1, 9600), np.float32)
        audio[0, 1000:1400] = np.hanning(400)
        cue = Cue(
            number=number,
            where=f"row {number}",
            mark_frame=25 * number,
            mark_sample=25 * number * 1920,
            name="glass_shatter_on_a_very_long_name",
            audio=Path("x.wav"),
        )
        placed.append(place(CueSound(cue, audio, {"audio": "x.wav"}), programme))
    mix = render_mix(placed, programme)
    image = draw_panels(mix, placed, [3] * cues, programme)
    assert image.size == (grid[0] * PANEL_W, grid[1] * PANEL_H)  # at most one empty slot per row
    font = pytest.importorskip("PIL.ImageFont").load_default(size=11)
    fitted = _fit("1  00:00:01:00  transient +0.06 ms glass_shatter_on_a_very_long_name" * 2, font, 200)
    assert fitted.endswith("…") and font.getlength(fitted) <= 200
