"""Automatic spotting: find the frames a sound designer would cue in a video (`foleykit spot`).

Four kinds of event, each assigned to one frame by a fixed convention (the synthetic test videos in
`tests/videos.py` define their ground truth the same way):

- `impact`: a moving object stops or reverses. The frame is the one where the object is at its contact
  position: the bottom of a bounce, the turning point at a wall, the first frame of the rest pose after a
  sudden stop. Only *sudden* changes count: a thrown ball's apex or a gentle roll to a halt reverse or
  stop as smoothly as their motion predicts, so they score near zero strength.
- `motion_start`: motion onset from rest; the first frame that differs from the rest pose.
- `cut`: a hard scene cut; the first frame of the new shot.
- `flash`: a sudden brightness change that is not a cut (a one-frame flash, a light switched on); the
  first bright frame.

How. Frames are decoded by PyAV (FFmpeg threads) and downscaled by FFmpeg to a small grey picture
(`ANALYSIS_WIDTH` px wide) before Python sees them; nothing full-size ever reaches numpy. Each frame step
(frame t-1 → t) keeps a few numbers (mean absolute difference, changed fraction, brightness, structure
correlation, differences to a few earlier frames) and the connected regions of changed pixels ("motion
groups": centroid, signed-difference moments, bounding box, overlap with the previous step's groups).
Then, with the whole video's context:

1. cuts and flashes are spikes of global change against the local median; a flash returns to the frame
   before it (or keeps its structure, only brighter or darker), a cut does not;
2. motion groups are chained into tracks by overlap (consecutive difference regions of one object share
   the object's position in the frame between them);
3. velocity along a track comes from the signed difference: its first moment over an object's region is
   exactly contrast x area x displacement, sub-pixel and whether the object overlaps itself or not.
   One least-squares fit per track against the region centroids (which lag half a frame) removes the
   unknown contrast x area, leaving each step's own velocity. So a reversal is a sign change between
   steps t and t+1 (impact at frame t), a stop is the last step of a track, a start the first after rest;
4. strength measures abruptness: the velocity after the event against the velocity the motion before it
   predicts (constant acceleration), in frame widths per second, scaled by the size of the change.

A pan or a shaking camera is compensated: phase correlation proposes the picture's translation, and the
previous frame is moved along before differencing, if that removes the change in several separate
places (a single moving object can win the correlation over a smooth background while the camera
stands still). Zooms and rotations are not modelled; steps that change most of the picture are left to
the cut and flash detectors.

The detectors are sensitivity-free: they propose candidates with a strength in 0..1, and `sensitivity`
only sets the strength a candidate needs (so a lower sensitivity never gives more events). Minimum
spacing then keeps the stronger of two events closer than `min_spacing` seconds, whatever their kinds.

Why hand-written numpy/scipy rather than a library: PySceneDetect covers only cuts and fades and would
pull in OpenCV (~60 MB) for one detector; OpenCV's optical flow would do motion, again at that price,
and still need the event logic above. On a 160-px grey picture these detectors cost about a millisecond
per frame, so decoding dominates. Known weak spots: objects whose contrast is no stronger than the
background's texture, dissolves (not detected), and objects that enter or leave the picture (their
appearance is not a motion start, their exit not an impact).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from foleykit.errors import BadInputError
from foleykit.framesync.video import Programme, probe_video

KINDS = ("impact", "motion_start", "cut", "flash")
ANALYSIS_WIDTH = 160  # px: enough to see a hand or a ball, small enough that analysis costs nothing

# Detector constants, on the 0..255 grey scale of the analysis picture and in analysis pixels.
_NOISE_FLOOR = 6.0  # a pixel "changed" if its difference exceeds this and 4.5 x the frame's noise
_GLOBAL_FRACTION = 0.3  # a step that changes this much of the picture is global (cut, flash, pan)
_LINK = 0.08  # parts of one moving object closer than this x width are one motion group
_ALIGN_ERROR = 0.5  # px: how far a camera-compensated edge may still be off
_FULL_GROUP = 0.15  # a group whose weaker polarity has this share of its change shows both edges


@dataclass(frozen=True)
class SpottedEvent:
    """One proposed cue: a 0-based frame (time 0 = the video's first frame), a kind, a strength 0..1."""

    frame: int
    kind: str
    strength: float


@dataclass
class SpotResult:
    """Events in frame order, the programme they are counted against, and what the analysis cost."""

    programme: Programme
    events: list[SpottedEvent]
    seconds: float  # analysis wall time, decoding included
    frames_analysed: int
    sensitivity: float = 0.5
    min_spacing: float = 0.2

    def seconds_of(self, frame: int) -> str:
        return _decimal(Fraction(frame) / self.programme.rate, 6)

    def to_dict(self) -> dict[str, Any]:
        duration = float(self.frames_analysed / self.programme.rate)
        return {
            "programme": self.programme.to_dict(),
            "sensitivity": self.sensitivity,
            "min_spacing_s": self.min_spacing,
            "frames_analysed": self.frames_analysed,
            "analysis_s": round(self.seconds, 3),
            "speed_x_realtime": round(duration / self.seconds, 2) if self.seconds > 0 else None,
            "events": [
                {
                    "frame": event.frame,
                    "timecode": self.programme.timecode_of(event.frame),
                    "seconds": float(self.seconds_of(event.frame)),
                    "kind": event.kind,
                    "strength": round(event.strength, 3),
                }
                for event in self.events
            ],
        }


def _decimal(value: Fraction, digits: int) -> str:
    """An exact rational as a decimal string rounded to `digits` places (no float on the way)."""
    scaled = round(value * 10**digits)
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}"


