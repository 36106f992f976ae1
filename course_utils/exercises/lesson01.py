"""Checks for the exercises of notebooks/01_define_the_network.ipynb.

Each check calls the learner's function on small cases and compares the result with
what PyTorch itself computes (a real nn.Conv2d, autograd), never with stored numbers.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from . import (NotYet, Verdict, answer_tensor, checks_function, checks_value, compare_grads,
               number, numbers, random_tensor, say, spying)

__all__ = ["check_unpadded_shape", "check_layer_parameters", "check_conv_output_size",
           "check_digits_to_batch", "check_input_gradient"]


def unpadded_shape() -> tuple:
    """The shape after LeNet's two convolution + pooling stages, for one 28x28 digit."""
    from ..models import LeNet

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        net = LeNet()
        x = F.max_pool2d(F.relu(net.conv1(torch.zeros(1, 1, 28, 28))), 2)
        return tuple(F.max_pool2d(F.relu(net.conv2(x)), 2).shape)


@checks_value
def check_unpadded_shape(predicted_shape) -> Verdict:
    """Check a prediction: the shape after conv1, pool, conv2, pool for a 1 x 1 x 28 x 28 digit.

    The true shape comes from running LeNet's own layers.

    Example (notebook 01, exercise 1), on a prediction not written down yet:
        >>> check = check_unpadded_shape(None)
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    true, values = unpadded_shape(), numbers(predicted_shape)
    if values is None or values.dim() != 1 or not torch.equal(values, values.round()):
        raise NotYet(f"a shape is a tuple of whole numbers such as (1, 2, 3, 4), got "
                     f"{type(predicted_shape).__name__} {predicted_shape!r:.40}.")
    shape = tuple(int(v) for v in values)
    if shape == true:
        return say(True, f"{true}: {true[1] * true[2] * true[3]} numbers per image after "
                         "flatten, but fc1 expects 400: why the digits are padded to 32x32.")
    if len(shape) != 4:
        raise NotYet(f"{shape} has {len(shape)} dimensions; a batch of feature maps has 4: "
                     "N x C x H x W.", "the batch and channel dimensions stay, height and "
                     "width change.")
    if shape == (1, 16, 5, 5):
        raise NotYet("(1, 16, 5, 5) is what a 32x32 image gives, not a 28x28 one.",
                     "start from 28 and follow the sizes through the four steps.")
    wrong = [name for name, a, b in zip("NCHW", shape, true) if a != b]
    raise NotYet(f"{', '.join(wrong)} of your prediction {shape} differ from what the layers "
                 "give.", "which layer decides the number of channels?" if "C" in wrong else
                 "the table of sizes above starts from 32: what does each of its four steps "
                 "do to a side?")


@checks_function
def check_layer_parameters(layer_parameters) -> Verdict:
    """Check ``layer_parameters(layer) -> int`` for nn.Linear and nn.Conv2d layers.

    The expected counts come from the layers' own parameter tensors (``p.numel()``).

    Example (notebook 01, exercise 2), on an answer that returns nothing yet:
        >>> check = check_layer_parameters(lambda *args, **kwargs: None)
        Not yet: your function returned None. For a hint, run the check again with hint=2.
    """
    with torch.random.fork_rng(devices=[]):  # building layers draws random weights
        layers = {"nn.Linear(3, 2)": nn.Linear(3, 2), "nn.Conv2d(1, 6, 5)": nn.Conv2d(1, 6, 5),
                  "nn.Conv2d(6, 16, 5)": nn.Conv2d(6, 16, 5),
                  "nn.Linear(400, 120)": nn.Linear(400, 120),
                  "nn.Conv2d(3, 8, (3, 5))": nn.Conv2d(3, 8, (3, 5)),
                  "nn.Linear(4, 5, bias=False)": nn.Linear(4, 5, bias=False)}
    for text, layer in layers.items():
        with spying(nn.Module, "named_parameters") as listed, spying(torch.Tensor, "numel") as counted:
            answer = layer_parameters(layer)  # from the settings, not the tensors
        if listed or counted:
            raise NotYet("your function counts the layer's tensors (parameters() or numel()): "
                         "count from the layer's settings alone.", "print(layer) shows the "
                         "settings; which numbers make the weight, and which the bias?")
        weights, outputs = layer.weight.numel(), layer.weight.shape[0]
        expected, got = weights + (outputs if layer.bias is not None else 0), number(answer)
        if got == expected:
            continue
        if layer.bias is not None and got == weights:
            raise NotYet(f"for {text} you counted the weights ({answer}) but not the biases.",
                         "a bias holds one number per output.")
        if layer.bias is None and got == expected + outputs:
            raise NotYet(f"{text} has no bias (layer.bias is None), but you counted one.",
                         "count the biases only when the layer has them.")
        if answer is None:
            raise NotYet("your function returned None.", "does it end with `return` and the count?")
        kh, kw = getattr(layer, "kernel_size", (1, 1))
        if got == expected + weights // kw * (kh - kw) != expected:  # kernel height squared
            raise NotYet(f"for {text} you got {answer}: a {kh}x{kw} kernel is not square.",
                         "kernel_size is a pair (height, width): use both.")
        raise NotYet(f"for {text} you got {answer!r:.40}, but its tensors hold {expected} "
                     "numbers.", "a Linear weight is out x in numbers, a Conv2d weight out x "
                     "in x kernel height x kernel width; each output adds its bias.")
    return say(True, "your counts match the layers' tensors, including a 3x5 kernel and no bias.")


@checks_function
def check_conv_output_size(conv_output_size) -> Verdict:
    """Check ``conv_output_size(size, kernel_size, stride=1, padding=0) -> int``.

    The expected sizes come from running a real nn.Conv2d on zeros.

    Example (notebook 01, exercise 3), on an answer that returns nothing yet:
        >>> check = check_conv_output_size(lambda *args, **kwargs: None)
        Not yet: conv_output_size(32, 5, stride=1, padding=0) gave None, but nn.Conv2d gives 28. ...
    """
    for size, kernel, stride, padding in [(32, 5, 1, 0), (14, 5, 1, 0), (28, 2, 2, 0),
                                          (28, 3, 1, 1), (32, 5, 2, 0), (7, 3, 2, 1)]:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
            expected = conv(torch.zeros(1, 1, size, size)).shape[-1]
        answer = conv_output_size(size, kernel, stride=stride, padding=padding)
        got = number(answer)
        if got == expected:
            continue
        gave = (f"conv_output_size({size}, {kernel}, stride={stride}, padding={padding}) gave "
                f"{answer!r:.40}, but nn.Conv2d gives {expected}.")
        if got is not None and int(got) == expected:
            raise NotYet(gave + " Sizes are whole pixels.", "which division drops the fraction?")
        for wrong, mistake, more in [
                ((size + 2 * padding - kernel) + 1, "The stride is missing.",
                 "with stride s the kernel jumps s pixels at a time: fewer positions."),
                ((size - kernel) // stride + 1, "The padding is missing.",
                 "padding adds `padding` pixels on each of the two sides."),
                ((size + padding - kernel) // stride + 1, "The padding is counted on one side "
                 "only.", "padding adds `padding` pixels on each of the two sides.")]:
            if got == wrong != expected:
                raise NotYet(f"{gave} {mistake}", more)
        raise NotYet(gave, "count the positions where the kernel fits in the padded row: once "
                           "at the left edge, then once more for every stride that still fits.")
    return say(True, "your formula agrees with nn.Conv2d on 6 cases, pooling included.")


def _where(image, digit) -> str:
    """Why image is not digit padded by 2 on each side: what the learner's batch did to it."""
    for top in range(5):
        for left in range(5):
            if torch.equal(image, F.pad(digit, (left, 4 - left, top, 4 - top))):
                return (f"has {top} rows of zeros above it and {4 - top} below, {left} columns "
                        f"on its left and {4 - left} on its right: it is not centred.")
    if torch.equal(image[2:30, 2:30], digit):
        return "sits in the middle, but its border is not zeros."
    if torch.equal(image[2:30, 2:30], digit.T):
        return "is transposed: its rows became columns."
    return "changed: its pixels are not the digit's."


