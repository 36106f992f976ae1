"""Checks for the exercises of notebooks/01_define_the_network.ipynb.

Each check calls the learner's function on small cases and compares the result with
what PyTorch itself computes (a real nn.Conv2d, autograd), never with stored numbers.
Random inputs come from a private generator, so the notebook's random stream is untouched.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from . import (Verdict, checks_function, checks_value, compare_grads, random_tensor, say,
               spying, tensor_problem)

__all__ = ["check_unpadded_shape", "check_layer_parameters", "check_conv_output_size",
           "check_digits_to_batch", "check_input_gradient"]


def _as_int(value):
    """value as a Python int when it is a whole number (int, 28.0, tensor(28)), else None."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else None


def _as_shape(value) -> tuple | None:
    """value as a tuple of ints when it is a shape (tuple, list, torch.Size), else None."""
    if isinstance(value, torch.Tensor) or not isinstance(value, (tuple, list)):
        return None
    shape = tuple(_as_int(v) for v in value)
    return None if None in shape else shape


def unpadded_shape() -> tuple:
    """The shape after LeNet's two convolution + pooling stages, for one 28x28 digit."""
    from ..models import LeNet

    with torch.random.fork_rng(devices=[]), torch.no_grad():
        net = LeNet()
        x = torch.zeros(1, 1, 28, 28)
        x = F.max_pool2d(F.relu(net.conv1(x)), 2)
        return tuple(F.max_pool2d(F.relu(net.conv2(x)), 2).shape)


@checks_value
def check_unpadded_shape(predicted_shape) -> Verdict:
    """Check a prediction: the shape after conv1, pool, conv2, pool for a 1 x 1 x 28 x 28 digit.

    The true shape comes from running LeNet's own layers.

    Example (notebook 01, exercise 1), on a prediction not written down yet:
        >>> check = check_unpadded_shape(None)
        Not yet: your answer is still None: replace None by your answer, then run this ...
    """
    true = unpadded_shape()
    shape = _as_shape(predicted_shape)
    if shape is None:
        return say(False, f"a shape is a tuple of whole numbers such as (1, 2, 3, 4), got "
                          f"{type(predicted_shape).__name__} {predicted_shape!r:.40}.")
    if shape == true:
        return say(True, f"{true}: {true[1] * true[2] * true[3]} numbers per image after "
                         "flatten, but fc1 expects 400. That is why the digits are padded "
                         "to 32x32.")
    if len(shape) != 4:
        return say(False, f"{shape} has {len(shape)} dimensions; a batch of feature maps has "
                          "4: N x C x H x W.", more="the batch and channel dimensions stay, "
                          "height and width change.")
    if shape == (1, 16, 5, 5):
        return say(False, "(1, 16, 5, 5) is what a 32x32 image gives, not a 28x28 one.",
                   more="start from 28 and follow the sizes through the four steps.")
    wrong = [name for name, a, b in zip(("N", "C", "H", "W"), shape, true) if a != b]
    return say(False, f"{', '.join(wrong)} of your prediction {shape} differ from what the "
                      "layers give.", more="which layer decides the number of channels?" if "C" in wrong
               else "the table of sizes above starts from 32: what does each of its four "
                    "steps do to a side, whatever it starts from?")


