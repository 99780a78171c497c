"""`foleykit eval`: recognisability and fidelity of a model's takes, against synthesised ground truth.

For each class, captions of held-out synthesised clips are the template prompts; the model makes one take
per caption; the classifier (trained only on other synthesised clips) then reports:
- `real_accuracy`: its own accuracy on held-out synthesised clips (the instrument's calibration);
- `template_accuracy` and `per_class`: the share of takes classified as their prompt's class;
- `frechet`: Fréchet distance between generated and real clips of the same prompts in its embedding
  space, with `frechet_real` (two disjoint real sets) beside it for scale;
- `two_sample_accuracy`: a logistic regression trained on half the prompt pairs to tell real from
  generated, scored on the other half (0.5 = indistinguishable), the mean over `TWO_SAMPLE_SPLITS` random
  halvings with their spread (`two_sample_sd`); `two_sample_split0` is the first halving alone, which
  reports before session 28 gave as `two_sample_accuracy`;
- `prompts_accuracy`: the same as template accuracy on a user file of `label<TAB>prompt` lines.
It also writes `eval_spectrograms.png` (real vs generated, one row per class) and `eval.json`.

With a corpus of real recordings (`corpus`, built by `python -m foleykit.corpus build`), the independent
judge adds a `judge` section: real recordings, the decoder's and the VAE's round trips of them, generated
takes and the synthesiser's own clips, each recognised by nearest class centroid and compared as a set by
Fréchet distance (`judged.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foleykit.audio.io import write_atomic, write_json
from foleykit.errors import BadInputError
from foleykit.evaluation.classifier import (
    EVAL_RATE,
    EVAL_SECONDS,
    PROMPT_SEEDS,
    REAL_TEST_SEEDS,
    ClassifierRecipe,
    load_classifier,
    predict,
    real_clips,
    to_eval_audio,
)
from foleykit.evaluation.distances import frechet_distance, two_sample_scores
from foleykit.synth import CLASSES

PARAPHRASES = Path(__file__).with_name("paraphrases.tsv")


@dataclass(frozen=True)
class EvalConfig:
    model: str = "bundled"
    takes_per_class: int = 10
    steps: int | None = None
    guidance: float | None = None
    prompts_file: Path | None = None
    out_dir: Path = Path("outputs/eval")
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8
    classifier: ClassifierRecipe = field(default_factory=ClassifierRecipe)
    corpus: Path | None = None  # real recordings: adds the independent judge's scores
    takes_per_clip: int = 2  # judge: generated takes per real test recording's caption
    compare_with: Path | None = None  # an earlier eval.json (same corpus): take-for-take differences
    judge_first_seed: int = 0  # judge: the first take's seed (fresh seeds for a confirmatory run)


def read_prompt_file(path: Path) -> list[tuple[int, str]]:
    """`label<TAB>prompt` lines (blank lines and `#` comments skipped) → (class index, prompt)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputError(f"cannot read prompts file {path}: {err}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, tab, prompt = line.partition("\t")
        if not tab or not prompt.strip():
            raise BadInputError(f"{path}:{number}: expected 'label<TAB>prompt'")
        if label.strip() not in CLASSES:
            raise BadInputError(f"{path}:{number}: unknown label {label.strip()!r}")
        rows.append((CLASSES.index(label.strip()), prompt.strip()))
    if not rows:
        raise BadInputError(f"{path}: no prompts")
    return rows


def write_spectrogram_grid(
    path: Path, real: list[np.ndarray], generated: list[np.ndarray], titles: list[str]
) -> Path:
    """Real (synthesised) and generated clips side by side, one row per title, with time and frequency
    axes and one dBFS colour scale for every tile (`foleykit.audio.pictures`): a faint take looks faint."""
    from PIL import Image, ImageDraw

    from foleykit.audio.pictures import AXIS, BACKGROUND, colour_bar_rgb, spectrogram_rgb, with_axes

    def tile(wave: np.ndarray) -> np.ndarray:
        return with_axes([spectrogram_rgb(wave, EVAL_RATE, 300, 96)], 0, len(wave) / EVAL_RATE, EVAL_RATE)

    tiles = [(tile(r), tile(g)) for r, g in zip(real, generated, strict=True)]
    tile_h, tile_w = tiles[0][0].shape[:2] if tiles else (112, 338)
    label_h, gap, header = 14, 8, 30
    grid = Image.new(
        "RGB", (2 * tile_w + 3 * gap, header + len(tiles) * (tile_h + label_h + gap)), BACKGROUND
    )
    draw = ImageDraw.Draw(grid)
    draw.text((gap, 2), "real (synthesised)", fill=AXIS)
    draw.text((2 * gap + tile_w, 2), "generated", fill=AXIS)
    grid.paste(Image.fromarray(colour_bar_rgb(160, 8)), (gap, 16))
    for row, (title, (r, g)) in enumerate(zip(titles, tiles, strict=True)):
        y = header + row * (tile_h + label_h + gap)
        draw.text((gap, y), title[:100], fill=AXIS)
        grid.paste(Image.fromarray(r), (gap, y + label_h))
        grid.paste(Image.fromarray(g), (2 * gap + tile_w, y + label_h))
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, lambda tmp: grid.save(tmp, format="PNG"), force=True)