# ------------------------------------------------------------------------------------------------------
# Per-frame features (streaming)


@dataclass(slots=True)
class _Group:
    """A connected region of change in one frame step (analysis pixels, y down)."""

    cx: float  # |difference|-weighted centroid: halfway between the object's old and new position
    cy: float
    area: int  # changed pixels
    mass: float  # sum of |difference|
    pos: float  # sum of positive differences
    neg: float  # sum of |negative differences|
    dx: float  # centroid(positive) - centroid(negative): motion direction x sign of the object's contrast
    dy: float
    mx: float  # signed first moment sum((x - x_ref) * difference) over the linked region: for an object of
    my: float  # contrast c and area A moving by d, exactly c * A * d, sub-pixel and overlap or not
    bbox: tuple[int, int, int, int]  # y0, y1, x0, x1 of the changed pixels (end exclusive)
    border: bool  # touches the picture's edge: entering or leaving, not starting or stopping

    @property
    def full(self) -> bool:
        """Both the leading and the trailing edge are in the group, so (dx, dy) is a direction."""
        return min(self.pos, self.neg) >= _FULL_GROUP * (self.pos + self.neg)


@dataclass
class _Features:
    """Everything the event detectors need, per frame step t (frame t-1 → frame t; index 0 unused)."""

    width: int
    height: int
    lookback: int
    min_area: int = 6  # changed pixels: smaller regions are noise
    mad: list[float] = field(default_factory=lambda: [0.0])
    changed: list[float] = field(default_factory=lambda: [0.0])
    brightness: list[float] = field(default_factory=list)  # per frame
    correlation: list[float] = field(default_factory=lambda: [1.0])
    back: list[list[float]] = field(default_factory=lambda: [[]])  # mean |frame t - frame t-k|, k=1..
    groups: list[list[_Group]] = field(default_factory=lambda: [[]])
    links: list[list[tuple[int, int, int]]] = field(default_factory=lambda: [[]])  # (prev, cur, overlap)
    camera: list[tuple[float, float]] = field(default_factory=lambda: [(0.0, 0.0)])  # (dy, dx) compensated

    @property
    def frames(self) -> int:
        """Frames seen; steps are numbered 1 .. frames - 1."""
        return len(self.mad)


