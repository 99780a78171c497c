"""The spotting list of a `PlacedProgramme` (DESIGN §6): one CSV row per cue, for people and scripts.

File paths are relative to the folder the list is written into.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from foleykit.framesync.placed import PlacedProgramme

COLUMNS = (
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


def to_string(model: PlacedProgramme, folder: Path) -> str:
    programme = model.programme
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for item, path, error in zip(model.cues, model.cue_files, model.errors, strict=True):
        src = item.source
        writer.writerow(
            {
                "cue": item.cue.number,
                "name": item.cue.name,
                "mark_frame": item.cue.mark_frame,
                "mark_timecode": programme.timecode_of(item.cue.mark_frame),
                "mark_sample": item.cue.mark_sample,
                "file": Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix(),
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
    return buffer.getvalue()


__all__ = ["COLUMNS", "to_string"]
