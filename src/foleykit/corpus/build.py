"""Building the corpus of real recordings: fetch → read → licence → caption → convert → split → write.

    python -m foleykit.corpus build DIR [--packages minetest-data,ufoai-sound,…] [--debs FOLDER]
                                        [--rate 24000] [--force] [--json]

Why it is shaped this way:
- Packages come from Debian (`apt-get download`, never installed) because a Debian package carries a
  reviewed, machine-readable statement of every file's licence; the corpus can then ship with an exact
  attribution list. `--debs FOLDER` uses packages fetched before (or by hand) and makes a build offline.
- Every clip is mono at the bundled model's rate, trimmed of silence (below -60 dBFS relative to its own
  peak, 20 ms kept each side) and peak-normalised to -1 dBFS, so level and lead-in do not tell real
  clips from synthesised ones; recordings over 10 s are cut at their quietest points into pieces of at
  most 10 s (with 10 ms fades at the cuts), the model's longest window.
- The held-out test split is drawn per class *by source recording*, ordered by a hash of its package and
  path, so pieces of one recording never sit on both sides, and a class's split depends only on which
  recordings it has (not on the order packages are read, nor on the machine).
- Nothing is written outside DIR; every file is written atomically, the manifest last: a folder with
  a manifest.jsonl is a finished corpus, and it is never overwritten without --force.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import soundfile as sf

from foleykit import __version__
from foleykit.audio.io import ensure_writable_dir, write_atomic, write_json
from foleykit.audio.post import resample
from foleykit.corpus.captions import lookup
from foleykit.corpus.sources import (
    DEFAULT_PACKAGES,
    LICENCE_NAMES,
    LICENCE_URLS,
    READERS,
    DebContents,
    Exclusion,
    SourceSound,
    read_deb,
)
from foleykit.errors import BadInputError, FoleykitError, OutputExistsError
from foleykit.progress import progress_bar

PROG = "foleykit.corpus"
DEFAULT_RATE = 24000  # the bundled model's rate
MAX_SECONDS = 10.0  # longer recordings are split into pieces of at most this
MIN_SECONDS = 0.15  # shorter clips (after trimming) are dropped
SILENCE_DB = -60.0  # relative to the clip's peak
MARGIN_SECONDS = 0.02  # kept before the first and after the last sample above the silence threshold
CUT_FADE_SECONDS = 0.01  # raised-cosine fade where a long recording is cut into pieces
PEAK_DBFS = -1.0
WAV_SUBTYPE = "PCM_16"  # the sources are mostly Ogg Vorbis: 16 bits hold all they have
TEST_FRACTION = 0.2
MANIFEST = "manifest.jsonl"
OUTPUTS = (MANIFEST, "ATTRIBUTION.md", "attribution.json", "build.json", "LICENSE-NOTE.md")


# ------------------------------------------------------------------------------------------ fetching


def locate_deb(package: str, debs: Path | None, download_dir: Path) -> Path:
    """The package's .deb: from `debs` if it holds one, else from a previous download in DIR/debs,
    else fetched there with `apt-get download` (never installed)."""
    for folder in (debs, download_dir):
        if folder is None or not folder.is_dir():
            continue
        found = sorted(folder.glob(f"{package}_*.deb"))
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise BadInputError(f"{folder} holds several .deb files of {package} ({names}): keep one")
        if found:
            return found[0]
    by_hand = (
        f"fetch it by hand (`apt-get download {package}` on a Debian or Ubuntu machine, or from "
        f"https://packages.debian.org/{package}) into a folder and pass --debs FOLDER"
    )
    where = f"no {package}_*.deb in {debs}, and " if debs is not None else ""
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise BadInputError(f"{where}apt-get is not available here to fetch {package}: {by_hand}")
    download_dir.mkdir(parents=True, exist_ok=True)
    try:
        run = subprocess.run(
            [apt_get, "download", package], cwd=download_dir, capture_output=True, text=True, timeout=1800
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BadInputError(f"`apt-get download {package}` failed ({err}): {by_hand}") from None
    found = sorted(download_dir.glob(f"{package}_*.deb"))
    if run.returncode or not found:
        detail = (run.stderr.strip().splitlines() or [f"exit code {run.returncode}"])[-1]
        raise BadInputError(f"`apt-get download {package}` failed ({detail}): {by_hand}")
    return found[-1]


# ---------------------------------------------------------------------------------------- conversion


def decode(sound: SourceSound, wvunpack: str | None) -> tuple[np.ndarray, int]:
    """Float32 mono samples and their rate. Channels are averaged (a stereo game sound is a mono
    recording panned or widened; averaging keeps what both channels share)."""
    data = sound.data
    if sound.fmt == "wv":
        if wvunpack is None:
            raise ValueError("WavPack (.wv) needs `wvunpack` on PATH (Debian package wavpack)")
        run = subprocess.run(
            [wvunpack, "-q", "-w", "-", "-o", "-"], input=data, capture_output=True, timeout=120, check=False
        )
        if run.returncode:
            raise ValueError(f"wvunpack failed: {run.stderr.decode(errors='replace').strip()[:120]}")
        data = run.stdout
    try:
        audio, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(f"cannot decode it: {err}") from None
    return np.ascontiguousarray(audio.mean(axis=1), dtype=np.float32), int(rate)


def trim_silence(audio: np.ndarray, rate: int) -> np.ndarray:
    """Drop what lies below SILENCE_DB (relative to the peak) at both ends, keeping MARGIN_SECONDS."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 0.0:
        return audio[:0]
    loud = np.flatnonzero(np.abs(audio) >= peak * 10 ** (SILENCE_DB / 20))
    margin = round(MARGIN_SECONDS * rate)
    return audio[max(int(loud[0]) - margin, 0) : min(int(loud[-1]) + 1 + margin, audio.size)]


