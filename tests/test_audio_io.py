"""Delivery files: 24-bit WAV with provenance inside, atomic writes, no overwrite without force."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from foleykit.audio.io import ensure_writable_dir, write_json, write_wav
from foleykit.errors import BadInputError, OutputExistsError


def test_wav_is_24_bit_with_info_chunk(tmp_path: Path) -> None:
    audio = (0.5 * np.sin(np.linspace(0, 100, 4800))).astype(np.float32)[None]
    path = write_wav(
        tmp_path / "a.wav", audio, 48000, info={"software": "foleykit 0.1.0", "comment": "seed=3 ✓"}
    )
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (48000, 1, "PCM_24", 4800)
    back, _ = sf.read(path, dtype="float32")
    assert np.abs(back - audio[0]).max() < 2**-22
    meta = sf.SoundFile(path).copy_metadata()
    assert meta["software"].startswith("foleykit 0.1.0") and meta["comment"].startswith("seed=3")
    assert b"LIST" in path.read_bytes()[:200]


def test_no_overwrite_without_force(tmp_path: Path) -> None:
    path = write_json(tmp_path / "a.json", {"v": 1})
    with pytest.raises(OutputExistsError, match="--force"):
        write_json(path, {"v": 2})
    assert path.read_text().strip().endswith("}") and '"v": 1' in path.read_text()
    write_json(path, {"v": 2}, force=True)
    assert '"v": 2' in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"], "no temporary files are left behind"


def test_files_get_ordinary_permissions(tmp_path: Path) -> None:
    path = write_json(tmp_path / "p.json", {})
    assert path.stat().st_mode & 0o044, "readable by group/others as the umask allows, not mkstemp's 0600"


def test_an_output_folder_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for folder in (blocker, blocker / "sub"):
        with pytest.raises(BadInputError, match=r"output folder .*file.* is a file, not a folder"):
            ensure_writable_dir(folder)
    assert blocker.read_text() == "x"


def test_json_is_strict_even_for_infinite_values(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "s.json", {"scheduler": {"lambda_min_clipped": float("-inf")}, "x": [float("nan")]}
    )
    doc = json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"non-standard JSON {name}"))
    assert doc == {"scheduler": {"lambda_min_clipped": "-inf"}, "x": ["nan"]}
