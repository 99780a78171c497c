"""`foleykit` command line: a thin shell over the Python API (DESIGN §6).

Exit codes: 0 success, 2 bad input, 1 other failure; errors are one line on stderr. With `--json`, stdout
carries exactly one JSON document and progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from foleykit import __version__
from foleykit.backends.base import Speedups
from foleykit.errors import BadInputError, FoleykitError

PROG = "foleykit"


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, exit code 2, and starts as every other error does
    (`foleykit: error:`, not `foleykit generate: error:`); the command's own --help is named."""

    def error(self, message: str) -> NoReturn:
        program = self.prog.split()[0]
        self.exit(2, f"{program}: error: {message} (see {self.prog} --help)\n")


def _quiet_libraries() -> None:
    """Keep stderr for our progress bars and errors: no library load reports or deprecation notices.

    Environment switches only, read when those libraries are imported: importing them here would make
    every bad-input error wait seconds for torch.
    """
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    warnings.filterwarnings("ignore")


def _add_speedup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the denoiser (slow first call, kernels cached; worth it on a GPU for many takes)",
    )
    parser.add_argument(
        "--crop-window",
        action="store_true",
        help="Stable Audio Open: denoise only the length asked for, not the whole 47.55 s window "
        "(much faster for short sounds; not the stock pipeline's output)",
    )


def _speedups(args: argparse.Namespace) -> Speedups:
    return Speedups(compile=args.compile, crop_window=args.crop_window)


