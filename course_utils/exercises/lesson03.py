"""Checks of notebook 03's exercises: the learner's code on private random inputs, vs autograd."""
import torch
import torch.nn.functional as F
from torch import nn

from . import (NotYet, Verdict, answer_number, answer_tensor, checks_function, checks_value,
               compare_grads, first_mistake, random_tensor, say)


@checks_function
def check_finite_difference(finite_difference) -> Verdict:
    """Check ``finite_difference(f, x, h)``: central differences of a scalar f at x.
    Example (notebook 03, exercise 1): check_finite_difference(finite_difference)"""
    cases = [(lambda x: (x ** 2).sum(), "(x ** 2).sum()"),
             (lambda x: torch.sin(x).prod() + x[0] * x[-1], "sin(x).prod() + x[0] * x[-1]")]
    for seed, (f, text) in enumerate(cases):
        x = random_tensor(4, seed=seed, dtype=torch.float64)
        before = x.clone()
        answer = finite_difference(f, x, 1e-6)
        if not torch.equal(x, before):
            rounding = ", by rounding: x + h - h is not x" if (x - before).abs().max() < 1e-9 else ""
            raise NotYet(f"your function changed x{rounding}.", "nudge a copy of x (x.clone()).")
        mine = answer_tensor(answer, x.shape, f"your gradient of {text}",
                             "one central difference per entry of x, in a tensor shaped like x.")
        x.requires_grad_(True)
        f(x).backward()
        if torch.allclose(mine.double(), x.grad, atol=1e-5):
            continue
        first_mistake((mine.double() / x.grad).median().item(), [
            (2, f"for {text} you got twice autograd's gradient.", "the points are 2 * h apart."),
            (-1, f"for {text} the sign is flipped.", "subtract f at x - h from f at x + h.")],
            same=lambda ratio, wrong: abs(ratio - wrong) < 0.01)
        raise NotYet(f"for {text} you got {[round(v, 4) for v in mine.tolist()]}, not autograd's "
                     "gradient.", "nudge one entry at a time, both ways.")
    return say(True, "your finite differences match autograd on two functions.")


@checks_function
def check_neuron_grads(neuron_grads) -> Verdict:
    """Check ``neuron_grads(x, w, b, t) -> (dL_dw, dL_dx)`` against autograd (compare_grads),
    for ``L = (sigmoid(w @ x + b) - t) ** 2``: the weights' gradient and the one sent back to x.
    Example (notebook 03, exercise 2): check_neuron_grads(neuron_grads)"""
    x, w = (random_tensor(2, seed=seed, dtype=torch.float64).requires_grad_() for seed in (10, 11))
    b, t = torch.tensor([0.3, 1.0], dtype=torch.float64)
    answer = neuron_grads(*(v.detach().clone() for v in (x, w, b, t)))
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise NotYet(f"expected a pair (dL_dw, dL_dx), got {answer!r:.40}.", "return both.")
    dw, dx = answer_tensor(answer[0], (2,), "dL/dw"), answer_tensor(answer[1], (2,), "dL/dx")
    ((torch.sigmoid(w @ x + b) - t) ** 2).backward()
    verdicts = f"{compare_grads('dL/dw', dw, w.grad)}, {compare_grads('dL/dx', dx, x.grad)}"
    if "wrong" not in verdicts:
        return say(True, f"{verdicts}: your chain rule gives autograd's gradients, w's and x's.")
    first_mistake((dw.double(), dx.double()), [
        ((x.grad, w.grad), "the two are swapped.", "return (dL_dw, dL_dx), in that order."),
        ((w.grad, w.grad), "your dL/dx is dL/dw (times x, as for w).", "how does z move with x[0]?"),
        ((w.grad / 2, x.grad / 2), "half the right gradients.", "d/da (a - t)**2 has a factor 2."),
        ((-w.grad, -x.grad), "the sign is flipped.", "d/da (a - t)**2 > 0 above the target.")],
        same=lambda got, wrong: all(torch.allclose(g, r) for g, r in zip(got, wrong)))
    raise NotYet(f"{verdicts}.", "multiply dL/da, da/dz (the sigmoid's slope), dz/dw or dz/dx.")


