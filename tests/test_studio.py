"""The Python API behind the browser UI's three tabs (`foleykit.studio.Studio`), with the bundled model."""

from __future__ import annotations

import json
import shutil
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

import foleykit
from foleykit.audio.pictures import AXIS_LEFT
from foleykit.errors import BadInputError
from foleykit.studio import CUE_COLUMNS, Studio, cue_sheet_csv
from tests.videos import event_reel

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def studio(tmp_path: Path) -> Studio:
    return Studio(tmp_path / "ui", prompts_dir=REPO / "prompts", device="cpu")


def test_generate_streams_take_one_first_then_the_rest_and_reopens_from_history(studio: Studio) -> None:
    steps = list(studio.generate("door knock, three times", takes=3, seed=41, duration=2.0))
    # take 1 alone, then takes 2–3 in one call, then the finished generation
    assert [len(g.takes) for g in steps] == [1, 3, 3]
    generation = steps[-1]
    assert generation.complete and "total_s" in generation.timings
    assert [t.seed for t in generation.takes] == [41, 42, 43]
    for take in generation.takes:
        info = sf.info(str(take.wav))
        assert (info.samplerate, info.subtype, info.frames) == (48000, "PCM_24", 96000)
        sidecar = json.loads(take.sidecar.read_text())
        assert sidecar["seed"] == take.seed and sidecar["prompt"] == "door knock, three times"
        picture = Image.open(take.picture)
        assert picture.size[0] == 480 + AXIS_LEFT + 4 and picture.size[1] > 150  # plot + frequency axis
    # the sidecar's batch is what reproduces a take: take 1 was made alone, takes 2–3 together
    assert json.loads(generation.takes[0].sidecar.read_text())["batch_seeds"] == [41]
    assert json.loads(generation.takes[2].sidecar.read_text())["batch_seeds"] == [42, 43]

    # take 1 is bit-identical to the same request made through foleykit.generate
    again = foleykit.generate(
        "door knock, three times", takes=1, seed=41, duration=2.0, out_dir=studio.root / "cli", device="cpu"
    )
    a, _ = sf.read(str(generation.takes[0].wav), dtype="int32")
    b, _ = sf.read(str(again.files[0].path), dtype="int32")
    assert np.array_equal(a, b)

    # history outlives the server: a new Studio on the same folder finds it, newest first
    later = next(g for g in studio.generate("rain on a window", takes=1, duration=1.0) if g.complete)
    reopened = Studio(studio.root)
    assert [g.id for g in reopened.history()] == [later.id, generation.id]
    opened = reopened.open(generation.id)
    assert opened.settings == generation.settings
    assert [t.wav for t in opened.takes] == [t.wav for t in generation.takes]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": "  "}, "prompt is empty"),
        ({"prompt": "rain", "takes": 9}, "takes must be a whole number from 1 to 8"),
        ({"prompt": "rain", "duration": 2000.0}, "over the 30-minute limit"),
        ({"prompt": "rain", "duration": 0.5, "loop": True}, "a loop must be at least 1 s"),
        ({"prompt": "rain", "model": "no-such-model"}, "unknown model"),
        ({"prompt": "rain", "steps": 0}, "steps must be"),
    ],
)
def test_bad_generate_requests_fail_with_one_line_and_leave_nothing(
    studio: Studio, fields: dict, message: str
) -> None:
    prompt = fields.pop("prompt")
    with pytest.raises(BadInputError, match=message) as caught:
        list(studio.generate(prompt, **fields))
    assert "\n" not in str(caught.value)
    assert not (studio.root / "generate").exists() or not any((studio.root / "generate").iterdir())


@pytest.mark.parametrize(
    "job_id", ["../../etc", "20261125-015222-x-zzzz", "", "20261125-015222-nothing-abcd"]
)
def test_open_accepts_only_ids_of_existing_generations(studio: Studio, job_id: str) -> None:
    with pytest.raises(BadInputError, match="no such generation"):
        studio.open(job_id)


