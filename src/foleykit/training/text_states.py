"""MiniLM text states computed once, ahead of training, so a machine without the text encoder can train.

The UNet stage conditions on frozen MiniLM states of every caption it sees. Where MiniLM's package is
not installed (a GPU machine that reaches no network, with room for little beside the corpus), the
states travel instead: `TextStates.compute` encodes a caption list on any machine that has MiniLM,
`save` writes them to one safetensors file, and the trainer's `encode` looks captions up in it. A caption
missing from the file is an error naming it, not a silent zero: it means the file was packed for another
recipe.

The file must travel in a few megabytes: each caption is stored only as long as its tokens, and each
state vector as int8 with its own fp16 scale (absmax / 127), half the size of fp16. The rounding moves a
state by at most 0.4 % of its largest component, well inside what text dropout and the diffusion noise
already ask the UNet to tolerate (`tests/test_training_job.py` measures it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from foleykit.errors import BadInputError

FORMAT = "foleykit-text-states-1"  # int8 states, fp16 row scales, int64 offsets


@dataclass(frozen=True)
class TextStates:
    """Each caption's MiniLM states (pooled first, then tokens), unpadded, stored end to end."""

    captions: tuple[str, ...]
    states: torch.Tensor  # (total tokens, width) fp16, caption after caption
    offsets: torch.Tensor  # (captions + 1,) int64: caption i is states[offsets[i]:offsets[i + 1]]

    @classmethod
    @torch.no_grad()
    def compute(cls, pipe: Any, captions: Sequence[str], batch: int = 256) -> TextStates:
        """Encode `captions` with the pipeline's own text encoder (`FoleyPipeline.encode_prompt`)."""
        unique = sorted(set(captions))
        rows, lengths = [], []
        for start in range(0, len(unique), batch):
            states, mask = pipe.encode_prompt(list(unique[start : start + batch]), torch.device("cpu"))
            for row, keep in zip(states.float(), mask.bool(), strict=True):
                rows.append(row[keep].half())
                lengths.append(int(keep.sum()))
        offsets = torch.tensor([0, *lengths]).cumsum(0)
        return cls(tuple(unique), torch.cat(rows), offsets)

    @cached_property
    def index(self) -> dict[str, int]:
        """Each caption's row in `captions` and `offsets`."""
        return {caption: i for i, caption in enumerate(self.captions)}

    def subset(self, captions: Sequence[str]) -> TextStates:
        """Only these captions' states (each must be here): a job keeps those of the clips it packed."""
        index = self.index
        kept = sorted(set(captions))
        missing = [c for c in kept if c not in index]
        if missing:
            raise BadInputError(f"{len(missing)} caption(s) have no text states here, e.g. {missing[0]!r}")
        rows = [self.states[self.offsets[index[c]] : self.offsets[index[c] + 1]] for c in kept]
        offsets = torch.tensor([0, *(len(row) for row in rows)]).cumsum(0)
        return TextStates(tuple(kept), torch.cat(rows) if rows else self.states[:0], offsets)

    def stored_bytes(self, caption: str) -> int:
        """What one caption adds to the saved file: its int8 rows with their fp16 scales, its offset, and
        its entry in the caption list (the file's metadata)."""
        i = self.index[caption]
        tokens = int(self.offsets[i + 1] - self.offsets[i])
        return tokens * (self.states.shape[1] + 2) + 8 + len(json.dumps(caption)) + 2

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        from foleykit.audio.io import write_atomic

        meta = {"format": FORMAT, "captions": json.dumps(self.captions)}
        rows = self.states.float()
        scales = (rows.abs().amax(dim=1, keepdim=True) / 127).clamp_min(1e-8)
        tensors = {
            "states": torch.round(rows / scales).to(torch.int8).contiguous(),
            "scales": scales.half().contiguous(),
            "offsets": self.offsets.contiguous(),
        }
        write_atomic(Path(path), lambda tmp: save_file(tensors, str(tmp), metadata=meta), force=True)

    @classmethod
    def load(cls, path: Path) -> TextStates:
        from safetensors import safe_open

        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = handle.metadata() or {}
                if meta.get("format") != FORMAT:
                    raise BadInputError(f"{path} is not a foleykit text-states file")
                states = handle.get_tensor("states").float() * handle.get_tensor("scales").float()
                return cls(tuple(json.loads(meta["captions"])), states.half(), handle.get_tensor("offsets"))
        except (OSError, ValueError, KeyError) as err:
            raise BadInputError(f"cannot read text states {path}: {err}") from None

    def encode(self, texts: Sequence[str], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(states, mask) for `texts`, padded to the longest: what `encode_prompt` would return."""
        index = self.index
        missing = [t for t in texts if t not in index]
        if missing:
            raise BadInputError(
                f"{len(missing)} caption(s) are not in the packed text states, e.g. {missing[0]!r}: "
                "pack the job again for this recipe"
            )
        rows = [self.states[self.offsets[index[t]] : self.offsets[index[t] + 1]] for t in texts]
        length = max(len(row) for row in rows)
        states = torch.stack([F.pad(row.float(), (0, 0, 0, length - len(row))) for row in rows])
        mask = torch.stack(
            [torch.cat([torch.ones(len(row)), torch.zeros(length - len(row))]).long() for row in rows]
        )
        return states.to(device), mask.to(device)


__all__ = ["TextStates"]
