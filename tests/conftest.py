"""Shared fixtures: tiny random-weight pipelines saved to disk and loaded back the way users load models.

Nothing here touches the network: HF_HUB_OFFLINE is set for the whole session and every model is built
from config, saved with `save_pretrained`, and read back through foleykit's own loading code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")


@pytest.fixture(autouse=True)
def _isolated_hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty Hugging Face cache per test: no test depends on this machine's cache or on another test."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_bundled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny FoleyPipeline saved as the bundled model is: MiniLM referenced from its package, not copied."""
    import torch

    from foleykit.pipelines.foley import FoleyArchitecture, build_foley_pipeline

    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("tiny_bundled")
    build_foley_pipeline(FoleyArchitecture.tiny()).save_pretrained(directory, include_text_encoder=False)
    return directory


@pytest.fixture(scope="session")
def tiny_audioldm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_pipelines import build_tiny_audioldm

    return build_tiny_audioldm(tmp_path_factory.mktemp("tiny_audioldm"))


@pytest.fixture(scope="session")
def tiny_audioldm2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_pipelines import build_tiny_audioldm2

    return build_tiny_audioldm2(tmp_path_factory.mktemp("tiny_audioldm2"))


@pytest.fixture(scope="session")
def tiny_stable_audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_pipelines import build_tiny_stable_audio

    return build_tiny_stable_audio(tmp_path_factory.mktemp("tiny_stable_audio"))


@pytest.fixture
def model_dir(request: pytest.FixtureRequest) -> Path:
    """Indirect fixture: `@pytest.mark.parametrize("model_dir", [...fixture names...], indirect=True)`."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    """One `python app.py` for every client and browser test (the model is loaded once, as in use)."""
    from tests.ui_server import start_app, stop_app

    server = start_app(tmp_path_factory.mktemp("app"))
    yield server
    stop_app(server)
    cache = server.root.parent / "gradio-cache"  # uploads and served copies: gone once the server stops
    # (Gradio 6.31 leaves one empty temporary file per upload it refused, e.g. over --max-upload)
    left = [p for p in cache.rglob("*") if p.is_file() and p.stat().st_size] if cache.exists() else []
    assert server.process.returncode == 0 and not left, f"exit {server.process.returncode}, left {left[:3]}"


@pytest.fixture(scope="session")
def tiny_stable_audio_3_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sa3_architecture import save_tiny_stable_audio_3  # bench/: the benchmark builds it too

    return save_tiny_stable_audio_3(tmp_path_factory.mktemp("tiny_stable_audio_3"))
