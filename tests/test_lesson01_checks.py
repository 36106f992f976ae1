"""The checks of notebook 01: right answers pass; each typical wrong answer first hears what
is off, then (hint=2) a hint, in one line that never gives the solution away."""
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import (check_conv_output_size, check_digits_to_batch,
                                    check_input_gradient, check_layer_parameters,
                                    check_small_kernel_shape)


def conv_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


CORRECT = [
    (check_small_kernel_shape, ((1, 16, 6, 6),)),
    (check_small_kernel_shape, ([1, 16, 6, 6],)),
    (check_small_kernel_shape, (torch.Size([1, 16, 6, 6]),)),
    (check_layer_parameters, (lambda layer: no_bias_check(layer) - (layer.bias is None) * (
        getattr(layer, "out_features", None) or layer.out_channels),)),
    (check_conv_output_size, (conv_size,)),
    (check_digits_to_batch, (lambda digits: F.pad(torch.stack(digits), (2, 2, 2, 2)).unsqueeze(1),)),
    (check_digits_to_batch, (lambda digits: torch.stack([F.pad(d, (2, 2, 2, 2)) for d in digits])
                             .view(-1, 1, 32, 32),)),
    (check_digits_to_batch, (lambda digits: F.pad(torch.stack(digits).unsqueeze(1), [2] * 4),)),
    (check_input_gradient, (lambda weight, v: v @ weight,)),
]


@pytest.mark.parametrize("check, args", CORRECT, ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, args):
    verdict, out = feedback(check, *args)
    assert verdict.correct is True and out.startswith("Correct!"), out


def no_bias_check(layer):
    kh, kw = getattr(layer, "kernel_size", (1, 1))
    inputs = getattr(layer, "in_features", None) or layer.in_channels
    outputs = getattr(layer, "out_features", None) or layer.out_channels
    return outputs * inputs * kh * kw + outputs  # counts a bias even when there is none


def square_kernel(layer):
    if isinstance(layer, torch.nn.Linear):
        return layer.out_features * layer.in_features + layer.out_features
    k = layer.kernel_size[0]
    return layer.out_channels * layer.in_channels * k * k + layer.out_channels