def _tiles(mask: np.ndarray) -> np.ndarray:
    """Which of the picture's 4x4 tiles hold any of `mask`: camera motion changes edges everywhere."""
    height, width = (n - n % 4 for n in mask.shape)
    return mask[:height, :width].reshape(4, height // 4, 4, width // 4).any(axis=(1, 3))


def _min_area(width: int, height: int) -> int:
    return max(6, round(3e-4 * width * height))


class _Analyser:
    """Consumes small grey frames one at a time and keeps only per-step features and a short history."""

    def __init__(self, width: int, height: int, lookback: int) -> None:
        self.features = _Features(width, height, lookback)
        self.history: list[np.ndarray] = []
        self.previous_labels: np.ndarray | None = None
        self.previous_index: np.ndarray | None = None
        self.noise: list[float] = []
        self.last_global = -(10**9)
        self.window = np.outer(np.hanning(height), np.hanning(width)).astype(np.float32)
        self.spectrum: np.ndarray | None = None
        self.link = max(2, round(_LINK * width))
        self.min_area = self.features.min_area = _min_area(width, height)
        yy, xx = np.mgrid[0:height, 0:width]
        self.yy, self.xx = yy.astype(np.float64), xx.astype(np.float64)

    def push(self, grey: np.ndarray) -> None:
        frame = grey.astype(np.float32)
        f = self.features
        f.brightness.append(float(frame.mean()))
        shift = self._camera(frame)
        if self.history:
            self._step(frame, shift)
        self.history.append(frame)
        if len(self.history) > f.lookback:
            self.history.pop(0)

    def _camera(self, frame: np.ndarray) -> tuple[float, float] | None:
        """The picture's translation since the previous frame (phase correlation), or None if unsure."""
        spectrum = np.fft.rfft2((frame - frame.mean()) * self.window)
        previous, self.spectrum = self.spectrum, spectrum
        if previous is None:
            return None
        cross = spectrum * np.conj(previous)
        surface = np.fft.irfft2(cross / (np.abs(cross) + 1e-9), s=frame.shape)
        iy, ix = np.unravel_index(int(np.argmax(surface)), surface.shape)
        peak = float(surface[iy, ix])
        if peak < 0.15:  # no single translation explains the change (a cut, a crowd, a zoom)
            return None
        height, width = surface.shape

        def refine(centre: int, minus: float, plus: float, size: int) -> float:
            curvature = minus - 2 * peak + plus
            offset = 0.5 * (minus - plus) / curvature if curvature < 0 else 0.0
            value = centre + offset
            return value - size if value > size / 2 else value

        dy = refine(iy, surface[(iy - 1) % height, ix], surface[(iy + 1) % height, ix], height)
        dx = refine(ix, surface[iy, (ix - 1) % width], surface[iy, (ix + 1) % width], width)
        return dy, dx

    def _camera_explains(self, before: np.ndarray, after: np.ndarray) -> bool:
        """Aligning removed the change of at least two separate regions, or of half the picture."""
        labels, count = ndimage.label(self._linked(before))
        if count == 0:
            return False
        changed = np.bincount(labels[before], minlength=count + 1)[1:]
        still = np.bincount(labels[before & ~after], minlength=count + 1)[1:]
        regions = int(((changed >= self.min_area) & (still >= 0.6 * changed)).sum())
        return regions >= 2 or int((_tiles(before) & ~_tiles(after)).sum()) >= 8

    def _linked(self, changed: np.ndarray) -> np.ndarray:
        """Changed pixels grown by the link distance, so that an object's two edges make one region."""
        size = 2 * self.link + 1
        return ndimage.uniform_filter(changed.astype(np.float32), size=size) > 0.5 / size**2

    def _step(self, frame: np.ndarray, shift: tuple[float, float] | None) -> None:
        f = self.features
        previous = self.history[-1]
        diff = frame - previous
        magnitude = np.abs(diff)
        # The noise level is a median over recent steps: a flash or a cut must not raise its own threshold.
        noise = 1.4826 * float(np.median(magnitude))
        threshold = max(_NOISE_FLOOR, 4.5 * float(np.median(self.noise or [noise])))
        changed = magnitude > threshold
        camera = (0.0, 0.0)
        if shift is not None and math.hypot(*shift) >= 0.25 and _tiles(changed).sum() >= 2:
            # Change in several places and a translation that may explain it: a pan or a shaking camera?
            # Compare with the previous frame moved along, so that only what moves against the scene
            # changes. Kept only if that removes most of the change, in several separate places or all
            # over the picture: a moving object can win the phase correlation (over a smooth background)
            # while the camera stands still, and aligning on it would only remove its own motion.
            aligned = ndimage.shift(previous, shift, order=1, mode="nearest")
            moved = frame - aligned
            margin_y, margin_x = (math.ceil(abs(v)) + 1 for v in shift)
            moved[:margin_y], moved[-margin_y:], moved[:, :margin_x], moved[:, -margin_x:] = 0, 0, 0, 0
            # Alignment is good to a fraction of a pixel and interpolation softens edges: on steep edges
            # (and thin lines) that alone makes a difference, so there a change must beat the slope too.
            gy, gx = np.gradient(aligned)
            tolerance = _ALIGN_ERROR * ndimage.maximum_filter(np.hypot(gy, gx), size=3)
            moved_magnitude = np.abs(moved)
            moved_changed = moved_magnitude > threshold + tolerance
            if moved_changed.mean() <= 0.5 * changed.mean() and self._camera_explains(changed, moved_changed):
                diff, magnitude, changed, camera = moved, moved_magnitude, moved_changed, shift
                noise = 1.4826 * float(np.median(moved_magnitude))
        f.camera.append(camera)
        self.noise.append(noise)
        if len(self.noise) > 25:
            self.noise.pop(0)
        fraction = float(changed.mean())
        f.mad.append(float(magnitude.mean()))
        f.changed.append(fraction)
        step = len(f.mad) - 1
        if fraction >= _GLOBAL_FRACTION:
            self.last_global = step
            a, b = frame - frame.mean(), previous - previous.mean()
            denominator = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
            f.correlation.append(float((a * b).sum()) / denominator if denominator > 1e-6 else 0.0)
        else:
            f.correlation.append(1.0)  # only read at global steps
        # Differences to earlier frames tell a flash (it comes back) from a cut; only needed shortly after
        # a global step, so most steps skip them.
        recent = step - self.last_global < f.lookback
        f.back.append([float(np.abs(frame - old).mean()) for old in reversed(self.history)] if recent else [])
        if fraction >= _GLOBAL_FRACTION or not changed.any():
            f.groups.append([])
            f.links.append([])
            self.previous_labels = None
            return
        groups, labels, index = self._groups(diff, changed)
        f.groups.append(groups)
        f.links.append(self._links(labels, index))
        self.previous_labels, self.previous_index = labels, index

    def _groups(self, diff: np.ndarray, changed: np.ndarray) -> tuple[list[_Group], np.ndarray, np.ndarray]:
        """Label changed pixels, linking parts closer than `self.link` (an object's two edges)."""
        labels, count = ndimage.label(self._linked(changed))
        index = np.full(count + 1, -1, dtype=np.int64)  # label -> group number (-1: too small)
        if count == 0:
            return [], labels, index
        own = np.where(changed, labels, 0)
        lab = own[changed]
        values = diff[changed].astype(np.float64)
        ys, xs = self.yy[changed], self.xx[changed]
        n = count + 1
        area = np.bincount(lab, minlength=n)
        pos_w, neg_w = np.maximum(values, 0), np.maximum(-values, 0)
        mag = pos_w + neg_w
        sums = {
            name: np.bincount(lab, weights=w, minlength=n)
            for name, w in (
                ("mass", mag),
                ("pos", pos_w),
                ("neg", neg_w),
                ("mx", xs * mag),
                ("my", ys * mag),
                ("px", xs * pos_w),
                ("py", ys * pos_w),
                ("nx", xs * neg_w),
                ("ny", ys * neg_w),
            )
        }
        # Signed moments over the whole linked region, so sub-threshold edge pixels count too.
        inside = labels > 0
        lab_all = labels[inside]
        d_all = diff[inside].astype(np.float64)
        x_all, y_all = self.xx[inside], self.yy[inside]
        pixels = np.bincount(lab_all, minlength=n)
        gx = np.bincount(lab_all, weights=x_all, minlength=n) / np.maximum(pixels, 1)
        gy = np.bincount(lab_all, weights=y_all, minlength=n) / np.maximum(pixels, 1)
        m0 = np.bincount(lab_all, weights=d_all, minlength=n)
        mx = np.bincount(lab_all, weights=x_all * d_all, minlength=n) - gx * m0
        my = np.bincount(lab_all, weights=y_all * d_all, minlength=n) - gy * m0
        boxes = ndimage.find_objects(own, max_label=count)
        height, width = diff.shape
        groups: list[_Group] = []
        for label in range(1, n):
            box = boxes[label - 1]
            if area[label] < self.min_area or box is None:
                continue
            mass, pos, neg = sums["mass"][label], sums["pos"][label], sums["neg"][label]
            dx = dy = 0.0
            if pos > 0 and neg > 0:
                dx = sums["px"][label] / pos - sums["nx"][label] / neg
                dy = sums["py"][label] / pos - sums["ny"][label] / neg
            y0, y1, x0, x1 = box[0].start, box[0].stop, box[1].start, box[1].stop
            index[label] = len(groups)
            groups.append(
                _Group(
                    cx=sums["mx"][label] / mass,
                    cy=sums["my"][label] / mass,
                    area=int(area[label]),
                    mass=float(mass),
                    pos=float(pos),
                    neg=float(neg),
                    dx=float(dx),
                    dy=float(dy),
                    mx=float(mx[label]),
                    my=float(my[label]),
                    bbox=(y0, y1, x0, x1),
                    border=y0 <= 0 or x0 <= 0 or y1 >= height or x1 >= width,
                )
            )
        return groups, labels, index

    def _links(self, labels: np.ndarray, index: np.ndarray) -> list[tuple[int, int, int]]:
        """Overlap (pixels) between the previous step's linked groups and this step's."""
        if self.previous_labels is None or self.previous_index is None:
            return []
        both = (self.previous_labels > 0) & (labels > 0)
        if not both.any():
            return []
        width = labels.max() + 1
        codes, counts = np.unique(self.previous_labels[both] * width + labels[both], return_counts=True)
        links = []
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            i, j = self.previous_index[code // width], index[code % width]
            if i >= 0 and j >= 0:
                links.append((int(i), int(j), int(count)))
        return links


# ------------------------------------------------------------------------------------------------------
# Detectors (whole-video context)


def _soft(value: float, scale: float) -> float:
    """0..1, saturating: 1 - exp(-value/scale), 0 for value <= 0."""
    return 1.0 - math.exp(-value / scale) if value > 0 else 0.0


def _global_events(f: _Features, rate: Fraction) -> tuple[list[SpottedEvent], np.ndarray]:
    """Cuts and flashes, and which steps they make useless for motion analysis."""
    end = f.frames  # step numbers run 1 .. end - 1
    mad = np.asarray(f.mad)
    invalid = np.zeros(end + 1, dtype=bool)  # step 0 and one past the last: "no step"
    invalid[0] = invalid[end] = True
    events: list[SpottedEvent] = []
    window = max(6, round(0.5 * float(rate)))
    t = 1
    while t < end:
        if f.changed[t] >= _GLOBAL_FRACTION:
            invalid[t] = True  # nothing local can be seen in a step that changes the whole picture
        lo, hi = max(1, t - window), min(end, t + window + 1)
        context = np.concatenate([mad[lo : max(lo, t - 1)], mad[min(hi, t + 2) : hi]])
        level = float(np.median(context)) if context.size else 0.0
        jump = mad[t] - 3.0 * level
        if f.changed[t] < _GLOBAL_FRACTION or jump < _NOISE_FLOOR:
            t += 1
            continue
        # A flash comes back: some frame t+j (j < lookback) is close to frame t-1 again.
        back_to = None
        for j in range(1, f.lookback - 1):
            if t + j >= end:
                break
            if f.back[t + j][j] <= 0.35 * mad[t]:
                back_to = j
                break
        shift = f.brightness[t] - f.brightness[t - 1]
        relit = abs(shift) >= 0.5 * mad[t] and f.correlation[t] >= 0.5  # same picture, other light
        if back_to is not None or relit:
            events.append(SpottedEvent(t, "flash", _soft(abs(shift), 20.0)))
            last = t + (back_to or 0)
            invalid[t : last + 1] = True
            t = last + 1
            continue
        events.append(SpottedEvent(t, "cut", _soft(jump, 10.0) * min(1.0, f.changed[t] / 0.5)))
        invalid[t] = True
        t += 1
    return events, invalid


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], margin: int) -> bool:
    return a[0] - margin < b[1] and b[0] - margin < a[1] and a[2] - margin < b[3] and b[2] - margin < a[3]


