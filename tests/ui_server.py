"""A real `python app.py` server for the client and browser tests: started once, in its own folder."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 180  # gradio import + model load + warm-up: ~15 s here, slower on a loaded CI box
MAX_UPLOAD = "20mb"  # small, so the size limit can be tested without a large file


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen
    root: Path  # --out
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+', re.MULTILINE)


def our_frames(log: str) -> list[str]:
    """Traceback frames in a server log that are in foleykit's own code (app.py or the package).

    By path, resolved: a clone named `foleykit` puts that name in every path under it, a virtual
    environment's Gradio included, so a substring such as "foleykit/" would find frames of Gradio's own.
    """
    import foleykit

    ours = (Path(foleykit.__file__).resolve().parent, (REPO / "app.py").resolve())
    found = []
    for name in _FRAME.findall(log):
        path = Path(name).resolve()
        if path == ours[1] or ours[0] in path.parents:
            found.append(name)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GRADIO_TEMP_DIR": str(work / "gradio-cache"),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(work / "hf_home"),
        "PYTHONUNBUFFERED": "1",
    }


def start_app(work: Path, *extra: str) -> AppServer:
    port = free_port()
    log = work / "server.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "app.py"),
                "--port",
                str(port),
                "--out",
                str(work / "ui"),
                "--max-upload",
                MAX_UPLOAD,
                *extra,
            ],
            cwd=work,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=app_environment(work),
        )
    server = AppServer(f"http://127.0.0.1:{port}/", process, work / "ui", log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{server.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_app(server)
    raise RuntimeError(f"app.py did not answer within {START_TIMEOUT_S} s:\n{server.log_text()[-3000:]}")


def stop_app(server: AppServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
