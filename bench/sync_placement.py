"""Frame-sync accuracy and speed (issue 4 targets).

1. Placement accuracy: at every supported rate, 200 cues at random frames (≥ 4 frames apart), each a sound
   with a known transient (a click after 0–200 ms of room tone or silence, then a 50 ms noise ring). After
   placement and rendering, the true transient sample in the mix is compared with the mark: target ≤ 1 ms
   (48 samples) for every cue. The mix re-measurement that `sync` reports is checked too.
2. Speed: 500 audio cues on a 10-minute 25 fps programme through `foleykit.syncing.sync` (cue sheet
   parsing, reading and resampling the files, placement, the mix, re-measurement, every export: BWF mix and
   cue files, OTIO, EDLs, FCP XML, AAF, spotting list; no video, so no preview), with and without the
   AAF. Target ≤ 10 s on 2 cores.

    python bench/sync_placement.py --json bench/results/sync_placement.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf

from foleykit.framesync.cues import Cue
from foleykit.framesync.placement import CueSound, assign_lanes, measure_errors, place, render_mix
from foleykit.framesync.timecode import STANDARD_RATES, frame_to_sample
from foleykit.framesync.video import programme_from_rate


def _hit(rng: np.random.Generator, lead: int, quiet: bool) -> np.ndarray:
    sound = np.zeros(lead + 9600, np.float32)
    if not quiet:
        sound[:lead] = rng.normal(0, 0.003, lead)
    sound[lead] += 0.8
    ring = np.arange(2399)
    sound[lead + 1 : lead + 2400] += (0.3 * rng.normal(0, 1, 2399) * np.exp(-ring / 400)).astype(np.float32)
    return sound[None]


def accuracy(rate: Fraction, cues: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    programme = programme_from_rate(rate, 20 * 60)
    frames = 4 * np.sort(rng.choice(programme.frame_count // 4 - 3, cues, replace=False))
    sounds, leads = [], {}
    for number, frame in enumerate(frames, start=1):
        lead = int(rng.integers(0, 9600))
        cue = Cue(
            number, f"cue {number}", int(frame), frame_to_sample(int(frame), rate), f"c{number}", prompt="x"
        )
        sounds.append(CueSound(cue, _hit(rng, lead, quiet=bool(number % 2))))
        leads[number] = lead
    placed = assign_lanes([place(s, programme) for s in sounds])
    mix = render_mix(placed, programme)
    truth = [p.start_sample - p.trimmed_head + leads[p.cue.number] - p.cue.mark_sample for p in placed]
    measured = [e for e in measure_errors(mix, placed) if e is not None]
    return {
        "rate": f"{rate.numerator}/{rate.denominator}",
        "cues": cues,
        "max_true_error_samples": int(max(abs(e) for e in truth)),
        "max_measured_error_samples": int(max(abs(e) for e in measured)),
        "within_1ms": sum(abs(e) <= 48 for e in truth),
        "tracks": 1 + max(p.lane for p in placed),
    }


def speed(cues: int, seed: int, aaf: bool = True) -> dict:
    from foleykit.syncing import sync

    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sfx").mkdir()
        for k in range(20):  # 20 distinct sounds, 0.5–3 s, at 44.1 or 48 kHz
            rate = 44100 if k % 2 else 48000
            length = int(rng.uniform(0.5, 3.0) * rate)
            audio = rng.normal(0, 0.1, length) * np.exp(-np.arange(length) / (0.3 * rate))
            sf.write(root / "sfx" / f"s{k:02d}.wav", audio, rate, subtype="PCM_24")
        frames = np.sort(rng.choice(600 * 25, cues, replace=False))
        rows = ["frame,audio,name"] + [f"{f},sfx/s{i % 20:02d}.wav,cue {i}" for i, f in enumerate(frames)]
        (root / "cues.csv").write_text("\n".join(rows) + "\n")
        began = time.perf_counter()
        result = sync(
            root / "cues.csv", fps="25", length=600, start_tc="01:00:00:00", out_dir=root / "out", aaf=aaf
        )
        wall = time.perf_counter() - began
        return {
            "cues": cues,
            "aaf": aaf,
            "programme_s": 600,
            "wall_s": round(wall, 3),
            "timings": {k: round(v, 3) for k, v in result.timings.items()},
            "tracks": 1 + max(p.lane for p in result.cues),
            "max_measured_error_ms": result.max_error_ms,
            "files": sorted(k for k in result.files),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=200)
    parser.add_argument("--speed-cues", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = [accuracy(rate, args.cues, args.seed + i) for i, rate in enumerate(STANDARD_RATES)]
    print(f"{'rate':>12} {'cues':>5} {'≤1 ms':>6} {'max true':>9} {'max measured':>13} {'tracks':>7}")
    for r in rows:
        print(
            f"{r['rate']:>12} {r['cues']:>5} {r['within_1ms']:>6} {r['max_true_error_samples']:>9} "
            f"{r['max_measured_error_samples']:>13} {r['tracks']:>7}"
        )
    timing = [speed(args.speed_cues, args.seed, aaf=aaf) for aaf in (True, False)]
    for t in timing:
        print(
            f"{t['cues']} cues, 10 min, AAF {'on ' if t['aaf'] else 'off'}: {t['wall_s']:.2f} s ({t['timings']})"
        )
    if args.json:
        document = {"platform": platform.platform(), "accuracy": rows, "speed": timing}
        args.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
