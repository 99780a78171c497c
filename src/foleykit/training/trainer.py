"""Train the bundled model on synthesised foley, in three resumable stages, with accelerate.

    python -m foleykit.training RUN_DIR [--recipe default|tiny] [--stages vocoder,vae,unet]
                                        [--max-steps N] [--export DIR]
    accelerate launch -m foleykit.training RUN_DIR …      # several GPUs

1. vocoder: SpeechT5HifiGan, log-mel → waveform (mel L1 + multi-resolution STFT losses; no discriminator);
2. vae: AutoencoderKL over log-mel (L1 + small KL), then the latent scaling factor from data;
3. unet: latent diffusion (epsilon prediction) conditioned on frozen MiniLM states, text dropout for CFG.

Each stage checkpoints with `Accelerator.save_state` and resumes from its latest checkpoint, so a long CPU
run can span several sittings; the pipeline after each finished stage is saved in RUN_DIR/pipeline, and
the recipe in RUN_DIR/recipe.json (a rerun with a different recipe is refused).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from foleykit.errors import BadInputError
from foleykit.pipelines.foley import FoleyArchitecture, FoleyPipeline, build_foley_pipeline
from foleykit.training.data import ClipStream, SynthClipDataset, collate

STAGES = ("vocoder", "vae", "unet")
KEEP_CHECKPOINTS = 2


@dataclass(frozen=True)
class StageRecipe:
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int = 200


@dataclass(frozen=True)
class TrainRecipe:
    """Everything that determines the trained weights (with the seeds it derives from `seed`)."""

    architecture: str = "default"
    clip_seconds: float = 4.0
    seed: int = 0
    vocoder: StageRecipe = field(default_factory=lambda: StageRecipe(20_000, 16, 2e-4))
    vae: StageRecipe = field(default_factory=lambda: StageRecipe(20_000, 16, 1e-4))
    unet: StageRecipe = field(default_factory=lambda: StageRecipe(60_000, 32, 2e-4))
    text_dropout: float = 0.1
    kl_weight: float = 1e-5
    mel_loss_weight: float = 45.0
    vocoder_segment_seconds: float = 0.5  # HiFi-GAN practice: short random crops, not whole clips
    checkpoint_every: int = 1000
    log_every: int = 50
    num_workers: int = 2
    mixed_precision: str = "no"

    def arch(self) -> FoleyArchitecture:
        return FoleyArchitecture.tiny() if self.architecture == "tiny" else FoleyArchitecture()

    def stage(self, name: str) -> StageRecipe:
        return getattr(self, name)


RECIPES = {
    "default": TrainRecipe(),
    "tiny": TrainRecipe(
        architecture="tiny",
        clip_seconds=1.0,
        vocoder=StageRecipe(4, 2, 1e-3, warmup_steps=1),
        vae=StageRecipe(4, 2, 1e-3, warmup_steps=1),
        unet=StageRecipe(4, 2, 1e-3, warmup_steps=1),
        checkpoint_every=2,
        log_every=1,
        num_workers=0,
    ),
}


# ---------------------------------------------------------------------------------------------- losses
def multi_resolution_stft_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Spectral convergence + log-magnitude distance at three resolutions (Parallel WaveGAN's recipe)."""
    total = pred.new_zeros(())
    for n_fft, hop in ((512, 128), (1024, 256), (2048, 512)):
        n_fft = min(n_fft, pred.shape[-1])
        window = torch.hann_window(n_fft, device=pred.device)
        p = torch.stft(pred, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-7)
        t = torch.stft(target, n_fft, hop, window=window, return_complex=True).abs().clamp_min(1e-7)
        total = total + torch.linalg.norm(t - p) / torch.linalg.norm(t) + F.l1_loss(p.log(), t.log())
    return total / 3


def _mel_image(pipe: FoleyPipeline, waveform: torch.Tensor) -> torch.Tensor:
    """(batch, 1, frames, mels) log-mel, frames cut to what the VAE and UNet can halve evenly."""
    mel = pipe.log_mel(waveform)
    frames = mel.shape[1] // pipe.frame_multiple * pipe.frame_multiple
    return mel[:, None, :frames]


