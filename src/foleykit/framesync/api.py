"""`foleykit.sync(...)`: cue sheet + programme → sounds on their frames, a mix and the editor's exports.

Order of work (nothing is generated until everything that can be checked has been): programme → whole
cue sheet → audio files readable → models resolvable → outputs free (or `force`) → generate → place →
mix → re-measure every transient in the mix → write files.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from foleykit import __version__
from foleykit.audio.io import ensure_writable_dir, write_atomic, write_json
from foleykit.audio.post import resample
from foleykit.errors import BadInputError, OutputExistsError
from foleykit.framesync.cues import Cue, CueSheet, load_cue_sheet
from foleykit.framesync.placement import CueSound, PlacedCue, assign_lanes, measure_errors, place, render_mix
from foleykit.framesync.timecode import SAMPLE_RATE, rate_label
from foleykit.framesync.video import Programme, probe_video, programme_from_rate

MAX_WAV_DATA_BYTES = 2**32 - 4096  # RIFF sizes are 32-bit; headers and bext need the rest
MAX_ERROR_SAMPLES = 48  # 1 ms: the placement target (DESIGN §3)
SPOTTING_COLUMNS = (
    "cue",
    "name",
    "mark_frame",
    "mark_timecode",
    "mark_sample",
    "file",
    "file_start_timecode",
    "transient_offset_samples",
    "prompt",
    "seed",
    "model",
    "audio",
    "track",
    "sync",
    "measured_error_samples",
)


@dataclass
class SyncResult:
    programme: Programme
    cues: list[PlacedCue]
    errors: list[int | None]  # re-measured transient − mark, samples, per cue
    files: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def max_error_ms(self) -> float | None:
        measured = [abs(e) for e in self.errors if e is not None]
        return 1000 * max(measured) / SAMPLE_RATE if measured else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme.to_dict(),
            "cues": [
                {
                    "cue": p.cue.number,
                    "name": p.cue.name,
                    "mark_frame": p.cue.mark_frame,
                    "mark_timecode": self.programme.timecode_of(p.cue.mark_frame),
                    "mark_sample": p.cue.mark_sample,
                    "sync": p.cue.sync,
                    "track": p.lane + 1,
                    "file": str(self.files["cues"][i]),
                    "file_start_sample": p.file_start_sample,
                    "transient_offset_samples": p.cue.mark_sample - p.file_start_sample,
                    "transient_rise_samples": p.transient.rise_samples,
                    "soft_attack": p.transient.soft,
                    "measured_error_samples": self.errors[i],
                    "measured_error_ms": None
                    if self.errors[i] is None
                    else 1000 * self.errors[i] / SAMPLE_RATE,
                    "source": p.source,
                }
                for i, p in enumerate(self.cues)
            ],
            "tracks": 1 + max((p.lane for p in self.cues), default=0),
            "max_error_ms": self.max_error_ms,
            "files": {k: ([str(x) for x in v] if isinstance(v, list) else v) for k, v in self.files.items()},
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "warnings": self.warnings,
        }


def _programme(
    video: str | Path | None, fps: str | None, length: float | None, start_tc: str | None
) -> Programme:
    if video is not None:
        if fps is not None or length is not None:
            raise BadInputError("give a video or --fps with --length, not both")
        return probe_video(video, start_tc)
    if fps is None or length is None:
        raise BadInputError(
            "give a video, or --fps RATE and --length SECONDS for a programme without picture"
        )
    return programme_from_rate(fps, length, start_tc)


def _read_audio(cue: Cue) -> tuple[np.ndarray, int]:
    import soundfile as sf

    assert cue.audio is not None
    try:
        data, rate = sf.read(str(cue.audio), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise BadInputError(f"{cue.where}: audio file {cue.audio.name} cannot be read: {err}") from None
    if data.shape[1] > 2:
        raise BadInputError(
            f"{cue.where}: audio file {cue.audio.name} has {data.shape[1]} channels; use mono or stereo"
        )
    if data.shape[0] == 0:
        raise BadInputError(f"{cue.where}: audio file {cue.audio.name} is empty")
    return np.ascontiguousarray(data.T), rate


def _check_sources(sheet: CueSheet, default_model: str) -> dict[str, Any]:
    """Everything about the sounds that can fail before generation: audio headers, requests, models."""
    import soundfile as sf

    from foleykit.engine import check_duration
    from foleykit.models import resolve_model
    from foleykit.request import SoundRequest

    sources: dict[str, Any] = {}
    for cue in sheet.cues:
        if cue.audio is not None:
            try:
                info = sf.info(str(cue.audio))
            except (sf.LibsndfileError, RuntimeError, OSError):
                raise BadInputError(
                    f"{sheet.path}, {cue.where}: audio file {cue.audio.name} is not a readable sound file"
                ) from None
            if info.channels > 2:
                raise BadInputError(
                    f"{sheet.path}, {cue.where}: {cue.audio.name} has {info.channels} channels"
                )
            if info.frames * SAMPLE_RATE < info.samplerate:  # not even one sample at 48 kHz
                raise BadInputError(f"{sheet.path}, {cue.where}: audio file {cue.audio.name} is empty")
            continue
        try:
            SoundRequest(
                prompt=cue.prompt or "",
                negative_prompt=cue.negative,
                duration=cue.duration,
                takes=cue.takes,
                seed=cue.seed,
                model=cue.model or default_model,
            )
            model = cue.model or default_model
            if model not in sources:
                sources[model] = resolve_model(model)
            check_duration(cue.duration, sources[model])
        except BadInputError as err:
            raise BadInputError(f"{sheet.path}, {cue.where}: {err}") from None
    return sources


def _preview_target(programme: Programme, out: Path) -> Path:
    """preview.mp4, or .mov for codecs MP4 cannot hold; a codec neither holds is refused before any work."""
    import av

    from foleykit.exports.preview import _container_for

    assert programme.video is not None
    with av.open(str(programme.video)) as container:
        codec = container.streams.video[0].codec_context.name
    return _container_for(codec, out / "preview.mp4")[0]


def _taken(path: Path) -> bool:
    return any(path.iterdir()) if path.is_dir() else path.exists()


def _planned(out: Path, sheet: CueSheet, preview: Path | None) -> list[Path]:
    """Files (and take folders) this run would write; lane EDLs beyond A1 are globbed by the caller."""
    names = [
        "mix.wav",
        "timeline.otio",
        "timeline.edl",
        "timeline.xml",
        "timeline.aaf",
        "spotting.csv",
        "sync.json",
        "sync.png",
    ]
    planned = [out / n for n in names] + [out / "cues" / f"{c.file_stem}.wav" for c in sheet.cues]
    planned += [out / "takes" / c.file_stem for c in sheet.cues if c.prompt is not None]
    return planned + ([preview] if preview else [])


def _sounds(
    sheet: CueSheet,
    sources: dict[str, Any],
    default_model: str,
    out: Path,
    force: bool,
    device: str,
    dtype: str,
    progress: bool,
    trim: bool = False,
) -> list[CueSound]:
    from foleykit.engine import get_engine
    from foleykit.progress import progress_bar
    from foleykit.request import SoundRequest

    sounds = []
    for cue in progress_bar(sheet.cues, desc="cues", unit="cue", disable=not progress):
        if cue.audio is not None:
            audio, rate = _read_audio(cue)
            sounds.append(CueSound(cue, resample(audio, rate, SAMPLE_RATE), {"audio": str(cue.audio)}))
            continue
        model = cue.model or default_model
        request = SoundRequest(
            prompt=cue.prompt or "",
            negative_prompt=cue.negative,
            duration=cue.duration,
            takes=cue.takes,
            seed=cue.seed,
            model=model,
            name=cue.name,
            trim=trim and cue.sync == "onset",  # `sync = start` places the file as it is
        ).with_seeds()
        engine = get_engine(sources[model], device=device, dtype=dtype, progress=progress)
        takes = engine.render(request, progress=False)
        written = engine.write(
            request, takes, ensure_writable_dir(out / "takes" / cue.file_stem), force=force
        )
        source = {
            "prompt": cue.prompt,
            "seed": takes[0].seed,
            "model": sources[model].name,
            "take_file": str(written[0].path),
            "takes": [str(f.path) for f in written],
        }
        sounds.append(CueSound(cue, takes[0].audio, source))
    return sounds


def _description(programme: Programme, text: str) -> str:
    """bext Description: the Avid frame-rate line first (never truncated), then provenance."""
    head = f"uFRAMERATE={rate_label(programme.rate)}\r\n"
    return head + text[: 256 - len(head)]


def _spotting_csv(result_rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, SPOTTING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(result_rows)
    return buffer.getvalue()


def sync(
    cues: str | Path,
    video: str | Path | None = None,
    *,
    fps: str | None = None,
    length: float | None = None,
    start_tc: str | None = None,
    out_dir: str | Path = "outputs/sync",
    model: str = "bundled",
    force: bool = False,
    device: str = "auto",
    dtype: str = "auto",
    preview: bool = True,
    aaf: bool = True,
    trim: bool = False,
    progress: bool = False,
) -> SyncResult:
    """Place every cue of `cues` on its frame of `video` (or an `fps`/`length` programme) and export.

    `trim` cuts the lead-ins of generated `sync = onset` cues (their files then start a few ms before
    the hit and run the full cue duration after it); placement lands the transient on the mark either
    way. `sync = start` cues are placed by their first sample, so they are left as generated.
    """
    from foleykit.audio.bwf import BextInfo, coding_history, write_bwf
    from foleykit.exports.sync_plot import write_sync_plot
    from foleykit.exports.timeline import AafJob, build_timeline, write_timelines

    began = time.perf_counter()
    programme = _programme(video, fps, length, start_tc)
    if programme.samples * 3 > MAX_WAV_DATA_BYTES:
        hours = float(programme.duration) / 3600
        raise BadInputError(f"the programme is {hours:.1f} h long; a 24-bit WAV mix holds at most 8.2 h mono")
    sheet = load_cue_sheet(cues, programme)
    sources = _check_sources(sheet, model)
    out = ensure_writable_dir(Path(out_dir))
    preview_path = _preview_target(programme, out) if preview and programme.video is not None else None
    existing = [p for p in _planned(out, sheet, preview_path) if _taken(p)] + sorted(
        out.glob("timeline_A*.edl")
    )
    if existing and not force:
        raise OutputExistsError(f"{existing[0]} exists; pass --force to overwrite it (nothing was generated)")
    checked = time.perf_counter()

    sounds = _sounds(sheet, sources, model, out, force, device, dtype, progress, trim)
    generated = time.perf_counter()
    placed = assign_lanes([place(sound, programme) for sound in sounds])
    mix = render_mix(placed, programme)
    errors = measure_errors(mix, placed)
    rendered = time.perf_counter()

    if mix.size * 3 > MAX_WAV_DATA_BYTES:
        raise BadInputError("a stereo mix this long would pass the 4 GiB WAV limit (RF64 is not supported)")
    warnings = []
    peak = float(np.abs(mix).max(initial=0.0))
    if peak > 1.0:
        warnings.append(
            f"the mix peaks at {20 * np.log10(peak):+.1f} dBFS and clips: lower some cues' gain_db"
        )
    late = [
        (p.cue, e)
        for p, e in zip(placed, errors, strict=True)
        if e is not None and abs(e) > MAX_ERROR_SAMPLES
    ]
    for cue, error in late:
        warnings.append(
            f"cue {cue.number} ({cue.name}): transient re-measured {1000 * error / SAMPLE_RATE:+.2f} ms from its mark "
            "in the mix (overlapping sounds or a soft attack)"
        )

    created = datetime.now()
    cue_dir = ensure_writable_dir(out / "cues")
    cue_files = [cue_dir / f"{item.cue.file_stem}.wav" for item in placed]
    timeline = build_timeline(
        placed, programme, {p.cue.number: f for p, f in zip(placed, cue_files, strict=True)}
    )
    aaf_job = AafJob(timeline, out) if aaf else None  # on the other core while the files below are written
    try:
        for item, path in zip(placed, cue_files, strict=True):
            src = item.source
            what = (
                f"prompt={src['prompt']} model={src['model']} seed={src['seed']}"
                if "prompt" in src
                else f"file={Path(src['audio']).name}"
            )
            write_bwf(
                path,
                item.file_audio(),
                SAMPLE_RATE,
                BextInfo(
                    time_reference=programme.time_reference(item.file_start_frame),
                    description=_description(
                        programme, f"foleykit cue {item.cue.number} {item.cue.name}; {what}"
                    ),
                    originator_reference=f"foleykit-cue-{item.cue.number:03d}",
                    coding_history=coding_history(item.audio, SAMPLE_RATE),
                    created=created,
                ),
                force=force,
            )
        mix_path = write_bwf(
            out / "mix.wav",
            mix,
            SAMPLE_RATE,
            BextInfo(
                time_reference=programme.start_sample_since_midnight,
                description=_description(
                    programme, f"foleykit sync mix of {sheet.path.name}, {len(placed)} cues"
                ),
                originator_reference="foleykit-mix",
                coding_history=coding_history(mix, SAMPLE_RATE),
                created=created,
            ),
            force=force,
        )
        timelines = write_timelines(timeline, out, force=force, aaf=aaf_job or False)
    except BaseException:
        if aaf_job is not None:
            aaf_job.cancel()
        raise

    rows = []
    for item, path, error in zip(placed, cue_files, errors, strict=True):
        src = item.source
        rows.append(
            {
                "cue": item.cue.number,
                "name": item.cue.name,
                "mark_frame": item.cue.mark_frame,
                "mark_timecode": programme.timecode_of(item.cue.mark_frame),
                "mark_sample": item.cue.mark_sample,
                "file": path.relative_to(out).as_posix(),
                "file_start_timecode": programme.timecode_of(item.file_start_frame),
                "transient_offset_samples": item.cue.mark_sample - item.file_start_sample,
                "prompt": src.get("prompt", ""),
                "seed": src.get("seed", ""),
                "model": src.get("model", ""),
                "audio": src.get("audio", ""),
                "track": item.lane + 1,
                "sync": item.cue.sync,
                "measured_error_samples": "" if error is None else error,
            }
        )
    text = _spotting_csv(rows)
    spotting = write_atomic(
        out / "spotting.csv", lambda tmp: tmp.write_text(text, encoding="utf-8"), force=force
    )
    files: dict[str, Any] = {"mix": str(mix_path), "cues": cue_files, "spotting": str(spotting)}
    for key, value in timelines.items():
        files[key] = [str(v) for v in value] if isinstance(value, list) else (str(value) if value else value)
    files["plot"] = str(write_sync_plot(out / "sync.png", mix, placed, errors, programme, force=force))
    if preview_path is not None:
        from foleykit.exports.preview import write_preview

        assert programme.video is not None
        files["preview"] = str(write_preview(programme.video, mix, programme, preview_path, force=force))
    done = time.perf_counter()
    result = SyncResult(
        programme,
        placed,
        errors,
        files,
        {
            "check_s": checked - began,
            "generate_s": generated - checked,
            "place_render_s": rendered - generated,
            "export_s": done - rendered,
            "total_s": done - began,
        },
        warnings,
    )
    report = {
        "generator": f"foleykit {__version__}",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cue_sheet": str(sheet.path.resolve()),
        "command": _command(sheet.path, programme, out, model, fps, length, start_tc, trim),
        **result.to_dict(),
    }
    files["report"] = str(write_json(out / "sync.json", report, force=force))
    return result


def _command(
    cues: Path,
    programme: Programme,
    out: Path,
    model: str,
    fps: str | None,
    length: float | None,
    start_tc: str | None,
    trim: bool = False,
) -> str:
    import shlex

    argv = ["foleykit", "sync"]
    argv += [str(programme.video)] if programme.video else ["--fps", str(fps), "--length", repr(length)]
    argv += ["--cues", str(cues), "--out", str(out), "--model", model]
    if start_tc:
        argv += ["--start-tc", start_tc]
    if trim:
        argv += ["--trim"]
    return shlex.join(argv)


__all__ = ["SyncResult", "sync"]
