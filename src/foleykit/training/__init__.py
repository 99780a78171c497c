"""Training the bundled model on the procedural foley corpus (see `foleykit.training.trainer`)."""

from foleykit.training.trainer import RECIPES, STAGES, StageRecipe, TrainRecipe, export, train

__all__ = ["RECIPES", "STAGES", "StageRecipe", "TrainRecipe", "export", "train"]
