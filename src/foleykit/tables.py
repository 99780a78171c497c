"""Reading the tables users write (cue sheets, prompt files): text, CSV with a header row, TOML.

One place for what both formats need: a readable one-line error for an unreadable file, strict CSV (a
stray quote is an error, not a silent merge of the following lines), header checks before any row, and
row names as the user sees them (`line N`, the header being line 1; `[[table]] N`).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Collection
from pathlib import Path
from typing import Any

from foleykit.errors import BadInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Rows = list[tuple[str, dict[str, Any]]]


def beside(base: Path, name: str, what: str) -> Path:
    """`name` (a path a user's file gives) resolved against `base`, refused if it leaves `base`: what the
    UI runs must not reach files other than those sent with it (another user's takes, the server's)."""
    resolved = (Path(base) / name).resolve()
    if not resolved.is_relative_to(Path(base).resolve()):
        raise BadInputError(f"{what} {name!r} is outside the folder of the file that names it")
    return resolved


def read_text(path: Path, what: str) -> str:
    """The file's text (a UTF-8 BOM, as spreadsheets write it, is dropped)."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInputError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise BadInputError(f"{what} {path} cannot be read as text: {err}") from None


def csv_rows(path: Path, text: str, what: str, columns: Collection[str], *, comments: bool = False) -> Rows:
    """Rows as (`line N`, {column: stripped non-empty cell}); blank rows (and `#` rows if `comments`) skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise BadInputError(f"{what} {path} is empty") from None
    except csv.Error as err:
        raise BadInputError(f"{what} {path}, line 1: {err}") from None
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise BadInputError(f"{what} {path}, line 1: column {twice[0]!r} appears twice")
    unknown = [h for h in header if h not in columns]
    if unknown:
        raise BadInputError(
            f"{what} {path}, line 1: unknown column {unknown[0]!r} (columns: {', '.join(columns)})"
        )
    rows: Rows = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row) or (comments and row[0].lstrip().startswith("#")):
                continue
            if len(row) > len(header):
                raise BadInputError(
                    f"{path}, line {line}: {len(row)} fields but the header names {len(header)}"
                )
            rows.append(
                (f"line {line}", {k: v.strip() for k, v in zip(header, row, strict=False) if v.strip()})
            )
    except csv.Error as err:
        raise BadInputError(f"{what} {path}, line {reader.line_num}: {err}") from None
    return rows


def toml_document(path: Path, text: str, what: str, tables: Collection[str], hint: str) -> dict[str, Any]:
    """The parsed document; any top-level key but `tables` is refused (`hint` says what belongs there)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BadInputError(f"{what} {path} is not valid TOML: {err}") from None
    extra = sorted(set(document) - set(tables))
    if extra:
        raise BadInputError(f"{what} {path}: unknown table or key {extra[0]!r} ({hint})")
    return document


def table_array(path: Path, document: dict[str, Any], key: str, what: str, label: str) -> Rows:
    """`[[key]]` tables as (`<label>N`, table), e.g. label `cue ` → `cue 3`."""
    items = document.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise BadInputError(f"{what} {path}: {key} entries must be [[{key}]] tables")
    return [(f"{label}{i}", dict(item)) for i, item in enumerate(items, start=1)]
