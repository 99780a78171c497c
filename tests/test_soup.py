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


def _save(
    directory: Path,
    arch: FoleyArchitecture,
    unet_shift: float = 0.0,
    attribution: str = "a",
    dtype: torch.dtype = torch.float32,
) -> Path:
    torch.manual_seed(0)  # same init: the tuned model is the base with its UNet moved
    pipe = build_foley_pipeline(arch)
    with torch.no_grad():
        for param in pipe.unet.parameters():
            param.add_(unet_shift)
    for module in (pipe.unet, pipe.vae, pipe.vocoder):
        module.to(dtype)
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
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout == f"{tmp_path / 'soup'}\n"
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
    assert (record["interpolation"]["base"], record["interpolation"]["tuned"]) == (str(base), str(tuned))
    assert record["init"] == {"recipe_name": "bundled-patch-classes"}
    assert record["tuned"] == {"model": str(tuned)}
    assert (tmp_path / "soup" / "ATTRIBUTION.md").read_text() == "# recordings a\n"
    assert (tmp_path / "soup" / "WEIGHTS-LICENSE").read_text() == "CC-BY-SA-4.0\n"

    interpolate(base, tuned, tmp_path / "soup0", 0.0)
    for key, value in _unet(tmp_path / "soup0").items():
        assert torch.equal(value, a[key]), "weight 0 gives the base back"


def _recorded(name: str, seed: int, **more: object) -> dict:
    """A record as big as a real one (over MIN_SHARED_CHARS), named for what it stands for."""
    return {
        "recipe_name": name,
        "recipe": {"seed": seed},
        "commands": [f"{name} sitting {i}" for i in range(40)],
        **more,
    }


def test_a_fine_tune_of_the_base_keeps_the_base_record_once(tmp_path: Path) -> None:
    """A fine-tune's record holds the record of the weights it started from; averaged with those weights, the
    soup keeps that record once, or every version made so multiplies the record (version 19's: 381 KB
    for three records, 852 KB whole). The record reads back whole."""
    from foleykit.training.records import TUNED_FROM_BASE, model_record

    arch = FoleyArchitecture.tiny()
    base = _save(tmp_path / "base", arch)
    base_record = _recorded("bundled-patch-classes", 0)
    (base / "training_recipe.json").write_text(json.dumps(base_record))
    # version 19's shape: the base averaged with the mean of two fine-tunes of it
    tuned = []
    for seed in (1, 2):
        tuned.append(_save(tmp_path / f"tuned{seed}", arch, unet_shift=0.25 * seed))
        (tuned[-1] / "training_recipe.json").write_text(
            json.dumps(_recorded("walks", seed, init=base_record))
        )
    mean = interpolate(tuned[0], tuned[1], tmp_path / "mean", 0.5)
    soup = interpolate(base, mean, tmp_path / "soup", 0.5)
    text = (soup / "training_recipe.json").read_text()
    assert text.count('"recipe_name": "bundled-patch-classes"') == 1, "in three places, written once"
    assert text.count('"recipe_name": "walks"') == 2
    whole = model_record(soup)
    assert whole["init"] == base_record
    assert whole["tuned"]["init"] == _recorded("walks", 1, init=base_record)
    assert whole["tuned"]["tuned"] == _recorded("walks", 2, init=base_record)
    assert text.count('"bundled-patch-classes sitting 39"') == 1

    # a base written by sessions 44-45's soup (its fine-tune's copy of its init as a pointer) reads whole,
    # and a fine-tune that holds that record whole still shares it
    legacy = {"init": base_record, "tuned": {**_recorded("d43", 3), "init": TUNED_FROM_BASE}}
    (base / "training_recipe.json").write_text(json.dumps(legacy))
    legacy_whole = {"init": base_record, "tuned": _recorded("d43", 3, init=base_record)}
    assert model_record(base) == legacy_whole
    (tuned[0] / "training_recipe.json").write_text(json.dumps(_recorded("walks", 4, init=legacy_whole)))
    soup = interpolate(base, tuned[0], tmp_path / "soup2", 0.5)
    text = (soup / "training_recipe.json").read_text()
    assert text.count('"recipe_name": "bundled-patch-classes"') == 1 and TUNED_FROM_BASE not in text
    assert model_record(soup)["tuned"] == _recorded("walks", 4, init=legacy_whole)

    # a copy that differs only deep inside is another record: both kept
    other = {**legacy_whole, "tuned": _recorded("d43", 3, init=_recorded("bundled-patch-classes", 9))}
    (tuned[0] / "training_recipe.json").write_text(json.dumps(_recorded("walks", 4, init=other)))
    soup = interpolate(base, tuned[0], tmp_path / "soup3", 0.5)
    assert model_record(soup)["tuned"]["init"] == other
    assert model_record(soup)["init"] == legacy_whole


