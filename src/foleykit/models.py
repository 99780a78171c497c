"""Model names → a local diffusers directory and its backend, in seconds, never waiting on the hub.

A name is an alias (`bundled`, `audioldm2`, …), a hub id (`owner/name`, used from the local Hugging Face
cache, downloaded only when the hub answers quickly), or a local directory holding `model_index.json`.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foleykit.backends import BACKEND_BY_PIPELINE, BACKENDS, ModelInfo
from foleykit.backends.base import read_json
from foleykit.errors import ModelNotAvailableError

BUNDLED_DIR = Path(__file__).resolve().parent / "weights" / "bundled"
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
HUB_PROBE_SECONDS = 3.0
FULL_HASH_LIMIT_BYTES = 512 * 2**20


@dataclass(frozen=True)
class Alias:
    name: str
    hub_id: str | None  # None: the bundled model, shipped inside the package
    backend: str
    sample_rate: int
    channels: int
    max_duration: float
    about: str


ALIASES: dict[str, Alias] = {
    a.name: a
    for a in (
        Alias(
            "bundled", None, "bundled", 0, 1, 0.0, "foleykit's own foley model, trained here, works offline"
        ),
        Alias("audioldm", "cvssp/audioldm-s-full-v2", "audioldm", 16000, 1, 10.24, "AudioLDM S full v2"),
        Alias("audioldm-l", "cvssp/audioldm-l-full", "audioldm", 16000, 1, 10.24, "AudioLDM L full"),
        Alias("audioldm2", "cvssp/audioldm2", "audioldm2", 16000, 1, 10.24, "AudioLDM 2 (sound effects)"),
        Alias("audioldm2-large", "cvssp/audioldm2-large", "audioldm2", 16000, 1, 10.24, "AudioLDM 2 large"),
        Alias(
            "stable-audio",
            "stabilityai/stable-audio-open-1.0",
            "stable-audio",
            44100,
            2,
            47.55,
            "Stable Audio Open 1.0 (gated on the hub: accept its licence first)",
        ),
        Alias(
            "stable-audio-3",
            "stabilityai/stable-audio-3-medium",
            "stable-audio-3",
            44100,
            2,
            120.0,
            "Stable Audio 3 Medium, 8 steps; needs the diffusers-format repo (diffusers' docs load this id): "
            "an original checkpoint must be converted with diffusers' SA3 conversion script, then --model DIR",
        ),
        Alias(
            "stable-audio-3-small",
            "stabilityai/stable-audio-3-small",
            "stable-audio-3",
            44100,
            2,
            120.0,
            "Stable Audio 3 small (433 M DiT), 8 steps; diffusers format as for stable-audio-3",
        ),
    )
}


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are and what they make; nothing is loaded yet."""

    name: str  # as the user wrote it
    directory: Path
    info: ModelInfo
    hub_id: str | None = None
    revision: str | None = None  # hub commit of the cached snapshot
    built_in_memory: bool = False  # a pipeline object handed to Engine.from_pipeline: no files

    @property
    def backend(self) -> str:
        return self.info.backend

    def provenance(self) -> dict[str, Any]:
        """Model identity for sidecars: hub id + revision, or a digest of the weights on disk."""
        data: dict[str, Any] = {
            "name": self.name,
            "backend": self.backend,
            "pipeline": self.info.pipeline_class,
        }
        if self.built_in_memory:
            data.update(built_in_memory=True)
        elif self.hub_id:
            data.update(hub_id=self.hub_id, revision=self.revision)
        else:
            data.update(path=str(self.directory), weights_sha256=weights_digest(self.directory))
        return data


def _describe(directory: Path, name: str) -> ModelInfo:
    index = read_json(directory / "model_index.json")
    class_name = index.get("_class_name")
    backend = BACKEND_BY_PIPELINE.get(class_name)
    if backend is None:
        known = ", ".join(sorted(BACKEND_BY_PIPELINE))
        raise ModelNotAvailableError(f"model {name!r} is a {class_name}; foleykit runs {known}")
    return backend.describe(directory)


def _local(directory: Path, name: str) -> ModelSource:
    if not directory.is_dir():
        raise ModelNotAvailableError(f"model directory {directory} is not a directory")
    if not os.access(directory, os.R_OK | os.X_OK):
        raise ModelNotAvailableError(f"cannot read model directory {directory}: permission denied")
    if not (directory / "model_index.json").is_file():
        raise ModelNotAvailableError(
            f"{directory} is not a diffusers model directory (no model_index.json); "
            "save one with pipeline.save_pretrained(DIR)"
        )
    return ModelSource(name=name, directory=directory.resolve(), info=_describe(directory, name))


def _bundled() -> ModelSource:
    if not (BUNDLED_DIR / "model_index.json").is_file() or not any(BUNDLED_DIR.glob("unet/*.safetensors")):
        raise ModelNotAvailableError(
            "the bundled foley model's trained weights are not in this foleykit build yet "
            f"({BUNDLED_DIR} is empty); generate with --model DIR (a saved diffusers pipeline) or a hub id "
            "such as cvssp/audioldm2 — `foleykit models` lists them"
        )
    source = _local(BUNDLED_DIR, "bundled")
    if source.backend != "bundled":
        raise ModelNotAvailableError(f"{BUNDLED_DIR} does not hold a FoleyPipeline")
    return source


