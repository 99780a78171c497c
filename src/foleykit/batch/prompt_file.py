"""Prompt files for `foleykit batch` (DESIGN §5): TOML, CSV or JSONL, validated whole before any work.

TOML: a `[defaults]` table and `[[sound]]` tables. CSV: a header row, one sound per row (no defaults).
JSONL: one sound object per line; a first line `{"defaults": {…}}` sets defaults. Errors name the file
and the `[[sound]]` number, CSV line or JSONL line.

A sound without a seed gets one derived from its file and name (CRC32), so a re-run plans the very same
file names and finds its finished takes.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foleykit.derive import Operation, SourceAudio, parse_region, read_source
from foleykit.errors import BadInputError
from foleykit.request import SoundRequest, slugify
from foleykit.tables import beside, csv_rows, read_text, table_array, toml_document

DEFAULT_KEYS = (
    "model", "duration", "takes", "steps", "guidance", "anchor_weight", "negative", "seed", "trim", "loop",
)  # fmt: skip
SOURCE_KEYS = ("source", "strength", "region", "to")  # made from a file: varied, a region again, longer
SOUND_KEYS = ("name", "prompt", *DEFAULT_KEYS, *SOURCE_KEYS)
_INTS = ("takes", "steps", "seed")
_FLOATS = ("duration", "guidance", "anchor_weight", "strength", "to")
_BOOLS = ("trim", "loop")
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


@dataclass(frozen=True)
class BatchSound:
    name: str
    folder: str  # slug of the name: the sound's output folder
    request: SoundRequest  # seeds fixed
    where: str
    source: SourceAudio | None = None  # the file it is made from (`source`), read and checked at load
    operation: Operation | None = None  # vary (`strength`) or inpaint (`region`) of that file


@dataclass(frozen=True)
class PromptFile:
    path: Path
    sounds: tuple[BatchSound, ...]

    @property
    def stem(self) -> str:
        return slugify(self.path.stem)


def _typed(key: str, value: Any, where: str) -> Any:
    """CSV cells are text; TOML/JSON values must already have the right type."""
    if isinstance(value, str) and key in _BOOLS:
        text = value.strip().lower()
        if text in _TRUE + _FALSE:
            return text in _TRUE
        raise BadInputError(f"{where}: {key} must be true or false, got {value!r}")
    if isinstance(value, str) and key in _INTS + _FLOATS:
        text = value.strip()
        try:
            return int(text) if key in _INTS else float(text)
        except ValueError:
            kind = "a whole number" if key in _INTS else "a number"
            raise BadInputError(f"{where}: {key} must be {kind}, got {value!r}") from None
    return value


def _rows(path: Path, text: str) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        document = toml_document(
            path, text, "prompt file", {"defaults", "sound"}, "use [defaults] and [[sound]]"
        )
        defaults = document.get("defaults", {})
        if not isinstance(defaults, dict):
            raise BadInputError(f"prompt file {path}: [defaults] must be a table")
        return defaults, table_array(path, document, "sound", "prompt file", "[[sound]] #")
    if suffix == ".csv":
        return {}, csv_rows(path, text, "prompt file", SOUND_KEYS)
    if suffix in (".jsonl", ".ndjson"):
        defaults: dict[str, Any] = {}
        rows = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                raise BadInputError(f"{path}, line {number}: not JSON ({err.msg})") from None
            if not isinstance(item, dict):
                raise BadInputError(f"{path}, line {number}: each line must be a JSON object")
            if set(item) == {"defaults"} and not rows:
                defaults = item["defaults"]
                continue
            rows.append((f"line {number}", item))
        return defaults, rows
    raise BadInputError(f"{path}: prompt files are .toml, .csv or .jsonl")


def _derivation(
    path: Path, fields: dict[str, Any], where: str, confine: bool = False
) -> tuple[SourceAudio | None, Operation | None]:
    """`source` (relative to the prompt file) with `strength` (variations), `region` (made again) or `to`
    (made longer)."""
    given = [key for key in ("strength", "region", "to") if fields.get(key) not in (None, "")]
    if not fields.get("source"):
        if given:
            raise BadInputError(f"{where}: {given[0]} needs a source file")
        return None, None
    if len(given) != 1:
        raise BadInputError(
            f"{where}: a source needs one of strength (variations), region (made again) or to (longer)"
        )
    try:
        name = str(fields["source"])
        source = read_source(beside(path.parent, name, "source") if confine else path.parent / name)
        if given[0] == "strength":
            return source, Operation("vary", strength=fields["strength"])
        if given[0] == "to":
            return source, Operation("extend", to=fields["to"])
        return source, Operation("inpaint", region=parse_region(fields["region"]))
    except BadInputError as err:
        raise BadInputError(f"{where}: {err}") from None


def load_prompt_file(path: str | Path, *, confine: bool = False) -> PromptFile:
    """Parse and validate every sound; the first bad one raises a one-line BadInputError. `confine`
    (the UI): a `source` outside the file's own folder is refused before it is read."""
    path = Path(path)
    defaults, rows = _rows(path, read_text(path, "prompt file"))
    unknown = sorted(set(defaults) - set(DEFAULT_KEYS))
    if unknown:
        raise BadInputError(
            f"{path}, [defaults]: unknown key {unknown[0]!r} (keys: {', '.join(DEFAULT_KEYS)})"
        )
    defaults = {k: _typed(k, v, f"{path}, [defaults]") for k, v in defaults.items()}
    if not rows:
        raise BadInputError(f"{path} has no sounds")
    sounds: list[BatchSound] = []
    folders: dict[str, str] = {}
    for where, row in rows:
        where = f"{path}, {where}"
        unknown = sorted(set(row) - set(SOUND_KEYS))
        if unknown:
            raise BadInputError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(SOUND_KEYS)})")
        fields = {**defaults, **{k: _typed(k, v, where) for k, v in row.items()}}
        source, operation = _derivation(path, fields, where, confine)
        if source is not None and not fields.get("prompt") and source.sidecar:
            fields["prompt"] = source.sidecar.get("prompt")  # the source's own, as `foleykit vary` does
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise BadInputError(f"{where}: missing prompt")
        name = fields.get("name", prompt)
        if not isinstance(name, str) or not name.strip():
            raise BadInputError(f"{where}: name must be text")
        folder = slugify(name)
        if folder in folders:
            raise BadInputError(f"{where}: duplicate name {name!r} (also {folders[folder]})")
        folders[folder] = where
        seed = fields.get("seed")
        if seed is None:
            seed = zlib.crc32(f"{slugify(path.stem)}/{folder}".encode()) % 2**31
        try:
            if operation is not None and source is not None:
                if operation.name == "extend":
                    fields["duration"] = operation.to
                elif operation.name == "inpaint" or "duration" not in row:  # a region keeps the length
                    fields["duration"] = source.seconds
                operation.check(source)
            request = SoundRequest(
                prompt=prompt,
                negative_prompt=fields.get("negative") or None,
                duration=fields.get("duration", 4.0),
                takes=fields.get("takes", 1),
                seed=seed,
                steps=fields.get("steps"),
                guidance=fields.get("guidance"),
                anchor_weight=fields.get("anchor_weight"),
                model=fields.get("model", "bundled"),
                name=name,
                trim=fields.get("trim", False),
                loop=fields.get("loop", False),
            ).with_seeds()
        except BadInputError as err:
            raise BadInputError(f"{where}: {err}") from None
        sounds.append(BatchSound(name, folder, request, where, source, operation))
    return PromptFile(path=path, sounds=tuple(sounds))
