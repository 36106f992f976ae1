"""Checks of notebook 01's exercises, against what PyTorch computes (LeNet, nn.Conv2d, autograd)."""
import torch
from torch import nn
from torch.nn import functional as F

from . import (NotYet, Verdict, answer_tensor, checks_function, checks_value, compare_grads,
               first_mistake, number, numbers, random_tensor, say, spying)


@checks_value
def check_small_kernel_shape(predicted_shape) -> Verdict:
    """Check a prediction: the shape after conv1, pool, conv2, pool for one 1 x 1 x 32 x 32 image,
    in a LeNet whose two convolutions have 3x3 kernels (nn.Conv2d(1, 6, 3), nn.Conv2d(6, 16, 3)).
    Example (notebook 01, exercise 1): check_small_kernel_shape(predicted_shape)"""
    x = F.max_pool2d(F.conv2d(torch.zeros(1, 1, 32, 32), torch.zeros(6, 1, 3, 3)), 2)
    true = tuple(F.max_pool2d(F.conv2d(x, torch.zeros(16, 6, 3, 3)), 2).shape)  # 3x3 kernels
    values = numbers(predicted_shape)
    if values is None or values.dim() != 1 or not torch.equal(values, values.round()):
        raise NotYet(f"a shape is a tuple of whole numbers, got {predicted_shape!r:.40}.")
    shape = tuple(int(v) for v in values)
    if shape == true:
        return say(True, f"{true}: {true[1] * true[2] * true[3]} numbers per image after flatten, "
                         "so this network's fc1 must be nn.Linear(576, 120), not (400, 120).")
    if len(shape) != 4:
        raise NotYet(f"{shape} has {len(shape)} dimensions, N x C x H x W has 4.", "N and C stay.")
    first_mistake(shape, [
        ((1, 16, 5, 5), f"{shape} is what the lesson's 5x5 kernels give.",
         "how many times does a 3x3 kernel fit across 32 pixels?"),
        ((1, 16, 7, 7), f"H and W of {shape} are 1 too big: 2x2 pooling of an odd size keeps no "
         "half window.", "what does pooling do with a last, odd row?")])
    off = "; ".join(f"{' and '.join(names)} too {word}" for word, names in [
        (word, [n for n, a, b in zip("NCHW", shape, true) if (a > b, a < b)[i]])
        for i, word in enumerate(("big", "small"))] if names)
    raise NotYet(f"in your prediction {shape}, {off}.",
                 "which layer sets the channels?" if "C" in off else "follow it step by step.")


@checks_function
def check_layer_parameters(layer_parameters) -> Verdict:
    """Check ``layer_parameters(layer) -> int``, counted from the settings of nn.Linear and
    nn.Conv2d layers (a 3x5 kernel and a layer without bias included).
    Example (notebook 01, exercise 2): check_layer_parameters(layer_parameters)"""
    with torch.random.fork_rng(devices=[]):  # building layers draws random weights
        layers = [nn.Linear(3, 2), nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Linear(400, 120),
                  nn.Conv2d(3, 8, (3, 5)), nn.Linear(4, 5, bias=False)]
    for layer in layers:
        with spying(nn.Module, "named_parameters") as listed, spying(torch.Tensor, "numel") as used:
            answer = layer_parameters(layer)
        if listed or used:
            raise NotYet("you counted the layer's tensors: count from its settings.",
                         "print(layer) shows them: which make the weight, which the bias?")
        weights, outputs, bias = layer.weight.numel(), layer.weight.shape[0], layer.bias is not None
        expected, kh, kw = weights + outputs * bias, *getattr(layer, "kernel_size", (1, 1))
        first_mistake(number(answer), [
            (weights if bias else None, f"for {layer} you left out the biases.",
             "a bias holds one number per output."),
            (None if bias else expected + outputs, f"{layer} has no bias, but you counted one.",
             "count the biases only when layer.bias is not None."),
            (expected + weights // kw * (kh - kw) if kh != kw else None,
             f"for {layer}: a {kh}x{kw} kernel is not square.", "kernel_size is (height, width).")])
        if number(answer) != expected:
            raise NotYet(f"for {layer} you got {answer!r:.40}, its tensors hold {expected}.",
                         "print(layer.weight.shape) of a layer you know: which setting gives each size?")
    return say(True, "your counts match the layers' tensors, including a 3x5 kernel and no bias.")


