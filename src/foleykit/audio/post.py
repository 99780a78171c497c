"""Audio post (DESIGN §2): 48 kHz (soxr), lead-in trim, exact length, click-free fades, true-peak or BS.1770
loudness; and DC and rumble removal, which training applies to recordings (`remove_subsonic`).

Arrays are float32, shaped (channels, samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import soxr

from foleykit.audio import DELIVERY_SAMPLE_RATE
from foleykit.audio.joins import fold_loop
from foleykit.errors import FoleykitError

PEAK_CEILING_DBFS = -1.0
FADE_IN_SECONDS = 0.005
FADE_OUT_SECONDS = 0.010
MIN_FADE_IN_SAMPLES = 12  # 0.25 ms at 48 kHz: removes a DC step, too short to blunt a transient
TRANSIENT_FRACTION = 0.25  # the first sample this close to the peak counts as the first transient
TRUE_PEAK_OVERSAMPLING = 4
TRUE_PEAK_BLOCK_SECONDS = 60
LOOP_OVERRUN_SECONDS = 2.0  # a loop is made this much longer (at most a quarter of it) and folded
BS1770_BLOCK_SECONDS = 0.4
TRIM_PRE_ROLL_SECONDS = 0.005  # what `trim` keeps before the first transient
TRIM_MARGIN_SECONDS = 0.5  # generated past the requested length so a trimmed take still fills it
LOUD_GAIN_DB = 24.0  # more gain than this lifts the model's noise floor with the sound: worth a warning


@dataclass(frozen=True)
class PostReport:
    """What post-processing did, for the sidecar."""

    normalisation: str
    gain_db: float
    true_peak_dbtp: float | None  # None for silence (JSON has no -inf)
    loudness_lufs: float | None
    fade_in_samples: int
    fade_out_samples: int
    note: str | None = None
    trim: TrimReport | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}
        out["trim"] = self.trim.to_dict() if self.trim else None
        return out

    @property
    def held_at_ceiling(self) -> bool:
        """A loudness target that would have clipped: the take stayed at the -1 dBTP ceiling instead."""
        return self.normalisation == "peak" and bool(self.note) and "ceiling" in str(self.note)

    @property
    def very_quiet(self) -> bool:
        """More than LOUD_GAIN_DB of gain was needed: the model's noise floor came up with the sound."""
        return self.gain_db > LOUD_GAIN_DB


@dataclass(frozen=True)
class TrimReport:
    """What `trim` cut from the head of a take and how its end was extended to keep the length."""

    cut_samples: int  # removed before the first transient (less TRIM_PRE_ROLL_SECONDS)
    transient_sample: int  # the first transient in the untrimmed audio
    extended_samples: int  # taken from audio generated past the requested length
    padded_samples: int  # silence added at the end where the model could not generate more

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "cut_seconds": round(self.cut_samples / DELIVERY_SAMPLE_RATE, 4)}