def _tracks(f: _Features, invalid: np.ndarray) -> list[list[tuple[int, int]]]:
    """Chain motion groups step to step by overlap, one-to-one, best match first.

    A match is scored by overlap times mass similarity, so that a speck of noise that happens to touch a
    moving object's region does not take its track over.
    """
    tracks: list[list[tuple[int, int]]] = []
    owner: dict[int, int] = {}  # group index at the previous step -> track

    def score(t: int, link: tuple[int, int, int]) -> float:
        a, b = f.groups[t - 1][link[0]].mass, f.groups[t][link[1]].mass
        return link[2] * min(a, b) / max(a, b, 1e-9)

    for t in range(1, f.frames):
        if invalid[t]:
            owner = {}
            continue
        current: dict[int, int] = {}
        if not invalid[t - 1]:
            for i, j, _ in sorted(f.links[t], key=lambda link: -score(t, link)):
                if i in owner and j not in current and owner[i] not in current.values():
                    current[j] = owner[i]
                    tracks[owner[i]].append((t, j))
        for j in range(len(f.groups[t])):
            if j not in current:
                current[j] = len(tracks)
                tracks.append([(t, j)])
        owner = current
    return tracks


def _track_velocities(groups: list[_Group], camera: np.ndarray) -> tuple[np.ndarray, bool]:
    """Per-step velocity (px/frame) of one track, and whether it is exact.

    The signed moment of step t is K * (p_t - p_(t-1)) with one unknown constant K per object (contrast x
    area, signed). The difference regions' centroids sit halfway between positions, so their steps are
    (v_t + v_(t-1)) / 2: a least-squares fit of the moments against them gives K, and then every step's
    own velocity, with no half-frame smear at a turn. Tracks that do not show enough motion to fit K fall
    back to the centroid steps (smeared, but sign changes are then found from the group directions).
    `camera` is each step's compensated picture shift (dy, dx): centroids move with it, moments do not.
    """
    centres = np.array([[g.cx, g.cy] for g in groups])
    moments = np.array([[g.mx, g.my] for g in groups])
    moves = np.diff(centres, axis=0) - camera[1:, ::-1]
    mean_moments = (moments[1:] + moments[:-1]) / 2
    energy = float((moves * moves).sum())
    if energy >= 4.0:
        scale = float((mean_moments * moves).sum()) / energy
        fit = float(np.linalg.norm(mean_moments - scale * moves)) / (abs(scale) * math.sqrt(energy) + 1e-9)
        if abs(scale) > 1e-6 and fit < 0.5:
            return moments / scale, True
    return np.vstack([moves[:1], moves]), False


