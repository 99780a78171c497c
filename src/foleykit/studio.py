"""The Python API behind the browser UI: generation sessions with a history, sync and batch jobs packed for
download. No Gradio here — `app.py` only lays these out, so tests and notebooks drive the same code.

Everything a user makes in the UI is a job folder under one root (default `outputs/ui`):
`generate/<id>/` (takes + sidecars + `previews/` + `request.json`), `sync/<id>/` (the cue sheet as
submitted, `export/` = DESIGN §6 `sync` outputs, and their zip) and `batch/<id>/` (the prompt file, the
batch outputs, their zip). Job ids start with a UTC timestamp, so a folder listing is the history.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from foleykit.audio.io import ensure_writable_dir, write_atomic, write_json
from foleykit.errors import BadInputError, FoleykitError
from foleykit.framesync.timecode import rate_label
from foleykit.markers import READ_SUFFIXES
from foleykit.request import MAX_DURATION_SECONDS, MAX_STEPS, MIN_LOOP_SECONDS, SoundRequest, slugify

DEFAULT_ROOT = Path("outputs/ui")
USERS_FOLDER = "users"  # with sign-in, each user's jobs live in root/users/<name>
MAX_UI_TAKES = 8  # side by side on one screen
MAX_UI_SEED = 2**53 - 1  # a browser's number field holds whole numbers exactly up to here
# The Generate tab's fields, in the order of its inputs (and of its API's parameters).
GENERATE_FIELDS = (
    "prompt",
    "negative",
    "model",
    "duration",
    "takes",
    "random_seed",
    "seed",
    "steps",
    "guidance",
    "trim",
    "loop",
    "exact_wording",
)
CUE_COLUMNS = ("frame", "timecode", "prompt", "duration", "sync", "name", "seed")
RESULT_COLUMNS = ("cue", "name", "frame", "timecode", "track", "error_ms", "seed", "file")
PROMPT_SUFFIXES = (".toml", ".csv", ".jsonl")
CUE_FILE_TYPES = (".csv", ".toml", *READ_SUFFIXES)  # cue sheets and editor markers
_JOB_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[a-z0-9_-]{0,24}-[0-9a-f]{4}$")
_STORED = {".wav", ".mp4", ".mov", ".png", ".zip"}  # already dense: zip stores them, deflates the rest

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    """Progress sink for callers that show none."""


def form_number(
    value: Any,
    field: str,
    low: float,
    high: float,
    *,
    whole: bool = False,
    blank: str | None = "the model's default",
) -> float | int | None:
    """A form field as typed (text or a number; blank = None, which means `blank`), or a BadInputError
    that starts with the field's label, so the message says which field is wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = "a whole number" if whole else "a number"
    wanted = f"{field} must be {kind} from {low:g} to {high:g}" + (f", or blank for {blank}" if blank else "")
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise BadInputError(f"{wanted}; got {value!r}") from None
    if not math.isfinite(number) or not low <= number <= high or (whole and not number.is_integer()):
        raise BadInputError(f"{wanted}; got {value!r}")
    return int(number) if whole else number


