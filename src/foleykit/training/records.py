"""Model training records (`training_recipe.json`): read whole, written with each repeated record once.

A model's record nests the record of every model it came from: a fine-tune holds its init's, a weight
average (training/soup.py) holds both models'. Averaging a model with fine-tunes of itself puts the same
record in several places, and every version made so multiplied them (version 19's: 381 KB for three
records). Written here, a record keeps each large sub-record that occurs more than once in a table at its
top (`shared_records`, keyed by a digest of the sub-record) and points to it (`{"shared_record": KEY}`)
wherever it occurred; `model_record` puts every one back, so code reading a record sees it whole.

    python -m foleykit.training.records MODEL            # the whole record, every shared one in place
    python -m foleykit.training.records MODEL --rewrite  # write MODEL's record again, compactly

Written by hand: this is JSON deduplication over one small format, not worth a dependency.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foleykit.errors import BadInputError

RECORD = "training_recipe.json"
SHARED = "shared_records"  # top-level key of a written record: digest → sub-record
POINTER = "shared_record"  # `{"shared_record": digest}` stands for that sub-record
MIN_SHARED_CHARS = 1024  # smaller repeats (a seed, a short recipe) stay where they are: easier to read

# what soups written before this module kept as a fine-tune's `init` when that was the soup's own `init`
# (sessions 44-45); still read
TUNED_FROM_BASE = "the record under this record's `init`: the fine-tune started from the interpolation's base"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _key(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _is_pointer(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(POINTER), str)


def _expand_legacy(record: Any) -> Any:
    """`record` with each `TUNED_FROM_BASE` pointer replaced by its soup's `init`, outside in: the pointer
    takes that `init` as written, whose own pointers are expanded below."""
    if isinstance(record, list):
        return [_expand_legacy(item) for item in record]
    if not isinstance(record, dict):
        return record
    whole = dict(record)
    tuned = whole.get("tuned")
    if isinstance(tuned, dict) and tuned.get("init") == TUNED_FROM_BASE and "init" in whole:
        whole["tuned"] = {**tuned, "init": whole["init"]}
    return {key: _expand_legacy(value) for key, value in whole.items()}


def expanded_record(record: Any) -> Any:
    """`record` whole: every shared sub-record (and every pointer of sessions 44-45's soups) in place. A record
    written compactly and nested as it was written (by code that read it raw) is expanded against its own
    table; a pointer with no table to point into is refused."""
    table = record.get(SHARED, {}) if isinstance(record, dict) else {}
    if not isinstance(table, dict):
        raise BadInputError(f"a training record's `{SHARED}` is not a table of records")
    resolved: dict[str, Any] = {}

    def resolve(value: Any, enclosing_keys: tuple[str, ...]) -> Any:
        if _is_pointer(value):
            key = value[POINTER]
            if key in enclosing_keys or key not in table:
                why = "refers to itself" if key in enclosing_keys else "is not in the record's table"
                raise BadInputError(f"a training record's shared record {key} {why}")
            if key not in resolved:
                resolved[key] = resolve(table[key], (*enclosing_keys, key))
            return resolved[key]
        if isinstance(value, dict):
            if SHARED in value:  # a compact record nested as written: its pointers point into its own table
                return expanded_record(value)
            return {k: resolve(v, enclosing_keys) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, enclosing_keys) for v in value]
        return value

    body = {k: v for k, v in record.items() if k != SHARED} if isinstance(record, dict) else record
    return _expand_legacy(resolve(body, ()))


def _text_gathering_dicts(value: Any, occurrences: dict[str, list[dict[str, Any]]]) -> str:
    """`value`'s compact text (keys sorted), gathering each dict in it (pointers aside) under its text."""
    if isinstance(value, dict) and not _is_pointer(value):
        inner = (f"{json.dumps(k)}:{_text_gathering_dicts(value[k], occurrences)}" for k in sorted(value))
        text = "{" + ",".join(inner) + "}"
        occurrences.setdefault(text, []).append(value)
        return text
    if isinstance(value, list):
        return "[" + ",".join(_text_gathering_dicts(v, occurrences) for v in value) + "]"
    return _canonical(value)


def _with_pointers_to(key: str, replaced: set[int], value: Any) -> Any:
    """`value` with each dict among `replaced` (by identity: the occurrences just gathered) a pointer to `key`."""
    if isinstance(value, dict) and not _is_pointer(value):
        if id(value) in replaced:
            return {POINTER: key}
        return {k: _with_pointers_to(key, replaced, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_pointers_to(key, replaced, v) for v in value]
    return value


def compact_record(record: dict[str, Any], min_chars: int = MIN_SHARED_CHARS) -> dict[str, Any]:
    """`record` with each sub-record of `min_chars` or more (as compact JSON) that occurs more than once kept
    once, in the table, largest first (a record is always shared the same way). Expands `record` first, so
    a record nested whole and one written compactly are found to be the same."""
    body = expanded_record(json.loads(json.dumps(record)))  # as JSON holds it: string keys, lists
    table: dict[str, Any] = {}
    while True:
        occurrences: dict[str, list[dict[str, Any]]] = {}
        for value in (body, *table.values()):
            _text_gathering_dicts(value, occurrences)
        repeated = [text for text, found in occurrences.items() if len(found) > 1 and len(text) >= min_chars]
        if not repeated:
            return {**body, SHARED: table} if table else body
        chosen = max(repeated, key=lambda text: (len(text), text))
        key = _key(chosen)
        if key in table:  # 64 bits of sha256: two records under one digest would lose one
            raise ValueError(f"two shared training records under the digest {key}")
        replaced = {id(found) for found in occurrences[chosen]}
        shared = {k: _with_pointers_to(key, replaced, v) for k, v in occurrences[chosen][0].items()}
        body = _with_pointers_to(key, replaced, body)
        table = {k: _with_pointers_to(key, replaced, v) for k, v in table.items()}
        table[key] = shared  # kept once, its own inner repeats shared in the next rounds


def record_text(record: dict[str, Any]) -> str:
    """What a model directory's RECORD file holds for `record`: compact (each repeat once), indented."""
    return json.dumps(compact_record(record), indent=2) + "\n"


def model_record(directory: Path) -> dict[str, Any]:
    """A model's training record (RECORD), whole, or where it was found when it has none."""
    path = Path(directory) / RECORD
    if not path.is_file():
        return {"model": str(directory)}
    try:
        written = json.loads(path.read_text())
    except ValueError:
        raise BadInputError(f"{path} is not JSON: it records how that model was trained") from None
    try:
        return expanded_record(written)
    except BadInputError as err:
        raise BadInputError(f"{path}: {err}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m foleykit.training.records", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("model", help="a model: bundled or a directory")
    parser.add_argument(
        "--rewrite", action="store_true", help="write the model's record again, each repeated record once"
    )
    args = parser.parse_args(argv)
    from foleykit.audio.io import write_atomic
    from foleykit.models import resolve_model

    try:
        # a directory as it is (reading a record needs no loadable model), else a model's name
        directory = Path(args.model) if Path(args.model).is_dir() else resolve_model(args.model).directory
        if not (directory / RECORD).is_file():
            raise BadInputError(f"{directory} has no {RECORD}")
        record = model_record(directory)
        if not args.rewrite:
            print(json.dumps(record, indent=2))
            return 0
        before = (directory / RECORD).stat().st_size
        text = record_text(record)
        write_atomic(directory / RECORD, lambda tmp: tmp.write_text(text), force=True)
        print(f"{directory / RECORD}: {before:,} -> {len(text.encode()):,} bytes, the same record")
    except BadInputError as err:  # (a model that is not there too)
        print(f"foleykit.training.records: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
