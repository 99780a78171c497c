"""The three tabs in a real browser: Debian's headless Chromium driven by Playwright, against `python app.py`.

Screenshots of every step go to outputs/test-artifacts/browser/ (git-ignored) for a person to look at.
Skipped, with the reason shown in the summary, only where Chromium or Playwright is not installed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from tests.ui_server import REPO, AppServer
from tests.videos import event_reel

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "Chromium not installed (Debian package `chromium`; .ci/run installs it): browser tests skipped",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) not installed")

ARTIFACTS = REPO / "outputs" / "test-artifacts" / "browser"
# As the machine notes advise: no sandbox as root, no GPU, and no background calls to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
SLOW_MS = 180_000  # a whole sync on 2 loaded CI cores


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_server: AppServer) -> Iterator:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(app_server.url)
    page.wait_for_selector("#prompt textarea")
    yield page
    page.close()


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.wait_for_timeout(600)  # let Gradio's fade-in of fresh outputs finish
    page.screenshot(path=str(path), full_page=True)
    return path


def _wait_text(page, selector: str, text: str, timeout: int = 60_000) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.innerText || '').includes(t)",
        arg=[selector, text],
        timeout=timeout,
    )


PLAYABLE = """async (id) => {
  const audio = document.querySelector(`#${id} audio`);
  const response = await fetch(audio.currentSrc);
  const head = new Uint8Array(await response.arrayBuffer()).slice(0, 12);
  const tag = (a, b) => String.fromCharCode(...head.slice(a, b));
  audio.muted = true;
  await audio.play();
  for (let i = 0; i < 100 && audio.currentTime === 0; i++) await new Promise((done) => setTimeout(done, 50));
  const result = {status: response.status, riff: tag(0, 4), wave: tag(8, 12),
                  duration: audio.duration, time: audio.currentTime, error: audio.error && audio.error.code};
  audio.pause();
  return result;
}"""


def test_generate_shows_playable_takes_and_reopens_them_from_history(page) -> None:
    page.fill("#prompt textarea", "footsteps on gravel, slow")
    page.click("#generate-btn")
    page.wait_for_selector("#take-1-audio audio[src]")  # take 1 arrives before the others
    _wait_text(page, "#generate-status", "3 take(s) in")
    _shot(page, "generate")
    for take in (1, 2, 3):
        played = page.evaluate(PLAYABLE, f"take-{take}-audio")
        assert played["status"] in (200, 206) and (played["riff"], played["wave"]) == ("RIFF", "WAVE")
        assert played["error"] is None and played["duration"] == pytest.approx(4.0, abs=0.01)
        assert played["time"] > 0  # Chromium decoded and played the 24-bit WAV
        assert page.is_visible(f"#take-{take}-picture img")
    assert not page.is_visible("#take-4-audio")
    seed_text = page.inner_text("#generate-status")

    page.reload()  # a fresh page lists the history from disk; picking an entry brings its takes back
    page.wait_for_selector("#prompt textarea")
    assert not page.is_visible("#take-1-audio")
    page.click("#history input")
    page.get_by_role("option").filter(has_text="footsteps on gravel, slow").first.click()
    page.wait_for_selector("#take-3-audio audio[src]")
    _wait_text(page, "#generate-status", "Re-opened")
    assert page.input_value("#prompt textarea") == "footsteps on gravel, slow"
    assert f"seed {seed_text.split('seed ')[1].split(' ')[0]}" in page.inner_text("#take-1-title")
    _shot(page, "history")

    # Issue 16: a take card's Vary makes a new entry under its parent; the edit panel remakes a region
    page.click("#take-2-vary")
    _wait_text(page, "#generate-status", "vary of take 2: 1 take(s)")
    page.wait_for_selector("#take-1-audio audio[src]")
    assert not page.is_visible("#take-2-audio")
    varied = page.evaluate(PLAYABLE, "take-1-audio")
    assert varied["status"] in (200, 206) and varied["duration"] == pytest.approx(4.0, abs=0.01)
    page.get_by_text("Edit a take").click()
    for elem_id, value in (("edit-start", "1"), ("edit-end", "1.5")):
        page.locator(f"#{elem_id} input").fill(value)
    page.click("#inpaint-btn")
    _wait_text(page, "#generate-status", "inpaint of take 1: 1 take(s)")
    _shot(page, "derived")
    page.click("#history input")
    labels = page.get_by_role("option").all_inner_texts()
    parent = next(i for i, text in enumerate(labels) if "footsteps on gravel, slow" in text)
    assert "↳ vary of take 2" in labels[parent + 1], labels[: parent + 3]
    assert "↳ inpaint of take 1" in labels[parent + 2], labels[: parent + 3]
    page.keyboard.press("Escape")  # closes the list; picks nothing, re-opens nothing

    # Issue 17: a loop take's player repeats, so the seam can be auditioned
    page.fill("#prompt textarea", "wind through trees")
    _type(page, "duration", "2")
    _type(page, "takes", "1")
    assert _field(page, "duration").input_value() == "2"
    page.locator("#loop input").check()
    before = page.evaluate("document.querySelector('#take-1-audio audio').src")
    page.click("#generate-btn")
    _wait_text(page, "#generate-status", "1 take(s) in")
    _wait_text(page, "#take-1-title", "· loop")
    page.wait_for_function(  # the new take's player, set to repeat
        "(before) => { const a = document.querySelector('#take-1-audio audio'); "
        "return a && a.src && a.src !== before && a.loop; }",
        arg=before,
    )
    looped = page.evaluate(PLAYABLE, "take-1-audio")
    assert looped["error"] is None and looped["duration"] == pytest.approx(2.0, abs=0.01)
    _shot(page, "loop")


def _field(page, elem_id: str):
    return page.locator(f"#{elem_id} input, #{elem_id} textarea").first


def _type(page, elem_id: str, text: str) -> None:
    box = page.locator(f"#{elem_id} input[type=number]") if elem_id in ("duration", "takes") else None
    (box or _field(page, elem_id)).fill(text)
    (box or _field(page, elem_id)).press("Tab")


def test_sampling_fields_keep_blanks_and_an_error_marks_its_own_field(page) -> None:
    """Issue 13: after opening "Seed and sampling", blank Steps/Guidance stay blank (= model default),
    a bad value is reported on that field and nowhere else, and ranges are kept by the sliders."""
    page.fill("#prompt textarea", "a wooden door creaks open")
    page.get_by_text("Seed and sampling").click()
    _field(page, "steps").wait_for()
    assert _field(page, "steps").input_value() == "" and _field(page, "guidance").input_value() == ""
    assert _field(page, "steps").get_attribute("placeholder") == "model default: 10"
    assert _field(page, "guidance").get_attribute("placeholder") == "model default: 3"
    _type(page, "duration", "2000")  # out of range: the slider keeps a valid value on screen
    assert _field(page, "duration").input_value() == "1800"
    _type(page, "takes", "")
    assert _field(page, "takes").input_value() == "1"
    _type(page, "duration", "2")
    _type(page, "takes", "2")

    for elem_id, typed, message in (
        ("steps", "0", "Steps must be a whole number from 1 to 1000"),
        ("guidance", "-1", "Guidance must be a number from 0 to 100"),
        ("steps", "2.5", "Steps must be a whole number"),
    ):
        _type(page, elem_id, typed)
        page.click("#generate-btn")
        _wait_text(page, f"#{elem_id}", message, timeout=20_000)
        others = [e for e in ("seed", "steps", "guidance", "duration", "takes") if e != elem_id]
        assert not any(message in page.inner_text(f"#{e}") for e in others)
        assert page.locator(".toast-body").count() == 0 and not page.is_visible("#take-1-audio")
        _shot(page, f"field-error-{elem_id}")
        _type(page, elem_id, "")
    page.locator("#random-seed input").uncheck()
    _type(page, "seed", "")
    page.click("#generate-btn")
    _wait_text(page, "#seed", "Seed is blank", timeout=20_000)
    _type(page, "seed", "31")

    page.locator("#exact-wording input").check()  # the prompt as worded: no learned caption shares guidance
    page.click("#generate-btn")  # blank Steps and Guidance: the model's defaults
    _wait_text(page, "#generate-status", "2 take(s) in")
    assert _field(page, "steps").input_value() == "" and _field(page, "guidance").input_value() == ""
    assert "seed 31" in page.inner_text("#take-1-title") and "seed 32" in page.inner_text("#take-2-title")
    folder = Path(page.inner_text("#generate-status").split(" · ")[-1].splitlines()[0].strip())
    sidecars = [json.loads(p.read_text()) for p in folder.glob("*_t*_s*.json")]
    assert len(sidecars) == 2 and all(
        s["anchor_weight"] == 0.0 and s["prompt_anchor"] is None for s in sidecars
    )
    _shot(page, "sampling-defaults")


def test_take_one_plays_while_the_others_render(page) -> None:
    """Issue 13: the progress display covers the status line only, never a take that is ready."""
    page.fill("#prompt textarea", "glass bottle smashed on concrete")
    _type(page, "takes", "8")
    _type(page, "duration", "8")
    page.click("#generate-btn")
    page.wait_for_selector("#take-1-audio audio[src]", timeout=60_000)
    _wait_text(page, "body", "rendering take 2–8")  # the progress display is up
    assert page.locator("#take-2-audio audio[src]").count() == 0, "take 2 is still rendering"
    # Playwright's actionability check: the player is visible, enabled and the topmost element where a
    # click would land (an overlay on it fails this), without clicking
    page.locator("#take-1-audio audio").click(trial=True, timeout=5_000)
    page.locator("#take-1-picture img").click(trial=True, timeout=5_000)
    played = page.evaluate(PLAYABLE, "take-1-audio")
    assert played["error"] is None and played["time"] > 0
    assert page.locator("#take-2-audio audio[src]").count() == 0, "take 1 played before take 2 was ready"
    _shot(page, "take-1-while-rendering")
    page.wait_for_selector("#take-8-audio audio[src]", timeout=SLOW_MS)


def test_a_bad_request_shows_a_message_not_a_traceback(page) -> None:
    page.click("#generate-btn")  # empty prompt: said on the prompt field
    _wait_text(page, "#prompt", "Prompt is empty", timeout=20_000)
    page.fill("#prompt textarea", "x" * 2001)  # passes the form, refused by the request: a toast
    page.click("#generate-btn")
    toast = page.locator(".toast-body").first
    toast.wait_for()
    text = toast.inner_text()
    assert "prompt is 2001 characters long" in text and "Traceback" not in text
    _shot(page, "error")


def test_upload_a_video_spot_it_and_sync_sounds_to_it(page, tmp_path: Path) -> None:
    video = event_reel(tmp_path / "reel.mp4", Fraction(25), seed=2, start_tc="01:00:00:00")
    page.get_by_role("tab", name="Sync to video").click()
    page.set_input_files("#video input[type=file]", str(video.path))
    _wait_text(page, "body", "25 fps")
    assert "starts at 01:00:00:00" in page.inner_text("body")
    _field(page, "start-tc").fill("01:00:00:99")  # no frame 99 at 25 fps: said on that field
    _field(page, "start-tc").press("Enter")
    _wait_text(page, "#start-tc", "Start timecode:", timeout=20_000)
    _field(page, "start-tc").fill("")
    markers = tmp_path / "Timeline 1.edl"  # Resolve's "Timeline Markers to EDL"
    markers.write_text(
        "TITLE: Timeline 1\nFCM: NON-DROP FRAME\n\n"
        "001  001      V     C        01:00:01:05 01:00:01:06 01:00:01:05 01:00:01:06  \n"
        " |C:ResolveColorBlue |M:a door slams |D:1\n\n"
        "002  001      V     C        01:00:02:00 01:00:02:01 01:00:02:00 01:00:02:01  \n"
        "glass breaks |C:ResolveColorRed |M:Marker 2 |D:1\n"
    )
    page.set_input_files("#cue-file input[type=file]", str(markers))
    _wait_text(page, "#sync-status", "Loaded 2 cue(s)")
    table = page.inner_text("#cues")
    assert "a door slams" in table and "glass breaks" in table and "01:00:02:00" in table
    _shot(page, "markers-loaded")
    page.get_by_label("Prompt for spotted cues").fill("a wooden block hits the floor")
    page.click("#spot-btn")
    _wait_text(page, "#sync-status", "Spotted")
    spotted = int(page.inner_text("#sync-status").split("Spotted ")[1].split(" ")[0])
    assert spotted >= 4
    page.click("#add-cue-btn")  # a cue added by hand, a second after the last one
    page.wait_for_function(
        "(n) => document.querySelectorAll('#cues [role=row]').length >= n + 1", arg=spotted + 1
    )
    _shot(page, "spotted")
    page.click("#sync-btn")
    page.wait_for_selector(".progress-level")  # Gradio's progress bar, fed by the takes' tqdm bars
    _shot(page, "syncing")
    _wait_text(page, "#sync-status", "cue(s) placed", timeout=SLOW_MS)
    assert f"{spotted + 1} cue(s) placed on 25 fps" in page.inner_text("#sync-status")
    state = page.evaluate(
        """async () => {
          const v = document.querySelector('#preview video');
          if (v.readyState < 1) await new Promise((done) => v.addEventListener('loadedmetadata', done));
          return {duration: v.duration, src: v.currentSrc, error: v.error && v.error.code};
        }"""
    )
    assert state["error"] is None and state["src"].endswith((".mp4", ".mov"))
    assert state["duration"] == pytest.approx(video.frame_count / 25, abs=0.1)
    assert page.locator("a[href$='_sync.zip']").count() >= 1  # the export bundle download
    _shot(page, "synced")


def test_run_an_uploaded_prompt_file_in_the_batch_tab(page, tmp_path: Path) -> None:
    prompts = tmp_path / "browser_batch.toml"
    prompts.write_text(
        '[defaults]\nduration = 1.0\n\n[[sound]]\nname = "tick"\nprompt = "clock ticking"\n'
        '\n[[sound]]\nname = "wind"\nprompt = "wind gusts"\ntakes = 2\n'
    )
    page.get_by_role("tab", name="Batch").click()
    page.set_input_files("#prompt-upload input[type=file]", str(prompts))
    page.click("#batch-btn")
    _wait_text(page, "#batch-status", "generated", timeout=SLOW_MS)
    assert "3 take(s) from browser_batch.toml: 3 generated" in page.inner_text("#batch-status")
    assert page.locator("a[href$='browser_batch.zip']").count() >= 1
    assert page.locator("a[href$='report.html']").count() >= 1
    _shot(page, "batch")


def test_signed_in_users_never_see_each_others_jobs(browser, tmp_path: Path, tiny_bundled_dir: Path) -> None:
    """`app.py --auth`: each user's history and files are their own, by the page, by job id and by path."""
    from gradio_client import Client

    from foleykit.studio import Studio
    from tests.ui_server import start_app, stop_app

    # alice's take, made where the server keeps her jobs (in this process: the tiny model is loaded here)
    mine = Studio(tmp_path / "ui").for_user("alice")
    made = list(
        mine.generate("a heavy door knock", model=str(tiny_bundled_dir), duration=1.0, takes=1, steps=2)
    )
    job, wav = made[-1].folder, made[-1].takes[0].wav
    assert job.parent.parent.parent == (tmp_path / "ui" / "users").resolve()

    users = ["--auth", "alice:wonderland", "--auth", "bob:builder"]
    server = start_app(tmp_path, *users, "--no-warm-up", "--model", str(tiny_bundled_dir))
    try:
        pages = {}
        for user, password in (("alice", "wonderland"), ("bob", "builder")):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            assert context.request.post(
                server.url + "login", form={"username": user, "password": password}
            ).ok
            pages[user] = context.new_page()
            pages[user].set_default_timeout(60_000)
            pages[user].goto(server.url)
            pages[user].wait_for_selector("#prompt textarea")
        alice, bob = pages["alice"], pages["bob"]
        alice.click("#history input")
        alice.get_by_role("option").filter(has_text="a heavy door knock").click()
        alice.wait_for_selector("#take-1-audio audio[src]")
        served = alice.evaluate("() => document.querySelector('#take-1-audio audio').currentSrc")
        assert alice.request.get(served).ok  # alice gets her take back
        bob.click("#history input")
        assert bob.get_by_role("option").filter(has_text="a heavy door knock").count() == 0
        _shot(bob, "signed-in-bob")

        as_bob = Client(server.url, auth=("bob", "builder"), verbose=False)
        with pytest.raises(Exception, match="no such generation"):  # her job id is unknown to him
            as_bob.predict(job.name, api_name="/open")
        by_path = bob.request.get(f"{server.url}gradio_api/file={wav}")  # the file itself, by its path
        assert by_path.status in (403, 404), by_path.status
        stranger = browser.new_context()  # not signed in: not even the copy served to alice
        assert stranger.request.get(served).status in (401, 403)
        stranger.close()
    finally:
        stop_app(server)
    assert "Traceback" not in server.log_text()