WRONG = [  # (check, answer, what hint=1 says, what hint=2 adds)
    (check_small_kernel_shape, (1, 16, 5, 5), "the lesson's 5x5 kernels", "a 3x3 kernel fit"),
    (check_small_kernel_shape, (1, 16, 7, 7), "1 too big: 2x2 pooling of an odd size", "odd row"),
    (check_small_kernel_shape, (1, 16, 13, 13), "H and W too big", "step by step"),
    (check_small_kernel_shape, (1, 16, 3, 3), "H and W too small", "step by step"),
    (check_small_kernel_shape, (1, 6, 6, 6), "C too small", "sets the channels"),
    (check_small_kernel_shape, (2, 16, 6, 5), "N too big; W too small", "step by step"),
    (check_small_kernel_shape, (16, 6, 6), "3 dimensions", "N and C stay"),
    (check_small_kernel_shape, "(1, 16, 6, 6)", "tuple of whole numbers", ""),
    (check_small_kernel_shape, torch.zeros(1, 16, 6, 6), "tuple of whole numbers", ""),
    (check_layer_parameters, lambda layer: no_bias_check(layer) - (
        getattr(layer, "out_features", None) or layer.out_channels), "left out the biases",
     "one number per output"),
    (check_layer_parameters, lambda layer: sum(p.numel() for p in layer.parameters()),
     "counted the layer's tensors", "print(layer)"),
    (check_layer_parameters, lambda layer: layer.weight.numel() + (
        0 if layer.bias is None else len(layer.bias)), "counted the layer's tensors", "which make"),
    (check_layer_parameters, no_bias_check, "has no bias", "only when"),
    (check_layer_parameters, square_kernel, "not square", "(height, width)"),
    (check_layer_parameters, lambda layer: None, "you got None", "which setting gives each size"),
    (check_layer_parameters,
     lambda layer: layer.out_features * layer.in_features + layer.out_features, "AttributeError",
     "small example"),
    (check_layer_parameters, lambda layer: "156", "you got '156', its tensors hold 8", "which setting gives each size"),
    (check_layer_parameters, lambda layer: float("nan"), "you got nan, its tensors hold", "which setting gives each size"),
    (check_conv_output_size,
     lambda size, kernel_size, stride=1, padding=0: (size + 2 * padding - kernel_size) / stride
     + 1, "whole pixels", "division"),
    (check_conv_output_size, lambda size, kernel_size, stride=1, padding=0:
     size - kernel_size + 1, "nn.Conv2d gives 14. The stride is missing", "jumps"),
    (check_conv_output_size, lambda size, kernel_size, stride=1, padding=0:
     (size - kernel_size) // stride + 1, "The padding is missing", "each of the two sides"),
    (check_conv_output_size, lambda size, kernel_size, stride=1, padding=0:
     (size + padding - kernel_size) // stride + 1, "on one side only", "two sides"),
    (check_conv_output_size, lambda size, kernel_size, stride=1, padding=0: None,
     "gave None, nn.Conv2d gives 28", "stride by stride"),
    (check_conv_output_size, lambda size, kernel_size: size - kernel_size + 1, "TypeError",
     "small example"),
    (check_digits_to_batch, lambda digits: torch.stack(digits).unsqueeze(1), "not padded",
     "what does a side lack"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits), (2, 2, 2, 2)),
     "channel dimension is missing", "one channel"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits), (2, 2, 2, 2)).unsqueeze(0),
     "the digits became channels", "N comes before C"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (4, 0, 4, 0)),
     "4 rows of zeros above it and 0 below", "28 must grow to 32"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (0, 4, 2, 2)),
     "0 columns on its left and 4 on its right", "28 must grow to 32"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (1, 1, 1, 1)),
     "shape (3, 1, 30, 30), expected (3, 1, 32, 32)", "one image per digit"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits[::-1]).unsqueeze(1), (2,) * 4),
     "digit 0 changed: its pixels", "No arithmetic on pixels"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (2,) * 4) * 255,
     "digit 0 changed: its pixels", "No arithmetic on pixels"),
    (check_digits_to_batch,
     lambda digits: F.pad(torch.stack(digits).transpose(1, 2).unsqueeze(1), (2,) * 4),
     "transposed", "no transpose"),
    (check_digits_to_batch,
     lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (2,) * 4).to(torch.float64),
     "dtype torch.float64", "changed the dtype"),
    (check_digits_to_batch,
     lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (2,) * 4).squeeze(),
     "shape (3, 32, 32): the channel dimension", "one channel"),
    (check_digits_to_batch, lambda digits: F.pad(torch.stack(digits).unsqueeze(1), (2,) * 4) / 0,
     "NaN", ""),
    (check_digits_to_batch, lambda digits: [F.pad(d, (2,) * 4) for d in digits],
     "(3, 32, 32): the channel dimension is missing", "one channel"),  # a list: judged as numbers
    (check_digits_to_batch, lambda digits: torch.cat([F.pad(d, (2,) * 4) for d in digits]),
     "shape (96, 32)", "one image per digit"),
    (check_digits_to_batch, lambda digits: torch.stack(digits, dim=1), "shape (28, 3, 28), expected",
     "one image per digit"),
    (check_input_gradient, lambda weight, v: v @ weight * 2, "x.grad: wrong", "then all at once"),
    (check_input_gradient, lambda weight, v: weight.T @ v.T, "has shape (4, 1), expected (1, 4)",
     "the shape of x"),
    (check_input_gradient, lambda weight, v: weight.T, "expected (1, 4)", "the shape of x"),
    (check_input_gradient, lambda weight, v: None, "None", ""),
    (check_input_gradient, lambda weight, v: torch.full((1, 4), float("nan")), "NaN", ""),
]


@pytest.mark.parametrize("check, answer, first, second", WRONG,
                         ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(WRONG)])
def test_wrong_answer_tiers(check, answer, first, second):
    assert_tiers(check, (answer,), {}, first, second)


def test_checks_leave_the_global_random_stream_alone():
    assert leaves_random_stream_alone(lambda: [feedback(check, *args) for check, args in CORRECT])


def test_the_exercise_pads_as_load_mnist_does():
    """Exercise 4's batch is load_mnist's images before normalising: 2 zeros on each side."""
    from course_utils.data import MEAN, STD, to_model_input
    pixels = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    batch = F.pad(torch.stack([p.float() / 255 for p in pixels]).unsqueeze(1), (2, 2, 2, 2))
    assert torch.allclose(to_model_input(pixels) * STD + MEAN, batch, atol=1e-6)
