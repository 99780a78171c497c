"""Training the bundled model: stages run, resume from checkpoints, learn, and export a loadable model.

Only a few steps of the tiny recipe run here (CI has 2 cores); the real run is documented in the model card.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path

import pytest
import soundfile as sf
import torch

from foleykit.cli import main as foleykit_main
from foleykit.training import RECIPES, StageRecipe, train
from foleykit.training.trainer import main as train_main


def losses(run: Path, stage: str) -> list[dict]:
    return [json.loads(line) for line in (run / f"stage_{stage}" / "loss.jsonl").read_text().splitlines()]


def test_tiny_recipe_trains_exports_and_generates(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run, exported = tmp_path / "run", tmp_path / "exported"
    assert train_main([str(run), "--recipe", "tiny", "--export", str(exported)]) == 0
    for stage in ("vocoder", "vae", "unet"):
        assert (run / f"stage_{stage}" / "done").is_file()
        assert [e["step"] for e in losses(run, stage)] == [1, 2, 3, 4]
    index = json.loads((exported / "model_index.json").read_text())
    assert index["text_encoder"] == [None, None], "MiniLM is referenced from its package, not copied"
    record = json.loads((exported / "training_recipe.json").read_text())  # what made it, for a rerun
    assert record["recipe_name"] == "tiny" and record["recipe"] == json.loads(
        json.dumps(asdict(RECIPES["tiny"]))
    )
    assert record["commands"] == [f"python -m foleykit.training {run} --recipe tiny --export {exported}"]
    assert {name: stage["steps"] for name, stage in record["stages"].items()} == dict.fromkeys(
        ("vocoder", "vae", "unet"), 4
    )
    assert all(stage["seconds"] > 0 for stage in record["stages"].values())
    assert "init" not in record and "corpus_manifest_sha256" not in record
    capsys.readouterr()
    out = tmp_path / "takes"
    argv = [
        "generate",
        "door knock",
        "--model",
        str(exported),
        "--duration",
        "1",
        "--seed",
        "1",
        "--out",
        str(out),
    ]
    assert foleykit_main([*argv, "--steps", "2", "--json"]) == 0
    path = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
    assert sf.info(path).frames == 48000


def test_a_recipe_is_named_only_when_every_value_matches() -> None:
    from foleykit.training.trainer import named_recipe

    assert (
        named_recipe(replace(RECIPES["bundled-patch-wordnoise"], init="bundled")) == "bundled-patch-wordnoise"
    )
    nested = replace(RECIPES["tiny"], vae=replace(RECIPES["tiny"].vae, learning_rate=2e-3))
    assert named_recipe(nested) is None, "a stage's values count too"
    assert named_recipe(replace(RECIPES["tiny"], text_noise=0.0)) is None
    assert len({replace(r, init=None) for r in RECIPES.values()}) == len(RECIPES), "two names, one recipe"


def test_a_stage_resumes_from_its_last_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(run, RECIPES["tiny"], stages=["vae"], max_steps=1, progress=False)
    assert (run / "stage_vae" / "checkpoint-1").is_dir() and not (run / "stage_vae" / "done").exists()
    train(run, RECIPES["tiny"], stages=["vae"], max_steps=2, progress=False)
    assert [e["step"] for e in losses(run, "vae")] == [1, 2, 3], "continued at step 2, not from scratch"
    train(run, RECIPES["tiny"], stages=["vae"], progress=False)
    assert [e["step"] for e in losses(run, "vae")] == [1, 2, 3, 4]
    seconds = [e["seconds"] for e in losses(run, "vae")]  # training time summed over the three sittings
    assert seconds == sorted(seconds) and seconds[0] > 0
    done = json.loads((run / "stage_vae" / "done").read_text())
    assert done["seconds"] >= seconds[-1] - 0.05
    assert (run / "stage_vae" / "done").is_file()
    scaling = json.loads((run / "pipeline" / "vae" / "config.json").read_text())["scaling_factor"]
    assert scaling != 1.0, "the latent scale is measured from data after the VAE stage"


def test_steps_logged_after_the_last_checkpoint_are_logged_once_when_redone(tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(run, RECIPES["tiny"], stages=["vocoder"], max_steps=3, progress=False)
    shutil.rmtree(run / "stage_vocoder" / "checkpoint-3")  # as if the sitting died after logging step 3
    train(run, RECIPES["tiny"], stages=["vocoder"], progress=False)
    assert [e["step"] for e in losses(run, "vocoder")] == [1, 2, 3, 4]


def test_another_recipe_in_the_same_run_is_refused(tmp_path: Path) -> None:
    train(tmp_path, RECIPES["tiny"], stages=[], progress=False)
    assert train_main([str(tmp_path), "--recipe", "bundled", "--stages", "vae", "--max-steps", "1"]) == 2
    # a run started before the VAE stage's newer fields existed is the same recipe, and resumes
    recorded = json.loads((tmp_path / "recipe.json").read_text())
    older = {
        k: v
        for k, v in recorded.items()
        if not k.startswith(("vae_part", "vae_onset", "vae_adv", "vae_feat"))
    }
    (tmp_path / "recipe.json").write_text(json.dumps(older))
    train(tmp_path, RECIPES["tiny"], stages=[], progress=False)
    assert json.loads((tmp_path / "recipe.json").read_text()) == recorded


def test_vocoder_and_vae_losses_fall(tmp_path: Path) -> None:
    recipe = replace(
        RECIPES["tiny"],
        # 8 clips per class: enough to learn from in 40 steps; the default 600 took minutes to synthesise
        vocoder=StageRecipe(40, 4, 5e-4, warmup_steps=1, clips_per_class=8),
        vae=StageRecipe(40, 4, 2e-3, warmup_steps=1, clips_per_class=8),
        checkpoint_every=100,
    )
    train(tmp_path, recipe, stages=["vocoder", "vae"], progress=False)
    for stage in ("vocoder", "vae"):
        values = [e["loss"] for e in losses(tmp_path, stage)]
        assert sum(values[-8:]) < 0.8 * sum(values[:8]), f"{stage} did not learn: {values}"


def test_a_recipe_file_is_the_run_recipe_and_bad_ones_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from dataclasses import asdict

    recipe = replace(RECIPES["tiny"], unet=StageRecipe(2, 2, 1e-3, warmup_steps=1, clips_per_class=1))
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(asdict(recipe)))
    run = tmp_path / "run"
    assert train_main([str(run), "--recipe-file", str(path), "--stages", "vae"]) == 0
    recorded = json.loads((run / "recipe.json").read_text())
    assert recorded == json.loads(json.dumps(asdict(recipe))), "the run records what it ran"
    assert (run / "stage_vae" / "final" / "config.json").is_file()
    capsys.readouterr()
    path.write_text(json.dumps({**asdict(recipe), "unet_steps": 3}))
    assert train_main([str(tmp_path / "other"), "--recipe-file", str(path)]) == 2
    assert "unknown recipe fields: unet_steps" in capsys.readouterr().err


def test_unet_stage_needs_the_vae_first(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert train_main([str(tmp_path), "--recipe", "tiny", "--stages", "unet"]) == 2
    assert "finish the vae stage first" in capsys.readouterr().err


def test_fine_tune_from_trained_weights_with_real_recordings_within_a_time_budget(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """--init: start from a model; --corpus: real recordings in the batches, and walks composed of its single
    steps; --budget-minutes: stop in time."""
    import time

    from tests.corpora import CLASSES, write_corpus

    classes = (*CLASSES, "footsteps_wood")
    corpus = Path(_with_single_steps(tmp_path / "corpus", classes, licence="CC-BY-SA-3.0"))
    recipe = replace(
        RECIPES["tiny"],
        walk_share=0.2,
        unet=StageRecipe(
            10_000, 2, 1e-4, warmup_steps=1, clips_per_class=1
        ),  # far more than the budget allows
        checkpoint_every=10_000,
    )
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(asdict(recipe)))
    run, exported = tmp_path / "run", tmp_path / "exported"
    argv = [str(run), "--recipe-file", str(path), "--stages", "unet", "--init", str(tiny_bundled_dir)]
    argv += ["--corpus", str(corpus), "--budget-minutes", "0.1", "--export", str(exported)]
    capsys.readouterr()
    assert train_main([*argv[:-6], *argv[-4:]]) == 2, "composed walks need the recordings"
    assert "walk_share" in capsys.readouterr().err and not run.exists()
    began = time.monotonic()
    assert train_main(argv) == 0
    assert time.monotonic() - began < 60, "the budget (6 s of training) is kept, setup aside"
    assert "unet: 64 walks composed of single steps" in capsys.readouterr().err
    done = json.loads((run / "stage_unet" / "done").read_text())
    assert done["budget_stop"] is True and 0 < done["steps"] < 10_000
    assert json.loads((run / "recipe.json").read_text())["init"] == str(tiny_bundled_dir)
    assert json.loads((run / "corpus.json").read_text())["manifest_sha256"]
    assert not (run / "stage_vae").exists(), "the VAE comes from the init model"
    import torch

    from foleykit.pipelines.foley import FoleyPipeline

    before = FoleyPipeline.from_pretrained(str(tiny_bundled_dir), local_files_only=True)
    after = FoleyPipeline.from_pretrained(str(exported), local_files_only=True)
    first = next(before.unet.parameters()).half()
    assert not torch.equal(first, next(after.unet.parameters()).half()), "the UNet was fine-tuned"
    # weights trained on share-alike recordings carry that licence and the recordings' attribution
    assert (exported / "WEIGHTS-LICENSE").read_text().startswith("CC-BY-SA-4.0\n")
    assert (exported / "ATTRIBUTION.md").read_text() == (corpus / "ATTRIBUTION.md").read_text()
    assert torch.equal(next(before.vae.parameters()).half(), next(after.vae.parameters()).half())
    record = json.loads((exported / "training_recipe.json").read_text())
    assert (
        record["corpus_manifest_sha256"] == json.loads((run / "corpus.json").read_text())["manifest_sha256"]
    )
    assert record["stages"] == {"unet": done} and 0 < done["seconds"] <= 6.5, "training time, setup aside"
    assert record["init_weights_sha256"] == json.loads((run / "init.json").read_text())["weights_sha256"]
    capsys.readouterr()
    other = write_corpus(tmp_path / "other", rate=16000, classes=("bell", "rain"))
    assert train_main([*argv[:-4], "--corpus", str(other)]) == 2
    assert "started with another real corpus" in capsys.readouterr().err


def test_real_recordings_are_drawn_with_their_share(tmp_path: Path) -> None:
    import torch

    from foleykit.training.data import CorpusSpec, build_corpus, with_real_clips
    from tests.corpora import write_corpus

    synthetic = build_corpus(CorpusSpec(16000, 1.0, 1), workers=1, progress=False)
    mixed = with_real_clips(synthetic, str(write_corpus(tmp_path, rate=16000)), 16000, share=0.5)
    assert len(mixed) == len(synthetic) + 9 and mixed.waveforms.shape[1] == 16000  # 9 train recordings
    assert mixed.captions[-1][0] and int(mixed.labels[-1]) >= 0
    drawn = mixed.sample(4000, torch.Generator().manual_seed(0))
    assert 0.45 < (drawn >= len(synthetic)).float().mean().item() < 0.55


def test_recordings_are_read_without_their_dc_and_rumble_where_the_recipe_asks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """subsonic_cutoff_hz: a recording published with a DC offset reaches training without it (the real clips and
    the composed walks' steps alike); 0, every earlier recipe's value, reads it as published; out of range, not a
    number, or without a corpus to read: one line."""
    import json
    from dataclasses import asdict, replace

    import numpy as np
    import soundfile as sf

    from foleykit.corpus import load_corpus, read_clip
    from foleykit.training.__main__ import main as train_main
    from foleykit.training.data import (
        CorpusSpec,
        build_corpus,
        read_recording,
        with_composed_walks,
        with_real_clips,
    )
    from foleykit.training.trainer import RECIPES
    from tests.corpora import write_corpus

    corpus_dir = write_corpus(tmp_path / "corpus", rate=16000)
    for clip in load_corpus(corpus_dir, split="train"):
        audio, rate = sf.read(clip.path, dtype="float32")
        sf.write(clip.path, 0.5 * audio + 0.3, rate, subtype="PCM_16")  # an offset, as some game effects have
    clip = load_corpus(corpus_dir, split="train")[0]
    assert abs(float(read_recording(clip, 16000).mean()) - 0.3) < 0.01, "0: as published"
    cleaned = read_recording(clip, 16000, 30.0)
    assert abs(float(cleaned.mean())) < 0.005 and cleaned.shape == read_clip(clip, 16000).shape
    synthetic = build_corpus(CorpusSpec(16000, 1.0, 1), workers=1, progress=False)
    for cutoff, offset in ((0.0, 0.3), (30.0, 0.0)):
        mixed = with_real_clips(synthetic, str(corpus_dir), 16000, share=0.5, subsonic_cutoff_hz=cutoff)
        # the recordings are 3 s, cut to the 1 s clip: a second of the first cut has the offset or not
        means = mixed.waveforms[-mixed.recordings :, 4000:12000].mean(dim=1).numpy()
        assert np.allclose(means, offset, atol=0.02), (cutoff, means)
    steps_dir = Path(_with_single_steps(tmp_path / "steps", ("footsteps_gravel",)))
    for clip in load_corpus(steps_dir, split="train"):
        audio, rate = sf.read(clip.path, dtype="float32")
        sf.write(clip.path, 0.5 * audio + 0.3, rate, subtype="PCM_16")
    for cutoff, low, high in ((0.0, 0.05, 1.0), (30.0, -0.02, 0.02)):
        walked = with_composed_walks(synthetic, str(steps_dir), 16000, 0.5, subsonic_cutoff_hz=cutoff)
        walks = walked.waveforms[walked.labels == -1]
        assert len(walks) and low < float(walks.mean()) < high, (cutoff, float(walks.mean()))
    path = tmp_path / "bad.json"
    for bad in (-1.0, 60.0, "30", True):
        path.write_text(json.dumps({**asdict(RECIPES["tiny"]), "subsonic_cutoff_hz": bad}))
        assert train_main([str(tmp_path / "bad-run"), "--recipe-file", str(path)]) == 2
        err = capsys.readouterr().err
        assert "subsonic_cutoff_hz must be a number from 0 (off) to 40" in err, err
        assert len(err.strip().splitlines()) == 1
    path.write_text(json.dumps(asdict(replace(RECIPES["tiny"], subsonic_cutoff_hz=30.0))))
    assert train_main([str(tmp_path / "bad-run"), "--recipe-file", str(path)]) == 2
    assert (
        "reads recordings without their DC (subsonic_cutoff_hz): give --corpus DIR" in capsys.readouterr().err
    )


def test_a_class_hands_part_of_its_synthesised_draws_to_its_recordings(tmp_path: Path) -> None:
    """class_share: 3 bell recordings (of the 10 that take a class's whole share) get 30 % of the bell's
    synthesised draws; wind, with no recordings in the fixture, keeps its own; the weights still sum to 1."""
    import torch

    from foleykit.synth import CLASSES
    from foleykit.training.data import (
        RECORDINGS_FOR_FULL_CLASS_SHARE,
        CorpusSpec,
        build_corpus,
        with_real_clips,
    )
    from tests.corpora import write_corpus

    synthetic = build_corpus(CorpusSpec(16000, 1.0, 1), workers=1, progress=False)
    corpus_dir = str(write_corpus(tmp_path, rate=16000))
    plain = with_real_clips(synthetic, corpus_dir, 16000, share=0.5)
    moved = with_real_clips(synthetic, corpus_dir, 16000, share=0.5, class_share=1.0)
    assert torch.isclose(moved.weights.sum(), torch.tensor(1.0))
    fraction = 3 / RECORDINGS_FOR_FULL_CLASS_SHARE
    bell, wind = CLASSES.index("bell"), CLASSES.index("wind")
    synth_bell = int(torch.nonzero(synthetic.labels == bell)[0])
    synth_wind = int(torch.nonzero(synthetic.labels == wind)[0])
    assert torch.isclose(moved.weights[synth_bell], plain.weights[synth_bell] * (1 - fraction))
    assert torch.isclose(moved.weights[synth_wind], plain.weights[synth_wind])  # no wind recordings
    real_bells = torch.nonzero(moved.labels[len(synthetic) :] == bell)[:, 0] + len(synthetic)
    gained = moved.weights[real_bells].sum() - plain.weights[real_bells].sum()
    assert len(real_bells) == 3 and torch.isclose(gained, plain.weights[synth_bell] * fraction)
    assert moved.recordings == plain.recordings == 9
    assert plain.recorded_share() == pytest.approx(0.5)
    assert moved.recorded_share() == pytest.approx(0.5 + 3 * fraction * 0.5 / 24)  # bell, rain, door_knock
    drawn = moved.sample(20000, torch.Generator().manual_seed(0))
    assert (drawn >= len(synthetic)).float().mean().item() > 0.505  # 0.519: more than `share` alone


def test_class_emphasis_draws_the_named_classes_more_often(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """class_emphasis: a named class's clips, synthesised and recorded, are drawn `factor` times as often
    relative to the rest; the weights still sum to one; a recipe file round-trips it; bad values are one
    line before any work."""
    import torch

    from foleykit.synth import CLASSES
    from foleykit.training.data import CorpusSpec, build_corpus, emphasise_classes, with_real_clips
    from tests.corpora import write_corpus

    synthetic = build_corpus(CorpusSpec(16000, 1.0, 2), workers=1, progress=False)
    mixed = with_real_clips(synthetic, str(write_corpus(tmp_path, rate=16000)), 16000, share=0.5)
    emphasised = emphasise_classes(mixed, {"bell": 3.0})
    assert torch.isclose(emphasised.weights.sum(), torch.tensor(1.0))
    bell, wind = mixed.labels == CLASSES.index("bell"), mixed.labels == CLASSES.index("wind")
    assert int(bell[len(synthetic) :].sum()) == 3, "the fixture's bell recordings are emphasised too"
    ratio = lambda c: (c.weights[bell] / c.weights[wind][0]).double()  # noqa: E731
    assert torch.allclose(ratio(emphasised), 3 * ratio(mixed), rtol=1e-5)
    plain = emphasise_classes(synthetic, {"door_creak": 2.0})  # a corpus with uniform draws
    creak = synthetic.labels == CLASSES.index("door_creak")
    drawn = plain.sample(20000, torch.Generator().manual_seed(0))
    assert 1.7 < creak[drawn].float().mean().item() / (1 / 24) < 2.3  # 2/25 of the draws, not 1/24

    from foleykit.training.trainer import TrainRecipe, named_recipe

    recipe = replace(RECIPES["tiny"], class_emphasis=(("bell", 3.0),))
    assert TrainRecipe.from_dict(json.loads(json.dumps(asdict(recipe)))) == recipe
    assert named_recipe(replace(RECIPES["bundled-patch-weak"], init=None)) == "bundled-patch-weak"
    for emphasis, message in (
        ((("doorbell", 2.0),), "class_emphasis names unknown classes: doorbell"),
        ((("bell", 0.0),), "class_emphasis factors must be positive"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(asdict(replace(recipe, class_emphasis=emphasis))))
        assert train_main([str(tmp_path / "bad-run"), "--recipe-file", str(path)]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "bad-run").exists()
    for emphasis, message in (
        ({"bell": 3.0}, "class_emphasis must be a list of [label, factor] pairs"),
        ([["bell", 2.0], ["bell", 3.0]], "class_emphasis names a class twice"),
        ([["bell", "3"]], "class_emphasis factors must be positive finite numbers"),
    ):
        path.write_text(json.dumps({**asdict(recipe), "class_emphasis": emphasis}))
        assert train_main([str(tmp_path / "bad-run"), "--recipe-file", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_bad_corpus_is_one_line_before_any_run_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = [str(tmp_path / "bad-run"), "--recipe", "tiny", "--corpus", str(tmp_path / "no-corpus")]
    assert train_main(args) == 2
    err = capsys.readouterr().err
    assert "foleykit.training: error:" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "bad-run").exists()


def test_wordings_cover_every_class_and_stay_apart_from_the_eval_paraphrases() -> None:
    """The paraphrases `foleykit eval` scores are worded unlike anything trained on, by the rule that
    filtered the helper-written list (wordings.tsv's header): no training wording is within MiniLM cosine
    0.7 of a paraphrase, shares two content words with one, or has a difflib ratio of 0.7 with it."""
    import difflib
    import re

    from foleykit.evaluation.evaluate import PARAPHRASES, read_prompt_file
    from foleykit.pipelines.foley import FoleyArchitecture, build_foley_pipeline
    from foleykit.synth import CLASSES
    from foleykit.training.data import class_wordings

    minor = {"a", "an", "the", "of", "on", "in", "at", "to", "with", "and", "by", "into", "through", "for"}
    minor |= {"over", "across", "along", "down", "up", "someone", "something", "is", "its", "being"}

    def words(text: str) -> set[str]:  # content words by their first five letters: hinge ~ hinges
        return {w[:5] for w in re.findall(r"[a-z']+", text.lower()) if w not in minor}

    wordings = class_wordings()
    assert set(wordings) == set(CLASSES) and min(len(texts) for texts in wordings.values()) >= 7
    every = [text for texts in wordings.values() for text in texts]
    assert len(every) == len(set(every)), "no wording twice"
    paraphrases = [text for _, text in read_prompt_file(PARAPHRASES)]
    for paraphrase in paraphrases:
        for text in every:
            assert len(words(text) & words(paraphrase)) < 2, (text, paraphrase)
            assert difflib.SequenceMatcher(None, text.lower(), paraphrase.lower()).ratio() < 0.7, (
                text,
                paraphrase,
            )

    pipe = build_foley_pipeline(FoleyArchitecture.tiny())  # the pooled MiniLM state the model reads

    def embed(texts: list[str]) -> torch.Tensor:
        with torch.no_grad():
            return torch.nn.functional.normalize(
                pipe.encode_prompt(texts, torch.device("cpu"))[0][:, 0], dim=-1
            )

    similarity = embed(every) @ embed(paraphrases).T
    worst = divmod(int(similarity.argmax()), len(paraphrases))
    assert similarity.max() < 0.7, (every[worst[0]], paraphrases[worst[1]], float(similarity.max()))


def test_a_wording_share_swaps_labelled_clips_captions_for_their_class_wordings() -> None:
    from foleykit.synth import CLASSES
    from foleykit.training.trainer import reworded, wording_table

    row = {"own": 0, "gravel a": 1, "gravel b": 2, "gravel c": 3, "rain a": 4}
    table = wording_table(
        {"footsteps_gravel": ("gravel a", "gravel b", "gravel c"), "rain": ("rain a",)}, row
    )
    assert table.shape == (len(CLASSES), 3) and table[CLASSES.index("rain")].tolist() == [4, -1, -1]
    assert table[CLASSES.index("wind")].tolist() == [-1, -1, -1]
    gravel, rain, wind = CLASSES.index("footsteps_gravel"), CLASSES.index("rain"), CLASSES.index("wind")
    labels = torch.tensor([gravel] * 3000 + [rain] * 100 + [wind] * 100 + [-1] * 100)
    rows = torch.zeros(len(labels), dtype=torch.long)
    torch.manual_seed(0)
    always = reworded(rows, labels, table, 1.0)
    drawn = torch.bincount(always[:3000], minlength=4)[1:].float() / 3000
    assert drawn.min() > 0.3 and drawn.max() < 0.37, f"each gravel wording as likely: {drawn.tolist()}"
    assert always[3000:3100].eq(4).all(), "a class with one wording always gets it, never a padding -1"
    assert always[3100:].eq(0).all(), "a class without wordings and unlabelled recordings keep their own"
    assert torch.equal(reworded(rows, labels, table, 0.0), rows)
    share = reworded(rows, labels, table, 0.3)[:3000].ne(0).float().mean().item()
    assert 0.27 < share < 0.33


def test_only_captions_and_wordings_naming_no_ringing_place_are_swapped() -> None:
    """A plain class wording swapped for "…, in a large hall" or a cave recording's caption would teach a plain
    prompt the reverb, and one naming a corridor swapped for a dry step's caption the reverse (session 43): neither
    happens; plain and outdoor captions may be swapped, and the wordings' table keeps only plain wordings."""
    from foleykit.synth import synthesize
    from foleykit.training.data import class_wordings
    from foleykit.training.trainer import rewordable, swap_wordings

    captions = (
        ("footsteps on gravel", "footsteps on gravel, in a large hall", "gravel steps, outdoors"),
        ("a door slams, in a small room", "door slam, far away", "water dripping in a cave"),
    )
    assert rewordable(captions).tolist() == [[True, False, True], [False, True, False]]
    clips = [synthesize("footsteps_wood", seed) for seed in range(30)]
    assert {clip.params["room"] for clip in clips} == {"outdoors", "small room", "large hall"}
    for clip, may in zip(
        clips, rewordable(tuple((clip.caption,) for clip in clips))[:, 0].tolist(), strict=True
    ):
        assert may == (clip.params["room"] == "outdoors"), clip.caption
    wordings = class_wordings()
    kept = swap_wordings(wordings)
    assert "footfalls in an empty stone corridor" in wordings["footsteps_concrete"]
    assert "footfalls in an empty stone corridor" not in kept["footsteps_concrete"]
    assert kept["footsteps_gravel"] == wordings["footsteps_gravel"] and all(kept.values())


def test_the_drawn_caption_is_swapped_for_a_wording_only_where_it_names_no_ringing_place() -> None:
    """The loss's caption draw as wired: at share 1 every plain caption of a labelled clip becomes one of its
    class's wordings, a caption naming a hall never does, an unlabelled clip keeps its own; at share 0 nothing
    is swapped. (An earlier version computed `rewordable` but nothing checked that the loss used it.)"""
    from foleykit.synth import CLASSES
    from foleykit.training.trainer import drawn_captions, rewordable, wording_table

    captions = (
        ("footsteps on gravel", "footsteps on gravel, in a large hall"),
        ("a cow mooing", "cattle lowing"),
    )
    wordings = {"footsteps_gravel": ("crunching steps", "walking on gravel")}
    texts = sorted({t for c in captions for t in c} | set(wordings["footsteps_gravel"]))
    row = {t: i for i, t in enumerate(texts)}
    caption_rows = torch.tensor([[row[t] for t in c] for c in captions])
    labels = torch.tensor([CLASSES.index("footsteps_gravel"), -1])
    table = wording_table(wordings, row)
    index = torch.tensor([0, 1] * 200)
    torch.manual_seed(0)
    drawn = [texts[i] for i in drawn_captions(caption_rows, rewordable(captions), labels, table, index, 1.0)]
    gravel, cow = drawn[0::2], drawn[1::2]
    assert set(gravel) == {"footsteps on gravel, in a large hall", "crunching steps", "walking on gravel"}
    assert set(cow) == {"a cow mooing", "cattle lowing"}
    kept = [texts[i] for i in drawn_captions(caption_rows, rewordable(captions), labels, table, index, 0.0)]
    assert set(kept[0::2]) == set(captions[0]) and set(kept[1::2]) == set(captions[1])


def test_retraining_the_vae_under_an_init_unet_is_refused(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = [str(tmp_path / "run"), "--recipe", "tiny", "--init", str(tiny_bundled_dir), "--stages", "vae"]
    assert train_main(argv) == 2
    assert "train the unet in the same run" in capsys.readouterr().err
    assert train_main([*argv[:-1], "vae,unet", "--budget-minutes", "nan"]) == 2
    assert "--budget-minutes must be a positive number" in capsys.readouterr().err


def test_a_decoder_only_vae_fine_tune_keeps_the_latent_space(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    """vae_part="decoder": the decoder learns, the encoder and the latent scale (what the UNet was trained
    on) stay, so `--stages vae` alone is allowed under an init model's UNet."""
    import torch

    from foleykit.pipelines.foley import FoleyPipeline

    recipe = replace(
        RECIPES["tiny"],
        vae=StageRecipe(3, 2, 1e-3, warmup_steps=1, clips_per_class=1),
        vae_part="decoder",
        vae_onset_weight=1.0,
    )
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(asdict(recipe)))
    exported = tmp_path / "exported"
    argv = [str(tmp_path / "run"), "--recipe-file", str(path), "--stages", "vae"]
    assert train_main([*argv, "--init", str(tiny_bundled_dir), "--export", str(exported)]) == 0
    before = FoleyPipeline.from_pretrained(str(tiny_bundled_dir), local_files_only=True).vae
    after = FoleyPipeline.from_pretrained(str(exported), local_files_only=True).vae
    same = [
        torch.equal(a.half(), b.half())
        for a, b in zip(before.encoder.parameters(), after.encoder.parameters(), strict=True)
    ]
    changed = [
        not torch.equal(a.half(), b.half())
        for a, b in zip(before.decoder.parameters(), after.decoder.parameters(), strict=True)
    ]
    assert all(same) and any(changed)
    assert after.config.scaling_factor == before.config.scaling_factor
    record = json.loads((exported / "training_recipe.json").read_text())
    assert "recipe_name" not in record, "a recipe file's values match no named recipe"
    assert record["recipe"]["vae_part"] == "decoder" and list(record["stages"]) == ["vae"]
    assert record["init"] == {"model": str(tiny_bundled_dir)}, "the init has no record: where it was found"
    path.write_text(json.dumps({**asdict(recipe), "vae_part": "encoder"}))
    assert train_main([str(tmp_path / "run2"), "--recipe-file", str(path), "--stages", "vae"]) == 2


def test_a_vae_with_a_critic_trains_and_resumes_with_it(tmp_path: Path) -> None:
    """vae_adversarial_weight > 0: a mel-patch critic trains beside the VAE, is checkpointed with it (its
    weights and optimizer), and a resumed stage carries on with it."""
    recipe = replace(RECIPES["tiny"], vae_adversarial_weight=0.5, vae_feature_weight=1.0)
    run = tmp_path / "run"
    train(run, recipe, stages=["vae"], max_steps=2, progress=False)
    saved = sorted(p.name for p in (run / "stage_vae" / "checkpoint-2").glob("custom_checkpoint_*"))
    assert saved == ["custom_checkpoint_0.pkl", "custom_checkpoint_1.pkl"], "the critic and its optimizer"
    checkpoint = run / "stage_vae" / "checkpoint-2"
    critic_groups = torch.load(checkpoint / "custom_checkpoint_1.pkl", weights_only=True)["param_groups"]
    vae_groups = torch.load(checkpoint / "optimizer.bin", weights_only=True)["param_groups"]
    assert critic_groups[0]["lr"] == 2 * recipe.vae.learning_rate, "the critic learns twice as fast"
    assert tuple(critic_groups[0]["betas"]) == tuple(vae_groups[0]["betas"]) == (0.5, 0.9), "GAN Adam"
    train(run, recipe, stages=["vae"], progress=False)
    entries = losses(run, "vae")
    assert [e["step"] for e in entries] == [1, 2, 3, 4]
    assert all(e["critic_loss"] >= 0 for e in entries)  # a hinge loss, logged beside the VAE's (NaN fails)
    assert (run / "stage_vae" / "done").is_file()


def test_a_patch_code_recipe_fits_the_code_then_relearns_the_unet_from_an_init(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """latent_code="patch": the vae stage fits a MelPatchCode in place of the init's VAE (no steps), the UNet
    trains on its latents from the init's weights, and the export loads with the code in it (generation with
    a patch code: test_patch_code.py)."""
    from foleykit.pipelines.foley import FoleyPipeline
    from foleykit.pipelines.foley.patch_code import MelPatchCode

    recipe = replace(RECIPES["tiny"], latent_code="patch", vae=StageRecipe(0, 2, 0.0, 0, clips_per_class=1))
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(asdict(recipe)))
    run, exported = tmp_path / "run", tmp_path / "exported"
    argv = [str(run), "--recipe-file", str(path), "--stages", "unet", "--init", str(tiny_bundled_dir)]
    assert train_main(argv) == 2, "the UNet on an unfitted code: refused"
    assert "fit it first" in capsys.readouterr().err
    argv[4] = "vae,unet"
    assert train_main([*argv, "--export", str(exported)]) == 0
    assert json.loads((run / "stage_vae" / "done").read_text()) == {"steps": 0, "budget_stop": False}
    assert not (run / "stage_vae" / "loss.jsonl").exists(), "fitted in closed form, not trained"
    assert [e["step"] for e in losses(run, "unet")] == [1, 2, 3, 4]
    before = FoleyPipeline.from_pretrained(str(tiny_bundled_dir), local_files_only=True)
    after = FoleyPipeline.from_pretrained(str(exported), local_files_only=True)
    assert isinstance(after.vae, MelPatchCode) and after.vae_scale_factor == before.vae_scale_factor
    assert not torch.equal(after.vae.components, torch.eye(16)[:4].half().float()), "the code was fitted"
    assert after.vae.scale[0] > after.vae.scale[-1] > 0, "components by falling variance"
    assert not torch.equal(next(before.unet.parameters()).half(), next(after.unet.parameters()).half())
    path.write_text(json.dumps({**asdict(recipe), "latent_code": "pca"}))
    assert train_main([str(tmp_path / "run2"), "--recipe-file", str(path)]) == 2
    assert "latent_code must be one of vae, patch" in capsys.readouterr().err


def test_a_refiner_recipe_trains_only_the_refiner_of_a_fitted_code(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """patch_refiner_channels > 0 with vae steps: from a model whose code is fitted, the vae stage keeps the
    code (so the UNet's latents) bit for bit and trains the refiner after it; the export decodes through it.
    Then patch_texture_levels: the vae stage, with no steps, fits the texture and keeps the rest. Runs that
    would leave a UNet in latents it does not know, or export an untrained refiner or an unfitted texture,
    are refused."""
    from foleykit.pipelines.foley import FoleyPipeline

    fit_only = replace(RECIPES["tiny"], latent_code="patch", vae=StageRecipe(0, 2, 0.0, 0, clips_per_class=1))
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(asdict(fit_only)))
    fitted = tmp_path / "fitted"
    argv = ["--recipe-file", str(path), "--stages", "vae", "--init", str(tiny_bundled_dir)]
    assert train_main([str(tmp_path / "run0"), *argv]) == 2, "a new code for the init's VAE-trained UNet"
    assert "(it has no patch code to keep)" in capsys.readouterr().err
    argv[3] = "vae,unet"
    assert train_main([str(tmp_path / "run1"), *argv, "--export", str(fitted)]) == 0

    refine = replace(fit_only, patch_refiner_channels=4, vae=StageRecipe(3, 2, 1e-2, 0, clips_per_class=1))
    path.write_text(json.dumps(asdict(refine)))
    run, refined = tmp_path / "run2", tmp_path / "refined"
    argv[3:] = ["unet", "--init", str(fitted)]
    assert train_main([str(tmp_path / "run4"), *argv]) == 2, "its export would hold an untrained refiner"
    assert "a 4-channel refiner and the init model's code has none" in capsys.readouterr().err
    argv[3] = "vae"  # the vae stage alone: allowed, the latents stay as they are
    assert train_main([str(run), *argv, "--export", str(refined)]) == 0
    assert [e["step"] for e in losses(run, "vae")] == [1, 2, 3]
    before = FoleyPipeline.from_pretrained(str(fitted), local_files_only=True)
    after = FoleyPipeline.from_pretrained(str(refined), local_files_only=True)
    assert before.vae.refiner is None and after.vae.config.refiner_channels == 4
    for name in ("mean", "components", "scale"):
        assert torch.equal(getattr(after.vae, name), getattr(before.vae, name)), f"the code's {name} moved"
    latents = torch.randn(1, 4, 8, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        linear, refined_mel = before.vae.decode(latents).sample, after.vae.decode(latents).sample
    assert not torch.allclose(linear, refined_mel), "the export decodes through its trained refiner"
    for old, new in zip(before.unet.parameters(), after.unet.parameters(), strict=True):
        assert torch.equal(old, new)

    # a texture (patch_texture_levels): fitted in closed form by the vae stage, all else kept bit for bit
    texture = replace(refine, patch_texture_levels=2, vae=StageRecipe(0, 2, 0.0, 0, clips_per_class=1))
    path.write_text(json.dumps(asdict(texture)))
    argv[3:] = ["unet", "--init", str(refined)]
    assert train_main([str(tmp_path / "run6"), *argv]) == 2, "its export would hold an unfitted texture"
    assert "a texture of 2 levels and the init model's code has none" in capsys.readouterr().err
    argv[3] = "vae"
    textured = tmp_path / "textured"
    assert train_main([str(tmp_path / "run7"), *argv, "--export", str(textured)]) == 0
    assert json.loads((tmp_path / "run7" / "stage_vae" / "done").read_text())["steps"] == 0
    final = FoleyPipeline.from_pretrained(str(textured), local_files_only=True)
    assert final.vae.texture_fitted and final.vae.config.texture_levels == 2
    for name, value in after.vae.state_dict().items():
        assert torch.equal(final.vae.state_dict()[name], value), f"the code's {name} moved"
    for old, new in zip(after.unet.parameters(), final.unet.parameters(), strict=True):
        assert torch.equal(old, new)
    with torch.no_grad():
        grain = final.vae.decode(latents, generator=torch.Generator().manual_seed(0)).sample - refined_mel
    assert grain.abs().max() > 0, "the export decodes with its texture"

    path.write_text(json.dumps(asdict(replace(refine, latent_code="vae"))))
    assert train_main([str(tmp_path / "run3"), "--recipe-file", str(path)]) == 2
    assert "patch_refiner_channels=4 needs latent_code='patch'" in capsys.readouterr().err
    # a VAE recipe from a patch-code model (the bundled model since version 3) would train a VAE's losses
    # on the code: refused, saying where a VAE model is
    path.write_text(json.dumps(asdict(replace(RECIPES["tiny"], unet=StageRecipe(1, 2, 1e-3, 0, 1)))))
    assert train_main([str(tmp_path / "run5"), "--recipe-file", str(path), "--init", str(refined)]) == 2
    assert "has a patch code where this recipe trains a VAE" in capsys.readouterr().err


def test_a_run_keeps_the_wordings_it_started_with(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wordings.tsv is package code: a resume after it was edited stops instead of training on other captions."""
    from foleykit.training import data

    assert RECIPES["tiny"].wording_share > 0
    run = tmp_path / "run"
    argv = [
        str(run),
        "--recipe",
        "tiny",
        "--init",
        str(tiny_bundled_dir),
        "--stages",
        "unet",
        "--max-steps",
        "1",
    ]
    assert train_main(argv) == 0
    assert json.loads((run / "wordings.json").read_text())["sha256"] == data.wordings_digest()
    assert train_main(argv) == 0, "the same wordings: the run resumes"
    edited = {**data.class_wordings(), "rain": ("rain on a tin roof, edited",)}
    monkeypatch.setattr(data, "class_wordings", lambda: edited)
    capsys.readouterr()
    assert train_main(argv) == 2
    assert "started with other class wordings" in capsys.readouterr().err


def test_conditioning_augmentation_noises_worded_tokens_by_their_own_scale() -> None:
    from foleykit.training.trainer import augmented

    torch.manual_seed(0)
    states = torch.randn(3, 6, 384) * torch.tensor([1.0, 5.0, 2.0])[:, None, None]
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    worded = torch.tensor([True, True, False])
    out = augmented(states, mask, worded, 0.25)
    change = out - states
    assert torch.equal(change[2], torch.zeros_like(change[2])), "the empty caption stays the unconditional"
    assert torch.equal(change[0, 4:], torch.zeros_like(change[0, 4:])), "padding stays as it was"
    for row, tokens, scale in ((0, 4, 1.0), (1, 6, 5.0)):
        relative = change[row, :tokens].std() / scale
        assert 0.22 < relative < 0.28, f"row {row}: noise {relative:.3f} of its RMS, asked 0.25"


def _with_single_steps(root: Path, classes: tuple[str, ...], licence: str = "CC0-1.0") -> str:
    """A fixture corpus whose step recordings are cut to 0.4 s, as the real corpus's single steps are (the
    synthesiser makes 1 s at least)."""
    import json

    import soundfile as sf

    from tests.corpora import write_corpus

    write_corpus(root, rate=16000, classes=classes, seconds=1.0, licence=licence)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    for row in rows:
        if row["label"].startswith("footsteps"):
            audio, rate = sf.read(root / row["path"], dtype="float32")
            sf.write(root / row["path"], audio[: int(0.4 * rate)], rate, subtype="PCM_16")
            row["seconds"] = 0.4
    (root / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(root)


def test_composed_walks_lay_a_step_class_out_at_the_pace_its_captions_state(tmp_path: Path) -> None:
    """A step class's single-step recordings become walks: every second of a 4 s walk holds a step (one
    step and silence would not), its captions all ask for a walk at one speed, a fast walk has more steps
    than a slow one; the same seed makes the same walks; classes with no single steps make none."""
    import numpy as np

    from foleykit.pipelines.foley.descriptors import gait, names_place, stated
    from foleykit.training.data import WALKS_PER_CLASS, composed_walks
    from tests.corpora import write_corpus

    classes = ("footsteps_gravel", "footsteps_concrete", "bell")
    corpus_dir = _with_single_steps(tmp_path / "steps", classes)
    waves, captions = composed_walks(corpus_dir, 16000, 4.0, 3)
    assert len(waves) == len(captions) == 2 * WALKS_PER_CLASS  # the bell is no step class
    assert all(w.shape == (64000,) and w.dtype == np.float32 and np.abs(w).max() <= 0.99 for w in waves)
    assert names_place("a man walks down a concrete hallway"), "a concrete wording the walks must leave out"
    for wave, texts in zip(waves, captions, strict=True):
        assert {gait(text) for text in texts} == {"walk"}, texts
        assert len({stated(text).get("speed") for text in texts}) == 1, texts
        assert not any(names_place(text) or "count" in stated(text) for text in texts), texts
        seconds = wave.reshape(4, 16000)
        assert (np.sqrt((seconds**2).mean(axis=1)) > 1e-3 * np.abs(wave).max()).all(), texts

    def busy(wave: np.ndarray) -> float:  # the share of 10 ms frames within 30 dB of the peak
        frames = np.sqrt((wave.reshape(-1, 160) ** 2).mean(axis=1))
        return float((frames > frames.max() * 10 ** (-30 / 20)).mean())

    paces = [stated(texts[0]).get("speed") for texts in captions]
    fast = np.mean([busy(w) for w, pace in zip(waves, paces, strict=True) if pace == "fast"])
    slow = np.mean([busy(w) for w, pace in zip(waves, paces, strict=True) if pace == "slow"])
    assert fast > slow, (fast, slow)
    again, _ = composed_walks(corpus_dir, 16000, 4.0, 3)
    assert all(np.array_equal(a, b) for a, b in zip(waves, again, strict=True))
    other, _ = composed_walks(corpus_dir, 16000, 4.0, 3, seed=1)
    assert not np.array_equal(waves[0], other[0])
    long_steps = str(write_corpus(tmp_path / "long", rate=16000, classes=("footsteps_wood",), seconds=3.0))
    assert composed_walks(long_steps, 16000, 4.0, 3) == ([], [])  # walks already: no single steps


def test_composed_walks_are_drawn_with_their_share_before_the_recordings(tmp_path: Path) -> None:
    """with_composed_walks: the walks join unlabelled (a wording swap never gives one a single step's
    wording), drawn `share` of the time, and the real recordings stay the corpus's last clips."""
    import torch

    from foleykit.training.data import (
        WALKS_PER_CLASS,
        CorpusSpec,
        build_corpus,
        with_composed_walks,
        with_real_clips,
    )

    corpus_dir = _with_single_steps(tmp_path, ("footsteps_wood", "rain"))
    synthetic = build_corpus(CorpusSpec(16000, 1.0, 1), workers=1, progress=False)
    mixed = with_real_clips(synthetic, corpus_dir, 16000, share=0.5)
    walked = with_composed_walks(mixed, corpus_dir, 16000, share=0.2)
    added = slice(len(synthetic), len(synthetic) + WALKS_PER_CLASS)
    assert len(walked) == len(mixed) + WALKS_PER_CLASS and walked.recordings == mixed.recordings == 6
    assert (walked.labels[added] == -1).all()
    assert walked.captions[-mixed.recordings :] == mixed.captions[-mixed.recordings :]
    assert torch.equal(walked.waveforms[-mixed.recordings :], mixed.waveforms[-mixed.recordings :])
    assert torch.isclose(walked.weights.sum(), torch.tensor(1.0))
    assert walked.recorded_share() == pytest.approx(0.5 * 0.8)
    drawn = walked.sample(20000, torch.Generator().manual_seed(0))
    share = ((drawn >= added.start) & (drawn < added.stop)).float().mean().item()
    assert 0.18 < share < 0.22
    assert with_composed_walks(mixed, corpus_dir, 16000, share=0.0) is mixed
