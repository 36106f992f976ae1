"""Every exercise's check judges the answer, not its type or its author: for each of the 21
exercises, correct answers written otherwise than the notebook's solution (NumPy, lists,
tensors, floats, other code) pass, and a plausible wrong answer does not."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_utils as cu
from conftest import feedback
from course_utils import exercises as ex

# --- 01 -----------------------------------------------------------------------------------


def layer_parameters(layer):  # a NumPy integer
    kh, kw = getattr(layer, "kernel_size", (1, 1))
    ins = getattr(layer, "in_features", None) or layer.in_channels
    outs = getattr(layer, "out_features", None) or layer.out_channels
    return np.int64(outs * ins * kh * kw + (outs if layer.bias is not None else 0))


def digits_numpy(digits):
    return np.pad(np.stack([d.numpy() for d in digits])[:, None], ((0, 0), (0, 0), (2, 2), (2, 2)))


def digits_loop(digits):
    batch = torch.zeros(len(digits), 1, 32, 32)
    for i, digit in enumerate(digits):
        batch[i, 0, 2:30, 2:30] = digit
    return batch


# --- 02 -----------------------------------------------------------------------------------


def fit_line(x, y, steps=200, numpy=False, broken=False):
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        if broken:  # the notebook's bug: (N, 1) - (N,) broadcasts to N x N
            ((model(x) - y) ** 2).mean().backward()
        else:
            F.mse_loss(model(x).flatten(), y).backward()
        optimizer.step()
    w, b = model.weight.detach().numpy(), model.bias.detach().numpy()
    return (w[0, 0], b[0]) if numpy else [model.weight, model.bias]


def soft_by_logsumexp(scores, probs):
    log_probs = scores - torch.logsumexp(scores, dim=1, keepdim=True)
    return -torch.einsum("nc,nc->", probs, log_probs) / scores.shape[0]


def count_recursive(tensor):
    seen = set()

    def visit(node):
        if node is not None and node not in seen:
            seen.add(node)
            for child, _ in node.next_functions:
                visit(child)
    visit(tensor.grad_fn)
    return np.int32(len(seen))


def count_by_id(tensor):
    seen, todo = {}, [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None:
            seen[id(node)] = node
            todo += [n for n, _ in node.next_functions if n is not None and id(n) not in seen]
    return float(len(seen))


# --- 03 -----------------------------------------------------------------------------------


def finite_numpy(f, x, h=1e-6):
    steps = torch.eye(len(x), dtype=x.dtype) * h
    return np.array([(f(x + e) - f(x - e)).item() / (2 * h) for e in steps])


def finite_list(f, x, h=1e-6):
    grads = []
    for i in range(len(x)):
        up, down = x.clone(), x.clone()
        up[i], down[i] = up[i] + h, down[i] - h
        grads.append(float((f(up) - f(down)) / (2 * h)))
    return grads


def neuron_numpy(x, w, b, t):
    z = float(w @ x + b)
    a = 1 / (1 + math.exp(-z))
    delta = 2 * (a - float(t)) * a * (1 - a)
    return delta * x.numpy(), delta * w.numpy()


def neuron_autograd_free_list(x, w, b, t):
    a = torch.sigmoid(torch.dot(w, x) + b)
    delta = (2 * a * (1 - a) * (a - t)).item()
    return [delta * v for v in x.tolist()], tuple(delta * v for v in w.tolist())


def accumulate_sum(model, x, y, chunks):
    for p in model.parameters():
        p.grad = None
    for xs, ys in zip(torch.chunk(x, chunks), torch.chunk(y, chunks)):
        F.cross_entropy(model(xs), ys, reduction="sum").div(len(y)).backward()


def accumulate_optimizer(model, x, y, chunks):
    torch.optim.SGD(model.parameters(), lr=0.0).zero_grad()
    for xs, ys in zip(x.chunk(chunks), y.chunk(chunks)):
        (F.cross_entropy(model(xs), ys) * (len(ys) / len(y))).backward()


def accumulate_equal_weights(model, x, y, chunks):  # wrong for chunks of unequal size
    model.zero_grad()
    for xs, ys in zip(x.chunk(chunks), y.chunk(chunks)):
        (F.cross_entropy(model(xs), ys) / chunks).backward()


# --- 04 -----------------------------------------------------------------------------------


def momentum_data(params, velocities, lr, momentum, weight_decay):
    for p, v in zip(params, velocities):
        if p.grad is not None:
            v.data = momentum * v.data + p.grad + weight_decay * p.data
            p.data -= lr * v.data


def momentum_copy(params, velocities, lr, momentum, weight_decay):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is None:
                continue
            v.copy_(momentum * v + torch.add(p.grad, p, alpha=weight_decay))
            p.sub_(lr * v)


def momentum_decoupled(params, velocities, lr, momentum, weight_decay):  # AdamW's decay
    with torch.no_grad():
        for i, p in enumerate(params):
            if p.grad is not None:
                velocities[i] = momentum * velocities[i] + p.grad
                p -= lr * (velocities[i] + weight_decay * p)


def train(model, x, y, lr, steps, kind="float", new_each_step=False):
    optimizer, losses = torch.optim.Adam(model.parameters(), lr=lr), []
    for _ in range(steps):
        if new_each_step:
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach() if kind == "tensor" else loss.item())
    return np.array(losses, dtype=np.float32) if kind == "numpy" else losses


RUNS = {name: {lr: cu.History(val_loss=[1.0], val_acc=[acc]) for lr, acc in row.items()}
        for name, row in {"sgd": {0.1: 0.44, 0.3: 0.39},  # adam: the best run, rmsprop on average
                          "rmsprop": {1e-3: 0.88, 3e-3: 0.80, 1e-2: 0.495},
                          "adam": {3e-3: 0.89, 1e-2: 0.93, 3e-2: 0.22}}.items()}

# --- 05 -----------------------------------------------------------------------------------


def fit(model, loader, val_loader, optimizer, epochs, kind="list", bug=False):
    accuracies = []
    model.train()
    for _ in range(epochs):
        if not bug:
            model.train(True)
        for x, y in loader:
            optimizer.zero_grad()
            nn.CrossEntropyLoss()(model(x), y).backward()
            optimizer.step()
        model.train(False)
        with torch.inference_mode():
            hits = torch.cat([model(x).argmax(1) == y for x, y in val_loader])
        accuracies.append(hits.float().mean())
    return np.array([a.item() for a in accuracies]) if kind == "numpy" else accuracies


THEIR_RUN = cu.History(val_loss=[0.52, 0.31, 0.24, 0.19, 0.17, 0.18, 0.16, 0.19, 0.23, 0.27],
                       val_acc=[0.842, 0.905, 0.928, 0.944, 0.951, 0.956, 0.953, 0.958, 0.952,
                                0.949])


def confusion_bincount(predictions, labels):
    return torch.bincount(labels * 10 + predictions, minlength=100).view(10, 10)


def confusion_numpy(predictions, labels):
    counts = np.zeros((10, 10), dtype=np.int32)
    np.add.at(counts, (labels.numpy(), predictions.numpy()), 1)
    return counts


# (check, [right answers], wrong answer, evidence): each answer is the tuple of arguments
EXERCISES = {
    "01-1": (ex.check_small_kernel_shape, [(np.array([1, 16, 6, 6]),), (torch.tensor([1, 16, 6, 6]),),
                                           ([1.0, 16.0, 6.0, 6.0],)], ((1, 16, 7, 7),), {}),
    "01-2": (ex.check_layer_parameters, [(layer_parameters,), (lambda layer: float(  # a float
        math.prod(layer.weight.shape) + (0 if layer.bias is None else layer.weight.shape[0])),)],
        (lambda layer: math.prod(layer.weight.shape) + layer.weight.shape[0],), {}),
    "01-3": (ex.check_conv_output_size, [
        (lambda size, kernel_size, stride=1, padding=0: np.int64(
            (size + 2 * padding - kernel_size) // stride + 1),),
        (lambda size, kernel_size, stride=1, padding=0: float(math.floor(
            (size + 2 * padding - kernel_size) / stride) + 1),)],
        (lambda size, kernel_size, stride=1, padding=0: math.ceil(
            (size + 2 * padding - kernel_size) / stride) + 1,), {}),
    "01-4": (ex.check_digits_to_batch, [(digits_numpy,), (digits_loop,)],
             (lambda digits: F.pad(torch.stack(digits), (2, 2, 2, 2)).unsqueeze(1) - 0.5,), {}),
    "01-5": (ex.check_input_gradient, [(lambda weight, v: (v.numpy() @ weight.numpy()),),
                                        (lambda weight, v: (weight.T @ v.T).T.tolist(),)],
             (lambda weight, v: v @ weight / 3,), {}),
    "02-1": (ex.check_hesitant_loss, [(np.log(np.float32(2)),), (-math.log(1 / 2),),
                                      (F.cross_entropy(10 * (F.one_hot(torch.tensor([3]), 10) + F.one_hot(
                                          torch.tensor([8]), 10)).float(), torch.tensor([3])),)],
             (np.float32(0.5),), {}),
    "02-2": (ex.check_fit_line_fixed, [(lambda x, y, steps=200: fit_line(x, y, steps),),
                                       (lambda x, y, steps=200: fit_line(x, y, numpy=True),)],
             (lambda x, y, steps=200: fit_line(x, y, steps, broken=True),), {}),
    "02-3": (ex.check_soft_cross_entropy, [(soft_by_logsumexp,), (lambda s, p: torch.mean(
        torch.sum(-p * F.log_softmax(s, dim=-1), dim=-1)),)],
        (lambda s, p: -(p * torch.log(F.softmax(s, 1) + 1e-12)).sum(1).mean() / 2,), {}),
    "02-4": (ex.check_count_nodes, [(count_recursive,), (count_by_id,)],
             (lambda t: len(t.grad_fn.next_functions) + 1,), {}),
    "03-1": (ex.check_finite_difference, [(finite_numpy,), (finite_list,)],
             (lambda f, x, h=1e-6: [float((f(x + h) - f(x)) / h)] * len(x),), {}),
    "03-2": (ex.check_neuron_grads, [(neuron_numpy,), (neuron_autograd_free_list,)],
             (lambda x, w, b, t: neuron_numpy(x, w, b, t)[::-1],), {}),
    "03-3": (ex.check_accumulate_gradients, [(accumulate_sum,), (accumulate_optimizer,)],
             (accumulate_equal_weights,), {}),
    "03-4": (ex.check_grad_after_three_backward, [(np.float32(32),), (torch.tensor([32]),), (32,)],
             (np.int64(44),), {}),
    "04-1": (ex.check_sgd_prediction, [(np.float64(1.0), np.float32(0.125)), (1, torch.tensor(1 / 8)),
                                       ([1.0], (0.125,))], (1.0, 0.25), {}),
    "04-2": (ex.check_momentum_update, [(momentum_data,), (momentum_copy,)], (momentum_decoupled,),
             {}),
    "04-3": (ex.check_train, [(lambda *a: train(*a, kind="numpy"),),
                              (lambda *a: train(*a, kind="tensor"),)],
             (lambda *a: train(*a, new_each_step=True),), {}),
    "04-4": (ex.check_optimizer_choice, [("rmsprop", np.float32(0.725)),
                                         ("rmsprop", torch.tensor(72.5)), ("rmsprop", [72.5])],
             ("adam", 0.93), {"runs": RUNS}),
    "05-1": (ex.check_dropout_values, [(np.array([0.0, 2.0]), np.float32(1)),
                                       (torch.tensor([2, 0, 2]), (1,))], ({0.0, 1.0}, {1.0}), {}),
    "05-2": (ex.check_fit_fixed, [(fit,), (lambda *a: fit(*a, kind="numpy"),)],
             (lambda *a: fit(*a, bug=True),), {}),
    "05-3": (ex.check_epoch_choice, [(np.int64(7), np.float32(0.16)), (7.0, torch.tensor([0.16]))],
             (8, 0.19), {"history": THEIR_RUN}),
    "05-4": (ex.check_confusion_counts, [(confusion_bincount,), (confusion_numpy,)],
             (lambda p, y: confusion_bincount(y, p),), {}),
}


def test_every_exercise_of_the_notebooks_is_here():
    import nbformat

    notebooks = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
    titles = [line for path in notebooks
              for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
              for line in cell.source.splitlines() if line.startswith("### Exercise")]
    assert len(titles) == len(EXERCISES) == 21
    checks = {name for name in ex.__all__ if name.startswith("check_")}
    assert checks == {check.__name__ for check, *_ in EXERCISES.values()}


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_answers_written_otherwise_pass(exercise):
    check, right, _, evidence = EXERCISES[exercise]
    for answer in right:
        verdict, out = feedback(check, *answer, **evidence)
        assert verdict.correct is True and out.startswith("Correct!"), (answer, out)


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_a_plausible_wrong_answer_does_not(exercise):
    check, _, wrong, evidence = EXERCISES[exercise]
    verdict, out = feedback(check, *wrong, **evidence)
    assert verdict.correct is False and out.startswith("Not yet: "), out


def fancy_index_count(predictions, labels):
    counts = torch.zeros(10, 10, dtype=torch.int64)
    counts[labels, predictions] += 1  # a repeated (label, prediction) pair is written once
    return counts


# the common mistakes the first message must name: (check, answer, evidence, what it says)
MISTAKES = [
    (ex.check_small_kernel_shape, ((1, 16, 13, 13),), {}, "H and W too big"),
    (ex.check_small_kernel_shape, ((1, 6, 6, 6),), {}, "C too small"),
    (ex.check_neuron_grads, (lambda x, w, b, t: (neuron_numpy(x, w, b, t)[0],) * 2,), {},
     "your dL/dx is dL/dw (times x, as for w)"),
    (ex.check_sgd_prediction, (1.0, 0.25), {}, "is 2c, twice its coefficient"),
    (ex.check_optimizer_choice, ("rmsprop", 0.003), {"runs": RUNS},
     "0.003 is one of rmsprop's learning rates, not an accuracy"),
    (ex.check_confusion_counts, (fancy_index_count,), {}, "writes a repeated index pair only once"),
    (ex.check_input_gradient, (lambda weight, v: v @ weight.T,), {},
     "cannot be multiplied (1x3 and 4x3) (given weight (3, 4), v (1, 3))"),
]


@pytest.mark.parametrize("check, answer, evidence, says", MISTAKES, ids=lambda x: getattr(
    x, "__name__", None))
def test_the_first_message_names_the_mistake(check, answer, evidence, says):
    verdict, out = feedback(check, *answer, **evidence)
    assert verdict.correct is False and says in out, out


def test_a_shape_error_gets_a_hint_about_shapes():
    _, out = feedback(ex.check_input_gradient, lambda weight, v: v @ weight.T, hint=2)
    assert "Hint: print each tensor's .shape" in out, out
    _, out = feedback(ex.check_confusion_counts, fancy_index_count, hint=2)
    assert "must add 5" in out and not any(  # the pitfall, not the function that solves it
        name in out for name in ("accumulate", "bincount", "index_put", "index_add")), out
