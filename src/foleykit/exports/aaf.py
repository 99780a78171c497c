"""AAF of a `PlacedProgramme`: OTIO's AAF adapter, then its timecodes and rates made exact with pyaaf2.

Adapter limits worked around here (otio-aaf-adapter 2.0; read back with pyaaf2 and the adapter's reader):
every item must have the timeline's one rate, so it is written from the frame timeline. The writer turns
float rates into int32 fractions (29.97002997… is not 30000/1001), always writes the composition timecode
non-drop, flags tape timecode drop-frame for any non-integer rate (23.976 too), leaves video sequences at
length 0, describes every picture as 1920x1080 unless told, writes no markers and needs mob ids
(`use_empty_mob_ids`: fresh ones per write). So the programme's size and the cue files' PCM format go in
as `AAF` metadata, and pyaaf2 patches the written file: exact edit and sample rates, the programme's drop
flag on every timecode, sequence lengths; and it adds each cue's mark as a marker the way Media Composer
writes them (a `DescriptiveMarker` per mark, on an `EventMobSlot` per marked audio track, naming that
track in `DescribedSlots`), which the adapter's own reader attaches to the cue's clip.

The adapter is pure Python (~10 ms a clip); the export orchestrator runs it in a child process.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from foleykit.exports.otio_timeline import BIT_DEPTH, NAMESPACE, to_otio
from foleykit.framesync.placed import PlacedProgramme
from foleykit.framesync.timecode import SAMPLE_RATE
from foleykit.framesync.video import Programme

MARKER_USER = "foleykit"
MARKER_RED = {"red": 65535, "green": 0, "blue": 0}  # AAF RGBColor: 16 bits a channel


def to_aaf_timeline(model: PlacedProgramme) -> otio.schema.Timeline:
    """The frame timeline with the essence descriptions the AAF writer reads."""
    programme = model.programme
    timeline = to_otio(model, frames=True)
    for clip in timeline.find_clips():
        reference = clip.media_reference
        info = reference.metadata.get(NAMESPACE)
        if info is None:  # the picture
            if programme.width and programme.height:  # else the adapter says 1920x1080
                reference.metadata["AAF"] = {
                    "EssenceDescription": {
                        "StoredWidth": programme.width,
                        "StoredHeight": programme.height,
                        "ImageAspectRatio": f"{programme.width}/{programme.height}",
                    }
                }
            continue
        channels = int(info["channels"])
        block_align = channels * BIT_DEPTH // 8
        reference.metadata["AAF"] = {
            "EssenceDescription": {
                "Channels": channels,
                "QuantizationBits": BIT_DEPTH,
                "BlockAlign": block_align,
                "AverageBPS": SAMPLE_RATE * block_align,
                "AudioSamplingRate": SAMPLE_RATE,
                "SampleRate": SAMPLE_RATE,
                "Length": int(info["file_samples"]),
            }
        }
    return timeline


def write_to_file(model: PlacedProgramme, path: Path) -> None:
    write_timeline(to_aaf_timeline(model), model.programme, Path(path))


def write_timeline(timeline: otio.schema.Timeline, programme: Programme, path: Path) -> None:
    """`to_aaf_timeline`'s output as AAF, made exact: the part a child process can do (no audio needed)."""
    import aaf2

    otio.adapters.write_to_file(timeline, str(path), adapter_name="AAF", use_empty_mob_ids=True)
    with aaf2.open(str(path), "rw") as f:  # one rewrite of the file for both patches
        _make_exact(f, programme)
        _add_cue_markers(f, programme, cue_marks(timeline))


def write_from_json(otio_json: str, programme: Programme, path: str) -> None:
    """`write_timeline` for a child process: the timeline comes over as OTIO JSON."""
    write_timeline(otio.adapters.read_from_string(otio_json, adapter_name="otio_json"), programme, Path(path))


