"""Batch generation from prompt files (DESIGN §5): `foleykit batch`, resumable, several processes."""

from foleykit.batch.prompt_file import BatchSound, PromptFile, load_prompt_file
from foleykit.batch.runner import BatchResult, run_batch

__all__ = ["BatchResult", "BatchSound", "PromptFile", "load_prompt_file", "run_batch"]
