"""`foleykit.sync(...)`: cue sheet or editor markers + programme → sounds on their frames, exported.

The sync stage's orchestrator, as `engine.py` is generation's. Order of work (nothing is generated until
everything that can be checked has been): programme → whole cue sheet → audio files readable → models
resolvable → outputs free (or `force`) → generate → place → the one model (`PlacedProgramme`: mix and
re-measured transients) → every export (`exports.writer`) → sync.json.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from foleykit import __version__
from foleykit.audio.io import ensure_writable_dir, write_json
from foleykit.audio.post import resample
from foleykit.errors import BadInputError
from foleykit.framesync.cues import Cue, CueSheet, load_cue_sheet
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.placement import CueSound, PlacedCue, assign_lanes, place
from foleykit.framesync.timecode import SAMPLE_RATE
from foleykit.framesync.video import Programme, probe_video, programme_from_rate

MAX_ERROR_SAMPLES = 48  # 1 ms: the placement target (DESIGN §3)


@dataclass
class SyncResult:
    """What `sync` made: the one model (`placed`), the files written and how long each step took."""

    placed: PlacedProgramme
    files: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def programme(self) -> Programme:
        return self.placed.programme

    @property
    def cues(self) -> tuple[PlacedCue, ...]:
        return self.placed.cues

    @property
    def errors(self) -> tuple[int | None, ...]:
        """Re-measured transient − mark, samples, per cue (None for `sync = start` cues)."""
        return self.placed.errors

    @property
    def max_error_ms(self) -> float | None:
        return self.placed.max_error_ms

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
                    "file": str(path),
                    "file_start_sample": p.file_start_sample,
                    "transient_offset_samples": p.cue.mark_sample - p.file_start_sample,
                    "transient_rise_samples": p.transient.rise_samples,
                    "soft_attack": p.transient.soft,
                    "measured_error_samples": error,
                    "measured_error_ms": None if error is None else 1000 * error / SAMPLE_RATE,
                    "source": p.source,
                }
                for p, path, error in zip(self.cues, self.placed.cue_files, self.errors, strict=True)
            ],
            "tracks": self.placed.lanes,
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


def _check_memory(programme: Programme, available: int | None = None) -> None:
    """The mix is held in memory (float32, up to stereo, and one copy while it is measured): a programme
    that would not fit in `available` bytes (default: what the system has free, by psutil) is refused
    before anything is generated, not after."""
    import psutil  # (accelerate's dependency too): free memory on every system, not Linux's only

    need = programme.samples * 2 * 4 * 2
    available = psutil.virtual_memory().available if available is None else available
    if need > available:
        hours = float(programme.duration) / 3600
        raise BadInputError(
            f"the programme is {hours:.1f} h long: its mix needs about {need / 2**30:.0f} GiB of memory and "
            f"{available / 2**30:.0f} GiB is free here; sync it in shorter reels"
        )


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

    `cues` is a cue sheet (.csv, .toml) or an editor's marker file (.edl, .xml, .otio, .otioz, .aaf,
    .txt, or Premiere's marker .csv): each marker's name is its cue's prompt (or `audio: FILE`).

    `trim` cuts the lead-ins of generated `sync = onset` cues (their files then start a few ms before
    the hit and run the full cue duration after it); placement lands the transient on the mark either
    way. `sync = start` cues are placed by their first sample, so they are left as generated.
    """
    began = time.perf_counter()
    programme = _programme(video, fps, length, start_tc)  # up to 24 h; a mix past 4 GiB is written as RF64
    _check_memory(programme)
    sheet = load_cue_sheet(cues, programme)
    sources = _check_sources(sheet, model)
    from foleykit.exports import preview as preview_adapter  # OTIO loads once the input is known good
    from foleykit.exports import writer

    out = ensure_writable_dir(Path(out_dir))
    preview_path = (
        preview_adapter.target(programme, out / "preview.mp4") if preview and programme.video else None
    )
    planned = [*writer.planned(out, [c.file_stem for c in sheet.cues], preview_path), out / "sync.json"]
    planned += [out / "takes" / c.file_stem for c in sheet.cues if c.prompt is not None]
    writer.refuse_taken(planned, out, force=force, note=" (nothing was generated)")
    checked = time.perf_counter()

    sounds = _sounds(sheet, sources, model, out, force, device, dtype, progress, trim)
    generated = time.perf_counter()
    cue_files = [writer.cue_path(out, c.file_stem) for c in sheet.cues]
    placed = PlacedProgramme.of(
        assign_lanes([place(sound, programme) for sound in sounds]),
        programme,
        cue_files,
        title=f"foleykit sync of {re.sub(r'[^ -~]', '_', sheet.path.name)}",  # EDL titles are ASCII
        source=sheet.path.name,
    )
    errors = placed.errors
    rendered = time.perf_counter()

    warnings = []
    peak = float(np.abs(placed.mix).max(initial=0.0))
    if peak > 1.0:
        warnings.append(
            f"the mix peaks at {20 * np.log10(peak):+.1f} dBFS and clips: lower some cues' gain_db"
        )
    for item, error in zip(placed.cues, errors, strict=True):
        if error is not None and abs(error) > MAX_ERROR_SAMPLES:
            warnings.append(
                f"cue {item.cue.number} ({item.cue.name}): transient re-measured "
                f"{1000 * error / SAMPLE_RATE:+.2f} ms from its mark in the mix (overlapping sounds or a soft attack)"
            )

    written = writer.export(placed, out, force=force, aaf=aaf, preview_path=preview_path)
    files = {
        k: ([str(v) for v in value] if isinstance(value, list) else (str(value) if value else value))
        for k, value in written.items()
    }
    files["cues"] = cue_files
    done = time.perf_counter()
    result = SyncResult(
        placed,
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
