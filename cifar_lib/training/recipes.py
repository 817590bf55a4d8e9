"""Training recipes as plain data: every hyperparameter of a run in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    """Everything that defines a training run except the data and the output folder."""

    name: str
    model: str
    epochs: int
    batch_size: int
    optimizer: str  # "adam" | "torch_sgd"
    learning_rate: float
    augmentation: str  # "baseline" | "fast" | "none"
    val_fraction: float  # held out of train/ for validation; 0 trains on all of it and monitors test/
    label_smoothing: float = 0.0
    lr_time_decay: float = 0.0  # adam: lr / (1 + decay * step)
    momentum: float = 0.0
    weight_decay: float = 0.0  # torch_sgd: decoupled, per 1024 examples
    bn_bias_lr_scale: float = 1.0
    # torch_sgd: the learning-rate multiplier through (fraction of training, value) knots: warm-up, then decay
    lr_knots: tuple[tuple[float, float], ...] = ((0.0, 0.2), (0.23, 1.0), (1.0, 0.07))
    whiten_bias_epochs: int = 0
    ema_start_epoch: int | None = None  # lookahead/EMA of weights from this epoch on
    ema_every: int = 5  # steps between two pulls of the weights towards their average
    ema_decay: float = 0.95  # rho per step between pulls, times (progress)^3 (lookahead.lookahead_decay)
    translate_pad: int = 2  # fast augmentation: random shifts of up to this many pixels (reflect-padded)
    rotation_degrees: float = 15  # baseline augmentation: random rotations up to this many degrees ...
    shift_fraction: float = 0.1  # ... and shifts up to this fraction of the image (and a random flip)
    # the fast network (models/fast.py): airbench94's values
    whiten_kernel: int = 2  # patch size of the frozen whitening conv
    whiten_eps: float = 5e-4  # added to the patch covariance's eigenvalues before w = V / sqrt(lambda + eps)
    whiten_images: int = 5000  # random training images whose patches estimate that covariance
    bn_momentum: float = 0.6  # Keras' sense: share of the running statistics kept per step (PyTorch's 0.4)
    bn_epsilon: float = 1e-12
    logit_scale: float = 1 / 9  # the head's outputs are multiplied by this before the loss
    drop_remainder: bool = False
    jit_compile: bool | str = "auto"  # XLA on/off; see benchmarks/throughput.py for what wins where
    # "auto": mixed_float16 on a GPU (float16 math, float32 weights), float32 on a CPU; or a Keras dtype policy name
    precision: str = "auto"
    widths: tuple[int, ...] | None = None  # fast-family nets: channels of the three conv groups
    seed: int = 0

    def replace(self, **overrides) -> Recipe:
        """A copy with some fields changed; unknown names raise a ValueError listing the valid ones."""
        valid = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - valid)
        if unknown:
            raise ValueError(f"unknown recipe setting(s) {unknown}; valid settings: {sorted(valid)}")
        return dataclasses.replace(self, **overrides).validated()

    def validated(self) -> Recipe:
        """Check values; raises ValueError naming the bad setting."""
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if self.optimizer not in ("adam", "torch_sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'torch_sgd', got {self.optimizer!r}")
        if self.precision not in ("auto", "float32", "mixed_float16", "mixed_bfloat16"):
            raise ValueError(
                f"precision must be 'auto', 'float32', 'mixed_float16' or 'mixed_bfloat16', got {self.precision!r}"
            )
        if self.augmentation not in ("baseline", "fast", "none"):
            raise ValueError(f"augmentation must be 'baseline', 'fast' or 'none', got {self.augmentation!r}")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def model_options(self) -> dict:
        """Keyword arguments for ``build_model(self.model, ...)``: the fast network's settings."""
        if self.model != "fast":
            return {}
        names = ("whiten_kernel", "whiten_eps", "bn_momentum", "bn_epsilon", "logit_scale")
        widths = {} if self.widths is None else {"widths": tuple(self.widths)}
        return {**widths, **{name: getattr(self, name) for name in names}}


BASELINE = Recipe(
    name="baseline",
    model="baseline",
    epochs=100,
    batch_size=64,
    optimizer="adam",
    learning_rate=3e-4,
    lr_time_decay=1e-6,
    augmentation="baseline",
    val_fraction=0.2,
)

# airbench94's hyperparameters (docs/airbench94.md). lr and weight_decay are in airbench's "decoupled"
# units per 1024 examples; the engine turns them into PyTorch-SGD terms for the actual batch size.
FAST = Recipe(
    name="fast",
    model="fast",
    epochs=10,
    batch_size=1024,
    optimizer="torch_sgd",
    learning_rate=11.5,
    momentum=0.85,
    weight_decay=0.0153,
    bn_bias_lr_scale=64.0,
    label_smoothing=0.2,
    augmentation="fast",
    val_fraction=0.0,
    whiten_bias_epochs=3,
    ema_start_epoch=3,
    ema_every=5,
    drop_remainder=True,
    jit_compile=False,  # with oneDNN, XLA makes this step slower on a CPU (README, "Speed on a CPU")
)

# The fast recipe cut to a CPU budget: 85% test accuracy within 10 minutes of training on 2
# cores. Narrower groups (about a quarter of the arithmetic per image), 8 epochs instead of
# 10, and batch 512 (twice the steps per epoch; a smaller batch costs little speed on a CPU).
# What each choice bought: README, "The quick recipe".
QUICK = FAST.replace(
    name="quick",
    widths=(48, 96, 96),
    epochs=8,
    batch_size=512,
)

RECIPES: dict[str, Recipe] = {r.name: r for r in (QUICK, FAST, BASELINE)}


def get_recipe(name: str | Recipe) -> Recipe:
    """The recipe called ``name`` (a Recipe passes through)."""
    if isinstance(name, Recipe):
        return name.validated()
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown recipe {name!r}; known recipes: {', '.join(sorted(RECIPES))}") from None
