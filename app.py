#!/usr/bin/env python
"""foleykit in the browser: prompt sounds, audition takes, sync them to a video, run prompt files.

    python app.py [--host 127.0.0.1] [--port 7860] [--out outputs/ui]

A thin Gradio layout over `foleykit.studio.Studio`, which does the work (and is what the tests drive
directly). One server holds one copy of each model, shared by every browser through Gradio's queue;
heavy work (generate, spot, sync, batch) runs `--concurrency` jobs at a time (default 1), so a second
user waits in line instead of loading a second model. Errors reach the browser as one-line messages.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import logging
import os
import re
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a local tool
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")

import gradio as gr

from foleykit import __version__
from foleykit.cli import OneLineErrorParser
from foleykit.errors import BadInputError, FoleykitError
from foleykit.request import MAX_DURATION_SECONDS, MAX_STEPS
from foleykit.studio import (
    CUE_COLUMNS,
    CUE_FILE_TYPES,
    GENERATE_FIELDS,
    MAX_UI_TAKES,
    RESULT_COLUMNS,
    Generation,
    Studio,
)

HERE = Path(__file__).resolve().parent
LOG = logging.getLogger("foleykit.app")
TAKES_PER_ROW = 4
BATCH_COLUMNS = ("name", "prompt", "take", "seed", "file")
TC_SOURCES = {"container": "from the file", "--start-tc": "as entered", "default": "the file has none"}
# One progress tracker per handler, as Gradio wants them: a gr.Progress default argument (B008 wants them here).
GENERATE_PROGRESS = gr.Progress()
SPOT_PROGRESS = gr.Progress(track_tqdm=True)
SYNC_PROGRESS = gr.Progress(track_tqdm=True)
BATCH_PROGRESS = gr.Progress(track_tqdm=True)
CSS = """
.take-card {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px;}
footer {display: none !important;}
"""


# ------------------------------------------------------------------------------------------- errors
def _message(error: BaseException) -> gr.Error:
    text = " ".join(str(error).split())  # one line, whatever the library wrote
    if isinstance(error, FoleykitError):
        return gr.Error(text, print_exception=False)
    LOG.exception("unexpected error")  # the traceback goes to the server log, not to the browser
    return gr.Error(f"{type(error).__name__}: {text}", print_exception=False)


def _upload(path: str | None, what: str) -> str | None:
    """The upload's path on the server, or a message if Gradio's cache has already cleared it."""
    if path and not Path(path).is_file():
        raise gr.Error(
            f"the uploaded {what} has expired on the server: upload it again", print_exception=False
        )
    return path


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every failure of an event handler into a one-line message in the browser."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as error:
                raise _message(error) from None

        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as error:
            raise _message(error) from None

    return call


# A loop take's player repeats (the card's title says "· loop"): set in the page, since an update of the
# player's `loop` would change what the API returns for it (a dict instead of the file)
LOOP_PLAYERS_JS = """() => {
  document.querySelectorAll('.take-card').forEach((card) => {
    const looped = card.innerText.includes('· loop');
    card.querySelectorAll('audio').forEach((audio) => { audio.loop = looped; });
  });
}"""


def _window_hint(window: float) -> str:
    """What the duration slider says of the chosen model."""
    return f"up to {window:g} s in one pass; longer (to {MAX_DURATION_SECONDS / 60:g} min) window by window"


def _checked(errors: dict[str, str], fields: list[str]) -> list[Any]:
    """A validator's answer: per input field, its message on the field itself (Gradio shows it there)."""
    return [gr.validate(name not in errors, errors.get(name, "")) for name in fields]


def _default_hint(value: float | int) -> str:
    return f"model default: {value:g}"


