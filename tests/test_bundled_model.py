"""The committed bundled model: it loads offline from the package, fits its size budget, and makes sound.

How good the sound is is measured by `foleykit eval` (MODEL.md); here the weights must load through the
same path `foleykit generate` uses and give a non-silent, correctly sized, deterministic take.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from foleykit.models import BUNDLED_DIR, resolve_model

pytestmark = pytest.mark.skipif(
    not (BUNDLED_DIR / "model_index.json").is_file(), reason="this build has no bundled weights"
)


def test_weights_are_within_budget_and_reference_minilm() -> None:
    files = [p for p in BUNDLED_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 40e6
    index = json.loads((BUNDLED_DIR / "model_index.json").read_text())
    assert index["_class_name"] == "FoleyPipeline" and index["text_encoder"] == [None, None]
    vocoder = json.loads((BUNDLED_DIR / "vocoder" / "config.json").read_text())
    assert vocoder["sampling_rate"] >= 22050, "foley lives above 8 kHz"


def test_generate_with_the_bundled_model_offline(tmp_path: Path) -> None:
    assert resolve_model("bundled").backend == "bundled"
    out = tmp_path / "takes"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "no-hub")}
    args = ["generate", "three knocks on a wooden door", "--duration", "2", "--seed", "7", "--takes", "2"]
    run = subprocess.run(
        [sys.executable, "-m", "foleykit", *args, "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    takes = json.loads(run.stdout)["takes"]
    audio = [sf.read(take["path"], dtype="float32")[0] for take in takes]
    for wave in audio:
        assert wave.shape[0] == 2 * 48000
        assert np.sqrt(np.mean(wave**2)) > 1e-3, "not silent"
    assert not np.allclose(audio[0], audio[1]), "two seeds, two different takes"
    sidecar = json.loads(Path(takes[0]["path"]).with_suffix(".json").read_text())
    assert sidecar["model"]["name"] == "bundled"


def _trained_with() -> list[tuple[str, dict]]:
    """(recipe name, recipe as run) of every training run behind the weights, newest first: each record's
    `init` holds the record of the weights it started from (a weight average's also the fine-tune's, as
    `tuned`); the oldest lists version 1 and 2 itself."""
    from foleykit.training.records import model_record

    named, record = [], model_record(BUNDLED_DIR)  # whole: each record shared by several is written once
    while isinstance(record, dict):
        if "recipe_name" in record or "job" in record:  # a CPU run's record, or a GPU job's (job.py install)
            named.append((record.get("recipe_name") or record["job"]["recipe_name"], record["recipe"]))
        if "base" in record:
            named += [("bundled-finetune", record["fine_tune"]), ("bundled", record["base"])]
        tuned = record.get("tuned")  # a weight average's (training/soup.py): the fine-tune averaged in
        if isinstance(tuned, dict) and "recipe_name" in tuned:
            named.append((tuned["recipe_name"], tuned["recipe"]))
        record = record.get("init")
    return named


def test_the_named_recipes_are_the_ones_the_weights_were_trained_with() -> None:
    from dataclasses import replace

    from foleykit.training import RECIPES, TrainRecipe

    named = _trained_with()
    assert [name for name, _ in named][-2:] == ["bundled-finetune", "bundled"]
    for name, values in named:
        # as recorded, with the fields added since at their defaults (each default keeps the old behaviour);
        # `init` is where that run found the previous record's weights (a directory of the machine it ran on)
        recorded = TrainRecipe.from_dict(values)
        assert replace(RECIPES[name], init=None) == replace(recorded, init=None), (
            f"{name}: retrain or update RECIPES"
        )


def test_the_weights_carry_the_licence_and_attribution_of_what_they_learned_from() -> None:
    """Fine-tuned on CC BY-SA recordings: the weights are CC BY-SA 4.0 and list every recording."""
    assert (BUNDLED_DIR / "WEIGHTS-LICENSE").read_text().startswith("CC-BY-SA-4.0\n")
    attribution = json.loads((BUNDLED_DIR / "attribution.json").read_text())
    text = (BUNDLED_DIR / "ATTRIBUTION.md").read_text()
    assert "CC-BY-SA-3.0" in text and "Mito551" in text
    assert attribution and "CC-BY-SA-4.0" in (BUNDLED_DIR / "LICENSE-NOTE.md").read_text()


def test_the_bundled_model_walks_where_footsteps_are_asked_for_and_steps_once_where_one_is(
    tmp_path: Path,
) -> None:
    """Version 14: "footsteps on gravel" is a walk laid out from the take's own step (compose_walks), where
    version 13 answered it with one step and silence; "a footstep on gravel" stays one step."""
    import foleykit

    assert json.loads((BUNDLED_DIR / "model_index.json").read_text())["compose_walks"] is True
    added = {}
    for prompt in ("footsteps on gravel", "a footstep on gravel"):
        result = foleykit.generate(prompt, takes=2, duration=4.0, seed=0, out_dir=tmp_path / prompt[:6])
        sidecars = [json.loads(f.sidecar.read_text()) for f in result.files]
        added[prompt] = [sidecar["walk_steps_added"] for sidecar in sidecars]
    assert all(steps >= 4 for steps in added["footsteps on gravel"]), added
    assert added["a footstep on gravel"] == [0, 0]


def test_the_bundled_model_gives_a_counted_prompt_its_count(tmp_path: Path) -> None:
    """Version 15: a prompt that counts its sounds gets that many (match_counts): "three footsteps on wood",
    which the weights answer with a walk of six to eight steps, is cut after its third step; "an axe striking a
    log twice", answered with one blow, gets a copy of it — since version 16 detuned (copy_detune_cents), so
    it is not the same blow again. The sidecar says how many events each take gained or lost; the delivered
    WAV, read back, holds the count."""
    import soundfile

    import foleykit
    from foleykit.pipelines.foley.counts import event_spans
    from foleykit.pipelines.foley.walks import STEP_SPAN_SECONDS

    index = json.loads((BUNDLED_DIR / "model_index.json").read_text())
    assert index["match_counts"] is True and index["copy_detune_cents"] == 100.0
    likeness = []  # a repeated blow against its copy: 1.0 were it the same blow again
    for prompt, count, span in (
        ("three footsteps on wood", 3, STEP_SPAN_SECONDS),
        ("an axe striking a log twice", 2, 0.0),
    ):
        result = foleykit.generate(prompt, takes=4, duration=4.0, seed=0, out_dir=tmp_path / prompt[:6])
        changed = [json.loads(f.sidecar.read_text())["count_events_changed"] for f in result.files]
        held = []
        for file, change in zip(result.files, changed, strict=True):
            audio, rate = soundfile.read(file.path, dtype="float32", always_2d=True)
            mono = audio.mean(axis=1).astype(np.float64)
            spans = event_spans(mono, rate, span)
            held.append(len(spans))
            if change > 0 and len(spans) == 2:
                blow, copy = (mono[start * rate // 100 :][: round(0.13 * rate)] for start, _ in spans)
                match = np.correlate(blow, copy, "full").max() / np.sqrt((blow**2).sum() * (copy**2).sum())
                likeness.append(float(match))
        cut = count == 3  # the walk is cut; the single blow is repeated
        assert all(n < 0 if cut else n >= 0 for n in changed) and any(changed), (prompt, changed)
        assert held.count(count) >= 3, (prompt, held, changed)
    assert likeness and min(likeness) < 0.9, likeness  # version 15: 0.96-0.99
