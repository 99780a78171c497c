"""The cue files and the mix of a `PlacedProgramme` as Broadcast WAVs (DESIGN §3).

Each cue file starts on a frame (its TimeReference is that frame's timecode as samples since midnight);
the mix runs the whole programme from its start timecode. The bext Description starts with Avid's
`uFRAMERATE=` line, then says what made the sound.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from foleykit.audio.bwf import BextInfo, bwf_writer, coding_history
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.timecode import SAMPLE_RATE


def _what(source: dict) -> str:
    if "prompt" in source:
        return f"prompt={source['prompt']} model={source['model']} seed={source['seed']}"
    return f"file={Path(source['audio']).name}"


def write_cue(model: PlacedProgramme, index: int, path: Path, *, created: datetime | None = None) -> None:
    """Cue `index` (0-based, in cue order) as its frame-aligned BWF."""
    item = model.cues[index]
    bext = BextInfo(
        time_reference=model.programme.time_reference(item.file_start_frame),
        description=model.description(
            f"foleykit cue {item.cue.number} {item.cue.name}; {_what(item.source)}"
        ),
        originator_reference=f"foleykit-cue-{item.cue.number:03d}",
        coding_history=coding_history(item.audio, SAMPLE_RATE),
        created=created or datetime.now(),
    )
    bwf_writer(item.file_audio(), SAMPLE_RATE, bext)(Path(path))


def write_mix(model: PlacedProgramme, path: Path, *, created: datetime | None = None) -> None:
    """The whole programme's mix, from its first frame."""
    described = f"foleykit sync mix of {model.source or model.title}, {len(model.cues)} cues"
    bext = BextInfo(
        time_reference=model.programme.start_sample_since_midnight,
        description=model.description(described),
        originator_reference="foleykit-mix",
        coding_history=coding_history(model.mix, SAMPLE_RATE),
        created=created or datetime.now(),
    )
    bwf_writer(model.mix, SAMPLE_RATE, bext)(Path(path))


__all__ = ["write_cue", "write_mix"]