def _capped(accel: np.ndarray, velocity: np.ndarray) -> np.ndarray:
    """Limit a finite-difference acceleration: one noisy step must not predict a huge velocity."""
    limit = 0.5 * float(np.linalg.norm(velocity)) + 0.5
    norm = float(np.linalg.norm(accel))
    return accel * (limit / norm) if norm > limit else accel


def _quiet_before(
    f: _Features, invalid: np.ndarray, t: int, group: _Group, rest: int, margin: int, weak: float
) -> bool:
    """No motion (groups of mass above `weak`) near `group` in the `rest` analysable steps before step t."""
    if t - rest < 1:
        return False
    for s in range(t - rest, t):
        if invalid[s] or any(g.mass > weak and _overlaps(g.bbox, group.bbox, margin) for g in f.groups[s]):
            return False
    return True


def _turns(v0: np.ndarray, v1: np.ndarray, floor: float) -> bool:
    """Some axis that carries a good part of the motion on both sides changes sign."""
    n0, n1 = float(np.linalg.norm(v0)), float(np.linalg.norm(v1))
    if n0 < floor or n1 < floor:
        return False
    return any(
        v0[axis] * v1[axis] < 0 and abs(v0[axis]) >= 0.35 * n0 and abs(v1[axis]) >= 0.35 * n1
        for axis in (0, 1)
    )


