"""Model names resolve in seconds: alias, hub id from the cache, local directory; clear errors otherwise."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from foleykit import ModelNotAvailableError, describe_models, resolve_model
from foleykit.models import ALIASES, hub_reachable

REVISION = "0123456789abcdef0123456789abcdef01234567"


def cache_as_hub_model(model_dir: Path, hub_id: str) -> Path:
    """Lay a saved pipeline out the way the Hugging Face cache holds a downloaded snapshot."""
    repo = Path(os.environ["HF_HOME"]) / "hub" / ("models--" + hub_id.replace("/", "--"))
    snapshot = repo / "snapshots" / REVISION
    if not snapshot.exists():
        shutil.copytree(model_dir, snapshot)
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(REVISION)
    return snapshot


def test_local_directory_resolves_with_its_backend_and_limits(tiny_bundled_dir: Path) -> None:
    source = resolve_model(str(tiny_bundled_dir))
    assert source.backend == "bundled"
    assert source.info.sample_rate == 16000 and source.info.max_duration == 5.0
    assert (
        source.provenance()["weights_sha256"]
        == resolve_model(str(tiny_bundled_dir)).provenance()["weights_sha256"]
    )


def test_cached_hub_id_resolves_offline_with_its_revision(tiny_bundled_dir: Path) -> None:
    cache_as_hub_model(tiny_bundled_dir, "foley-test/tiny-bundled")
    source = resolve_model("foley-test/tiny-bundled")
    assert source.hub_id == "foley-test/tiny-bundled" and source.revision == REVISION
    assert source.provenance()["revision"] == REVISION


@pytest.mark.parametrize("offline", [True, False])
def test_uncached_hub_id_fails_fast_naming_the_id_and_the_remedy(
    offline: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HF_HUB_OFFLINE set, or simply no network (as on CI), the error comes in seconds."""
    if not offline:
        monkeypatch.delenv("HF_HUB_OFFLINE")
        if hub_reachable(timeout=2):
            pytest.skip("this machine reaches the hub; the no-network path cannot be shown here")
    began = time.perf_counter()
    with pytest.raises(ModelNotAvailableError) as err:
        resolve_model("audioldm2")
    assert time.perf_counter() - began < 6
    message = str(err.value)
    assert "cvssp/audioldm2" in message and "HF_HOME" in message and "--model DIR" in message


def test_missing_bundled_weights_say_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("foleykit.models.BUNDLED_DIR", tmp_path / "empty")
    with pytest.raises(ModelNotAvailableError, match="bundled foley model's trained weights are not in this"):
        resolve_model("bundled")


def test_bundled_alias_loads_from_the_package_folder(
    monkeypatch: pytest.MonkeyPatch, tiny_bundled_dir: Path
) -> None:
    monkeypatch.setattr("foleykit.models.BUNDLED_DIR", tiny_bundled_dir)
    assert resolve_model("bundled").backend == "bundled"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-a-model", "unknown model 'not-a-model'"),
        ("./no/such/dir", "does not exist"),
        ("/no/such/dir", "does not exist"),
    ],
)
def test_unknown_names_and_missing_directories(name: str, message: str) -> None:
    with pytest.raises(ModelNotAvailableError, match=message):
        resolve_model(name)


def test_unreadable_or_foreign_directories(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailableError, match=r"no model_index\.json"):
        resolve_model(str(tmp_path))
    (tmp_path / "model_index.json").write_text("{not json")
    with pytest.raises(ModelNotAvailableError, match="cannot read"):
        resolve_model(str(tmp_path))
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    with pytest.raises(ModelNotAvailableError, match="is a StableDiffusionPipeline"):
        resolve_model(str(tmp_path))
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "AudioLDM2Pipeline"}))
    with pytest.raises(ModelNotAvailableError, match="missing"):
        resolve_model(str(tmp_path))
    a_file = tmp_path / "weights.bin"
    a_file.write_bytes(b"\0")
    with pytest.raises(ModelNotAvailableError, match="not a directory"):
        resolve_model(str(a_file))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory; permissions cannot be shown")
def test_permission_denied_directory(tiny_bundled_dir: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    shutil.copytree(tiny_bundled_dir, locked)
    locked.chmod(0)
    try:
        with pytest.raises(ModelNotAvailableError, match="permission denied"):
            resolve_model(str(locked))
    finally:
        locked.chmod(0o755)


def test_models_lists_every_alias_and_what_works_offline(tiny_audioldm2_dir: Path) -> None:
    cache_as_hub_model(tiny_audioldm2_dir, ALIASES["audioldm2"].hub_id)  # stands in for a cached download
    rows = {row["name"]: row for row in describe_models()}
    assert set(rows) == set(ALIASES)
    assert rows["audioldm2"]["offline"] is True and rows["audioldm2"]["sample_rate"] == 16000
    assert resolve_model("audioldm2").backend == "audioldm2"
    assert rows["stable-audio"]["offline"] is False
    assert rows["stable-audio"]["channels"] == 2 and rows["stable-audio"]["max_duration"] == pytest.approx(
        47.55
    )


def test_models_command_prints_json(tiny_bundled_dir: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "foleykit", "models", "--json"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    names = [row["name"] for row in json.loads(run.stdout)["models"]]
    assert names[0] == "bundled" and "stable-audio" in names


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers anything: as a hub endpoint (404 to `/`, as a real one may) or as a forward proxy."""

    seen: ClassVar[list[str]] = []

    def _reply(self) -> None:
        _Answer.seen.append(self.path)
        self.send_response(404 if self.path.endswith("/") and "://" not in self.path else 200)
        self.end_headers()

    do_HEAD = do_GET = _reply

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_hub_probe_goes_through_the_proxy_the_environment_names(
    answering_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A machine that reaches the hub only through a proxy is online; without the proxy it is not."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{answering_server}")
    assert hub_reachable(timeout=2), "a direct endpoint that answers (even 404) is reachable"
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid")  # no name lookup can succeed: only a proxy helps
    assert not hub_reachable(timeout=2)
    _Answer.seen.clear()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{answering_server}")
    assert hub_reachable(timeout=2)
    assert _Answer.seen == ["http://hub.invalid/"], "the request went to the proxy, for the hub"
    monkeypatch.setenv("no_proxy", "hub.invalid")  # the proxy is not for this host: direct, and unreachable
    assert not hub_reachable(timeout=2)
