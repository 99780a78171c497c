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
from foleykit.training.trainer import ATTRIBUTION_FILES, replace_dir

COMPONENTS = ("unet", "vae", "vocoder")
RECORD = "training_recipe.json"


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
    return {k: v for k, v in values.items() if not k.startswith("_")}


def interpolated_state(
    base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], weight: float, name: str
) -> dict[str, torch.Tensor]:
    """(1 - weight) · base + weight · tuned for floating tensors, in float32, returned in base's dtype;
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
            mixed = torch.lerp(a.float(), b.float(), weight)
            merged[key] = mixed.to(a.dtype)
        elif torch.equal(a, b):
            merged[key] = a.clone()
        else:
            raise BadInputError(f"{name}.{key}: a non-floating tensor differs between the two models")
    return merged


def _same_text(paths: Sequence[Path]) -> bool:
    """Each file absent, or all present with the same bytes."""
    present = [p for p in paths if p.is_file()]
    return not present or (len(present) == len(paths) and len({p.read_bytes() for p in present}) == 1)


def interpolate(
    base_dir: str | Path, tuned_dir: str | Path, target: Path, weight: float, force: bool = False
) -> Path:
    """Write BASE and TUNED's weighted mean to `target` (atomically), with their attribution and licence,
    and a `training_recipe.json` that keeps both models' records."""
    base_dir, tuned_dir, target = _directory(base_dir), _directory(tuned_dir), Path(target)
    if not 0.0 <= weight <= 1.0:
        raise BadInputError(f"--weight must be within 0 and 1, got {weight}")
    if target.exists() and not force:
        raise BadInputError(f"{target} exists: pass --force to replace it")
    for name in (*ATTRIBUTION_FILES, "WEIGHTS-LICENSE"):
        if not _same_text([base_dir / name, tuned_dir / name]):
            raise BadInputError(
                f"{name} differs between {base_dir} and {tuned_dir} (or only one has it): the models learned "
                "from different recordings; interpolate models trained on one corpus"
            )
    base, tuned = _load(base_dir), _load(tuned_dir)
    if dict(base.config) != dict(tuned.config) | {"_name_or_path": base.config.get("_name_or_path")}:
        raise BadInputError("the two models' pipeline settings (model_index.json) differ")
    for component in COMPONENTS:
        a, b = getattr(base, component), getattr(tuned, component)
        if type(a) is not type(b) or _config(a) != _config(b):
            raise BadInputError(f"{component}: the two models have different architectures")
        a.load_state_dict(interpolated_state(a.state_dict(), b.state_dict(), weight, component))
    base.forget_anchors()  # what each learned differs: list the mean's with foleykit.training.anchors

    def record(directory: Path) -> Any:
        path = directory / RECORD
        return json.loads(path.read_text()) if path.is_file() else {"model": str(directory)}

    provenance = {
        "interpolation": {"method": "WiSE-FT (weighted mean of parameters)", "tuned_weight": weight},
        "tuned": record(tuned_dir),
        "init": record(base_dir),
    }

    def write(tmp: Path) -> None:
        base.save_pretrained(tmp, include_text_encoder=False)
        for name in (*ATTRIBUTION_FILES, "WEIGHTS-LICENSE"):
            for source in (base_dir, tuned_dir):
                if (source / name).is_file():
                    shutil.copyfile(source / name, tmp / name)
                    break
        (tmp / RECORD).write_text(json.dumps(provenance, indent=2) + "\n")

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
    for library in libraries:  # a second's loading: no bars, one line out
        library.disable_progress_bar()
    try:
        print(interpolate(args.base, args.tuned, args.out, args.weight, force=args.force))
    except BadInputError as err:
        print(f"foleykit.training.soup: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    finally:
        for library in libraries:
            library.enable_progress_bar()
    return 0


if __name__ == "__main__":
    sys.exit(main())
