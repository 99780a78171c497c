"""`SoundRequest`: what the user asked for, validated once, before any model is loaded."""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from foleykit.errors import BadInputError

MAX_SEED = 2**63 - 1
MAX_TAKES = 256
MAX_STEPS = 1000
MAX_PROMPT_CHARS = 2000
SLUG_MAX_CHARS = 48
MAX_DURATION_SECONDS = 1800.0  # 30 min: past a model's window, made window by window (foleykit.longform)
MIN_LOOP_SECONDS = 1.0
DEFAULT_MODEL = "bundled"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def slugify(text: str, max_chars: int = SLUG_MAX_CHARS) -> str:
    """File-name-safe slug (`[a-z0-9_-]`, at most `max_chars`): user text never becomes a path component."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9_-]+", "_", ascii_text)
    slug = re.sub(r"_+", "_", slug).strip("_-")[:max_chars].strip("_-")
    return slug or "sound"


@dataclass(frozen=True)
class SoundRequest:
    """One prompt, rendered as `takes` variations.

    Take k (counted from 1) uses seed `seed + k - 1`, so take 1 uses the seed you gave; pass `seeds`
    to choose every take's seed yourself. `steps` and `guidance` left as None take the model's defaults.
    `loudness` (LUFS, BS.1770) replaces the default peak normalisation to -1 dBTP. `trim` cuts the lead-in
    before the first transient and keeps the length by generating past the end. `loop` makes a file that
    plays seamlessly from its end back to its start (made past its end, the overrun folded into the head).
    Any duration up to 30 minutes: past the model's window the take is made window by window.
    `anchor_weight` is the share of the guidance a model with learned captions (the bundled one) gives the
    caption nearest the prompt: None takes the model's own share, 0 uses the prompt exactly as worded.
    """

    prompt: str
    negative_prompt: str | None = None
    duration: float = 4.0
    takes: int = 1
    seed: int | None = None
    seeds: tuple[int, ...] | None = None
    steps: int | None = None
    guidance: float | None = None
    model: str = DEFAULT_MODEL
    loudness: float | None = None
    name: str | None = None
    trim: bool = False
    loop: bool = False
    anchor_weight: float | None = None

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        if not isinstance(self.prompt, str) or not self.prompt.strip():
            raise BadInputError("prompt is empty: describe the sound, e.g. 'footsteps on gravel, slow'")
        if len(self.prompt) > MAX_PROMPT_CHARS:
            raise BadInputError(
                f"prompt is {len(self.prompt)} characters long; the limit is {MAX_PROMPT_CHARS}"
            )
        if self.negative_prompt is not None and not isinstance(self.negative_prompt, str):
            raise BadInputError("negative prompt must be text")
        if not _is_number(self.duration) or not math.isfinite(self.duration) or self.duration <= 0:
            raise BadInputError(f"duration must be a positive number of seconds, got {self.duration!r}")
        if not _is_int(self.takes) or self.takes < 1:
            raise BadInputError(f"takes must be a whole number ≥ 1, got {self.takes!r}")
        if self.takes > MAX_TAKES:
            raise BadInputError(f"takes must be at most {MAX_TAKES}, got {self.takes}")
        if self.seed is not None and (not _is_int(self.seed) or not 0 <= self.seed <= MAX_SEED - self.takes):
            raise BadInputError(
                f"seed must be a whole number from 0 to {MAX_SEED - self.takes}, got {self.seed!r}"
            )
        if self.seeds is not None:
            if self.seed is not None:
                raise BadInputError("give either seed or seeds, not both")
            if len(self.seeds) != self.takes:
                raise BadInputError(f"{len(self.seeds)} seeds given for {self.takes} takes")
            if any(not _is_int(s) or not 0 <= s <= MAX_SEED for s in self.seeds):
                raise BadInputError(f"seeds must be whole numbers from 0 to {MAX_SEED}")
            if len(set(self.seeds)) != len(self.seeds):
                raise BadInputError("seeds must differ from take to take")
        if self.steps is not None and (not _is_int(self.steps) or not 1 <= self.steps <= MAX_STEPS):
            raise BadInputError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {self.steps!r}")
        if self.guidance is not None and (
            not _is_number(self.guidance) or not math.isfinite(self.guidance) or not 0 <= self.guidance <= 100
        ):
            raise BadInputError(f"guidance must be a number from 0 to 100, got {self.guidance!r}")
        if self.anchor_weight is not None and (
            not _is_number(self.anchor_weight) or not 0 <= self.anchor_weight <= 1
        ):
            raise BadInputError(
                f"anchor weight must be a number from 0 (the prompt as worded) to 1, got {self.anchor_weight!r}"
            )
        if self.loudness is not None and (
            not _is_number(self.loudness) or not math.isfinite(self.loudness) or not -70 <= self.loudness <= 0
        ):
            raise BadInputError(f"loudness must be a LUFS target from -70 to 0, got {self.loudness!r}")
        if self.duration > MAX_DURATION_SECONDS:
            raise BadInputError(
                f"duration {self.duration:g} s is over the {MAX_DURATION_SECONDS / 60:g}-minute limit"
            )
        if not isinstance(self.trim, bool):
            raise BadInputError(f"trim must be true or false, got {self.trim!r}")
        if not isinstance(self.loop, bool):
            raise BadInputError(f"loop must be true or false, got {self.loop!r}")
        if self.loop and self.duration < MIN_LOOP_SECONDS:
            raise BadInputError(
                f"a loop must be at least {MIN_LOOP_SECONDS:g} s long, got {self.duration:g} s"
            )
        if self.loop and self.trim:
            raise BadInputError("a loop has no head to trim: give loop or trim, not both")
        if not isinstance(self.model, str) or not self.model.strip():
            raise BadInputError("model name is empty")

    @property
    def slug(self) -> str:
        return slugify(self.name or self.prompt)

    def with_seeds(self) -> SoundRequest:
        """The same request with every take's seed fixed (a random base seed is drawn if none was given)."""
        if self.seeds is not None:
            return self
        base = self.seed if self.seed is not None else secrets.randbelow(2**31)
        return replace(self, seed=None, seeds=tuple(base + k for k in range(self.takes)))

    def take_seeds(self) -> tuple[int, ...]:
        if self.seeds is None:
            raise ValueError("seeds are not fixed yet: call with_seeds() first")
        return self.seeds

    def file_name(self, take: int, seed: int) -> str:
        """`<slug>_t<take>_s<seed>.wav` (DESIGN §2)."""
        return f"{self.slug}_t{take}_s{seed}.wav"
