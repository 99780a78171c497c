"""Prompt anchoring: a prompt shares guidance with the nearest caption the model learned (FoleyPipeline), and
the list of learned captions written beside the weights (`python -m foleykit.training.anchors`). Tiny
random-weight pipelines saved and loaded back; MiniLM is the real one from its package, so the nearest
caption is chosen as users' prompts will be."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from foleykit.pipelines.foley import FoleyPipeline
from foleykit.training.anchors import learned_captions, template_captions, write_anchors
from tests.corpora import write_corpus

KNOWN = ["a door slams shut", "rain falling", "a dog barking", "footsteps on gravel"]


def _anchored(
    tmp_path: Path, tiny_bundled_dir: Path, weight: float = 0.5, captions: list[str] = KNOWN
) -> Path:
    """A copy of the tiny model with `captions` listed as its anchors."""
    model = tmp_path / "anchored"
    shutil.copytree(tiny_bundled_dir, model)
    write_anchors(model, captions, weight)
    return model


def _switched_on(model: Path, setting: str) -> FoleyPipeline:
    """The model loaded again with `setting` set in its model_index.json, as a model that ships it would be."""
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, setting: True}))
    return FoleyPipeline.from_pretrained(str(model), local_files_only=True)


def _kept_by_the_list_writers(model: Path, listed: list[str], setting: str) -> None:
    """A list written again (`write_anchors`, or the anchors command without its flag) keeps the model's
    `setting` (on) and records it; written with it off, the record drops it; the command's flag sets it."""
    from foleykit.training.anchors import main as anchors_main

    def index() -> dict:
        return json.loads((model / "model_index.json").read_text())

    def recorded() -> dict:
        return json.loads((model / "training_recipe.json").read_text())["anchoring"]

    write_anchors(model, listed, 0.5, force=True)
    assert index()[setting] is True and recorded()[setting] is True
    command = [str(model), "--anchor-weight", "0.5", "--force", "--descriptor-seeds", "1"]
    assert anchors_main(command) == 0, "the command keeps it too"
    assert index()[setting] is True
    write_anchors(model, listed, 0.5, force=True, **{setting: False})
    assert setting not in recorded()
    assert anchors_main([*command, "--" + setting.replace("_", "-")]) == 0
    assert index()[setting] is True


def _take(pipe: FoleyPipeline, prompt: str, **kwargs) -> torch.Tensor:
    generator = torch.Generator().manual_seed(3)
    out = pipe(
        prompt,
        audio_length_in_s=0.5,
        num_inference_steps=2,
        generator=generator,
        output_type="latent",
        **kwargs,
    )
    return out.audios


