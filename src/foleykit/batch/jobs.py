"""One take of one sound of a prompt file: the unit the batch runner schedules and the report shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from foleykit.batch.prompt_file import BatchSound


@dataclass(frozen=True)
class TakeJob:
    sound: BatchSound
    take: int
    seed: int
    wav: Path

    @property
    def sidecar(self) -> Path:
        return self.wav.with_suffix(".json")

    @property
    def group(
        self,
    ) -> tuple[str, float, int | None, float | None, float | None, tuple[bool, bool] | str]:
        """Takes that can share a pipeline call: same model, length, steps, guidance, anchor weight, trim and
        loop; a sound made from a file shares its calls with no other sound."""
        r = self.sound.request
        return (
            r.model,
            r.duration,
            r.steps,
            r.guidance,
            r.anchor_weight,
            (r.trim, r.loop) if self.sound.source is None else self.sound.folder,
        )


__all__ = ["TakeJob"]
