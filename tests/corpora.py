"""A small corpus of recordings in `foleykit.corpus`'s layout, for tests that need one (no download)."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile as sf

from foleykit.synth import synthesize

CLASSES = ("bell", "rain", "door_knock")


def write_corpus(
    root: Path,
    rate: int = 16000,
    classes: tuple[str, ...] = CLASSES,
    seconds: float = 3.0,
    licence: str = "CC0-1.0",
) -> Path:
    """Synthesised stand-ins for recordings: per class 3 train and 1 test recording, captioned, under
    `licence`, with the attribution files a built corpus has."""
    urls = {
        "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
        "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    }
    rows = []
    for label in classes:
        for seed in range(4):
            clip = synthesize(label, 40_000 + seed, seconds, rate)
            path = root / "clips" / f"{label}_{seed}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, clip.audio, rate, subtype="PCM_16")
            rows.append(
                {
                    "path": f"clips/{path.name}",
                    "label": label,
                    "captions": [clip.caption, label.replace("_", " "), f"a {label.replace('_', ' ')}"],
                    "split": "test" if seed == 3 else "train",
                    "seconds": seconds,
                    "sample_rate": rate,
                    "package": "fixture",
                    "package_version": "1",
                    "source_path": path.name,
                    "authors": ["foleykit tests"],
                    "licence": licence,
                    "licence_url": urls[licence],
                }
            )
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "ATTRIBUTION.md").write_text(f"# Test recordings\n\nfoleykit tests, {licence}\n")
    (root / "LICENSE-NOTE.md").write_text(f"Weights trained on these recordings: {licence}\n")
    return root