def cue_marks(timeline: otio.schema.Timeline) -> list[tuple[str, int, str]]:
    """(audio track name, frame from the programme's start, cue name) of every cue's mark: the clip markers
    `to_otio` sets, which the AAF writer drops."""
    marks = []
    for track in timeline.audio_tracks():
        for clip in track.find_clips():
            for marker in clip.markers:
                info = marker.metadata.get(NAMESPACE)
                if info is not None:
                    marks.append((track.name, int(info["mark_frame"]), marker.name))
    return marks


def _add_cue_markers(f: Any, programme: Programme, marks: list[tuple[str, int, str]]) -> None:
    """Media Composer's marker layout: per marked audio track an event slot of the programme's rate, with
    that track's physical number, holding one red, one-frame `DescriptiveMarker` per mark. The writer
    names each audio slot after its OTIO track (A1, A2, …) but leaves it unnumbered; the slots get physical
    numbers 1, 2, … as Media Composer numbers its tracks, which is also how a reader finds the track a
    marker describes. A mark whose track the file lacks stops the AAF (the caller reports it skipped)
    rather than going missing. `f`: the file, open with pyaaf2 for writing."""
    import aaf2

    (composition,) = list(f.content.toplevel())
    sound = [
        slot
        for slot in composition.slots
        if isinstance(slot, aaf2.mobslots.TimelineMobSlot) and slot.segment.media_kind == "Sound"
    ]
    for number, slot in enumerate(sound, start=1):
        if slot["PhysicalTrackNumber"].value is None:
            slot["PhysicalTrackNumber"].value = number
    by_name = {slot.name: slot for slot in sound}
    for track, _, cue in marks:
        if track not in by_name:
            raise ValueError(f"the AAF has no audio track {track!r} for the mark of cue {cue!r}")
    next_id = max(slot.slot_id for slot in composition.slots) + 1
    descriptive = f.dictionary.lookup_datadef("DescriptiveMetadata")
    for name, slot in by_name.items():
        mine = sorted((frame, cue) for track, frame, cue in marks if track == name)
        if not mine:
            continue
        sequence = f.create.Sequence(media_kind="DescriptiveMetadata")
        for frame, cue in mine:
            marker = f.create.DescriptiveMarker()
            marker["DataDefinition"].value = descriptive
            marker["Position"].value = frame
            marker["Length"].value = 1
            marker["Comment"].value = cue
            marker["CommentMarkerUser"].value = MARKER_USER
            marker["CommentMarkerColor"].value = MARKER_RED
            marker["DescribedSlots"].value = {slot.slot_id}
            sequence.components.append(marker)
        event = f.create.EventMobSlot()
        event["SlotID"].value = next_id
        event["EditRate"].value = programme.rate
        event["PhysicalTrackNumber"].value = slot["PhysicalTrackNumber"].value
        event.segment = sequence
        composition.slots.append(event)
        next_id += 1


def _make_exact(f: Any, programme: Programme) -> None:
    """The writer's approximations put right in the written file `f` (open with pyaaf2 for writing): exact
    edit and sample rates, the programme's timecode rate and drop flag, sequence lengths."""
    import aaf2

    exact = programme.rate
    fps = programme.timecode.fps

    def close(rate: Any) -> bool:
        try:
            return abs(Fraction(rate) - exact) < Fraction(1, 1000)
        except (TypeError, ValueError, ZeroDivisionError):
            return False

    for mob in f.content.mobs:
        for slot in mob.slots:
            if "EditRate" in slot and close(slot["EditRate"].value):
                slot["EditRate"].value = exact
            segment = slot.segment
            if isinstance(segment, aaf2.components.Sequence) and segment.components:
                segment.length = sum(c.length for c in segment.components)  # left 0 for video tracks
            if isinstance(segment, aaf2.components.Timecode):
                segment["FPS"].value = fps
                segment["Drop"].value = programme.drop_frame
        descriptor = getattr(mob, "descriptor", None)
        if descriptor is not None and "SampleRate" in descriptor and close(descriptor["SampleRate"].value):
            descriptor["SampleRate"].value = exact


__all__ = ["cue_marks", "to_aaf_timeline", "write_from_json", "write_timeline", "write_to_file"]