@checks_function
def check_layer_parameters(layer_parameters) -> Verdict:
    """Check ``layer_parameters(layer) -> int`` for nn.Linear and nn.Conv2d layers.

    The expected counts come from the layers' own parameter tensors (``p.numel()``).

    Example (notebook 01, exercise 2), on an answer that returns nothing yet:
        >>> check = check_layer_parameters(lambda *args, **kwargs: None)
        Not yet: your function returned None. For a hint, run the check again with hint=2.
    """
    with torch.random.fork_rng(devices=[]):  # building layers draws random weights
        layers = [("nn.Linear(3, 2)", nn.Linear(3, 2)), ("nn.Conv2d(1, 6, 5)", nn.Conv2d(1, 6, 5)),
                  ("nn.Conv2d(6, 16, 5)", nn.Conv2d(6, 16, 5)),
                  ("nn.Linear(400, 120)", nn.Linear(400, 120)),
                  ("nn.Conv2d(3, 8, (3, 5))", nn.Conv2d(3, 8, (3, 5))),
                  ("nn.Linear(4, 5, bias=False)", nn.Linear(4, 5, bias=False))]
    for text, layer in layers:
        expected = sum(p.numel() for p in layer.parameters())
        with spying(nn.Module, "named_parameters") as listed, spying(torch.Tensor, "numel") as counted:
            answer = layer_parameters(layer)            # from the settings, not the tensors
        if listed or counted:
            return say(False, "your function counts the layer's tensors (parameters() or "
                              "numel()), as the lesson did: this exercise asks for the count "
                              "from the layer's settings alone.",
                       more="print(layer) shows the settings; which numbers make the weight, "
                            "and which the bias?")
        if _as_int(answer) == expected:
            continue
        if answer is None:
            return say(False, "your function returned None.",
                       more="does it end with `return` and the count?")
        if layer.bias is not None and _as_int(answer) == layer.weight.numel():
            return say(False, f"for {text} you counted the weights ({answer}) but not the "
                              "biases.", more="a bias holds one number per output.")
        if layer.bias is None and _as_int(answer) == expected + layer.weight.shape[0]:
            return say(False, f"{text} has no bias (layer.bias is None), but you counted one.",
                       more="count the biases only when the layer has them.")
        if isinstance(layer, nn.Conv2d) and _as_int(answer) == expected - layer.weight.numel() \
                + layer.weight.shape[0] * layer.weight.shape[1] * layer.kernel_size[0] ** 2:
            return say(False, f"for {text} you got {answer}: a {layer.kernel_size[0]}x"
                              f"{layer.kernel_size[1]} kernel is not square.",
                       more="kernel_size is a pair (height, width): use both.")
        return say(False, f"for {text} you got {answer!r:.60}, but its tensors hold {expected} "
                          "numbers.", more="a Linear weight is out x in numbers, a Conv2d weight "
                          "out x in x kernel height x kernel width; each output adds its bias.")
    return say(True, "your counts match the layers' tensors, including a 3x5 kernel and no bias.")


def _conv_formula(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


@checks_function
def check_conv_output_size(conv_output_size) -> Verdict:
    """Check ``conv_output_size(size, kernel_size, stride=1, padding=0) -> int``.

    The expected sizes come from running a real nn.Conv2d on zeros.

    Example (notebook 01, exercise 3), on an answer that returns nothing yet:
        >>> check = check_conv_output_size(lambda *args, **kwargs: None)
        Not yet: conv_output_size(32, 5, stride=1, padding=0) gave None, but nn.Conv2d gives 28. ...
    """
    cases = [(32, 5, 1, 0), (14, 5, 1, 0), (28, 2, 2, 0), (28, 3, 1, 1), (32, 5, 2, 0),
             (7, 3, 2, 1)]
    for size, kernel, stride, padding in cases:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            conv = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding)
            expected = conv(torch.zeros(1, 1, size, size)).shape[-1]
        call = f"conv_output_size({size}, {kernel}, stride={stride}, padding={padding})"
        answer = conv_output_size(size, kernel, stride=stride, padding=padding)
        if _as_int(answer) == expected:
            continue
        gave = f"{call} gave {answer!r:.60}, but nn.Conv2d gives {expected}."
        if isinstance(answer, float) and int(answer) == expected:
            return say(False, f"{call} gave {answer}, but sizes are whole pixels: {expected}.",
                       more="which division drops the fraction?")
        number = _as_int(answer)
        if number == _conv_formula(size, kernel, 1, padding) and stride > 1:
            return say(False, gave + " The stride is missing.",
                       more="with stride s the kernel jumps s pixels at a time: fewer positions.")
        if number == _conv_formula(size, kernel, stride, 0) and padding > 0:
            return say(False, gave + " The padding is missing.",
                       more="padding adds `padding` pixels on each of the two sides.")
        if number == (size + padding - kernel) // stride + 1 and padding > 0:
            return say(False, gave + " The padding is counted on one side only.",
                       more="padding adds `padding` pixels on each of the two sides.")
        return say(False, gave, more="count the positions where the kernel fits in the padded "
                                     "row: once at the left edge, then once more for every "
                                     "stride that still fits.")
    return say(True, "your formula agrees with nn.Conv2d on 6 cases, pooling included.")


def _digits(count: int, seed: int) -> list:
    """count 28x28 "digits" of pixels in (0, 1], none zero: where each one sits is unambiguous."""
    generator = torch.Generator().manual_seed(seed)
    return [1 - torch.rand(28, 28, generator=generator) for _ in range(count)]


def _offset(image, digit) -> tuple | None:
    """(top, left) where digit sits whole inside image, zeros elsewhere; None when nowhere."""
    height, width = image.shape
    for top in range(height - 27):
        for left in range(width - 27):
            rest = image.clone()
            rest[top:top + 28, left:left + 28] = 0
            if torch.equal(image[top:top + 28, left:left + 28], digit) and not rest.any():
                return top, left
    return None