def vocoder_loss(pipe: FoleyPipeline, batch: dict, recipe: TrainRecipe, noise_schedule: Any) -> torch.Tensor:
    wave = batch["waveform"]
    segment = int(recipe.vocoder_segment_seconds * pipe.sample_rate) // pipe.hop_length * pipe.hop_length
    if 0 < segment < wave.shape[-1]:
        start = int(torch.randint(0, (wave.shape[-1] - segment) // pipe.hop_length + 1, ())) * pipe.hop_length
        wave = wave[:, start : start + segment]
    mel = pipe.log_mel(wave)
    pred = pipe.vocoder(mel)
    target = wave[:, : pred.shape[-1]]
    return recipe.mel_loss_weight * F.l1_loss(pipe.log_mel(pred), mel) + multi_resolution_stft_loss(
        pred, target
    )


def vae_loss(pipe: FoleyPipeline, batch: dict, recipe: TrainRecipe, noise_schedule: Any) -> torch.Tensor:
    image = _mel_image(pipe, batch["waveform"])
    posterior = pipe.vae.encode(image).latent_dist
    reconstruction = pipe.vae.decode(posterior.sample()).sample
    return F.l1_loss(reconstruction, image) + recipe.kl_weight * posterior.kl().mean()


def unet_loss(pipe: FoleyPipeline, batch: dict, recipe: TrainRecipe, noise_schedule: Any) -> torch.Tensor:
    with torch.no_grad():
        image = _mel_image(pipe, batch["waveform"])
        latents = pipe.vae.encode(image).latent_dist.sample() * pipe.vae.config.scaling_factor
        captions = [
            "" if torch.rand(()) < recipe.text_dropout else caption for caption in batch["caption"]
        ]  # text dropout: the same network learns the unconditional prediction for guidance
        states, mask = pipe.encode_prompt(captions, latents.device)
    noise = torch.randn_like(latents)
    steps = torch.randint(
        0, noise_schedule.config.num_train_timesteps, (latents.shape[0],), device=latents.device
    )
    noisy = noise_schedule.add_noise(latents, noise, steps)
    pred = pipe.unet(noisy, steps, encoder_hidden_states=states, encoder_attention_mask=mask).sample
    return F.mse_loss(pred.float(), noise.float())


# ---------------------------------------------------------------------------------------------- stages
def _latest_checkpoint(stage_dir: Path) -> tuple[Path | None, int]:
    found = sorted(
        (int(p.name.split("-")[1]), p)
        for p in stage_dir.glob("checkpoint-*")
        if p.name.split("-")[1].isdigit()
    )
    return (found[-1][1], found[-1][0]) if found else (None, 0)


def _save_pipeline(pipe: FoleyPipeline, directory: Path) -> None:
    """Replace `directory` with the pipeline in one rename, so a crash never leaves half a model."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    pipe.save_pretrained(tmp, include_text_encoder=False)
    old = directory.with_name(directory.name + ".old")
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


@torch.no_grad()
def _data_statistics(
    pipe: FoleyPipeline, loader_iter, device: torch.device, batches: int = 8
) -> torch.Tensor:
    return torch.cat([pipe.log_mel(next(loader_iter)["waveform"].to(device)) for _ in range(batches)])


def run_stage(
    name: str, run_dir: Path, recipe: TrainRecipe, max_steps: int | None = None, progress: bool = True
) -> None:
    from accelerate import Accelerator
    from diffusers import DDPMScheduler
    from diffusers.optimization import get_cosine_schedule_with_warmup
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    stage = recipe.stage(name)
    stage_dir = run_dir / f"stage_{name}"
    stage_dir.mkdir(parents=True, exist_ok=True)
    accelerator = Accelerator(mixed_precision=recipe.mixed_precision)
    pipe = FoleyPipeline.from_pretrained(run_dir / "pipeline").to(accelerator.device)
    pipe.set_progress_bar_config(disable=True)
    for module in (pipe.text_encoder, pipe.vae, pipe.unet, pipe.vocoder):
        module.requires_grad_(False).eval()
    model = {"vocoder": pipe.vocoder, "vae": pipe.vae, "unet": pipe.unet}[name]
    model.requires_grad_(True).train()

    checkpoint, start = _latest_checkpoint(stage_dir)
    torch.manual_seed(recipe.seed * 1000 + STAGES.index(name) * 100 + start)
    dataset = SynthClipDataset(
        pipe.sample_rate,
        recipe.clip_seconds,
        ClipStream(
            seed=recipe.seed * 1000 + STAGES.index(name) * 100 + start,
            rank=accelerator.process_index,
            world_size=accelerator.num_processes,
        ),
    )
    loader = DataLoader(
        dataset, batch_size=stage.batch_size, collate_fn=collate, num_workers=recipe.num_workers
    )
    batches = iter(loader)

    if name == "vocoder" and start == 0:  # the vocoder normalises its input with the data's statistics
        mel = _data_statistics(pipe, batches, accelerator.device)
        pipe.vocoder.mean.copy_(mel.mean(dim=(0, 1)))
        pipe.vocoder.scale.copy_(mel.std(dim=(0, 1)).clamp_min(1e-3))

    optimizer = torch.optim.AdamW(model.parameters(), lr=stage.learning_rate, weight_decay=1e-4)
    schedule = get_cosine_schedule_with_warmup(optimizer, stage.warmup_steps, stage.steps)
    model, optimizer, schedule = accelerator.prepare(model, optimizer, schedule)
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
    noise_schedule = DDPMScheduler.from_config(pipe.scheduler.config)
    loss_fn = {"vocoder": vocoder_loss, "vae": vae_loss, "unet": unet_loss}[name]

    end = stage.steps if max_steps is None else min(stage.steps, start + max_steps)
    log_path = stage_dir / "loss.jsonl"
    began = time.perf_counter()
    bar = tqdm(
        range(start, end), desc=name, file=sys.stderr, disable=not (progress and accelerator.is_main_process)
    )
    for step in bar:
        batch = next(batches)
        batch["waveform"] = batch["waveform"].to(accelerator.device)
        with accelerator.autocast():
            loss = loss_fn(pipe, batch, recipe, noise_schedule)
        if not torch.isfinite(loss):
            raise RuntimeError(f"{name} loss is {loss.item()} at step {step + 1}")
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        done = step + 1
        if accelerator.is_main_process and (done % recipe.log_every == 0 or done == end):
            entry = {"step": done, "loss": round(loss.item(), 6), "lr": schedule.get_last_lr()[0]}
            entry["seconds"] = round(time.perf_counter() - began, 2)
            with log_path.open("a") as fh:
                fh.write(json.dumps(entry) + "\n")
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
        if done % recipe.checkpoint_every == 0 or done == end:
            accelerator.save_state(str(stage_dir / f"checkpoint-{done}"))
            if accelerator.is_main_process:
                for old in sorted(stage_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))[
                    :-KEEP_CHECKPOINTS
                ]:
                    shutil.rmtree(old, ignore_errors=True)

    accelerator.wait_for_everyone()
    if end < stage.steps or not accelerator.is_main_process:
        return
    setattr(pipe, name, accelerator.unwrap_model(model).eval())
    if name == "vae":  # unit-variance latents, as the diffusion schedule assumes
        with torch.no_grad():
            image = _mel_image(pipe, next(batches)["waveform"].to(accelerator.device))
            std = pipe.vae.encode(image).latent_dist.sample().std().item()
        pipe.vae.register_to_config(scaling_factor=1.0 / max(std, 1e-6))
    _save_pipeline(pipe.to("cpu"), run_dir / "pipeline")
    (stage_dir / "done").write_text(json.dumps({"steps": stage.steps}) + "\n")


def train(
    run_dir: Path,
    recipe: TrainRecipe,
    stages: Sequence[str] = STAGES,
    max_steps: int | None = None,
    progress: bool = True,
) -> Path:
    """Run (or resume) the given stages; returns RUN_DIR/pipeline."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    recipe_file = run_dir / "recipe.json"
    wanted = json.dumps(asdict(recipe), indent=2, sort_keys=True)
    if recipe_file.exists() and recipe_file.read_text() != wanted:
        raise BadInputError(
            f"{run_dir} was started with another recipe ({recipe_file}); use a new run directory"
        )
    recipe_file.write_text(wanted)
    if not (run_dir / "pipeline" / "model_index.json").is_file():
        torch.manual_seed(recipe.seed)
        _save_pipeline(build_foley_pipeline(recipe.arch()), run_dir / "pipeline")
    for name in stages:
        if name not in STAGES:
            raise BadInputError(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")
        if not (run_dir / f"stage_{name}" / "done").exists():
            run_stage(name, run_dir, recipe, max_steps=max_steps, progress=progress)
    return run_dir / "pipeline"


def export(pipeline_dir: Path, target: Path, dtype: torch.dtype = torch.float16) -> Path:
    """Write a trained pipeline where foleykit loads the bundled model from (weights in fp16 to stay small)."""
    pipe = FoleyPipeline.from_pretrained(pipeline_dir)
    for module in (pipe.unet, pipe.vae, pipe.vocoder):
        module.to(dtype)
    _save_pipeline(pipe, Path(target))
    return Path(target)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m foleykit.training", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--recipe", choices=sorted(RECIPES), default="default")
    parser.add_argument(
        "--stages", default=",".join(STAGES), help="comma-separated subset of vocoder,vae,unet"
    )
    parser.add_argument(
        "--max-steps", type=int, default=None, help="stop each stage after this many more steps"
    )
    parser.add_argument(
        "--export", type=Path, default=None, help="copy the finished pipeline here (fp16 weights)"
    )
    args = parser.parse_args(argv)
    recipe = RECIPES[args.recipe]
    try:
        pipeline = train(
            args.run_dir, recipe, [s.strip() for s in args.stages.split(",") if s.strip()], args.max_steps
        )
    except BadInputError as err:
        print(f"foleykit.training: error: {err}", file=sys.stderr)
        return 2
    finished = all((args.run_dir / f"stage_{s}" / "done").exists() for s in STAGES)
    if args.export and finished:
        print(export(pipeline, args.export))
    elif args.export:
        print("foleykit.training: not exported: some stages have not finished", file=sys.stderr)
    return 0


__all__ = ["RECIPES", "STAGES", "StageRecipe", "TrainRecipe", "export", "main", "train"]
