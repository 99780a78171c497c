"""Automatic spotting: accuracy on synthetic event videos, and speed on 1080p (issue targets).

1. Accuracy: `tests/videos.py`'s event reel (a square bouncing off the floor and landing, pushed from rest
   into a wall and back to a dead stop, a one-frame white flash, a hard cut, a second square starting from
   rest and stopping: 11 known events, timings and sizes jittered per seed, bright squares on even seeds
   and dark on odd) at 24, 25 and 30000/1001 fps, 320x240 x264. An event is found if one of the same kind
   lands within +-1 frame; every other event is a false alarm. Targets: recall >= 90 %, false alarms
   <= 10 %. Still scenes with sensor noise count false alarms per minute of footage where nothing happens.
   The same reels shot with a shaking camera (`--shake` px of jitter at 320x240) check the compensation.
2. Speed: a 20 s 1080p30 x264 video (the reel's kind of motion, sensor noise), analysis wall time
   (probe, decode, FFmpeg downscale, detectors) against its duration; target >= 5x real time on 2 cores.
   Two bitstreams: a light one (~1.4 Mbit/s; x264 smooths most of the noise away) and a camera-like one
   (~11 Mbit/s). Decoding plus the downscale alone is timed too, to show what the detectors add.

    python bench/spot_accuracy.py --json bench/results/spot_accuracy.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from videos import RATES, SyntheticVideo, benchmark_reel, event_reel, still_scene

from foleykit.framesync.spot import ANALYSIS_WIDTH, KINDS, analysis_size, spot_events

BITSTREAMS = {"light": {"noise": 2.0, "crf": 20}, "camera": {"noise": 2.5, "crf": 18}}


def match(video: SyntheticVideo, events: list, tolerance: int) -> tuple[list, list, list]:
    """(hits as (truth, found), missed truths, false alarms): same kind within +-tolerance frames."""
    left = list(events)
    hits, missed = [], []
    for frame, kind in video.events:
        candidates = [e for e in left if e.kind == kind and abs(e.frame - frame) <= tolerance]
        if candidates:
            best = min(candidates, key=lambda e: abs(e.frame - frame))
            left.remove(best)
            hits.append(((frame, kind), best))
        else:
            missed.append((frame, kind))
    return hits, missed, left


def accuracy(
    seeds: int, sensitivities: list[float], tolerance: int, directory: Path, shake: float = 0.0
) -> dict:
    rows = []
    for rate in RATES:
        for seed in range(seeds):
            path = directory / f"reel_{rate.numerator}_{seed}_{shake}.mp4"
            video = event_reel(path, rate, seed=seed, shake=shake)
            for sensitivity in sensitivities:
                result = spot_events(video.path, sensitivity=sensitivity)
                hits, missed, extra = match(video, result.events, tolerance)
                rows.append(
                    {
                        "rate": str(rate),
                        "seed": seed,
                        "sensitivity": sensitivity,
                        "truth": len(video.events),
                        "found": len(result.events),
                        "hits": len(hits),
                        "exact": sum(found.frame == truth[0] for truth, found in hits),
                        "missed": missed,
                        "false_alarms": [(e.frame, e.kind, round(e.strength, 3)) for e in extra],
                        "per_kind": {
                            kind: [
                                sum(t[1] == kind for t, _ in hits),
                                sum(k == kind for _, k in video.events),
                            ]
                            for kind in KINDS
                        },
                    }
                )
    summary = {}
    for sensitivity in sensitivities:
        for rate in [*map(str, RATES), "all"]:
            chosen = [r for r in rows if r["sensitivity"] == sensitivity and rate in (r["rate"], "all")]
            truth, found = sum(r["truth"] for r in chosen), sum(r["found"] for r in chosen)
            hits = sum(r["hits"] for r in chosen)
            summary[f"{sensitivity}/{rate}"] = {
                "sensitivity": sensitivity,
                "rate": rate,
                "videos": len(chosen),
                "events": truth,
                "recall": hits / truth,
                "false_alarm_rate": (found - hits) / max(1, found),
                "exact_frame": sum(r["exact"] for r in chosen) / max(1, hits),
                "per_kind_recall": {
                    kind: sum(r["per_kind"][kind][0] for r in chosen)
                    / max(1, sum(r["per_kind"][kind][1] for r in chosen))
                    for kind in KINDS
                },
            }
    return {"summary": summary, "videos": rows}


def still_false_alarms(seeds: int, seconds: float, sensitivities: list[float], directory: Path) -> dict:
    videos = [
        still_scene(directory / f"still_{rate.numerator}_{seed}.mp4", rate, seconds, seed=seed)
        for rate in RATES
        for seed in range(seeds)
    ]
    minutes = sum(v.frame_count / float(v.rate) for v in videos) / 60
    out = {}
    for sensitivity in sensitivities:
        events = sum(len(spot_events(v.path, sensitivity=sensitivity).events) for v in videos)
        out[str(sensitivity)] = {
            "events": events,
            "minutes": round(minutes, 2),
            "per_minute": events / minutes,
        }
    return out


def decode_only(path: Path) -> float:
    """What `spot` spends before its detectors: the same decoder settings and FFmpeg downscale."""
    import av
    from av.video.reformatter import VideoReformatter

    began = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.options = {"skip_loop_filter": "noref"}
        width, height = analysis_size(stream.codec_context.width, stream.codec_context.height)
        scaler = VideoReformatter()
        for frame in container.decode(stream):
            scaler.reformat(
                frame, width=width, height=height, format="gray", interpolation="AREA"
            ).to_ndarray()
    return time.perf_counter() - began


def speed(seconds: float, rate: Fraction, repeats: int, bitstreams: list[str], directory: Path) -> dict:
    out = {}
    for name in bitstreams:
        path = directory / f"hd_{name}.mp4"
        made = time.perf_counter()
        video = benchmark_reel(path, rate, seconds, (1920, 1080), **BITSTREAMS[name])
        made = time.perf_counter() - made
        duration = video.frame_count / float(rate)
        spot_events(path)  # warm-up: page cache, imports
        runs = [spot_events(path).seconds for _ in range(repeats)]
        decode = [decode_only(path) for _ in range(repeats)]
        analysis = statistics.median(runs)
        out[name] = {
            "size": "1920x1080",
            "rate": str(rate),
            "frames": video.frame_count,
            "duration_s": duration,
            "mbit_s": round(path.stat().st_size * 8 / duration / 1e6, 2),
            "generate_s": round(made, 1),
            "analysis_s": round(analysis, 3),
            "analysis_runs_s": [round(r, 3) for r in runs],
            "x_realtime": round(duration / analysis, 2),
            "decode_and_downscale_s": round(statistics.median(decode), 3),
            "detectors_ms_per_frame": round(
                1000 * (analysis - statistics.median(decode)) / video.frame_count, 2
            ),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=6, help="event reels per rate")
    parser.add_argument("--sensitivity", type=float, nargs="+", default=[0.3, 0.5, 0.7])
    parser.add_argument("--tolerance", type=int, default=1, help="frames")
    parser.add_argument("--still-seconds", type=float, default=10.0)
    parser.add_argument("--shake", type=float, default=1.0, help="px of camera jitter for the shaky reels")
    parser.add_argument("--hd-seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bitstreams", nargs="*", default=list(BITSTREAMS), choices=list(BITSTREAMS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="spot_bench_") as tmp:
        directory = Path(tmp)
        began = time.perf_counter()
        acc = accuracy(args.seeds, args.sensitivity, args.tolerance, directory)
        still = still_false_alarms(2, args.still_seconds, args.sensitivity, directory)
        shaky = accuracy(args.seeds, [0.5], args.tolerance, directory, shake=args.shake)
        accuracy_s = time.perf_counter() - began
        fast = speed(args.hd_seconds, Fraction(30), args.repeats, args.bitstreams, directory)

    print(f"accuracy: {args.seeds} reels x {len(RATES)} rates, +-{args.tolerance} frame, same kind")
    print("  sens  rate        events  recall  false-alarms  exact-frame   per kind (recall)")
    for row in acc["summary"].values():
        kinds = " ".join(f"{k}={v:.2f}" for k, v in row["per_kind_recall"].items())
        print(
            f"  {row['sensitivity']:<4}  {row['rate']:<10}  {row['events']:>6}  {row['recall']:6.1%}  "
            f"{row['false_alarm_rate']:12.1%}  {row['exact_frame']:11.1%}   {kinds}"
        )
    row = shaky["summary"]["0.5/all"]
    print(
        f"  shaking camera ({args.shake:g} px), sensitivity 0.5: recall {row['recall']:.1%}, "
        f"false alarms {row['false_alarm_rate']:.1%} over {row['events']} events"
    )
    for sensitivity, row in still.items():
        print(f"  still scenes, sensitivity {sensitivity}: {row['events']} events in {row['minutes']} min")
    print(f"speed: 1080p30 x264, {args.hd_seconds:g} s, median of {args.repeats} (target >= 5x real time)")
    for name, row in fast.items():
        print(
            f"  {name:<7} {row['mbit_s']:5.1f} Mbit/s  analysis {row['analysis_s']:.2f} s = {row['x_realtime']:.1f}x "
            f"real time  (decode+downscale alone {row['decode_and_downscale_s']:.2f} s; detectors "
            f"{row['detectors_ms_per_frame']:.2f} ms/frame)"
        )
    if args.json:
        result = {
            "accuracy": acc,
            "still_false_alarms": still,
            "shaking_camera": {"shake_px": args.shake, **shaky},
            "speed": fast,
            "analysis_width": ANALYSIS_WIDTH,
            "accuracy_wall_s": round(accuracy_s, 1),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