def test_examples_come_from_the_prompt_library(studio: Studio) -> None:
    examples = studio.examples()
    assert len(examples) == 12  # one per category file
    assert all(isinstance(p, str) and p and isinstance(d, float) for p, _, d in examples)
    assert "bundled" in studio.models()


def test_the_cue_table_becomes_a_cue_sheet() -> None:
    rows = [
        [12, "00:00:00:99", "door slam", 2, "", "slam", 7.0],  # stale timecode: the frame counts
        [None, "00:00:01:00", "knock", 1.0, "start", ""],  # a timecode counts where the frame is blank
        ["", "", "", "", "", "", None],  # blank rows are skipped
    ]
    text = cue_sheet_csv(rows)
    assert text.splitlines() == [
        ",".join(CUE_COLUMNS),
        "12,,door slam,2,onset,slam,7",
        ",00:00:01:00,knock,1,start,,",
    ]
    with pytest.raises(BadInputError, match="row 1: no prompt"):
        cue_sheet_csv([[3, "", "", 2, "onset", ""]])
    with pytest.raises(BadInputError, match="row 2: give a frame"):
        cue_sheet_csv([[3, "", "a", 2, "onset", ""], ["", "", "b", 2, "onset", ""]])
    with pytest.raises(BadInputError, match="cue table is empty"):
        cue_sheet_csv([])


def test_spot_then_sync_a_video_and_bundle_every_export(studio: Studio, tmp_path: Path) -> None:
    video = event_reel(tmp_path / "reel.mp4", Fraction(25), seed=3, start_tc="01:00:00:00")
    info = studio.probe(video.path)
    assert (info["rate"], info["start_timecode"]) == ("25/1", "01:00:00:00")

    rows = studio.spot(video.path, prompt="wooden block hitting the floor", duration=1.0)
    assert len(rows) >= 4
    assert all(r[2] == "wooden block hitting the floor" and r[1].startswith("01:00:") for r in rows)
    rows = rows[:4]
    for number, row in enumerate(rows):
        row[6] = 200 + number
    rows[1][0] += 3  # an edit: the frame moves, the timecode shown is now stale
    retimed = studio.retime(rows, video.path)
    frame = rows[1][0]
    assert retimed[1][1] == f"01:00:{frame // 25:02d}:{frame % 25:02d}" != rows[1][1]

    added = studio.add_cue(rows, video.path, prompt="a thud", duration=1.0)[-1]  # 1 s after the last mark
    expected = min(rows[-1][0] + 25, video.frame_count - 1)
    assert added[:5] == [expected, f"01:00:{expected // 25:02d}:{expected % 25:02d}", "a thud", 1.0, "onset"]

    job = studio.sync(video.path, rows, aaf=False)
    assert [r[2] for r in job.rows] == [r[0] for r in rows]  # placed on the frames asked for, edit included
    assert [r[6] for r in job.rows] == [200, 201, 202, 203]
    assert all(r[5] is not None for r in job.rows)
    assert job.summary().count("from its mark") == sum(
        abs(r[5]) > 1.0 for r in job.rows
    )  # ms; late cues are named
    assert job.preview is not None and job.preview.is_file() and job.plot.is_file()
    names = set(zipfile.ZipFile(job.bundle).namelist())
    for expected in ("mix.wav", "timeline.otio", "timeline.edl", "timeline.xml", "spotting.csv", "sync.json"):
        assert f"export/{expected}" in names
    assert sum(n.startswith("export/cues/") and n.endswith(".wav") for n in names) == 4
    assert (job.folder / "cues.csv").is_file()  # the table as submitted stays with the job
    takes = sorted((job.folder / "export" / "takes").rglob("*.json"))
    assert len(takes) == 4 and all(json.loads(t.read_text())["trim"] is True for t in takes), (
        "the Sync tab trims lead-ins by default"
    )
    assert "--trim" in json.loads((job.folder / "export" / "sync.json").read_text())["command"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {}),
        ({"steps": "", "guidance": " "}, {}),
        ({"exact_wording": True}, {}),
        ({"steps": "0"}, {"steps": "Steps must be a whole number from 1 to 1000"}),
        ({"steps": "ten"}, {"steps": "Steps must be a whole number"}),
        ({"guidance": "101"}, {"guidance": "Guidance must be a number from 0 to 100"}),
        ({"prompt": "  ", "takes": 9}, {"prompt": "Prompt is empty", "takes": "Takes must be"}),
        ({"random_seed": False, "seed": None}, {"seed": "Seed is blank"}),
        ({"random_seed": False, "seed": -3}, {"seed": "Seed must be a whole number from 0"}),
        ({"random_seed": True, "seed": None}, {}),
        ({"duration": 1801}, {"duration": "Duration must be a number from 0.1 to 1800"}),
        ({"duration": 0.5, "loop": True}, {"duration": "Duration: a loop must be at least 1 s long"}),
        ({"loop": True, "trim": True}, {"loop": "Loop: a loop has no head to trim"}),
        ({"model": "audioldm2"}, {"model": "Model: model 'audioldm2' is not served here"}),
    ],
)
def test_the_generate_form_names_the_field_at_fault(tmp_path: Path, fields: dict, errors: dict) -> None:
    studio = Studio(tmp_path / "ui", allowed_models=["bundled"])
    form = {"prompt": "rain", "model": "bundled", "duration": 4.0, "takes": 3, "random_seed": True}
    form |= {"seed": 0, "steps": None, "guidance": None} | fields
    values, found = studio.read_generate_form(form)
    assert set(found) == set(errors)
    if not errors:  # what Studio.generate is then called with
        assert values["steps"] is None and values["guidance"] is None and values["trim"] is False
        assert values["anchor_weight"] == (0.0 if fields.get("exact_wording") else None)
    for name, start in errors.items():
        assert found[name].startswith(start), found[name]


