"""Reliability figures (issue 19), run on demand: load held, faults survived, bad inputs tried, nothing lost.

1. Properties: tests/test_properties.py with many more generated examples (FOLEYKIT_PROPERTY_EXAMPLES).
2. Load: one `python app.py` on loopback with the bundled model; 32 clients (gradio_client, one thread
   each) ask at once for a 1 s take; every one must be served within the time bound. Reported: how many
   were served, model loads (must be 1), latency p50/p95/max from request to result, server memory
   (RSS) before and after.
3. Kill storm: `foleykit batch` (48 one-second takes) and `foleykit sync` (8 generated cues) are each
   killed with SIGKILL at 10 random moments, restarted each time, then run to the end. After every kill:
   no file under a final name is partial (each WAV reads whole at its length, each JSON parses); at the
   end: the manifest lists every take exactly once and the finished takes before a kill are unchanged;
   sync's outputs are complete (its re-measured errors are reported as they are).
4. Bad input: a list of wrong invocations of the CLI and app.py; each must end with exit 2 and one line
   on stderr, no traceback, within 20 s.

    python bench/reliability.py --json bench/results/reliability.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO / "src")}


def _foleykit(*argv: str) -> list[str]:
    return [sys.executable, "-m", "foleykit", *argv]


# -- 1. properties ---------------------------------------------------------------------------------------


def properties(examples: int) -> dict[str, Any]:
    began = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(REPO / "tests" / "test_properties.py"),
        ],
        env={**_env(), "FOLEYKIT_PROPERTY_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]
    return {
        "examples_per_property": examples,
        "passed": run.returncode == 0,
        "summary": last,
        "seconds": round(time.perf_counter() - began, 1),
    }


# -- 2. load ---------------------------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(clients: int, bound_s: float) -> dict[str, Any]:
    from gradio_client import Client

    from tests.ui_server import start_app, stop_app

    work = Path(tempfile.mkdtemp(prefix="foleykit-load-"))
    server = start_app(work)  # the bundled model, loaded and warmed up before it answers
    try:
        before = _rss_mb(server.process.pid)
        latencies: list[float] = []
        failures: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(clients)

        def one(index: int) -> None:
            client = Client(server.url, verbose=False, download_files=False)
            start.wait()
            began = time.perf_counter()
            try:
                client.predict(
                    f"footsteps on gravel, take {index}",
                    "",
                    "bundled",
                    1.0,
                    1,
                    False,
                    index,
                    "",
                    "",
                    False,
                    False,
                    api_name="/generate",
                )
                with lock:
                    latencies.append(time.perf_counter() - began)
            except Exception as err:  # counted, not raised: the figure is how many were served
                with lock:
                    failures.append(f"{type(err).__name__}: {err}"[:200])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(bound_s)
        wall = time.perf_counter() - began
        status = Client(server.url, verbose=False).predict(api_name="/status")
        after = _rss_mb(server.process.pid)
    finally:
        stop_app(server)
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "served": len(latencies),
        "failed": failures[:5],
        "within_bound_s": bound_s,
        "wall_s": round(wall, 1),
        "model_loads": status.get("engine_loads"),
        "latency_p50_s": round(statistics.median(ordered), 2) if ordered else None,
        "latency_p95_s": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2) if ordered else None,
        "latency_max_s": round(ordered[-1], 2) if ordered else None,
        "rss_before_mb": round(before),
        "rss_after_mb": round(after),
    }


# -- 3. kill storm ---------------------------------------------------------------------------------------


def _whole(folder: Path) -> list[str]:
    """Files under final names that are not whole: WAVs that do not read to their end, JSON that does not
    parse, and any temporary part left behind."""
    bad = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.name.endswith((".tmp", ".part")):
            continue  # a kill can leave a temporary; it is never under a final name (checked at the end)
        try:
            if path.suffix == ".wav":
                with sf.SoundFile(str(path)) as f:
                    f.seek(max(0, f.frames - 1))
                    if f.frames and len(f.read(1)) != 1:
                        bad.append(str(path))
            elif path.suffix == ".json":
                json.loads(path.read_text())
        except Exception:
            bad.append(str(path))
    return bad


def _storm(argv: list[str], kills: int, seed: int, window: tuple[float, float], check: Any) -> dict[str, Any]:
    rng = random.Random(seed)
    partial: list[str] = []
    killed = 0
    for _ in range(kills):
        proc = subprocess.Popen(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(*window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        partial += check()
    final = subprocess.run(argv, env=_env(), capture_output=True, text=True)
    return {
        "kills": killed,
        "partial_after_kills": partial[:5],
        "final_exit": final.returncode,
        "final_stderr": final.stderr.strip().splitlines()[-1:] if final.returncode else [],
    }


def kill_storm(kills: int, seed: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="foleykit-kills-"))
    prompts = work / "lib.toml"
    prompts.write_text(
        "[defaults]\nduration = 1.0\ntakes = 8\nseed = 10\n\n"
        + "".join(
            f'[[sound]]\nname = "s{i}"\nprompt = "{p}"\n\n'
            for i, p in enumerate(
                ["door knock", "rain on a roof", "footsteps on gravel", "glass shatter", "wind", "a bell"]
            )
        )
    )
    out = work / "batch"
    batch_argv = _foleykit("batch", str(prompts), "--out", str(out), "--batch-size", "1")
    manifest = out / "lib" / "manifest.jsonl"
    snapshots: dict[str, bytes] = {}

    def batch_check() -> list[str]:
        if manifest.exists():
            for line in manifest.read_text().splitlines():
                try:
                    path = json.loads(line)["path"]
                except (ValueError, KeyError):
                    continue
                snapshots.setdefault(path, (out / path).read_bytes())
        return _whole(out)

    batch = _storm(batch_argv, kills, seed, (4.0, 12.0), batch_check)
    lines = [json.loads(line)["path"] for line in manifest.read_text().splitlines()]
    batch.update(
        takes=48,
        listed=len(lines),
        listed_once=len(lines) == len(set(lines)),
        finished_kept=all((out / p).read_bytes() == data for p, data in snapshots.items()),
        temporaries_left=sum(1 for p in out.rglob("*") if p.name.endswith((".tmp", ".part"))),
    )

    cues = work / "cues.csv"
    cues.write_text(
        "frame,prompt,duration\n" + "".join(f"{12 + 25 * i},a door knock,1.0\n" for i in range(8))
    )
    sync_out = work / "sync"
    sync_argv = _foleykit(
        "sync",
        "--fps",
        "25",
        "--length",
        "12",
        "--cues",
        str(cues),
        "--out",
        str(sync_out),
        "--force",
        "--no-aaf",
    )
    sync = _storm(sync_argv, kills, seed + 1, (3.0, 10.0), lambda: _whole(sync_out))
    report = json.loads((sync_out / "sync.json").read_text()) if (sync_out / "sync.json").exists() else {}
    sync.update(
        cues=8,
        placed=len(report.get("cues", [])),
        max_error_ms=report.get("max_error_ms"),
        temporaries_left=sum(1 for p in sync_out.rglob("*") if p.name.endswith((".tmp", ".part"))),
    )
    return {"batch": batch, "sync": sync}


# -- 4. bad input ----------------------------------------------------------------------------------------


def bad_inputs() -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="foleykit-bad-"))
    (work / "latin.txt").write_bytes("00:00:01:00 caf\xe9\n".encode("latin-1"))
    (work / "empty.edl").write_text("TITLE: x\nFCM: NON-DROP FRAME\n")
    (work / "late.txt").write_text("00:00:30:00 thunder\n")
    (work / "bad.csv").write_text("frame,prompt\nten,a knock\n")
    (work / "bad.toml").write_text("[[sound]]\nname = 'a'\n")
    (work / "notavideo.mp4").write_text("no")
    (work / "users.txt").write_text("alice\n")
    (work / "taken.wav").write_bytes(b"")
    runs = [
        ["generate", ""],
        ["generate", "x", "--duration", "-1"],
        ["generate", "x", "--takes", "0"],
        ["generate", "x", "--seed", "-5"],
        ["generate", "x", "--steps", "0"],
        ["generate", "x", "--guidance", "nan"],
        ["generate", "x", "--model", "no/such-model"],
        ["generate", "x", "--loudness", "20"],
        ["generate", "x", "--loop", "--duration", "0.5"],
        ["generate", "x", "--duration", "4000"],
        ["batch", str(work / "missing.toml")],
        ["batch", str(work / "bad.toml")],
        ["spot", str(work / "notavideo.mp4")],
        ["spot", str(work / "missing.mp4")],
        ["spot", str(work / "notavideo.mp4"), "--out", str(work / "spots.wav")],
        ["sync", "--fps", "25", "--length", "10", "--cues", str(work / "bad.csv")],
        ["sync", "--fps", "23.5", "--length", "10", "--cues", str(work / "bad.csv")],
        ["sync", "--fps", "25", "--length", "10", "--cues", str(work / "latin.txt")],
        ["sync", "--fps", "25", "--length", "10", "--cues", str(work / "empty.edl")],
        ["sync", "--fps", "25", "--length", "10", "--cues", str(work / "late.txt")],
        [
            "sync",
            "--fps",
            "25",
            "--length",
            "10",
            "--start-tc",
            "00:00:00:99",
            "--cues",
            str(work / "late.txt"),
        ],
        ["sync", str(work / "notavideo.mp4"), "--cues", str(work / "bad.csv")],
        ["vary", str(work / "missing.wav")],
        ["extend", str(work / "taken.wav"), "--to", "3"],
        ["inpaint", str(work / "taken.wav"), "--region", "2:1"],
        ["eval", "--prompts", str(work / "missing.tsv")],
    ]
    app = [
        ["--port", "0"],
        ["--auth", "bob"],
        ["--auth-file", str(work / "users.txt")],
        ["--max-upload", "lots"],
        ["--model", str(work / "nowhere")],
    ]
    commands = [_foleykit(*argv) for argv in runs] + [[sys.executable, str(REPO / "app.py"), *a] for a in app]
    outcomes = []
    for command in commands:
        began = time.perf_counter()
        try:
            run = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=20, cwd=work)
            lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
            ok = run.returncode == 2 and len(lines) == 1 and "Traceback" not in run.stderr
            outcomes.append(
                {
                    "argv": command[2:] if command[1] == "-m" else command[1:],
                    "exit": run.returncode,
                    "one_line": len(lines) == 1,
                    "ok": ok,
                    "s": round(time.perf_counter() - began, 1),
                    "said": lines[-1][:160] if lines else "",
                }
            )
        except subprocess.TimeoutExpired:
            outcomes.append({"argv": command, "exit": None, "ok": False, "said": "hung (over 20 s)"})
    return {
        "tried": len(outcomes),
        "one_line_exit_2": sum(o["ok"] for o in outcomes),
        "not": [o for o in outcomes if not o["ok"]],
        "all": outcomes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--bound", type=float, default=300.0, help="seconds every client must be served in")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="properties,load,kills,bad", help="parts to run")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    parts = set(args.only.split(","))
    report: dict[str, Any] = {"machine": f"{os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d")}
    if "properties" in parts:
        report["properties"] = properties(args.examples)
        print("properties:", report["properties"], flush=True)
    if "load" in parts:
        report["load"] = load(args.clients, args.bound)
        print("load:", report["load"], flush=True)
    if "kills" in parts:
        report["kill_storm"] = kill_storm(args.kills, args.seed)
        print("kill storm:", json.dumps(report["kill_storm"]), flush=True)
    if "bad" in parts:
        report["bad_input"] = bad_inputs()
        summary = {k: v for k, v in report["bad_input"].items() if k != "all"}
        print("bad input:", json.dumps(summary), flush=True)
    if args.json:  # parts not run this time keep their last figures
        args.json.parent.mkdir(parents=True, exist_ok=True)
        earlier = json.loads(args.json.read_text()) if args.json.exists() else {}
        args.json.write_text(json.dumps({**earlier, **report}, indent=2) + "\n")


if __name__ == "__main__":
    main()
