"""Command line: ``python -m cifar_lib {train,evaluate,predict,export,pipeline} ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from cifar_lib import pipeline
from cifar_lib.config import quiet_tensorflow
from cifar_lib.export import FORMATS

TTA_LEVELS = ("none", "mirror", "mirror_translate")  # cifar_lib.evaluation's, named here: it imports TensorFlow


def _train(args: argparse.Namespace) -> int:
    from cifar_lib.training.devices import strategy_for

    strategy = strategy_for(args.devices)  # first: multi-worker and cpu:N must come before TensorFlow runs anything
    from cifar_lib.data import load_cifar10
    from cifar_lib.training import check_budget, check_out_dir, monitored_columns, resolve_recipe, train

    names = ("epochs", "subset", "batch_size", "seed", "val_fraction")
    overrides = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    verbose = "auto" if args.verbose == "auto" else int(args.verbose)
    recipe = resolve_recipe(args.recipe, verbose=verbose, resume=args.resume, **overrides)  # bad settings fail
    if args.budget is not None:  # before the data
        check_budget(recipe, args.budget, overrides)  # is loaded
    check_out_dir(args.out)
    data = load_cifar10(args.data)
    options = {"verbose": verbose, "resume": args.resume, "budget_seconds": args.budget, "strategy": strategy}
    info = train(args.recipe, data, args.out, **options, **overrides).run_info
    accuracy = info["final"][monitored_columns(info["monitored"])[1]]
    used = ""
    if "budget_seconds_used" in info:
        budget = info["budget"]["budget_seconds"]
        used = f" ({info['budget_seconds_used']:.0f} s of the {budget:.0f} s budget, measuring included)"
    print(
        f"done: {info['epochs']} epochs, {info['monitored']} accuracy "
        f"{accuracy:.4f}, training {info['train_seconds']:.0f} s{used}; artifacts in {args.out}"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from cifar_lib.data import load_cifar10, stratified_subset
    from cifar_lib.evaluation import evaluate, load_model
    from cifar_lib.reports import per_class_accuracy

    model = load_model(args.model)  # a missing or damaged file: one line naming it
    data = load_cifar10(args.data)
    x, y = data.x_test, data.y_test
    if args.limit:  # a class-balanced sample: a folder copy is sorted by class, so the first N would be one class
        x, y = stratified_subset(x, y, args.limit, seed=0)
    result = evaluate(model, x, y, tta=args.tta)
    table = per_class_accuracy(y, result["predicted"], data.class_names)
    if args.json:
        found = {"model": args.model, "data": data.source, "n": result["n"], "tta": args.tta}
        per_class = dict(zip(table["class"], table["accuracy"].round(4)))
        print(json.dumps({**found, "accuracy": result["accuracy"], "per_class": per_class}, indent=2))
    else:
        print(f"{args.model}: test accuracy {result['accuracy']:.4f} on {result['n']} images (tta={args.tta})")
        print(table.to_string(index=False))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from cifar_lib.evaluation import load_model
    from cifar_lib.predict import check_top, format_result, predict_images

    paths = args.leading_images + args.images
    if not paths:
        raise ValueError("no images given: name image files or folders after the options")
    check_top(args.top)  # before the model loads
    model = load_model(args.model)  # a missing or damaged file: one line naming it, exit 2
    results = predict_images(model, paths, tta=args.tta, top=args.top)
    failed = [r for r in results if "error" in r]
    for result in failed:
        print(f"error: {result['error']}", file=sys.stderr)
    if args.json:
        for result in results:
            for entry in result.get("top", ()):
                entry["probability"] = round(entry["probability"], 4)
        print(json.dumps({"model": args.model, "tta": args.tta, "predictions": results}, indent=2))
    else:
        for result in results:
            if "error" not in result:
                print(format_result(result))
    return 0 if not failed else 2 if len(failed) == len(results) else 1


def _export(args: argparse.Namespace) -> int:
    from cifar_lib.evaluation import load_model
    from cifar_lib.export import check_destination, export_model, size_on_disk

    check_destination(args.format, args.out)  # a wrong --out is refused before the model is loaded
    model = load_model(args.model)
    path = export_model(model, args.format, args.out)
    print(
        f"{path}: {args.format} export of {args.model} ({size_on_disk(path) / 1e6:.1f} MB); "
        f"checked in its own runtime against Keras on random images"
    )
    return 0


class _TtaOrImage(argparse.Action):
    """``--tta`` with an optional level: ``--tta photo.jpg`` means the default level, then an image."""

    def __call__(self, parser, namespace, value, option_string=None):
        if value is not None and value not in TTA_LEVELS:
            if not os.path.exists(value):
                parser.error(f"argument --tta: invalid choice: {value!r} (choose from {', '.join(TTA_LEVELS)})")
            namespace.leading_images = [*namespace.leading_images, value]
            value = None
        setattr(namespace, self.dest, self.const if value is None else value)


def _pipeline(args: argparse.Namespace) -> int:
    return pipeline.run_from_args(args)


DATA_HELP = "CIFAR-10 source (default: $CIFAR10_DATA, else the official download)"


def _add_model_options(parser: argparse.ArgumentParser, example: str, json_what: str, tta_action="store") -> None:
    """--model, --tta and --json: what evaluate and predict share."""
    parser.add_argument("--model", required=True, help=f"a saved .keras model, e.g. {example}")
    tta_help = (
        "test-time augmentation: none (default), mirror or mirror_translate; --tta alone: mirror_translate (6 views)"
    )
    choices = TTA_LEVELS if tta_action == "store" else None  # _TtaOrImage checks the level itself
    parser.add_argument(
        "--tta",
        nargs="?",
        const="mirror_translate",
        default="none",
        choices=choices,
        action=tta_action,
        metavar="LEVEL",
        help=tta_help,
    )
    parser.add_argument("--json", action="store_true", help=f"print JSON instead of {json_what}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cifar_lib", description="CIFAR-10 tutorial tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a recipe into an output folder (resumes when interrupted)")
    t.add_argument(
        "--recipe",
        default="quick",
        help="recipe name: quick (default, minutes on a CPU), fast (airbench94) or baseline",
    )
    t.add_argument("--out", required=True, help="output folder (model.keras, history.csv, run.json)")
    t.add_argument("--epochs", type=int, help="override the recipe's epoch count")
    t.add_argument("--subset", type=int, help="train on a class-balanced subset of N images")
    t.add_argument("--batch-size", type=int, help="override the recipe's batch size")
    t.add_argument("--seed", type=int, help="random seed (default: the recipe's, 0)")
    t.add_argument(
        "--val-fraction",
        type=float,
        help="hold out this fraction of the training images (stratified) and monitor it instead of "
        "the test set, e.g. 0.1 when you compare settings (default: the recipe's; quick and fast: 0)",
    )
    t.add_argument(
        "--budget",
        metavar="TIME",
        help="a time budget (600, 600s, 10m, 1h): measure this machine, then train the network and epoch "
        "count with the best expected accuracy that fits (quick recipe's family; sets --epochs itself)",
    )
    t.add_argument(
        "--devices",
        default="auto",
        help="auto (default): all GPUs mirrored when there are two or more, else one device; one; "
        "mirrored: every GPU; multi-worker: one process per machine, the cluster in $TF_CONFIG; "
        "cpu:N: N logical devices of this CPU (to try tf.distribute on a laptop: slower)",
    )
    t.add_argument("--data", help=DATA_HELP)
    t.add_argument(
        "--verbose",
        default="auto",
        choices=("0", "1", "2", "auto"),
        help="0 silent, 1 progress bar, 2 one line per epoch; auto (default): the bar on a terminal, lines otherwise",
    )
    t.add_argument(
        "--resume",
        default="auto",
        choices=("auto", "previous", "fresh"),
        help="auto (default): continue an interrupted run from its newest checkpoint; previous: from the "
        "one before (when the newest is damaged); fresh: discard the checkpoints and start over",
    )
    t.set_defaults(func=_train)

    e = sub.add_parser("evaluate", help="test accuracy (and per-class accuracy) of a saved model")
    _add_model_options(e, "models/cifar10_fast.keras", json_what="a table")
    e.add_argument("--data", help=DATA_HELP)
    e.add_argument("--limit", type=int, help="evaluate a class-balanced sample of N test images")
    e.set_defaults(func=_evaluate)

    r = sub.add_parser(
        "predict",
        help="the top classes of your own images (any size: centre square, shrunk to 32x32)",
        epilog="exit status: 0 every image predicted, 1 some files could not be read, "
        "2 a bad model or setting, or no readable image at all",
    )
    _add_model_options(r, "models/cifar10_quick.keras", json_what="one line per image", tta_action=_TtaOrImage)
    r.add_argument("--top", type=int, default=3, help="how many classes to show per image (default 3)")
    r.add_argument(
        "images", nargs="*", metavar="IMAGE_OR_FOLDER", help="image files, or folders (not their subfolders)"
    )
    r.set_defaults(func=_predict, leading_images=[])

    x = sub.add_parser("export", help="export a saved model to run without Keras: SavedModel, LiteRT or ONNX")
    x.add_argument("--model", required=True, help="a saved .keras model, e.g. models/cifar10_quick.keras")
    x.add_argument(
        "--format",
        required=True,
        choices=FORMATS,
        help="saved_model (a folder, TensorFlow), litert (a .tflite file) or onnx (an .onnx file)",
    )
    x.add_argument("--out", required=True, help="where to write it: a folder for saved_model, else a file")
    x.set_defaults(func=_export)

    p = sub.add_parser("pipeline", help="run notebooks 01..07 with papermill")
    pipeline.add_arguments(p)
    p.set_defaults(func=_pipeline)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_tensorflow(import_now=args.func is not _pipeline)  # the pipeline itself needs no TensorFlow
    from cifar_lib.errors import RunError

    try:
        return args.func(args)
    except (ValueError, OSError, RunError) as exc:  # bad input, a busy folder, a full disk: one clear line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl+C: what was saved, and how to go on
        print(f"\n{exc or 'interrupted'}", file=sys.stderr)
        return 130
