"""The browser UI's targets (issue 6), measured on a real `python app.py` with the bundled model.

1. Click to first take: in headless Chromium (Playwright), the time from clicking Generate to the first
   take's `<audio>` having its new source and metadata loaded, for one 4 s take and for three, after one
   warm-up click. Target ≤ 3 s on 2 CPU cores.
2. Memory: the server's resident memory (/proc/PID/status VmRSS) after the first of 50 generate requests
   (sent through gradio_client) and after the 50th. Target: growth ≤ 10 % of the size after the first.

    python bench/ui_latency.py --json bench/results/ui_latency.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.test_browser import CHROMIUM_ARGS  # noqa: E402
from tests.ui_server import start_app, stop_app  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def click_to_first_take(url: str, takes: int, clicks: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector("#prompt textarea")
        page.fill("#prompt textarea", "footsteps on gravel, slow")
        page.locator("input[aria-label='number input for Takes']").fill(str(takes))
        page.keyboard.press("Enter")
        for click in range(clicks + 1):  # the first click is the warm-up
            before = page.evaluate("() => document.querySelector('#take-1-audio audio')?.currentSrc || ''")
            began = time.perf_counter()
            page.click("#generate-btn")
            page.wait_for_function(
                """(before) => {
                  const a = document.querySelector('#take-1-audio audio');
                  return a && a.currentSrc && a.currentSrc !== before && a.readyState >= 1;
                }""",
                arg=before,
                timeout=120_000,
            )
            elapsed = time.perf_counter() - began
            page.wait_for_function(
                "document.querySelector('#generate-status').innerText.includes('take(s) in')", timeout=120_000
            )
            if click:
                times.append(elapsed)
        browser.close()
    return times


def memory_over_requests(url: str, pid: int, requests: int) -> dict[str, float]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=tempfile.mkdtemp())
    marks = {}
    for number in range(1, requests + 1):
        client.predict(
            f"door knock number {number}", "", "bundled", 4.0, 1, True, 0, None, None, api_name="/generate"
        )
        if number in (1, 10, 25, requests):
            marks[number] = rss_mb(pid)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        server = start_app(Path(work))
        try:
            started = rss_mb(server.process.pid)
            latency = {takes: click_to_first_take(server.url, takes, args.clicks) for takes in (1, 3)}
            memory = memory_over_requests(server.url, server.process.pid, args.requests)
        finally:
            stop_app(server)

    first, last = memory[1], memory[args.requests]
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
        "click_to_first_take_s": {
            f"{takes}_takes_4s": {
                "median": round(statistics.median(t), 3),
                "max": round(max(t), 3),
                "all": [round(x, 3) for x in t],
            }
            for takes, t in latency.items()
        },
        "rss_mb": {
            "after_start": round(started, 1),
            **{f"after_{n}": round(v, 1) for n, v in memory.items()},
        },
        "rss_growth_after_first_pct": round(100 * (last - first) / first, 2),
    }
    for takes, t in latency.items():
        print(f"click → first take ({takes} × 4 s): median {statistics.median(t):.2f} s, max {max(t):.2f} s")
    print(
        f"server RSS: {started:.0f} MB at start, {first:.0f} MB after 1 request, {last:.0f} MB after "
        f"{args.requests} ({result['rss_growth_after_first_pct']:+.1f} %)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
