"""Training: recipes as data and the resumable ``train`` engine."""

from cifar_lib.training.callbacks import TrainingDiverged
from cifar_lib.training.engine import TrainResult, resolve_recipe, train
from cifar_lib.training.recipes import BASELINE, FAST, QUICK, RECIPES, Recipe, get_recipe

__all__ = ["train", "resolve_recipe", "TrainResult", "Recipe", "RECIPES", "QUICK", "FAST", "BASELINE", "get_recipe",
           "TrainingDiverged"]
