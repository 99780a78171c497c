"""`report.html`: every take of a batch at a glance — name, prompt, seed, spectrogram, audio player.

One self-contained file (spectrograms inline as PNG data URIs; audio referenced by relative path, so the
page plays the WAVs beside it without copying them). Every spectrogram has time and frequency axes and the
same colour scale (shown once at the top), so takes compare by eye. The summary gives the last run's wall
time and throughput (what that run made) apart from the totals over every run into the folder.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foleykit import __version__
from foleykit.audio import pictures
from foleykit.audio.io import write_atomic

if TYPE_CHECKING:
    from foleykit.batch.jobs import TakeJob
    from foleykit.batch.prompt_file import PromptFile

SPECTRO_W, SPECTRO_H = 360, 90


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def spectrogram_png(path: Path) -> str:
    """A take's spectrogram, with axes, as a PNG data URI."""
    return _data_uri(pictures.spectrogram_png(path, SPECTRO_W, SPECTRO_H))


def _rate(audio_s: float, wall_s: float) -> str:
    return f"{audio_s / wall_s:.2f}" if wall_s > 0 else "-"


def run_summary(runs: Sequence[dict[str, Any]], finished: int, planned: int) -> str:
    """This run (the last of `runs`) and, when the folder was resumed, every run together; plain text."""
    if not runs:
        return f"{finished} of {planned} takes finished"
    last = runs[-1]
    state = "interrupted" if last.get("interrupted") else "finished"
    text = (
        f"{finished} of {planned} takes finished. This run ({state}): {last['generated']} take(s) made, "
        f"{last['audio_s']:.1f} s of audio in {last['wall_s']:.1f} s wall time "
        f"({_rate(last['audio_s'], last['wall_s'])} audio seconds per wall second)"
    )
    if len(runs) > 1:
        audio = sum(r.get("audio_s", 0.0) for r in runs)
        wall = sum(r.get("wall_s", 0.0) for r in runs)
        made = sum(r.get("generated", 0) for r in runs)
        text += (
            f". All {len(runs)} runs: {made} take(s) made, {audio:.1f} s of audio in {wall:.1f} s wall "
            f"time ({_rate(audio, wall)} audio seconds per wall second)"
        )
    return text + "."


def write_report(
    path: Path, prompts: PromptFile, jobs: Sequence[TakeJob], runs: Sequence[dict[str, Any]]
) -> Path:
    finished = [j for j in jobs if j.wav.exists() and j.sidecar.exists()]
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
            f'<td><img alt="spectrogram of {html.escape(job.wav.name, quote=True)}" '
            f'src="{spectrogram_png(job.wav)}"></td>'
            f'<td><audio controls preload="none" src="{src}"></audio></td>'
            "</tr>"
        )
    summary = html.escape(run_summary(runs, len(finished), len(jobs)))
    legend = _data_uri(pictures.png_bytes(pictures.colour_bar_rgb()))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>foleykit batch: {html.escape(prompts.path.name)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; background: #111418; color: #e5e8e8; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 6px 10px; border-bottom: 1px solid #2c3e50;
vertical-align: middle; text-align: left; }} small {{ color: #95a5a6; }} img {{ display: block; }}
td:nth-child(2) {{ min-width: 14em; }}
</style></head><body>
<h1>{html.escape(prompts.path.name)}</h1>
<p id="summary">{summary}</p>
<p><small>foleykit {__version__} · {datetime.now(timezone.utc).isoformat(timespec="seconds")} ·
spectrograms: log frequency, one colour scale for every take</small>
<img id="colour-scale" alt="colour scale" src="{legend}"></p>
<table><thead><tr><th>name</th><th>prompt</th><th>seed</th><th>length</th><th>spectrogram</th><th>listen</th>
</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    return write_atomic(path, lambda tmp: tmp.write_text(page, encoding="utf-8"), force=True)