def test_exact_wording_is_kept_by_the_takes_made_from_a_take(studio: Studio) -> None:
    """A generation asked for with the prompt as worded (the form's Exact wording: anchor share 0) names no
    anchor, and a variation of one of its takes is made the same way."""
    from foleykit.derive import Operation

    *_, made = studio.generate("footsteps on gravel, slow", takes=1, seed=3, duration=1.0, anchor_weight=0.0)
    assert made.settings["anchor_weight"] == 0.0
    varied = studio.derive(made.id, 1, Operation("vary", strength=0.5), seed=4)
    for take in (made.takes[0], varied.takes[0]):
        sidecar = json.loads(take.sidecar.read_text())
        assert sidecar["anchor_weight"] == 0.0 and sidecar["prompt_anchor"] is None, take.wav.name
    assert varied.settings["anchor_weight"] == 0.0


def test_a_refused_cue_table_leaves_no_job_behind(studio: Studio, tmp_path: Path) -> None:
    video = event_reel(tmp_path / "reel.mp4", Fraction(24), seed=1)
    with pytest.raises(BadInputError, match="frame 100000"):
        studio.sync(video.path, [[100000, "", "a door slam", 1, "onset", ""]])
    assert not any((studio.root / "sync").iterdir())
    with pytest.raises(BadInputError, match="upload a video"):
        studio.sync("", [[1, "", "a door slam", 1, "onset", ""]])


def test_batch_runs_a_prompt_file_and_bundles_outputs_and_report(studio: Studio, tmp_path: Path) -> None:
    prompts = tmp_path / "small.toml"
    prompts.write_text(
        '[defaults]\nmodel = "bundled"\nduration = 1.0\ntakes = 2\n\n'
        '[[sound]]\nname = "knock"\nprompt = "door knock"\n\n'
        '[[sound]]\nname = "drip"\nprompt = "water drip"\ntakes = 1\n'
    )
    job = studio.batch(prompts)
    assert job.result.generated == 3 and len(job.rows) == 3
    assert {r[0] for r in job.rows} == {"knock", "drip"}
    names = zipfile.ZipFile(job.bundle).namelist()
    assert "small/manifest.jsonl" in names and "small/report.html" in names
    assert sum(n.endswith(".wav") for n in names) == 3
    assert "3 take(s) from small.toml: 3 generated" in job.summary()

    with pytest.raises(BadInputError, match=r"must be \.toml, \.csv or \.jsonl"):
        studio.batch(_touch(tmp_path / "prompts.txt"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sound]]\nname = "a"\n')
    with pytest.raises(BadInputError, match=r"bad\.toml"):
        studio.batch(bad)
    assert len(list((studio.root / "batch").iterdir())) == 1  # refused files made no job folder