@checks_function
def check_accumulate_gradients(accumulate_gradients) -> Verdict:
    """Check ``accumulate_gradients(model, x, y, chunks)`` against one full-batch backward,
    on a model that holds stale gradients.
    Example (notebook 03, exercise 3): check_accumulate_gradients(accumulate_gradients)"""
    for seed, (n, chunks) in enumerate([(12, 3), (10, 3)]):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
        x, y = random_tensor(n, 4, 4, seed=seed), torch.arange(n) % 3
        F.cross_entropy(model(x), y).backward()
        full = [p.grad.clone() for p in model.parameters()]
        for p in model.parameters():
            p.grad = torch.ones_like(p)  # stale gradients from an earlier step
        accumulate_gradients(model, x, y, chunks)
        grads = [p.grad for p in model.parameters()]
        if any(g is None for g in grads):
            raise NotYet("the model has no gradients after your function.", "what fills .grad?")
        if all(torch.allclose(g, f, atol=1e-6) for g, f in zip(grads, full)):
            continue
        stale = "the gradients from before your function are still in there"
        first_mistake(grads, [
            ((1, 1), f"{stale}.", "when may the old gradients go?"),
            ((1, chunks), f"{stale}, and the rest is {chunks} times the full-batch gradient: two "
             "things.", "one at a time."),
            ((0, chunks), f"{chunks} times the full-batch gradient.", "how many chunks in one?")],
            same=lambda grads, wrong: all(torch.allclose(g - wrong[0], wrong[1] * f, atol=1e-6)
                                          for g, f in zip(grads, full)))
        if n % chunks == 0:
            raise NotYet("your gradients differ from one backward over the whole batch.",
                         "does .grad hold every chunk's part, or only the last one's?")
        raise NotYet(f"wrong for {n} items in {chunks} chunks of unequal size.",
                     "should a chunk of 2 items count as much as one of 4?")
    return say(True, "your accumulated gradients equal the full-batch gradients.")


@checks_value
def check_grad_after_three_backward(predicted_grad) -> Verdict:
    """Check a prediction: ``w.grad`` after the code of exercise 4 (two losses that share y,
    retain_graph, then ``.grad`` set to None, then a third backward()).
    Example (notebook 03, exercise 4): check_grad_after_three_backward(predicted_grad)"""
    w = torch.tensor(3.0, requires_grad=True)  # the exercise's code, run
    y = w * w
    (2 * y).backward(retain_graph=True)  # loss_a
    w.grad = None
    (y * w).backward()                   # loss_b
    (5 * w).backward()
    grad, true = answer_number(predicted_grad), float(w.grad)
    if abs(grad - true) < 1e-6:
        return say(True, f"{true:g}: .grad = None forgets loss_a's gradient; loss_b's goes back "
                         "through y, shared with loss_a (the graph kept by retain_graph), and the "
                         "last backward() adds its own.")
    clears = "what does setting .grad to None do to what loss_a left there?"
    first_mistake(grad, [(true + 12, f"{grad:g} still holds loss_a's gradient.", clears),
                         (true - 5, f"{grad:g} leaves out the last backward().",
                          "does backward() replace .grad, or add to it?"),
                         (5, "5 is the last call's gradient alone.", "what does loss_b leave?"),
                         (true - 18, f"{grad:g} treats y as a number in loss_b = y * w.",
                          "y is w * w: it changes with w too.")],
                  same=lambda grad, wrong: abs(grad - wrong) < 1e-6)
    raise NotYet(f"{grad:g} is not what the code leaves in w.grad.",
                 "write down what w.grad holds after each line, one line at a time.")