@checks_function
def check_digits_to_batch(digits_to_batch) -> Verdict:
    """Check ``digits_to_batch(digits)``: a list of N 28x28 digits -> an N x 1 x 32 x 32 batch.

    Each digit must sit in the middle, 2 pixels of zeros on each side, its pixels unchanged.

    Example (notebook 01, exercise 4), on an answer that returns nothing yet:
        >>> check = check_digits_to_batch(lambda *args, **kwargs: None)
        Not yet: the batch of 3 digits is None: does your function `return` it?
    """
    for count, seed in [(3, 4), (1, 5)]:
        generator = torch.Generator().manual_seed(seed)  # pixels in (0, 1]: none is a zero
        digits = [1 - torch.rand(28, 28, generator=generator) for _ in range(count)]
        name = f"the batch of {count} digit" + ("s" if count > 1 else "")
        batch = answer_tensor(digits_to_batch([digit.clone() for digit in digits]), name=name)
        shape = tuple(batch.shape)
        if shape in ((count, 32, 32), (32, 32)):
            raise NotYet(f"{name} has shape {shape}: the channel dimension is missing.",
                         "LeNet reads N x C x H x W, and a grayscale digit has one channel.")
        if shape[-2:] == (28, 28):
            raise NotYet(f"{name} has shape {shape}: the digits are not padded.", "LeNet's first "
                         "layer was made for 32x32: what does each side of a 28x28 digit lack?")
        if shape == (1, count, 32, 32) != (count, 1, 32, 32):
            raise NotYet(f"{name} has shape {shape}: the {count} digits became {count} channels "
                         "of one image.", "the digits are the N of N x C x H x W; the channel "
                                          "comes after it.")
        if shape != (count, 1, 32, 32):
            raise NotYet(f"{name} has shape {shape}, expected {(count, 1, 32, 32)}.",
                         "N x C x H x W: one image per digit, one channel, 32x32 pixels.")
        if batch.dtype != torch.float32:
            raise NotYet(f"{name} has dtype {batch.dtype}, but LeNet's weights are float32.",
                         "the digits are float32 already: which step changed the dtype?")
        for i, digit in enumerate(digits):
            if torch.equal(batch[i, 0], F.pad(digit, (2, 2, 2, 2))):
                continue
            if any(torch.equal(batch[i, 0], F.pad(other, (2, 2, 2, 2))) for other in digits):
                raise NotYet(f"image {i} of the batch is another digit: the order changed.",
                             "keep the digits in the list's order.")
            raise NotYet(f"digit {i} {_where(batch[i, 0], digit)}", "the 4 extra pixels of "
                         "each side length are shared equally by its two sides; pad with zeros "
                         "(black) only: no arithmetic, no transpose.")
    return say(True, "every digit sits in the middle of its 32x32 image, pixels unchanged: "
                     "LeNet's mini-batch.")


