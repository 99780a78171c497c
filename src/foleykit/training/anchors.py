"""The captions a trained model learned, listed beside its weights for prompt anchoring.

`FoleyPipeline` pairs each prompt with the nearest caption in the model directory's `known_captions.json`
and shares guidance with it (`anchor_weight`, and `bare_anchor_weight` for a prompt that asks for no speed,
count, distance or space, in `model_index.json`; pipeline_foley.py says why). The list
is what training drew: every synthesiser template filled with each speed, size and count the
synthesiser draws for its class (without the distance and room modifiers, which MiniLM places near the
bare caption anyway), the captions of the corpus's train recordings, and the class wordings when the
recipe drew them. Test recordings' captions are left out: the model never heard those clips.

With `--labelled-only`, captions of recordings outside the classes (most of them from one to three
recordings: "a chest being shut") anchor no other prompt, only a prompt worded exactly as they are
(`own_anchors`): sentence similarity sends paraphrases of a class to them by shared words ("a hard blow to
the chest").

With `--recordings-first`, a class that has labelled train recordings is anchored to their captions and the
class wordings, and its synthesiser templates anchor only prompts worded exactly as them: the model's takes
for a template caption sound like the synthesiser, which a listener (the independent judge) recognises less
often than its takes for a recording's caption (session 22, MODEL.md). With `--recordings-only` those
templates are not listed at all: the plainest wordings users type ("footsteps on gravel", "heavy rain") are
the templates' own, and are then paired with a recording's caption too (session 24).

`--plain-bare-anchors` sets the pipeline's `plain_bare_anchors`: a prompt that asks for no speed, count,
distance or space is paired only with captions that ask for none either. `--same-surface-anchors` sets
`same_surface_anchors`: a prompt that names gravel, stone or wood is paired only with captions naming the same
or none; `--same-gait-anchors` sets `same_gait_anchors`: a prompt asking for a walk is paired only with a
caption asking for a walk, one asking for one step not with a walk (without them a model's own settings are
kept).

    python -m foleykit.training.anchors MODEL_DIR --corpus corpus/ --anchor-weight 0.5 [--labelled-only]
        [--recordings-first | --recordings-only] [--wordings] [--bare-anchor-weight 0.85]
        [--plain-bare-anchors] [--same-surface-anchors] [--same-gait-anchors]

(`--recordings-only` implies `--recordings-first`.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from foleykit.errors import BadInputError
from foleykit.pipelines.foley.pipeline_foley import (
    KNOWN_CAPTIONS,
    anchor_aliases,
    anchor_list,
    known_captions_text,
    load_minilm,
    sentence_embeddings,
    wording_key,
    wording_keys,
    write_known_embeddings,
)
from foleykit.training.records import RECORD, model_record, record_text
from foleykit.training.trainer import invocation, replace_dir

DESCRIPTOR_SEEDS = 30  # clips synthesised per class to collect the descriptors it draws (~20 s in all)


def template_captions(seeds: int = DESCRIPTOR_SEEDS, progress: bool = False) -> dict[str, list[str]]:
    """Each class's templates filled with each (speed, size, count) the synthesiser draws for that class,
    found by synthesising `seeds` clips of it (a size word one class uses never reaches another's; at
    8 kHz, which draws the same descriptors as the training rate: checked for 30 seeds a class)."""
    from foleykit.progress import progress_bar
    from foleykit.synth import CLASSES, TEMPLATES, fill_template, synthesize

    captions: dict[str, list[str]] = {}
    for label in progress_bar(CLASSES, desc="descriptors", unit="class", disable=not progress):
        drawn = {
            tuple(synthesize(label, seed, 4.0, 8000).params.get(key, default) for key, default in DESCRIBED)
            for seed in range(seeds)
        }
        captions[label] = [
            fill_template(template, dict(zip(KEYS, values, strict=True)))
            for values in sorted(drawn, key=str)
            for template in TEMPLATES[label]
        ]
    return captions


DESCRIBED = (("speed", ""), ("size", ""), ("count", 1))
KEYS = tuple(key for key, _ in DESCRIBED)


def learned_captions(
    corpus_dir: Path | None = None,
    wordings: bool = False,
    seeds: int = DESCRIPTOR_SEEDS,
    progress: bool = False,
    labelled_only: bool = False,
    recordings_first: bool = False,
    recordings_only: bool = False,
) -> tuple[list[str], list[str]]:
    """Every caption training could draw, once each, in a stable order (templates, recordings, wordings), as
    (anchors, own anchors): with `labelled_only` the unlabelled recordings' captions are own anchors only;
    with `recordings_first` so are the templates of each class that has labelled train recordings (a
    prompt of that class is paired with a recording's caption or a wording, not with the synthesiser's);
    with `recordings_only` those templates are not listed at all, so a prompt worded exactly as one is paired
    with a recording's caption or a wording too."""
    templates = template_captions(seeds, progress)
    recorded: set[str] = set()
    recordings: list[str] = []
    own: list[str] = []
    if corpus_dir is not None:
        from foleykit.corpus import load_corpus

        for clip in load_corpus(corpus_dir, split="train"):
            (own if labelled_only and clip.label is None else recordings).extend(clip.captions)
            if clip.label is not None:
                recorded.add(clip.label)
    captions: list[str] = []
    for label, filled in templates.items():
        if label not in recorded or not (recordings_first or recordings_only):
            captions.extend(filled)
        elif not recordings_only:
            own.extend(filled)
    captions += recordings
    if wordings:
        from foleykit.training.data import wording_texts

        captions += wording_texts()
    anchors = list(dict.fromkeys(captions))
    listed = wording_keys(anchors)  # matched as the pipeline matches own anchors: case and spacing aside
    return anchors, [text for text in dict.fromkeys(own) if wording_key(text) not in listed]


