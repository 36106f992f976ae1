"""LeNet, the network of the lesson, with input checks that explain the fix.
Used in: notebooks 01 to 05 (in 01 compared with the learner's own ``Net``).
"""
import contextlib

import torch
from torch import nn
import torch.nn.functional as F


def check_image_batch(x, name: str = "input") -> None:
    """Raise a ValueError that names the fix unless ``x`` is a float N x 1 x 32 x 32 batch."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (N, 1, 32, 32), got "
                         f"{type(x).__name__}. Fix: torch.as_tensor(x, dtype=torch.float32).")
    shape = tuple(x.shape)
    if not x.is_floating_point():
        raise ValueError(f"{name} has dtype {x.dtype}, but LeNet's weights are float32. Fix: "
                         "x = x.float() / 255 for raw uint8 pixels (load_mnist normalises them).")
    if x.dim() == 3 and shape[0] == 1:
        raise ValueError(f"{name} has shape {shape}: one image, not a mini-batch (N x C x H x W). "
                         f"Fix: x = x.unsqueeze(0) gives a batch of one, shape {(1, *shape)}.")
    if x.dim() != 4:
        raise ValueError(f"{name} has shape {shape}, but LeNet expects a 4-D mini-batch "
                         "N x 1 x 32 x 32. Fix: x.view(-1, 1, 32, 32).")
    n, c, h, w = shape
    if c != 1:
        raise ValueError(f"{name} has shape {shape}: {c} channels, but LeNet expects 1 "
                         "(grayscale). Fix: x = x.mean(dim=1, keepdim=True).")
    if (h, w) == (28, 28):
        raise ValueError(f"{name} has shape {shape}: 28x28 MNIST images, but LeNet expects "
                         "32x32. Fix: x = torch.nn.functional.pad(x, (2, 2, 2, 2)), or "
                         "course_utils.load_mnist(), which pads for you.")
    if (h, w) != (32, 32):
        raise ValueError(f"{name} has shape {shape}: {h}x{w} images, but LeNet expects 32x32. "
                         "Fix: resize or pad the images to 32x32.")


class LeNet(nn.Module):
    """The lesson's LeNet: two 5x5 convolutions and three fully connected layers.

    Shapes: 1x32x32 -> conv1 6x28x28 -> pool 6x14x14 -> conv2 16x10x10
    -> pool 16x5x5 -> flatten 400 -> fc1 120 -> fc2 84 -> fc3 10 scores.

    Example (notebook 01):
        >>> net = LeNet()
        >>> net(torch.randn(1, 1, 32, 32)).shape
        torch.Size([1, 10])
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image_batch(x)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)  # replaces the old num_flat_features / view
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


@contextlib.contextmanager
def eval_mode(model: nn.Module):
    """Put model in eval mode for the block, then back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