def test_fp16_models_give_an_fp16_soup_with_their_shared_parts_bit_for_bit(tmp_path: Path) -> None:
    """Shipped weights are fp16: the mean is taken in float32 and stored as the inputs were, so the soup is
    as small as they are and a component the two share (the VAE, the vocoder) comes out unchanged."""
    from safetensors.torch import load_file

    arch = FoleyArchitecture.tiny()
    base = _save(tmp_path / "base", arch, dtype=torch.float16)
    tuned = _save(tmp_path / "tuned", arch, unet_shift=0.25, dtype=torch.float16)
    interpolate(base, tuned, tmp_path / "soup", 0.5)
    for component, name in (
        ("vae", "diffusion_pytorch_model.safetensors"),
        ("vocoder", "model.safetensors"),
    ):
        assert (tmp_path / "soup" / component / name).read_bytes() == (base / component / name).read_bytes()
    name = "unet/diffusion_pytorch_model.safetensors"
    a, b, mixed = (load_file(directory / name) for directory in (base, tuned, tmp_path / "soup"))
    for key, value in mixed.items():
        assert value.dtype == torch.float16
        assert torch.equal(value, torch.lerp(a[key].float(), b[key].float(), 0.5).half())

    wide = _save(tmp_path / "wide", arch, unet_shift=0.25)  # float32: the mean keeps the wider dtype
    interpolate(base, wide, tmp_path / "mixed", 0.5)
    for part in (name, "vocoder/model.safetensors"):  # (transformers loads the vocoder as stored: fp16)
        a, b = load_file(base / part), load_file(wide / part)
        for key, value in load_file(tmp_path / "mixed" / part).items():
            assert value.dtype == torch.float32, part
            assert torch.equal(value, torch.lerp(a[key].float(), b[key].float(), 0.5)), "not rounded first"


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


def _attribute(directory: Path, recordings: list[tuple[str, str]], note: str) -> None:
    """Attribution files as a built corpus writes them, listing `recordings` (package, file)."""
    packages: dict[str, list[dict[str, str]]] = {}
    for package, source in recordings:
        packages.setdefault(package, []).append({"source_path": source, "licence": "CC-BY-SA-3.0"})
    listed = {"packages": [{"package": name, "files": files} for name, files in packages.items()]}
    (directory / "attribution.json").write_text(json.dumps(listed))
    (directory / "ATTRIBUTION.md").write_text(f"# {note}\n")
    (directory / "LICENSE-NOTE.md").write_text(f"{len(recordings)} recordings\n")