def test_each_prompt_is_paired_with_its_nearest_learned_caption(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    pipe = FoleyPipeline.from_pretrained(str(_anchored(tmp_path, tiny_bundled_dir)), local_files_only=True)
    assert pipe.known_captions == KNOWN and pipe.config.anchor_weight == 0.5
    prompts = [
        "heavy rainfall on a tin roof",
        "a puppy yapping",
        "rain falling",
        "",
        "boots crunching on stones",
    ]
    anchors = pipe.prompt_anchors(prompts, torch.device("cpu"))
    assert anchors == ["rain falling", "a dog barking", "rain falling", "", "footsteps on gravel"]
    pipe.save_pretrained(tmp_path / "again", include_text_encoder=False)
    assert json.loads((tmp_path / "again" / "known_captions.json").read_text())["captions"] == KNOWN
    plain = FoleyPipeline.from_pretrained(str(tiny_bundled_dir), local_files_only=True)
    assert plain.known_captions == [] and plain.config.get("anchor_weight", 0.0) == 0.0
    assert plain.prompt_anchors(["heavy rainfall"], torch.device("cpu")) == ["heavy rainfall"]


def test_guidance_is_shared_between_the_prompt_and_its_anchor(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    """ε = ε_u + g·[(1 − w)(ε_prompt − ε_u) + w(ε_anchor − ε_u)]: w = 0 is the prompt alone, w = 1 the anchor
    alone, a learned caption is its own anchor, and in between the take differs from both."""
    pipe = FoleyPipeline.from_pretrained(str(_anchored(tmp_path, tiny_bundled_dir)), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    paraphrase = "heavy rainfall on a tin roof"
    alone = _take(pipe, paraphrase, anchor_weight=0.0)
    plain = FoleyPipeline.from_pretrained(str(tiny_bundled_dir), local_files_only=True)
    plain.set_progress_bar_config(disable=True)
    assert torch.equal(alone, _take(plain, paraphrase)), "weight 0: as a model without anchors"
    anchor_alone = _take(pipe, "rain falling")
    assert (alone - anchor_alone).abs().max() > 1e-2, "the two prompts guide apart"
    # the same rows in a batch of three instead of two, padded to another length: float sums reorder
    torch.testing.assert_close(_take(pipe, paraphrase, anchor_weight=1.0), anchor_alone, atol=1e-4, rtol=1e-3)
    assert torch.equal(_take(pipe, "rain falling"), _take(pipe, "rain falling", anchor_weight=0.0))
    shared = _take(pipe, paraphrase)  # the model's own weight, 0.5
    assert not torch.allclose(shared, alone) and not torch.allclose(shared, _take(pipe, "rain falling"))
    assert torch.equal(
        _take(pipe, paraphrase, guidance_scale=1.0), _take(plain, paraphrase, guidance_scale=1.0)
    )


def test_learned_captions_are_what_training_drew(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", classes=("rain", "door_slam"), seconds=1.0)
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    train = {c for r in rows if r["split"] == "train" for c in r["captions"]}
    templates = {c for filled in template_captions(seeds=3).values() for c in filled}
    test_only = {c for r in rows if r["split"] == "test" for c in r["captions"]} - train - templates
    assert test_only, "the fixture has captions only its test recordings carry"
    captions, own = learned_captions(corpus, seeds=3)
    assert len(captions) == len(set(captions)) and own == []
    assert train <= set(captions) and not test_only & set(captions), "test recordings' captions stay out"
    assert {"gravel footsteps", "a door slam", "heavy rain", "light rainfall"} <= set(captions)
    assert "large rain" not in captions, "only the size words the synthesiser draws for the class"
    from foleykit.training.data import class_wordings

    wording = class_wordings()["rain"][0]
    assert wording not in captions and wording in learned_captions(corpus, wordings=True, seeds=3)[0]

    # recordings first: a recorded class's templates anchor only themselves; an unrecorded class keeps its own
    first, first_own = learned_captions(corpus, seeds=3, recordings_first=True)
    by_class = template_captions(seeds=3)
    synthetic_rain = set(by_class["rain"]) - train
    assert synthetic_rain and not synthetic_rain & set(first) and synthetic_rain <= set(first_own)
    assert set(by_class["rain"]) & train, "the fixture has a recording captioned as a template"
    assert set(by_class["rain"]) & train <= set(first), (
        "a template some recording is captioned as still anchors"
    )
    assert set(by_class["beep"]) <= set(first) and train <= set(first)
    assert set(first) | set(first_own) == set(captions), "the same captions, sorted otherwise"

    # recordings only: those templates are not listed at all, so a prompt worded as one is anchored too
    only, only_own = learned_captions(corpus, seeds=3, recordings_only=True)
    assert only == first and only_own == []


def test_labelled_only_lists_unlabelled_captions_as_their_own_anchors(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """With --labelled-only a recording outside the classes is learned but anchors no paraphrase of a class
    ("a chest being closed" stays off "a chest being shut"); a prompt worded as it is stays itself."""
    corpus = write_corpus(tmp_path / "corpus", classes=("rain", "punch_impact"), seconds=1.0)
    manifest = corpus / "manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    chest = {**rows[0], "label": None, "captions": ["a chest being shut"], "source_path": "chest.wav"}
    manifest.write_text("".join(json.dumps(row) + "\n" for row in [*rows, chest]))
    everything, none_own = learned_captions(corpus, seeds=2)
    anchors, own = learned_captions(corpus, seeds=2, labelled_only=True)
    assert none_own == [] and "a chest being shut" in everything
    assert own == ["a chest being shut"] and set(anchors) == set(everything) - {"a chest being shut"}

    prompts = ["A chest being  shut", "a chest being closed", "a hard blow to the chest"]
    listed = [*KNOWN, "a punch"]
    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    write_anchors(model, [*listed, "a chest being shut"], 0.5)  # the control: listed as an anchor
    pulled = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pulled.prompt_anchors(prompts, torch.device("cpu"))[1] == "a chest being shut"

    write_anchors(model, listed, 0.5, force=True, own_anchors=own)
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pipe.known_captions == listed and pipe.own_anchors == own
    anchored = pipe.prompt_anchors(prompts, torch.device("cpu"))
    assert anchored[0] == "A chest being  shut", "worded as an own anchor: not anchored"
    assert "a chest being shut" not in anchored and set(anchored[1:]) <= set(listed)
    pipe.save_pretrained(tmp_path / "again", include_text_encoder=False)
    again = json.loads((tmp_path / "again" / "known_captions.json").read_text())
    assert again == {"captions": listed, "own_anchors": own}

    write_anchors(model, [*listed, "A chest being shut"], 0.5, force=True, own_anchors=own)
    both = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert both.known_captions == listed, "a caption listed both ways anchors only itself"
    both.forget_anchors()
    assert both.known_captions == both.own_anchors == [] and both.config.anchor_weight == 0.0


def test_the_anchors_command_writes_own_anchors_with_labelled_only(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    from foleykit.training.anchors import main as anchors_main

    corpus = write_corpus(tmp_path / "corpus", classes=("rain",), seconds=1.0)
    manifest = corpus / "manifest.jsonl"
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    chest = {**rows[0], "label": None, "captions": ["a chest being shut"], "source_path": "chest.wav"}
    manifest.write_text("".join(json.dumps(row) + "\n" for row in [*rows, chest]))
    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    command = [str(model), "--corpus", str(corpus), "--labelled-only", "--descriptor-seeds", "1"]
    assert anchors_main([*command, "--anchor-weight", "0.25"]) == 0
    listed = json.loads((model / "known_captions.json").read_text())
    assert listed["own_anchors"] == ["a chest being shut"] and "a chest being shut" not in listed["captions"]
    assert "a rain" in listed["captions"], "a labelled recording's caption anchors"
    assert json.loads((model / "model_index.json").read_text())["anchor_weight"] == 0.25
    record = json.loads(
        (model / "training_recipe.json").read_text()
    )  # how the list was made, over the weights'
    assert record["anchoring"]["command"].endswith("--descriptor-seeds 1 --anchor-weight 0.25")
    assert record["anchoring"]["anchor_weight"] == 0.25 and record["init"] == {"model": str(model)}
    stored = hashlib.sha256((model / "known_captions.safetensors").read_bytes()).hexdigest()
    assert record["anchoring"]["known_embeddings_sha256"] == stored
    assert anchors_main([*command, "--anchor-weight", "0.5", "--force"]) == 0
    again = json.loads((model / "training_recipe.json").read_text())
    assert again["anchoring"]["anchor_weight"] == 0.5 and again["init"] == record["init"], (
        "replaced, not nested"
    )
    assert "plain_bare_anchors" not in again["anchoring"]
    assert json.loads((model / "model_index.json").read_text())["plain_bare_anchors"] is False

    # --recordings-only: the recorded class's templates are listed neither way; --plain-bare-anchors is set
    assert anchors_main([*command, "--recordings-only", "--plain-bare-anchors", "--force"]) == 0
    only = json.loads((model / "known_captions.json").read_text())
    from foleykit.corpus import load_corpus

    recorded = {text for clip in load_corpus(corpus, split="train") for text in clip.captions}
    rain_templates = set(template_captions(seeds=1)["rain"]) - recorded
    assert rain_templates and not rain_templates & {*only["captions"], *only["own_anchors"]}
    assert rain_templates & {*listed["captions"], *listed["own_anchors"]}, "listed without the flag"
    assert json.loads((model / "model_index.json").read_text())["plain_bare_anchors"] is True
    assert json.loads((model / "training_recipe.json").read_text())["anchoring"]["plain_bare_anchors"] is True


def test_the_anchors_command_refuses_what_it_should(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    def anchors(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "foleykit.training.anchors", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    assert anchors(str(model), "--anchor-weight", "0.3", "--descriptor-seeds", "2").returncode == 0
    assert json.loads((model / "model_index.json").read_text())["anchor_weight"] == 0.3
    mine = (model / "known_captions.json").read_text()
    from foleykit.training.anchors import main as anchors_main

    run = anchors(str(model))  # refused before any synthesis: one line, exit 2
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    for args, message in [
        ((str(model),), "exists: pass --force"),
        ((str(model), "--anchor-weight", "2", "--force"), "within 0 and 1"),
        ((str(model), "--bare-anchor-weight", "-0.1", "--force"), "--bare-anchor-weight must be within"),
        ((str(tmp_path / "nothing"),), "not a model directory"),
        ((str(model), "--force", "--corpus", str(tmp_path / "no-corpus")), "no-corpus"),
        ((str(model), "--force", "--labelled-only"), "give --corpus DIR too"),
        ((str(model), "--force", "--recordings-first"), "--recordings-first sorts a corpus's captions"),
        ((str(model), "--force", "--recordings-only"), "--recordings-only sorts a corpus's captions"),
    ]:
        capsys.readouterr()
        assert anchors_main(list(args)) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert (model / "known_captions.json").read_text() == mine, "nothing replaced without --force"


def test_the_sidecar_names_the_anchor_a_take_was_guided_by(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    from foleykit.cli import main

    model = _anchored(tmp_path, tiny_bundled_dir)
    argv = ["generate", "--model", str(model), "--duration", "0.5", "--steps", "2", "--json"]
    assert main([*argv, "heavy rainfall on a tin roof", "--out", str(tmp_path / "a")]) == 0
    take = json.loads(capsys.readouterr().out)["takes"][0]
    sidecar = json.loads(Path(take["path"]).with_suffix(".json").read_text())
    assert sidecar["prompt_anchor"] == {"caption": "rain falling", "weight": 0.5}
    assert main([*argv, "rain falling", "--out", str(tmp_path / "b")]) == 0
    take = json.loads(capsys.readouterr().out)["takes"][0]
    assert json.loads(Path(take["path"]).with_suffix(".json").read_text())["prompt_anchor"] is None


def test_a_mixed_batch_anchors_only_the_prompts_that_need_it(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    pipe = FoleyPipeline.from_pretrained(str(_anchored(tmp_path, tiny_bundled_dir)), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    generator = [torch.Generator().manual_seed(s) for s in (1, 2, 3, 4)]
    prompts = ["heavy rainfall on a tin roof", "rain falling"]
    both = pipe(
        prompts,
        audio_length_in_s=0.5,
        num_inference_steps=2,
        generator=generator,
        num_waveforms_per_prompt=2,
        output_type="latent",
    ).audios
    assert both.shape[0] == 4
    own = pipe(
        ["rain falling"] * 2,
        audio_length_in_s=0.5,
        num_inference_steps=2,
        anchor_weight=0.0,
        output_type="latent",
        generator=[torch.Generator().manual_seed(s) for s in (3, 4)],
    ).audios
    torch.testing.assert_close(both[2:], own, atol=1e-4, rtol=1e-3)  # a learned caption: its own anchor
    try:
        pipe("rain", audio_length_in_s=0.5, num_inference_steps=1, anchor_weight=1.5)
    except ValueError as err:
        assert "anchor_weight must be within 0 and 1" in str(err)
    else:
        raise AssertionError("an anchor weight above 1 is refused")


def test_a_model_trained_or_averaged_from_an_anchored_one_does_not_inherit_its_list(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """The list names what the starting model learned; the new model's is written after its training."""
    from dataclasses import replace

    from foleykit.training.soup import interpolate
    from foleykit.training.trainer import RECIPES, initial_pipeline

    model = _anchored(tmp_path, tiny_bundled_dir)
    pipe = initial_pipeline(replace(RECIPES["tiny"], init=str(model)))
    assert pipe.known_captions == [] and pipe.config.anchor_weight == 0.0
    mean = interpolate(model, model, tmp_path / "mean", 0.5)
    assert not (mean / "known_captions.json").exists()
    assert json.loads((mean / "model_index.json").read_text())["anchor_weight"] == 0.0


def test_the_anchor_list_embeddings_are_stored_beside_it_and_checked_once(
    tmp_path: Path, tiny_bundled_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first anchored take reads the list's embeddings instead of encoding every caption; embeddings
    made for another list are ignored, and ones another text encoder made are found out and encoded again."""
    from safetensors.torch import load_file

    from foleykit.pipelines.foley.pipeline_foley import KNOWN_EMBEDDINGS, write_known_embeddings

    model = _anchored(tmp_path, tiny_bundled_dir)
    stored = load_file(str(model / KNOWN_EMBEDDINGS))["embeddings"]
    assert stored.dtype == torch.float16 and tuple(stored.shape) == (len(KNOWN), 384)
    prompts = ["heavy rainfall on a tin roof", "a puppy yapping", "boots crunching on stones"]
    want = ["rain falling", "a dog barking", "footsteps on gravel"]

    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pipe._known_embeddings is not None, "read at load, not encoded at the first take"
    kept = pipe.caption_embeddings()
    assert torch.equal(kept, stored.float())
    with caplog.at_level("WARNING"):
        assert pipe.prompt_anchors(prompts, torch.device("cpu")) == want
    assert pipe.caption_embeddings() is kept and "another text encoder" not in caplog.text, "passed its check"
    encoded = FoleyPipeline.from_pretrained(str(tiny_bundled_dir), local_files_only=True)
    encoded.known_captions = list(KNOWN)
    torch.testing.assert_close(encoded.caption_embeddings(), stored.float(), atol=2e-3, rtol=0)

    # another encoder's embeddings under this list's digest: wrong anchors unless they are found out
    wrong = torch.nn.functional.normalize(stored.float()[[1, 2, 3, 0]], dim=-1)
    write_known_embeddings(model, list(KNOWN), wrong)
    misled = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    with caplog.at_level("WARNING"):
        assert misled.prompt_anchors(prompts, torch.device("cpu")) == want
        assert misled.prompt_anchors(prompts, torch.device("cpu")) == want
    assert caplog.text.count("another text encoder") == 1, "checked once"
    torch.testing.assert_close(misled.caption_embeddings(), stored.float(), atol=2e-3, rtol=0)

    # written for another list: not read at all; a file that is no safetensors (an LFS pointer): encoded
    write_known_embeddings(model, ["rain falling"], wrong[:1])
    assert FoleyPipeline.from_pretrained(str(model), local_files_only=True)._known_embeddings is None
    (model / KNOWN_EMBEDDINGS).write_text("version https://git-lfs.github.com/spec/v1\n")
    pointer = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pointer._known_embeddings is None
    assert pointer.prompt_anchors(prompts, torch.device("cpu")) == want

    pipe.save_pretrained(tmp_path / "again", include_text_encoder=False)
    again = load_file(str(tmp_path / "again" / KNOWN_EMBEDDINGS))["embeddings"]
    torch.testing.assert_close(again.float(), stored.float(), atol=2e-3, rtol=0)
    pipe.forget_anchors()
    pipe.save_pretrained(tmp_path / "again", include_text_encoder=False)
    assert not (tmp_path / "again" / KNOWN_EMBEDDINGS).exists()
    assert not (tmp_path / "again" / "known_captions.json").exists()


def test_an_anchor_never_states_another_speed_or_count(tmp_path: Path, tiny_bundled_dir: Path) -> None:
    """Sentence similarity weighs shared nouns over one adverb: "footsteps on gravel, slow" lies nearest to
    "footsteps running on gravel". The anchor skips captions stating the other speed or count."""
    from foleykit.pipelines.foley.descriptors import contradicts, stated

    assert stated("footsteps on gravel, slow") == {"speed": "slow"}
    assert stated("someone knocking twice, quickly") == {"speed": "fast", "count": 2}
    assert stated("slow then fast steps, two or three knocks") == {}, "both named: neither stated"
    assert contradicts({"speed": "slow"}, {"speed": "fast", "count": 2})
    assert not contradicts({"speed": "slow"}, {"count": 2}) and not contradicts({}, {"speed": "fast"})
    assert stated("a car engine running at idle") == {} and stated("running water") == {}, "no gait"
    assert stated("glass shatters all at once") == {} and stated("a bell rings once") == {"count": 1}

    listed = [
        "footsteps running on gravel",
        "slow steps on a stony path",
        "three knocks on a door",
        "knocking on a wooden door",
        "rain falling",
    ]
    model = _anchored(tmp_path, tiny_bundled_dir, captions=listed)
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    prompts = ["footsteps on gravel, slow", "someone knocking on a door twice", "footsteps running on gravel"]
    queries = pipe.encode_prompt(prompts, torch.device("cpu"))[0][:, 0].float()
    by_meaning = (torch.nn.functional.normalize(queries, dim=-1) @ pipe.caption_embeddings().T).argmax(dim=1)
    assert [listed[i] for i in by_meaning[:2]] == ["footsteps running on gravel", "three knocks on a door"]
    anchors = pipe.prompt_anchors(prompts, torch.device("cpu"))
    assert anchors == [
        "slow steps on a stony path",
        "knocking on a wooden door",
        "footsteps running on gravel",
    ]

    write_anchors(model, ["footsteps running on gravel", "three knocks on a door"], 0.5, force=True)
    only = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert only.prompt_anchors(["slow footsteps, twice"], torch.device("cpu")) == ["slow footsteps, twice"], (
        "every caption contradicts it: no anchor"
    )


def test_a_prompt_asking_for_no_speed_count_distance_or_space_gives_its_anchor_the_bare_share(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """`bare_anchor_weight`: a prompt that only names its sound loses nothing when the anchor carries more of the
    guidance; "far away" or "in a large hall" keeps `anchor_weight`'s share for the prompt's own words."""
    from foleykit.cli import main
    from foleykit.pipelines.foley.descriptors import modifies

    for text in (
        "footsteps on gravel, slow",
        "a door knocked twice",
        "thunder far away",
        "a distant explosion",
        "hitting a metal pipe, in a large hall",
        "drips echoing in a cave",
        "a match struck up close",
        "birdsong outdoors",
        "a close-up match strike",
        "footsteps in empty halls",
        "a shout echoed off the walls",
        "footsteps, slow then fast",  # two speeds: no one speed stated, yet asked for
        "one, two, three knocks",
    ):
        assert modifies(text), text
    for text in ("heavy rainfall on a tin roof", "a door slams shut", "an engine running", "glass shatters"):
        assert not modifies(text), text

    model = tmp_path / "model"
    shutil.copytree(tiny_bundled_dir, model)
    write_anchors(model, KNOWN, 0.5, bare_anchor_weight=0.9)
    assert json.loads((model / "model_index.json").read_text())["bare_anchor_weight"] == 0.9
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    bare, placed = "heavy rainfall on a tin roof", "heavy rainfall on a tin roof, far away"
    assert pipe.anchor_weights([bare, placed]) == [0.9, 0.5]
    assert pipe.anchor_weights([bare, placed], anchor_weight=0.2) == [0.2, 0.2], "a given weight: for all"
    assert pipe.prompt_anchors([bare, placed], torch.device("cpu")) == ["rain falling"] * 2
    assert torch.equal(_take(pipe, bare), _take(pipe, bare, anchor_weight=0.9))
    assert torch.equal(_take(pipe, placed), _take(pipe, placed, anchor_weight=0.5))
    for prompt in (bare, placed):  # the two shares give takes apart, beyond the batch check's tolerance
        apart = (_take(pipe, prompt, anchor_weight=0.9) - _take(pipe, prompt, anchor_weight=0.5)).abs().max()
        assert apart > 1e-2, (prompt, apart)
    generator = [torch.Generator().manual_seed(3) for _ in range(2)]
    batch = pipe(
        [bare, placed],
        audio_length_in_s=0.5,
        num_inference_steps=2,
        generator=generator,
        output_type="latent",
    ).audios
    torch.testing.assert_close(batch[:1], _take(pipe, bare), atol=1e-4, rtol=1e-3)  # each row its own share
    torch.testing.assert_close(batch[1:], _take(pipe, placed), atol=1e-4, rtol=1e-3)

    argv = ["generate", "--model", str(model), "--duration", "0.5", "--steps", "2", "--json", bare]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    take = json.loads(capsys.readouterr().out)["takes"][0]
    sidecar = json.loads(Path(take["path"]).with_suffix(".json").read_text())
    assert sidecar["prompt_anchor"] == {"caption": "rain falling", "weight": 0.9}

    assert torch.equal(_take(pipe, bare, anchor_weight=1), _take(pipe, bare, anchor_weight=1.0)), (
        "an int share"
    )
    # only bare prompts anchored: the other row is its prompt's own
    pipe.register_to_config(anchor_weight=0.0)
    assert pipe.anchor_weights([bare, placed]) == [0.9, 0.0]
    torch.testing.assert_close(
        pipe(
            [bare, placed],
            audio_length_in_s=0.5,
            num_inference_steps=2,
            generator=[torch.Generator().manual_seed(3) for _ in range(2)],
            output_type="latent",
        ).audios[1:],
        _take(pipe, placed, anchor_weight=0.0),
        atol=1e-4,
        rtol=1e-3,
    )
    pipe.register_to_config(bare_anchor_weight=1.5)
    with pytest.raises(ValueError, match="bare_anchor_weight must be within 0 and 1"):
        pipe.anchor_weights([bare])
    pipe.forget_anchors()
    assert pipe.anchor_weights([bare]) == [0.0] and pipe.config.bare_anchor_weight is None
    write_anchors(model, KNOWN, 0.5, force=True)  # listed again without it: one share for every prompt
    assert json.loads((model / "model_index.json").read_text())["bare_anchor_weight"] is None
    again = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert again.anchor_weights([bare, placed]) == [0.5, 0.5]


def test_plain_bare_anchors_pair_a_bare_prompt_only_with_captions_asking_for_nothing(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """`plain_bare_anchors`: "footsteps on gravel" lies nearest to "footsteps running on gravel" or "footsteps
    on gravel in a large hall", which add a speed or a space the user did not ask for; with the guard a bare
    prompt is paired with the nearest caption that asks for none, a prompt that asks keeps its nearest, and a
    list of only asking captions still anchors it."""
    listed = [
        "footsteps running on gravel",
        "footsteps on gravel in a large hall",
        "someone stepping on loose stones",
        "a door slammed shut",
    ]
    model = _anchored(tmp_path, tiny_bundled_dir, captions=listed)
    prompts = ["footsteps on gravel", "footsteps on gravel, far away"]
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    unguarded = pipe.prompt_anchors(prompts, torch.device("cpu"))
    assert unguarded[0] in listed[:2], "the fixture's nearest caption adds a speed or a space"
    assert unguarded[1] in listed[:2], "so would a mask wrongly applied to the asking prompt"

    write_anchors(model, listed, 0.5, force=True, plain_bare_anchors=True)
    assert json.loads((model / "model_index.json").read_text())["plain_bare_anchors"] is True
    guarded = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    anchors = guarded.prompt_anchors(prompts, torch.device("cpu"))
    assert anchors == ["someone stepping on loose stones", unguarded[1]]
    guarded.known_captions = listed[:2]  # the descriptors are kept per list: a new list is read again
    assert guarded.prompt_anchors(prompts[:1], torch.device("cpu")) == [unguarded[0]]

    write_anchors(model, listed[:2], 0.5, force=True, plain_bare_anchors=True)
    asking = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert asking.prompt_anchors(prompts[:1], torch.device("cpu")) == [unguarded[0]], (
        "no plain caption listed"
    )
    asking.forget_anchors()
    assert asking.config.plain_bare_anchors is False


def test_same_surface_anchors_pair_a_prompt_naming_a_surface_only_with_captions_naming_it_or_none(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """`same_surface_anchors`: "footsteps on gravel" lies nearer to "footsteps walking on rock" (a concrete
    walk) than to "a footstep on gravel", and version 11 anchored it so. With the guard a prompt that names a
    surface is paired with the nearest caption naming the same one or none; one that names none keeps its
    nearest."""
    from foleykit.pipelines.foley.descriptors import surface

    assert surface("footsteps on gravel") == surface("light quick steps over small stones") == "gravel"
    assert (
        surface("boots echoing on a concrete floor")
        == surface("a man walking down a city sidewalk")
        == "stone"
    )
    assert surface("a person pacing on old floorboards") == surface("knocking on a wooden table") == "wood"
    assert surface("a stone hitting wood") is None and surface("a door slams shut") is None, "two, or none"

    listed = ["footsteps walking on rock", "a footstep on gravel", "a door slams shut"]
    model = _anchored(tmp_path, tiny_bundled_dir, captions=listed)
    prompts = ["footsteps on gravel", "boots on a concrete floor", "someone walking"]
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pipe.config.same_surface_anchors is False, "off unless the model says so"
    unguarded = pipe.prompt_anchors(prompts, torch.device("cpu"))
    assert unguarded[0] == "footsteps walking on rock", "the fixture's nearest caption names another surface"

    guarded = _switched_on(model, "same_surface_anchors")
    anchors = guarded.prompt_anchors(prompts, torch.device("cpu"))
    assert anchors == ["a footstep on gravel", "footsteps walking on rock", unguarded[2]]
    guarded.known_captions = listed[::2]  # the surfaces are kept per list: a new list is read again
    assert guarded.prompt_anchors(prompts[:1], torch.device("cpu")) == ["a door slams shut"], (
        "a caption naming no surface does not contradict it"
    )
    guarded.forget_anchors()
    assert guarded.config.same_surface_anchors is False

    _kept_by_the_list_writers(model, listed, "same_surface_anchors")

    # an aliased caption's surface is its alias's: that is what a prompt nearest to it is paired with
    kept = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    kept.known_captions, kept.anchor_aliases = ["a footstep on a hard floor", listed[0]], {}
    assert kept._caption_grounds()[0] == [None, "stone"]
    kept.anchor_aliases = {"a footstep on a hard floor": listed[0]}
    assert kept._caption_grounds()[0] == ["stone", "stone"], "read again when the aliases change"

    from foleykit.models import BUNDLED_DIR

    bundled = FoleyPipeline.from_pretrained(str(BUNDLED_DIR), local_files_only=True)
    walks = ["footsteps on gravel", "gravel footsteps", "boots echoing on a concrete floor"]
    assert [surface(a) for a in bundled.prompt_anchors(walks, torch.device("cpu"))] == [
        "gravel",
        "gravel",
        "stone",
    ]


def test_same_gait_anchors_pair_a_walk_only_with_a_walk_and_a_step_never_with_one(
    tmp_path: Path, tiny_bundled_dir: Path
) -> None:
    """`same_gait_anchors`: version 13 anchors "footsteps on gravel" to "a footstep on gravel", whose takes
    are one step and silence. With the guard a prompt asking for a walk is paired with the nearest caption
    asking for a walk (one saying nothing of steps gave one step too), one asking for one step with the
    nearest but a walk; a prompt saying nothing of steps keeps its nearest, a walk no walk is left for
    stays unanchored. The list writer keeps and records the setting."""
    from foleykit.pipelines.foley.descriptors import gait

    assert gait("footsteps on gravel") == gait("someone running on stone") == gait("a man pacing") == "walk"
    assert gait("a footstep on gravel") == gait("a hard-soled footstep on stone") == "step"
    assert gait("someone stepping on loose gravel") == gait("a single step") == "step"
    assert gait("gravel crunching") is None and gait("water running in a stream") is None
    assert gait("a horse walking on cobblestones") is None and gait("a marching band") is None
    assert gait("a dog running across wooden floorboards") is None
    assert gait("a man walking his dog") == gait("footsteps and a dog barking") == "walk", "a person named"

    listed = ["a footstep on gravel", "someone walking on stone", "gravel crunching"]
    model = _anchored(tmp_path, tiny_bundled_dir, captions=listed)
    prompts = ["footsteps on gravel", "a single step on stone", "crunching gravel"]
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pipe.config.same_gait_anchors is False, "off unless the model says so"
    unguarded = pipe.prompt_anchors(prompts, torch.device("cpu"))
    assert unguarded[:2] == ["a footstep on gravel", "someone walking on stone"], "the fixture's nearest"

    guarded = _switched_on(model, "same_gait_anchors")
    anchors = guarded.prompt_anchors(prompts, torch.device("cpu"))
    assert anchors[2] == unguarded[2], "a prompt saying nothing of steps keeps its nearest"
    assert anchors[:2] == ["someone walking on stone", "a footstep on gravel"], (
        "a walk's nearest walk; a step's nearest but a walk"
    )
    guarded.anchor_aliases = {"someone walking on stone": "a footstep on gravel"}  # an alias's gait counts
    assert guarded.prompt_anchors(prompts[:1], torch.device("cpu")) == ["footsteps on gravel"], (
        "no walk left: unanchored"
    )
    guarded.forget_anchors()
    assert guarded.config.same_gait_anchors is False

    _kept_by_the_list_writers(model, listed, "same_gait_anchors")


def test_a_request_chooses_its_anchor_share_and_the_sidecar_makes_it_again(
    tmp_path: Path, tiny_bundled_dir: Path, tiny_audioldm_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """`--anchor-weight`: 0 uses the prompt as worded (no anchor in the sidecar, other audio than the
    model's own share), a share names itself; the sidecar's command makes the take again bit for bit; a
    share above 0 for a model with no learned captions, or outside 0–1, is one line before loading."""
    import shlex

    import soundfile as sf

    from foleykit.cli import main

    model = _anchored(tmp_path, tiny_bundled_dir)
    argv = ["generate", "heavy rainfall on a tin roof", "--model", str(model), "--duration", "0.5"]
    argv += ["--steps", "2", "--seed", "7", "--json"]
    made = {}
    for label, extra in (
        ("default", []),
        ("exact", ["--anchor-weight", "0"]),
        ("most", ["--anchor-weight", "0.9"]),
    ):
        assert main([*argv, *extra, "--out", str(tmp_path / label)]) == 0
        take = json.loads(capsys.readouterr().out)["takes"][0]
        made[label] = (Path(take["path"]), json.loads(Path(take["path"]).with_suffix(".json").read_text()))
    assert made["default"][1]["prompt_anchor"] == {"caption": "rain falling", "weight": 0.5}
    assert made["default"][1]["anchor_weight"] is None
    assert "--anchor-weight" not in made["default"][1]["command"]
    exact_path, exact = made["exact"]
    assert exact["prompt_anchor"] is None and exact["anchor_weight"] == 0.0
    assert made["most"][1]["prompt_anchor"] == {"caption": "rain falling", "weight": 0.9}
    audio = {label: sf.read(path)[0] for label, (path, _) in made.items()}
    assert not np.array_equal(audio["exact"], audio["default"]), "the anchor no longer steers the take"
    assert not np.array_equal(audio["most"], audio["default"])

    command = shlex.split(exact["command"])
    assert command[command.index("--anchor-weight") + 1] == "0.0"
    assert main([*command[1:], "--out", str(tmp_path / "again"), "--json"]) == 0
    capsys.readouterr()
    assert np.array_equal(sf.read(tmp_path / "again" / exact_path.name)[0], audio["exact"])

    for extra, message in (
        (["--anchor-weight", "1.5"], "anchor weight must be a number from 0 (the prompt as worded) to 1"),
        (["--anchor-weight", "0.5", "--model", str(tiny_audioldm_dir)], "do not anchor prompts"),
        (["--anchor-weight", "0.5", "--model", str(tiny_bundled_dir)], "lists no learned captions"),
    ):
        assert main([*argv, *extra, "--out", str(tmp_path / "refused")]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "refused").exists() or not any((tmp_path / "refused").iterdir())
    assert (
        main(
            [*argv, "--anchor-weight", "0", "--model", str(tiny_audioldm_dir), "--out", str(tmp_path / "ldm")]
        )
        == 0
    )
    capsys.readouterr()


def test_variations_and_batches_keep_the_anchor_share_they_are_given(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """`--anchor-weight 0` reaches the pipeline in a variation, a region made again, a take longer than the
    model's window and a prompt file: no anchor named, and the audio differs from the model's own share's;
    a variation of an exact-wording take, its prompt taken from the sidecar, is worded exactly too."""
    import soundfile as sf

    from foleykit.cli import main

    model = _anchored(tmp_path, tiny_bundled_dir)
    assert main(["generate", "heavy rainfall", "--model", str(model), "--duration", "0.5", "--steps", "2",
                 "--seed", "3", "--out", str(tmp_path / "src"), "--json"]) == 0  # fmt: skip
    source = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
    varied = {}
    for label, extra in (("default", []), ("exact", ["--anchor-weight", "0"])):
        assert main(["vary", str(source), "--strength", "0.6", "--model", str(model), "--steps", "2",
                     "--seed", "4", *extra, "--out", str(tmp_path / f"vary-{label}"), "--json"]) == 0  # fmt: skip
        path = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
        varied[label] = (sf.read(path)[0], json.loads(path.with_suffix(".json").read_text()))
    assert varied["default"][1]["prompt_anchor"] == {"caption": "rain falling", "weight": 0.5}
    assert (
        varied["exact"][1]["prompt_anchor"] is None and "--anchor-weight 0" in varied["exact"][1]["command"]
    )
    assert not np.array_equal(varied["exact"][0], varied["default"][0])
    exact_source = tmp_path / "vary-exact" / Path(varied["exact"][1]["file"]).name
    assert main(["vary", str(exact_source), "--strength", "0.6", "--model", str(model), "--steps", "2",
                 "--out", str(tmp_path / "vary-again"), "--json"]) == 0  # fmt: skip
    again = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
    assert json.loads(again.with_suffix(".json").read_text())["anchor_weight"] == 0.0, "kept with the prompt"

    made = {}
    for label, extra in (("default", []), ("exact", ["--anchor-weight", "0"])):
        for command in (["inpaint", str(source), "--region", "0.1:0.3"], ["generate", "heavy rainfall"]):
            more = ["--duration", "6"] if command[0] == "generate" else []  # past the tiny model's 5 s
            assert main([*command, *more, "--model", str(model), "--steps", "2", "--seed", "5", *extra,
                         "--out", str(tmp_path / f"{command[0]}-{label}"), "--json"]) == 0  # fmt: skip
            path = Path(json.loads(capsys.readouterr().out)["takes"][0]["path"])
            made[command[0], label] = sf.read(path)[0]
    for operation in ("inpaint", "generate"):
        assert not np.array_equal(made[operation, "exact"], made[operation, "default"]), operation

    prompts = tmp_path / "p.toml"
    prompts.write_text(
        f"[defaults]\nmodel = '{model}'\nduration = 0.5\nsteps = 2\n"
        "[[sound]]\nname = 'own'\nprompt = 'heavy rainfall'\nseed = 3\n"
        "[[sound]]\nname = 'exact'\nprompt = 'heavy rainfall'\nseed = 3\nanchor_weight = 0.0\n"
    )
    assert main(["batch", str(prompts), "--out", str(tmp_path / "batch"), "--no-report"]) == 0, (
        capsys.readouterr().err
    )
    capsys.readouterr()
    own, exact = (next((tmp_path / "batch" / "p" / name).glob("*.json")) for name in ("own", "exact"))
    own_sidecar, exact_sidecar = json.loads(own.read_text()), json.loads(exact.read_text())
    assert own_sidecar["prompt_anchor"] is not None and exact_sidecar["prompt_anchor"] is None
    assert exact_sidecar["anchor_weight"] == 0.0
    assert not np.array_equal(sf.read(own.with_suffix(".wav"))[0], sf.read(exact.with_suffix(".wav"))[0])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,prompt,anchor_weight\na,rain,heavy\n")
    assert main(["batch", str(bad), "--out", str(tmp_path / "bad-out")]) == 2
    assert "anchor_weight must be a number" in capsys.readouterr().err


def test_an_aliased_caption_marks_where_its_prompts_lie_and_its_alias_anchors_them(
    tmp_path: Path, tiny_bundled_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An alias keeps a caption in the list for matching and gives its alias as the anchor: "a puppy yapping"
    lies by "a dog barking" (aliased to "a wolf howling"), and without the aliased caption it would go to
    whatever is nearest then. The aliases survive save_pretrained; an alias between unlisted captions is
    refused by write_anchors and by the loader."""
    captions = [*KNOWN, "a wolf howling"]
    model = tmp_path / "aliased"
    shutil.copytree(tiny_bundled_dir, model)
    write_anchors(model, captions, 0.5, aliases={"a dog barking": "a wolf howling"})
    pipe = FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    assert pipe.anchor_aliases == {"a dog barking": "a wolf howling"}
    prompts = ["a puppy yapping", "a dog barking", "heavy rainfall on a tin roof"]
    assert pipe.prompt_anchors(prompts, torch.device("cpu")) == [
        "a wolf howling",
        "a wolf howling",
        "rain falling",
    ]
    pipe.save_pretrained(tmp_path / "again", include_text_encoder=False)
    assert json.loads((tmp_path / "again" / "known_captions.json").read_text())["aliases"] == {
        "a dog barking": "a wolf howling"
    }
    again = FoleyPipeline.from_pretrained(str(tmp_path / "again"), local_files_only=True)
    assert again.prompt_anchors(prompts[:1], torch.device("cpu")) == ["a wolf howling"]
    again.forget_anchors()
    assert again.anchor_aliases == {}
    with pytest.raises(ValueError, match="not between two listed captions"):
        write_anchors(model, KNOWN, 0.5, force=True, aliases={"a dog barking": "a wolf howling"})
    listed = json.loads((model / "known_captions.json").read_text())
    (model / "known_captions.json").write_text(json.dumps({**listed, "aliases": {"rain falling": "snow"}}))
    with pytest.raises(ValueError, match="not between two listed captions"):
        FoleyPipeline.from_pretrained(str(model), local_files_only=True)
    from foleykit.cli import main

    out = tmp_path / "takes"
    assert main(["generate", "rain", "--model", str(model), "--duration", "0.5", "--out", str(out)]) == 2
    assert "not between two listed captions" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir()), "nothing written"
