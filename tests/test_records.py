"""Training records written compactly and read whole (`foleykit.training.records`), and its command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foleykit.errors import BadInputError
from foleykit.training.records import (
    POINTER,
    RECORD,
    SHARED,
    TUNED_FROM_BASE,
    compact_record,
    expanded_record,
    main,
    model_record,
    record_text,
)


def _run(name: str, seed: int, **more: object) -> dict:
    return {"recipe_name": name, "recipe": {"seed": seed, "steps": list(range(400))}, **more}


def _chain() -> dict:
    """Two generations of a model averaged with two fine-tunes of itself (versions 19 and after's shape)."""
    first = _run("bundled", 0)
    v19 = {
        "init": first,
        "tuned": {"init": _run("walks", 0, init=first), "tuned": _run("walks", 1, init=first)},
    }
    return {"init": v19, "tuned": {"init": _run("walks", 2, init=v19), "tuned": _run("walks", 3, init=v19)}}


def test_repeated_records_are_written_once_and_read_back_whole() -> None:
    whole = _chain()
    compact = compact_record(whole)
    text = json.dumps(compact)
    assert text.count('"recipe_name": "bundled"') == 1, "nine copies of the first record, written once"
    assert len(text) < len(json.dumps(whole)) / 3
    assert compact["init"] == {POINTER: next(iter(compact[SHARED]))}, "the largest repeat goes first"
    assert expanded_record(compact) == whole
    assert compact_record(compact) == compact, "the same record gives the same text, however it was written"
    assert record_text(expanded_record(compact)) == record_text(whole)
    small = _run("tiny", 0, init={"recipe_name": "a"}, tuned={"recipe_name": "a"})
    assert compact_record(small) == small, "small repeats stay where they are"


def test_records_in_lists_and_any_text_share_the_same_way() -> None:
    first = _run("café ☕", 0, notes={"zweite": "Straße"})
    whole = {
        "runs": [first, {"again": first}],
        "init": first,
        "pointer_like": {POINTER: "written by hand", "x": 1},
    }
    compact = compact_record(whole)
    assert len(compact[SHARED]) == 1 and compact["runs"][0] == compact["init"] == compact["runs"][1]["again"]
    assert expanded_record(compact) == whole
    assert expanded_record(json.loads(record_text(whole))) == whole, "as the file holds it"


def test_a_compact_record_nested_as_written_reads_whole() -> None:
    """Code that read a record raw (before this module) nested it with its table: it still reads whole."""
    inner = _chain()
    outer = {"anchoring": {"anchor_weight": 0.5}, "init": compact_record(inner)}
    assert expanded_record(outer) == {"anchoring": {"anchor_weight": 0.5}, "init": inner}
    assert expanded_record(compact_record(outer)) == expanded_record(outer)
    with pytest.raises(BadInputError, match="is not in the record's table"):
        expanded_record({"init": {POINTER: "sha256:0"}})


def test_sessions_44_and_45_pointers_are_read_whole() -> None:
    base = _run("bundled", 0)
    legacy = {"init": base, "tuned": {**_run("walks", 1), "init": TUNED_FROM_BASE}}
    assert expanded_record(legacy) == {"init": base, "tuned": _run("walks", 1, init=base)}
    assert TUNED_FROM_BASE not in record_text(legacy)


@pytest.mark.parametrize(
    ("table", "why"),
    [({}, "is not in the record's table"), ({"k": {"a": {POINTER: "k"}}}, "refers to itself")],
)
def test_a_damaged_record_is_refused_in_one_line(tmp_path: Path, capsys, table: dict, why: str) -> None:
    (tmp_path / RECORD).write_text(json.dumps({"init": {POINTER: "k"}, SHARED: table}))
    with pytest.raises(BadInputError, match=why):
        model_record(tmp_path)
    (tmp_path / "model_index.json").write_text("{}")
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert why in err and len(err.strip().splitlines()) == 1


def test_the_command_shows_a_record_whole_and_rewrites_it_compactly(tmp_path: Path, capsys) -> None:
    (tmp_path / "model_index.json").write_text("{}")
    whole = _chain()
    (tmp_path / RECORD).write_text(json.dumps(whole, indent=2) + "\n")
    assert main([str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == whole
    before = (tmp_path / RECORD).stat().st_size
    assert main([str(tmp_path), "--rewrite"]) == 0
    assert "the same record" in capsys.readouterr().out
    assert (tmp_path / RECORD).stat().st_size < before / 3
    assert SHARED in json.loads((tmp_path / RECORD).read_text()) and model_record(tmp_path) == whole
    assert main([str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.startswith("foleykit.training.records: error:")


def test_the_command_runs_as_a_module_without_torch(tmp_path: Path) -> None:
    """`python -m foleykit.training.records` as a user runs it: no warning that the module was imported
    first (the trainer imports it), and a record read in a fraction of a second, without torch."""
    import subprocess
    import sys

    (tmp_path / RECORD).write_text(record_text(_chain()))
    shown = subprocess.run(
        [sys.executable, "-W", "error", "-m", "foleykit.training.records", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    assert json.loads(shown.stdout) == _chain()
    probe = "import sys, foleykit.training.records; print('torch' in sys.modules)"
    imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0 and imported.stdout == "False\n", imported.stderr
