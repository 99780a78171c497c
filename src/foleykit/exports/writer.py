"""The export folder of a sync (DESIGN §6): every adapter's file, committed atomically, never clobbered.

The adapters (`bwf_files`, `otio_timeline`, `edl`, `fcp_xml`, `aaf`, `spotting`, `sync_plot`, `preview`,
`foleykit.markers`) only translate a `PlacedProgramme` into a file at the path they are given. This module
owns what they share: which names a run writes, the overwrite policy (nothing is written if any exists,
unless `force`; then stale lane EDLs go too), rendering every text before the first file is written,
atomic commits, and the AAF adapter's child process (pure Python, ~10 ms a clip: on 2 cores it runs while
the other files are written, halving the wait).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import opentimelineio as otio

from foleykit.audio.io import NO_SPACE, disk_full, ensure_writable_dir, write_atomic
from foleykit.errors import DiskFullError, OutputExistsError
from foleykit.exports import aaf as aaf_adapter
from foleykit.exports import bwf_files, edl, fcp_xml, otio_timeline, preview, spotting, sync_plot
from foleykit.framesync.placed import PlacedProgramme

OTIO_NAME = "timeline.otio"
XML_NAME = "timeline.xml"
AAF_NAME = "timeline.aaf"
MIX_NAME = "mix.wav"
SPOTTING_NAME = "spotting.csv"
PLOT_NAME = "sync.png"
MARKER_NAMES = ("markers.edl", "markers.otio")
CUE_FOLDER = "cues"
FIXED_NAMES = (
    MIX_NAME,
    OTIO_NAME,
    edl.FIRST_NAME,
    XML_NAME,
    AAF_NAME,
    SPOTTING_NAME,
    PLOT_NAME,
    *MARKER_NAMES,
)


def cue_path(out: Path, file_stem: str) -> Path:
    return Path(out) / CUE_FOLDER / f"{file_stem}.wav"


def planned(out: Path, cue_stems: Sequence[str], preview_path: Path | None = None) -> list[Path]:
    """Every path an export into `out` writes, as far as it is known before placement (lane EDLs beyond
    A1 are found by `taken`)."""
    out = Path(out)
    paths = [out / n for n in FIXED_NAMES] + [cue_path(out, s) for s in cue_stems]
    return paths + ([preview_path] if preview_path else [])


def _stale_lanes(out: Path) -> list[Path]:
    return sorted(Path(out).glob("timeline_A*.edl"))


def taken(paths: Sequence[Path], out: Path) -> list[Path]:
    """Which of `paths` (and lane EDLs an earlier run left in `out`) exist: files, or non-empty folders."""
    found = [p for p in paths if (any(p.iterdir()) if p.is_dir() else p.exists())]
    return found + [p for p in _stale_lanes(out) if p not in found]


def refuse_taken(paths: Sequence[Path], out: Path, *, force: bool, note: str = "") -> None:
    existing = taken(paths, out)
    if existing and not force:
        raise OutputExistsError(f"{existing[0]} exists; pass --force to overwrite it{note}")


class ChildWrite:
    """`function(*args, part)` in a child process, writing a part file in `out` that `finish` commits."""

    def __init__(self, out: Path, name: str, function: Callable[..., None], *args: Any) -> None:
        fd, part = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out)
        os.close(fd)
        self._final = Path(out) / name
        self._part = Path(part)
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self._future = self._pool.submit(function, *args, part)

    def cancel(self) -> None:
        """The export failed elsewhere: stop (or wait out) the child and leave no part file behind."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._part.unlink(missing_ok=True)

    def finish(self, force: bool) -> tuple[Path | None, str | None]:
        """(path, None) once written and moved into place, or (None, why the child could not write it)."""
        try:
            self._future.result()
            return write_atomic(self._final, lambda tmp: os.replace(self._part, tmp), force=force), None
        except (OutputExistsError, DiskFullError):
            raise
        except OSError as err:
            if err.errno in NO_SPACE:  # a full disk is said as such, not as "no AAF"
                raise disk_full(err, self._final) from None
            return None, f"{type(err).__name__}: {err}".strip()
        except Exception as err:  # the AAF adapter's limits are many; an AAF is written only where it can be
            return None, f"{type(err).__name__}: {err}".strip()
        finally:
            self._pool.shutdown()
            self._part.unlink(missing_ok=True)


def start_aaf(model: PlacedProgramme, out: Path) -> ChildWrite:
    """timeline.aaf, begun in a child process (the timeline goes over as OTIO JSON, not the audio)."""
    text = otio.adapters.write_to_string(aaf_adapter.to_aaf_timeline(model), adapter_name="otio_json")
    return ChildWrite(Path(out), AAF_NAME, aaf_adapter.write_from_json, text, model.programme)


