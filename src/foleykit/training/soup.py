"""Interpolate the weights of two fine-tunes of one foleykit model (WiSE-FT, Wortsman et al., CVPR 2022).

Two models fine-tuned from the same weights often sit in one basin of the loss: a weighted mean of their
parameters keeps much of what each learned (here: version 3's caption takes and the wordings run's
paraphrase takes) at no training cost. Written by hand: diffusers has no merge tool for a whole
pipeline, and the arithmetic is a few lines; what needs care is refusing models that are not two
fine-tunes of one architecture, and carrying their licence and attribution.

    python -m foleykit.training.soup BASE TUNED OUT --weight 0.5

`weight` is TUNED's share: 0 gives BASE back, 1 gives TUNED.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from foleykit.errors import BadInputError
from foleykit.pipelines.foley import FoleyPipeline
from foleykit.pipelines.foley.pipeline_foley import ANCHORING_OFF, RENDERING_SETTINGS
from foleykit.training.records import RECORD, model_record, record_text
from foleykit.training.trainer import ATTRIBUTION_FILES, replace_dir

COMPONENTS = ("unet", "vae", "vocoder")


def _directory(model: str | Path) -> Path:
    """A model name as everywhere in foleykit (`bundled`, a directory)."""
    from foleykit.models import ModelNotAvailableError, resolve_model

    try:
        return resolve_model(str(model)).directory
    except ModelNotAvailableError as err:
        raise BadInputError(str(err)) from None


def _load(directory: Path) -> FoleyPipeline:
    if not (directory / "model_index.json").is_file():
        raise BadInputError(f"{directory} is not a foleykit model directory (no model_index.json)")
    pipe = FoleyPipeline.from_pretrained(str(directory), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _config(module: torch.nn.Module) -> dict[str, Any]:
    config = module.config
    values = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    storage = ("dtype", "torch_dtype")  # how transformers' configs note the stored dtype: not architecture
    return {k: v for k, v in values.items() if not k.startswith("_") and k not in storage}


def interpolated_state(
    base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], weight: float, name: str
) -> dict[str, torch.Tensor]:
    """(1 - weight) · base + weight · tuned for floating tensors, in float32 (stored as the caller decides);
    other tensors (counters, indices) must be equal in both."""
    if base.keys() != tuned.keys():
        differ = sorted(base.keys() ^ tuned.keys())
        raise BadInputError(f"{name}: the two models have different parameters ({', '.join(differ[:3])}, …)")
    merged = {}
    for key, a in base.items():
        b = tuned[key]
        if a.shape != b.shape:
            raise BadInputError(f"{name}.{key}: shapes differ ({tuple(a.shape)} against {tuple(b.shape)})")
        if a.is_floating_point():
            merged[key] = torch.lerp(a.float(), b.float(), weight)
        elif torch.equal(a, b):
            merged[key] = a.clone()
        else:
            raise BadInputError(f"{name}.{key}: a non-floating tensor differs between the two models")
    return merged


_STORED = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32}


def stored_dtype(directory: Path, component: str) -> torch.dtype:
    """The floating dtype a component's weights are stored in (what a loaded module holds depends on the
    library that loads it: diffusers gives float32, transformers the stored dtype)."""
    from safetensors import safe_open

    found = set()
    for path in sorted((directory / component).glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as handle:
            names = handle.keys()  # a safetensors handle is not iterable itself
            found |= {handle.get_slice(key).get_dtype() for key in names}
    kinds = [_STORED[name] for name in _STORED if name in found]
    return kinds[0] if len(kinds) == 1 else torch.float32


def _same_text(paths: Sequence[Path]) -> bool:
    """Each file absent, or all present with the same bytes."""
    present = [p for p in paths if p.is_file()]
    return not present or (len(present) == len(paths) and len({p.read_bytes() for p in present}) == 1)


def _recordings(directory: Path) -> dict[tuple[str, str], str] | None:
    """The recordings a model's `attribution.json` lists, (package, file in the package) → licence; None
    without one."""
    path = directory / "attribution.json"
    if not path.is_file():
        return None
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
        return {
            (p["package"], f["source_path"]): f.get("licence", "")
            for p in listed["packages"]
            for f in p["files"]
        }
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise BadInputError(f"{path}: not an attribution list ({err})") from None


def _covers(wider: dict[tuple[str, str], str], narrower: dict[tuple[str, str], str]) -> bool:
    """Every recording of `narrower` in `wider`, under the same licence (its split may differ)."""
    return all(wider.get(key) == licence for key, licence in narrower.items())


def attribution_source(base_dir: Path, tuned_dir: Path) -> Path:
    """The model whose attribution files the mean carries. The mean learned from both models' recordings, so
    the files must name them all: the same files in both (BASE's), or, where a fine-tune learned from a
    corpus that grew, those of the model whose `attribution.json` lists every recording the other's does,
    under the same licence, and which has every attribution file the other has (TUNED's where both lists
    name the same recordings). The weights' licence must be the same."""
    if not _same_text([base_dir / "WEIGHTS-LICENSE", tuned_dir / "WEIGHTS-LICENSE"]):
        raise BadInputError(
            f"WEIGHTS-LICENSE differs between {base_dir} and {tuned_dir} (or only one has it): the weights "
            "are offered under other terms; interpolate models trained on one corpus"
        )
    differing = next((n for n in ATTRIBUTION_FILES if not _same_text([base_dir / n, tuned_dir / n])), None)
    if differing is None:
        return base_dir
    differ = f"{differing} differs between {base_dir} and {tuned_dir} (or only one has it)"
    base, tuned = _recordings(base_dir), _recordings(tuned_dir)
    if base is None or tuned is None:
        unlisted = base_dir if base is None else tuned_dir
        raise BadInputError(f"{differ}, and {unlisted} has no attribution.json to show what it learned from")
    lacking = None  # a list that covers the other's, in a model without all of the other's files
    for chosen, wider, other, narrower in (
        (tuned_dir, tuned, base_dir, base),
        (base_dir, base, tuned_dir, tuned),
    ):
        if not _covers(wider, narrower):
            continue
        missing = [n for n in ATTRIBUTION_FILES if (other / n).is_file() and not (chosen / n).is_file()]
        if not missing:
            return chosen
        lacking = f"{differ}, and {chosen}, whose list names every recording, has no {missing[0]}"
    raise BadInputError(
        lacking
        or f"{differ}, and neither model's attribution.json lists every recording the other's does under "
        "the same licence: interpolate models trained on one corpus or on a corpus and a larger one"
    )


def interpolate(
    base_dir: str | Path, tuned_dir: str | Path, target: Path, weight: float, force: bool = False
) -> Path:
    """Write BASE and TUNED's weighted mean to `target` (atomically), in the dtype both are stored in, with
    their attribution and licence, and a `training_recipe.json` that keeps both models' records."""
    base_dir, tuned_dir, target = _directory(base_dir), _directory(tuned_dir), Path(target)
    if not 0.0 <= weight <= 1.0:
        raise BadInputError(f"--weight must be within 0 and 1, got {weight}")
    if target.exists() and not force:
        raise BadInputError(f"{target} exists: pass --force to replace it")
    attributed = attribution_source(base_dir, tuned_dir)
    base, tuned = _load(base_dir), _load(tuned_dir)
    # the anchoring settings go with an anchor list, which the mean forgets: a fine-tune of an anchored
    # model (exported with anchoring off) averages with it; laying walks out and matching counts are how
    # takes are rendered, not what was learned (the mean keeps BASE's settings)
    ignored = {"_name_or_path": None, **dict.fromkeys(RENDERING_SETTINGS), **ANCHORING_OFF}
    if dict(base.config) | ignored != dict(tuned.config) | ignored:
        raise BadInputError("the two models' pipeline settings (model_index.json) differ")
    for component in COMPONENTS:
        a, b = getattr(base, component), getattr(tuned, component)
        if type(a) is not type(b) or _config(a) != _config(b):
            raise BadInputError(f"{component}: the two models have different architectures")
        merged = interpolated_state(a.state_dict(), b.state_dict(), weight, component)
        a.to(torch.float32).load_state_dict(merged)  # (load_state_dict casts into the module's dtype)
        # averaged in float32, stored as both were (fp16 models give an fp16 mean, and a component the
        # two share comes out bit for bit); float32 where they differ
        stored = {stored_dtype(base_dir, component), stored_dtype(tuned_dir, component)}
        a.to(stored.pop() if len(stored) == 1 else torch.float32)
    base.forget_anchors()  # what each learned differs: list the mean's with foleykit.training.anchors

    # both whole: a fine-tune of BASE holds BASE's record too, which `record_text` writes once
    provenance = {
        "interpolation": {
            "method": "WiSE-FT (weighted mean of parameters)",
            "tuned_weight": weight,
            "base": str(base_dir),
            "tuned": str(tuned_dir),
        },
        "tuned": model_record(tuned_dir),
        "init": model_record(base_dir),
    }

    def write(tmp: Path) -> None:
        base.save_pretrained(tmp, include_text_encoder=False)
        for name in (*ATTRIBUTION_FILES, "WEIGHTS-LICENSE"):
            if (attributed / name).is_file():
                shutil.copyfile(attributed / name, tmp / name)
        (tmp / RECORD).write_text(record_text(provenance))

    replace_dir(target, write)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foleykit.training.soup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("base", help="a model: bundled or a directory")
    parser.add_argument("tuned", help="a model directory, fine-tuned from BASE")
    parser.add_argument("out", type=Path, help="where to write the interpolated model")
    parser.add_argument("--weight", type=float, default=0.5, help="TUNED's share, 0 to 1 (default 0.5)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    libraries = (diffusers_logging, transformers_logging)
    verbosity = [library.get_verbosity() for library in libraries]
    for library in libraries:  # a second's loading: no bars, no notes on dtype casts; one line out
        library.disable_progress_bar()
        library.set_verbosity_error()
    try:
        print(interpolate(args.base, args.tuned, args.out, args.weight, force=args.force))
    except BadInputError as err:
        print(f"foleykit.training.soup: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    finally:
        for library, level in zip(libraries, verbosity, strict=True):
            library.enable_progress_bar()
            library.set_verbosity(level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
