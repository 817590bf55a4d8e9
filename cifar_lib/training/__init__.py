"""Training: recipes as data and the resumable ``train`` engine."""

from cifar_lib.training.callbacks import TrainingDiverged
from cifar_lib.training.engine import TrainResult, train
from cifar_lib.training.recipes import FAST, RECIPES, SEED, Recipe, get_recipe

__all__ = ["train", "TrainResult", "Recipe", "RECIPES", "SEED", "FAST", "get_recipe", "TrainingDiverged"]
