"""How much of a real recording can the bundled model's latent grid hold, and how much does its VAE keep?

Held-out real test recordings go through the bundled model's log-mel and back through Griffin-Lim, with
the mel changed on the way, and the independent judge (aiSFX) scores each variant as `foleykit eval
--corpus` scores round trips (nearest class centroid of the real train recordings; Fréchet distance to
the real test recordings; cosine similarity to each original):

- `mel`: nothing changed (the decoder's own loss);
- `vae`: the bundled VAE's latents and back (what every generated take goes through);
- `average TxM`: the mel averaged over cells of T frames × M mel bands and spread back (what a grid of that
  size keeps with one number a cell);
- `linear TxM kK`: each T × M cell coded by the first K principal components of the real train
  recordings' cells (the best a linear code of K numbers a cell keeps; the VAE's grid is 8 × 8 with 16).

Usage: python bench/latent_grid.py CORPUS [--json OUT.json] [--png OUT.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from foleykit.audio import pictures
from foleykit.corpus import load_corpus, read_clip
from foleykit.engine import get_engine
from foleykit.evaluation.judge import Judge
from foleykit.evaluation.judged import analysed_mel, real_reference, round_trip, through_vae
from foleykit.models import resolve_model

AVERAGES = ((8, 8), (8, 1), (4, 1), (2, 8), (4, 4))
LINEAR = ((8, 8, 16), (8, 8, 32), (4, 4, 4), (8, 4, 8), (8, 4, 16))


class MelCodes:
    """The bundled pipeline's log-mel analysis, its VAE, and Griffin-Lim, as mel → mel variants."""

    def __init__(self, pipe: Any) -> None:
        self.pipe = pipe
        self.bands = pipe.n_mels

    def mel(self, wave: np.ndarray) -> np.ndarray:
        return analysed_mel(self.pipe, wave)[0].numpy()  # (frames, bands)

    @torch.no_grad()
    def sound(self, mel: np.ndarray, length: int) -> np.ndarray:
        return self.pipe.decode_mel(torch.from_numpy(mel)[None])[0, :length].float().numpy()

    def vae(self, mel: np.ndarray) -> np.ndarray:
        return through_vae(self.pipe, torch.from_numpy(mel)[None])[0].numpy()

    @staticmethod
    def average(mel: np.ndarray, frames: int, bands: int) -> np.ndarray:
        image = torch.from_numpy(mel)[None, None]
        small = F.avg_pool2d(image, (frames, bands))
        return F.interpolate(small, size=mel.shape, mode="bilinear", align_corners=False)[0, 0].numpy()

    def cells(self, mel: np.ndarray, frames: int, bands: int) -> tuple[np.ndarray, int]:
        """Non-overlapping frames × bands cells as rows, and how many frames they cover."""
        whole = mel.shape[0] // frames * frames
        grid = mel[:whole].reshape(whole // frames, frames, self.bands // bands, bands)
        return grid.transpose(0, 2, 1, 3).reshape(-1, frames * bands), whole

    def linear(
        self, train: list[np.ndarray], frames: int, bands: int, keep: int
    ) -> Callable[[np.ndarray], np.ndarray]:
        """A mel → mel code: each cell projected on the first `keep` principal components of `train`'s cells."""
        rows = np.concatenate([self.cells(mel, frames, bands)[0] for mel in train])
        mean = rows.mean(axis=0)
        basis = np.linalg.svd(rows - mean, full_matrices=False)[2][:keep]

        def code(mel: np.ndarray) -> np.ndarray:
            rows, whole = self.cells(mel, frames, bands)
            coded = (rows - mean) @ basis.T @ basis + mean
            out = mel.copy()
            grid = coded.reshape(whole // frames, self.bands // bands, frames, bands).transpose(0, 2, 1, 3)
            out[:whole] = grid.reshape(whole, self.bands)
            return out

        return code


def mel_picture(
    codes: MelCodes, clips: list[tuple[str, np.ndarray]], variants: dict[str, Callable], path: Path, rate: int
) -> None:
    """Log-mel of each clip (rows) as each variant leaves it (columns, titled): time to the right (2 s a
    panel), mel bands upwards (0 to 12 kHz), one colour scale a row (the original's range)."""
    from PIL import Image, ImageDraw

    frames = 2 * rate // codes.pipe.hop_length
    scale_x, scale_y, gap, head, label = 2, 3, 8, 16, 14
    width, height = frames * scale_x, codes.bands * scale_y
    sheet = Image.new(
        "RGB", (len(variants) * (width + gap), head + len(clips) * (height + label + gap)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for column, name in enumerate(variants):
        draw.text((column * (width + gap) + 2, 2), name, fill="black")
    for row, (title, wave) in enumerate(clips):
        original = codes.mel(np.pad(wave, (0, max(0, 2 * rate - len(wave))))[: 2 * rate])
        lo, hi = float(original.min()), float(original.max())
        top = head + row * (height + label + gap)
        draw.text((2, top), f"{title}  (2 s; mel bands 0-12 kHz, low at the bottom)", fill="black")
        for column, change in enumerate(variants.values()):
            level = ((change(original) - lo) / (hi - lo)).clip(0, 1).T[::-1]
            rgb = (pictures.colour(level) * 255).astype(np.uint8).repeat(scale_y, 0).repeat(scale_x, 1)
            sheet.paste(Image.fromarray(rgb[:, :width]), (column * (width + gap), top + label))
    sheet.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="python -m foleykit.corpus build DIR")
    parser.add_argument("--json", type=Path, help="write the table as JSON")
    parser.add_argument("--png", type=Path, help="log-mel of six test clips through each code")
    args = parser.parse_args(argv)
    clips = load_corpus(args.corpus)
    pipe = get_engine(resolve_model("bundled"), device="cpu", progress=False).backend.pipe
    codes = MelCodes(pipe)
    judge = Judge.load()
    rate = pipe.sample_rate
    reference = real_reference(args.corpus, judge, rate)
    train = [codes.mel(read_clip(c, rate)) for c in clips if c.split == "train"]
    variants: dict[str, Callable[[np.ndarray], np.ndarray]] = {"mel": lambda mel: mel, "vae": codes.vae}
    for frames, bands in AVERAGES:
        variants[f"average {frames}x{bands}"] = lambda mel, f=frames, b=bands: codes.average(mel, f, b)
    for frames, bands, keep in LINEAR:
        variants[f"linear {frames}x{bands} k{keep}"] = codes.linear(train, frames, bands, keep)
    results: dict[str, Any] = {"corpus": str(args.corpus), "train_clips": len(train), "variants": {}}
    print(f"{'variant':<20} {'recognised [95 %]':>22} {'Fréchet':>8} {'similarity':>10}")
    for name, change in variants.items():
        started = time.perf_counter()
        scores = round_trip(reference, judge, lambda w, c=change: codes.sound(c(codes.mel(w)), len(w)), rate)
        row = {k: scores[k] for k in ("accuracy", "accuracy_interval", "frechet", "similarity", "clips")}
        row["seconds"] = round(time.perf_counter() - started, 1)
        results["variants"][name] = row
        low, high = row["accuracy_interval"]
        span = f"{row['accuracy']:.1%} [{low:.1%}, {high:.1%}]"
        print(f"{name:<20} {span:>22} {row['frechet']:>8.1f} {row['similarity']:>10.3f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.png:
        test = [c for c in clips if c.split == "test" and c.label is not None][::9][:6]
        shown = {k: variants[k] for k in ("mel", "vae", "average 8x8", "linear 8x8 k16")}
        titled = [(f"{c.label}: {c.captions[0]}", read_clip(c, rate)) for c in test]
        mel_picture(codes, titled, shown, args.png, rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
