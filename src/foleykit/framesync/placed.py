"""The one timeline model of `sync` (DESIGN §3, §9): a programme and its placed cues, plus markers.

Every export (cue BWFs and the mix, OTIO/EDL/FCP XML/AAF, the spotting list, the sync plot, the preview,
marker files) is a stateless translation of a `PlacedProgramme`; none keeps a model of its own. Plain data
like OpenTimelineIO's schema: no file formats here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.framesync.marker import Marker
from foleykit.framesync.placement import PlacedCue, measure_errors, render_mix
from foleykit.framesync.timecode import SAMPLE_RATE, rate_label
from foleykit.framesync.video import Programme


@dataclass(frozen=True)
class PlacedProgramme:
    """The programme with every cue placed on a lane, each with its BWF file's path.

    `cue_files[i]` is where `cues[i]` is (or will be) written. `mix` and `errors` (each onset cue's
    transient re-measured in the mix, samples from its mark) are computed once, on first use.
    """

    programme: Programme
    cues: tuple[PlacedCue, ...]
    cue_files: tuple[Path, ...]
    title: str = "foleykit sync"
    source: str = ""  # what the cues came from (the cue sheet's or marker file's name), for descriptions

    def __post_init__(self) -> None:
        if len(self.cue_files) != len(self.cues):
            raise ValueError(f"{len(self.cues)} cues but {len(self.cue_files)} cue files")
        for lane in range(self.lanes):
            cursor = 0
            for p, _ in self.lane(lane):
                if p.file_start_sample < cursor:
                    raise ValueError(
                        f"cue {p.cue.number} overlaps the previous cue on lane A{lane + 1}: "
                        "assign lanes (placement.assign_lanes) before building the model"
                    )
                cursor = p.file_end_sample

    @classmethod
    def of(
        cls,
        cues: Sequence[PlacedCue],
        programme: Programme,
        cue_files: Sequence[Path] | dict[int, Path],
        **fields: Any,
    ) -> PlacedProgramme:
        """From placed cues and their files, given in cue order or as {cue number: path}."""
        if isinstance(cue_files, dict):
            try:
                files = [Path(cue_files[p.cue.number]) for p in cues]
            except KeyError as missing:
                raise ValueError(f"no cue file given for cue {missing.args[0]}") from None
        else:
            files = [Path(f) for f in cue_files]
        return cls(programme, tuple(cues), tuple(files), **fields)

    @property
    def lanes(self) -> int:
        return 1 + max((p.lane for p in self.cues), default=0)

    def lane(self, lane: int) -> list[tuple[PlacedCue, Path]]:
        """The cues of one lane with their files, in time order."""
        pairs = [(p, f) for p, f in zip(self.cues, self.cue_files, strict=True) if p.lane == lane]
        return sorted(pairs, key=lambda pair: pair[0].file_start_sample)

    @property
    def markers(self) -> tuple[Marker, ...]:
        """One marker per cue on its mark, named by its sound (the prompt, or `audio: PATH`), so a marker
        file read back (`sync --cues markers.edl`) asks for the same sounds; the cue's name is the comment."""
        return tuple(
            Marker(
                frame=p.cue.mark_frame,
                name=p.cue.prompt if p.cue.prompt is not None else f"audio: {p.cue.audio}",
                comment=p.cue.name,
            )
            for p in self.cues
        )

    @cached_property
    def mix(self) -> np.ndarray:
        """The whole programme at 48 kHz, float32 (channels, samples)."""
        return render_mix(self.cues, self.programme)

    @cached_property
    def errors(self) -> tuple[int | None, ...]:
        return tuple(measure_errors(self.mix, self.cues))

    def description(self, text: str) -> str:
        """bext Description: the Avid frame-rate line first (never truncated), then `text`."""
        head = f"uFRAMERATE={rate_label(self.programme.rate)}\r\n"
        return head + text[: 256 - len(head)]

    @property
    def max_error_ms(self) -> float | None:
        measured = [abs(e) for e in self.errors if e is not None]
        return 1000 * max(measured) / SAMPLE_RATE if measured else None


__all__ = ["Marker", "PlacedProgramme"]