@checks_function
def check_conv_output_size(conv_output_size) -> Verdict:
    """Check ``conv_output_size(size, kernel_size, stride=1, padding=0)`` against nn.Conv2d.
    Example (notebook 01, exercise 3): check_conv_output_size(conv_output_size)"""
    for size, kernel, stride, padding in [(32, 5, 1, 0), (14, 5, 1, 0), (28, 2, 2, 0),
                                          (28, 3, 1, 1), (32, 5, 2, 0), (7, 3, 2, 1)]:
        expected = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel),
                            stride=stride, padding=padding).shape[-1]
        answer = conv_output_size(size, kernel, stride=stride, padding=padding)
        got, sides = number(answer), "`padding` pixels go on each of the two sides."
        gave = (f"conv_output_size({size}, {kernel}, stride={stride}, padding={padding}) gave "
                f"{answer!r:.40}, nn.Conv2d gives {expected}.")
        first_mistake(got, [
            (expected, f"{gave} Sizes are whole pixels.", "which division drops the fraction?"),
            (size + 2 * padding - kernel + 1, f"{gave} The stride is missing.", "it jumps."),
            ((size - kernel) // stride + 1, f"{gave} The padding is missing.", sides),
            ((size + padding - kernel) // stride + 1, f"{gave} Padding on one side only.", sides)],
            same=lambda got, wrong: got == wrong != expected
            or got != wrong == expected == int(got))
        if got != expected:
            raise NotYet(gave, "count where the kernel fits in the padded row, stride by stride.")
    return say(True, "your formula agrees with nn.Conv2d on 6 cases, pooling included.")


def _where(image, digit) -> str:
    """What happened to digit on its way into image, a 32x32 image of the batch."""
    for top in range(5):
        for left in range(5):
            if torch.equal(image, F.pad(digit, (left, 4 - left, top, 4 - top))):
                return (f"has {top} rows of zeros above it and {4 - top} below, {left} columns "
                        f"on its left and {4 - left} on its right: it is not centred.")
    return "is transposed." if torch.equal(image[2:30, 2:30], digit.T) else "changed: its pixels"


@checks_function
def check_digits_to_batch(digits_to_batch) -> Verdict:
    """Check ``digits_to_batch(digits)``: N 28x28 digits centred in 32x32 zeros, N x 1 x 32 x 32.
    Example (notebook 01, exercise 4): check_digits_to_batch(digits_to_batch)"""
    for count, seed in [(3, 4), (1, 5)]:
        generator = torch.Generator().manual_seed(seed)  # pixels in (0, 1]: none is a zero
        digits = [1 - torch.rand(28, 28, generator=generator) for _ in range(count)]
        name = f"the batch of {count} digit" + ("s" if count > 1 else "")
        batch = answer_tensor(digits_to_batch([digit.clone() for digit in digits]), name=name)
        shape, good = tuple(batch.shape), (count, 1, 32, 32)
        said = f"{name} has shape {shape}"
        first_mistake(shape, [
            ((count, 32, 32), f"{said}: the channel dimension is missing.", "one channel."),
            ((count, 1, 28, 28), f"{said}: the digits are not padded.", "what does a side lack?"),
            ((1, count, 32, 32), f"{said}: the digits became channels.", "N comes before C."),
            (shape, f"{said}, expected {good}.", "N x C x H x W: one image per digit.")],
            same=lambda shape, wrong: shape == wrong != good)
        if batch.dtype != torch.float32:
            raise NotYet(f"{name} has dtype {batch.dtype}, LeNet's weights float32.",
                         "the digits are float32 already: which step changed the dtype?")
        for i, digit in enumerate(digits):
            if not torch.equal(batch[i, 0], F.pad(digit, (2, 2, 2, 2))):
                raise NotYet(f"digit {i} {_where(batch[i, 0], digit)}", "28 must grow to 32: "
                             "where should the digit sit? No arithmetic on pixels, no transpose.")
    return say(True, "every digit sits in the middle of its 32x32 image, pixels unchanged: "
                     "LeNet's mini-batch.")


@checks_function
def check_input_gradient(input_gradient) -> Verdict:
    """Check ``input_gradient(weight, v)``: the x.grad left by ``(x @ weight.T).backward(v)``.
    Example (notebook 01, exercise 5): check_input_gradient(input_gradient)"""
    weight, v, x = random_tensor(3, 4, seed=1), random_tensor(1, 3, seed=2), torch.zeros(1, 4)
    (x.requires_grad_(True) @ weight.T).backward(v)  # x.grad does not depend on x
    mine = answer_tensor(input_gradient(weight.clone(), v.clone()), (1, 4), "your gradient",
                         "x.grad has the shape of x, (1, 4); v is (1, 3) and weight (3, 4).")
    comparison = compare_grads("x.grad", mine, x.grad, atol=1e-5)
    if "wrong" in comparison:
        raise NotYet(f"{comparison}.", "by the chain rule for one entry of x, then all at once.")
    return say(True, f"{comparison}: out.backward(v) computes v times the Jacobian (here the "
                     "weight), a vector-Jacobian product.")