@checks_function
def check_digits_to_batch(digits_to_batch) -> Verdict:
    """Check ``digits_to_batch(digits)``: a list of N 28x28 digits -> an N x 1 x 32 x 32 batch.

    Each digit must sit in the middle, 2 pixels of zeros on each side, its pixels unchanged;
    LeNet runs on the result.

    Example (notebook 01, exercise 4), on an answer that returns nothing yet:
        >>> check = check_digits_to_batch(lambda *args, **kwargs: None)
        Not yet: the batch of 3 digits is None. Hint: does your function `return` its result?
    """
    from ..models import LeNet

    for count, seed in [(3, 4), (1, 5)]:
        digits = _digits(count, seed)
        batch = digits_to_batch([digit.clone() for digit in digits])
        name = f"the batch of {count} digit" + ("s" if count > 1 else "")
        problem = tensor_problem(batch, name=name)
        if problem:
            return say(False, problem)
        shape, expected = tuple(batch.shape), (count, 1, 32, 32)
        if shape == (count, 32, 32) or (count == 1 and shape == (32, 32)):
            return say(False, f"{name} has shape {shape}: the channel dimension is missing.",
                       more="LeNet reads N x C x H x W, and a grayscale digit has one channel.")
        if shape[-2:] == (28, 28):
            return say(False, f"{name} has shape {shape}: the digits are not padded.",
                       more="LeNet's first layer was made for 32x32: what does each side of a "
                            "28x28 digit lack?")
        if shape == (1, count, 32, 32) and count > 1:
            return say(False, f"{name} has shape {shape}: the {count} digits became {count} "
                              "channels of one image.", more="the digits are the N of N x C x H "
                              "x W, and the channel comes after it.")
        if shape != expected:
            return say(False, f"{name} has shape {shape}, expected {expected}.",
                       more="N x C x H x W: one image per digit, one channel, 32x32 pixels.")
        if batch.dtype != torch.float32:
            return say(False, f"{name} has dtype {batch.dtype}, but LeNet's weights are float32.",
                       more="the digits are float32 already: which step changed the dtype?")
        for i, digit in enumerate(digits):
            image = batch[i, 0]
            if torch.equal(image, F.pad(digit, (2, 2, 2, 2))):
                continue
            where = _offset(image, digit)
            if where is not None:
                top, left = where
                return say(False, f"digit {i} has {top} rows of zeros above it and {4 - top} "
                                  f"below, {left} columns on its left and {4 - left} on its "
                                  "right: it is not centred.", more="the 4 extra pixels of each "
                                  "dimension are shared equally between its two sides.")
            if any(torch.equal(image, F.pad(other, (2, 2, 2, 2))) for other in digits):
                return say(False, f"image {i} of the batch is another digit of the list: the "
                                  "order changed.", more="keep the digits in the list's order.")
            if torch.equal(image[2:30, 2:30], digit):
                return say(False, f"digit {i} sits in the middle, but its border is not zeros.",
                           more="pad with zeros (black), as the course's digits are.")
            if torch.equal(image[2:30, 2:30], digit.T):
                return say(False, f"digit {i} is transposed: its rows became columns.",
                           more="pad only: no transpose, no arithmetic.")
            return say(False, f"the pixels of digit {i} changed.",
                       more="pad only: no arithmetic, no transpose.")
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        scores = LeNet()(batch)
    return say(True, f"every digit sits in the middle of its 32x32 image, pixels unchanged, and "
                     f"LeNet gives {scores.shape[1]} scores per digit.")


@checks_function
def check_input_gradient(input_gradient) -> Verdict:
    """Check ``input_gradient(weight, v)``: the x.grad left by ``(x @ weight.T).backward(v)``.

    Compared with autograd through compare_grads (one line of verdict).

    Example (notebook 01, exercise 5), on an answer that returns nothing yet:
        >>> check = check_input_gradient(lambda *args, **kwargs: None)
        Not yet: your gradient is None. Hint: does your function `return` ...
    """
    weight, v = random_tensor(3, 4, seed=1), random_tensor(1, 3, seed=2)
    x = random_tensor(1, 4, seed=3).requires_grad_(True)
    (x @ weight.T).backward(v)
    mine = input_gradient(weight.clone(), v.clone())
    problem = tensor_problem(mine, shape=(1, 4), name="your gradient")
    if problem:
        return say(False, problem, more="x.grad has the shape of x, (1, 4); v is (1, 3) and "
                                        "weight (3, 4).")
    comparison = compare_grads("x.grad", mine, x.grad, atol=1e-5)
    if comparison.verdict == "wrong":
        return say(False, f"{comparison}.", more="write out x.grad for one entry of x, by the "
                                                 "chain rule; then look for a matrix product "
                                                 "that gives every entry at once.")
    return say(True, f"{comparison}: out.backward(v) computes v times the Jacobian (here the "
                     "weight), a vector-Jacobian product.")
