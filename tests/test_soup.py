"""Weight interpolation of two fine-tunes (`python -m foleykit.training.soup`), on tiny saved pipelines loaded
back through FoleyPipeline.from_pretrained, the way the bundled model is loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline
from foleykit.training.soup import interpolate
from foleykit.training.soup import main as soup_main


def _save(directory: Path, arch: FoleyArchitecture, unet_shift: float = 0.0, attribution: str = "a") -> Path:
    torch.manual_seed(0)  # same init: the tuned model is the base with its UNet moved
    pipe = build_foley_pipeline(arch)
    with torch.no_grad():
        for param in pipe.unet.parameters():
            param.add_(unet_shift)
    pipe.save_pretrained(directory, include_text_encoder=False)
    (directory / "ATTRIBUTION.md").write_text(f"# recordings {attribution}\n")
    (directory / "WEIGHTS-LICENSE").write_text("CC-BY-SA-4.0\n")
    return directory


def _unet(directory: Path) -> dict[str, torch.Tensor]:
    return FoleyPipeline.from_pretrained(str(directory), local_files_only=True).unet.state_dict()


def _soup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "foleykit.training.soup", *args], capture_output=True, text=True, timeout=120
    )


def test_the_soup_is_the_weighted_mean_and_keeps_what_made_both(tmp_path: Path) -> None:
    arch = FoleyArchitecture.tiny()
    base = _save(tmp_path / "base", arch)
    tuned = _save(tmp_path / "tuned", arch, unet_shift=0.25)
    (base / "training_recipe.json").write_text(json.dumps({"recipe_name": "bundled-patch-classes"}))

    run = _soup(str(base), str(tuned), str(tmp_path / "soup"), "--weight", "0.25")
    assert run.returncode == 0, run.stderr
    a, b, mixed = _unet(base), _unet(tuned), _unet(tmp_path / "soup")
    for key in a:
        if a[key].is_floating_point():
            torch.testing.assert_close(mixed[key], 0.75 * a[key] + 0.25 * b[key])
    loaded = FoleyPipeline.from_pretrained(str(tmp_path / "soup"), local_files_only=True)
    base_pipe = FoleyPipeline.from_pretrained(str(base), local_files_only=True)
    for name, value in base_pipe.vocoder.state_dict().items():  # equal in both: unchanged
        assert torch.equal(loaded.vocoder.state_dict()[name], value)
    audio = loaded(
        "a door slam",
        audio_length_in_s=0.5,
        num_inference_steps=2,
        generator=torch.Generator().manual_seed(0),
    )
    assert np.isfinite(np.asarray(audio.audios)).all()

    record = json.loads((tmp_path / "soup" / "training_recipe.json").read_text())
    assert record["interpolation"]["tuned_weight"] == 0.25
    assert record["init"] == {"recipe_name": "bundled-patch-classes"}
    assert record["tuned"] == {"model": str(tuned)}
    assert (tmp_path / "soup" / "ATTRIBUTION.md").read_text() == "# recordings a\n"
    assert (tmp_path / "soup" / "WEIGHTS-LICENSE").read_text() == "CC-BY-SA-4.0\n"

    interpolate(base, tuned, tmp_path / "soup0", 0.0)
    for key, value in _unet(tmp_path / "soup0").items():
        assert torch.equal(value, a[key]), "weight 0 gives the base back"


def test_models_that_are_not_two_fine_tunes_of_one_model_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    arch = FoleyArchitecture.tiny()
    base = _save(tmp_path / "base", arch)
    wider = _save(tmp_path / "wider", replace(arch, unet_channels=tuple(2 * c for c in arch.unet_channels)))
    other_data = _save(tmp_path / "other", arch, attribution="b")
    unattributed = _save(tmp_path / "unattributed", arch)
    (unattributed / "ATTRIBUTION.md").unlink()
    out = tmp_path / "out"
    cases = [
        ((str(base), str(wider), str(out)), "architecture"),
        ((str(base), str(other_data), str(out)), "ATTRIBUTION.md differs"),
        ((str(base), str(unattributed), str(out)), "ATTRIBUTION.md differs"),
        ((str(base), str(base), str(out), "--weight", "1.5"), "within 0 and 1"),
        ((str(base), str(tmp_path / "missing"), str(out)), "does not exist"),
    ]
    run = _soup(*cases[0][0])  # the command as users run it: one line, exit 2
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    for args, message in cases:  # the same entry point, in this process
        capsys.readouterr()
        assert soup_main(list(args)) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
        assert not out.exists()

    out.mkdir()
    (out / "mine.txt").write_text("keep")
    assert soup_main([str(base), str(base), str(out)]) == 2 and "--force" in capsys.readouterr().err
    assert (out / "mine.txt").read_text() == "keep"
    assert soup_main([str(base), str(base), str(out), "--force"]) == 0
    assert (out / "model_index.json").is_file() and not (out / "mine.txt").exists()
