"""`report.html`: every take of a batch at a glance — name, prompt, seed, spectrogram, audio player.

One self-contained file (spectrograms inline as PNG data URIs; audio referenced by relative path, so the
page plays the WAVs beside it without copying them).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from foleykit import __version__
from foleykit.audio import pictures
from foleykit.audio.io import write_atomic

if TYPE_CHECKING:
    from foleykit.batch.prompt_file import PromptFile
    from foleykit.batch.runner import TakeJob

SPECTRO_W, SPECTRO_H = 360, 90


def spectrogram_png(path: Path) -> str:
    """A log-power spectrogram of a WAV as a base64 PNG (low frequencies at the bottom)."""
    return base64.b64encode(pictures.spectrogram_png(path, SPECTRO_W, SPECTRO_H)).decode()


def write_report(
    path: Path, prompts: PromptFile, jobs: Sequence[TakeJob], out_dir: Path, wall_s: float
) -> Path:
    finished = [j for j in jobs if j.wav.exists() and j.sidecar.exists()]
    audio_s = sum(j.sound.request.duration for j in finished)
    rows = []
    for job in finished:
        r = job.sound.request
        src = html.escape(job.wav.relative_to(path.parent).as_posix(), quote=True)
        rows.append(
            "<tr>"
            f"<td>{html.escape(job.sound.name)}<br><small>take {job.take}</small></td>"
            f"<td>{html.escape(r.prompt)}"
            + (f"<br><small>not: {html.escape(r.negative_prompt)}</small>" if r.negative_prompt else "")
            + f"</td><td>{job.seed}</td><td>{r.duration:g} s</td>"
            f'<td><img alt="spectrogram" width="{SPECTRO_W}" height="{SPECTRO_H}" '
            f'src="data:image/png;base64,{spectrogram_png(job.wav)}"></td>'
            f'<td><audio controls preload="none" src="{src}"></audio></td>'
            "</tr>"
        )
    rate = f"{audio_s / wall_s:.2f}" if wall_s > 0 else "-"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>foleykit batch: {html.escape(prompts.path.name)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; background: #111418; color: #e5e8e8; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 6px 10px; border-bottom: 1px solid #2c3e50;
vertical-align: middle; text-align: left; }} small {{ color: #95a5a6; }} img {{ display: block; }}
</style></head><body>
<h1>{html.escape(prompts.path.name)}</h1>
<p id="summary">{len(finished)} of {len(jobs)} takes · {audio_s:.1f} s of audio · wall time {wall_s:.1f} s ·
{rate} audio seconds per wall second · foleykit {__version__} ·
{datetime.now(timezone.utc).isoformat(timespec="seconds")}</p>
<table><thead><tr><th>name</th><th>prompt</th><th>seed</th><th>length</th><th>spectrogram</th><th>listen</th>
</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    return write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"), force=True)
