"""The three tabs in a real browser: Debian's headless Chromium driven by Playwright, against `python app.py`.

Screenshots of every step go to outputs/test-artifacts/browser/ (git-ignored) for a person to look at.
Skipped, with the reason shown in the summary, only where Chromium or Playwright is not installed.
"""

from __future__ import annotations

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


def test_a_bad_request_shows_a_message_not_a_traceback(page) -> None:
    page.click("#generate-btn")  # empty prompt
    toast = page.locator(".toast-body").first
    toast.wait_for()
    text = toast.inner_text()
    assert "prompt is empty" in text and "Traceback" not in text
    _shot(page, "error")


def test_upload_a_video_spot_it_and_sync_sounds_to_it(page, tmp_path: Path) -> None:
    video = event_reel(tmp_path / "reel.mp4", Fraction(25), seed=2, start_tc="01:00:00:00")
    page.get_by_role("tab", name="Sync to video").click()
    page.set_input_files("#video input[type=file]", str(video.path))
    _wait_text(page, "body", "25 fps")
    assert "starts at 01:00:00:00" in page.inner_text("body")
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
