"""Writing delivery files atomically: 24-bit WAV with provenance inside, JSON sidecars beside it.

Every file is written to a temporary name in the target folder, flushed to disk, then renamed into place:
a killed process leaves either the old file, the complete new one, or a stray `.tmp` file, never a
truncated WAV. Without `force`, the final step is a hard link that fails if the name was taken meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from foleykit.errors import BadInputError, DiskFullError, OutputExistsError

WAV_SUBTYPE = "PCM_24"


def _file_mode() -> int:
    """The mode a plainly created file would get (mkstemp's temporaries are private until renamed)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})  # disk full, quota, file-size limit


def disk_full(err: OSError, path: Path) -> DiskFullError:
    """The one-line error for a write refused for lack of space, naming the folder."""
    if err.errno == errno.EFBIG:  # a file-size limit (FAT32's 4 GiB, a quota on file size): space won't help
        why = err.strerror or "file too large"
        return DiskFullError(
            f"the file system of {Path(path).parent} refuses a file this large ({why}): {Path(path).name} "
            "was not written; what was finished before it is kept. Write to another file system (--out)"
        )
    return DiskFullError(
        f"no space left in {Path(path).parent} ({err.strerror or 'disk full'}): {Path(path).name} was not "
        "written; what was finished before it is kept. Free some space (or write elsewhere) and run it again"
    )


@contextlib.contextmanager
def _atomic_path(path: Path, force: bool) -> Iterator[Path]:
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f"{path.suffix}.tmp", dir=path.parent)
    except OSError as err:
        raise disk_full(err, path) if err.errno in NO_SPACE else err from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        tmp.chmod(FILE_MODE)
        if force:
            os.replace(tmp, path)
        else:
            _move_without_clobbering(tmp, path)
    except OSError as err:
        if err.errno in NO_SPACE:
            raise disk_full(err, path) from None
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _move_without_clobbering(tmp: Path, path: Path) -> None:
    """A hard link fails if `path` appeared meanwhile; filesystems without links get check-then-rename."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise OutputExistsError(f"{path} exists; pass --force to overwrite it") from None
    except OSError:
        if path.exists():
            raise OutputExistsError(f"{path} exists; pass --force to overwrite it") from None
        os.replace(tmp, path)


def write_atomic(path: Path, writer: Callable[[Path], None], *, force: bool = False) -> Path:
    """Run `writer(tmp_path)`, then move the finished file to `path` in one step."""
    with _atomic_path(Path(path), force) as tmp:
        writer(tmp)
    return Path(path)


def _info_text(value: str) -> str:
    # RIFF INFO strings are 8-bit text; keep them readable everywhere.
    return value.encode("ascii", "replace").decode("ascii")


def write_wav(
    path: Path,
    audio: np.ndarray,
    sample_rate: int,
    *,
    info: dict[str, str] | None = None,
    force: bool = False,
) -> Path:
    """24-bit PCM WAV of float audio (channels, samples); `info` fills its LIST/INFO chunk (title, comment…)."""
    data = np.clip(np.asarray(audio, dtype=np.float32).T, -1.0, 1.0)

    def writer(tmp: Path) -> None:
        with sf.SoundFile(tmp, "w", sample_rate, data.shape[1], WAV_SUBTYPE, format="WAV") as fh:
            for key, value in (info or {}).items():
                setattr(fh, key, _info_text(value))
            fh.write(data)

    return write_atomic(path, writer, force=force)


def _strict_json(value: Any) -> Any:
    """JSON has no NaN/Infinity: such floats (a scheduler's -inf clip, say) are written as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def write_json(path: Path, document: dict[str, Any], *, force: bool = False) -> Path:
    text = json.dumps(_strict_json(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), force=force)


def ensure_writable_dir(directory: Path) -> Path:
    """Create `directory` if needed and prove we can write there, before any expensive work."""
    directory = Path(directory)
    for part in (directory, *directory.parents):
        if part.exists() and not part.is_dir():
            where = "" if part == directory else f" (in {directory})"
            raise BadInputError(f"output folder {part}{where} is a file, not a folder: name a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".foleykit-write-test-"):
            pass
    except OSError as err:
        raise BadInputError(f"cannot write to output directory {directory}: {err.strerror or err}") from None
    return directory