def resample(audio: np.ndarray, source_rate: int, target_rate: int = DELIVERY_SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling with soxr at its very-high-quality setting."""
    if source_rate == target_rate:
        return np.ascontiguousarray(audio, dtype=np.float32)
    out = soxr.resample(
        np.ascontiguousarray(audio.T, dtype=np.float32), source_rate, target_rate, quality="VHQ"
    )
    return np.ascontiguousarray(out.reshape(len(out), -1).T, dtype=np.float32)


MAX_PAD_SAMPLES = 8  # what resampling may round away; any larger shortfall is a bug, not something to hide


SUBSONIC_ORDER = 4  # Butterworth, run forward and back: 8th order in effect, zero phase


def remove_subsonic(audio: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """`audio` (samples,) or (channels, samples) without what lies below `cutoff_hz`: DC offset and rumble.

    Why: some published effects carry much of their power there (corpus7's footsteps 41-58 % in the two lowest
    STFT bins, mostly DC), where no listener hears it, but a 64-band log-mel's lowest band (23-94 Hz) does: a model
    taught on them learns that band loud and the mel decoder renders it as boom at 47-70 Hz (MODEL.md, session 47).
    Zero phase (scipy's `sosfiltfilt`), so no transient moves; float32 out. At 30 Hz a 47 Hz tone loses 0.24 dB,
    100 Hz none. A clip shorter than 2 samples has nothing to keep: zeros. `cutoff_hz` must lie between 0 and half
    the rate (ValueError)."""
    from scipy.signal import butter, sosfiltfilt

    if not 0 < cutoff_hz < sample_rate / 2:
        raise ValueError(
            f"a subsonic cutoff must lie between 0 and {sample_rate / 2:g} Hz, got {cutoff_hz!r}"
        )
    sos = butter(SUBSONIC_ORDER, cutoff_hz, btype="highpass", fs=sample_rate, output="sos")
    wave = np.asarray(audio, dtype=np.float64)
    if wave.shape[-1] < 2:
        return np.zeros_like(wave, dtype=np.float32)
    # padded by up to a tenth of a second, not sosfiltfilt's 15 samples: a clip that opens on an offset would
    # otherwise start with a swing (at 30 Hz the filter settles within that)
    padlen = min(wave.shape[-1] - 1, int(sample_rate) // 10)
    return np.ascontiguousarray(sosfiltfilt(sos, wave, axis=-1, padlen=padlen), dtype=np.float32)


def fit_length(audio: np.ndarray, samples: int) -> np.ndarray:
    """Exactly `samples` long: trimmed; padded only by the few samples a resampler may round away."""
    if audio.shape[1] >= samples:
        return audio[:, :samples]
    if samples - audio.shape[1] > MAX_PAD_SAMPLES:
        raise FoleykitError(f"the model returned {audio.shape[1]} samples where {samples} were needed")
    return np.pad(audio, ((0, 0), (0, samples - audio.shape[1])))


def trim_lead_in(audio: np.ndarray, samples: int, sample_rate: int) -> tuple[np.ndarray, TrimReport]:
    """Cut the silence or room tone before the first transient (keeping a 5 ms pre-roll), then fill
    `samples` from the audio generated after the requested end; silence only where there is none.

    The transient is the one `sync` places on a frame (foleykit.audio.transients), so a trimmed hit
    starts a few ms into its file, whatever lead-in the model put before it.
    """
    from foleykit.audio.transients import find_transient

    transient = find_transient(audio, sample_rate).sample
    cut = max(0, transient - round(TRIM_PRE_ROLL_SECONDS * sample_rate))
    kept = audio[:, cut : cut + samples]
    padded = samples - kept.shape[1]
    if padded > 0:  # the sound's own end fades out before the silence, never stops dead
        fade = min(round(FADE_OUT_SECONDS * sample_rate), kept.shape[1])
        kept = kept.copy()
        kept[:, kept.shape[1] - fade :] *= _fade_out_ramp(fade)
        kept = np.pad(kept, ((0, 0), (0, padded)))
    extended = min(cut, max(0, audio.shape[1] - samples))
    return np.ascontiguousarray(kept), TrimReport(cut, transient, extended, max(0, padded))


def first_transient(audio: np.ndarray, fraction: float = TRANSIENT_FRACTION) -> int:
    """Index of the first sample within `fraction` of the peak (any channel); 0 for silence."""
    envelope = np.abs(audio).max(axis=0)
    peak = float(envelope.max(initial=0.0))
    if peak == 0.0:
        return 0
    return int(np.argmax(envelope >= fraction * peak))


def apply_fades(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int, int]:
    """Raised-cosine fades so no file starts or ends with a click.

    The fade-in ends before the first transient (never shorter than 0.25 ms), so it never smears the attack.
    """
    audio = audio.copy()
    total = audio.shape[1]
    fade_in = min(
        round(FADE_IN_SECONDS * sample_rate), max(first_transient(audio), MIN_FADE_IN_SAMPLES), total
    )
    fade_out = min(round(FADE_OUT_SECONDS * sample_rate), total - fade_in)
    if fade_in > 0:
        audio[:, :fade_in] *= 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade_in) + 0.5) / fade_in)
    if fade_out > 0:
        audio[:, total - fade_out :] *= _fade_out_ramp(fade_out)
    return audio, fade_in, fade_out


def _fade_out_ramp(samples: int) -> np.ndarray:
    """Raised-cosine gain from 1 to 0 over `samples`."""
    return (0.5 + 0.5 * np.cos(np.pi * (np.arange(samples) + 0.5) / max(samples, 1))).astype(np.float32)


def true_peak(audio: np.ndarray, sample_rate: int) -> float:
    """Linear true peak (ITU-R BS.1770 style) from 4× oversampling; a long file is oversampled a minute at
    a time through one soxr stream (the same filter, without a copy four times its size)."""
    if audio.size == 0:
        return 0.0
    peak = float(np.abs(audio).max(initial=0.0))
    block = TRUE_PEAK_BLOCK_SECONDS * sample_rate
    if audio.shape[1] <= block:
        oversampled = resample(audio, sample_rate, sample_rate * TRUE_PEAK_OVERSAMPLING)
        return max(peak, float(np.abs(oversampled).max(initial=0.0)))
    stream = soxr.ResampleStream(
        sample_rate, sample_rate * TRUE_PEAK_OVERSAMPLING, audio.shape[0], dtype="float32", quality="VHQ"
    )
    for start in range(0, audio.shape[1], block):
        chunk = np.ascontiguousarray(audio[:, start : start + block].T, dtype=np.float32)
        out = stream.resample_chunk(chunk, last=start + block >= audio.shape[1])
        peak = max(peak, float(np.abs(out).max(initial=0.0)))
    return peak


def _db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else -math.inf


def integrated_loudness(audio: np.ndarray, sample_rate: int) -> float | None:
    """BS.1770 integrated loudness in LUFS (pyloudnorm); None when shorter than one 400 ms block or silent."""
    import pyloudnorm

    if audio.shape[1] <= BS1770_BLOCK_SECONDS * sample_rate:
        return None
    loudness = pyloudnorm.Meter(sample_rate).integrated_loudness(audio.T.astype(np.float64))
    return float(loudness) if math.isfinite(loudness) else None


def normalise(
    audio: np.ndarray, sample_rate: int, loudness_target: float | None = None
) -> tuple[np.ndarray, PostReport]:
    """Peak-normalise to -1 dBTP, or reach `loudness_target` LUFS without letting the true peak pass -1 dBTP."""
    peak = true_peak(audio, sample_rate)
    if peak == 0.0:
        return audio, PostReport("none (silent)", 0.0, None, None, 0, 0, "the model returned silence")
    ceiling_gain_db = PEAK_CEILING_DBFS - _db(peak)
    note = None
    mode = "peak"
    gain_db = ceiling_gain_db
    if loudness_target is not None:
        # Measured at the peak-normalised level, so a quiet raw model output is not lost under BS.1770's
        # -70 LUFS absolute gate.
        at_ceiling = integrated_loudness(audio * 10 ** (ceiling_gain_db / 20), sample_rate)
        if at_ceiling is None:
            note = "too short or too quiet for BS.1770 gating; peak-normalised instead"
        elif loudness_target > at_ceiling:
            note = f"{loudness_target} LUFS would clip; held at the -1 dBTP ceiling"
        else:
            mode = "loudness"
            gain_db = ceiling_gain_db + loudness_target - at_ceiling
    out = (audio * 10 ** (gain_db / 20)).astype(np.float32)
    return out, PostReport(
        normalisation=mode,
        gain_db=gain_db,
        true_peak_dbtp=_db(peak) + gain_db,
        loudness_lufs=integrated_loudness(out, sample_rate),
        fade_in_samples=0,
        fade_out_samples=0,
        note=note,
    )


def to_delivery(
    audio: np.ndarray,
    source_rate: int,
    duration: float,
    loudness_target: float | None = None,
    *,
    trim: bool = False,
    loop: bool = False,
) -> tuple[np.ndarray, PostReport]:
    """Model output → delivery audio: 48 kHz, lead-in trimmed (`trim`: the model was asked for
    TRIM_MARGIN_SECONDS more), exactly `duration`, faded, normalised. Returns audio and report.

    A `loop` (the model was asked for `loop_overrun(duration)` more) has that overrun folded into its head
    (foleykit.audio.joins.fold_loop) and no fades: its last sample runs on into its first."""
    audio = np.asarray(audio, dtype=np.float32)
    if not np.isfinite(audio).all():
        raise FoleykitError("the model produced NaN/infinite samples; try --dtype fp32")
    samples = round(duration * DELIVERY_SAMPLE_RATE)
    audio = resample(audio, source_rate)
    trimmed = None
    note = None
    if loop:
        overrun = round(loop_overrun(duration) * DELIVERY_SAMPLE_RATE)
        audio = fold_loop(fit_length(audio, samples + overrun), samples)
        fade_in = fade_out = 0
        note = f"loop: {overrun / DELIVERY_SAMPLE_RATE:g} s made past the end, crossfaded into the head; no fades"
    else:
        if trim:
            audio, trimmed = trim_lead_in(audio, samples, DELIVERY_SAMPLE_RATE)
        else:
            audio = fit_length(audio, samples)
        audio, fade_in, fade_out = apply_fades(audio, DELIVERY_SAMPLE_RATE)
    audio, report = normalise(audio, DELIVERY_SAMPLE_RATE, loudness_target)
    if note:
        note = f"{note}; {report.note}" if report.note else note
    return audio, PostReport(
        **{
            **report.__dict__,
            "fade_in_samples": fade_in,
            "fade_out_samples": fade_out,
            "trim": trimmed,
            "note": note or report.note,
        }
    )


def loop_overrun(duration: float) -> float:
    """Seconds made past a loop's end to fold into its head: 2 s, or a quarter of a short loop."""
    return min(LOOP_OVERRUN_SECONDS, duration / 4)
