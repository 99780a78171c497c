"""Working from a take (foleykit vary / inpaint / extend): untouched samples stay the source's bit for bit,
the new files name their parent and can be made again from it, and bad input stops before any work."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import foleykit
from foleykit.audio.joins import splice
from foleykit.cli import main
from foleykit.derive import CROSSFADE_SECONDS

RATE = 48_000
FADE = round(CROSSFADE_SECONDS * RATE)


def pcm(path: Path) -> np.ndarray:
    return sf.read(path, dtype="int32", always_2d=True)[0]


@pytest.fixture(scope="module")
def source(tiny_bundled_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("source")
    result = foleykit.generate(
        "footsteps on gravel", model=str(tiny_bundled_dir), duration=1.5, seed=9, steps=2, out_dir=out
    )
    return result.files[0].path


def derive_cli(*argv: str, capsys: pytest.CaptureFixture) -> list[Path]:
    assert main([*argv, "--steps", "2", "--json"]) == 0
    return [Path(t["path"]) for t in json.loads(capsys.readouterr().out)["takes"]]


def test_inpaint_and_extend_keep_the_source_samples_and_name_their_parent(
    source: Path, tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    model = ["--model", str(tiny_bundled_dir), "--out", str(tmp_path)]
    (inpainted,) = derive_cli(
        "inpaint", str(source), "--region", "0.5:0.9", "--seed", "3", *model, capsys=capsys
    )
    before, after = round(0.5 * RATE) - FADE, round(0.9 * RATE) + FADE
    original, made = pcm(source), pcm(inpainted)
    assert made.shape == original.shape
    assert np.array_equal(made[:before], original[:before]) and np.array_equal(made[after:], original[after:])
    assert not np.array_equal(made[before:after], original[before:after])

    (extended,) = derive_cli("extend", str(source), "--to", "6", "--seed", "3", *model, capsys=capsys)
    longer = pcm(extended)
    assert len(longer) == 6 * RATE and np.array_equal(longer[: len(original) - FADE], original[:-FADE])
    # past the tiny model's 5 s window: made in two windows, each continuing what is already there
    assert np.abs(longer[len(original) :]).max() > 0, "the continuation is sound, not silence"

    sidecar = json.loads(inpainted.with_suffix(".json").read_text())
    derived = sidecar["derived_from"]
    parent_sidecar = json.loads(source.with_suffix(".json").read_text())
    assert derived["operation"] == "inpaint" and derived["region"] == [0.5, 0.9]
    assert (
        derived["parent"]["path"] == str(source) and derived["parent"]["seed"] == parent_sidecar["seed"] == 9
    )
    assert derived["parent"]["prompt"] == "footsteps on gravel", "the prompt comes from the parent's sidecar"
    import hashlib

    assert derived["parent"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    again = tmp_path / "again"
    command = shlex.split(sidecar["command"])
    assert command[:3] == ["foleykit", "inpaint", str(source)]
    assert main([*command[1:], "--out", str(again)]) == 0
    assert np.array_equal(pcm(again / inpainted.name), made), "the sidecar's command makes it again"


def test_variations_are_new_takes_of_the_source_length(
    source: Path, tiny_bundled_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    paths = derive_cli("vary", str(source), "--strength", "0.4", "--takes", "2", "--seed", "5",
                       "--model", str(tiny_bundled_dir), "--out", str(tmp_path), capsys=capsys)  # fmt: skip
    first, second = (pcm(p) for p in paths)
    assert first.shape == second.shape == pcm(source).shape and not np.array_equal(first, second)
    assert [p.name for p in paths] == [f"{source.stem}_vary_t1_s5.wav", f"{source.stem}_vary_t2_s6.wav"]
    assert json.loads(paths[0].with_suffix(".json").read_text())["derived_from"]["strength"] == 0.4


def _log_spectral_distance(a: np.ndarray, b: np.ndarray) -> float:
    def spectrum(x: np.ndarray) -> np.ndarray:
        frames = np.lib.stride_tricks.sliding_window_view(x, 1024)[::256] * np.hanning(1024)
        return 10 * np.log10(np.abs(np.fft.rfft(frames)) ** 2 + 1e-8)

    n = min(len(a), len(b))
    return float(np.sqrt(np.mean((spectrum(a[:n]) - spectrum(b[:n])) ** 2)))


def test_lower_strength_stays_closer_to_the_source_with_the_bundled_model(tmp_path: Path) -> None:
    made = foleykit.generate("a door knocks three times", duration=2.0, seed=4, out_dir=tmp_path)
    source = made.files[0].path
    original = sf.read(source, dtype="float32")[0]
    distances = {}
    for strength in (0.3, 1.0):
        result = foleykit.derive.derive(
            source,
            foleykit.derive.Operation("vary", strength=strength),
            seed=11,
            out_dir=tmp_path / str(strength),
        )
        distances[strength] = _log_spectral_distance(
            sf.read(result.files[0].path, dtype="float32")[0], original
        )
    assert distances[0.3] < distances[1.0], distances


def test_stable_audio_3_varies_and_inpaints_in_stereo(
    tiny_stable_audio_3_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    made = foleykit.generate(
        "rain", model=str(tiny_stable_audio_3_dir), duration=1.0, seed=2, steps=2, out_dir=tmp_path
    )
    source = made.files[0].path
    model = ["--model", str(tiny_stable_audio_3_dir), "--out", str(tmp_path / "d")]
    (varied,) = derive_cli("vary", str(source), "--strength", "0.5", *model, capsys=capsys)
    assert pcm(varied).shape == (RATE, 2)
    (inpainted,) = derive_cli("inpaint", str(source), "--region", "0.4:0.6", *model, capsys=capsys)
    original, new = pcm(source), pcm(inpainted)
    cut = round(0.4 * RATE) - FADE
    assert new.shape == (RATE, 2) and np.array_equal(new[:cut], original[:cut])


def test_stable_audio_open_variations_follow_the_source_more_at_lower_strength(
    tiny_stable_audio_dir: Path, tmp_path: Path
) -> None:
    """The stock pipeline's `initial_audio_waveforms` noises the source at sigma 500, where it barely
    counts; started lower, the same seed on two different sources gives outputs that differ far more."""
    seconds = np.arange(RATE) / RATE
    sources = {
        "tone": 0.5 * np.sin(2 * np.pi * 440 * seconds),
        "hiss": 0.1 * np.random.default_rng(0).standard_normal(RATE),
    }
    for name, audio in sources.items():
        sf.write(tmp_path / f"{name}.wav", audio, RATE, subtype="PCM_24")
    apart = {}
    for strength in (0.1, 1.0):
        outs = [
            foleykit.derive.derive(
                tmp_path / f"{name}.wav", foleykit.derive.Operation("vary", strength=strength), prompt="rain",
                seed=5, model=str(tiny_stable_audio_dir), steps=4, out_dir=tmp_path / f"{name}{strength}",
            ).files[0].path
            for name in sources
        ]  # fmt: skip
        tone, hiss = (sf.read(path, dtype="float32")[0] for path in outs)
        assert tone.shape == (RATE,)  # on the source's channels
        apart[strength] = float(np.sqrt(np.mean((tone - hiss) ** 2)))
    assert apart[0.1] > 1e-5 and apart[0.1] > 10 * apart[1.0], apart


def test_splice_crossfades_only_next_to_the_region() -> None:
    source = np.full((1, 1000), 0.5, dtype=np.float32)
    new = np.full((1, 1000), 0.25, dtype=np.float32)
    out, gain_db = splice(source, new, 400, 600, 50)
    assert gain_db == pytest.approx(6.02, abs=0.01), "matched to the source's level across the crossfades"
    assert np.array_equal(out[:, :350], source[:, :350]) and np.array_equal(out[:, 650:], source[:, 650:])
    assert np.allclose(out[:, 400:600], 0.5)
    new[:, 500] = 1.0  # a click in the new part: the match would put it at +6 dBFS
    out, gain_db = splice(source, new, 400, 600, 50)
    assert np.abs(out).max() == pytest.approx(10 ** (-1 / 20), rel=1e-6) and gain_db < 6.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["inpaint", "{src}", "--region", "1.2:1.9"], "outside"),
        (["inpaint", "{src}", "--region", "0.5:0.5"], "empty"),
        (["inpaint", "{src}", "--region", "half"], "START:END"),
        (["vary", "{src}", "--strength", "0"], "strength must be in (0, 1]"),
        (["vary", "{src}", "--strength", "1.5"], "strength must be in (0, 1]"),
        (["extend", "{src}", "--to", "1.0"], "--to must be longer"),
        (["vary", "{txt}"], "not audio"),
        (["vary", "{wav_alone}"], "give --prompt"),
        (["vary", "{src}", "--model", "{audioldm2}"], "cannot make variations"),
        (["inpaint", "{src}", "--region", "0.2:0.4", "--model", "{sao}"], "cannot inpaint"),
        (["vary", "{src}", "--model", "{sao}", "--crop-window"], "does not apply to Stable Audio Open var"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_written(
    argv: list[str], message: str, source: Path, tiny_audioldm2_dir: Path, tiny_stable_audio_dir: Path,
    tmp_path: Path, capsys: pytest.CaptureFixture,
) -> None:  # fmt: skip
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    alone = tmp_path / "alone.wav"
    sf.write(alone, np.zeros(4800), RATE)
    names = {
        "src": source, "txt": text, "wav_alone": alone, "audioldm2": tiny_audioldm2_dir, "sao": tiny_stable_audio_dir
    }  # fmt: skip
    out = tmp_path / "out"
    try:
        code = main([a.format(**names) for a in argv] + ["--out", str(out), "--steps", "2"])
    except SystemExit as stop:  # argparse's own checks exit at once
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists() or not any(out.iterdir())


def test_a_prompt_file_makes_variations_and_regions_of_its_sources_and_resumes(
    source: Path, tiny_bundled_dir: Path, tmp_path: Path
) -> None:
    import shutil

    from foleykit.batch import run_batch

    shutil.copy(source, tmp_path / "step.wav")
    shutil.copy(source.with_suffix(".json"), tmp_path / "step.json")  # lends the prompt
    prompts = tmp_path / "edits.toml"
    prompts.write_text(
        f'[defaults]\nmodel = "{tiny_bundled_dir}"\nsteps = 2\n\n'
        '[[sound]]\nname = "step again"\nsource = "step.wav"\nstrength = 0.5\ntakes = 2\n\n'
        '[[sound]]\nname = "step fixed"\nsource = "step.wav"\nregion = "0.5:0.9"\n\n'
        '[[sound]]\nname = "step longer"\nsource = "step.wav"\nto = 2.5\n'
    )
    out = tmp_path / "out"
    result = run_batch(prompts, out, device="cpu")
    assert (result.generated, result.skipped) == (4, 0)
    lines = [json.loads(line) for line in (out / "edits" / "manifest.jsonl").read_text().splitlines()]
    assert sorted((e["name"], e["take"]) for e in lines) == [
        ("step again", 1),
        ("step again", 2),
        ("step fixed", 1),
        ("step longer", 1),
    ]
    longer = pcm(out / next(e["path"] for e in lines if e["name"] == "step longer"))
    assert len(longer) == round(2.5 * RATE)
    assert np.array_equal(longer[: len(pcm(source)) - FADE], pcm(source)[:-FADE])
    fixed = out / next(e["path"] for e in lines if e["name"] == "step fixed")
    original, made = pcm(source), pcm(fixed)
    cut = round(0.5 * RATE) - FADE
    assert made.shape == original.shape and np.array_equal(made[:cut], original[:cut])
    sidecar = json.loads(fixed.with_suffix(".json").read_text())
    assert (
        sidecar["derived_from"]["parent"]["path"].endswith("step.wav")
        and sidecar["prompt"] == "footsteps on gravel"
    )
    again = run_batch(prompts, out, device="cpu")
    assert (again.generated, again.skipped) == (0, 4), "finished takes are not made again"

    for body, message in (
        ('[[sound]]\nprompt = "x"\nstrength = 0.5\n', "strength needs a source file"),
        ('[[sound]]\nprompt = "x"\nsource = "none.wav"\nstrength = 0.5\n', "does not exist"),
        ('[[sound]]\nsource = "step.wav"\n', "one of strength (variations), region (made again) or to"),
        ('[[sound]]\nsource = "step.wav"\nto = 1.0\n', "--to must be longer"),
        ('[[sound]]\nsource = "step.wav"\nregion = "1.2:9"\n', "outside"),
    ):
        prompts.write_text(body)
        with pytest.raises(foleykit.BadInputError, match=re.escape(message)):
            run_batch(prompts, out, device="cpu")