def test_a_fine_tune_on_a_grown_corpus_averages_and_the_mean_names_every_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A fine-tune on a corpus that grew lists more recordings than its base: the mean learned from both, so
    it carries the list that names them all. Refused: lists neither of which covers the other, a recording
    under other terms, two weights' licences, a covering model without a file the other has, a list that
    cannot be read or is missing."""
    arch = FoleyArchitecture.tiny()
    first = [("minetest-data", "sounds/drip1.ogg"), ("0ad-data", "fx/steps.ogg")]
    grown = [*first, ("flare-game", "soundfx/cave_drips.ogg")]
    base = _save(tmp_path / "base", arch)
    tuned = _save(tmp_path / "tuned", arch, unet_shift=0.1)
    _attribute(base, first, "nine packages")
    _attribute(tuned, grown, "fourteen packages")
    for pair in ((base, tuned), (tuned, base)):  # whichever side grew
        out = interpolate(*pair, tmp_path / f"mean-{pair[0].name}", 0.5)
        for name in ("attribution.json", "ATTRIBUTION.md", "LICENSE-NOTE.md", "WEIGHTS-LICENSE"):
            assert (out / name).read_bytes() == (tuned / name).read_bytes(), name

    refusals = {}
    model = refusals["neither model's attribution.json lists"] = _save(tmp_path / "other", arch, 0.1)
    _attribute(model, [first[0], grown[2]], "another corpus")  # drops a recording the base learned from
    model = refusals["WEIGHTS-LICENSE"] = _save(tmp_path / "relicensed", arch, 0.1)
    _attribute(model, grown, "fourteen packages")
    (model / "WEIGHTS-LICENSE").write_text("CC-BY-4.0\n")
    model = refusals["under the same licence"] = _save(tmp_path / "other-terms", arch, 0.1)
    _attribute(model, grown, "fourteen packages")
    listed = json.loads((model / "attribution.json").read_text())
    listed["packages"][0]["files"][0]["licence"] = "CC0-1.0"  # a recording both learned, other terms
    (model / "attribution.json").write_text(json.dumps(listed))
    model = refusals["has no LICENSE-NOTE.md"] = _save(tmp_path / "no-note", arch, 0.1)
    _attribute(model, grown, "fourteen packages")
    (model / "LICENSE-NOTE.md").unlink()
    model = refusals["not an attribution list"] = _save(tmp_path / "garbled", arch, 0.1)
    _attribute(model, grown, "fourteen packages")
    (model / "attribution.json").write_text('{"packages": [{"files": [{"title": "x.ogg"}]}]}')
    model = refusals["has no attribution.json"] = _save(tmp_path / "unlisted", arch, 0.1)
    _attribute(model, grown, "fourteen packages")
    (model / "attribution.json").unlink()
    for message, model in refusals.items():
        capsys.readouterr()
        assert soup_main([str(base), str(model), str(tmp_path / "refused")]) == 2, message
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "refused").exists()


def test_an_anchored_model_averages_with_its_fine_tune_and_the_mean_is_unanchored(tmp_path: Path) -> None:
    """A fine-tune is exported with anchoring off (its anchor list comes later, from what it learned): its
    anchored base still averages with it, the mean has no anchor list; another setting is still refused."""
    from foleykit.training.anchors import write_anchors

    arch = FoleyArchitecture.tiny()
    base = _save(tmp_path / "base", arch)
    write_anchors(base, ["rain falling", "a door slams shut"], 0.5)
    assert json.loads((base / "model_index.json").read_text())["anchor_weight"] == 0.5
    tuned = _save(tmp_path / "tuned", arch, unet_shift=0.01)
    out = tmp_path / "out"
    assert soup_main([str(base), str(tuned), str(out)]) == 0
    mean = FoleyPipeline.from_pretrained(str(out), local_files_only=True)
    assert mean.config.anchor_weight == 0.0 and mean.known_captions == []
    assert not (out / "known_captions.json").exists()
    index = json.loads((tuned / "model_index.json").read_text())
    (tuned / "model_index.json").write_text(json.dumps({**index, "default_guidance": 4.0}))
    assert soup_main([str(base), str(tuned), str(tmp_path / "other")]) == 2


@pytest.mark.parametrize(
    ("setting", "value", "default"),
    [("compose_walks", True, False), ("match_counts", True, False), ("copy_detune_cents", 50.0, 0.0)],
)
def test_models_that_differ_only_in_how_takes_are_rendered_average_and_the_mean_keeps_the_base_setting(
    tmp_path: Path, setting: str, value: object, default: object
) -> None:
    """`compose_walks`, `match_counts` and `copy_detune_cents` are how takes are rendered, not what was
    learned: version 14 (walks on) averages with a fine-tune of version 13 (off), and the mean renders as its
    base does."""
    arch = FoleyArchitecture.tiny()
    base = _save(tmp_path / "base", arch)
    index = json.loads((base / "model_index.json").read_text())
    (base / "model_index.json").write_text(json.dumps({**index, setting: value}))
    tuned = _save(tmp_path / "tuned", arch, unet_shift=0.01)
    assert soup_main([str(base), str(tuned), str(tmp_path / "out")]) == 0
    out = FoleyPipeline.from_pretrained(str(tmp_path / "out"), local_files_only=True)
    assert out.config[setting] == value
    assert soup_main([str(tuned), str(base), str(tmp_path / "back")]) == 0
    back = FoleyPipeline.from_pretrained(str(tmp_path / "back"), local_files_only=True)
    assert back.config[setting] == default