def new_job_id(label: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{slugify(label, 24)}-{secrets.token_hex(2)}"


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip `folder` (paths inside relative to it, under a top folder of its name) atomically."""

    def writer(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    kind = zipfile.ZIP_STORED if path.suffix.lower() in _STORED else zipfile.ZIP_DEFLATED
                    archive.write(path, Path(folder.name) / path.relative_to(folder), compress_type=kind)

    return write_atomic(target, writer, force=True)


# ---------------------------------------------------------------------------------------------- generate


@dataclass(frozen=True)
class TakeView:
    take: int
    seed: int
    wav: Path
    sidecar: Path
    picture: Path  # waveform above spectrogram

    def to_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in self.__dict__.items()}


@dataclass
class Generation:
    """One request made in the UI and its takes so far (a generation streams: take 1 comes first)."""

    id: str
    folder: Path
    settings: dict[str, Any]  # the form as submitted, with the seed actually used
    created: str
    takes: list[TakeView] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every take rendered and the generation recorded in the history."""
        return "total_s" in self.timings

    def snapshot(self) -> Generation:
        return replace(self, takes=list(self.takes), timings=dict(self.timings), warnings=list(self.warnings))

    @property
    def parent(self) -> str | None:
        """The generation this one was derived from (vary, inpaint, extend of one of its takes)."""
        return (self.settings.get("derived_from") or {}).get("job")

    def label(self) -> str:
        s = self.settings
        when = self.created.replace("T", " ")[:16] + " UTC"
        prompt = s["prompt"] if len(s["prompt"]) <= 48 else s["prompt"][:47] + "…"
        made = f"{s['takes']} take(s)" if self.complete else f"{len(self.takes)} of {s['takes']} takes"
        derived = s.get("derived_from")
        if derived:  # listed under its parent
            return f"  ↳ {derived['operation']} of take {derived['take']} · {when} · {made}, seed {s['seed']}"
        return f"{when} · {prompt} · {made}, seed {s['seed']}, {s['model']}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "folder": str(self.folder),
            "created": self.created,
            "settings": self.settings,
            "takes": [t.to_dict() for t in self.takes],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "warnings": self.warnings,
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any], folder: Path) -> Generation:
        """Read back a record; files are found by name in `folder`, wherever the job folder now is."""
        takes = [
            TakeView(
                t["take"],
                t["seed"],
                folder / Path(t["wav"]).name,
                folder / Path(t["sidecar"]).name,
                folder / "previews" / Path(t["picture"]).name,
            )
            for t in document["takes"]
        ]
        return cls(
            document["id"],
            folder,
            document["settings"],
            document["created"],
            takes,
            document.get("timings", {}),
            document.get("warnings", []),
        )


def _take_view(folder: Path, take: int, seed: int, wav: Path, sidecar: Path) -> TakeView:
    """A written take and its picture (waveform above spectrogram), drawn now into `folder`/previews."""
    from foleykit.audio.pictures import take_png

    picture = folder / "previews" / wav.with_suffix(".png").name
    picture.parent.mkdir(exist_ok=True)
    data = take_png(wav)
    write_atomic(picture, lambda tmp: tmp.write_bytes(data))
    return TakeView(take, seed, wav, sidecar, picture)


def _parents_first(generations: list[Generation]) -> list[Generation]:
    """Each generation followed by those derived from it (depth first); the order is kept otherwise."""
    listed = {g.id for g in generations}
    children: dict[str, list[Generation]] = {}
    for g in generations:
        if g.parent in listed:
            children.setdefault(g.parent, []).append(g)  # type: ignore[arg-type]
    ordered: list[Generation] = []

    def visit(g: Generation) -> None:
        ordered.append(g)
        for child in children.get(g.id, []):
            visit(child)

    for g in generations:
        if g.parent not in listed:
            visit(g)
    return ordered


# -------------------------------------------------------------------------------------------------- sync


@dataclass
class SyncJob:
    id: str
    folder: Path
    result: Any  # foleykit.SyncResult
    bundle: Path  # zip of export/
    rows: list[list[Any]]  # RESULT_COLUMNS per cue
    cue_table: list[list[Any]]  # the table as submitted, timecodes recomputed from the frames

    @property
    def preview(self) -> Path | None:
        path = self.result.files.get("preview")
        return Path(path) if path else None

    @property
    def plot(self) -> Path:
        return Path(self.result.files["plot"])

    def summary(self) -> str:
        r = self.result
        worst = r.max_error_ms
        text = (
            f"{len(r.cues)} cue(s) placed on {rate_label(r.programme.rate)} fps, "
            f"worst transient error {worst:.3f} ms"
            if worst is not None
            else f"{len(r.cues)} cue(s) placed"
        )
        text += f"; {r.timings['total_s']:.1f} s."
        return text + "".join(f"\n- ⚠ {w}" for w in r.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "folder": str(self.folder),
            "bundle": str(self.bundle),
            "preview": str(self.preview) if self.preview else None,
            "plot": str(self.plot),
            "max_error_ms": self.result.max_error_ms,
            "warnings": self.result.warnings,
            "cues": [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in self.rows],
        }