def check_target(
    model_dir: Path, anchor_weight: float, force: bool, bare_anchor_weight: float | None = None
) -> dict:
    """The model directory's `model_index.json`, once it is known that anchors may be written there."""
    index_path = Path(model_dir) / "model_index.json"
    if not index_path.is_file():
        raise BadInputError(f"{model_dir} is not a model directory (no model_index.json)")
    for flag, weight in (("--anchor-weight", anchor_weight), ("--bare-anchor-weight", bare_anchor_weight)):
        if weight is not None and not 0.0 <= weight <= 1.0:
            raise BadInputError(f"{flag} must be within 0 and 1, got {weight}")
    if (Path(model_dir) / KNOWN_CAPTIONS).exists() and not force:
        raise BadInputError(f"{Path(model_dir) / KNOWN_CAPTIONS} exists: pass --force to replace it")
    index = json.loads(index_path.read_text())
    if index.get("_class_name") != "FoleyPipeline":
        raise BadInputError(f"{model_dir}: prompt anchoring is for foleykit's own models (FoleyPipeline)")
    return index


def model_text_encoder(model_dir: Path, index: dict) -> tuple:
    """The model's (tokenizer, text encoder): saved in its directory, or the packaged MiniLM it refers to."""
    if index.get("text_encoder", [None])[0] is None:
        return load_minilm()
    from transformers import AutoTokenizer, BertModel

    tokenizer = AutoTokenizer.from_pretrained(Path(model_dir) / "tokenizer", local_files_only=True)
    encoder = BertModel.from_pretrained(
        Path(model_dir) / "text_encoder", local_files_only=True, dtype=torch.float32
    )
    return tokenizer, encoder.requires_grad_(False).eval()


