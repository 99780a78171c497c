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


def test_past_4_gib_the_bwf_is_rf64_with_its_bext_intact(tmp_path: Path) -> None:
    """A mix over 4 GiB (here 4 GiB + 1 s of silence: written sparse, so the test stays small) is RF64."""
    import wavinfo

    from foleykit.audio.bwf import BextInfo, write_bwf

    frames = 2**32 // 3 + 48000
    silence = np.broadcast_to(np.float32(0), (1, frames))  # no memory: one zero seen 1.4 G times
    bext = BextInfo(time_reference=172_800_000, description="uFRAMERATE=25\r\nfoleykit sync mix")
    path = write_bwf(tmp_path / "mix.wav", silence, 48000, bext)
    with path.open("rb") as fh:
        assert fh.read(4) == b"RF64" and fh.read(4) == b"\xff\xff\xff\xff"
    assert path.stat().st_size > 2**32
    info = sf.info(str(path))  # libsndfile reads RF64 …
    assert (info.format, info.frames, info.samplerate) == ("RF64", frames, 48000)
    with sf.SoundFile(str(path)) as f:
        f.seek(frames - 10)
        assert not f.read(10).any()
    reader = wavinfo.WavInfoReader(str(path))  # … and so does wavinfo, with the bext chunk
    assert reader.bext.time_reference == 172_800_000 and "foleykit sync mix" in reader.bext.description
    assert reader.data.frame_count == frames


def test_below_4_gib_the_bwf_stays_riff_and_silence_between_sound_reads_back(tmp_path: Path) -> None:
    from foleykit.audio.bwf import BextInfo, write_bwf

    step = (8 << 20) // 3  # the writer's block: the middle one is all silence, skipped by a seek
    audio = np.zeros((1, 3 * step), np.float32)
    rng = np.random.default_rng(0)
    audio[0, :step] = 0.1 * rng.standard_normal(step)
    audio[0, 2 * step :] = 0.1 * rng.standard_normal(step)
    path = write_bwf(tmp_path / "short.wav", audio, 48000, BextInfo(time_reference=5))
    assert path.read_bytes()[:4] == b"RIFF"
    back, _ = sf.read(str(path), dtype="float32", always_2d=True)
    assert back.shape == (3 * step, 1) and np.abs(back[:, 0] - audio[0]).max() < 2**-22
    assert not back[step : 2 * step].any()
