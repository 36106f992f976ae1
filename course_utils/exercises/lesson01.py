"""Checks for the exercises of notebooks/01_define_the_network.ipynb.

Each check calls the learner's function on small cases and compares the result with
what PyTorch itself computes (a real nn.Conv2d, autograd), never with stored numbers.
Random inputs come from a private generator, so the notebook's random stream is untouched.
"""
from __future__ import annotations

import torch
from torch import nn

from . import Verdict, checks_function, compare_grads, random_tensor, say, tensor_problem

__all__ = ["check_layer_parameters", "check_conv_output_size", "check_as_batch",
           "check_input_gradient"]


def _as_int(value):
    """value as a Python int when it is a whole number (int, 28.0, tensor(28)), else None."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value) if float(value).is_integer() else None


@checks_function
def check_layer_parameters(layer_parameters) -> Verdict:
    """Check ``layer_parameters(layer) -> int`` for nn.Linear and nn.Conv2d layers.

    The expected counts come from the layers' own parameter tensors (``p.numel()``).

    Example (notebook 01, exercise 1), on an answer that returns nothing yet:
        >>> check = check_layer_parameters(lambda *args, **kwargs: None)
        Not yet: your function returned None. Hint: does it `return` the count?
    """
    with torch.random.fork_rng(devices=[]):  # building layers draws random weights
        layers = [("nn.Linear(3, 2)", nn.Linear(3, 2)), ("nn.Conv2d(1, 6, 5)", nn.Conv2d(1, 6, 5)),
                  ("nn.Conv2d(6, 16, 5)", nn.Conv2d(6, 16, 5)),
                  ("nn.Linear(400, 120)", nn.Linear(400, 120)),
                  ("nn.Conv2d(3, 8, (3, 5))", nn.Conv2d(3, 8, (3, 5))),
                  ("nn.Linear(4, 5, bias=False)", nn.Linear(4, 5, bias=False))]
    for text, layer in layers:
        answer = layer_parameters(layer)
        expected = sum(p.numel() for p in layer.parameters())
        if _as_int(answer) == expected:
            continue
        if answer is None:
            return say(False, "your function returned None. Hint: does it `return` the count?")
        if layer.bias is not None and _as_int(answer) == layer.weight.numel():
            return say(False, f"for {text} you counted the weights ({answer}) but not the "
                              "biases: one more number per output.")
        if layer.bias is None and _as_int(answer) == expected + layer.weight.shape[0]:
            return say(False, f"{text} has no bias (layer.bias is None): count the weights only.")
        return say(False, f"for {text} you got {answer!r:.60}, but its tensors hold {expected} "
                          "numbers. Hint: weights out x in (x kernel height x kernel width), "
                          "plus one bias per output.")
    return say(True, "your counts match the layers' tensors, including a 3x5 kernel and no bias.")


@checks_function
def check_conv_output_size(conv_output_size) -> Verdict:
    """Check ``conv_output_size(size, kernel_size, stride=1, padding=0) -> int``.

    The expected sizes come from running a real nn.Conv2d on zeros.

    Example (notebook 01, exercise 2), on an answer that returns nothing yet:
        >>> check = check_conv_output_size(lambda *args, **kwargs: None)
        Not yet: conv_output_size(32, 5, stride=1, padding=0) gave None, ...
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
        if isinstance(answer, float) and int(answer) == expected:
            return say(False, f"{call} gave {answer}, but sizes are whole pixels: {expected}. "
                              "Hint: use integer division //.")
        return say(False, f"{call} gave {answer!r:.60}, but nn.Conv2d gives {expected}. "
                          "Hint: (size + 2 * padding - kernel_size) // stride + 1.")
    return say(True, "your formula agrees with nn.Conv2d on 6 cases, pooling included.")


@checks_function
def check_as_batch(as_batch) -> Verdict:
    """Check ``as_batch(image)``: a 32 x 32 or 1 x 32 x 32 image -> a 1 x 1 x 32 x 32 batch.

    Example (notebook 01, exercise 3), on an answer that returns nothing yet:
        >>> check = check_as_batch(lambda *args, **kwargs: None)
        Not yet: as_batch(image of shape (1, 32, 32)) is None. Hint: does ...
    """
    from ..models import LeNet

    for shape in [(1, 32, 32), (32, 32)]:
        image = random_tensor(*shape, seed=len(shape))
        batch = as_batch(image.clone())
        problem = tensor_problem(batch, shape=(1, 1, 32, 32),
                                 name=f"as_batch(image of shape {shape})")
        if problem:
            return say(False, problem + " Hint: unsqueeze(0) adds a batch dimension of size 1.")
        if not torch.equal(batch.reshape(32, 32), image.reshape(32, 32)):
            return say(False, f"for an image of shape {shape} the pixels changed or moved. "
                              "Add dimensions only: unsqueeze or reshape, no arithmetic.")
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        LeNet()(batch)
    return say(True, "both image shapes become a batch of one that LeNet accepts.")


@checks_function
def check_input_gradient(input_gradient) -> Verdict:
    """Check ``input_gradient(weight, v)``: the x.grad left by ``(x @ weight.T).backward(v)``.

    Compared with autograd through compare_grads (one line of verdict).

    Example (notebook 01, exercise 4), on an answer that returns nothing yet:
        >>> check = check_input_gradient(lambda *args, **kwargs: None)
        Not yet: your gradient is None. Hint: does your function `return` ...
    """
    weight, v = random_tensor(3, 4, seed=1), random_tensor(1, 3, seed=2)
    x = random_tensor(1, 4, seed=3).requires_grad_(True)
    (x @ weight.T).backward(v)
    mine = input_gradient(weight.clone(), v.clone())
    problem = tensor_problem(mine, shape=(1, 4), name="your gradient")
    if problem:
        hint = (" Hint: v has shape (1, 3) and weight (3, 4): v @ weight has x's shape (1, 4)."
                if isinstance(mine, torch.Tensor) else "")
        return say(False, problem + hint)
    comparison = compare_grads("x.grad", mine, x.grad, atol=1e-5)
    print(comparison)
    if comparison.verdict == "wrong":
        return say(False, "each input's gradient sums v[i] * d out[i] / d x[j] over the "
                          "outputs i. Hint: v @ weight.")
    return say(True, "out.backward(v) computes v times the Jacobian (here the weight): "
                     "a vector-Jacobian product.")
