"""The checks of notebook 01: right answers pass, each kind of wrong answer explains itself."""
import pytest
import torch

from conftest import leaves_random_stream_alone
from course_utils.exercises import (check_as_batch, check_conv_output_size,
                                    check_input_gradient, check_layer_parameters)


def verdict(check, answer, capsys):
    ok = check(answer)
    return ok, capsys.readouterr().out


CORRECT = [
    (check_layer_parameters, lambda layer: sum(p.numel() for p in layer.parameters())),
    (check_conv_output_size, lambda size, kernel_size, stride=1, padding=0:
        (size + 2 * padding - kernel_size) // stride + 1),
    (check_as_batch, lambda image: image.reshape(1, 1, *image.shape[-2:])),
    (check_input_gradient, lambda weight, v: v @ weight),
]


@pytest.mark.parametrize("check, answer", CORRECT, ids=lambda x: getattr(x, "__name__", ""))
def test_correct_answer_passes(check, answer, capsys):
    ok, out = verdict(check, answer, capsys)
    assert ok.correct is True
    assert out.startswith("Correct") or "\nCorrect" in out


def weights_only(layer):
    return layer.weight.numel()


def weights_plus_one_bias_per_output(layer):
    return layer.weight.numel() + layer.weight.shape[0]


@pytest.mark.parametrize("answer, hint", [
    (weights_only, "but not the biases"),
    (weights_plus_one_bias_per_output, "has no bias"),
    (lambda layer: None, "return"),
    (lambda layer: layer.out_features * layer.in_features + layer.out_features, "AttributeError"),
    (lambda layer: "156", "but its tensors hold 8 numbers"),
    (lambda layer: float("nan"), "but its tensors hold"),
])
def test_layer_parameters_wrong_answers(answer, hint, capsys):
    ok, out = verdict(check_layer_parameters, answer, capsys)
    assert ok.correct is False and out.startswith("Not yet") and hint in out


@pytest.mark.parametrize("answer, hint", [
    (lambda size, kernel_size, stride=1, padding=0: (size - kernel_size) / stride + 1, "//"),
    (lambda size, kernel_size, stride=1, padding=0: size - kernel_size + 1, "nn.Conv2d gives"),
    (lambda size, kernel_size, stride=1, padding=0: None, "nn.Conv2d gives"),
    (lambda size, kernel_size: size - kernel_size + 1, "TypeError"),  # no stride/padding
])
def test_conv_output_size_wrong_answers(answer, hint, capsys):
    ok, out = verdict(check_conv_output_size, answer, capsys)
    assert ok.correct is False and out.startswith("Not yet") and hint in out


@pytest.mark.parametrize("answer, hint", [
    (lambda image: image, "unsqueeze(0)"),                         # forgot the batch dimension
    (lambda image: image.unsqueeze(0), "expected (1, 1, 32, 32)"),  # 2-D image -> (1, 32, 32)
    (lambda image: image.reshape(1, 1, 32, 32) * 0, "pixels changed"),
    (lambda image: image.reshape(1, 1, 32, 32).transpose(2, 3), "pixels changed"),
    (lambda image: image.reshape(1, 1, 32, 32) / 0, "NaN"),
    (lambda image: image.numpy(), "expected a torch.Tensor"),
])
def test_as_batch_wrong_answers(answer, hint, capsys):
    ok, out = verdict(check_as_batch, answer, capsys)
    assert ok.correct is False and out.startswith("Not yet") and hint in out


@pytest.mark.parametrize("answer, hint", [
    (lambda weight, v: v @ weight * 2, "x.grad: wrong"),
    (lambda weight, v: weight.T @ v.T, "has shape (4, 1), expected (1, 4)"),
    (lambda weight, v: weight.T, "expected (1, 4)"),
    (lambda weight, v: None, "None"),
    (lambda weight, v: torch.full((1, 4), float("nan")), "NaN"),
])
def test_input_gradient_wrong_answers(answer, hint, capsys):
    ok, out = verdict(check_input_gradient, answer, capsys)
    assert ok.correct is False and hint in out and "Not yet" in out


def test_checks_leave_the_global_random_stream_alone(capsys):
    assert leaves_random_stream_alone(lambda: [check(answer) for check, answer in CORRECT])
