"""`python app.py` as users run it, driven over HTTP by `gradio_client`: generate, sync, batch, errors,
eight users at once. The server is real (tests/ui_server.py); so are the files it hands back."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import pytest
import soundfile as sf

from tests.ui_server import REPO, AppServer, app_environment, our_frames
from tests.videos import event_reel

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError, ValidationError  # noqa: E402

TAKE_OUTPUTS = 4  # per take slot: title, audio, picture, download


@pytest.fixture(scope="module")
def client(app_server: AppServer, tmp_path_factory: pytest.TempPathFactory) -> Client:
    return Client(app_server.url, verbose=False, download_files=str(tmp_path_factory.mktemp("client")))


CALL_TIMEOUT_S = 300  # a hung server fails the test instead of hanging the suite


def _call(client: Client, *args, api_name: str):
    return client.submit(*args, api_name=api_name).result(timeout=CALL_TIMEOUT_S)


def _generate(
    client: Client,
    prompt: str,
    *,
    takes: int = 2,
    seed: int | None = 5,
    duration: float = 2.0,
    model="bundled",
):
    return _call(
        client,
        prompt,
        "",
        model,
        duration,
        takes,
        seed is None,
        seed or 0,
        "",
        "",
        False,
        api_name="/generate",
    )


def test_bad_arguments_and_a_missing_model_stop_app_py_with_one_line(tmp_path: Path) -> None:
    cases = (
        (["--port", "70000"], "--port must be 1–65535"),
        (["--max-upload", "1.5gb"], "--max-upload must be a whole number with a unit"),
        (["--model", str(tmp_path / "nowhere")], "does not exist"),
        (
            ["--auth", "alice:ok", "--auth-file", str(tmp_path / "users.txt")],
            "users.txt, line 3 must be USER:PASSWORD",
        ),
        (["--host", "0.0.0.0", "--model", str(tmp_path / "nowhere")], "does not exist"),  # a missing model
    )
    (tmp_path / "users.txt").write_text("# the team\nbob:builder\ncarol\n")  # line 3: no password
    runs = [  # side by side: each spends its few seconds importing Gradio
        subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=app_environment(tmp_path),
        )
        for argv, _ in cases
    ]
    for run, (argv, message) in zip(runs, cases, strict=True):
        _, stderr = run.communicate(timeout=120)
        assert run.returncode == 2, stderr
        assert message in stderr and "Traceback" not in stderr
        lines = stderr.strip().splitlines()
        if "--host" in argv:  # open to the network with no sign-in: said first, in one line
            warning = "app.py: warning: serving on 0.0.0.0 without --auth"
            assert lines[0].startswith(warning) and "see every job" in lines[0], lines
            lines = lines[1:]
        assert len(lines) == 1, lines


def test_generate_returns_playable_takes_that_are_the_files_on_disk(client: Client) -> None:
    out = _generate(client, "a heavy wooden door slams shut", takes=2, seed=5)
    status, details, seed = out[:3]
    assert "2 take(s)" in status and seed == 5
    assert [t["seed"] for t in details["takes"]] == [5, 6]
    slots = out[3:]
    for index, take in enumerate(details["takes"]):
        _title, audio, picture, download = slots[index * TAKE_OUTPUTS : (index + 1) * TAKE_OUTPUTS]
        served, rate = sf.read(audio, dtype="int32")
        on_disk, _ = sf.read(take["wav"], dtype="int32")
        assert rate == 48000 and served.shape == on_disk.shape == (96000,)
        assert (served == on_disk).all()  # the player plays the delivered file, not a re-encode
        download = download["value"] if isinstance(download, dict) else download  # sent as an update
        assert Path(picture).stat().st_size > 1000 and Path(download).name == Path(take["wav"]).name
    assert slots[2 * TAKE_OUTPUTS + 1] is None  # take slot 3 stays empty


def test_a_past_generation_reopens_with_its_settings(client: Client) -> None:
    first = _generate(client, "rain on a tin roof", takes=1, seed=77, duration=1.0)
    job = first[1]["id"]
    out = _call(client, job, api_name="/open")
    assert out[1]["id"] == job
    # the form as it was: steps and guidance as the model's values the take was made with
    form = ("rain on a tin roof", "", "bundled", 1.0, 1, False, 77, "10", "3", False, False, False)
    assert out[2:14] == form
    assert sf.info(out[15]).duration == pytest.approx(1.0)
    # "Exact wording": the prompt shares no guidance with a learned caption, and re-opens ticked
    prompt = "footsteps on gravel, slow"
    made = [
        _call(
            client,
            prompt,
            "",
            "bundled",
            1.0,
            1,
            False,
            77,
            "",
            "",
            False,
            False,
            exact,
            api_name="/generate",
        )
        for exact in (False, True)
    ]
    own, exact = (json.loads(Path(g[1]["takes"][0]["wav"]).with_suffix(".json").read_text()) for g in made)
    assert (
        own["prompt_anchor"]["caption"] == "slow footfalls on crushed gravel" and own["anchor_weight"] is None
    )
    assert exact["prompt_anchor"] is None and exact["anchor_weight"] == 0.0
    reopened = _call(client, made[1][1]["id"], api_name="/open")[2:14]
    assert reopened == (prompt, *form[1:6], 77, "10", "3", False, False, True)


def test_eight_simultaneous_users_all_get_takes_from_one_loaded_model(client: Client) -> None:
    prompts = [
        f"{thing}, close" for thing in ("knock", "drip", "clang", "whoosh", "thud", "beep", "tick", "step")
    ]
    with ThreadPoolExecutor(8) as pool:
        jobs = [
            client.submit(p, "", "bundled", 1.0, 1, False, 100 + i, "", "", False, api_name="/generate")
            for i, p in enumerate(prompts)
        ]
        results = list(pool.map(lambda job: job.result(timeout=300), jobs))
    ids = {r[1]["id"] for r in results}
    assert len(ids) == 8
    assert sorted(r[1]["settings"]["prompt"] for r in results) == sorted(prompts)
    assert all(sf.info(r[4]).frames == 48000 for r in results)  # take 1's player
    status = _call(client, api_name="/status")
    assert status["engine_loads"] == 1 and len(status["engines_loaded"]) == 1


def test_sync_a_small_video_through_the_client(client: Client, tmp_path: Path) -> None:
    video = event_reel(tmp_path / "reel.mp4", Fraction(24), seed=7)
    info = _call(client, handle_file(str(video.path)), "", api_name="/probe")
    assert "24 fps" in info and f"{video.frame_count} frames" in info
    table, message = _call(
        client,
        handle_file(str(video.path)),
        "",
        0.5,
        "a wooden block hits the floor",
        1.0,
        api_name="/spot",
    )
    rows = table["data"]
    assert len(rows) >= 4 and message.startswith(f"Spotted {len(rows)} event(s)")
    rows = rows[:3]
    for number, row in enumerate(rows):
        row[6] = 300 + number  # fixed seeds: the same sounds on every run
    out = _call(
        client,
        handle_file(str(video.path)),
        {"headers": table["headers"], "data": rows, "metadata": None},
        "",
        "bundled",
        False,
        True,  # trim lead-ins, as the tab does by default
        api_name="/sync",
    )
    summary, preview, plot, placed, bundle, details, _cues = out
    assert "3 cue(s) placed" in summary
    assert [int(r[2]) for r in placed["data"]] == [int(r[0]) for r in rows]
    assert [int(r[6]) for r in placed["data"]] == [300, 301, 302]
    late = [r for r in placed["data"] if abs(float(r[5])) > 1.0]  # ms; overlapping sounds can blur one
    assert summary.count("from its mark") == len(late)  # and then the UI says so
    preview = preview["video"] if isinstance(preview, dict) else preview
    assert Path(preview).stat().st_size > 10_000 and Path(plot).stat().st_size > 1000
    names = zipfile.ZipFile(bundle).namelist()
    assert "export/mix.wav" in names and "export/timeline.otio" in names and "export/preview.mp4" in names
    assert details["max_error_ms"] == pytest.approx(max(abs(float(r[5])) for r in placed["data"]), abs=1e-3)


def test_batch_an_uploaded_prompt_file(client: Client, tmp_path: Path) -> None:
    prompts = tmp_path / "two.csv"
    prompts.write_text("name,prompt,duration,takes\nsteps,footsteps on gravel,1,1\nfire,campfire,1,2\n")
    summary, table, bundle, report = _call(client, None, handle_file(str(prompts)), api_name="/batch")
    assert summary.startswith("3 take(s) from two.csv: 3 generated")
    assert sorted(r[0] for r in table["data"]) == ["fire", "fire", "steps"]
    assert sum(n.endswith(".wav") for n in zipfile.ZipFile(bundle).namelist()) == 3
    assert "<audio" in Path(report).read_text()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: _generate(c, "   "), "(?i)prompt is empty"),
        (
            lambda c: _generate(c, "rain", duration=2000.0, takes=1),
            r"Duration must be a number from 0.1 to 1800",
        ),
        (lambda c: _call(c, "../../../etc", api_name="/open"), "no such generation"),
        (
            lambda c: _call(c, "rain", "", "bundled", 1.0, 1, True, 0, "0", "", False, api_name="/generate"),
            "Steps must be a whole number from 1 to 1000, or blank",
        ),
        (
            lambda c: _call(
                c, "rain", "", "bundled", 1.0, 1, True, 0, "", "loud", False, api_name="/generate"
            ),
            "Guidance must be a number from 0 to 100",
        ),
        (
            lambda c: _call(
                c, "rain", "", "bundled", 1.0, 1, False, None, "", "", False, api_name="/generate"
            ),
            "Seed is blank: enter a whole number",
        ),
        (lambda c: _generate(c, "rain", model="audioldm2"), r"not served here|not in the list of choices"),
        (lambda c: _call(c, None, None, api_name="/batch"), "Pick a prompt file"),
        (
            lambda c: _call(c, "nope.toml", None, api_name="/batch"),
            r"(?i)not in the (prompt library|list of choices)",
        ),
    ],
)
def test_bad_requests_come_back_as_one_line_messages(
    client: Client, app_server: AppServer, call, message: str
) -> None:
    logged = len(app_server.log_text())
    with pytest.raises((AppError, ValidationError), match=message) as caught:
        call(client)
    text = str(caught.value)
    if isinstance(caught.value, ValidationError):  # the form's own check: one line per field at fault
        assert text.splitlines()[0] == "1 parameter(s) failed validation:"
        assert re.fullmatch(r"- (\w+): (?i:\1)\b.*", text.splitlines()[1]), "the message names its field"
    else:
        assert "\n" not in text
    assert "Traceback" not in text
    # our handlers turn expected errors into messages, not crashes (Gradio logs its own input checks)
    new_log = app_server.log_text()[logged:]
    assert our_frames(new_log) == [] and "unexpected error" not in new_log, new_log[-2000:]


def test_the_log_check_finds_our_frames_wherever_the_clone_is(tmp_path: Path) -> None:
    """A clone named `foleykit` with its venv inside: Gradio's frames contain "foleykit/" but are not ours."""
    import foleykit

    venv_gradio = tmp_path / "foleykit" / ".venv/lib/python3.11/site-packages/gradio/queueing.py"
    package_file = Path(foleykit.__file__).resolve().parent / "studio.py"
    log = (
        "Traceback (most recent call last):\n"
        f'  File "{venv_gradio}", line 870, in process_events\n'
        "gradio.exceptions.Error: 'Value: audioldm2 is not in the list of choices'\n"
    )
    assert our_frames(log) == []
    ours = log + f'  File "{package_file}", line 12, in generate\n  File "{REPO / "app.py"}", line 3\n'
    assert our_frames(ours) == [str(package_file), str(REPO / "app.py")]


def test_a_file_that_is_not_a_video_is_refused_with_a_message(client: Client, tmp_path: Path) -> None:
    fake = tmp_path / "clip.mp4"
    fake.write_bytes(b"this is not a video" * 100)
    with pytest.raises(AppError, match=r"clip\.mp4"):
        _call(client, handle_file(str(fake)), "", api_name="/probe")


def test_uploads_over_the_size_limit_are_refused(client: Client, tmp_path: Path) -> None:
    big = tmp_path / "huge.toml"
    big.write_bytes(b"#" * (21 * 1024 * 1024))  # the test server allows 20 MB
    with pytest.raises(Exception, match=r"(?i)too large|exceeds|maximum"):
        _call(client, None, handle_file(str(big)), api_name="/batch")