def hub_offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE", "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def hub_reachable(timeout: float = HUB_PROBE_SECONDS) -> bool:
    """Whether the hub endpoint answers an HTTP HEAD, the way the hub client would reach it: through the
    proxy the environment names (`HTTPS_PROXY`/`HTTP_PROXY`, `NO_PROXY`; urllib reads them as requests
    and httpx do), bounded in time even if name lookup hangs. Any HTTP answer counts but a proxy's
    502/504 (it could not reach the hub).
    """
    import http.client
    import urllib.error
    import urllib.request

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/") + "/"
    result: list[bool] = []

    def probe() -> None:
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler())  # the environment's proxies
            opener.open(urllib.request.Request(endpoint, method="HEAD"), timeout=timeout).close()
            result.append(True)
        except urllib.error.HTTPError as answer:  # the server answered; a gateway error is a proxy's "no",
            result.append(answer.code not in (407, 502, 504))  # and so is a proxy asking for credentials
        except (OSError, ValueError, http.client.HTTPException):  # no answer, or not one in HTTP
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(result and result[0])


def hub_cache_dir() -> Path:
    """The Hugging Face cache as the environment says now (HF_HUB_CACHE, else HF_HOME/hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def _cached_snapshot(hub_id: str) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        path = Path(snapshot_download(hub_id, local_files_only=True, cache_dir=hub_cache_dir()))
    except Exception:  # not in the cache (the hub client's error classes vary across versions)
        return None
    return path if (path / "model_index.json").is_file() else None


def _hub(hub_id: str, name: str) -> ModelSource:
    snapshot = _cached_snapshot(hub_id)
    if snapshot is None:
        how = (
            f"download it where the hub is reachable (`hf download {hub_id}`) and copy the Hugging Face cache "
            "here (set HF_HOME to it), or pass --model DIR with a saved copy"
        )
        if hub_offline():
            raise ModelNotAvailableError(
                f"model {hub_id} is not in the local cache and HF_HUB_OFFLINE is set: {how}"
            )
        if not hub_reachable():
            raise ModelNotAvailableError(
                f"model {hub_id} is not in the local cache and the hub cannot be reached: {how}"
            )
        from diffusers import DiffusionPipeline

        try:
            snapshot = Path(DiffusionPipeline.download(hub_id, cache_dir=hub_cache_dir()))
        except Exception as err:
            raise ModelNotAvailableError(f"could not download {hub_id}: {err}") from None
    return ModelSource(
        name=name, directory=snapshot, info=_describe(snapshot, name), hub_id=hub_id, revision=snapshot.name
    )


def resolve_model(name: str) -> ModelSource:
    """Find a model's files and read what it makes; raises `ModelNotAvailableError` with what to do."""
    name = name.strip()
    if name in ALIASES:
        alias = ALIASES[name]
        return _bundled() if alias.hub_id is None else _hub(alias.hub_id, name)
    path = Path(name).expanduser()
    if path.exists():
        return _local(path, name)
    if name.startswith(("/", ".", "~")) or name.endswith(("/", os.sep)) or name.count("/") > 1:
        raise ModelNotAvailableError(f"model directory {name} does not exist")
    if HUB_ID.match(name):
        return _hub(name, name)
    raise ModelNotAvailableError(
        f"unknown model {name!r}: use one of {', '.join(ALIASES)}, a hub id (owner/name) or a local directory"
    )


def weights_digest(directory: Path) -> str:
    """sha256 over every file of a model directory (path and bytes).

    Directories over 512 MiB are fingerprinted from each file's size and first and last MiB instead, and the
    digest is prefixed `sampled:` so it never passes for a full hash.
    """
    files = sorted(p for p in directory.rglob("*") if p.is_file() and ".cache" not in p.parts)
    full = sum(p.stat().st_size for p in files) <= FULL_HASH_LIMIT_BYTES
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(directory)).encode())
        size = path.stat().st_size
        digest.update(size.to_bytes(8, "little"))
        with path.open("rb") as fh:
            if full:
                for block in iter(lambda: fh.read(2**20), b""):
                    digest.update(block)
            else:
                digest.update(fh.read(2**20))
                fh.seek(max(size - 2**20, 0))
                digest.update(fh.read(2**20))
    return digest.hexdigest() if full else "sampled:" + digest.hexdigest()


def describe_models() -> list[dict[str, Any]]:
    """Every alias with what it makes and whether it can run here without the network."""
    rows = []
    for alias in ALIASES.values():
        row: dict[str, Any] = {
            "name": alias.name,
            "hub_id": alias.hub_id,
            "backend": alias.backend,
            "about": alias.about,
            "sample_rate": alias.sample_rate or None,
            "channels": alias.channels,
            "max_duration": alias.max_duration or None,
        }
        try:
            if alias.hub_id is None:
                source = _bundled()
            else:
                snapshot = _cached_snapshot(alias.hub_id)
                source = (
                    None
                    if snapshot is None
                    else ModelSource(alias.name, snapshot, _describe(snapshot, alias.name))
                )
        except ModelNotAvailableError:
            source = None
        row["offline"] = source is not None
        if source is not None:
            row.update(
                sample_rate=source.info.sample_rate,
                channels=source.info.channels,
                max_duration=round(source.info.max_duration, 3),
                path=str(source.directory),
            )
        rows.append(row)
    return rows


__all__ = ["ALIASES", "BACKENDS", "ModelSource", "describe_models", "resolve_model", "weights_digest"]