def _motion_events(f: _Features, invalid: np.ndarray, rate: Fraction) -> list[SpottedEvent]:
    """Impacts (reversals and stops) and motion starts along each track, scored by abruptness."""
    to_rel = float(rate) / f.width  # px/frame -> frame widths per second
    reference_area = 0.003 * f.width * f.height
    margin = max(2, round(_LINK * f.width))
    rest_steps = max(2, round(0.12 * float(rate)))
    events: list[SpottedEvent] = []

    def size_factor(*groups: _Group) -> float:
        return min(1.0, math.sqrt(max(g.area for g in groups) / reference_area))

    for track in _tracks(f, invalid):
        groups = [f.groups[t][i] for t, i in track]
        frames = [t for t, _ in track]
        # Encoder residue after the object stopped is not motion: drop a weak tail. Nor is what a
        # shaking camera leaves on an object's edges before it moves: drop a weak head.
        while len(groups) > 1 and groups[-1].mass < 0.1 * max(g.mass for g in groups[-4:-1]):
            groups.pop()
        head = 0
        while head < len(groups) - 1 and groups[head].mass < 0.2 * max(
            g.mass for g in groups[head + 1 : head + 4]
        ):
            head += 1
        groups, frames = groups[head:], frames[head : len(groups)]
        if len(groups) < 2:
            continue
        camera = np.array([f.camera[t] for t in frames], dtype=np.float64).reshape(-1, 2)
        velocity, exact = _track_velocities(groups, camera)
        n = len(groups)
        # Reversal between steps k and k+1: the object is at its turning point in frame frames[k].
        for k in range(n - 1):
            turned = (
                _turns(velocity[k], velocity[k + 1], 0.2)
                if exact
                else _reverses(groups[k], groups[k + 1], f.min_area)
            )
            if not turned or k == 0:
                continue  # no motion seen before the turn: nothing says it was sudden
            accel = _capped(velocity[k] - velocity[k - 1], velocity[k])
            if exact:
                change = float(np.linalg.norm(velocity[k + 1] - (velocity[k] + accel)))
            else:  # centroid steps straddle the turn: compare one step before with one step after it
                after = velocity[min(k + 2, n - 1)]
                change = float(np.linalg.norm(after - (velocity[k] + 2 * accel)))
            strength = _soft(change * to_rel, 0.6) * size_factor(groups[k], groups[k + 1])
            events.append(SpottedEvent(frames[k], "impact", strength))
        # Stop: the track ends while the next step is analysable and nothing there continues it.
        t_end, i_end = track[-1]
        ends = not invalid[t_end + 1] and all(link[0] != i_end for link in f.links[t_end + 1])
        if ends and not groups[-1].border:
            predicted = velocity[-1] + _capped(velocity[-1] - velocity[-2], velocity[-1])
            strength = _soft(float(np.linalg.norm(predicted)) * to_rel, 0.6) * size_factor(groups[-1])
            events.append(SpottedEvent(frames[-1], "impact", strength))
        # Start: the first real step of a track that continues nothing before, after a rest.
        t0, i0 = track[0]
        if groups[0].border or (not head and any(link[1] == i0 for link in f.links[t0])):
            continue
        weak = 0.2 * max(g.mass for g in groups[:3])
        if not _quiet_before(f, invalid, frames[0], groups[0], rest_steps, margin, weak):
            continue
        # Extrapolate the velocity back one step: a push jumps from rest, a fall from rest ramps up.
        jump = velocity[0] - _capped(velocity[1] - velocity[0], velocity[0]) if exact else velocity[0]
        strength = _soft(float(np.linalg.norm(jump)) * to_rel, 0.3) * size_factor(*groups[:3])
        events.append(SpottedEvent(frames[0], "motion_start", strength))
    return events


