"""The real torchvision download path, served from 127.0.0.1 (no internet needed)."""
import pytest
import torch

import course_utils as cu
from course_utils import data as data_mod


def test_download_caches_and_reloads_without_the_server(tmp_path, mnist_server, capsys):
    data = cu.load_mnist(tmp_path, source="torchvision")
    assert data.source == "torchvision"
    assert (len(data.train), len(data.val), len(data.test)) == (263, 37, 100)
    assert data.train.images.shape[1:] == (1, 32, 32)
    assert "torchvision download" in capsys.readouterr().out.splitlines()[-1]
    assert data_mod.cache_problem(tmp_path) is None

    mnist_server.shutdown()  # no network any more: the cache alone must do
    again = cu.load_mnist(tmp_path)
    assert again.source == "cache"
    assert torch.equal(again.train.images, data.train.images)
    assert torch.equal(again.test.labels, data.test.labels)


def test_downloaded_digits_are_the_served_ones(tmp_path, mnist_server):
    data = cu.load_mnist(tmp_path, source="torchvision", verbose=False)
    pixels, labels = data_mod.load_sample_pixels()
    served = torch.arange(0, 2100, 7)  # the 300 training digits the server holds
    is_val = torch.zeros(300, dtype=torch.bool)
    is_val[data_mod.spread(300, 300 // 8)] = True  # validation: one in 8 of them
    assert torch.equal(data.train.labels, labels[served[~is_val]])
    assert torch.equal(data.val.labels, labels[served[is_val]])
    assert torch.equal(data.train.images, data_mod.to_model_input(pixels[served[~is_val]]))


def test_truncated_cache_is_fetched_again(tmp_path, mnist_server):
    cu.load_mnist(tmp_path, source="torchvision", verbose=False)
    images = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="damaged"):
        data = cu.load_mnist(tmp_path, verbose=False)
    assert data.source == "torchvision" and len(data.train) + len(data.val) == 300
    assert data_mod.cache_problem(tmp_path) is None


def test_make_data_prefetch_command_fills_a_portable_cache(tmp_path, mnist_server):
    """`make data` runs load_mnist(source='torchvision'); the folder then works offline."""
    cu.load_mnist(tmp_path / "usb-stick", source="torchvision", verbose=False)
    mnist_server.shutdown()
    moved = tmp_path / "classroom-pc"
    (tmp_path / "usb-stick").rename(moved)
    assert cu.load_mnist(moved, verbose=False).source == "cache"
