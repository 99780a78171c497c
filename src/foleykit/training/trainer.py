"""Train the bundled model on synthesised foley, in three resumable stages, with accelerate.

    python -m foleykit.training RUN_DIR [--recipe bundled|tiny] [--stages vocoder,vae,unet]
                                        [--max-steps N] [--workers N] [--export DIR]
                                        [--init bundled|DIR] [--corpus DIR] [--budget-minutes N]

1. vocoder: SpeechT5HifiGan, log-mel → waveform (mel L1 + multi-resolution STFT losses; no discriminator);
2. vae: AutoencoderKL over log-mel (L1 + small KL), then the latent scaling factor from data; or, with
   the recipe's `latent_code="patch"`, a `MelPatchCode` fitted in closed form (a whitened PCA of log-mel
   cells: no steps, seconds), then, with `patch_refiner_channels` and vae steps, its decoder's refiner
   trained to undo latent noise (an init's fitted code is kept: `--init PATCH_MODEL --stages vae` gives
   a patch-code model a refiner without touching its UNet), and, with `patch_texture_levels`, its
   texture fitted in closed form to what the refiner leaves (patch_code.py);
3. unet: latent diffusion (epsilon prediction, min-SNR weighting, EMA weights) on frozen MiniLM states,
   with text dropout so the same network makes the unconditional prediction for guidance.

The vocoder depends on nothing else, so it can train in a second process beside the other two
(`--stages vocoder` and `--stages vae,unet` on one GPU). Each stage checkpoints with
`Accelerator.save_state` and resumes from its latest checkpoint, so a long CPU run can span several
sittings. A finished stage writes its module to RUN_DIR/stage_NAME/final; RUN_DIR/pipeline is the initial
pipeline with every finished module in it, and RUN_DIR/recipe.json holds the recipe (a rerun with another
recipe is refused). `--export` writes the model with its training record (training_recipe.json: recipe,
commands, corpus, stages, and the init's own record nested), so a model says how it was made.

Issue 14 adds three things, so that whatever compute is at hand is used:
- `--init bundled` (or a model directory): the run starts from trained weights instead of from scratch
  (the recipe's `init`); stages not asked for keep the init's modules, so `--stages unet` fine-tunes the
  UNet over the shipped VAE.
- `--corpus DIR`: real recordings (`foleykit.corpus`, train split) join the synthesised clips, drawn
  with the recipe's `real_share` of every batch; RUN_DIR/corpus.json records which corpus (its
  manifest's sha256), and a resumed run must use the same one.
- `--budget-minutes N`: each stage trains until its share of N minutes (the recipe's `*_budget_share`)
  is spent or its steps are done, then checkpoints and finishes as if done (for good: more time needs a
  new run, e.g. `--init` from this one's export), so `--export` always has a model. The learning rate
  follows the recipe's steps, so a budget shorter than they need ends before the schedule does: size
  `steps` to what the budget holds (the loss log gives seconds per step).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from foleykit.audio.io import write_atomic
from foleykit.errors import BadInputError
from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline
from foleykit.pipelines.foley.architecture import build_latent_code
from foleykit.pipelines.foley.descriptors import names_ringing_place
from foleykit.pipelines.foley.patch_code import MelPatchCode
from foleykit.pipelines.foley.pipeline_foley import LOG_MEL_FLOOR
from foleykit.synth import CLASSES
from foleykit.training.critic import MelPatchCritic, critic_loss, generator_terms
from foleykit.training.data import (
    WORDINGS,
    Corpus,
    CorpusSpec,
    build_corpus,
    class_wordings,
    emphasise_classes,
    with_composed_walks,
    with_real_clips,
    wording_texts,
    wordings_digest,
)
from foleykit.training.records import RECORD, model_record, record_text
from foleykit.training.text_states import TextStates

STAGES = ("vocoder", "vae", "unet")
KEEP_CHECKPOINTS = 2
MAX_SUBSONIC_CUTOFF_HZ = 40.0  # higher would take the low end of thumps and thunder with it


@dataclass(frozen=True)
class StageRecipe:
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int = 200
    clips_per_class: int = 600  # the stage's corpus; vae and unet share one when the sizes agree


@dataclass(frozen=True)
class TrainRecipe:
    """Everything that determines the trained weights (with the seeds it derives from `seed`)."""

    architecture: str = "default"
    latent_code: str = "vae"  # "patch": a fitted MelPatchCode instead of a trained VAE (architecture.py)
    clip_seconds: float = 4.0
    seed: int = 0
    captions_per_clip: int = 3
    # The committed weights' recipe (MODEL.md): vocoder and VAE ran on a GPU, the UNet on 2 CPU cores.
    vocoder: StageRecipe = field(default_factory=lambda: StageRecipe(8_500, 32, 5e-4, 500, 200))
    vae: StageRecipe = field(default_factory=lambda: StageRecipe(4_000, 32, 5e-4, 200, 600))
    unet: StageRecipe = field(default_factory=lambda: StageRecipe(2_500, 32, 6e-4, 200, 100))
    text_dropout: float = 0.1
    kl_weight: float = 1e-6
    mel_loss_weight: float = 45.0
    vocoder_segment_seconds: float = 0.5  # HiFi-GAN practice: short random crops, not whole clips
    # The VAE on random crops of this length instead of whole clips (None): it is convolutional, so a crop
    # teaches it as much per frame at a fraction of the cost (4 s clips: 5.6 s a step on 2 cores).
    vae_crop_seconds: float | None = None
    # "all", or "decoder": only the VAE's decoder learns; its encoder, and so the latent space and scale the
    # init model's UNet was trained in, stay as they are (a VAE fine-tune that needs no UNet retraining).
    vae_part: str = "all"
    # weight of an L1 loss on the reconstruction's frame-to-frame differences: plain L1 on log-mel lets the
    # decoder smear an onset across a latent cell (85 ms); this one asks for the step itself
    vae_onset_weight: float = 0.0
    # with a weight above 0, a mel-patch critic (training/critic.py) trains beside the VAE: hinge GAN loss
    # with this weight, plus feature matching with `vae_feature_weight`, so the decoder keeps texture
    vae_adversarial_weight: float = 0.0
    vae_feature_weight: float = 1.0
    # latent_code="patch": the width of the code's refiner (0: none); with vae steps above 0 the vae stage
    # trains it to undo latent noise of a standard deviation drawn per clip from [0, refiner_latent_noise]
    # (whitened units: the code's latents have unit variance), what a UNet's disagreeing cells look like
    patch_refiner_channels: int = 0
    refiner_latent_noise: float = 0.5
    # latent_code="patch": loudness bands of the texture the code's decoder adds (0: none, or the init's);
    # the vae stage fits it last, to the residual its refiner leaves on the corpus's mix of clips
    patch_texture_levels: int = 0
    min_snr_gamma: float = 5.0
    ema_decay: float = 0.9995
    checkpoint_every: int = 500
    log_every: int = 50
    mixed_precision: str = "bf16"  # on CUDA; CPU runs train in float32
    init: str | None = None  # start from these trained weights ("bundled" or a directory) instead of scratch
    real_share: float = 0.5  # with --corpus: the share of each batch drawn from real recordings
    # with --corpus: up to this share of a synthesised class's own draws go to its real recordings instead
    # (all of it from 10 recordings on, less for fewer; training/data.py)
    real_class_share: float = 0.0
    # the share of a labelled clip's draws captioned with one of its class's wordings (training/wordings.tsv)
    # instead of its own captions: prompts are worded in more ways than the captions are (since session 43 only
    # where the drawn caption names no place where the sound rings, and with wordings that name none either:
    # `rewordable`, `swap_wordings`)
    wording_share: float = 0.0
    # (class label, factor) pairs: that class's clips, synthesised and recorded, are weighted `factor` times
    # as much in every stage's draws, so classes whose prompts the judge seldom recognises get more of a
    # fine-tune's steps (pairs, not a dict, so that a recipe stays hashable; (): as the corpus has them)
    class_emphasis: tuple[tuple[str, float], ...] = ()
    # with --corpus: the share of each batch drawn from walks composed of the step classes' single-step
    # recordings and captioned as walks (training/data.py `with_composed_walks`; 0: none)
    walk_share: float = 0.0
    # with --corpus: recordings are read without what lies below this (Hz; DC and rumble, which the mel's lowest
    # band turns into boom: training/data.py `read_recording`); 0, as every recipe before session 47: as published
    subsonic_cutoff_hz: float = 0.0
    # conditioning augmentation (as StackGAN's, on text states): each training caption's MiniLM states get
    # Gaussian noise of this many times their own RMS, so that the UNet answers a neighbourhood of each
    # caption, where a paraphrase's states fall, and not the caption's exact states only (0: off)
    text_noise: float = 0.0
    # each stage's share of --budget-minutes (among the stages a run trains)
    vocoder_budget_share: float = 0.3
    vae_budget_share: float = 0.2
    unet_budget_share: float = 0.5

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainRecipe:
        """The inverse of `asdict` (a run's recipe.json, or a `--recipe-file`)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise BadInputError(f"unknown recipe fields: {', '.join(unknown)}")
        stages = {name: StageRecipe(**values[name]) for name in STAGES if name in values}
        if "class_emphasis" in values:  # JSON has lists where the recipe has tuples
            pairs = values["class_emphasis"]
            if not isinstance(pairs, list) or any(not isinstance(p, list) or len(p) != 2 for p in pairs):
                raise BadInputError(
                    'class_emphasis must be a list of [label, factor] pairs, e.g. [["bell", 3.0]]'
                )
            stages["class_emphasis"] = tuple((str(label), factor) for label, factor in pairs)
        return cls(**{**values, **stages})

    def arch(self) -> FoleyArchitecture:
        arch = FoleyArchitecture.tiny() if self.architecture == "tiny" else FoleyArchitecture()
        return replace(
            arch,
            latent_code=self.latent_code,
            patch_refiner_channels=self.patch_refiner_channels,
            patch_texture_levels=self.patch_texture_levels,
        )

    def stage(self, name: str) -> StageRecipe:
        return getattr(self, name)

    def budget_share(self, name: str) -> float:
        return float(getattr(self, f"{name}_budget_share"))

    def corpus(self, name: str, sample_rate: int) -> CorpusSpec:
        return CorpusSpec(
            sample_rate,
            self.clip_seconds,
            self.stage(name).clips_per_class,
            self.seed,
            self.captions_per_clip,
        )


_BASE = TrainRecipe()
_REAL = replace(
    _BASE,
    vae=StageRecipe(1_100, 32, 2e-4, 100, 100),
    unet=StageRecipe(2_400, 32, 2e-4, 100, 100),
    vae_crop_seconds=1.0,
    real_share=0.4,
    checkpoint_every=200,
    log_every=25,
    init="bundled",
    vae_budget_share=0.25,
    unet_budget_share=0.75,
)
_DECODER = replace(
    _REAL,
    vae=StageRecipe(1_200, 32, 2e-4, 100, 100),
    vae_part="decoder",
    real_share=0.5,
    vae_budget_share=1.0,
)
# The vae stage of a patch-code recipe only fits the code (seconds, no steps): the UNet gets the budget.
_PATCH = replace(
    _REAL,
    latent_code="patch",
    vae=StageRecipe(0, 32, 0.0, 0, 100),
    vae_budget_share=0.02,
    unet_budget_share=0.98,
)
# Version 3's last step (session 12, after "bundled-patch-refiner"): the UNet fine-tuned with each class's
# real recordings drawn in place of up to 80 % of its synthesised clips (70 % of all draws real, against
# 40 %), so that classes whose takes followed the synthesiser (wind, rain, birds) hear their recordings;
# code and refiner kept (--init DIR --stages unet --corpus DIR; 38 min on 2 cores).
_PATCH_CLASSES = replace(_PATCH, unet=StageRecipe(3_000, 32, 2e-4, 100, 100), real_class_share=0.8)
# Versions 7 on (session 20's step): users' wordings in 30 % of the captions and conditioning augmentation
_PATCH_WORDNOISE = replace(_PATCH_CLASSES, text_noise=0.25, wording_share=0.3)
RECIPES = {
    "bundled": _BASE,
    # The committed weights' second step (issue 14): the UNet of "bundled" fine-tuned on the CPU for
    # 45 minutes with real recordings in 30 % of each batch (--init bundled --stages unet --corpus DIR).
    "bundled-finetune": replace(
        _BASE,
        unet=StageRecipe(2_400, 32, 2e-4, 100, 100),
        real_share=0.3,
        checkpoint_every=200,
        log_every=25,
        init="bundled",
    ),
    # Issue 14's next step on the CPU (measured in MODEL.md, not shipped): the VAE fine-tuned with real
    # recordings too (its round trip of real clips loses most), then the UNet on its latents; 40 % real.
    "bundled-real": _REAL,
    # Issue 14, session 7 (measured in MODEL.md, not shipped): only the VAE's decoder fine-tuned, with real
    # recordings in half of each batch; the encoder, latent space and UNet stay, so no UNet retraining is
    # needed (--init bundled --stages vae --corpus DIR). With an onset loss, or with a mel-patch critic
    # (hinge GAN + feature matching; the weights of the gentler of two trials).
    "bundled-decoder": replace(_DECODER, vae_onset_weight=1.0),
    "bundled-decoder-gan": replace(
        _DECODER,
        vae=StageRecipe(1_200, 16, 1e-4, 100, 100),
        vae_adversarial_weight=0.03,
        vae_feature_weight=2.0,
    ),
    # session 7's best decoder (a scratch script then; MODEL.md): a stronger critic, 800 steps of 16
    # crops of ~1 s (96 frames), no warm-up
    "bundled-decoder-critic": replace(
        _DECODER,
        vae=StageRecipe(800, 16, 1e-4, 0, 100),
        vae_crop_seconds=1.1,
        vae_adversarial_weight=0.1,
        vae_feature_weight=1.0,
    ),
    # The GPU job (python -m foleykit.training.job, issue 14): "bundled-real" at GPU batch sizes, sized
    # for about 8 minutes of an H200 (UNet ~110 ms a step at batch 128 on an H100 shared with another
    # process); the budget ends a stage early if the GPU is slower than that. The VAE trains with the
    # critic of "bundled-decoder-gan" (on the CPU, decoder-only trials with it brought the VAE's round trip of
    # real recordings nearer the originals, Fréchet 80 → 40–72; MODEL.md), the UNet then learns its latents.
    "bundled-gpu": replace(
        _REAL,
        vae=StageRecipe(4_000, 64, 2e-4, 200, 100),
        unet=StageRecipe(3_000, 128, 2e-4, 200, 100),
        vae_adversarial_weight=0.03,
        vae_feature_weight=2.0,
        checkpoint_every=1_000,
        log_every=50,
        vae_budget_share=0.3,
        unet_budget_share=0.7,
    ),
    # Issue 14, session 10: the latent space of session 9's measurement — a fitted MelPatchCode (whitened
    # PCA of 8 × 8 log-mel cells, 16 channels; a code of real recordings that the judge recognises almost
    # twice as often as the VAE's) in place of the VAE, and the UNet relearnt on it from version 2's weights
    # (its text side and layout carry over; its input and output channels now mean other things), 40 % real.
    # Version 3's first step (session 11: 5,800 steps, 73 min on 2 CPU cores; session 10 ran 3,600), then
    # "bundled-patch-refiner", then "bundled-patch-classes".
    "bundled-patch": replace(_PATCH, unet=StageRecipe(5_800, 32, 4e-4, 100, 100)),
    # The GPU job's default (session 12): "bundled-patch-classes" at GPU batch sizes from version 3 (--init
    # bundled), its code and refiner kept; the UNet gets nearly all of the ~8 minutes
    # (~110 ms a step at batch 128 on a shared H100: 4,000 steps in ~7.5 minutes). Since session 28 with the
    # conditioning augmentation and users' wordings of versions 4 and 7 (text_noise, wording_share): without
    # them ~500k draws from version 10 would unlearn what those gained on prompts worded as users word them;
    # since session 34 with version 13's composed walks (walk_share) for the same reason
    "bundled-patch-gpu": replace(
        _PATCH_WORDNOISE,
        unet=StageRecipe(4_000, 128, 2e-4, 200, 100),
        walk_share=0.08,
        checkpoint_every=1_000,
        log_every=50,
    ),
    # A refiner for a patch-code model's decoder (--init DIR --stages vae, DIR a patch-code model): its code
    # and UNet stay as they are; 1 s crops, 24 a batch (~0.5 s a step on 2 CPU cores)
    "bundled-patch-refiner": replace(
        _PATCH,
        patch_refiner_channels=32,
        vae=StageRecipe(1_200, 24, 1e-3, 100, 100),
        vae_onset_weight=1.0,
        vae_budget_share=0.98,
        unet_budget_share=0.02,
    ),
    "bundled-patch-classes": _PATCH_CLASSES,  # version 3's last step (above)
    # Sessions 13-14: version 3's UNet on, with 30 % of each labelled clip's draws captioned by one of its
    # class's wordings (training/wordings.tsv): prompts worded unlike any caption were heard half as often
    # as captions (--init bundled --stages unet --corpus DIR; measured, not shipped: MODEL.md)
    "bundled-patch-wordings": replace(_PATCH_CLASSES, wording_share=0.3),
    # version 4 (session 16): version 3's fine-tune again, from version 3, with conditioning augmentation
    "bundled-patch-textnoise": replace(_PATCH_CLASSES, text_noise=0.25),
    # session 20: both, from version 6 (--init bundled --stages unet --corpus DIR; 32 min on 2 cores):
    # prompts worded as users word them +5.5 points, captions -5.2 (measured, not shipped: MODEL.md)
    "bundled-patch-wordnoise": _PATCH_WORDNOISE,
    # session 26: the wordings step from version 10 with the classes whose worded prompts the judge seldom
    # recognises (dev set: door creaks, bells, gravel and wooden steps, door slams, drips) drawn 3x as often,
    # sized for ~40 minutes of a slow 2-core machine (--init bundled --stages unet --corpus DIR; MODEL.md)
    "bundled-patch-weak": replace(
        _PATCH_WORDNOISE,
        unet=StageRecipe(1_000, 32, 2e-4, 100, 100),
        class_emphasis=tuple(
            (label, 3.0)
            for label in (
                "door_creak",
                "bell",
                "footsteps_gravel",
                "footsteps_wood",
                "door_slam",
                "water_drip",
            )
        ),
    ),
    # version 13 (session 34): session 26's wordings step from version 12 with 8 % of the draws walks composed
    # of the step classes' single steps (--init bundled --stages unet --corpus DIR; 2,400 steps in 31 min on 2
    # cores), then averaged 0.5/0.5 with version 12
    "bundled-patch-walks": replace(
        _PATCH_WORDNOISE, unet=StageRecipe(2_400, 32, 2e-4, 100, 100), walk_share=0.08
    ),
    # version 6 (session 19): a patch-code model's texture (--init DIR --stages vae --corpus DIR), fitted on
    # the mix of clips version 4's UNet was trained on; its code, refiner and UNet kept (no steps: seconds)
    "bundled-patch-texture": replace(
        _PATCH_CLASSES,
        patch_texture_levels=7,
        vae=StageRecipe(0, 32, 0.0, 0, 100),
        vae_budget_share=0.98,
        unet_budget_share=0.02,
    ),
    "tiny": TrainRecipe(
        architecture="tiny",
        clip_seconds=1.0,
        vocoder=StageRecipe(4, 2, 1e-3, warmup_steps=1, clips_per_class=1),
        vae=StageRecipe(4, 2, 1e-3, warmup_steps=1, clips_per_class=1),
        unet=StageRecipe(4, 2, 1e-3, warmup_steps=1, clips_per_class=1),
        ema_decay=0.9,
        checkpoint_every=2,
        log_every=1,
        wording_share=0.5,  # the wordings' path, packed text states included, runs in the dry runs
        text_noise=0.25,  # and the conditioning augmentation's
    ),
}


# ---------------------------------------------------------------------------------------------- losses
def multi_resolution_stft_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Spectral convergence + log-magnitude distance at three resolutions (Parallel WaveGAN's recipe)."""
    pred, target = pred.float(), target.float()
    total = pred.new_zeros(())
    for n_fft, hop in ((512, 128), (1024, 256), (2048, 512)):
        n_fft = min(n_fft, pred.shape[-1])
        window = torch.hann_window(n_fft, device=pred.device)
        p = torch.stft(pred, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-7)
        t = torch.stft(target, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-7)
        total = total + torch.linalg.norm(t - p) / torch.linalg.norm(t) + F.l1_loss(p.log(), t.log())
    return total / 3


def _mel_images(pipe: FoleyPipeline, waveforms: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """(clips, 1, frames, mels) log-mel, frames cut to what the VAE and UNet can halve evenly."""
    mel = torch.cat([pipe.log_mel(waveforms[i : i + batch]) for i in range(0, len(waveforms), batch)])
    frames = mel.shape[1] // pipe.frame_multiple * pipe.frame_multiple
    return mel[:, None, :frames].contiguous()


Loss = Callable[[torch.Tensor], torch.Tensor]  # batch indices → scalar loss


@dataclass
class StageTask:
    """What a stage trains and how: the module, its loss, and what to do with it once trained."""

    model: torch.nn.Module
    loss: Loss
    finish: Callable[[torch.nn.Module], None] = lambda model: None
    extra_state: list[Any] = field(default_factory=list)  # checkpointed alongside (e.g. the EMA weights)
    frozen: Sequence[torch.nn.Module] = ()  # parts of `model` that keep their weights
    # an adversary trained beside `model`, one step after each of its steps, on `critic_loss()` (which
    # reads what the last `loss` call made); checkpointed with it, discarded at the end
    critic: torch.nn.Module | None = None
    critic_loss: Callable[[], torch.Tensor] | None = None
    after_step: Callable[[torch.nn.Module], None] = lambda model: None


def vocoder_task(pipe: FoleyPipeline, corpus: Corpus, recipe: TrainRecipe, device: torch.device) -> StageTask:
    waveforms = corpus.waveforms.to(device)
    segment = int(recipe.vocoder_segment_seconds * pipe.sample_rate) // pipe.hop_length * pipe.hop_length
    segment = min(segment, waveforms.shape[-1] // pipe.hop_length * pipe.hop_length)
    hops = (waveforms.shape[-1] - segment) // pipe.hop_length + 1

    with torch.no_grad():  # the vocoder normalises its input with the corpus's mel statistics
        mel = torch.cat([pipe.log_mel(waveforms[i : i + 256]) for i in range(0, len(waveforms), 256)])
        pipe.vocoder.mean.copy_(mel.mean(dim=(0, 1)))
        pipe.vocoder.scale.copy_(mel.std(dim=(0, 1)).clamp_min(1e-3))
        del mel

    def loss(index: torch.Tensor) -> torch.Tensor:
        starts = torch.randint(0, hops, (len(index),), device=device) * pipe.hop_length
        offsets = starts[:, None] + torch.arange(segment, device=device)
        wave = waveforms[index[:, None], offsets]
        mel = pipe.log_mel(wave)
        pred = pipe.vocoder(mel).float()
        target = wave[:, : pred.shape[-1]]
        return recipe.mel_loss_weight * F.l1_loss(pipe.log_mel(pred), mel) + multi_resolution_stft_loss(
            pred, target
        )

    return StageTask(pipe.vocoder, loss)


def _crop_starts(images: torch.Tensor, crop: int, multiple: int) -> torch.Tensor:
    """The latest start of a `crop`-frame window for each clip that still holds its sound: crops drawn
    from a short recording padded with silence should land on the recording, not on the padding."""
    frames = images.shape[2]
    loud = images[:, 0].amax(dim=2) > math.log(LOG_MEL_FLOOR) + 1.0  # (clips, frames) above the floor
    last = frames - 1 - loud.flip(1).float().argmax(dim=1)  # last loud frame (0 where none is)
    latest = (last - crop // 2).clamp(0, frames - crop)
    return latest // multiple * multiple


def _mel_crops(
    pipe: FoleyPipeline, images: torch.Tensor, recipe: TrainRecipe, device: torch.device
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Batch indices → their clips' log-mel, whole or (with `vae_crop_seconds`) a random window per clip
    on the frame grid the VAE and UNet halve evenly."""
    crop = images.shape[2]
    if recipe.vae_crop_seconds is not None:
        wanted = int(recipe.vae_crop_seconds * pipe.sample_rate / pipe.hop_length)
        crop = max(pipe.frame_multiple, min(crop, wanted // pipe.frame_multiple * pipe.frame_multiple))
    if crop == images.shape[2]:
        return lambda index: images[index]
    latest = _crop_starts(images, crop, pipe.frame_multiple)

    def crops(index: torch.Tensor) -> torch.Tensor:
        starts = (torch.rand(len(index), device=device) * (latest[index] + 1)).long()
        starts = starts // pipe.frame_multiple * pipe.frame_multiple
        pairs = zip(index.tolist(), starts.tolist(), strict=True)
        return torch.stack([images[i, :, s : s + crop] for i, s in pairs])

    return crops


def _reconstruction_loss(
    reconstruction: torch.Tensor, image: torch.Tensor, recipe: TrainRecipe
) -> torch.Tensor:
    """L1 on log-mel, plus (with `vae_onset_weight`) L1 on its frame-to-frame steps."""
    total = F.l1_loss(reconstruction, image)
    if recipe.vae_onset_weight:
        total = total + recipe.vae_onset_weight * F.l1_loss(reconstruction.diff(dim=2), image.diff(dim=2))
    return total


def vae_task(pipe: FoleyPipeline, corpus: Corpus, recipe: TrainRecipe, device: torch.device) -> StageTask:
    with torch.no_grad():
        images = _mel_images(pipe, corpus.waveforms.to(device))
    crops = _mel_crops(pipe, images, recipe, device)
    decoder_only = recipe.vae_part == "decoder"
    critic = MelPatchCritic().to(device) if recipe.vae_adversarial_weight > 0 else None
    last: list[torch.Tensor] = []  # the last batch's (real, reconstructed) mel, for the critic's step

    def loss(index: torch.Tensor) -> torch.Tensor:
        image = crops(index)
        with torch.set_grad_enabled(not decoder_only):
            posterior = pipe.vae.encode(image).latent_dist
        reconstruction = pipe.vae.decode(posterior.sample()).sample.float()
        total = _reconstruction_loss(reconstruction, image, recipe)
        if critic is not None:
            last[:] = [image, reconstruction.detach()]
            adversarial, matching = generator_terms(critic, image, reconstruction)
            total = total + recipe.vae_adversarial_weight * adversarial + recipe.vae_feature_weight * matching
        return total if decoder_only else total + recipe.kl_weight * posterior.kl().mean()

    @torch.no_grad()
    def finish(vae: torch.nn.Module) -> None:  # unit-variance latents, as the diffusion schedule assumes
        if decoder_only:
            return  # the encoder, so the latents and their scale, did not change
        sample = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:512]]
        std = torch.cat(
            [vae.encode(sample[i : i + 64]).latent_dist.sample() for i in range(0, len(sample), 64)]
        )
        vae.register_to_config(scaling_factor=1.0 / max(std.float().std().item(), 1e-6))

    vae = pipe.vae
    frozen = (vae.encoder, vae.quant_conv) if decoder_only else ()
    return StageTask(
        vae,
        loss,
        finish,
        frozen=tuple(m for m in frozen if m is not None),
        critic=critic,
        critic_loss=None if critic is None else lambda: critic_loss(critic, *last),
    )


def refiner_task(
    pipe: FoleyPipeline, images: torch.Tensor, corpus: Corpus, recipe: TrainRecipe, device: torch.device
) -> StageTask:
    """A fitted patch code's refiner learns to give back the log-mel of a clip (`images`: the corpus's, from
    `_mel_images`) from its latents with noise added: the code itself (its buffers) stays as fitted, so the
    latents a UNet learns do not change; its texture, if it has one, is fitted afresh once the refiner is
    trained."""
    code = pipe.vae
    crops = _mel_crops(pipe, images, recipe, device)

    def loss(index: torch.Tensor) -> torch.Tensor:
        image = crops(index)
        with torch.no_grad():
            latents = code.encode(image).latent_dist.mode()
            noise = torch.rand(len(index), 1, 1, 1, device=device) * recipe.refiner_latent_noise
            latents = latents + noise * torch.randn_like(latents)
        return _reconstruction_loss(code.decode(latents, texture=False).sample.float(), image, recipe)

    return StageTask(code, loss, finish=lambda _: _fit_texture(code, images, corpus.weights))


def _fit_texture(code: MelPatchCode, images: torch.Tensor, weights: torch.Tensor | None) -> None:
    """A patch code's texture, where it has one, fitted last (in closed form, the same on every process):
    to what its refiner, as trained, leaves on the corpus's log-mel `images`, the mix the UNet learns from."""
    if code.config.texture_levels:
        code.fit_texture(images, weights)


def wording_table(wordings: dict[str, tuple[str, ...]], row: dict[str, int]) -> torch.Tensor:
    """(classes, most wordings) text rows: each class's wordings, then -1 to the width of the longest list."""
    width = max((len(texts) for texts in wordings.values()), default=1)
    table = torch.full((len(CLASSES), width), -1, dtype=torch.long)
    for label, texts in wordings.items():
        table[CLASSES.index(label), : len(texts)] = torch.tensor([row[text] for text in texts])
    return table


def reworded(rows: torch.Tensor, labels: torch.Tensor, table: torch.Tensor, share: float) -> torch.Tensor:
    """`rows` (text rows of a batch) with `share` of the labelled clips' swapped for one of their class's
    wordings (`wording_table`), each as likely; clips outside the classes (label -1) keep theirs."""
    counts = table.ge(0).sum(dim=1)[labels.clamp(min=0)]
    pick = (torch.rand(labels.shape, device=labels.device) * counts).long().clamp(max=table.shape[1] - 1)
    picked = table[labels.clamp(min=0), pick]
    swap = (labels >= 0) & (counts > 0) & (torch.rand(labels.shape, device=labels.device) < share)
    return torch.where(swap, picked, rows)


def rewordable(captions: tuple[tuple[str, ...], ...]) -> torch.Tensor:
    """(clips, captions) True where a caption may be swapped for a plain class wording: it names no place where
    the sound rings (`descriptors.names_ringing_place`: a room, a hall, a cave, an echo). Since session 43 the
    synthesiser names a room whenever its clip rings, so a plain caption means a dry clip (doors, always in a room,
    and distant outdoor-only sounds' echo aside); a swap on "…, in a large hall" or on a cave recording's
    "a slow drip echoing in a cave" would teach plain prompts the reverb."""
    return torch.tensor([[not names_ringing_place(text) for text in texts] for texts in captions])


def drawn_captions(
    caption_rows: torch.Tensor,
    may_reword: torch.Tensor,
    labels: torch.Tensor,
    wording_rows: torch.Tensor,
    index: torch.Tensor,
    share: float,
) -> torch.Tensor:
    """The text row of each clip in `index`: one of its captions, each as likely, then (with `share` > 0) swapped
    for a class wording at `share` where `may_reword` allows it (`rewordable`), so a caption naming a ringing
    place always keeps its words, as does an unlabelled clip's (label -1)."""
    choice = torch.randint(0, caption_rows.shape[1], (len(index),), device=caption_rows.device)
    rows = caption_rows[index, choice]
    if share > 0:
        plain = torch.where(may_reword[index, choice], labels[index], -1)
        rows = reworded(rows, plain, wording_rows, share)
    return rows


def swap_wordings(wordings: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The wordings a plain caption may be swapped for: those naming no place where the sound rings ("footfalls in
    an empty stone corridor" is no paraphrase of a dry step's caption)."""
    return {
        label: tuple(text for text in texts if not names_ringing_place(text))
        for label, texts in wordings.items()
    }


def augmented(states: torch.Tensor, mask: torch.Tensor, worded: torch.Tensor, scale: float) -> torch.Tensor:
    """Text states with Gaussian noise of `scale` times each caption's RMS over its real tokens, on the
    worded rows only (the empty caption of text dropout stays the unconditional input) and real tokens."""
    keep = mask.unsqueeze(-1).to(states.dtype)
    rms = ((states.float() ** 2 * keep).sum(dim=(1, 2)) / (keep.sum(dim=(1, 2)) * states.shape[-1])).sqrt()
    sigma = (scale * rms * worded.float()).to(states.dtype)[:, None, None]
    return states + torch.randn_like(states) * sigma * keep


def unet_task(
    pipe: FoleyPipeline,
    corpus: Corpus,
    recipe: TrainRecipe,
    device: torch.device,
    text_states: TextStates | None = None,
) -> StageTask:
    """Latent diffusion on the VAE's latents; captions encoded by the pipeline's MiniLM, or looked up in
    `text_states` (precomputed: `foleykit.training.job pack`) where MiniLM is not installed."""
    from diffusers import DDPMScheduler
    from diffusers.training_utils import EMAModel

    with torch.no_grad():
        images = _mel_images(pipe, corpus.waveforms.to(device))
        posteriors = [pipe.vae.encode(images[i : i + 128]).latent_dist for i in range(0, len(images), 128)]
        scale = pipe.vae.config.scaling_factor
        latent_mean = torch.cat([p.mean for p in posteriors]).float() * scale
        latent_std = torch.cat([p.std for p in posteriors]).float() * scale
        del images, posteriors
        # Every distinct caption (and "" for text dropout) encoded once: the text encoder is frozen.
        wordings = class_wordings() if recipe.wording_share > 0 else {}
        texts = {text for captions in corpus.captions for text in captions} | {""}
        texts = sorted(texts | (set(wording_texts()) if wordings else set()))
        row = {text: i for i, text in enumerate(texts)}
        encode = pipe.encode_prompt if text_states is None else text_states.encode
        encoded = [encode(texts[i : i + 256], device) for i in range(0, len(texts), 256)]
        length = max(states.shape[1] for states, _ in encoded)
        text_states = torch.cat([F.pad(s, (0, 0, 0, length - s.shape[1])) for s, _ in encoded]).half()
        text_mask = torch.cat([F.pad(m, (0, length - m.shape[1])) for _, m in encoded])
        caption_rows = torch.tensor(
            [[row[t] for t in captions] for captions in corpus.captions], device=device
        )
        wording_rows = wording_table(swap_wordings(wordings), row).to(device)
        labels = corpus.labels.to(device)
        may_reword = rewordable(corpus.captions).to(device)
    empty = row[""]
    schedule = DDPMScheduler.from_config(pipe.scheduler.config)
    alphas = schedule.alphas_cumprod.to(device)
    snr = alphas / (1 - alphas)
    weights = snr.clamp(max=recipe.min_snr_gamma) / snr  # min-SNR-γ for epsilon prediction
    ema = EMAModel(pipe.unet.parameters(), decay=recipe.ema_decay, use_ema_warmup=True, power=2 / 3)
    ema.to(device)

    def loss(index: torch.Tensor) -> torch.Tensor:
        batch = len(index)
        latents = latent_mean[index] + latent_std[index] * torch.randn_like(latent_mean[index])
        rows = drawn_captions(caption_rows, may_reword, labels, wording_rows, index, recipe.wording_share)
        rows = torch.where(torch.rand(batch, device=device) < recipe.text_dropout, empty, rows)
        conditioning = text_states[rows].to(pipe.unet.dtype)
        if recipe.text_noise > 0:
            conditioning = augmented(conditioning, text_mask[rows], rows != empty, recipe.text_noise)
        noise = torch.randn_like(latents)
        steps = torch.randint(0, schedule.config.num_train_timesteps, (batch,), device=device)
        noisy = schedule.add_noise(latents, noise, steps)
        pred = pipe.unet(
            noisy,
            steps,
            encoder_hidden_states=conditioning,
            encoder_attention_mask=text_mask[rows],
        ).sample
        per_sample = F.mse_loss(pred.float(), noise, reduction="none").mean(dim=(1, 2, 3))
        return (per_sample * weights[steps]).mean()

    def finish(unet: torch.nn.Module) -> None:
        ema.copy_to(unet.parameters())

    return StageTask(
        pipe.unet, loss, finish, extra_state=[ema], after_step=lambda m: ema.step(m.parameters())
    )


TASKS = {"vocoder": vocoder_task, "vae": vae_task, "unet": unet_task}


# ---------------------------------------------------------------------------------------------- files
def _latest_checkpoint(stage_dir: Path) -> tuple[Path | None, int]:
    found = sorted(
        (int(p.name.split("-")[1]), p)
        for p in stage_dir.glob("checkpoint-*")
        if p.name.split("-")[1].isdigit()
    )
    return (found[-1][1], found[-1][0]) if found else (None, 0)


def replace_dir(directory: Path, write: Callable[[Path], None]) -> None:
    """Write a directory beside `directory`, then swap it in, so a crash never leaves half a model.

    Names are per process: two stages training side by side may publish at the same moment.
    """
    tmp = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
    old = directory.with_name(f".{directory.name}.{os.getpid()}.old")
    shutil.rmtree(tmp, ignore_errors=True)
    write(tmp)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def _save_pipeline(pipe: FoleyPipeline, directory: Path) -> None:
    replace_dir(directory, lambda tmp: pipe.save_pretrained(tmp, include_text_encoder=False))


def load_run_pipeline(
    run_dir: Path, device: torch.device | str = "cpu", text_encoder: bool = True
) -> FoleyPipeline:
    """The initial pipeline with every finished stage's module in place of its untrained one (without
    MiniLM when `text_encoder` is false: a machine that trains from precomputed text states)."""
    without = {} if text_encoder else {"tokenizer": None, "text_encoder": None}
    pipe = FoleyPipeline.from_pretrained(run_dir / "initial", **without)
    for name in STAGES:
        final = run_dir / f"stage_{name}" / "final"
        if (run_dir / f"stage_{name}" / "done").exists():
            module = getattr(pipe, name)
            setattr(pipe, name, type(module).from_pretrained(final))
            pipe.register_modules(**{name: getattr(pipe, name)})
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


# ---------------------------------------------------------------------------------------------- stages
def run_stage(
    name: str,
    run_dir: Path,
    recipe: TrainRecipe,
    max_steps: int | None = None,
    progress: bool = True,
    workers: int | None = None,
    corpus_dir: Path | None = None,
    deadline: float | None = None,
    text_states: Path | None = None,
) -> None:
    """Train (or resume) one stage. At `deadline` (time.monotonic) it stops, checkpoints and finishes.
    With `text_states` the unet stage looks captions up there and MiniLM is never loaded."""
    from accelerate import Accelerator
    from diffusers.optimization import get_cosine_schedule_with_warmup

    from foleykit.progress import progress_bar

    if name == "unet" and not (run_dir / "stage_vae" / "done").exists() and recipe.init is None:
        raise BadInputError("the unet stage trains on the VAE's latents: finish the vae stage first")
    stage = recipe.stage(name)
    stage_dir = run_dir / f"stage_{name}"
    stage_dir.mkdir(parents=True, exist_ok=True)
    cuda = torch.cuda.is_available()
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    accelerator = Accelerator(mixed_precision=recipe.mixed_precision if cuda else "no")
    device = accelerator.device
    pipe = load_run_pipeline(run_dir, device, text_encoder=text_states is None)
    if name == "unet" and isinstance(pipe.vae, MelPatchCode) and not pipe.vae.fitted:
        raise BadInputError(
            "the unet stage trains on the patch code's latents: fit it first (--stages vae,unet)"
        )
    for module in (pipe.text_encoder, pipe.vae, pipe.unet, pipe.vocoder):
        if module is not None:
            module.requires_grad_(False).eval()

    checkpoint, start = _latest_checkpoint(stage_dir)
    stream = recipe.seed * 1000 + STAGES.index(name) * 100 + accelerator.process_index
    torch.manual_seed(stream * 1_000_003 + start)
    corpus = build_corpus(
        recipe.corpus(name, pipe.sample_rate), workers, progress and accelerator.is_main_process
    )
    if corpus_dir is not None:
        corpus = with_real_clips(
            corpus,
            str(corpus_dir),
            pipe.sample_rate,
            recipe.real_share,
            recipe.real_class_share,
            subsonic_cutoff_hz=recipe.subsonic_cutoff_hz,
        )
    if recipe.class_emphasis:
        corpus = emphasise_classes(corpus, dict(recipe.class_emphasis))
    if corpus_dir is not None and recipe.walk_share > 0:
        before = len(corpus)
        corpus = with_composed_walks(
            corpus,
            str(corpus_dir),
            pipe.sample_rate,
            recipe.walk_share,
            recipe.seed,
            subsonic_cutoff_hz=recipe.subsonic_cutoff_hz,
        )
        if accelerator.is_main_process and progress:  # none where the corpus holds no single steps
            print(f"{name}: {len(corpus) - before} walks composed of single steps", file=sys.stderr)
    if corpus_dir is not None and accelerator.is_main_process and progress:
        share = corpus.recorded_share()
        print(f"{name}: {corpus.recordings} real recordings, {share:.0%} of the draws", file=sys.stderr)
    patch_code = name == "vae" and isinstance(pipe.vae, MelPatchCode)
    if patch_code:  # the code's fit, its texture and its refiner all read the corpus's log-mel, once
        with torch.no_grad():
            images = _mel_images(pipe, corpus.waveforms.to(device))
    if patch_code and not pipe.vae.fitted:  # in closed form, the same on every process
        with torch.no_grad():
            pipe.vae.fit(images, corpus.weights)
    elif patch_code and accelerator.is_main_process and progress:
        print("vae: the init model's patch code is kept (its UNet knows these latents)", file=sys.stderr)
    if patch_code and (pipe.vae.refiner is None or stage.steps == 0):
        _fit_texture(pipe.vae, images, corpus.weights)
        if accelerator.is_main_process:
            fitted = {"steps": 0, "budget_stop": False}  # (fitted in closed form: no steps)
            _publish(pipe.vae, stage_dir, run_dir, fitted, text_states)
        accelerator.wait_for_everyone()
        return
    if name == "unet":
        states = None if text_states is None else TextStates.load(text_states)
        task = unet_task(pipe, corpus, recipe, device, states)
    elif patch_code:
        task = refiner_task(pipe, images, corpus, recipe, device)
    else:
        task = TASKS[name](pipe, corpus, recipe, device)
    model = task.model.requires_grad_(True).train()
    for part in task.frozen:
        part.requires_grad_(False).eval()
    trainable = [p for p in model.parameters() if p.requires_grad]
    # Against a critic, the usual GAN settings: a short-memory Adam for the generator (β1 0.5, β2 0.9) and
    # a critic that learns twice as fast (session 7's scratch trials, which the trainer did not match
    # with Adam's defaults and one learning rate: MODEL.md).
    betas = (0.5, 0.9) if task.critic is not None else (0.9, 0.999)
    optimizer = torch.optim.AdamW(trainable, lr=stage.learning_rate, betas=betas, weight_decay=1e-4)
    schedule = get_cosine_schedule_with_warmup(optimizer, stage.warmup_steps, stage.steps)
    prepared, optimizer, schedule = accelerator.prepare(model, optimizer, schedule)
    critic_optimizer = None
    if task.critic is not None:  # each process's own critic (not synchronised): an ensemble under DDP
        critic_optimizer = torch.optim.AdamW(
            task.critic.parameters(), lr=2 * stage.learning_rate, betas=(0.5, 0.9)
        )
        task.extra_state.extend([task.critic, critic_optimizer])
    for state in task.extra_state:
        accelerator.register_for_checkpointing(state)
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        for state in task.extra_state:
            if hasattr(state, "to"):  # (an optimizer's state follows its parameters by itself)
                state.to(device)  # custom states come back from a checkpoint on the CPU
    sampler = torch.Generator(device=device).manual_seed(stream * 1_000_003 + start)

    end = stage.steps if max_steps is None else min(stage.steps, start + max_steps)
    log_path = stage_dir / "loss.jsonl"
    _truncate_log(log_path, start)  # steps logged after the checkpoint we resume from are redone
    # training seconds summed over sittings: those of the steps kept from earlier ones, then this one's
    began = time.perf_counter() - _logged_seconds(log_path)
    bar = progress_bar(range(start, end), desc=name, disable=not (progress and accelerator.is_main_process))
    out_of_time = False
    for step in bar:
        index = corpus.sample(stage.batch_size, sampler)
        with accelerator.autocast():
            loss = task.loss(index)
        if not torch.isfinite(loss):
            raise RuntimeError(f"{name} loss is {loss.item()} at step {step + 1}")
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(prepared.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if task.critic_loss is not None and critic_optimizer is not None:
            critic_optimizer.zero_grad(set_to_none=True)  # also drops what the step above left in it
            with accelerator.autocast():
                judged = task.critic_loss()
            accelerator.backward(judged)
            critic_optimizer.step()
        task.after_step(model)
        done = step + 1
        if accelerator.is_main_process and (done % recipe.log_every == 0 or done == end):
            entry = {"step": done, "loss": round(loss.item(), 6), "lr": schedule.get_last_lr()[0]}
            if task.critic_loss is not None:
                entry["critic_loss"] = round(judged.item(), 6)
            entry["seconds"] = round(time.perf_counter() - began, 2)
            with log_path.open("a") as fh:
                fh.write(json.dumps(entry) + "\n")
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
        out_of_time = _any_process(deadline is not None and time.monotonic() >= deadline, accelerator)
        if done % recipe.checkpoint_every == 0 or done == end or out_of_time:
            accelerator.save_state(str(stage_dir / f"checkpoint-{done}"))
            if accelerator.is_main_process:
                for old in sorted(stage_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))[
                    :-KEEP_CHECKPOINTS
                ]:
                    shutil.rmtree(old, ignore_errors=True)
        if out_of_time:
            break

    accelerator.wait_for_everyone()
    if (end < stage.steps and not out_of_time) or not accelerator.is_main_process:
        return
    model = accelerator.unwrap_model(prepared).eval()
    task.finish(model)
    steps_done = done if out_of_time else stage.steps
    seconds = round(time.perf_counter() - began, 1)
    done_record = {"steps": steps_done, "budget_stop": out_of_time, "seconds": seconds}
    _publish(model, stage_dir, run_dir, done_record, text_states)


def _publish(
    model: Any, stage_dir: Path, run_dir: Path, done: dict[str, Any], text_states: Path | None
) -> None:
    """A finished stage: its module in stage_dir/final, its `done` record (steps, whether the budget
    stopped it, training seconds over all sittings), and RUN_DIR/pipeline refreshed."""
    replace_dir(stage_dir / "final", lambda tmp: model.to("cpu").save_pretrained(tmp))
    (stage_dir / "done").write_text(json.dumps(done) + "\n")
    try:
        _save_pipeline(load_run_pipeline(run_dir, text_encoder=text_states is None), run_dir / "pipeline")
    except OSError as err:  # a stage beside this one published at the same moment; export rebuilds it
        print(f"foleykit.training: RUN_DIR/pipeline not refreshed: {err}", file=sys.stderr)


def _any_process(flag: bool, accelerator: Any) -> bool:
    """True on every process when it is true on any: processes must stop at the same step, or the next
    gradient all-reduce waits forever for the one that stopped."""
    if accelerator.num_processes == 1:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=accelerator.device)
    return bool(accelerator.reduce(value, reduction="sum").item() > 0)


def _logged_seconds(log_path: Path) -> float:
    """The training seconds the loss log's last line counts (0 for no log)."""
    lines = [x for x in log_path.read_text().splitlines() if x.strip()] if log_path.exists() else []
    return float(json.loads(lines[-1]).get("seconds", 0.0)) if lines else 0.0


def _truncate_log(log_path: Path, step: int) -> None:
    """Keep only the loss-log lines up to `step`, so a resumed stage's log has each step once."""
    if not log_path.exists():
        return
    lines = log_path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if line.strip() and json.loads(line)["step"] <= step]
    if len(kept) != len(lines):
        text = "".join(kept)
        write_atomic(log_path, lambda tmp: tmp.write_text(text), force=True)


def initial_pipeline(recipe: TrainRecipe, text_encoder: bool = True) -> FoleyPipeline:
    """A fresh pipeline of the recipe's sizes, or the `init` model's trained one (checked to match them)."""
    arch = recipe.arch()
    if recipe.init is None:
        torch.manual_seed(recipe.seed)
        return build_foley_pipeline(arch, load_text_encoder=text_encoder)
    from foleykit.models import resolve_model

    source = resolve_model(recipe.init)
    if source.backend != "bundled":
        raise BadInputError(
            f"--init {recipe.init}: a FoleyPipeline is needed, not a {source.info.pipeline_class}"
        )
    without = {} if text_encoder else {"tokenizer": None, "text_encoder": None}
    pipe = FoleyPipeline.from_pretrained(str(source.directory), local_files_only=True, **without)
    pipe.forget_anchors()  # the init's anchors list what it learned, not what this run will
    for module in (pipe.unet, pipe.vae, pipe.vocoder):
        module.to(torch.float32)  # shipped weights are fp16: train from float32 copies of them
    if arch.latent_code != "patch" and isinstance(pipe.vae, MelPatchCode):
        raise BadInputError(
            f"--init {recipe.init} has a patch code where this recipe trains a VAE: start it from a VAE model"
            " (version 2: git archive eeefe9a src/foleykit/weights/bundled) or use a patch-code recipe"
        )
    if arch.latent_code == "patch" and not isinstance(pipe.vae, MelPatchCode):
        # the init's UNet keeps its weights as a start; the vae stage fits the code, the unet stage relearns
        pipe.register_modules(vae=build_latent_code(arch))
    elif arch.latent_code == "patch":
        # the init's fitted code (and so its UNet's latents) with the recipe's refiner and texture, for the
        # vae stage (train() refuses a run that would not train them); a recipe that asks for none of
        # either keeps the init's
        code = pipe.vae.config
        width = arch.patch_refiner_channels or code.refiner_channels
        levels = arch.patch_texture_levels or code.texture_levels
        if (width, levels) != (code.refiner_channels, code.texture_levels):
            pipe.register_modules(vae=pipe.vae.with_parts(width, levels))
    found = (pipe.sample_rate, pipe.n_mels, pipe.hop_length, pipe.unet.config.block_out_channels)
    wanted = (arch.sample_rate, arch.n_mels, arch.hop_length, tuple(arch.unet_channels))
    if tuple(found[:3]) != wanted[:3] or tuple(found[3]) != wanted[3]:
        raise BadInputError(f"--init {recipe.init} has other sizes than the {recipe.architecture} recipe")
    return pipe


def _init_patch_code(recipe: TrainRecipe) -> dict[str, Any] | None:
    """The config of the `init` model's MelPatchCode, or None where its latent code is something else."""
    from foleykit.models import resolve_model

    source = resolve_model(recipe.init)
    if source.backend != "bundled":
        return None  # initial_pipeline refuses it with its own message
    index = json.loads((source.directory / "model_index.json").read_text())
    if index.get("vae", [None, None])[1] != MelPatchCode.__name__:
        return None
    return json.loads((source.directory / "vae" / "config.json").read_text())


def _check_init(recipe: TrainRecipe, stages: Sequence[str]) -> None:
    """Refuse a run whose vae stage would leave the init model's UNet in a latent space it does not know,
    or whose export would silently lose a refiner. A patch-code recipe's vae stage keeps an init's fitted
    MelPatchCode (and trains only its refiner); from any other init it fits a new code."""
    if recipe.init is None or recipe.vae_part == "decoder":
        return
    code = _init_patch_code(recipe) if recipe.latent_code == "patch" else None
    if "vae" in stages and "unet" not in stages and code is None:
        why = " (it has no patch code to keep)" if recipe.latent_code == "patch" else ""
        raise BadInputError(
            f"retraining the VAE changes the latent space the init model's UNet works in{why}: "
            "train the unet in the same run (--stages vae,unet)"
        )
    width, has = recipe.patch_refiner_channels, (code or {}).get("refiner_channels", 0)
    if code is not None and "vae" not in stages and width not in (0, has):
        raise BadInputError(
            f"the recipe asks for a {width}-channel refiner and the init model's code has "
            f"{has or 'none'}: train it in this run (--stages vae)"
        )
    levels, has = recipe.patch_texture_levels, (code or {}).get("texture_levels", 0)
    if code is not None and "vae" not in stages and levels not in (0, has):
        raise BadInputError(
            f"the recipe asks for a texture of {levels} levels and the init model's code has "
            f"{has or 'none'}: fit it in this run (--stages vae)"
        )


def _keep_record(
    run_dir: Path, name: str, wanted: dict[str, Any], key: str, said: Callable[[Any], str]
) -> None:
    """A run keeps an input it started with: RUN_DIR/NAME records its digest under `key`, and a resume
    with another one stops (`said` tells what the run started with)."""
    record = run_dir / name
    if record.exists():
        try:
            started = json.loads(record.read_text()).get(key)
        except ValueError:
            raise BadInputError(f"{record} is not JSON: it records what the run started with") from None
        if started != wanted[key]:
            raise BadInputError(f"{run_dir} started with {said(started)} ({record}); use a new run directory")
        return
    _write_record(record, wanted)


def _write_record(path: Path, values: dict[str, Any]) -> None:
    """A run's JSON record, written atomically by the main process while the others wait for it."""
    from accelerate import PartialState

    if PartialState().is_main_process:
        text = json.dumps(values, indent=2) + "\n"
        write_atomic(path, lambda tmp: tmp.write_text(text), force=True)
    PartialState().wait_for_everyone()


def _corpus_record(corpus_dir: Path | None) -> dict[str, Any]:
    """What RUN_DIR/corpus.json says of the real corpus (or of none); a bad corpus fails here, before the
    run directory or minutes of synthesis exist."""
    if corpus_dir is None:
        return {"corpus": None, "manifest_sha256": None}
    from foleykit.corpus import MANIFEST, load_corpus

    load_corpus(corpus_dir)
    digest = hashlib.sha256((Path(corpus_dir) / MANIFEST).read_bytes()).hexdigest()
    return {"corpus": str(Path(corpus_dir).resolve()), "manifest_sha256": digest}


def _check_corpus(run_dir: Path, wanted: dict[str, Any]) -> None:
    """A run keeps the real corpus it started with, or none (RUN_DIR/corpus.json, by manifest digest)."""
    _keep_record(
        run_dir,
        "corpus.json",
        wanted,
        "manifest_sha256",
        lambda started: "no real corpus" if started is None else "another real corpus",
    )


def _check_wordings(run_dir: Path, recipe: TrainRecipe) -> None:
    """A run that draws wordings (or composes walks, captioned with them) keeps the ones it started with
    (RUN_DIR/wordings.json, by digest): wordings.tsv changes with the package, and a resume across an edit
    would change training silently."""
    if recipe.wording_share > 0 or recipe.walk_share > 0:
        wanted = {"file": str(WORDINGS), "sha256": wordings_digest()}
        _keep_record(run_dir, "wordings.json", wanted, "sha256", lambda _: "other class wordings")


def train(
    run_dir: Path,
    recipe: TrainRecipe,
    stages: Sequence[str] = STAGES,
    max_steps: int | None = None,
    progress: bool = True,
    workers: int | None = None,
    corpus_dir: Path | None = None,
    budget_minutes: float | None = None,
    text_states: Path | None = None,
    command: str | None = None,
) -> Path:
    """Run (or resume) the given stages; returns RUN_DIR/pipeline. With `text_states` (a file from
    `TextStates.save`) MiniLM is never loaded; `command`, the invocation, is kept in RUN_DIR/commands.txt
    for the export's record."""
    began = time.monotonic()
    run_dir = Path(run_dir)
    for name in stages:
        if name not in STAGES:
            raise BadInputError(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")
    if budget_minutes is not None and not 0 < budget_minutes < math.inf:
        raise BadInputError(f"--budget-minutes must be a positive number, got {budget_minutes:g}")
    _check_recipe(recipe)
    _check_init(recipe, stages)
    if recipe.walk_share > 0 and corpus_dir is None:
        raise BadInputError("the recipe composes walks of real recordings (walk_share): give --corpus DIR")
    if recipe.subsonic_cutoff_hz > 0 and corpus_dir is None:
        raise BadInputError(
            "the recipe reads recordings without their DC (subsonic_cutoff_hz): give --corpus DIR"
        )
    corpus_record = _corpus_record(corpus_dir)
    run_dir.mkdir(parents=True, exist_ok=True)  # only once the arguments are known to be good
    recipe_file = run_dir / "recipe.json"
    wanted = json.dumps(asdict(recipe), indent=2, sort_keys=True)
    # (read back as a recipe: a run started before a field existed has that field at its neutral default)
    if recipe_file.exists() and _read_recipe(recipe_file) != recipe:
        raise BadInputError(
            f"{run_dir} was started with another recipe ({recipe_file}); use a new run directory"
        )
    recipe_file.write_text(wanted)
    _check_corpus(run_dir, corpus_record)
    _check_wordings(run_dir, recipe)
    _note_init(run_dir, recipe)
    if command is not None:
        _note_command(run_dir, command)
    if not (run_dir / "initial" / "model_index.json").is_file():
        initial = initial_pipeline(recipe, text_encoder=text_states is None)
        try:
            _save_pipeline(initial, run_dir / "initial")
        except OSError:  # a process beside this one published the same initial pipeline first
            if not (run_dir / "initial" / "model_index.json").is_file():
                raise
    todo = [name for name in stages if not (run_dir / f"stage_{name}" / "done").exists()]
    total_share = sum(recipe.budget_share(name) for name in todo) or 1.0
    for name in todo:
        deadline = None
        if budget_minutes is not None:  # this stage's share of what is left of the budget
            left = budget_minutes * 60 - (time.monotonic() - began)
            deadline = time.monotonic() + max(0.0, left) * recipe.budget_share(name) / total_share
            total_share -= recipe.budget_share(name)
        run_stage(
            name,
            run_dir,
            recipe,
            max_steps=max_steps,
            progress=progress,
            workers=workers,
            corpus_dir=corpus_dir,
            deadline=deadline,
            text_states=text_states,
        )
    return run_dir / "pipeline"


def finished(run_dir: Path, recipe: TrainRecipe, stages: Sequence[str] = STAGES) -> bool:
    """Every module trained: every stage of this run done; with `init`, the stages asked for (the others
    are the init model's)."""
    wanted = stages if recipe.init is not None else STAGES
    return all((run_dir / f"stage_{s}" / "done").exists() for s in wanted)


def _check_recipe(recipe: TrainRecipe) -> None:
    """Numbers a recipe file could get wrong, as one-line errors before any work."""
    try:
        recipe.arch().check()  # the sizes it builds, latent_code among them
    except ValueError as err:
        raise BadInputError(str(err)) from None
    if recipe.vae_part not in ("all", "decoder"):
        raise BadInputError(f"vae_part must be 'all' or 'decoder', got {recipe.vae_part!r}")
    for name in ("real_share", "real_class_share", "wording_share", "walk_share"):
        if not 0 <= getattr(recipe, name) <= 1:
            raise BadInputError(f"{name} must be from 0 to 1, got {getattr(recipe, name)!r}")
    labels = [label for label, _ in recipe.class_emphasis]
    unknown = sorted(set(labels) - set(CLASSES))
    if unknown:
        raise BadInputError(f"class_emphasis names unknown classes: {', '.join(unknown)}")
    if len(set(labels)) != len(labels):
        raise BadInputError(f"class_emphasis names a class twice: {', '.join(labels)}")
    factors = [factor for _, factor in recipe.class_emphasis]
    if any(isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f < math.inf for f in factors):
        raise BadInputError(f"class_emphasis factors must be positive finite numbers, got {factors}")
    cutoff = recipe.subsonic_cutoff_hz
    if (
        isinstance(cutoff, bool)
        or not isinstance(cutoff, (int, float))
        or not 0 <= cutoff <= MAX_SUBSONIC_CUTOFF_HZ
    ):
        raise BadInputError(
            f"subsonic_cutoff_hz must be a number from 0 (off) to {MAX_SUBSONIC_CUTOFF_HZ:g}, got {cutoff!r}"
        )
    if not 0 <= recipe.refiner_latent_noise < math.inf:
        raise BadInputError(f"refiner_latent_noise must be 0 or more, got {recipe.refiner_latent_noise!r}")
    shares = [recipe.budget_share(name) for name in STAGES]
    if any(not 0 < share < math.inf for share in shares):
        raise BadInputError(f"budget shares must be positive, got {shares}")


ATTRIBUTION_FILES = ("ATTRIBUTION.md", "attribution.json", "LICENSE-NOTE.md")


def named_recipe(recipe: TrainRecipe) -> str | None:
    """The name in RECIPES with exactly this recipe's values (its `init` aside), if one has them."""
    plain = replace(recipe, init=None)
    return next((name for name, named in RECIPES.items() if replace(named, init=None) == plain), None)


def _note_init(run_dir: Path, recipe: TrainRecipe) -> None:
    """The init model as the run found it (RUN_DIR/init.json, written once): its weights' digest and its
    own record, which the export nests, and not what the init's directory holds by then (`bundled`
    changes with every version)."""
    path = run_dir / "init.json"
    if recipe.init is None or path.exists():
        return
    from foleykit.models import resolve_model, weights_digest

    directory = resolve_model(recipe.init).directory
    note = {
        "init": recipe.init,
        "directory": str(directory),
        "weights_sha256": weights_digest(directory),
        "record": model_record(directory),
    }
    _write_record(path, note)


def _note_command(run_dir: Path, command: str) -> None:
    """Append one invocation to RUN_DIR/commands.txt: a run trained over several sittings keeps them all."""
    from accelerate import PartialState

    if PartialState().is_main_process:
        with (run_dir / "commands.txt").open("a") as fh:
            fh.write(command + "\n")


def invocation(module: str, argv: Sequence[str] | None) -> str:
    """A command line as a user typed it (`python -m MODULE ...`), for a model's training record."""
    return shlex.join(["python", "-m", module, *(sys.argv[1:] if argv is None else argv)])


def run_record(run_dir: Path, recipe: TrainRecipe) -> dict[str, Any]:
    """What an export's weights were trained with, kept beside them as RECORD: the recipe (and its name in
    RECIPES), the commands of every sitting, the corpus and its manifest's digest, each stage this run
    trained (steps, whether the budget stopped it, training seconds), the machine that exported, and the
    init model's own record as the run found it, nested as `init` (as training/soup.py nests both of
    its models'), so the chain of versions reads from one file."""
    from datetime import datetime, timezone

    record: dict[str, Any] = {}
    name = named_recipe(recipe)
    if name is not None:
        record["recipe_name"] = name
    record["recipe"] = asdict(recipe)
    commands = run_dir / "commands.txt"
    if commands.is_file():
        record["commands"] = commands.read_text().splitlines()
    corpus = run_dir / "corpus.json"
    used = json.loads(corpus.read_text()) if corpus.is_file() else {}
    if used.get("manifest_sha256"):  # real recordings were drawn (a run without them records none)
        record["corpus"] = used.get("corpus")
        record["corpus_manifest_sha256"] = used["manifest_sha256"]
    record["stages"] = {
        stage: json.loads((run_dir / f"stage_{stage}" / "done").read_text())
        for stage in STAGES
        if (run_dir / f"stage_{stage}" / "done").is_file()
    }
    cuda = torch.cuda.is_available()
    record["machine"] = torch.cuda.get_device_name(0) if cuda else f"CPU, {torch.get_num_threads()} threads"
    record["exported"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if recipe.init is not None:
        note = run_dir / "init.json"
        if note.is_file():  # (a run begun before init.json existed: the init's record as it is now)
            found = json.loads(note.read_text())
            record["init_weights_sha256"] = found["weights_sha256"]
            record["init"] = found["record"]
        else:
            from foleykit.models import resolve_model

            record["init"] = model_record(resolve_model(recipe.init).directory)
    return record


def export(
    run_dir: Path,
    target: Path,
    dtype: torch.dtype = torch.float16,
    text_encoder: bool = True,
    max_shard_size: str | None = None,
) -> Path:
    """Write a trained run where foleykit loads the bundled model from (weights in fp16 to stay small),
    with its training record (`run_record`, RECORD).

    Weights trained on real recordings carry those recordings' terms: the corpus's attribution files go
    with them, and WEIGHTS-LICENSE names the licence (CC BY-SA 4.0 when share-alike data was used).
    The init model's attribution files, if it has any, are carried over too.
    """
    run_dir, target = Path(run_dir), Path(target)
    pipe = load_run_pipeline(run_dir, text_encoder=text_encoder)
    for module in (pipe.unet, pipe.vae, pipe.vocoder):
        module.to(dtype)
    sources = []
    recipe = TrainRecipe.from_dict(json.loads((run_dir / "recipe.json").read_text()))
    provenance = run_record(run_dir, recipe)
    if recipe.init is not None:
        from foleykit.models import resolve_model

        sources.append(resolve_model(recipe.init).directory)
    record = run_dir / "corpus.json"
    corpus = json.loads(record.read_text()).get("corpus") if record.exists() else None
    if corpus:
        sources.append(Path(corpus))

    def write(tmp: Path) -> None:
        pipe.save_pretrained(tmp, include_text_encoder=False, max_shard_size=max_shard_size)
        licences = []
        for source in sources:
            for name in ATTRIBUTION_FILES:
                if (source / name).is_file():
                    shutil.copyfile(source / name, tmp / name)
            if (source / "WEIGHTS-LICENSE").is_file():
                licences.append((source / "WEIGHTS-LICENSE").read_text().split("\n")[0])
        if corpus:
            from foleykit.corpus import load_corpus
            from foleykit.corpus.build import weights_licence

            licences.append(weights_licence({c.licence for c in load_corpus(corpus)})["licence"])
        licences = [x for x in licences if x.startswith("CC-BY")]
        if licences:
            strictest = "CC-BY-SA-4.0" if any("-SA-" in x for x in licences) else "CC-BY-4.0"
            text = f"{strictest}\nTrained on the recordings listed in ATTRIBUTION.md (see LICENSE-NOTE.md).\n"
            (tmp / "WEIGHTS-LICENSE").write_text(text)
        (tmp / RECORD).write_text(record_text(provenance))

    replace_dir(target, write)
    return target


def _read_recipe(path: Path) -> TrainRecipe:
    try:
        return TrainRecipe.from_dict(json.loads(Path(path).read_text()))
    except (OSError, ValueError, TypeError) as err:
        raise BadInputError(f"cannot read recipe {path}: {err}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foleykit.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="bundled")
    parser.add_argument(
        "--recipe-file",
        type=Path,
        default=None,
        help="a recipe as JSON (a run's recipe.json), instead of --recipe",
    )
    parser.add_argument(
        "--stages", default=",".join(STAGES), help="comma-separated subset of vocoder,vae,unet"
    )
    parser.add_argument(
        "--max-steps", type=int, default=None, help="stop each stage after this many more steps"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="processes that synthesise the corpus (default: all cores)"
    )
    parser.add_argument(
        "--export", type=Path, default=None, help="write the finished pipeline here (fp16 weights)"
    )
    parser.add_argument(
        "--init", default=None, help="start from trained weights: bundled or a model directory"
    )
    parser.add_argument(
        "--corpus", type=Path, default=None, help="real recordings (python -m foleykit.corpus build DIR)"
    )
    parser.add_argument(
        "--budget-minutes", type=float, default=None, help="stop every stage within its share of N minutes"
    )
    parser.add_argument(
        "--text-states",
        type=Path,
        default=None,
        help="captions' MiniLM states computed beforehand (python -m foleykit.training.job pack): "
        "train where MiniLM is not installed",
    )
    args = parser.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    try:
        recipe = RECIPES[args.recipe] if args.recipe_file is None else _read_recipe(args.recipe_file)
        if args.init is not None:
            recipe = replace(recipe, init=args.init)
        train(
            args.run_dir,
            recipe,
            stages,
            args.max_steps,
            workers=args.workers,
            corpus_dir=args.corpus,
            budget_minutes=args.budget_minutes,
            text_states=args.text_states,
            command=invocation("foleykit.training", argv),
        )
        if args.export and finished(args.run_dir, recipe, stages):
            print(export(args.run_dir, args.export, text_encoder=args.text_states is None))
        elif args.export:
            print("foleykit.training: not exported: some stages have not finished", file=sys.stderr)
    except BadInputError as err:
        print(f"foleykit.training: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


__all__ = [
    "RECIPES",
    "STAGES",
    "StageRecipe",
    "TrainRecipe",
    "export",
    "initial_pipeline",
    "invocation",
    "load_run_pipeline",
    "main",
    "named_recipe",
    "replace_dir",
    "run_record",
    "train",
]
