"""load_cifar10 reads every source layout and names the file and problem of every bad input."""

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from cifar_lib.data import CLASS_NAMES, DatasetError, load_cifar10


def _check(data, arrays):
    x, y, xt, yt = arrays
    np.testing.assert_array_equal(data.x_train, x)
    np.testing.assert_array_equal(data.y_train, y)
    np.testing.assert_array_equal(data.x_test, xt)
    np.testing.assert_array_equal(data.y_test, yt)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64
    assert data.class_names == CLASS_NAMES


def test_official_archive(tiny_archive, tiny_arrays):
    _check(load_cifar10(tiny_archive), tiny_arrays)


def test_extracted_batches_folder_and_its_parent(tiny_batches_dir, tiny_arrays):
    _check(load_cifar10(tiny_batches_dir), tiny_arrays)
    _check(load_cifar10(tiny_batches_dir.parent), tiny_arrays)


def test_env_var_is_the_default_source(tiny_archive, tiny_arrays, monkeypatch):
    monkeypatch.setenv("CIFAR10_DATA", str(tiny_archive))
    _check(load_cifar10(), tiny_arrays)


def test_image_tree(tiny_image_tree):
    data = load_cifar10(tiny_image_tree)
    assert data.x_train.shape == (30, 32, 32, 3) and data.x_test.shape == (10, 32, 32, 3)
    assert list(np.bincount(data.y_train)) == [3] * 10
    first_airplane = np.asarray(Image.open(tiny_image_tree / "train" / "airplane" / "0000.png"))
    np.testing.assert_array_equal(data.x_train[0], first_airplane)


def test_class_folders_match_names_case_insensitively(tiny_image_tree):
    os.rename(tiny_image_tree / "train" / "truck", tiny_image_tree / "train" / "Truck")
    data = load_cifar10(tiny_image_tree)
    assert (data.y_train == 9).sum() == 3


def test_hidden_files_are_ignored(tiny_image_tree):
    (tiny_image_tree / "train" / "cat" / ".DS_Store").write_bytes(b"junk")
    assert len(load_cifar10(tiny_image_tree).x_train) == 30


def test_partial_tree_is_an_error_unless_asked_for(tiny_image_tree):
    shutil.rmtree(tiny_image_tree / "test")
    with pytest.raises(DatasetError, match=r"test: missing split folder"):
        load_cifar10(tiny_image_tree)
    shutil.rmtree(tiny_image_tree / "train" / "frog")
    with pytest.raises(DatasetError, match=r"train: missing class folders frog"):
        load_cifar10(tiny_image_tree)
    data = load_cifar10(tiny_image_tree, allow_partial=True)
    assert len(data.x_train) == 27 and 6 not in data.y_train
    assert data.x_test.shape == (0, 32, 32, 3)


def _only_a_text_file(root):
    shutil.rmtree(root / "train")
    shutil.rmtree(root / "test")
    (root / "readme.txt").write_text("x")


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda root: shutil.rmtree(root), r"no such file or folder"),
        (lambda root: _only_a_text_file(root), r"unknown layout"),
        (
            lambda root: (root / "train" / "cat" / "notes.txt").write_text("not an image"),
            r"cat/notes.txt: not a readable image",
        ),
        (
            lambda root: Image.new("RGB", (64, 64)).save(root / "train" / "dog" / "big.png"),
            r"dog/big.png: image is 64x64, expected 32x32",
        ),
        (
            lambda root: Image.new("L", (32, 32)).save(root / "train" / "dog" / "gray.png"),
            r"dog/gray.png: image mode is L, expected RGB",
        ),
        (
            lambda root: Image.new("RGBA", (32, 32)).save(root / "test" / "ship" / "alpha.png"),
            r"ship/alpha.png: image mode is RGBA",
        ),
        (lambda root: [p.unlink() for p in (root / "train" / "bird").iterdir()], r"train/bird: empty class folder"),
        (
            lambda root: (
                (root / "train" / "unicorn").mkdir()
                or Image.new("RGB", (32, 32)).save(root / "train" / "unicorn" / "a.png")
            ),
            r"train/unicorn: unknown class folder",
        ),
    ],
    ids=["missing", "unknown-layout", "not-an-image", "64x64", "grayscale", "rgba", "empty-class", "unknown-class"],
)
def test_bad_trees_give_clear_errors_and_leave_no_cache(tiny_image_tree, isolated_cache, make_bad, message):
    make_bad(tiny_image_tree)
    with pytest.raises(DatasetError, match=message):
        load_cifar10(tiny_image_tree)
    assert os.listdir(isolated_cache) == [], "nothing half-written is left in the cache"


def test_truncated_image_names_the_file(tiny_image_tree):
    path = tiny_image_tree / "train" / "horse" / "0001.png"
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(DatasetError, match=r"horse/0001.png: not a readable image"):
        load_cifar10(tiny_image_tree)


def test_truncated_archive(tiny_archive, isolated_cache):
    data = tiny_archive.read_bytes()
    tiny_archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"cifar-10-python.tar.gz: (corrupt or truncated archive|incomplete)"):
        load_cifar10(tiny_archive)
    assert os.listdir(isolated_cache) == []


def test_garbage_file_is_unknown_layout(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(DatasetError, match=r"data.bin: unknown layout"):
        load_cifar10(path)


def test_corrupt_batch_and_bad_labels(tmp_path, tiny_arrays):
    from fakes import batch_bytes, write_batches

    folder = tmp_path / "cifar-10-batches-py"
    write_batches(folder, *tiny_arrays)
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DatasetError, match=r"data_batch_3: corrupt batch file"):
        load_cifar10(folder)
    x, y, xt, yt = tiny_arrays
    (folder / "data_batch_3").write_bytes(batch_bytes(x[:4], np.array([0, 1, 12, 3])))
    with pytest.raises(DatasetError, match=r"data_batch_3: labels out of range 0..9 \(found 12\)"):
        load_cifar10(folder)
    (folder / "data_batch_3").unlink()
    with pytest.raises(DatasetError, match=r"missing data_batch_3"):
        load_cifar10(folder)


def test_no_source_and_no_network_is_a_clear_error(monkeypatch):
    import keras

    monkeypatch.delenv("CIFAR10_DATA", raising=False)

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    with pytest.raises(DatasetError, match="could not download CIFAR-10.*set CIFAR10_DATA"):
        load_cifar10()