# --------------------------------------------------------------------------------------------- app
def build_app(
    studio: Studio, *, default_model: str = "bundled", concurrency: int = 1, signed_in: bool = False
) -> gr.Blocks:
    """The page over `studio`. `signed_in` (the server has --auth): each user's jobs are their own
    (`Studio.for_user`), and no history is put in the page as it is built (it is the same for everyone)."""

    def mine(request: gr.Request | None) -> Studio:
        """The studio of whoever sent `request`: theirs when users sign in (none signed in: refused), else
        the one."""
        if not signed_in:
            return studio
        user = getattr(request, "username", None)
        if not user:
            raise gr.Error("Sign in first.", print_exception=False)
        return studio.for_user(user)

    models = list(studio.allowed_models or studio.models() or [default_model])
    if default_model not in models:
        models.insert(0, default_model)
    defaults = studio.model_defaults(default_model)  # from its configs: no weights loaded here
    heavy = {"concurrency_id": "engine", "concurrency_limit": concurrency}
    light = {"concurrency_limit": None}

    with gr.Blocks(title="foleykit", analytics_enabled=False, delete_cache=(900, 3600)) as demo:
        gr.Markdown(
            f"## foleykit {__version__} — sound effects from text, placed on the frame\n"
            "Describe a sound, audition takes, then sync them to a video and hand the result to your editor."
        )
        with gr.Tabs():
            # ============================================================================ Generate
            with gr.Tab("Generate", id="generate"):
                with gr.Row():
                    with gr.Column(scale=3):
                        prompt = gr.Textbox(
                            label="Prompt",
                            placeholder="footsteps on gravel, slow",
                            lines=2,
                            elem_id="prompt",
                        )
                        negative = gr.Textbox(
                            label="Negative prompt", placeholder="music, speech", elem_id="negative"
                        )
                        with gr.Row():
                            model = gr.Dropdown(
                                models,
                                value=default_model,
                                label="Model",
                                elem_id="model",
                            )
                            duration = gr.Slider(
                                0.5,
                                MAX_DURATION_SECONDS,
                                value=4,
                                step=0.5,
                                label="Duration (s)",
                                info=_window_hint(defaults["max_duration"]),
                                elem_id="duration",
                            )
                            takes = gr.Slider(
                                1, MAX_UI_TAKES, value=3, step=1, label="Takes", elem_id="takes"
                            )
                        with gr.Row():
                            trim = gr.Checkbox(
                                value=False,
                                label="Trim lead-in: start each take a few ms before its first hit",
                                elem_id="trim",
                            )
                            loop = gr.Checkbox(
                                value=False,
                                label="Loop: the end runs on into the start (loop points in the WAV)",
                                elem_id="loop",
                            )
                        with gr.Accordion("Seed and sampling", open=False, elem_id="sampling"), gr.Row():
                            random_seed = gr.Checkbox(value=True, label="Random seed", elem_id="random-seed")
                            # No minimum/maximum on these fields: Gradio's own range check fails the whole
                            # event with a message on the wrong field. The validator checks every field and
                            # marks the one at fault; text fields keep a blank a blank ("model default").
                            seed = gr.Number(value=0, precision=0, label="Seed (take 1)", elem_id="seed")
                            steps = gr.Textbox(
                                label="Steps",
                                placeholder=_default_hint(defaults["steps"]),
                                info=f"1–{MAX_STEPS}; blank: the model's default",
                                elem_id="steps",
                            )
                            guidance = gr.Textbox(
                                label="Guidance",
                                placeholder=_default_hint(defaults["guidance"]),
                                info="0–100; blank: the model's default",
                                elem_id="guidance",
                            )
                            exact_wording = gr.Checkbox(
                                value=False,
                                label="Exact wording (the bundled model shares no guidance with the "
                                "learned caption nearest the prompt)",
                                elem_id="exact-wording",
                            )
                        generate_btn = gr.Button("Generate", variant="primary", elem_id="generate-btn")
                    with gr.Column(scale=2):
                        history = gr.Dropdown(
                            [] if signed_in else [(g.label(), g.id) for g in studio.history()],
                            value=None,
                            allow_custom_value=True,  # ids made after start-up; Studio.open checks them
                            label="History (pick one to re-open it)",
                            elem_id="history",
                        )
                        examples = studio.examples()
                        if examples:
                            gr.Examples(
                                examples,
                                [prompt, negative, duration],
                                label="From the prompt library",
                                examples_per_page=6,
                            )
                generate_status = gr.Markdown(elem_id="generate-status")
                slots: list[tuple[gr.Column, gr.Markdown, gr.Audio, gr.Image, gr.DownloadButton]] = []
                card_actions: list[tuple[gr.Button, gr.Button]] = []
                for first in range(0, MAX_UI_TAKES, TAKES_PER_ROW):
                    with gr.Row():
                        for index in range(first, first + TAKES_PER_ROW):
                            with gr.Column(visible=False, elem_classes="take-card", min_width=220) as card:
                                title = gr.Markdown(
                                    f"**Take {index + 1}**", elem_id=f"take-{index + 1}-title"
                                )
                                player = gr.Audio(
                                    type="filepath",
                                    interactive=False,
                                    show_label=False,
                                    # a plain <audio controls> player: the picture below shows the waveform
                                    waveform_options=gr.WaveformOptions(show_recording_waveform=False),
                                    buttons=["download"],
                                    elem_id=f"take-{index + 1}-audio",
                                )
                                picture = gr.Image(
                                    type="filepath",
                                    interactive=False,
                                    show_label=False,
                                    height=140,
                                    elem_id=f"take-{index + 1}-picture",
                                )
                                download = gr.DownloadButton(
                                    f"Download take {index + 1} (WAV)",
                                    size="sm",
                                    elem_id=f"take-{index + 1}-wav",
                                )
                                with gr.Row():
                                    vary_btn = gr.Button("Vary", size="sm", elem_id=f"take-{index + 1}-vary")
                                    extend_btn = gr.Button(
                                        "Extend", size="sm", elem_id=f"take-{index + 1}-extend"
                                    )
                                card_actions.append((vary_btn, extend_btn))
                            slots.append((card, title, player, picture, download))
                with gr.Accordion(
                    "Edit a take: vary, extend, make a region again", open=False, elem_id="edit"
                ):
                    gr.Markdown(
                        "**Vary** and **Extend** on a take use the settings here. A region is made again "
                        "with the sound around it as context; outside it (and 20 ms crossfades) the take's "
                        "own samples stay. Each result is a new entry under its parent in the History."
                    )
                    with gr.Row():
                        edit_take = gr.Number(1, label="Take", precision=0, minimum=1, elem_id="edit-take")
                        strength = gr.Slider(
                            0.05, 1.0, value=0.5, step=0.05, label="Vary: strength (lower = closer)",
                            elem_id="edit-strength",
                        )  # fmt: skip
                        extend_by = gr.Number(4.0, label="Extend: seconds to add", elem_id="edit-extend-by")
                    with gr.Row():
                        region_start = gr.Number(None, label="Region start (s)", elem_id="edit-start")
                        region_end = gr.Number(None, label="Region end (s)", elem_id="edit-end")
                        inpaint_btn = gr.Button("Make region again", elem_id="inpaint-btn")
                with gr.Accordion("Details (JSON: seeds, files, timings)", open=False):
                    generate_details = gr.JSON()

            # =========================================================================== Sync
            with gr.Tab("Sync to video", id="sync"):
                with gr.Row():
                    with gr.Column(scale=3):
                        video = gr.Video(sources=["upload"], label="Video", elem_id="video")
                    with gr.Column(scale=2):
                        programme_info = gr.Markdown(
                            "Upload a video to see its frame rate, length and timecode."
                        )
                        start_tc = gr.Textbox(
                            label="Start timecode (blank: from the file)",
                            placeholder="01:00:00:00",
                            elem_id="start-tc",
                        )
                        sensitivity = gr.Slider(
                            0, 1, value=0.5, step=0.05, label="Spotting sensitivity", elem_id="sensitivity"
                        )
                        cue_prompt = gr.Textbox(label="Prompt for spotted cues (edit per cue below)")
                        cue_duration = gr.Slider(
                            0.5, 10, value=2, step=0.5, label="Cue duration (s)", elem_id="cue-duration"
                        )
                        spot_btn = gr.Button("Spot events", elem_id="spot-btn")
                        cue_file = gr.File(
                            file_types=list(CUE_FILE_TYPES),
                            label="…or load cues: a cue sheet or your editor's markers "
                            "(Resolve/Avid EDL, FCP 7/Premiere XML, OTIO, Premiere CSV, TIMECODE text)",
                            elem_id="cue-file",
                        )
                cues = gr.Dataframe(
                    headers=list(CUE_COLUMNS),
                    datatype="str",  # text cells keep a blank a blank (a number cell turns it into 0)
                    type="array",
                    interactive=True,
                    static_columns=[1],
                    label="Cues (frame is the mark, timecode follows it; sync: onset or start; seed blank: random)",
                    elem_id="cues",
                )
                with gr.Row():
                    add_cue_btn = gr.Button("Add cue", size="sm", elem_id="add-cue-btn")
                    sync_model = gr.Dropdown(models, value=default_model, label="Model", elem_id="sync-model")
                    sync_trim = gr.Checkbox(
                        value=True, label="Trim lead-ins (cue files start at the hit)", elem_id="sync-trim"
                    )
                    aaf = gr.Checkbox(value=True, label="Also write AAF (slowest export)")
                    sync_btn = gr.Button("Generate & sync", variant="primary", elem_id="sync-btn")
                sync_status = gr.Markdown(elem_id="sync-status")
                with gr.Row():
                    preview = gr.Video(label="Preview (original picture + new sound)", elem_id="preview")
                    sync_plot = gr.Image(type="filepath", label="Sync check: mark vs transient per cue")
                sync_table = gr.Dataframe(
                    headers=list(RESULT_COLUMNS), type="array", interactive=False, label="Placed cues"
                )
                bundle = gr.File(
                    label="Export bundle (BWF, mix, OTIO/EDL/FCP XML/AAF, markers, spotting list)"
                )
                with gr.Accordion("Details (JSON)", open=False):
                    sync_details = gr.JSON()

            # ========================================================================== Batch
            with gr.Tab("Batch", id="batch"):
                library = studio.prompt_library()
                with gr.Row():
                    library_pick = gr.Dropdown(
                        [p.name for p in library],
                        value=None,
                        label="Prompt library",
                        elem_id="library",
                    )
                    upload = gr.File(
                        file_types=[".toml", ".csv", ".jsonl"],
                        label="…or upload a prompt file (.toml, .csv, .jsonl)",
                        elem_id="prompt-upload",
                    )
                batch_btn = gr.Button("Run batch", variant="primary", elem_id="batch-btn")
                batch_status = gr.Markdown(elem_id="batch-status")
                batch_table = gr.Dataframe(
                    headers=list(BATCH_COLUMNS), type="array", interactive=False, label="Takes"
                )
                with gr.Row():
                    batch_bundle = gr.File(label="All outputs (zip)")
                    batch_report = gr.File(label="report.html (spectrogram + player per take)")
        with gr.Accordion("Server", open=False):
            server_btn = gr.Button("Refresh", size="sm")
            server = gr.JSON()

        # ---------------------------------------------------------------------------- handlers
        def show(generation: Generation | None, live: bool = True) -> list[Any]:
            """Updates for every take slot: finished takes, placeholders for those still to come."""
            updates: list[Any] = []
            shown = generation.takes if generation else []
            for index, _ in enumerate(slots):
                if index < len(shown):
                    t = shown[index]
                    looped = bool(generation and generation.settings.get("loop"))
                    updates += [
                        gr.Column(visible=True),
                        f"**Take {t.take}** · seed {t.seed}" + (" · loop" if looped else ""),
                        str(t.wav),
                        str(t.picture),
                        gr.DownloadButton(value=str(t.wav), visible=True),
                    ]
                elif generation is not None and index < generation.settings["takes"]:
                    updates += [
                        gr.Column(visible=True),
                        f"**Take {index + 1}** · "
                        + ("rendering…" if live else "not made (the request stopped)"),
                        None,
                        None,
                        gr.DownloadButton(value=None, visible=False),
                    ]
                else:
                    updates += [gr.Column(visible=False), "", None, None, gr.DownloadButton(value=None)]
            return updates

        def history_choices(selected: str | None = None, request: gr.Request = None) -> gr.Dropdown:
            return gr.Dropdown(choices=[(g.label(), g.id) for g in mine(request).history()], value=selected)

        def check_generate(*values: Any) -> list[Any]:
            _, errors = studio.read_generate_form(dict(zip(GENERATE_FIELDS, values, strict=True)))
            return _checked(errors, list(GENERATE_FIELDS))

        @friendly
        def on_generate(
            prompt: str,
            negative: str,
            model: str,
            duration: float,
            takes: float,
            random_seed: bool,
            seed: float | None,
            steps: str | None,
            guidance: str | None,
            trim: bool,
            loop: bool = False,
            exact_wording: bool = False,
            progress: gr.Progress = GENERATE_PROGRESS,
            request: gr.Request = None,
        ) -> Any:
            values = (
                prompt,
                negative,
                model,
                duration,
                takes,
                random_seed,
                seed,
                steps,
                guidance,
                trim,
                loop,
                exact_wording,
            )
            fields, errors = studio.read_generate_form(dict(zip(GENERATE_FIELDS, values, strict=True)))
            if errors:  # the validator has said so on the fields; an API caller gets the first here
                raise BadInputError(next(iter(errors.values())))
            prompt_text = fields.pop("prompt")
            run = mine(request).generate(
                prompt_text, **fields, progress=lambda fraction, text: progress(fraction, desc=text)
            )
            generation = None
            for generation in run:
                done = len(generation.takes)
                status = (
                    f"Take {done} of {generation.settings['takes']} ready · seed {generation.settings['seed']}"
                    if not generation.complete
                    else f"{done} take(s) in {generation.timings['total_s']:.1f} s · seed "
                    f"{generation.settings['seed']} · {generation.folder}"
                )
                status += "".join(f"\n- ⚠ {w}" for w in generation.warnings)
                yield [
                    status,
                    generation.to_dict(),
                    generation.settings["seed"],
                    *show(generation),
                ]

        @friendly
        def on_open(job_id: str | None, request: gr.Request = None) -> list[Any]:
            if not job_id:
                return [gr.skip()] * (2 + len(generate_form) + len(slot_outputs))
            g = mine(request).open(job_id)
            s = g.settings
            return [
                f"Re-opened {g.created.replace('T', ' ')[:19]} · {len(g.takes)} take(s) · {g.folder}",
                g.to_dict(),
                s["prompt"],
                s["negative"],
                s["model"],
                s["duration"],
                s["takes"],
                False,
                s["seed"],
                str(s["steps"]),
                f"{s['guidance']:g}",
                s.get("trim", False),
                s.get("loop", False),
                s.get("anchor_weight") == 0,
                *show(g, live=False),
            ]

        def refresh_history(details: dict | None, request: gr.Request = None) -> gr.Dropdown:
            return history_choices((details or {}).get("id"), request)

        def on_model(model: str) -> list[Any]:
            """The sampling fields' hints and the duration range follow the chosen model."""
            try:
                d = studio.model_defaults(model)
            except FoleykitError:
                return [gr.skip()] * 3
            return [
                gr.Textbox(placeholder=_default_hint(d["steps"])),
                gr.Textbox(placeholder=_default_hint(d["guidance"])),
                gr.Slider(info=_window_hint(d["max_duration"])),
            ]

        model.change(on_model, model, [steps, guidance, duration], api_visibility="private", **light)

        slot_outputs = [component for slot in slots for component in slot]
        # the Generate form in GENERATE_FIELDS order: what a request reads and a re-opened one fills
        generate_form = [
            prompt,
            negative,
            model,
            duration,
            takes,
            random_seed,
            seed,
            steps,
            guidance,
            trim,
            loop,
            exact_wording,
        ]
        for trigger, api in (
            (generate_btn.click, {"api_name": "generate"}),
            (prompt.submit, {"api_visibility": "private"}),
        ):
            # Progress shows on the status line only: a take that is ready stays playable while the
            # others render. The history list is refreshed afterwards, finished or not, so an error
            # never marks it.
            trigger(
                on_generate,
                generate_form,
                [generate_status, generate_details, seed, *slot_outputs],
                validator=check_generate,
                # the raw values: every field is checked by check_generate, which names the field at
                # fault (Gradio's own range and choice checks would fail the call with an HTTP 400)
                preprocess=False,
                show_progress_on=[generate_status],
                **api,
                **heavy,
            ).then(refresh_history, generate_details, history, api_visibility="private", **light).then(
                None, js=LOOP_PLAYERS_JS, api_visibility="private"
            )

        def derive_handler(operation: str, card: int | None = None) -> Callable[..., list[Any]]:
            """A take card's Vary or Extend (the card's take), or the panel's region (its Take field);
            the settings are the edit panel's."""

            @friendly
            def handler(
                take: float | None,
                details: dict | None,
                strength: float,
                extend_by: float | None,
                start: float | None,
                end: float | None,
                progress: gr.Progress = GENERATE_PROGRESS,
                request: gr.Request = None,
            ) -> list[Any]:
                from foleykit.derive import Operation

                take = card if card is not None else take
                job = (details or {}).get("id")
                if not job or not (details or {}).get("takes"):
                    raise BadInputError("generate or re-open a take first")
                made = {t["take"]: t for t in details["takes"]}  # type: ignore[index]
                if take is None or int(take) not in made:
                    raise BadInputError(f"take must be one of {', '.join(map(str, made))}")
                length = float(details["settings"]["duration"])  # type: ignore[index]
                if operation == "vary":
                    op = Operation("vary", strength=float(strength))
                elif operation == "extend":
                    if extend_by is None or extend_by <= 0:
                        raise BadInputError("seconds to add must be a positive number")
                    op = Operation("extend", to=round(length + float(extend_by), 3))
                else:
                    if start is None or end is None:
                        raise BadInputError("give the region's start and end in seconds")
                    op = Operation("inpaint", region=(float(start), float(end)))
                g = mine(request).derive(
                    job, int(take), op, progress=lambda fraction, text: progress(fraction, desc=text)
                )
                status = (
                    f"{operation} of take {int(take)}: {len(g.takes)} take(s) in "
                    f"{g.timings['total_s']:.1f} s · {g.folder}"
                )
                warnings = "".join(f"\n- ⚠ {w}" for w in g.warnings)
                return [status + warnings, g.to_dict(), *show(g, live=False)]

            return handler

        derive_inputs = [edit_take, generate_details, strength, extend_by, region_start, region_end]
        derive_outputs = [generate_status, generate_details, *slot_outputs]
        for index, (vary_btn, extend_btn) in enumerate(card_actions):
            for button, operation in ((vary_btn, "vary"), (extend_btn, "extend")):
                button.click(
                    derive_handler(operation, index + 1),
                    derive_inputs,
                    derive_outputs,
                    show_progress_on=[generate_status],
                    api_visibility="private",
                    **heavy,
                ).then(refresh_history, generate_details, history, api_visibility="private", **light).then(
                    None, js=LOOP_PLAYERS_JS, api_visibility="private"
                )
        inpaint_btn.click(
            derive_handler("inpaint"),
            derive_inputs,
            derive_outputs,
            show_progress_on=[generate_status],
            api_name="inpaint",
            **heavy,
        ).then(refresh_history, generate_details, history, api_visibility="private", **light).then(
            None, js=LOOP_PLAYERS_JS, api_visibility="private"
        )

        # `select`, not `input`: a keypress in the list (Escape to close it) must not re-open a
        # generation over what the user has typed since
        history.select(
            on_open,
            history,
            [generate_status, generate_details, *generate_form, *slot_outputs],
            api_name="open",
            **light,
        ).then(None, js=LOOP_PLAYERS_JS, api_visibility="private")

        @friendly
        def on_video(video: str | None, start_tc: str) -> str:
            if not video:
                return "Upload a video to see its frame rate, length and timecode."
            p = studio.probe(_upload(video, "video"), start_tc)
            size = f"{p['width']}×{p['height']}, " if p["width"] else ""
            return (
                f"**{Path(video).name}** · {size}{p['rate_label']} fps"
                f"{' drop-frame' if p['drop_frame'] else ''} · {p['frame_count']} frames = "
                f"{p['duration_s']:.3f} s · starts at {p['start_timecode']} ({TC_SOURCES[p['timecode_source']]})"
            )

        @friendly
        def on_spot(
            video: str | None,
            start_tc: str,
            sensitivity: float,
            prompt: str,
            duration: float,
            progress: gr.Progress = SPOT_PROGRESS,
        ) -> list[Any]:
            if not video:
                raise gr.Error("Upload a video first.", print_exception=False)
            rows = studio.spot(
                _upload(video, "video"),
                sensitivity=sensitivity,
                prompt=prompt,
                duration=duration,
                start_tc=start_tc,
                progress=True,
            )
            message = (
                f"Spotted {len(rows)} event(s). Fill in a prompt for each cue, edit or add cues, then sync."
            )
            return [rows, message]

        @friendly
        def on_cue_file(video: str | None, sheet: str | None, start_tc: str) -> list[Any]:
            if not sheet:
                return [gr.skip(), gr.skip()]
            if not video:
                raise gr.Error(
                    "Upload the video first: markers are placed by its timecode.", print_exception=False
                )
            rows = studio.cues_from_file(
                _upload(video, "video"), _upload(sheet, "cue file"), start_tc=start_tc
            )
            return [rows, f"Loaded {len(rows)} cue(s) from {Path(sheet).name}. Check the prompts, then sync."]

        def check_video(video: str | None, start_tc: str, *rest: Any) -> list[Any]:
            errors = studio.video_form_errors(video, start_tc)
            return _checked(errors, ["video", "start_tc"]) + [gr.validate(True, "")] * len(rest)

        def check_sync(video: str | None, rows: Any, start_tc: str, *rest: Any) -> list[Any]:
            errors = studio.video_form_errors(video, start_tc)
            fields = ["video", "cues", "start_tc"]
            return _checked(errors, fields) + [gr.validate(True, "")] * len(rest)

        def check_start_tc(video: str | None, start_tc: str) -> list[Any]:
            """The start timecode against the uploaded video; no video yet is not an error here."""
            errors = studio.video_form_errors(video, start_tc) if video else {}
            errors.pop("video", None)  # the probe's own message says what is wrong with the file
            return _checked(errors, ["video", "start_tc"])

        @friendly
        def on_add_cue(
            rows: list[list[Any]] | None, video: str | None, start_tc: str, prompt: str, duration: float
        ) -> list[list[Any]]:
            return studio.add_cue(rows or [], video, start_tc=start_tc, prompt=prompt, duration=duration)

        @friendly
        def on_sync(
            video: str | None,
            rows: list[list[Any]] | None,
            start_tc: str,
            model: str,
            aaf: bool,
            trim: bool,
            progress: gr.Progress = SYNC_PROGRESS,
            request: gr.Request = None,
        ) -> list[Any]:
            job = mine(request).sync(
                video or "", rows or [], model=model, start_tc=start_tc, aaf=aaf, trim=trim, progress=True
            )
            return [
                job.summary(),
                str(job.preview) if job.preview else None,
                str(job.plot),
                job.rows,
                str(job.bundle),
                job.to_dict(),
                job.cue_table,
            ]

        video.change(
            on_video, [video, start_tc], programme_info, api_name="probe", validator=check_start_tc, **light
        )
        video.change(  # a new picture: the old cues and results belong to the old one
            lambda: [[], "", None, None, [], None, None],
            None,
            [cues, sync_status, preview, sync_plot, sync_table, bundle, sync_details],
            api_visibility="private",
            **light,
        )
        start_tc.submit(
            on_video,
            [video, start_tc],
            programme_info,
            api_visibility="private",
            validator=check_start_tc,
            **light,
        )
        spot_btn.click(
            on_spot,
            [video, start_tc, sensitivity, cue_prompt, cue_duration],
            [cues, sync_status],
            api_name="spot",
            validator=check_video,
            show_progress_on=[sync_status],
            **heavy,
        )
        cue_file.upload(
            on_cue_file, [video, cue_file, start_tc], [cues, sync_status], api_name="load_cues", **light
        )
        add_cue_btn.click(
            on_add_cue, [cues, video, start_tc, cue_prompt, cue_duration], cues, api_name="add_cue", **light
        )
        sync_btn.click(
            on_sync,
            [video, cues, start_tc, sync_model, aaf, sync_trim],
            [sync_status, preview, sync_plot, sync_table, bundle, sync_details, cues],
            api_name="sync",
            validator=check_sync,
            show_progress_on=[sync_status],
            **heavy,
        )

        @friendly
        def on_batch(
            pick: str | None,
            uploaded: str | None,
            progress: gr.Progress = BATCH_PROGRESS,
            request: gr.Request = None,
        ) -> list[Any]:
            if uploaded:
                source = Path(_upload(uploaded, "prompt file"))
            elif pick:
                matches = [p for p in studio.prompt_library() if p.name == pick]
                if not matches:
                    raise gr.Error(f"{pick} is not in the prompt library", print_exception=False)
                source = matches[0]
            else:
                raise gr.Error("Pick a prompt file from the library or upload one.", print_exception=False)
            job = mine(request).batch(source, progress=True)
            report = job.result.report
            return [job.summary(), job.rows, str(job.bundle), str(report) if report else None]

        library_pick.input(lambda: None, None, upload, api_visibility="private", **light)  # one source
        upload.upload(lambda: None, None, library_pick, api_visibility="private", **light)
        batch_btn.click(
            on_batch,
            [library_pick, upload],
            [batch_status, batch_table, batch_bundle, batch_report],
            api_name="batch",
            show_progress_on=[batch_status],
            **heavy,
        )
        server_btn.click(studio.status, None, server, api_name="status", **light)
        # a fresh page gets a fresh history list
        demo.load(history_choices, None, history, api_visibility="private", **light)
    return demo


