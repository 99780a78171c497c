"""Audio post: 48 kHz via soxr, exact length, fades that spare the transient, -1 dBTP and BS.1770 targets."""

from __future__ import annotations

import json
import math

import numpy as np
import pyloudnorm
import pytest
import soxr

from foleykit.audio.post import (
    DELIVERY_SAMPLE_RATE,
    first_transient,
    remove_subsonic,
    to_delivery,
    true_peak,
)
from foleykit.errors import FoleykitError


def _tone(seconds: float, rate: int, freq: float = 440.0, amp: float = 0.3, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.tile(amp * np.sin(2 * np.pi * freq * t), (channels, 1)).astype(np.float32)


@pytest.mark.parametrize("rate", [16000, 22050, 24000, 44100, 48000])
@pytest.mark.parametrize("duration", [0.25, 1.0, 3.337])
def test_exact_length_at_48k(rate: int, duration: float) -> None:
    native = _tone(duration + 10 / rate, rate)
    out, _ = to_delivery(native, rate, duration)
    assert out.shape == (1, round(duration * DELIVERY_SAMPLE_RATE))
    assert out.dtype == np.float32


def test_resampling_is_band_limited_soxr() -> None:
    """A 1 kHz tone at 16 kHz comes out at 48 kHz as the same tone (no imaging above 8 kHz)."""
    out, _ = to_delivery(_tone(1.0, 16000, freq=1000.0), 16000, 1.0)
    spectrum = np.abs(np.fft.rfft(out[0] * np.hanning(out.shape[1])))
    freqs = np.fft.rfftfreq(out.shape[1], 1 / DELIVERY_SAMPLE_RATE)
    assert abs(freqs[spectrum.argmax()] - 1000.0) < 2.0
    above = spectrum[freqs > 8500].max() / spectrum.max()
    assert above < 1e-3
    expected = soxr.resample(_tone(1.0, 16000, freq=1000.0)[0], 16000, 48000, quality="VHQ")
    assert np.corrcoef(out[0, 1000:-1000], expected[1000:-1000])[0, 1] > 0.999


def test_peak_normalised_to_minus_one_dbtp() -> None:
    out, report = to_delivery(_tone(1.0, 48000, amp=0.05), 48000, 1.0)
    assert report.normalisation == "peak"
    assert 20 * math.log10(true_peak(out, DELIVERY_SAMPLE_RATE)) == pytest.approx(-1.0, abs=0.05)


def test_loudness_target_is_met_and_remeasurable() -> None:
    noise = np.random.default_rng(0).normal(0, 0.05, (1, 3 * 48000)).astype(np.float32)
    out, report = to_delivery(noise, 48000, 3.0, loudness_target=-23.0)
    measured = pyloudnorm.Meter(48000).integrated_loudness(out[0].astype(np.float64))
    assert report.normalisation == "loudness"
    assert measured == pytest.approx(-23.0, abs=0.2)


def test_loudness_that_would_clip_is_held_at_the_ceiling() -> None:
    click_train = np.zeros((1, 48000), dtype=np.float32)
    click_train[0, ::12000] = 0.5
    out, report = to_delivery(click_train, 48000, 1.0, loudness_target=-5.0)
    assert "ceiling" in report.note
    assert 20 * math.log10(true_peak(out, DELIVERY_SAMPLE_RATE)) <= -0.95


def test_short_clip_falls_back_to_peak_when_loudness_cannot_be_gated() -> None:
    _, report = to_delivery(_tone(0.2, 48000), 48000, 0.2, loudness_target=-20.0)
    assert report.normalisation == "peak"
    assert "BS.1770" in report.note


def test_fades_remove_clicks_but_spare_the_first_transient() -> None:
    rate = 48000
    audio = np.full((1, rate), 0.2, dtype=np.float32)  # a DC step at both ends
    out, report = to_delivery(audio, rate, 1.0)
    assert abs(out[0, 0]) < 0.01 and abs(out[0, -1]) < 0.01
    assert report.fade_in_samples > 0 and report.fade_out_samples > 0

    hit = np.zeros((1, rate), dtype=np.float32)
    hit[0, 60:] = 0.9 * np.exp(-np.arange(rate - 60) / 2000.0)  # a sharp attack 1.25 ms in
    out, report = to_delivery(hit, rate, 1.0)
    assert report.fade_in_samples <= 60
    assert first_transient(out) == first_transient(hit)
    assert abs(out[0, 60]) == pytest.approx(np.abs(out).max(), rel=1e-3)


def test_stereo_is_kept_and_channels_move_together() -> None:
    stereo = np.stack([_tone(1.0, 44100)[0], 0.5 * _tone(1.0, 44100)[0]])
    out, _ = to_delivery(stereo, 44100, 1.0)
    assert out.shape == (2, 48000)
    assert np.abs(out[1]).max() / np.abs(out[0]).max() == pytest.approx(0.5, rel=1e-3)


def test_silence_stays_silent_with_a_strict_json_report_and_nan_is_an_error() -> None:
    out, report = to_delivery(np.zeros((1, 16000), np.float32), 16000, 1.0)
    assert not out.any() and report.normalisation.startswith("none")
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["true_peak_dbtp"] is None
    bad = _tone(1.0, 16000)
    bad[0, 100] = np.nan
    with pytest.raises(FoleykitError, match="NaN"):
        to_delivery(bad, 16000, 1.0)


def test_a_short_model_output_is_an_error_not_silent_padding() -> None:
    with pytest.raises(FoleykitError, match="samples where"):
        to_delivery(_tone(0.5, 16000), 16000, 1.0)


def _hit_after(lead_s: float, total_s: float, rate: int, room_tone: float = 0.0) -> np.ndarray:
    """`lead_s` of silence (or room tone), then a decaying 700 Hz knock, at `rate`."""
    rng = np.random.default_rng(1)
    n = round(total_s * rate)
    audio = room_tone * rng.standard_normal(n)
    start = round(lead_s * rate)
    t = np.arange(n - start) / rate
    audio[start:] += 0.8 * np.sin(2 * np.pi * 700 * t) * np.exp(-t / 0.08)
    return audio[None].astype(np.float32)


@pytest.mark.parametrize(("lead", "room_tone"), [(0.3, 0.0), (0.25, 1e-3)])
def test_trim_starts_the_file_just_before_its_hit_and_keeps_the_length(lead: float, room_tone: float) -> None:
    from foleykit.audio.transients import find_transient

    rate, duration = 16000, 1.5
    native = _hit_after(lead, duration + 0.5, rate, room_tone)  # the engine asks for 0.5 s more
    out, report = to_delivery(native, rate, duration, trim=True)
    assert out.shape == (1, round(duration * DELIVERY_SAMPLE_RATE))
    hit = find_transient(out).sample
    assert abs(hit - 240) <= 48, f"5 ms (240 samples) before the hit, within 1 ms; got {hit}"
    trim = report.trim
    assert trim is not None and trim.padded_samples == 0
    # within 2 ms: over digital silence the detector also sees the resampler's pre-ringing (~1.5 ms)
    assert trim.cut_samples == pytest.approx(lead * DELIVERY_SAMPLE_RATE - 240, abs=96)
    assert report.to_dict()["trim"]["cut_seconds"] == pytest.approx(trim.cut_samples / 48000, abs=1e-4)
    untrimmed, plain = to_delivery(native, rate, duration)
    assert plain.trim is None and find_transient(untrimmed).sample > lead * DELIVERY_SAMPLE_RATE - 96


def test_trim_pads_with_silence_only_where_the_model_made_nothing_more() -> None:
    """A model at its longest clip cannot generate past the end: the rest is silence after a fade-out."""
    rate, duration = 48000, 1.0
    native = _hit_after(0.4, duration, rate, room_tone=0.01)  # no extra audio
    out, report = to_delivery(native, rate, duration, trim=True)
    assert out.shape == (1, 48000) and report.trim is not None
    padded = report.trim.padded_samples
    assert padded == report.trim.cut_samples > 0 and report.trim.extended_samples == 0
    assert not out[0, -padded:].any(), "silence at the end"
    assert np.abs(out[0, -padded - 24 : -padded]).max() < 0.05, "the sound fades out before the silence"
    from foleykit.engine import Take, take_warnings

    (warning,) = take_warnings([Take(1, 1, out, report, 0.0, (1,))])
    assert warning.startswith("take 1: trim cut more lead-in than the model could make up at the end")
    assert f"the last {padded / 48000:.1f} s are silence" in warning


def test_a_very_quiet_model_output_is_flagged() -> None:
    from foleykit.engine import Take, take_warnings

    _, loud = to_delivery(_tone(1.0, 48000, amp=0.5), 48000, 1.0)
    _, quiet = to_delivery(_tone(1.0, 48000, amp=1e-3), 48000, 1.0)
    assert not loud.very_quiet and quiet.very_quiet and quiet.gain_db > 50
    takes = [Take(k, k, np.zeros((1, 1)), post, 0.0, (k,)) for k, post in ((1, loud), (2, quiet), (3, quiet))]
    assert take_warnings(takes) == [
        f"takes 2, 3: the model's output was very quiet, {quiet.gain_db:.1f} dB of gain applied "
        "(its noise floor came up with it)"
    ]


def test_subsonic_removal_takes_dc_and_rumble_and_leaves_the_bass_and_the_hit_where_they_were() -> None:
    """remove_subsonic at 30 Hz: a DC offset and 12 Hz rumble go, 47 Hz loses ~0.2 dB and 100 Hz nothing, a hit's
    peak stays on its sample (zero phase); (channels, samples) and clips of a sample or two are fine."""
    rate = 24000
    t = np.arange(2 * rate) / rate

    def level_db(wave: np.ndarray, hz: float) -> float:
        middle = wave[rate // 2 : -rate // 2]  # away from the ends
        probe = np.exp(-2j * np.pi * hz * t[rate // 2 : -rate // 2])
        return 20 * math.log10(2 * abs((middle * probe).mean()))

    offset = 0.3 + 0.2 * np.sin(2 * np.pi * 12 * t)
    assert abs(remove_subsonic(offset, rate, 30.0)[rate // 2 : -rate // 2]).max() < 0.01
    for hz, loss in ((47.0, 0.3), (100.0, 0.02)):
        tone = np.sin(2 * np.pi * hz * t)
        assert -loss < level_db(remove_subsonic(tone + offset, rate, 30.0), hz) - level_db(tone, hz) <= 0.001
    hit = np.zeros(rate)
    hit[9000:9400] = np.hanning(400) * np.sin(2 * np.pi * 900 * np.arange(400) / rate)
    cleaned = remove_subsonic(hit + 0.4, rate, 30.0)
    assert cleaned.dtype == np.float32 and cleaned.shape == hit.shape
    assert int(np.argmax(np.abs(cleaned))) == int(np.argmax(np.abs(hit)))
    stereo = remove_subsonic(np.stack([hit + 0.4, hit - 0.4]), rate, 30.0)
    assert stereo.shape == (2, rate) and np.allclose(stereo[0], cleaned, atol=1e-6)
    impulse = np.zeros(rate)
    impulse[rate // 2] = 1.0
    response = remove_subsonic(impulse, rate, 30.0)  # zero phase: symmetric about the impulse
    before, after = response[rate // 2 - 2000 : rate // 2], response[rate // 2 + 2000 : rate // 2 : -1]
    assert np.allclose(before, after, atol=1e-6) and abs(before).max() > 1e-4
    with pytest.raises(ValueError, match="between 0 and 12000 Hz"):
        remove_subsonic(hit, rate, 0.0)
    assert remove_subsonic(np.array([0.5]), rate, 30.0).shape == (1,)
    assert remove_subsonic(np.array([0.5, 0.5, 0.5]), rate, 30.0).shape == (3,)
