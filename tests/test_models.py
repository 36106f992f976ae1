import numpy as np
import pytest
import torch

import course_utils as cu


def test_lenet_shapes_and_parameters():
    net = cu.LeNet()
    assert net(torch.randn(3, 1, 32, 32)).shape == (3, 10)
    shapes = [tuple(p.shape) for p in net.parameters()]
    assert shapes == [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,),
                      (84, 120), (84,), (10, 84), (10,)]
    assert sum(p.numel() for p in net.parameters()) == 61706


@pytest.mark.parametrize("x, fix", [
    (torch.randn(1, 32, 32), "(1, 1, 32, 32)"),
    (torch.randn(32, 32), "view(-1, 1, 32, 32)"),
    (torch.randn(4, 1, 28, 28), "pad"),
    (torch.randn(4, 3, 32, 32), "grayscale"),
    (torch.zeros(4, 1, 32, 32, dtype=torch.uint8), ".float() / 255"),
    (torch.randn(4, 1, 28, 28), "load_mnist"),
    (torch.randn(4, 1, 64, 64), "32x32"),
    (np.zeros((4, 1, 32, 32), dtype=np.float32), "torch.as_tensor"),
])
def test_lenet_rejects_bad_input_naming_the_fix(x, fix):
    with pytest.raises(ValueError) as err:
        cu.LeNet()(x)
    message = str(err.value)
    assert fix in message
    assert "shape" in message or "dtype" in message or "Tensor" in message  # says what it got
    # raised by LeNet's own input check, not by a torch internal further down
    assert err.traceback[-1].path.name == "models.py"


def test_28x28_message_points_to_load_mnist():
    with pytest.raises(ValueError, match="load_mnist"):
        cu.LeNet()(torch.randn(2, 1, 28, 28))


def test_eval_mode_restores_the_mode_the_model_was_in():
    from course_utils.models import eval_mode

    net = cu.LeNet()
    for before in (True, False):
        net.train(before)
        with eval_mode(net):
            assert not net.training
        assert net.training is before