# -------------------------------------------------------------------------------------------- main
def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = OneLineErrorParser(prog="app.py", description="foleykit in the browser (Gradio).")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--out", type=Path, default=Path("outputs/ui"), help="where jobs are kept (default outputs/ui)"
    )
    parser.add_argument("--model", default="bundled", help="model loaded at start and selected by default")
    parser.add_argument("--concurrency", type=int, default=1, help="heavy jobs run at once (default 1)")
    parser.add_argument("--max-upload", default="500mb", help="largest upload accepted (default 500mb)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--dtype", default="auto", choices=["auto", "fp32", "fp16", "bf16"])
    parser.add_argument(
        "--no-warm-up", action="store_true", help="load the model on the first request instead"
    )
    parser.add_argument(
        "--auth",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="sign-in for a shared server (repeat for each user); each user sees only their own jobs",
    )
    parser.add_argument(
        "--auth-file", type=Path, default=None, help="a file of USER:PASSWORD lines (# comments), as --auth"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error(f"--port must be 1–65535, got {args.port}")
    if args.concurrency < 1:
        parser.error(f"--concurrency must be at least 1, got {args.concurrency}")
    if not re.fullmatch(r"[0-9]+\s*(b|kb|mb|gb|tb)", args.max_upload.strip().lower()):
        parser.error(f"--max-upload must be a whole number with a unit (500mb, 2gb), got {args.max_upload!r}")
    args.users = [_credential(entry, "--auth", parser) for entry in args.auth]
    if args.auth_file is not None:
        try:
            lines = args.auth_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            parser.error(
                f"--auth-file {args.auth_file} cannot be read: {getattr(err, 'strerror', None) or err}"
            )
        for number, line in enumerate(lines, start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                args.users.append(
                    _credential(line.strip(), f"--auth-file {args.auth_file}, line {number}", parser)
                )
    names = [user for user, _ in args.users]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        parser.error(f"user {twice[0]!r} is given twice (--auth / --auth-file)")
    return args


def _credential(entry: str, where: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    user, colon, password = entry.partition(":")
    if not colon or not user.strip() or not password or user != user.strip():
        parser.error(f"{where} must be USER:PASSWORD (a user name and a password, neither empty)")
    return user, password


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up probes
    signed_in = bool(args.users)
    if not signed_in and args.host not in LOOPBACK:
        print(
            f"app.py: warning: serving on {args.host} without --auth: anyone who reaches port {args.port} can "
            "use this server and see every job",
            file=sys.stderr,
        )
    out = args.out.resolve()
    if signed_in and not any(
        out.is_relative_to(p) for p in (Path.cwd().resolve(), Path(tempfile.gettempdir()).resolve())
    ):
        print(
            f"app.py: error: with --auth, --out must be inside the folder app.py runs in ({Path.cwd()}): each "
            "user's files are then handed out only as copies in Gradio's cache, under unguessable names",
            file=sys.stderr,
        )
        return 2
    studio = Studio(args.out, prompts_dir=HERE / "prompts", device=args.device, dtype=args.dtype)
    # the models this server serves: what runs offline here, and the one it was started with
    studio.allowed_models = list(dict.fromkeys([args.model, *studio.models()]))
    try:
        if not args.no_warm_up:
            seconds = studio.warm_up(args.model)
            LOG.info("model %s loaded and warmed up in %.1f s", args.model, seconds)
        demo = build_app(studio, default_model=args.model, concurrency=args.concurrency, signed_in=signed_in)
    except FoleykitError as error:
        print(f"app.py: error: {error}", file=sys.stderr)
        return 2
    demo.queue(default_concurrency_limit=args.concurrency, max_size=256)
    # `kill`/systemd stop like Ctrl-C: Gradio then shuts down cleanly and deletes its cached files
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        demo.launch(
            server_name=args.host,
            server_port=args.port,
            max_file_size=args.max_upload.strip().lower(),
            # signed in: the jobs folder is not served by path; each result goes through Gradio's cache,
            # under a hash of its content and a per-server secret: a name only its own request learns
            # (any signed-in user holding that URL could fetch it; nobody can guess it)
            allowed_paths=[str(HERE / "prompts")] if signed_in else [str(out), str(HERE / "prompts")],
            auth=args.users or None,
            show_error=True,
            footer_links=[],
            css=CSS,
            ssr_mode=False,
        )
    except OSError as error:
        print(f"app.py: error: cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