def _reverses(a: _Group, b: _Group, min_area: int) -> bool:
    """The motion turns back between two consecutive steps of one object (from group directions)."""
    if a.full and b.full:
        return _turns(np.array([a.dx, a.dy]), np.array([b.dx, b.dy]), 0.5)
    if a.full or b.full or min(a.area, b.area) < 3 * min_area:  # small one-sign specks: encoder noise
        return False
    # One edge only (a large object moving slowly): its change flips sign where it turns back.
    flips = (a.pos > a.neg) != (b.pos > b.neg)
    return flips and _overlaps(a.bbox, b.bbox, 1)


def _select(events: list[SpottedEvent], threshold: float, spacing_frames: float) -> list[SpottedEvent]:
    """Strong enough, then the stronger of any two closer than the spacing (greedy, strongest first)."""
    kept: list[SpottedEvent] = []
    for event in sorted(events, key=lambda e: (-e.strength, e.frame)):
        if event.strength < threshold:
            break
        if all(abs(event.frame - other.frame) >= spacing_frames for other in kept):
            kept.append(event)
    return sorted(kept, key=lambda e: e.frame)


def strength_threshold(sensitivity: float) -> float:
    """The strength an event needs: 0.8 at sensitivity 0, 0.4 at the default 0.5, anything at 1."""
    return 0.8 * (1.0 - sensitivity)