def split_points(audio: np.ndarray, rate: int, max_seconds: float = MAX_SECONDS) -> list[int]:
    """Where to cut a long recording: each cut at the quietest 20 ms frame in the second half of the
    next `max_seconds` window, so every piece is between half and all of the window long."""
    longest = int(max_seconds * rate)
    frame = max(int(0.02 * rate), 1)
    energy = np.convolve(
        np.sqrt(np.mean(audio[: audio.size // frame * frame].reshape(-1, frame) ** 2, axis=1)),
        np.ones(3) / 3,
        mode="same",
    )
    cuts, start = [], 0
    while audio.size - start > longest:
        first, last = -(-(start + longest // 2) // frame), (start + longest) // frame
        quietest = first + int(np.argmin(energy[first:last])) if last > first else last
        cut = min(quietest * frame + frame // 2, start + longest)
        cuts.append(cut)
        start = cut
    return cuts


def _fade(piece: np.ndarray, rate: int, head: bool, tail: bool) -> np.ndarray:
    n = min(round(CUT_FADE_SECONDS * rate), piece.size // 2)
    if n < 2:
        return piece
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
    piece = piece.copy()
    if head:
        piece[:n] *= ramp
    if tail:
        piece[-n:] *= ramp[::-1]
    return piece


def convert(audio: np.ndarray, source_rate: int, rate: int) -> list[np.ndarray]:
    """Resampled, trimmed, split and peak-normalised pieces of one recording (none if too short)."""
    audio = resample(audio[None, :], source_rate, rate)[0]
    audio = trim_silence(audio, rate)
    if audio.size < MIN_SECONDS * rate:
        return []
    cuts = split_points(audio, rate)
    bounds = [0, *cuts, audio.size]
    pieces = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        piece = _fade(audio[a:b], rate, head=i > 0, tail=i < len(cuts))
        piece = trim_silence(piece, rate) if cuts else piece
        if piece.size >= MIN_SECONDS * rate:
            pieces.append(piece * np.float32(10 ** (PEAK_DBFS / 20) / np.max(np.abs(piece))))
    return pieces


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def write_clip(path: Path, audio: np.ndarray, rate: int, info: dict[str, str], force: bool) -> None:
    """16-bit mono WAV whose LIST/INFO chunk names the work, its authors and its licence (DESIGN §2:
    provenance travels inside the file)."""

    def writer(tmp: Path) -> None:
        with sf.SoundFile(tmp, "w", rate, 1, WAV_SUBTYPE, format="WAV") as fh:
            for key, value in info.items():
                if value.strip():  # libsndfile refuses empty strings
                    setattr(fh, key, _ascii(value)[:500])
            fh.write(np.clip(audio, -1.0, 1.0))

    write_atomic(path, writer, force=force)


# --------------------------------------------------------------------------------------------- naming


def slug(text: str, limit: int = 60) -> str:
    text = re.sub(r"[^a-z0-9_-]+", "_", text.lower()).strip("_-")
    return re.sub(r"_+", "_", text)[:limit].strip("_-") or "sound"


def stem_for(key: str) -> str:
    """A file stem from a sound's key: its name under a `sounds/` folder, else its path without the
    package's top folder ("sound/footsteps/stone1.ogg" → footsteps_stone1), or an entry's "NN Title"."""
    base = re.sub(r"\.(ogg|oga|wav|wv)$", "", key, flags=re.I)
    if "/sounds/" in base:
        base = base.rsplit("/sounds/", 1)[1]
    elif base.count("/") >= 1 and not re.match(r"\d\d ", base):
        base = base.split("/", 1)[1]
    return slug(base.replace(".", "_"))


def split_of(package: str, path: str) -> float:
    """A stable number in [0, 1) for a source recording, from its package and path alone."""
    return int.from_bytes(hashlib.sha256(f"{package}\n{path}".encode()).digest()[:8], "big") / 2.0**64


def assign_splits(sources_by_label: dict[str | None, list[tuple[str, str]]]) -> dict[tuple[str, str], str]:
    """A source recording is "test" when its `split_of` is under TEST_FRACTION, whatever else is in the
    corpus; a class of two or more recordings with none under it holds out its lowest. So adding
    packages never moves a recording between splits, except that one held-out pick, which can only go
    back to "train" (a lower one arrives) — a model trained on an earlier corpus's train split has heard
    none of a later corpus's test recordings, apart from a class's first test pick when its second
    recording arrives. (Until 2026-12-02 each class held out its lowest 20 %, which moved as
    recordings were added.)"""
    splits: dict[tuple[str, str], str] = {}
    for sources in sources_by_label.values():
        ordered = sorted((split_of(*source), source) for source in set(sources))
        for value, source in ordered:
            splits[source] = "test" if value < TEST_FRACTION else "train"
        if len(ordered) >= 2 and splits[ordered[0][1]] == "train":
            splits[ordered[0][1]] = "test"
    return splits


# -------------------------------------------------------------------------------------------- result


@dataclass
class BuildResult:
    out: Path
    rows: list[dict[str, Any]]
    record: dict[str, Any]  # build.json
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What --json prints: paths written and the counts."""
        counts = self.record["counts"]
        return {
            "corpus": str(self.out),
            "manifest": str(self.out / MANIFEST),
            "files": [str(self.out / name) for name in OUTPUTS],
            "clips": counts["clips"],
            "sources": counts["sources"],
            "seconds": counts["seconds"],
            "clips_mb": counts["clips_mb"],
            "per_class": counts["per_class"],
            "per_licence": counts["per_licence"],
            "per_package": counts["per_package"],
            "unmapped": {p: len(keys) for p, keys in self.record["unmapped"].items()},
            "excluded": self.record["excluded"],
            "weights_licence": self.record["weights_licence"],
            "notes": self.notes,
        }

    def report(self) -> str:
        """A few lines for people: per class train/test clips (sources), per licence and package."""
        counts = self.record["counts"]
        lines = [
            f"corpus: {self.out} — {counts['clips']} clips from {counts['sources']} recordings, "
            f"{counts['seconds']:.0f} s, {counts['clips_mb']:.1f} MB of WAV",
            f"{'class':20s} {'train':>12s} {'test':>12s}   (clips, recordings)",
        ]
        for label, by_split in counts["per_class"].items():
            cells = [f"{by_split[s]['clips']:4d} ({by_split[s]['sources']:3d})" for s in ("train", "test")]
            lines.append(f"{label:20s} {cells[0]:>12s} {cells[1]:>12s}")
        lines.append(
            "licences: " + ", ".join(f"{k} {v['sources']}" for k, v in counts["per_licence"].items())
        )
        for package, c in counts["per_package"].items():
            lines.append(
                f"{package} {c['version']}: {c['kept']} of {c['sounds']} recordings kept; excluded "
                f"{c['licence']} for licence, {c['skipped']} skipped, {c['unmapped']} unmapped, "
                f"{c['duplicate']} duplicates, {c['audio']} for their audio"
            )
        lines += [f"note: {n}" for n in self.notes]
        lines.append(
            f"weights trained on it: {self.record['weights_licence']['licence']} (see LICENSE-NOTE.md)"
        )
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------ building


def _check_arguments(out: Path, packages: Sequence[str], debs: Path | None, rate: int, force: bool) -> None:
    unknown = [p for p in packages if p not in READERS]
    if unknown:
        raise BadInputError(f"no reader for package {', '.join(unknown)}; known: {', '.join(READERS)}")
    if not packages:
        raise BadInputError("no packages given")
    if not 8000 <= rate <= 192000:
        raise BadInputError(f"--rate must be between 8000 and 192000 Hz, got {rate}")
    if debs is not None and not debs.is_dir():
        what = "is not a folder" if debs.exists() else "does not exist"
        raise BadInputError(f"--debs {debs} {what}: name the folder that holds the .deb files")
    if out.exists() and not out.is_dir():
        raise BadInputError(f"output folder {out} is a file, not a folder: name a folder")
    if not force:
        existing = [name for name in OUTPUTS if (out / name).exists()]
        if existing:
            raise OutputExistsError(
                f"{out} already holds a corpus ({existing[0]}); pass --force to rebuild it"
            )


def build_corpus(
    out: Path,
    packages: Sequence[str] = DEFAULT_PACKAGES,
    *,
    debs: Path | None = None,
    rate: int = DEFAULT_RATE,
    force: bool = False,
    progress: bool = True,
    command: Sequence[str] | None = None,
) -> BuildResult:
    """Build the corpus in `out` from `packages` (see the module docstring); returns what was written."""
    out, debs = Path(out), (Path(debs) if debs is not None else None)
    packages = list(dict.fromkeys(packages))
    _check_arguments(out, packages, debs, rate, force)
    if force:  # a rebuild is unfinished until its new manifest lands: no old one may vouch for it meanwhile
        (out / MANIFEST).unlink(missing_ok=True)
    ensure_writable_dir(out)
    wvunpack = shutil.which("wvunpack")
    notes: list[str] = []
    excluded: list[Exclusion] = []
    unmapped: dict[str, list[str]] = defaultdict(list)
    package_info: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    sources: dict[tuple[str, str], dict[str, Any]] = {}  # (package, path) → attribution entry
    seen_audio: dict[str, str] = {}
    used_stems: set[tuple[str, str]] = set()
    written: set[Path] = set()

    # 1. fetch and read every package before converting anything: a missing one fails fast
    contents: list[tuple[DebContents, list[SourceSound], list[Exclusion]]] = []
    for package in packages:
        reader = READERS[package]
        deb = locate_deb(package, debs, out / "debs")
        read = read_deb(deb, reader.wanted)
        if read.package != package:
            raise BadInputError(f"{deb} holds package {read.package}, not {package}")
        sounds, dropped, reader_notes = reader.read(read)
        notes += [f"{package}: {n}" for n in reader_notes]
        contents.append((read, sounds, dropped))

    # 2. caption, de-duplicate, convert and write each recording
    for read, sounds, dropped in contents:
        package = read.package
        excluded += dropped
        counts = Counter(e.kind for e in dropped)
        wv_missing = 0
        bar = progress_bar(sounds, desc=f"converting {package}", unit="file", disable=not progress)
        for sound in bar:
            rule = lookup(package, sound.key)
            if rule is None:
                unmapped[package].append(sound.key)
                counts["unmapped"] += 1
                continue
            if rule.skipped:
                excluded.append(Exclusion(package, sound.path, f"skipped: {rule.skip}", "skipped"))
                counts["skipped"] += 1
                continue
            digest = hashlib.sha256(sound.data).hexdigest()
            if digest in seen_audio:
                excluded.append(
                    Exclusion(package, sound.path, f"identical to {seen_audio[digest]}", "duplicate")
                )
                counts["duplicate"] += 1
                continue
            seen_audio[digest] = sound.path
            try:
                audio, source_rate = decode(sound, wvunpack)
            except ValueError as err:
                wv_missing += sound.fmt == "wv" and wvunpack is None
                excluded.append(Exclusion(package, sound.path, str(err), "audio"))
                counts["audio"] += 1
                continue
            pieces = convert(audio, source_rate, rate)
            if not pieces:
                reason = f"shorter than {MIN_SECONDS} s once silence is trimmed" if audio.any() else "silent"
                excluded.append(Exclusion(package, sound.path, reason, "audio"))
                counts["audio"] += 1
                continue
            stem = stem_for(sound.key)
            while (package, stem) in used_stems:
                stem = f"{stem}_{hashlib.sha256(sound.path.encode()).hexdigest()[:6]}"
            used_stems.add((package, stem))
            clip_paths = []
            for index, piece in enumerate(pieces, 1):
                name = f"{stem}_p{index}.wav" if len(pieces) > 1 else f"{stem}.wav"
                relative = f"clips/{package}/{name}"
                (out / "clips" / package).mkdir(parents=True, exist_ok=True)
                write_clip(
                    out / relative,
                    piece,
                    rate,
                    {
                        "title": sound.title,
                        "artist": ", ".join(sound.authors),
                        "copyright": f"{sound.licence} {LICENCE_URLS[sound.licence]}",
                        "comment": f"from Debian package {package} {sound.version}: {sound.path}; converted "
                        "to mono WAV, resampled, trimmed, normalised by foleykit.corpus",
                        "software": f"foleykit {__version__}",
                    },
                    force,
                )
                written.add(out / relative)
                clip_paths.append(relative)
                rows.append(
                    {
                        "path": relative,
                        "label": rule.label,
                        "captions": list(rule.captions),
                        "split": None,
                        "seconds": round(piece.size / rate, 4),
                        "sample_rate": rate,
                        "package": package,
                        "package_version": sound.version,
                        "source_path": sound.path,
                        "authors": list(sound.authors),
                        "licence": sound.licence,
                        "licence_url": LICENCE_URLS[sound.licence],
                        "title": sound.title,
                        "piece": index,
                        "pieces": len(pieces),
                    }
                )
            sources[(package, sound.path)] = {
                "package": package,
                "package_version": sound.version,
                "source_path": sound.path,
                "title": sound.title,
                "authors": list(sound.authors),
                "licence": sound.licence,
                "licence_url": LICENCE_URLS[sound.licence],
                "licence_basis": sound.basis,
                "credit": sound.credit,
                "label": rule.label,
                "clips": clip_paths,
            }
        if wv_missing:
            notes.append(
                f"{package}: {wv_missing} WavPack (.wv) recordings skipped: libsndfile cannot read WavPack; "
                "put `wvunpack` (Debian package wavpack) on PATH and rebuild to include them"
            )
        package_info[package] = {
            "version": read.version,
            "source_package": read.source,
            "homepage": read.homepage,
            "deb": read.path.name,
            "sha256": read.sha256,
            "sounds": len(sounds) + sum(1 for e in dropped if e.kind == "licence"),
            "kept": sum(1 for s in sources.values() if s["package"] == package),
            **{
                kind: counts[kind]
                for kind in ("licence", "link", "skipped", "unmapped", "duplicate", "audio")
            },
        }

    # 3. the held-out split, by source recording within each class
    by_label: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    for key, source in sources.items():
        by_label[source["label"]].append(key)
    splits = assign_splits(by_label)
    for row in rows:
        row["split"] = splits[(row["package"], row["source_path"])]
    for key, source in sources.items():
        source["split"] = splits[key]
    rows.sort(key=lambda r: (r["package"], r["source_path"], r["piece"]))

    if force:  # clips of an earlier build that this one did not make again
        for stale in sorted((out / "clips").glob("*/*.wav")):
            if stale not in written:
                stale.unlink()

    # 4. the records, the manifest last
    record = _build_record(out, rows, sources, package_info, excluded, unmapped, notes, rate, command)
    attribution = _attribution(sources, package_info)
    write_json(out / "attribution.json", attribution, force=force)
    _write_text(out / "ATTRIBUTION.md", attribution_markdown(attribution, rate), force)
    _write_text(out / "LICENSE-NOTE.md", licence_note(record), force)
    write_json(out / "build.json", record, force=force)
    _write_text(out / MANIFEST, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), force)
    return BuildResult(out, rows, record, notes)


def _write_text(path: Path, text: str, force: bool) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=force)


def weights_licence(licences: set[str]) -> dict[str, str]:
    """The licence weights trained on recordings under `licences` must carry, and why."""
    if any(lic.startswith("CC-BY-SA") for lic in licences):
        return {
            "licence": "CC-BY-SA-4.0",
            "url": LICENCE_URLS["CC-BY-SA-4.0"],
            "why": "ShareAlike material is included: adaptations of CC BY-SA 3.0 works may be shared under "
            "a later version with the same elements (BY-SA 4.0), and CC BY works may be included in a "
            "BY-SA 4.0 adaptation with their attribution kept",
        }
    if any(lic.startswith("CC-BY") for lic in licences):
        return {
            "licence": "CC-BY-4.0",
            "url": LICENCE_URLS["CC-BY-4.0"],
            "why": "Attribution-only material is included (no ShareAlike): the authors must be credited",
        }
    return {
        "licence": "none required",
        "url": "",
        "why": "only CC0 and public-domain recordings: they impose no conditions",
    }


def _build_record(
    out: Path,
    rows: list[dict[str, Any]],
    sources: dict[tuple[str, str], dict[str, Any]],
    package_info: dict[str, dict[str, Any]],
    excluded: list[Exclusion],
    unmapped: dict[str, list[str]],
    notes: list[str],
    rate: int,
    command: Sequence[str] | None,
) -> dict[str, Any]:
    from foleykit.synth import CLASSES

    per_class: dict[str, dict[str, dict[str, int]]] = {}
    for label in [*CLASSES, None]:
        name = label or "none"
        per_class[name] = {}
        for split in ("train", "test"):
            chosen = [r for r in rows if r["label"] == label and r["split"] == split]
            per_class[name][split] = {
                "clips": len(chosen),
                "sources": len({(r["package"], r["source_path"]) for r in chosen}),
                "seconds": round(sum(r["seconds"] for r in chosen), 2),
            }
    per_licence: dict[str, dict[str, int]] = {}
    for licence in sorted({s["licence"] for s in sources.values()}):
        per_licence[licence] = {
            "sources": sum(1 for s in sources.values() if s["licence"] == licence),
            "clips": sum(1 for r in rows if r["licence"] == licence),
        }
    per_package = {
        package: {**info, "clips": sum(1 for r in rows if r["package"] == package)}
        for package, info in package_info.items()
    }
    summary: dict[str, Counter[str]] = defaultdict(Counter)
    for e in excluded:
        reason = e.reason.split(" (debian/copyright")[0] if e.kind == "licence" else e.reason
        if e.kind == "licence" and reason.startswith("no debian/copyright paragraph"):
            reason = "no debian/copyright paragraph covers it"
        if e.kind in ("link", "duplicate"):
            reason = e.kind
        summary[e.kind][reason] += 1
    clips_bytes = sum((out / r["path"]).stat().st_size for r in rows)
    return {
        "command": list(command) if command is not None else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": {
            "foleykit": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "soundfile": sf.__version__,
            "libsndfile": sf.__libsndfile_version__,
            "soxr": _version("soxr"),
            "wvunpack": shutil.which("wvunpack"),
        },
        "settings": {
            "sample_rate": rate,
            "subtype": WAV_SUBTYPE,
            "max_seconds": MAX_SECONDS,
            "min_seconds": MIN_SECONDS,
            "silence_db_below_peak": SILENCE_DB,
            "margin_seconds": MARGIN_SECONDS,
            "cut_fade_seconds": CUT_FADE_SECONDS,
            "peak_dbfs": PEAK_DBFS,
            "test_fraction": TEST_FRACTION,
            "split": "per class, by source recording: the lowest sha256(package + path) first",
        },
        "packages": package_info,
        "counts": {
            "clips": len(rows),
            "sources": len(sources),
            "seconds": round(sum(r["seconds"] for r in rows), 2),
            "clips_mb": round(clips_bytes / 1e6, 2),
            "per_class": per_class,
            "per_licence": per_licence,
            "per_package": {
                p: {"version": i["version"], **{k: i[k] for k in _PACKAGE_COUNTS}}
                for p, i in per_package.items()
            },
        },
        "weights_licence": weights_licence({s["licence"] for s in sources.values()}),
        "excluded": {kind: dict(reasons.most_common()) for kind, reasons in sorted(summary.items())},
        "excluded_files": [
            {"package": e.package, "path": e.path, "kind": e.kind, "reason": e.reason} for e in excluded
        ],
        "unmapped": {p: sorted(keys) for p, keys in sorted(unmapped.items())},
        "notes": notes,
    }


_PACKAGE_COUNTS = ("sounds", "kept", "clips", "licence", "link", "skipped", "unmapped", "duplicate", "audio")


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except (ImportError, AttributeError):
        return None


def _attribution(
    sources: dict[tuple[str, str], dict[str, Any]], package_info: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    packages = []
    for package, info in package_info.items():
        files = sorted(
            (s for s in sources.values() if s["package"] == package), key=lambda s: s["source_path"]
        )
        if not files:
            continue
        packages.append(
            {
                "package": package,
                "version": info["version"],
                "debian": f"https://tracker.debian.org/pkg/{info['source_package']}",
                "homepage": info["homepage"],
                "files": [
                    {k: v for k, v in f.items() if k not in ("package", "package_version")} for f in files
                ],
            }
        )
    return {
        "changes": CHANGES,
        "licences": {lic: {"name": LICENCE_NAMES[lic], "url": url} for lic, url in LICENCE_URLS.items()},
        "packages": packages,
    }


CHANGES = (
    "converted to mono WAV, resampled, trimmed of leading and trailing silence, split into pieces of at "
    "most 10 s where longer, and peak-normalised, by foleykit.corpus"
)


def attribution_markdown(attribution: dict[str, Any], rate: int) -> str:
    """ATTRIBUTION.md: every recording, grouped by package and licence, with title, authors, source,
    licence and its URL, and the changes made (what CC BY and BY-SA ask of whoever shares the work)."""
    lines = [
        "# Attribution: real recordings used by foleykit",
        "",
        "The foleykit model weights shipped with this file were trained on (and evaluated against) the "
        "recordings listed here, taken from Debian packages. Each entry gives the work (its file or title), "
        "its authors as its package credits them, the package it came from, and its licence.",
        "",
        f"Changes: every recording was {CHANGES.replace('resampled', f'resampled to {rate} Hz')}. These "
        "changes are foleykit's; the authors listed do not endorse foleykit.",
        "",
    ]
    for package in attribution["packages"]:
        lines += [
            f"## {package['package']} {package['version']}",
            "",
            f"Debian package `{package['package']}` ({package['debian']})"
            + (f"; upstream {package['homepage']}" if package["homepage"] else "")
            + ".",
            "",
        ]
        by_licence: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in package["files"]:
            by_licence[f["licence"]].append(f)
        for licence in sorted(by_licence):
            lines += [f"### {LICENCE_NAMES[licence]} ({licence}), {LICENCE_URLS[licence]}", ""]
            for f in by_licence[licence]:
                authors = ", ".join(f["authors"]) or "authors not named by the package"
                credit = f" Credited as: “{' '.join(f['credit'].split())}”." if f["credit"] else ""
                lines.append(f"- “{f['title']}” by {authors}. Source: `{f['source_path']}`.{credit}")
            lines.append("")
    return "\n".join(lines)


def licence_note(record: dict[str, Any]) -> str:
    weights = record["weights_licence"]
    per_licence = record["counts"]["per_licence"]
    listed = "\n".join(
        f"- {LICENCE_NAMES[lic]} ({lic}, {LICENCE_URLS[lic]}): {c['sources']} recordings, {c['clips']} clips"
        for lic, c in per_licence.items()
    )
    return (
        "# Licence of model weights trained on this corpus\n\n"
        f"This corpus holds {record['counts']['clips']} clips from {record['counts']['sources']} recordings "
        f"under these licences:\n\n{listed}\n\n"
        f"Model weights trained on it must carry: **{weights['licence']}**"
        + (f" ({weights['url']})" if weights["url"] else "")
        + f". Why: {weights['why']}.\n\n"
        "The rule: CC-BY-SA-4.0 if any CC BY-SA recording is included; otherwise CC-BY-4.0 if any CC BY "
        "recording is; CC0 and public-domain recordings alone impose nothing. Whether trained weights are "
        "an adaptation of their training data is not settled law; foleykit treats them as one, so the "
        "weights carry the licence and ATTRIBUTION.md ships beside them.\n"
    )


# ---------------------------------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see python -m foleykit.corpus build --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m foleykit.corpus", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    build = commands.add_parser("build", help="build the corpus in DIR from Debian data packages")
    build.add_argument("dir", type=Path, help="output folder (clips/, manifest.jsonl, ATTRIBUTION.md, …)")
    build.add_argument(
        "--packages",
        default=",".join(DEFAULT_PACKAGES),
        help=f"comma-separated Debian packages (default: {','.join(DEFAULT_PACKAGES)})",
    )
    build.add_argument("--debs", type=Path, default=None, help="folder that already holds the .deb files")
    build.add_argument("--rate", type=int, default=DEFAULT_RATE, help=f"sample rate (default {DEFAULT_RATE})")
    build.add_argument("--force", action="store_true", help="rebuild over an existing corpus")
    build.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        result = build_corpus(
            args.dir,
            [p.strip() for p in args.packages.split(",") if p.strip()],
            debs=args.debs,
            rate=args.rate,
            force=args.force,
            command=["python", "-m", "foleykit.corpus", *argv],
        )
    except FoleykitError as err:
        print(f"{PROG}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print(
            f"{PROG}: interrupted; the corpus is unfinished (no manifest.jsonl): rerun with --force",
            file=sys.stderr,
        )
        return 1
    except Exception as err:  # one line for the user; the traceback on request
        if os.environ.get("FOLEYKIT_DEBUG"):
            raise
        detail = str(err).splitlines()[0] if str(err) else ""
        print(
            f"{PROG}: error: {type(err).__name__}: {detail} (set FOLEYKIT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(result.summary(), ensure_ascii=False))
        print(result.report(), file=sys.stderr)
    else:
        print(result.report())
    return 0


__all__ = ["BuildResult", "build_corpus", "convert", "main", "trim_silence", "weights_licence"]