def evaluate(config: EvalConfig, progress: bool = True) -> dict[str, Any]:
    """Run the whole evaluation; returns the metrics (also written to OUT/eval.json)."""
    from foleykit.engine import get_engine
    from foleykit.models import resolve_model

    user_prompts = read_prompt_file(config.prompts_file) if config.prompts_file else None
    if config.takes_per_class < 2:
        raise BadInputError("takes per class must be at least 2 (the two-sample test splits prompt pairs)")
    source = resolve_model(config.model)
    if config.corpus is not None:
        from foleykit.corpus import load_corpus
        from foleykit.evaluation.judge import require_judge

        load_corpus(config.corpus)  # a bad corpus or a missing judge fails now, not after minutes of work
        require_judge()
    earlier = None
    if config.compare_with is not None:
        from foleykit.evaluation.judged import read_judged

        if config.corpus is None:
            raise BadInputError("--compare needs --corpus: it pairs the judge's per-take results")
        earlier = read_judged(config.compare_with, config.takes_per_clip, config.judge_first_seed)
    classifier = load_classifier(config.classifier, progress=progress)
    engine = get_engine(source, device=config.device, dtype=config.dtype, progress=progress)

    n = config.takes_per_class
    real_test, real_test_labels, _ = real_clips(REAL_TEST_SEEDS, n)
    real_probs, real_test_embed = predict(classifier, real_test)
    paired_real, labels, captions = real_clips(PROMPT_SEEDS, n)
    _, paired_embed = predict(classifier, paired_real)

    def generate(prompts: list[str], what: str) -> np.ndarray:
        seeds = list(range(len(prompts)))
        takes = engine.render_prompts(
            prompts,
            seeds,
            EVAL_SECONDS,
            steps=config.steps,
            guidance=config.guidance,
            batch_size=config.batch_size,
            progress=what if progress else None,
        )
        return np.stack([to_eval_audio(take, 48000) for take in takes])

    generated = generate(captions, "eval: template takes")
    gen_probs, gen_embed = predict(classifier, generated)
    correct = gen_probs.argmax(axis=1) == labels
    metrics: dict[str, Any] = {
        "model": source.name,
        "takes_per_class": n,
        "real_accuracy": float((real_probs.argmax(axis=1) == real_test_labels).mean()),
        "template_accuracy": float(correct.mean()),
        "frechet": frechet_distance(gen_embed, paired_embed),
        "frechet_real": frechet_distance(real_test_embed, paired_embed),
        **two_sample_scores(paired_embed, gen_embed),
        "per_class": {label: float(correct[labels == i].mean()) for i, label in enumerate(CLASSES)},
    }
    if user_prompts:
        user_labels = np.array([label for label, _ in user_prompts])
        user_probs, _ = predict(
            classifier, generate([prompt for _, prompt in user_prompts], "eval: prompt takes")
        )
        metrics["prompts_accuracy"] = float((user_probs.argmax(axis=1) == user_labels).mean())
        metrics["prompts_file"] = str(config.prompts_file)

    first = [int(np.flatnonzero(labels == i)[0]) for i in range(len(CLASSES))]
    grid = write_spectrogram_grid(
        Path(config.out_dir) / "eval_spectrograms.png",
        [paired_real[i] for i in first],
        [generated[i] for i in first],
        [f"{CLASSES[labels[i]]}: {captions[i]}" for i in first],
    )
    metrics["spectrograms"] = str(grid)
    if config.corpus is not None:
        from foleykit.evaluation.judged import judge_model

        metrics["judge"] = judge_model(
            engine,
            config.corpus,
            takes_per_clip=config.takes_per_clip,
            steps=config.steps,
            guidance=config.guidance,
            batch_size=config.batch_size,
            prompts=[(CLASSES[label], prompt) for label, prompt in user_prompts or []],
            first_seed=config.judge_first_seed,
            progress=progress,
        )
        if earlier is not None:
            from foleykit.evaluation.judged import compare_judged

            compared: dict[str, Any] = {"with": str(config.compare_with)}
            try:
                compared.update(compare_judged(metrics["judge"], earlier))
            except BadInputError as err:  # this run's own scores are still written
                compared["not_paired"] = str(err)
            metrics["judge"]["compared"] = compared
    report = write_json(Path(config.out_dir) / "eval.json", metrics, force=True)
    metrics["report"] = str(report)
    return metrics