def _touch(path: Path) -> Path:
    path.write_text("x")
    return path


def test_history_follows_the_job_folder_and_keeps_unfinished_generations(
    studio: Studio, tmp_path: Path
) -> None:
    run = studio.generate("a creaking door", takes=3, seed=9, duration=1.0)
    first = next(run)  # take 1 is on disk and recorded; the user leaves before takes 2–3
    run.close()
    listed = studio.history()
    assert [g.id for g in listed] == [first.id] and not listed[0].complete
    assert "1 of 3 takes" in listed[0].label()

    moved = tmp_path / "elsewhere"
    shutil.move(studio.root, moved)  # a job folder moved (or a server started from another directory)
    opened = Studio(moved).open(first.id)
    assert opened.takes[0].wav.is_file() and opened.takes[0].wav.parent == moved / "generate" / first.id


def test_a_server_serves_only_the_models_it_names(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "ui", allowed_models=["bundled"])
    with pytest.raises(BadInputError, match="'audioldm2' is not served here"):
        list(studio.generate("rain", model="audioldm2"))
    prompts = tmp_path / "p.toml"
    prompts.write_text('[[sound]]\nname = "a"\nprompt = "rain"\nmodel = "stable-audio"\n')
    with pytest.raises(BadInputError, match="'stable-audio' is not served here"):
        studio.batch(prompts)
    assert not (tmp_path / "ui" / "batch").exists() or not any((tmp_path / "ui" / "batch").iterdir())


def test_editor_markers_fill_the_cue_table(studio: Studio, tmp_path: Path) -> None:
    """The Sync tab's upload: an editor's markers become cue-table rows on the video's frames."""
    video = event_reel(tmp_path / "reel.mp4", Fraction(25), seed=1, start_tc="01:00:00:00")
    (tmp_path / "spots.txt").write_text("01:00:01:05 a door slams\n01:00:00:10\tglass breaks\n")
    rows = studio.cues_from_file(video.path, tmp_path / "spots.txt")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (10, "01:00:00:10", "glass breaks"),
        (30, "01:00:01:05", "a door slams"),
    ]
    (tmp_path / "late.txt").write_text("02:00:00:00 thunder\n")
    with pytest.raises(BadInputError, match=r"late\.txt, line 1: .*after the programme end"):
        studio.cues_from_file(video.path, tmp_path / "late.txt")


def test_files_sent_through_the_ui_reach_nothing_outside_their_folder(studio: Studio, tmp_path: Path) -> None:
    """A prompt file's `source` or a cue's `audio` that leaves its own folder is refused before it is read
    (with sign-in, another user's takes are a path away)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sf.write(elsewhere / "take.wav", np.zeros(4800, np.float32), 48000)
    upload = tmp_path / "upload"
    upload.mkdir()
    for source in ("../elsewhere/take.wav", str(elsewhere / "take.wav"), "../elsewhere/missing.wav"):
        (upload / "lib.toml").write_text(f'[[sound]]\nname = "v"\nsource = "{source}"\nstrength = 0.5\n')
        with pytest.raises(BadInputError, match="outside the folder of the file that names it"):
            studio.batch(upload / "lib.toml")
    video = event_reel(tmp_path / "reel.mp4", Fraction(25), seed=3)
    (upload / "cues.csv").write_text(f"frame,audio\n10,{elsewhere / 'take.wav'}\n")
    with pytest.raises(BadInputError, match="outside the folder of the file that names it"):
        studio.cues_from_file(video.path, upload / "cues.csv")