# ------------------------------------------------------------------------------------------------------
# API


def _check(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise BadInputError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise BadInputError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return number


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """The small grey picture the detectors see: `ANALYSIS_WIDTH` wide (never upscaled), even sizes."""
    small = min(ANALYSIS_WIDTH, width)
    small -= small % 2
    return max(2, small), max(2, 2 * round(height * small / width / 2))


def _decode(programme: Programme, progress: bool) -> _Features:
    """Decode with FFmpeg threads, downscale to grey in FFmpeg, feed the analyser."""
    import av
    from av.video.reformatter import VideoReformatter

    from foleykit.progress import progress_bar

    path = programme.video
    if path is None:
        raise BadInputError("spotting needs a video file, not a programme without picture")
    width, height = analysis_size(programme.width or ANALYSIS_WIDTH, programme.height or ANALYSIS_WIDTH)
    analyser = _Analyser(width, height, lookback=max(4, round(0.2 * float(programme.rate)) + 2))
    reformatter = VideoReformatter()  # one scaler for the whole video, not one per frame
    bar = progress_bar(total=programme.frame_count, unit="frame", desc="spot", disable=not progress)
    count = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # frame and slice threads
            # Deblocking only frames that no other frame references: nothing drifts, decoding is ~20 %
            # faster, and at analysis size a few levels on block edges are averaged away.
            stream.codec_context.options = {"skip_loop_filter": "noref"}
            for frame in container.decode(stream):
                small = reformatter.reformat(
                    frame, width=width, height=height, format="gray", interpolation="AREA"
                )
                analyser.push(small.to_ndarray())
                count += 1
                bar.update()
    except av.error.FFmpegError as err:
        reason = err.strerror or type(err).__name__
        raise BadInputError(f"{path}: decoding failed after {count} frames ({reason})") from None
    finally:
        bar.close()
    if count == 0:
        raise BadInputError(f"{path}: no frame could be decoded")
    return analyser.features


def spot_events(
    video: str | Path,
    *,
    sensitivity: float = 0.5,
    min_spacing: float = 0.2,
    start_tc: str | None = None,
    progress: bool = False,
) -> SpotResult:
    """Propose cues for `video`: impacts, motion starts, cuts and flashes, by frame (see module doc).

    sensitivity 0..1: higher gives more (weaker) events; min_spacing (s): of two events closer than
    this the stronger stays; start_tc overrides the container's start timecode (for the result's
    timecodes only; frames count from the first frame either way).
    """
    # 1. check inputs, 2. probe, 3. decode into features, 4. detect, 5. select.
    sensitivity = _check("sensitivity", sensitivity, 0.0, 1.0)
    min_spacing = _check("min_spacing", min_spacing, 0.0, 3600.0)
    began = time.perf_counter()
    programme = probe_video(video, start_tc=start_tc)
    features = _decode(programme, progress)
    global_events, invalid = _global_events(features, programme.rate)
    candidates = global_events + _motion_events(features, invalid, programme.rate)
    events = _select(candidates, strength_threshold(sensitivity), min_spacing * float(programme.rate))
    return SpotResult(
        programme=programme,
        events=events,
        seconds=time.perf_counter() - began,
        frames_analysed=features.frames,
        sensitivity=sensitivity,
        min_spacing=min_spacing,
    )


__all__ = [
    "KINDS",
    "SpotResult",
    "SpottedEvent",
    "analysis_size",
    "spot_events",
    "strength_threshold",
]