def write_anchors(
    model_dir: Path,
    captions: list[str],
    anchor_weight: float,
    force: bool = False,
    own_anchors: Sequence[str] = (),
    command: str | None = None,
    bare_anchor_weight: float | None = None,
    plain_bare_anchors: bool = False,
    aliases: dict[str, str] | None = None,
    same_surface_anchors: bool | None = None,
    same_gait_anchors: bool | None = None,
) -> Path:
    """Write `known_captions.json` (anchors, captions that anchor only themselves, and `aliases` between
    listed captions: pipeline_foley.py) into a model directory
    and set its `anchor_weight`, `bare_anchor_weight` (None: `anchor_weight` for every prompt),
    `plain_bare_anchors` and, where given, `same_surface_anchors` and `same_gait_anchors`
    (pipeline_foley.py). The directory is rewritten beside itself and swapped in, atomically. Its training
    record (RECORD) gets an `anchoring` entry over the weights' own record, nested as `init` (a list written
    again replaces the entry: the weights are the same). The anchors' sentence
    embeddings, made by the model's text encoder, go beside the list (`known_captions.safetensors`)."""
    model_dir = Path(model_dir)
    index = check_target(model_dir, anchor_weight, force, bare_anchor_weight)
    index["anchor_weight"] = anchor_weight
    index["bare_anchor_weight"] = bare_anchor_weight
    index["plain_bare_anchors"] = bool(plain_bare_anchors)
    for name, value in (
        ("same_surface_anchors", same_surface_anchors),
        ("same_gait_anchors", same_gait_anchors),
    ):
        if value is not None:  # None: the model's own setting stays
            index[name] = bool(value)
    text = known_captions_text(list(captions), list(own_anchors), aliases)
    previous = model_record(model_dir)
    weights = previous["init"] if "anchoring" in previous else previous
    anchoring = {
        "anchor_weight": anchor_weight,
        **({"bare_anchor_weight": bare_anchor_weight} if bare_anchor_weight is not None else {}),
        **({"plain_bare_anchors": True} if plain_bare_anchors else {}),
        **({"same_surface_anchors": True} if index.get("same_surface_anchors") else {}),
        **({"same_gait_anchors": True} if index.get("same_gait_anchors") else {}),
        "known_captions_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        **({"command": command} if command else {}),
    }
    record = {"anchoring": anchoring, "init": weights}
    anchors = anchor_list(list(captions), list(own_anchors))  # as the pipeline will read them
    anchor_aliases(aliases, anchors)  # each alias between two listed captions, or ValueError
    embeddings = sentence_embeddings(*model_text_encoder(model_dir, index), anchors, torch.device("cpu"))

    def write(tmp: Path) -> None:
        shutil.copytree(model_dir, tmp)
        (tmp / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
        (tmp / KNOWN_CAPTIONS).write_text(text, encoding="utf-8")
        stored = write_known_embeddings(tmp, anchors, embeddings).read_bytes()
        anchoring["known_embeddings_sha256"] = hashlib.sha256(stored).hexdigest()
        (tmp / RECORD).write_text(record_text(record))

    replace_dir(model_dir, write)
    return model_dir / KNOWN_CAPTIONS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foleykit.training.anchors", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("model", type=Path, help="a model directory written by training (FoleyPipeline)")
    parser.add_argument("--corpus", type=Path, default=None, help="the real corpus it was trained on")
    parser.add_argument("--wordings", action="store_true", help="its recipe drew the class wordings")
    parser.add_argument(
        "--labelled-only",
        action="store_true",
        help="anchor prompts to class captions only (unlabelled recordings' captions anchor only themselves)",
    )
    parser.add_argument(
        "--recordings-first",
        action="store_true",
        help="a class with recordings anchors to their captions and wordings (its templates anchor only themselves)",
    )
    parser.add_argument(
        "--recordings-only",
        action="store_true",
        help="as --recordings-first (which it implies), and those templates are not listed at all (a prompt "
        "worded as one is anchored to a recording's caption or a wording too)",
    )
    parser.add_argument(
        "--anchor-weight", type=float, default=0.5, help="the anchor's share of guidance (default 0.5)"
    )
    parser.add_argument(
        "--bare-anchor-weight",
        type=float,
        default=None,
        help="the anchor's share for a prompt asking for no speed, count, distance or space "
        "(default: --anchor-weight's)",
    )
    parser.add_argument(
        "--plain-bare-anchors",
        action="store_true",
        help="pair a prompt asking for no speed, count, distance or space only with captions asking for none",
    )
    parser.add_argument(
        "--same-surface-anchors",
        action="store_true",
        default=None,
        help="pair a prompt naming gravel, stone or wood only with captions naming the same or none "
        "(default: the model's own setting)",
    )
    parser.add_argument(
        "--same-gait-anchors",
        action="store_true",
        default=None,
        help="pair a prompt asking for a walk only with captions asking for a walk, one asking for one step "
        "with any but a walk (default: the model's own setting)",
    )
    parser.add_argument(
        "--descriptor-seeds",
        type=int,
        default=DESCRIPTOR_SEEDS,
        help=f"clips synthesised per class to find the descriptors it draws (default {DESCRIPTOR_SEEDS})",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing known_captions.json")
    args = parser.parse_args(argv)
    try:
        for flag, given in (
            ("--labelled-only", args.labelled_only),
            ("--recordings-first", args.recordings_first),
            ("--recordings-only", args.recordings_only),
        ):
            if given and args.corpus is None:
                raise BadInputError(f"{flag} sorts a corpus's captions: give --corpus DIR too")
        check_target(args.model, args.anchor_weight, args.force, args.bare_anchor_weight)  # before synthesis
        if args.corpus is not None:
            from foleykit.corpus import load_corpus

            load_corpus(args.corpus)
        captions, own = learned_captions(
            args.corpus,
            wordings=args.wordings,
            seeds=max(1, args.descriptor_seeds),
            progress=True,
            labelled_only=args.labelled_only,
            recordings_first=args.recordings_first,
            recordings_only=args.recordings_only,
        )
        command = invocation("foleykit.training.anchors", argv)
        written = write_anchors(
            args.model,
            captions,
            args.anchor_weight,
            force=args.force,
            own_anchors=own,
            command=command,
            bare_anchor_weight=args.bare_anchor_weight,
            plain_bare_anchors=args.plain_bare_anchors,
            same_surface_anchors=args.same_surface_anchors,
            same_gait_anchors=args.same_gait_anchors,
        )
        print(written)
    except BadInputError as err:
        print(f"foleykit.training.anchors: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
