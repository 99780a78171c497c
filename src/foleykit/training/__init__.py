"""Training the bundled model on the procedural foley corpus (see `foleykit.training.train`)."""

from foleykit.training.train import RECIPES, STAGES, StageRecipe, TrainRecipe, export, train

__all__ = ["RECIPES", "STAGES", "StageRecipe", "TrainRecipe", "export", "train"]
