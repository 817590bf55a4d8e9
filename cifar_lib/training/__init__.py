"""Training: recipes as data and the resumable ``train`` engine."""

from cifar_lib.errors import (
    CheckpointCorrupted,
    CheckpointWriteError,
    RunError,
    RunFolderBusy,
    TrainingDiverged,
    TrainingInterrupted,
)
from cifar_lib.training.callbacks import monitored_columns
from cifar_lib.training.engine import (
    TrainResult,
    budget_choice,
    check_budget,
    check_out_dir,
    clear_run,
    resolve_recipe,
    train,
)
from cifar_lib.training.recipes import BASELINE, FAST, QUICK, RECIPES, Recipe, get_recipe

__all__ = [
    "train",
    "resolve_recipe",
    "budget_choice",
    "check_budget",
    "TrainResult",
    "Recipe",
    "RECIPES",
    "QUICK",
    "FAST",
    "BASELINE",
    "get_recipe",
    "check_out_dir",
    "clear_run",
    "monitored_columns",
    "RunError",
    "TrainingDiverged",
    "RunFolderBusy",
    "CheckpointCorrupted",
    "CheckpointWriteError",
    "TrainingInterrupted",
]
