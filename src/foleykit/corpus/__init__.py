"""Real, openly licensed sound-effect recordings for training and judging the bundled model (DESIGN §7).

The synthesiser alone teaches the model only what our own physics sounds like, and a judge trained on
the same synthesiser cannot tell. This package builds a corpus of real recordings from Debian data
packages (minetest-data, ufoai-sound, openttd-opensfx, sound-theme-freedesktop, teeworlds-data,
supertuxkart-data, redeclipse-data), keeps
only files whose licence, read per file from the package itself, is CC0, public domain, CC BY or CC BY-SA,
and writes them with captions, a class where one truly applies, a held-out split by source recording,
and the attribution the licences require (see `foleykit.corpus.build`).

    python -m foleykit.corpus build DIR [--debs FOLDER]     # build once (I/O and light CPU)
    clips = load_corpus(DIR, split="test")                  # then, in training and evaluation
    audio = read_clip(clips[0], 16000)                      # float32 mono at the rate asked for
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from foleykit.errors import BadInputError

MANIFEST = "manifest.jsonl"
SPLITS = ("train", "test")
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "path": str,
    "label": (str, type(None)),
    "captions": list,
    "split": str,
    "seconds": (int, float),
    "sample_rate": int,
    "package": str,
    "package_version": str,
    "source_path": str,
    "authors": list,
    "licence": str,
    "licence_url": str,
}


@dataclass(frozen=True)
class CorpusClip:
    """One clip of the corpus (a whole recording, or one piece of a long one)."""

    path: Path  # absolute
    label: str | None  # a foleykit.synth class id, or None for a real sound outside the 24 classes
    captions: tuple[str, ...]
    split: str  # "train" or "test"
    seconds: float
    sample_rate: int
    package: str
    package_version: str
    source_path: str  # the recording inside its package; pieces of one recording share it
    authors: tuple[str, ...]
    licence: str
    licence_url: str
    title: str = ""
    piece: int = 1
    pieces: int = 1

    def manifest_row(self, root: Path) -> dict[str, Any]:
        """The clip as a `manifest.jsonl` line of a corpus in `root` (what `load_corpus` reads back)."""
        row = {name: getattr(self, name) for name in (*_FIELDS, "title", "piece", "pieces")}
        row["path"] = self.path.relative_to(root).as_posix()
        return {k: list(v) if isinstance(v, tuple) else v for k, v in row.items()}

    @property
    def source_id(self) -> str:
        """The recording this clip comes from: group by it to keep pieces together."""
        return f"{self.package}:{self.source_path}"


def _accepted(licence: str, where: str) -> str:
    """A second line of defence: a manifest can only name the licences the builder keeps."""
    from foleykit.corpus.sources import ACCEPTED

    if licence not in ACCEPTED:
        raise BadInputError(
            f"{where}: licence {licence!r} is not one foleykit trains on ({', '.join(ACCEPTED)})"
        )
    return licence


def _clip(row: Any, root: Path, where: str) -> CorpusClip:
    from foleykit.synth import CLASSES

    if not isinstance(row, dict):
        raise BadInputError(f"{where}: not a JSON object")
    for name, kind in _FIELDS.items():
        if name not in row:
            raise BadInputError(f"{where}: no {name!r}")
        if not isinstance(row[name], kind) or isinstance(row[name], bool):
            raise BadInputError(f"{where}: {name!r} has the wrong type ({type(row[name]).__name__})")
    if row["label"] is not None and row["label"] not in CLASSES:
        raise BadInputError(f"{where}: unknown class {row['label']!r}")
    if row["split"] not in SPLITS:
        raise BadInputError(f"{where}: split must be train or test, not {row['split']!r}")
    if not row["captions"] or not all(isinstance(c, str) and c.strip() for c in row["captions"]):
        raise BadInputError(f"{where}: captions must be a non-empty list of texts")
    relative = Path(row["path"])
    if relative.is_absolute() or ".." in relative.parts:
        raise BadInputError(f"{where}: path {row['path']!r} must stay inside the corpus folder")
    path = root / relative
    if not path.is_file():
        raise BadInputError(f"{where}: clip {row['path']} is missing")
    if row["seconds"] <= 0 or row["sample_rate"] <= 0:
        raise BadInputError(f"{where}: seconds and sample_rate must be positive")
    return CorpusClip(
        path=path,
        label=row["label"],
        captions=tuple(row["captions"]),
        split=row["split"],
        seconds=float(row["seconds"]),
        sample_rate=row["sample_rate"],
        package=row["package"],
        package_version=row["package_version"],
        source_path=row["source_path"],
        authors=tuple(str(a) for a in row["authors"]),
        licence=_accepted(row["licence"], where),
        licence_url=row["licence_url"],
        title=str(row.get("title", "")),
        piece=int(row.get("piece", 1)),
        pieces=int(row.get("pieces", 1)),
    )


def load_corpus(directory: str | Path, split: str | None = None) -> list[CorpusClip]:
    """The clips of a corpus built by `python -m foleykit.corpus build`, all or one split's.

    The whole manifest is checked first (fields, types, classes, splits, files present, and no recording
    in both splits); a bad line is a BadInputError naming the manifest and the line.
    """
    root = Path(directory)
    manifest = root / MANIFEST
    if split is not None and split not in SPLITS:
        raise BadInputError(f"split must be train, test or None, not {split!r}")
    if not manifest.is_file():
        raise BadInputError(f"{root} holds no corpus ({MANIFEST} missing): build one with `python -m foleykit.corpus build {root}`")  # fmt: skip
    clips: list[CorpusClip] = []
    split_of: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{manifest}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise BadInputError(f"{where}: not JSON ({err.msg})") from None
        clip = _clip(row, root, where)
        first = split_of.setdefault(clip.source_id, (clip.split, number))
        if first[0] != clip.split:
            raise BadInputError(
                f"{where}: {clip.source_path} is in {clip.split} here but in {first[0]} on line {first[1]}"
            )
        clips.append(clip)
    if not clips:
        raise BadInputError(f"{manifest} lists no clips")
    return [c for c in clips if split is None or c.split == split]


def read_clip(clip: CorpusClip, rate: int) -> np.ndarray:
    """The clip's samples as float32 mono at `rate` (resampled with soxr when the corpus rate differs)."""
    from foleykit.audio.post import resample

    try:
        audio, file_rate = sf.read(clip.path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise BadInputError(f"cannot read corpus clip {clip.path}: {err}") from None
    mono = audio.mean(axis=1) if audio.shape[1] > 1 else audio[:, 0]
    return np.ascontiguousarray(resample(mono[None, :], int(file_rate), int(rate))[0], dtype=np.float32)


__all__ = ["MANIFEST", "CorpusClip", "load_corpus", "read_clip"]