@checks_function
def check_input_gradient(input_gradient) -> Verdict:
    """Check ``input_gradient(weight, v)``: the x.grad left by ``(x @ weight.T).backward(v)``.

    Compared with autograd through compare_grads (one line of verdict).

    Example (notebook 01, exercise 5), on an answer that returns nothing yet:
        >>> check = check_input_gradient(lambda *args, **kwargs: None)
        Not yet: your gradient is None: does your function `return` it? ...
    """
    weight, v = random_tensor(3, 4, seed=1), random_tensor(1, 3, seed=2)
    x = random_tensor(1, 4, seed=3).requires_grad_(True)
    (x @ weight.T).backward(v)
    mine = answer_tensor(input_gradient(weight.clone(), v.clone()), (1, 4), "your gradient",
                         "x.grad has the shape of x, (1, 4); v is (1, 3) and weight (3, 4).")
    comparison = compare_grads("x.grad", mine, x.grad, atol=1e-5)
    if comparison.verdict == "wrong":
        raise NotYet(f"{comparison}.", "write out x.grad for one entry of x, by the chain rule; "
                                       "then look for a matrix product that gives them all.")
    return say(True, f"{comparison}: out.backward(v) computes v times the Jacobian (here the "
                     "weight), a vector-Jacobian product.")
