"""Synthetic videos with known event frames, for `foleykit.framesync.spot` (helpers, not tests).

Every moving thing follows a trajectory written in frame numbers, so the ground truth is exact at any
rate: times are chosen in seconds, rounded to frames once, and the motion is then defined on those
frames. The conventions are the detector's (see `foleykit.framesync.spot`):

- `impact` is the frame where the object is at its contact position: the bottom of a bounce, the turning
  point at a wall, or the first frame of the final rest pose after a sudden stop;
- `motion_start` is the first frame that differs from the rest pose;
- `flash` is the first bright frame; `cut` is the first frame of the new shot.

Scenes are not flat: a seeded smooth-noise texture with a gradient and a few static blocks, objects drawn
with anti-aliased (area-coverage) edges so that sub-pixel motion is real, and fresh Gaussian sensor noise
in every frame. Everything is seeded, so a (rate, seed, size) triple always gives the same file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from scipy import ndimage

RATES = (Fraction(24), Fraction(25), Fraction(30000, 1001))


@dataclass
class SyntheticVideo:
    """A written test video and what happens in it (`events`: (frame, kind), sorted by frame)."""

    path: Path
    rate: Fraction
    frame_count: int
    size: tuple[int, int]
    events: list[tuple[int, str]] = field(default_factory=list)
    start_tc: str | None = None


def _texture(rng: np.random.Generator, height: int, width: int, palette: np.ndarray) -> np.ndarray:
    """A static scene: smooth noise in two colours, a gradient, a few blocks. float32 (h, w, 3) in 0..255."""
    scale = max(2.0, width / 40)
    noise = ndimage.gaussian_filter(rng.standard_normal((height, width)), scale)
    noise = (noise - noise.mean()) / (noise.std() + 1e-9)
    fine = ndimage.gaussian_filter(rng.standard_normal((height, width)), 1.0)
    fine = fine / (fine.std() + 1e-9)
    mix = np.clip(0.5 + 0.22 * noise + 0.05 * fine, 0, 1)[..., None]
    ramp = np.linspace(-12, 12, width, dtype=np.float32)[None, :, None]
    image = palette[0] * (1 - mix) + palette[1] * mix + ramp
    for _ in range(4):  # static blocks: edges that never move
        bh, bw = rng.integers(height // 12, height // 5), rng.integers(width // 12, width // 5)
        y, x = rng.integers(0, height - bh), rng.integers(0, width - bw)
        image[y : y + bh, x : x + bw] = image[y : y + bh, x : x + bw] * 0.6 + rng.uniform(40, 200, 3) * 0.4
    return image.astype(np.float32)


def _coverage(start: float, length: float, n: int) -> np.ndarray:
    """Fraction of each pixel in 0..n covered by the interval [start, start + length)."""
    edges = np.arange(n, dtype=np.float32)
    return np.clip(np.minimum(edges + 1, start + length) - np.maximum(edges, start), 0, 1)


def _draw_square(image: np.ndarray, x: float, y: float, side: float, colour: np.ndarray) -> None:
    """Paint an anti-aliased square with a darker core (so it has inner edges) at a sub-pixel position."""
    height, width = image.shape[:2]
    for inset, tint in ((0.0, colour), (side * 0.3, colour * 0.55)):
        rows = _coverage(y + inset, side - 2 * inset, height)
        cols = _coverage(x + inset, side - 2 * inset, width)
        alpha = (rows[:, None] * cols[None, :])[..., None]
        image *= 1 - alpha
        image += alpha * tint


def _yuv420p(image: np.ndarray) -> np.ndarray:
    """RGB uint8 (h, w, 3) to limited-range BT.601 yuv420p planes stacked as PyAV wants them (h*3/2, w).

    Integer arithmetic on purpose: a float matrix product goes through BLAS, whose rounding depends on
    memory alignment, and one changed level in the input changes every x264 decision after it.
    """
    r, g, b = (image[..., i].astype(np.int32) for i in range(3))
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    cb = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
    cr = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
    height, width = y.shape

    def half(plane: np.ndarray) -> np.ndarray:
        quads = plane.reshape(height // 2, 2, width // 2, 2).sum(axis=(1, 3))
        return ((quads + 2) >> 2).reshape(height // 4, width)

    return np.clip(np.concatenate([y, half(cb), half(cr)]), 0, 255).astype(np.uint8)


def _frames(n: int, rate: Fraction, seconds: float) -> int:
    return n + round(seconds * rate)


def write_video(
    path: Path,
    rate: Fraction,
    frames: Iterator[np.ndarray],
    *,
    size: tuple[int, int],
    start_tc: str | None = None,
    codec: str = "libx264",
    crf: int = 18,
    exact_yuv: bool = True,
) -> int:
    """Encode RGB uint8 frames (h, w, 3) as yuv420p with libx264 (or mpeg4). Returns the frame count.

    The RGB to YUV conversion is done in numpy (`exact_yuv`): FFmpeg's, as bundled with PyAV here, does
    not give the same bytes twice. Even so, this libx264 build is not bit-reproducible from run to run
    (rarely, and not fixed by one thread or a synchronous lookahead), so tests assert rates with margins;
    mpeg4 on one thread is exact.
    """
    width, height = size
    count = 0
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "veryfast"}
        else:
            stream.bit_rate = 4_000_000
            stream.codec_context.thread_count = 1
        if start_tc:
            stream.metadata["timecode"] = start_tc  # the mov/mp4 muxer writes a tmcd track from this
        for image in frames:
            if exact_yuv:
                frame = av.VideoFrame.from_ndarray(_yuv420p(image), format="yuv420p")
            else:
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = count, 1 / rate
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
        for packet in stream.encode():
            container.mux(packet)
    return count


def _render(
    rate: Fraction,
    n_frames: int,
    size: tuple[int, int],
    seed: int,
    scene_at: Callable[[int], int],
    draw: Callable[[int, np.ndarray], None],
    flashes: frozenset[int] = frozenset(),
    noise: float = 2.0,
    shake: float = 0.0,
) -> Iterator[np.ndarray]:
    width, height = size
    rng = np.random.default_rng(seed)
    offset = np.zeros(2)
    scenes = [
        _texture(rng, height, width, np.array([[60, 70, 90], [150, 140, 120]], np.float32)),
        _texture(rng, height, width, np.array([[120, 50, 40], [230, 200, 90]], np.float32)),
    ]
    for frame in range(n_frames):
        image = scenes[scene_at(frame)].copy()
        draw(frame, image)
        if shake:  # a hand-held camera: a jittery, drifting whole-pixel offset of the whole picture
            offset = 0.7 * offset + rng.normal(0, shake, 2)
            dy, dx = (int(np.rint(v)) for v in offset)
            padded = np.pad(image, ((abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0)), mode="edge")
            image = padded[abs(dy) - dy : abs(dy) - dy + height, abs(dx) - dx : abs(dx) - dx + width]
        if frame in flashes:
            image = image * 0.2 + 255 * 0.8
        image += rng.normal(0, noise, image.shape[:2])[..., None]
        yield np.clip(image + 0.5, 0, 255).astype(np.uint8)


def event_reel(
    path: Path,
    rate: Fraction,
    *,
    size: tuple[int, int] = (320, 240),
    seed: int = 0,
    start_tc: str | None = None,
    codec: str = "libx264",
    jitter: bool = True,
    shake: float = 0.0,
) -> SyntheticVideo:
    """~5.5 s: a square falls in, bounces three times and lands (4 impacts), rests, is pushed right
    (motion start), hits a wall and comes back (impact), stops dead (impact); a one-frame white flash;
    a hard cut to another scene where a second square starts from rest and stops against a wall.

    `jitter` varies the event times and sizes a little with the seed, so several seeds are several tests;
    `shake` (px) moves the whole picture like a hand-held camera.
    """
    width, height = size
    rng = np.random.default_rng(seed + 1000)

    def vary(seconds: float) -> float:
        return seconds * (rng.uniform(0.85, 1.15) if jitter else 1.0)

    side = 0.12 * height
    floor = 0.88 * height - side  # the square's top y when it rests on the floor
    wall_x = 0.78 * width
    colour = np.array([235, 225, 210], np.float32) if seed % 2 == 0 else np.array([20, 25, 40], np.float32)

    # Bounces: contact frames and arc heights. The first arc starts before frame 0 (the square is falling).
    contacts = [_frames(0, rate, vary(0.5))]
    heights = [0.6 * height]
    lead = 2 * contacts[0] + round(0.2 * rate)  # the first arc's apex is before frame 0: already falling
    for seconds, arc in ((0.6, 0.45), (0.42, 0.2), (0.26, 0.06)):
        contacts.append(_frames(contacts[-1], rate, vary(seconds)))
        heights.append(arc * height * (rng.uniform(0.9, 1.1) if jitter else 1.0))
    landed = contacts[-1]
    push = _frames(landed, rate, vary(0.5))  # first frame that differs from the rest pose
    x0 = 0.12 * width
    turn = _frames(push, rate, vary(0.6))  # square at the wall
    speed_out = (wall_x - side - x0) / (turn - push + 1)  # px per frame
    stop = _frames(turn, rate, vary(0.5))
    speed_back = speed_out * 0.7
    flash = _frames(stop, rate, vary(0.45))
    cut = _frames(flash, rate, vary(0.5))
    start2 = _frames(cut, rate, vary(0.5))
    stop2 = _frames(start2, rate, vary(0.45))
    n_frames = _frames(stop2, rate, 0.5)

    x_b0, wall2_x = 0.6 * width, 0.15 * width
    speed2 = (x_b0 - wall2_x) / (stop2 - start2 + 1)

    def square_a(frame: int) -> tuple[float, float]:
        if frame <= landed:
            i = int(np.searchsorted(contacts, frame))  # the arc ending at contacts[i]
            end = contacts[i]
            begin = contacts[i - 1] if i else end - lead
            span = end - begin
            y = floor - heights[i] * 4 * (frame - begin) * (end - frame) / span**2
            return x0, y
        if frame < push:
            return x0, floor
        if frame <= turn:
            return x0 + speed_out * (frame - push + 1), floor
        x_turn = x0 + speed_out * (turn - push + 1)
        return x_turn - speed_back * (min(frame, stop) - turn), floor

    def square_b(frame: int) -> float:
        return x_b0 - speed2 * (min(max(frame, start2 - 1), stop2) - start2 + 1)

    def draw(frame: int, image: np.ndarray) -> None:
        if frame < cut:
            image[int(0.3 * height) : int(0.88 * height), int(wall_x) : int(wall_x) + 4] = (90, 40, 30)
            x, y = square_a(frame)
            _draw_square(image, x, y, side, colour)
        else:
            image[int(0.5 * height) :, int(wall2_x) - 4 : int(wall2_x)] = (30, 40, 90)
            _draw_square(
                image, square_b(frame), 0.55 * height, side * 1.3, np.array([40, 60, 200], np.float32)
            )

    events = [(f, "impact") for f in contacts]
    events += [(push, "motion_start"), (turn, "impact"), (stop, "impact"), (flash, "flash"), (cut, "cut")]
    events += [(start2, "motion_start"), (stop2, "impact")]
    frames = _render(
        rate, n_frames, size, seed, lambda f: int(f >= cut), draw, frozenset({flash}), shake=shake
    )
    count = write_video(Path(path), rate, frames, size=size, start_tc=start_tc, codec=codec)
    return SyntheticVideo(Path(path), rate, count, size, sorted(events), start_tc)


def still_scene(
    path: Path,
    rate: Fraction,
    seconds: float = 3.0,
    *,
    size: tuple[int, int] = (320, 240),
    seed: int = 0,
    start_tc: str | None = None,
    noise: float = 3.0,
    shake: float = 0.0,
) -> SyntheticVideo:
    """A textured scene with sensor noise (and maybe a shaking camera) and nothing happening in it: every
    event found is a false alarm."""
    n_frames = round(seconds * rate)
    frames = _render(rate, n_frames, size, seed, lambda f: 0, lambda f, image: None, noise=noise, shake=shake)
    count = write_video(Path(path), rate, frames, size=size, start_tc=start_tc)
    return SyntheticVideo(Path(path), rate, count, size, [], start_tc)


def benchmark_reel(
    path: Path,
    rate: Fraction,
    seconds: float,
    size: tuple[int, int],
    *,
    seed: int = 0,
    noise: float = 2.0,
    crf: int = 20,
) -> SyntheticVideo:
    """A long, large video for speed: the event reel's kind of content, repeated, rendered cheaply.

    Rendering full-size noise for every 1080p frame costs more than analysing it, so the scene, the
    square and a few noise fields are drawn once and reused; the picture still changes every frame.
    """
    width, height = size
    rng = np.random.default_rng(seed)
    scene = _texture(rng, height, width, np.array([[60, 70, 90], [150, 140, 120]], np.float32))
    noises = [rng.normal(0, noise, (height, width, 1)).astype(np.float32) for _ in range(4)]
    side = round(0.12 * height)
    n_frames = round(seconds * rate)
    floor = round(0.88 * height) - side
    period = round(1.2 * rate)

    def frames() -> Iterator[np.ndarray]:
        for frame in range(n_frames):
            phase = frame % period
            image = scene + noises[frame % len(noises)]
            y = floor - round(0.5 * height * 4 * phase * (period - phase) / period**2)
            x = round(0.1 * width + (0.7 * width) * abs(math.sin(frame / (2 * float(rate)))))
            image[y : y + side, x : x + side] = (235, 225, 210)
            yield np.clip(image, 0, 255).astype(np.uint8)

    count = write_video(Path(path), rate, frames(), size=size, crf=crf, exact_yuv=False)
    return SyntheticVideo(Path(path), rate, count, size, [], None)