def _text(text: str) -> Callable[[Path], None]:
    return lambda tmp: tmp.write_text(text, encoding="utf-8")


def write_timelines(
    model: PlacedProgramme, out: Path, *, force: bool = False, aaf_job: bool | ChildWrite = True
) -> dict[str, Any]:
    """timeline.otio, one CMX 3600 EDL per lane, timeline.xml (FCP 7) and timeline.aaf into `out`.

    `aaf_job=False` skips the AAF; a `ChildWrite` from `start_aaf` is waited for and committed. Returns
    {"otio": Path, "edl": [Path, …] (A1 first), "xml": Path, "aaf": Path | None, "aaf_skipped": reason |
    None}. Without `force`, nothing is written if any of these names (or a lane EDL or AAF left by an
    earlier run) exists; with `force`, stale lane EDLs are removed.
    """
    out = ensure_writable_dir(Path(out))
    edls = [out / n for n in edl.names(model.lanes)]
    stale = [p for p in _stale_lanes(out) if p not in edls]
    refuse_taken([out / OTIO_NAME, *edls, out / XML_NAME, out / AAF_NAME], out, force=force)
    for path in stale:
        path.unlink(missing_ok=True)

    # Render everything that can fail on bad input before the first file is written.
    otio_text = otio_timeline.to_string(model)
    edl_texts = [edl.lane_text(model, lane) for lane in range(model.lanes)]
    xml_text = fcp_xml.to_string(model)

    result: dict[str, Any] = {"otio": write_atomic(out / OTIO_NAME, _text(otio_text), force=force)}
    result["edl"] = [write_atomic(p, _text(t), force=force) for p, t in zip(edls, edl_texts, strict=True)]
    result["xml"] = write_atomic(out / XML_NAME, _text(xml_text), force=force)
    if aaf_job is False:
        result["aaf"], result["aaf_skipped"] = None, "not asked for (--no-aaf)"
        return result
    if isinstance(aaf_job, ChildWrite):
        result["aaf"], result["aaf_skipped"] = aaf_job.finish(force)
    else:
        try:
            result["aaf"] = write_atomic(
                out / AAF_NAME, lambda tmp: aaf_adapter.write_to_file(model, tmp), force=force
            )
            result["aaf_skipped"] = None
        except (OutputExistsError, DiskFullError):
            raise
        except Exception as err:  # the AAF adapter's limits are many; an AAF is written only where it can be
            result["aaf"], result["aaf_skipped"] = None, f"{type(err).__name__}: {err}".strip()
    if result["aaf"] is None and force:
        (out / AAF_NAME).unlink(missing_ok=True)
    return result


def export(
    model: PlacedProgramme,
    out: Path,
    *,
    force: bool = False,
    aaf: bool = True,
    preview_path: Path | None = None,
) -> dict[str, Any]:
    """Every file of DESIGN §6 for `model` into `out` (cue files at `model.cue_files`); the paths written.

    The preview is written when `preview_path` is given (from `preview.target`).
    """
    from foleykit.markers import markers_to_string

    out = ensure_writable_dir(Path(out))
    marker_texts = {
        name: markers_to_string(model.markers, model.programme, Path(name).suffix, title=model.title)
        for name in MARKER_NAMES
    }
    spotting_text = spotting.to_string(model, out)
    created = datetime.now()
    job = start_aaf(model, out) if aaf else None
    try:
        for index, path in enumerate(model.cue_files):
            ensure_writable_dir(path.parent)
            write_atomic(
                path, lambda tmp, i=index: bwf_files.write_cue(model, i, tmp, created=created), force=force
            )
        files: dict[str, Any] = {
            "mix": write_atomic(
                out / MIX_NAME, lambda tmp: bwf_files.write_mix(model, tmp, created=created), force=force
            ),
            "cues": list(model.cue_files),
        }
        files.update(write_timelines(model, out, force=force, aaf_job=job or False))
    except BaseException:
        if job is not None:
            job.cancel()
        raise
    files["spotting"] = write_atomic(out / SPOTTING_NAME, _text(spotting_text), force=force)
    files["markers"] = [write_atomic(out / n, _text(t), force=force) for n, t in marker_texts.items()]
    files["plot"] = write_atomic(
        out / PLOT_NAME, lambda tmp: sync_plot.write_to_file(model, tmp), force=force
    )
    if preview_path is not None:
        files["preview"] = write_atomic(
            preview_path, lambda tmp: preview.write_to_file(model, tmp), force=force
        )
    return files


__all__ = [
    "FIXED_NAMES",
    "ChildWrite",
    "cue_path",
    "export",
    "planned",
    "refuse_taken",
    "start_aaf",
    "taken",
    "write_timelines",
]