def _cell(value: Any) -> str:
    """A table cell as text: '' for None/NaN, whole floats without '.0' (Gradio sends numbers as floats)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cue_sheet_csv(rows: Sequence[Sequence[Any]]) -> str:
    """The UI's cue table (CUE_COLUMNS) as a DESIGN §4 CSV. Blank rows are skipped.

    The frame is the mark; a timecode counts only where the frame is blank (the table's timecode column
    is recomputed from the frame, so a stale one after an edit cannot disagree with it).
    """
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CUE_COLUMNS)
    kept = 0
    for number, row in enumerate(rows, start=1):
        cells = [_cell(v) for v in list(row) + [""] * (len(CUE_COLUMNS) - len(row))][: len(CUE_COLUMNS)]
        frame, timecode, prompt, duration, sync_mode, name, seed = cells
        if not any(cells):
            continue
        if not prompt:
            raise BadInputError(f"cue table row {number}: no prompt (describe the sound for this mark)")
        if not frame and not timecode:
            raise BadInputError(f"cue table row {number}: give a frame (or a timecode) for the mark")
        writer.writerow(
            [frame, "" if frame else timecode, prompt, duration, sync_mode or "onset", name, seed]
        )
        kept += 1
    if not kept:
        raise BadInputError("the cue table is empty: spot events or add a row with a frame and a prompt")
    return buffer.getvalue()


def retimed(rows: Sequence[Sequence[Any]], programme: Any) -> list[list[Any]]:
    """Cue-table rows with each timecode recomputed from its frame on `programme` (a video's Programme)."""
    fixed = []
    for row in rows:
        cells = list(row) + [""] * (len(CUE_COLUMNS) - len(row))
        frame = _cell(cells[0])
        if frame.isdigit():
            inside = int(frame) < programme.frame_count
            cells[1] = programme.timecode_of(int(frame)) if inside else "(past the end)"
        fixed.append(cells[: len(CUE_COLUMNS)])
    return fixed


# ------------------------------------------------------------------------------------------------- batch


@dataclass
class BatchJob:
    id: str
    folder: Path
    result: Any  # foleykit.batch.BatchResult
    bundle: Path
    rows: list[list[Any]]  # name, prompt, take, seed, file

    def summary(self) -> str:
        r = self.result
        rate = r.audio_s / r.wall_s if r.wall_s > 0 else 0.0
        return (
            f"{r.planned} take(s) from {r.file.name}: {r.generated} generated, {r.skipped} already there; "
            f"{r.audio_s:.1f} s of audio in {r.wall_s:.1f} s ({rate:.2f} audio s per wall s)."
        )


class Studio:
    """What the UI's three tabs do, over the one foleykit API; one per server, shared by every user.

    Models are loaded once per process (`foleykit.engine.get_engine`) and every pipeline call is
    serialised by the engine, so concurrent users share one copy of the weights.
    """

    def __init__(
        self,
        root: str | Path = DEFAULT_ROOT,
        *,
        prompts_dir: str | Path | None = None,
        device: str = "auto",
        dtype: str = "auto",
        allowed_models: Sequence[str] | None = None,
    ) -> None:
        self.allowed_models = list(allowed_models) if allowed_models is not None else None
        self.root = Path(root).resolve()  # job records must not depend on the server's working directory
        self.prompts_dir = Path(prompts_dir) if prompts_dir else None
        self.device = device
        self.dtype = dtype
        self._users: dict[str, Studio] = {}
        self._users_lock = threading.Lock()

    def for_user(self, user: str | None) -> Studio:
        """The studio of one signed-in user: their own jobs, history and files under `root/users/<name>`
        (another user's job id is unknown there); the models stay shared. `None` (no sign-in): this one."""
        if user is None:
            return self
        folder = f"{slugify(user, 32)}-{hashlib.sha256(user.encode()).hexdigest()[:8]}"  # names never collide
        with self._users_lock:
            studio = self._users.get(folder)
            if studio is None:
                studio = Studio(
                    self.root / USERS_FOLDER / folder,
                    prompts_dir=self.prompts_dir,
                    device=self.device,
                    dtype=self.dtype,
                    allowed_models=self.allowed_models,
                )
                self._users[folder] = studio
            return studio

    # ----------------------------------------------------------------------------------------- shared
    def _job_folder(self, kind: str, label: str) -> tuple[str, Path]:
        parent = ensure_writable_dir(self.root / kind)
        for _ in range(100):
            job_id = new_job_id(label)
            try:
                (parent / job_id).mkdir()
            except FileExistsError:
                continue  # same second, same label, same 16 random bits: draw again
            return job_id, parent / job_id
        raise FoleykitError(f"could not make a new job folder in {parent}")

    def check_model(self, model: str) -> None:
        """A server names the models it serves: a browser must not make it load (or fetch) any other."""
        if self.allowed_models is not None and model not in self.allowed_models:
            raise BadInputError(
                f"model {model!r} is not served here (choose one of: {', '.join(self.allowed_models)})"
            )

    def engine(self, model: str) -> Any:
        from foleykit.engine import get_engine
        from foleykit.models import resolve_model

        self.check_model(model)
        return get_engine(resolve_model(model), device=self.device, dtype=self.dtype, progress=False)

    def warm_up(self, model: str = "bundled") -> float:
        """Load `model` and run one short call so the first user's click does not pay for either."""
        began = time.perf_counter()
        engine = self.engine(model)
        engine.render(SoundRequest("warm-up", duration=1.0, seed=0, steps=2), progress=False)
        return time.perf_counter() - began

    def model_defaults(self, model: str) -> dict[str, Any]:
        """A served model's steps, guidance and longest clip, from its configs (no weights loaded)."""
        from foleykit.models import resolve_model

        self.check_model(model)
        info = resolve_model(model).info
        return {
            "steps": info.default_steps,
            "guidance": info.default_guidance,
            "max_duration": info.max_duration,
        }

    def read_generate_form(self, form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The Generate tab's raw field values (GENERATE_FIELDS) → (keyword arguments for `generate`,
        what is wrong, per field).

        Checked before anything runs, so the browser can mark the very field at fault; each message
        starts with the field's label. Blank Steps and Guidance mean the model's defaults.
        """
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}

        def read(name: str, parse: Callable[[], Any]) -> None:
            try:
                values[name] = parse()
            except BadInputError as error:
                errors[name] = str(error)

        prompt, model = form.get("prompt"), form.get("model")
        if not isinstance(prompt, str) or not prompt.strip():
            errors["prompt"] = "Prompt is empty: describe the sound, e.g. 'footsteps on gravel, slow'"
        try:
            self.model_defaults(str(model))  # a model that is not served here is named on its field
        except BadInputError as error:
            errors["model"] = f"Model: {error}"

        def duration() -> float:
            return form_number(form.get("duration"), "Duration", 0.1, MAX_DURATION_SECONDS, blank=None) or 4.0

        def seed() -> int | None:
            value = form.get("seed")
            if form.get("random_seed", True):
                return None
            if value is None or (isinstance(value, str) and not value.strip()):
                raise BadInputError(
                    f"Seed is blank: enter a whole number from 0 to {MAX_UI_SEED}, or tick Random seed"
                )
            return form_number(value, "Seed", 0, MAX_UI_SEED, whole=True, blank=None)  # type: ignore[return-value]

        read("duration", duration)
        read(
            "takes",
            lambda: form_number(form.get("takes"), "Takes", 1, MAX_UI_TAKES, whole=True, blank=None) or 1,
        )
        read("seed", seed)
        read("steps", lambda: form_number(form.get("steps"), "Steps", 1, MAX_STEPS, whole=True))
        read("guidance", lambda: form_number(form.get("guidance"), "Guidance", 0, 100))
        values.update(
            prompt=prompt,
            negative=form.get("negative") or None,
            model=model,
            trim=bool(form.get("trim")),
            loop=bool(form.get("loop")),
            anchor_weight=0.0 if form.get("exact_wording") else None,
        )
        if values["loop"] and values["trim"]:
            errors["loop"] = "Loop: a loop has no head to trim; untick Trim or Loop"
        if (
            values["loop"]
            and isinstance(values.get("duration"), float)
            and values["duration"] < MIN_LOOP_SECONDS
        ):
            errors["duration"] = f"Duration: a loop must be at least {MIN_LOOP_SECONDS:g} s long"
        return values, errors

    def models(self) -> list[str]:
        """Aliases that run here without the network (the bundled model first)."""
        from foleykit.models import describe_models

        return [m["name"] for m in describe_models() if m["offline"]]

    def status(self) -> dict[str, Any]:
        """What the server holds: loaded engines and how often one was loaded, and its memory."""
        from foleykit import engine

        return {
            "engines_loaded": [key[0] for key in engine.loaded_engines()],
            "engine_loads": engine.ENGINE_LOADS,
            "rss_mb": _rss_mb(),
        }

    # --------------------------------------------------------------------------------------- generate
    def generate(
        self,
        prompt: str,
        *,
        negative: str | None = None,
        model: str = "bundled",
        duration: float = 4.0,
        takes: int = 3,
        seed: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        trim: bool = False,
        loop: bool = False,
        anchor_weight: float | None = None,
        progress: Progress = _no_progress,
    ) -> Iterator[Generation]:
        """Make `takes` takes of `prompt`; yields the Generation after each pipeline call (past the
        model's window, each take is made window by window, and `progress` hears of every window).

        Take 1 is rendered alone and shown first; the rest share one batched call. Each take's sidecar
        command reproduces it bit for bit (it records the batch the take was made in).
        """
        from foleykit.engine import take_warnings

        began = time.perf_counter()
        if not isinstance(takes, int) or not 1 <= takes <= MAX_UI_TAKES:
            raise BadInputError(f"takes must be a whole number from 1 to {MAX_UI_TAKES}, got {takes!r}")
        request = SoundRequest(
            prompt=prompt,
            negative_prompt=negative or None,
            duration=duration,
            takes=takes,
            seed=seed,
            steps=steps,
            guidance=guidance,
            model=model,
            trim=trim,
            loop=loop,
            anchor_weight=anchor_weight,
        )
        request = request.with_seeds()
        progress(0.0, "loading model")
        engine = self.engine(model)
        engine.backend.check_anchor_share(anchor_weight)  # before a job folder
        steps_used, guidance_used = engine.settings(steps, guidance)
        job_id, folder = self._job_folder("generate", prompt)
        generation = Generation(
            job_id,
            folder,
            {
                "prompt": request.prompt,
                "negative": request.negative_prompt or "",
                "model": model,
                "duration": duration,
                "takes": takes,
                "seed": request.take_seeds()[0],
                "steps": steps_used,
                "guidance": guidance_used,
                "trim": trim,
                "loop": loop,
                "anchor_weight": anchor_weight,
            },
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        seeds = request.take_seeds()
        parts = [(0, seeds[:1])] + ([(1, seeds[1:])] if takes > 1 else [])
        record = folder / "request.json"
        write_json(record, generation.to_dict(), force=True)  # in the history from the start
        for offset, part_seeds in parts:
            what = f"take {offset + 1}" + (f"–{takes}" if offset else "")
            progress(offset / takes, f"rendering {what}")

            def window_done(
                done: int, planned: int, start: float = offset / takes, share: float = len(part_seeds) / takes,
                what: str = what,
            ) -> None:  # fmt: skip
                progress(start + share * done / planned, f"rendering {what}: window {done} of {planned}")

            part = replace(request, takes=len(part_seeds), seeds=part_seeds)
            made = engine.render(part, progress=False, on_window=window_done)
            rendered = [replace(t, take=t.take + offset) for t in made]
            generation.warnings += take_warnings(rendered, request.loudness)
            for take, written in zip(rendered, engine.write(request, rendered, folder), strict=True):
                generation.takes.append(
                    _take_view(folder, take.take, take.seed, written.path, written.sidecar)
                )
            generation.timings[f"take_{offset + 1}_s"] = time.perf_counter() - began
            write_json(record, generation.to_dict(), force=True)  # a failure later keeps these takes
            yield generation.snapshot()
        generation.timings["total_s"] = time.perf_counter() - began
        write_json(record, generation.to_dict(), force=True)
        progress(1.0, "done")
        yield generation.snapshot()

    def derive(
        self,
        job_id: str,
        take: int,
        operation: Any,
        *,
        takes: int = 1,
        seed: int | None = None,
        progress: Progress = _no_progress,
    ) -> Generation:
        """A new generation made from take `take` of generation `job_id` by `operation` (a
        `foleykit.derive.Operation`): variations, a region made again, or the take made longer."""
        from foleykit.derive import derive

        began = time.perf_counter()
        if not isinstance(takes, int) or not 1 <= takes <= MAX_UI_TAKES:
            raise BadInputError(f"takes must be a whole number from 1 to {MAX_UI_TAKES}, got {takes!r}")
        parent = self.open(job_id)
        chosen = next((t for t in parent.takes if t.take == take), None)
        if chosen is None:
            raise BadInputError(f"generation {job_id} has no take {take}")
        model = parent.settings["model"]
        self.check_model(model)
        progress(0.0, f"{operation.name}: loading model")
        job_id_new, folder = self._job_folder("generate", f"{operation.name}-{parent.settings['prompt']}")
        try:
            result = derive(
                chosen.wav,
                operation,
                prompt=parent.settings["prompt"],
                takes=takes,
                seed=seed,
                model=model,
                steps=parent.settings.get("steps"),
                guidance=parent.settings.get("guidance"),
                anchor_weight=parent.settings.get("anchor_weight"),
                out_dir=folder,
                device=self.device,
                dtype=self.dtype,
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # bad input leaves no empty entry in the history
            raise
        settings = {
            **parent.settings,
            "duration": result.request.duration,
            "takes": takes,
            "seed": result.files[0].seed,
            "trim": False,
            "derived_from": {
                "job": parent.id,
                "take": take,
                **operation.settings(),
                "operation": operation.name,
            },
        }
        generation = Generation(
            job_id_new, folder, settings, datetime.now(timezone.utc).isoformat(timespec="seconds")
        )
        generation.warnings = list(result.warnings)
        for written in result.files:
            generation.takes.append(
                _take_view(folder, written.take, written.seed, written.path, written.sidecar)
            )
        generation.timings["total_s"] = time.perf_counter() - began
        write_json(folder / "request.json", generation.to_dict(), force=True)
        progress(1.0, "done")
        return generation

    def history(self, limit: int = 50) -> list[Generation]:
        """Finished generations, newest first, each followed by those derived from it (read back from their
        folders, so they outlive the server)."""
        folder = self.root / "generate"
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.iterdir(), reverse=True):
            document = path / "request.json"
            if _JOB_ID.match(path.name) and document.is_file():
                try:
                    found.append(Generation.from_dict(json.loads(document.read_text(encoding="utf-8")), path))
                except (ValueError, KeyError, TypeError):
                    continue  # an unreadable entry is left out of the list, not fatal to it
            if len(found) >= limit:
                break
        return _parents_first(found)

    def open(self, job_id: str) -> Generation:
        """A past generation by id (ids only: never a path from the browser)."""
        if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
            raise BadInputError(f"no such generation: {job_id!r}")
        document = self.root / "generate" / job_id / "request.json"
        if not document.is_file():
            raise BadInputError(f"no such generation: {job_id!r} (it may have been deleted)")
        generation = Generation.from_dict(json.loads(document.read_text(encoding="utf-8")), document.parent)
        missing = [t.wav.name for t in generation.takes if not t.wav.is_file()]
        if missing:
            raise BadInputError(f"generation {job_id} lost its file {missing[0]}")
        return generation

    def examples(self, limit: int = 12) -> list[list[Any]]:
        """[prompt, negative, duration] from the prompt library: the first sound of each category file."""
        from foleykit.batch.prompt_file import load_prompt_file

        rows: list[list[Any]] = []
        for path in self.prompt_library():
            try:
                sound = load_prompt_file(path).sounds[0].request
            except BadInputError:
                continue
            rows.append([sound.prompt, sound.negative_prompt or "", sound.duration])
            if len(rows) >= limit:
                break
        return rows

    # ------------------------------------------------------------------------------------------- sync
    def probe(self, video: str | Path, start_tc: str | None = None) -> dict[str, Any]:
        """Frame rate, length and start timecode of an uploaded video (BadInputError if it is not one)."""
        from foleykit.framesync.video import probe_video

        return probe_video(video, start_tc=start_tc or None).to_dict()

    def video_form_errors(self, video: str | Path | None, start_tc: str | None) -> dict[str, str]:
        """Per field of the Sync tab (`video`, `start_tc`), what is wrong with it; {} when both are fine."""
        if not video:
            return {"video": "Video: upload a video first"}
        try:
            self.probe(video)
        except BadInputError as error:
            return {"video": f"Video: {error}"}
        if start_tc and start_tc.strip():
            try:
                self.probe(video, start_tc.strip())
            except BadInputError as error:
                detail = str(error).removeprefix("start timecode (--start-tc): ")
                return {"start_tc": f"Start timecode: {detail}"}
        return {}

    def spot(
        self,
        video: str | Path,
        *,
        sensitivity: float = 0.5,
        prompt: str = "",
        duration: float = 2.0,
        start_tc: str | None = None,
        progress: bool = False,
    ) -> list[list[Any]]:
        """Proposed cues as cue-table rows (CUE_COLUMNS); prompts left for the user unless given."""
        from foleykit.framesync.spot import spot_events

        result = spot_events(video, sensitivity=sensitivity, start_tc=start_tc or None, progress=progress)
        return [
            [
                event.frame,
                result.programme.timecode_of(event.frame),
                prompt,
                duration,
                "onset",
                f"{event.kind}_{event.frame}",
                "",  # seed: drawn at sync time and shown in the results
            ]
            for event in result.events
        ]

    def cues_from_file(
        self, video: str | Path, sheet: str | Path, *, start_tc: str | None = None
    ) -> list[list[Any]]:
        """A cue sheet or an editor's marker file as cue-table rows (CUE_COLUMNS), marks on `video`'s frames."""
        from foleykit.framesync.cues import load_cue_sheet
        from foleykit.framesync.video import probe_video

        programme = probe_video(video, start_tc=start_tc or None)
        loaded = load_cue_sheet(sheet, programme, confine=True)
        rows = []
        for cue in loaded.cues:
            if cue.prompt is None:
                raise BadInputError(
                    f"{Path(sheet).name}, {cue.where}: names a sound file; the cue table takes prompts "
                    "(place sound files with `foleykit sync`)"
                )
            seed = "" if cue.seed is None else cue.seed
            timecode = programme.timecode_of(cue.mark_frame)
            rows.append([cue.mark_frame, timecode, cue.prompt, cue.duration, cue.sync, cue.name, seed])
        return rows

    def add_cue(
        self,
        rows: Sequence[Sequence[Any]],
        video: str | Path | None,
        *,
        start_tc: str | None = None,
        prompt: str = "",
        duration: float = 2.0,
    ) -> list[list[Any]]:
        """The cue table plus one row a second after its last mark (kept inside the video)."""
        rows = [list(r) for r in rows if any(_cell(c) for c in r)]
        frames = [int(_cell(r[0])) for r in rows if r and _cell(r[0]).isdigit()]
        if not video:
            frame = max(frames) + 24 if frames else 0
            return [*rows, [frame, "", prompt, duration, "onset", "", ""]]
        from foleykit.framesync.video import probe_video

        programme = probe_video(video, start_tc=start_tc or None)
        frame = min(max(frames) + round(programme.rate), programme.frame_count - 1) if frames else 0
        return retimed([*rows, [frame, "", prompt, duration, "onset", "", ""]], programme)

    def retime(
        self, rows: Sequence[Sequence[Any]], video: str | Path, start_tc: str | None = None
    ) -> list[list[Any]]:
        """The cue table with each timecode recomputed from its frame (what the table shows after an edit)."""
        from foleykit.framesync.video import probe_video

        return retimed(rows, probe_video(video, start_tc=start_tc or None))

    def sync(
        self,
        video: str | Path,
        rows: Sequence[Sequence[Any]],
        *,
        model: str = "bundled",
        start_tc: str | None = None,
        aaf: bool = True,
        trim: bool = True,
        progress: bool = False,
    ) -> SyncJob:
        """Generate every cue of the table, place it on its frame, export (DESIGN §6) and zip the lot.

        `trim` (on by default here, unlike `foleykit sync`): cue files start just before their hit.
        """
        from foleykit.syncing import sync

        if not video:
            raise BadInputError("upload a video first")
        self.check_model(model)
        text = cue_sheet_csv(rows)  # the video itself is checked by sync(), before any work
        job_id, folder = self._job_folder("sync", Path(video).stem)
        sheet = write_atomic(folder / "cues.csv", lambda tmp: tmp.write_text(text, encoding="utf-8"))
        try:
            result = sync(
                sheet,
                video,
                start_tc=start_tc or None,
                out_dir=folder / "export",
                model=model,
                device=self.device,
                dtype=self.dtype,
                aaf=aaf,
                trim=trim,
                progress=progress,
            )
        except BaseException as error:
            made = folder / "export"
            if not made.exists() or not any(p.is_file() for p in made.rglob("*")):
                shutil.rmtree(folder, ignore_errors=True)  # refused before any work: no job left behind
                raise
            if isinstance(error, FoleykitError):  # keep what was generated, and say where it is
                raise type(error)(f"{error} (what was made is kept in {folder})") from None
            raise
        rows_out = [
            [
                c["cue"],
                c["name"],
                c["mark_frame"],
                c["mark_timecode"],
                c["track"],
                None if c["measured_error_ms"] is None else round(c["measured_error_ms"], 3),
                c["source"].get("seed", ""),
                Path(c["file"]).name,
            ]
            for c in result.to_dict()["cues"]
        ]
        bundle = zip_folder(folder / "export", folder / f"{slugify(Path(video).stem)}_sync.zip")
        return SyncJob(job_id, folder, result, bundle, rows_out, retimed(rows, result.programme))

    # ------------------------------------------------------------------------------------------ batch
    def prompt_library(self) -> list[Path]:
        if self.prompts_dir is None or not self.prompts_dir.is_dir():
            return []
        return sorted(p for p in self.prompts_dir.iterdir() if p.suffix in PROMPT_SUFFIXES)

    def batch(self, prompt_file: str | Path, *, batch_size: int = 8, progress: bool = False) -> BatchJob:
        """Run a prompt file into a new job folder; zip its takes, sidecars, manifest and report."""
        from foleykit.batch import load_prompt_file, run_batch

        source = Path(prompt_file) if prompt_file else None
        if source is None or not source.is_file():
            raise BadInputError("pick a prompt file from the library or upload one (.toml, .csv, .jsonl)")
        if source.suffix.lower() not in PROMPT_SUFFIXES:
            raise BadInputError(f"{source.name}: a prompt file must be .toml, .csv or .jsonl")
        # the whole file is valid before a job folder exists; it reaches no file outside its own folder
        for sound in load_prompt_file(source, confine=True).sounds:
            self.check_model(sound.request.model)
        job_id, folder = self._job_folder("batch", source.stem)
        copy = write_atomic(folder / source.name, lambda tmp: shutil.copyfile(source, tmp))
        result = run_batch(
            copy,
            folder,
            device=self.device,
            dtype=self.dtype,
            batch_size=batch_size,
            progress=progress,
        )
        rows = []
        for line in result.manifest.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            rows.append([entry["name"], entry["prompt"], entry["take"], entry["seed"], entry["path"]])
        bundle = zip_folder(result.out_dir, folder / f"{result.out_dir.name}.zip")
        return BatchJob(job_id, folder, result, bundle, rows)


def _rss_mb() -> float | None:
    """Resident memory of this process (Linux /proc; None elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


__all__ = [
    "CUE_COLUMNS",
    "GENERATE_FIELDS",
    "RESULT_COLUMNS",
    "BatchJob",
    "Generation",
    "Studio",
    "SyncJob",
    "TakeView",
]
