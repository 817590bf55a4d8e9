"""The decode cache: a second load does not decode; any change to the source invalidates it."""

import os
import time

import numpy as np
import pytest
from PIL import Image

from cifar_lib.data import load_cifar10, sources


def _forbid_decoding(monkeypatch):
    def fail(path):
        raise AssertionError(f"decoded {path} although the cache should have been used")

    monkeypatch.setattr(sources, "decode_image", fail)


def test_second_load_is_a_cache_hit(tiny_image_tree, isolated_cache, monkeypatch):
    first = load_cifar10(tiny_image_tree)
    assert len([f for f in os.listdir(isolated_cache) if f.endswith(".npz")]) == 1
    _forbid_decoding(monkeypatch)
    second = load_cifar10(tiny_image_tree)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)


@pytest.mark.parametrize("change", ["add", "remove", "overwrite"])
def test_changes_to_the_tree_invalidate_the_cache(tiny_image_tree, isolated_cache, change):
    load_cifar10(tiny_image_tree)
    folder = tiny_image_tree / "train" / "deer"
    if change == "add":
        Image.new("RGB", (32, 32), (1, 2, 3)).save(folder / "9999.png")
    elif change == "remove":
        (folder / "0000.png").unlink()
    else:
        time.sleep(0.01)
        Image.new("RGB", (32, 32), (7, 7, 7)).save(folder / "0000.png")
    data = load_cifar10(tiny_image_tree)
    expected = {"add": 31, "remove": 29, "overwrite": 30}[change]
    assert len(data.x_train) == expected
    if change == "overwrite":
        assert (data.x_train[data.y_train == 4][0] == 7).all()
    assert len([f for f in os.listdir(isolated_cache) if f.endswith(".npz")]) == 1, "the stale cache file is replaced"


def test_use_cache_false_writes_nothing(tiny_archive, isolated_cache):
    load_cifar10(tiny_archive, use_cache=False)
    assert os.listdir(isolated_cache) == []


def test_interrupted_write_leaves_no_partial_file(tiny_image_tree, isolated_cache, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        load_cifar10(tiny_image_tree)
    assert os.listdir(isolated_cache) == []


def _only_cache_file(folder) -> str:
    (name,) = [f for f in os.listdir(folder) if f.endswith(".npz")]
    return os.path.join(folder, name)


def test_truncated_cache_is_reported_deleted_and_rebuilt(tiny_image_tree, isolated_cache, capsys):
    first = load_cifar10(tiny_image_tree)
    path = _only_cache_file(isolated_cache)
    with open(path, "r+b") as f:  # what a full disk or a crash mid-copy leaves
        f.truncate(os.path.getsize(path) // 3)
    second = load_cifar10(tiny_image_tree)
    assert "is unreadable" in capsys.readouterr().out
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)
    with np.load(_only_cache_file(isolated_cache)) as npz:  # rebuilt: a readable, complete file again
        assert len(npz["x_train"]) == len(first.x_train)


def test_cache_with_wrong_arrays_is_never_served(tiny_image_tree, isolated_cache, capsys):
    first = load_cifar10(tiny_image_tree)
    path = _only_cache_file(isolated_cache)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["x_train"] = arrays["x_train"][:-5]  # readable, but five images short of the listing
    arrays["y_train"] = arrays["y_train"][:-5]
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    second = load_cifar10(tiny_image_tree)
    assert "25 train images cached, the source has 30" in capsys.readouterr().out
    assert len(second.x_train) == len(first.x_train) == 30


def test_the_fingerprint_walk_counts_what_the_listing_holds(tiny_image_tree):
    (tiny_image_tree / "train" / "cat" / ".DS_Store").write_bytes(b"finder litter")  # hidden: not an image
    (tiny_image_tree / "train" / ".ipynb_checkpoints").mkdir()
    Image.new("RGB", (32, 32)).save(tiny_image_tree / "train" / ".ipynb_checkpoints" / "x.png")
    _, counts = sources.fingerprint("tree", str(tiny_image_tree))
    listing = sources.tree_files(str(tiny_image_tree))
    assert counts == {split: len(files) for split, files in listing.items()} == {"train": 30, "test": 10}
