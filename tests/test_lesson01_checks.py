"""The checks of notebook 01: right answers pass; each typical wrong answer first hears what
is off, then (hint=2) a hint, in one line that never gives the solution away."""
import pytest
import torch

from conftest import assert_tiers, feedback, leaves_random_stream_alone
from course_utils.exercises import (check_as_batch, check_conv_output_size,
                                    check_input_gradient, check_layer_parameters,
                                    check_unpadded_shape)


def conv_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


CORRECT = [
    (check_unpadded_shape, ((1, 16, 4, 4),)),
    (check_unpadded_shape, ([1, 16, 4, 4],)),
    (check_unpadded_shape, (torch.Size([1, 16, 4, 4]),)),
    (check_layer_parameters, (lambda layer: sum(p.numel() for p in layer.parameters()),)),
    (check_conv_output_size, (conv_size,)),
    (check_as_batch, (lambda image: image.reshape(1, 1, *image.shape[-2:]),)),
    (check_input_gradient, (lambda weight, v: v @ weight,)),
]


@pytest.mark.parametrize("check, args", CORRECT, ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, args):
    verdict, out = feedback(check, *args)
    assert verdict.correct is True and out.startswith("Correct!"), out


def test_the_prediction_is_what_the_layers_give():
    from course_utils.exercises.lesson01 import unpadded_shape
    assert unpadded_shape() == (1, 16, 4, 4)


def no_bias_check(layer):
    kh, kw = getattr(layer, "kernel_size", (1, 1))
    inputs = getattr(layer, "in_features", None) or layer.in_channels
    outputs = getattr(layer, "out_features", None) or layer.out_channels
    return outputs * inputs * kh * kw + outputs  # counts a bias even when there is none


def square_kernel(layer):
    if isinstance(layer, torch.nn.Linear):
        return layer.weight.numel() + layer.out_features
    k = layer.kernel_size[0]
    return layer.out_channels * layer.in_channels * k * k + layer.out_channels


WRONG = [  # (check, answer, what hint=1 says, what hint=2 adds)
    (check_unpadded_shape, (1, 16, 5, 5), "32x32 image", "start from 28"),
    (check_unpadded_shape, (1, 16, 8, 8), "H, W of your prediction", "halves"),
    (check_unpadded_shape, (1, 6, 4, 4), "C of your prediction", "last convolution"),
    (check_unpadded_shape, (16, 4, 4), "3 dimensions", "batch and channel"),
    (check_unpadded_shape, "(1, 16, 4, 4)", "tuple of whole numbers", ""),
    (check_unpadded_shape, torch.zeros(1, 16, 4, 4), "tuple of whole numbers", ""),
    (check_layer_parameters, lambda layer: layer.weight.numel(), "but not the biases",
     "one number per output"),
    (check_layer_parameters, no_bias_check, "has no bias", "only when"),
    (check_layer_parameters, square_kernel, "not square", "(height, width)"),
    (check_layer_parameters, lambda layer: None, "returned None", "`return`"),
    (check_layer_parameters,
     lambda layer: layer.out_features * layer.in_features + layer.out_features, "AttributeError",
     "small example"),
    (check_layer_parameters, lambda layer: "156", "but its tensors hold 8 numbers", "out x in"),
    (check_layer_parameters, lambda layer: float("nan"), "but its tensors hold", "out x in"),
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
     "nn.Conv2d gives", "positions"),
    (check_conv_output_size, lambda size, kernel_size: size - kernel_size + 1, "TypeError",
     "small example"),
    (check_as_batch, lambda image: image, "expected (1, 1, 32, 32)", "two dimensions of size 1"),
    (check_as_batch, lambda image: image.unsqueeze(0), "expected (1, 1, 32, 32)", "in front"),
    (check_as_batch, lambda image: image.reshape(1, 1, 32, 32) * 0, "pixels changed",
     "no arithmetic"),
    (check_as_batch, lambda image: image.reshape(1, 1, 32, 32).transpose(2, 3),
     "pixels changed", "no transpose"),
    (check_as_batch, lambda image: image.reshape(1, 1, 32, 32) / 0, "NaN", ""),
    (check_as_batch, lambda image: image.numpy(), "expected a torch.Tensor", ""),
    (check_input_gradient, lambda weight, v: v @ weight * 2, "x.grad: wrong", "which product"),
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