def _build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog=PROG, description="Text-to-audio diffusion for foley and sound design.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineErrorParser)

    gen = commands.add_parser("generate", help="generate takes of a sound from a text prompt")
    gen.add_argument("prompt", help='what the sound is, e.g. "footsteps on gravel, slow"')
    gen.add_argument(
        "--model", default="bundled", help="alias (see `foleykit models`), hub id or local directory"
    )
    gen.add_argument("--negative", default=None, help="what the sound should not be")
    gen.add_argument(
        "--duration",
        type=float,
        default=4.0,
        help="seconds (default 4; up to 1800: past the model's window, made window by window)",
    )
    gen.add_argument("--takes", type=int, default=1, help="number of variations (default 1)")
    gen.add_argument(
        "--seed", type=int, default=None, help="seed of take 1; take k uses seed+k-1 (default random)"
    )
    gen.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
    gen.add_argument(
        "--guidance", type=float, default=None, help="classifier-free guidance (default: the model's)"
    )
    _add_anchor_argument(gen)
    gen.add_argument(
        "--loudness", type=float, default=None, metavar="LUFS", help="normalise to this loudness"
    )
    gen.add_argument("--name", default=None, help="file name stem instead of one made from the prompt")
    gen.add_argument("--out", default="outputs", help="output directory (default outputs/)")
    gen.add_argument("--force", action="store_true", help="overwrite existing files")
    gen.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    gen.add_argument("--dtype", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    _add_speedup_arguments(gen)
    gen.add_argument(
        "--trim",
        action="store_true",
        help="cut the lead-in before the first transient; the end is extended to keep the length",
    )
    gen.add_argument(
        "--loop",
        action="store_true",
        help="a seamless loop (end runs on into start), loop points in the WAV's smpl chunk",
    )
    gen.add_argument(
        "--batch-size",
        type=int,
        default=8,
        help="takes per pipeline call (default 8); a sidecar's command gives the batch its take was made in, "
        "since the batch shape changes the last bits",
    )
    gen.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    gen.set_defaults(run=_run_generate)

    ev = commands.add_parser("eval", help="measure a model with a classifier trained on synthesised foley")
    ev.add_argument("--model", default="bundled", help="alias, hub id or local directory (default bundled)")
    ev.add_argument(
        "--prompts", type=Path, default=None, metavar="FILE", help="also score 'label<TAB>prompt' lines"
    )
    ev.add_argument(
        "--paraphrases",
        action="store_true",
        help="score foleykit's own paraphrase set (48 prompts no template uses)",
    )
    ev.add_argument("--takes-per-class", type=int, default=10, help="template prompts per class (default 10)")
    ev.add_argument(
        "--corpus",
        type=Path,
        default=None,
        metavar="DIR",
        help="real recordings (python -m foleykit.corpus build DIR): adds the independent judge's scores",
    )
    ev.add_argument(
        "--takes-per-clip", type=int, default=2, help="judge: takes per real test recording (default 2)"
    )
    ev.add_argument(
        "--judge-first-seed",
        type=int,
        default=0,
        metavar="SEED",
        help="judge: the first take's seed (default 0); a confirmatory run starts past the seeds an "
        "earlier run used (it used prompts × takes of them)",
    )
    ev.add_argument(
        "--compare",
        type=Path,
        default=None,
        metavar="EVAL_JSON",
        help="an earlier eval.json on the same corpus: take-for-take differences, with their intervals",
    )
    ev.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
    ev.add_argument("--guidance", type=float, default=None, help="guidance (default: the model's)")
    ev.add_argument(
        "--out", type=Path, default=Path("outputs/eval"), help="report folder (default outputs/eval)"
    )
    ev.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    ev.add_argument("--dtype", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    ev.add_argument(
        "--classifier-clips", type=int, default=None, help="classifier clips per class (quick runs)"
    )
    ev.add_argument("--classifier-epochs", type=int, default=None, help="classifier epochs (quick runs)")
    ev.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    ev.set_defaults(run=_run_eval)

    bat = commands.add_parser("batch", help="generate every sound of a prompt file (resumable; accelerate)")
    bat.add_argument("file", type=Path, help="prompt file: .toml ([defaults], [[sound]]), .csv or .jsonl")
    bat.add_argument(
        "--out", type=Path, default=Path("outputs/batch"), help="output root (default outputs/batch)"
    )
    bat.add_argument("--force", action="store_true", help="make every take again, even finished ones")
    bat.add_argument("--batch-size", type=int, default=8, help="takes per pipeline call (default 8)")
    bat.add_argument("--no-report", action="store_true", help="skip report.html")
    bat.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    bat.add_argument("--dtype", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    _add_speedup_arguments(bat)
    bat.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    bat.set_defaults(run=_run_batch)

    spot = commands.add_parser(
        "spot", help="find visual events in a video: a cue sheet for sync, or markers for the editor"
    )
    spot.add_argument("video", type=Path, help="the picture (any format FFmpeg reads)")
    spot.add_argument(
        "--out",
        type=Path,
        default=None,
        help="cue sheet (.csv, default outputs/<video>_cues.csv) or editor markers (.edl, .otio, .xml, .txt)",
    )
    spot.add_argument(
        "--sensitivity", type=float, default=0.5, help="0–1: higher finds more (and weaker) events"
    )
    spot.add_argument(
        "--min-spacing", type=float, default=0.2, metavar="S", help="seconds between events (default 0.2)"
    )
    spot.add_argument("--start-tc", default=None, help="start timecode if the video has none")
    spot.add_argument(
        "--prompt", default="", help="prompt for every row (default blank: fill each in before sync)"
    )
    spot.add_argument("--force", action="store_true", help="overwrite an existing cue sheet")
    spot.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    spot.set_defaults(run=_run_spot)

    syn = commands.add_parser("sync", help="place sounds on their frames and export for editors")
    syn.add_argument("video", type=Path, nargs="?", default=None, help="the picture (or --fps and --length)")
    syn.add_argument(
        "--cues",
        type=Path,
        required=True,
        help="cue sheet (.csv, .toml) or editor markers (.edl, .xml, .otio, .otioz, .aaf, .txt, Premiere's .csv)",
    )
    syn.add_argument("--fps", default=None, help="frame rate without a video: 24, 25, 24000/1001, 29.97 …")
    syn.add_argument(
        "--length", type=float, default=None, metavar="S", help="programme length without a video"
    )
    syn.add_argument(
        "--start-tc",
        default=None,
        help="programme start timecode (overrides the video's; default 00:00:00:00)",
    )
    syn.add_argument(
        "--out", type=Path, default=Path("outputs/sync"), help="output folder (default outputs/sync)"
    )
    syn.add_argument("--model", default="bundled", help="model for cues that name none (default bundled)")
    syn.add_argument(
        "--trim", action="store_true", help="generated cues: cut the lead-in before the first transient"
    )
    syn.add_argument("--no-preview", action="store_true", help="skip preview.mp4")
    syn.add_argument(
        "--no-aaf", action="store_true", help="skip timeline.aaf (the slowest export: ~16 ms per cue)"
    )
    syn.add_argument("--force", action="store_true", help="overwrite existing files")
    syn.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    syn.add_argument("--dtype", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    syn.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    syn.set_defaults(run=_run_sync)

    for name, summary in (
        ("vary", "variations of a sound file (audio to audio): lower --strength stays closer to it"),
        (
            "inpaint",
            "make a region of a sound file again; outside it (and 20 ms crossfades) its samples stay",
        ),
        ("extend", "continue a sound file past its end; its samples stay up to the last 20 ms"),
    ):
        der = commands.add_parser(name, help=summary)
        der.add_argument(
            "source", type=Path, help="a sound file (WAV, FLAC, …); its sidecar, if any, lends the prompt"
        )
        if name == "vary":
            der.add_argument(
                "--strength", type=float, default=0.5, help="in (0, 1]: how far from the source (default 0.5)"
            )
            der.add_argument("--duration", type=float, default=None, help="seconds (default: the source's)")
        elif name == "inpaint":
            der.add_argument(
                "--region", type=_region, required=True, metavar="START:END", help="seconds, e.g. 1.1:1.4"
            )
        else:
            der.add_argument("--to", type=float, required=True, metavar="SECONDS", help="the new length")
        der.add_argument("--prompt", default=None, help="what to make (default: the source sidecar's prompt)")
        der.add_argument(
            "--model", default="bundled", help="bundled (default), stable-audio-3, or a directory"
        )
        der.add_argument("--takes", type=int, default=1, help="how many versions (default 1)")
        der.add_argument("--seed", type=int, default=None, help="seed of the first version")
        der.add_argument("--steps", type=int, default=None, help="denoising steps (default: the model's)")
        der.add_argument("--guidance", type=float, default=None, help="guidance (default: the model's)")
        _add_anchor_argument(der)
        der.add_argument("--out", default="outputs", help="output directory (default outputs/)")
        der.add_argument("--force", action="store_true", help="overwrite existing files")
        der.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
        der.add_argument("--dtype", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
        _add_speedup_arguments(der)
        der.add_argument("--json", action="store_true", help="print one JSON document on stdout")
        der.set_defaults(run=_run_derive, operation=name)

    models = commands.add_parser("models", help="list the models foleykit can run and which work offline")
    models.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    models.set_defaults(run=_run_models)
    return parser


def _add_anchor_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--anchor-weight",
        type=float,
        default=None,
        metavar="W",
        help="share of the guidance given to the learned caption nearest the prompt, 0 to 1 "
        "(0: the prompt exactly as worded; default: the model's; bundled model only)",
    )


def _region(text: str) -> tuple[float, float]:
    from foleykit.derive import parse_region

    try:
        return parse_region(text)
    except BadInputError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _run_derive(args: argparse.Namespace) -> int:
    from foleykit.derive import Operation, derive

    operation = Operation(
        args.operation,
        strength=getattr(args, "strength", None),
        region=getattr(args, "region", None),
        to=getattr(args, "to", None),
    )
    result = derive(
        args.source,
        operation,
        prompt=args.prompt,
        duration=getattr(args, "duration", None),
        takes=args.takes,
        seed=args.seed,
        model=args.model,
        steps=args.steps,
        guidance=args.guidance,
        anchor_weight=args.anchor_weight,
        out_dir=args.out,
        force=args.force,
        device=args.device,
        dtype=args.dtype,
        speedups=_speedups(args),
        progress=True,
    )
    return _report(result, args)


def _run_generate(args: argparse.Namespace) -> int:
    from foleykit.engine import generate
    from foleykit.request import SoundRequest

    request = SoundRequest(
        prompt=args.prompt,
        negative_prompt=args.negative,
        duration=args.duration,
        takes=args.takes,
        seed=args.seed,
        steps=args.steps,
        guidance=args.guidance,
        anchor_weight=args.anchor_weight,
        model=args.model,
        loudness=args.loudness,
        name=args.name,
        trim=args.trim,
        loop=args.loop,
    )
    result = generate(
        request=request,
        out_dir=args.out,
        force=args.force,
        device=args.device,
        dtype=args.dtype,
        batch_size=args.batch_size,
        progress=True,
        speedups=_speedups(args),
    )
    return _report(result, args)


def _report(result: Any, args: argparse.Namespace) -> int:
    """What generate and the commands that derive from a take print: paths, or one JSON document."""
    for warning in result.warnings:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for item in result.files:
            print(item.path)
        t = result.timings
        print(
            f"{len(result.files)} take(s) of {result.request.duration:g} s with {args.model}: "
            f"load {t['load_s']:.1f} s, generate {t['render_s']:.1f} s",
            file=sys.stderr,
        )
    return 0


def _run_eval(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from foleykit.evaluation.classifier import ClassifierRecipe
    from foleykit.evaluation.evaluate import PARAPHRASES, EvalConfig, evaluate

    recipe = ClassifierRecipe()
    for name, value in (("clips_per_class", args.classifier_clips), ("epochs", args.classifier_epochs)):
        if value is not None:
            if value < 1:
                raise BadInputError(f"--classifier-{name.split('_')[0]} must be at least 1")
            recipe = replace(recipe, **{name: value})
    if args.steps is not None and args.steps < 1:
        raise BadInputError("steps must be a whole number ≥ 1")
    if args.takes_per_clip < 1:
        raise BadInputError("--takes-per-clip must be at least 1")
    if args.judge_first_seed < 0:
        raise BadInputError("--judge-first-seed must be 0 or more")
    if args.paraphrases and args.prompts:
        raise BadInputError("give --prompts FILE or --paraphrases, not both")
    config = EvalConfig(
        model=args.model,
        takes_per_class=args.takes_per_class,
        steps=args.steps,
        guidance=args.guidance,
        prompts_file=PARAPHRASES if args.paraphrases else args.prompts,
        out_dir=args.out,
        device=args.device,
        dtype=args.dtype,
        classifier=recipe,
        corpus=args.corpus,
        takes_per_clip=args.takes_per_clip,
        compare_with=args.compare,
        judge_first_seed=args.judge_first_seed,
    )
    metrics = evaluate(config, progress=True)
    if args.json:
        print(json.dumps(metrics, indent=2))
        return 0
    _print_eval(metrics)
    return 0


def _print_eval(metrics: dict) -> None:
    """`foleykit eval`'s summary: the own classifier's scores, then the judge's, then where the files are."""
    from foleykit.evaluation.distances import TWO_SAMPLE_SPLITS

    for key in ("real_accuracy", "template_accuracy", "prompts_accuracy", "two_sample_accuracy"):
        if key in metrics:
            spread = ""
            if key == "two_sample_accuracy" and "two_sample_sd" in metrics:
                spread = f" ± {100 * metrics['two_sample_sd']:.1f} (mean of {TWO_SAMPLE_SPLITS} splits)"
            print(f"{key:<22} {100 * metrics[key]:6.1f} %{spread}")
    print(f"{'frechet':<22} {metrics['frechet']:8.2f}   (real vs real: {metrics['frechet_real']:.2f})")
    weakest = sorted(metrics["per_class"].items(), key=lambda kv: kv[1])[:5]
    print("weakest classes        " + ", ".join(f"{k} {100 * v:.0f} %" for k, v in weakest))
    judged = metrics.get("judge")
    if judged:
        _print_judged(judged)
    print(f"report                 {metrics['report']}\nspectrograms           {metrics['spectrograms']}")


def _interval(scores: dict, key: str, scale: float = 1.0) -> str:
    bounds = scores.get(f"{key}_interval")
    return f" [{scale * bounds[0]:.1f}, {scale * bounds[1]:.1f}]" if bounds else ""


def _print_judged(judged: dict) -> None:
    """The judge's section of an eval, a line a set; brackets hold 95 % intervals."""
    real = judged["real"]
    print(
        f"judge (aiSFX) on {real['test_clips']} real test recordings of {len(real['classes'])} classes "
        "(takes' silence trimmed like theirs):"
    )
    print(
        f"  {'real recordings':<22} {100 * real['accuracy']:6.1f} %   "
        f"Fréchet real vs real {real['frechet_real']:.1f}"
    )
    rows = [("decoder round trip", "round_trip"), ("latents + decoder trip", "latent_round_trip")]
    rows += [("generated takes", "generated"), ("… judged whole (4 s)", "generated_whole")]
    rows += [("… from your prompts", "generated_prompts")]
    rows += [("synthesised clips", "synthesised")]
    for title, key in rows:
        if key in judged:
            made = judged[key]
            extra = f"; {made['decoder']}" if "decoder" in made else ""
            if made.get("balanced_accuracy") is not None:
                extra += f"; class mean {100 * made['balanced_accuracy']:.1f} %"
            extra += f"; similarity {made['similarity']:.3f}" if "similarity" in made else ""
            print(
                f"  {title:<22} {100 * made['accuracy']:6.1f} %{_interval(made, 'accuracy', 100)}   "
                f"Fréchet to real {made['frechet']:.1f}   "
                f"({made['clips']} clips{extra})"
            )
    compared = judged.get("compared")
    if compared:
        print(f"  minus {compared['with']} (same prompts and seeds):")
        if "not_paired" in compared:
            print(f"    not paired: {compared['not_paired']}")
        for title, key in rows:
            if key in compared:
                pair = compared[key]
                bounds = ", ".join(f"{100 * v:+.1f}" for v in pair["interval"] or [])
                balanced = ""
                if "balanced_difference" in pair:
                    spread = ", ".join(f"{100 * v:+.1f}" for v in pair["balanced_interval"] or [])
                    balanced = f"   class mean {100 * pair['balanced_difference']:+.1f} [{spread}]"
                print(
                    f"    {title:<20} {100 * pair['difference']:+6.1f} points [{bounds}]   "
                    f"Fréchet {pair['frechet'][0]:.1f} vs {pair['frechet'][1]:.1f}{balanced}"
                )
                if key in ("generated", "generated_prompts") and pair.get("per_class"):
                    print(_by_class_line(pair["per_class"]))


def _by_class_line(per_class: dict[str, dict]) -> str:
    """The classes whose share of recognised takes moved, largest gain first, wrapped under the pair."""
    import textwrap

    moved = sorted(
        ((name, 100 * (c["new"] - c["old"])) for name, c in per_class.items() if c["new"] != c["old"]),
        key=lambda item: -item[1],
    )
    words = ", ".join(f"{name} {points:+.0f}" for name, points in moved) or "no class moved"
    return textwrap.fill(words, width=110, initial_indent="      by class: ", subsequent_indent=" " * 16)


def _run_batch(args: argparse.Namespace) -> int:
    from foleykit.batch import run_batch

    result = run_batch(
        args.file,
        args.out,
        force=args.force,
        device=args.device,
        dtype=args.dtype,
        batch_size=args.batch_size,
        report=not args.no_report,
        progress=True,
        speedups=_speedups(args),
    )
    if not result.main_process:
        return 0  # one answer per run, from the main process
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print(result.report or result.manifest)
    d = result.to_dict()
    print(
        f"{result.generated} take(s) made, {result.skipped} already there, of {result.planned}; "
        f"{d['wall_s']:.1f} s wall, {d['audio_s_per_wall_s'] or 0:.2f} audio s per wall s",
        file=sys.stderr,
    )
    return 0


def _run_spot(args: argparse.Namespace) -> int:
    from foleykit.audio.io import ensure_writable_dir
    from foleykit.exports.spots import check_suffix, write_spot_sheet
    from foleykit.framesync.video import probe_video

    out = args.out or Path("outputs") / f"{args.video.stem}_cues.csv"
    check_suffix(out)
    if out.exists() and not args.force:
        raise BadInputError(f"{out} exists; pass --force to overwrite it")
    ensure_writable_dir(out.parent)  # before minutes of analysis, not after
    probe_video(args.video, args.start_tc)  # a bad video is refused before the detectors (scipy) load
    from foleykit.framesync.spot import spot_events

    result = spot_events(
        args.video,
        sensitivity=args.sensitivity,
        min_spacing=args.min_spacing,
        start_tc=args.start_tc,
        progress=True,
    )
    path = write_spot_sheet(result, out, force=args.force, prompt=args.prompt)
    if args.json:
        print(json.dumps({**result.to_dict(), "cue_sheet": str(path)}, indent=2))
        return 0
    print(path)
    kinds: dict[str, int] = {}
    for event in result.events:
        kinds[event.kind] = kinds.get(event.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "no events"
    print(f"{summary} in {result.frames_analysed} frames ({result.seconds:.1f} s)", file=sys.stderr)
    return 0


def _run_sync(args: argparse.Namespace) -> int:
    from foleykit.syncing import sync

    result = sync(
        args.cues,
        args.video,
        fps=args.fps,
        length=args.length,
        start_tc=args.start_tc,
        out_dir=args.out,
        model=args.model,
        force=args.force,
        device=args.device,
        dtype=args.dtype,
        preview=not args.no_preview,
        aaf=not args.no_aaf,
        trim=args.trim,
        progress=True,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    rate = 48000 / 1000
    for cue, error in zip(result.to_dict()["cues"], result.errors, strict=True):
        measured = "start" if error is None else f"{error / rate:+.3f} ms"
        print(f"{cue['cue']:>4}  {cue['mark_timecode']}  A{cue['track']}  {measured:>10}  {cue['name']}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    worst = result.max_error_ms
    print(
        f"{len(result.cues)} cue(s) on {1 + max(c.lane for c in result.cues)} track(s); "
        f"worst transient error {'-' if worst is None else f'{worst:.3f} ms'}; files in {args.out}",
        file=sys.stderr,
    )
    return 0


def _run_models(args: argparse.Namespace) -> int:
    from foleykit.models import describe_models

    rows = describe_models()
    if args.json:
        print(json.dumps({"models": rows}, indent=2))
        return 0
    wide, backend_wide = max(len(r["name"]) for r in rows), max(len(r["backend"]) for r in rows)
    print(
        f"{'name':<{wide}} {'backend':<{backend_wide}} {'offline':<8} {'rate':>6} {'ch':>3} {'max s':>6}  source"
    )
    for row in rows:
        rate = f"{row['sample_rate']}" if row["sample_rate"] else "-"
        longest = f"{row['max_duration']:g}" if row["max_duration"] else "-"
        where = row.get("path") or row["hub_id"] or "package"
        offline = "yes" if row["offline"] else "no"
        print(
            f"{row['name']:<{wide}} {row['backend']:<{backend_wide}} {offline:<8} {rate:>6} "
            f"{row['channels']:>3} {longest:>6}  {where}"
        )
    notes = [r for r in rows if r["backend"] == "stable-audio-3"]
    if notes:
        print(f"{notes[0]['name']}: {notes[0]['about']}", file=sys.stderr)
    print(
        "Also: any hub id (owner/name) in the Hugging Face cache, or a local diffusers directory.",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    _quiet_libraries()
    try:
        return args.run(args)
    except FoleykitError as err:
        print(f"{PROG}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as interrupt:
        from foleykit.batch.runner import BatchInterrupted

        if isinstance(interrupt, BatchInterrupted):  # says what is finished and safe, and how to resume
            if interrupt.result.main_process:  # one answer per run, as on success
                print(f"{PROG}: {interrupt.message()}", file=sys.stderr)
            return 1
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 1
    except Exception as err:  # one line for the user; the traceback on request
        if os.environ.get("FOLEYKIT_DEBUG"):
            raise
        detail: Any = str(err).splitlines()[0] if str(err) else ""
        print(
            f"{PROG}: error: {type(err).__name__}: {detail} (set FOLEYKIT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
