"""Checks of notebook 02's exercises, against F.cross_entropy, a line's points and autograd."""
import math

import torch
import torch.nn.functional as F

from . import (NotYet, Verdict, answer_number, answer_tensor, checks_function, checks_value,
               first_mistake, number, numbers, random_tensor, say, spying)


@checks_value
def check_hesitant_loss(predicted_loss) -> Verdict:
    """Check a prediction: F.cross_entropy, label 3, of scores 10 for the digits 3 and 8, else 0.
    Example (notebook 02, exercise 1): check_hesitant_loss(predicted_loss)"""
    scores = 10 * (F.one_hot(torch.tensor([3]), 10) + F.one_hot(torch.tensor([8]), 10)).float()
    loss, true = answer_number(predicted_loss), F.cross_entropy(scores, torch.tensor([3])).item()
    if abs(loss - true) <= 0.01:
        return say(True, f"{true:.4f}, about log 2: the two high scores share almost all the "
                         "probability, so the right digit gets about half. Only the probability of "
                         "the right class counts, however it is shared among the wrong ones.")
    first_mistake(loss, [
        (math.log(10), "that is a blind guess among 10 digits: here two scores stand out.",
         "which digits share the probability?"),
        (0.0, "that is the loss of a confident right answer: another digit scores as high.",
         "what probability does the right digit keep?"),
        (10.0, "that is a confident wrong answer: the right digit scores as high as the wrong one.",
         "what probability does the right digit keep?"),
        (0.5, "that is the probability of the right digit, not the loss.", "and the loss?"),
    ], same=lambda loss, wrong: abs(loss - wrong) <= 0.005)
    raise NotYet(f"{loss:g} is not what F.cross_entropy gives.",
                 "the softmax first: how large is e**10 next to e**0?")


@checks_function
def check_fit_line_fixed(fit_line) -> Verdict:
    """Check a fixed ``fit_line(x, y, steps=200) -> (w, b)`` on 30 new points of y = -2x + 0.5.
    Example (notebook 02, exercise 2): check_fit_line_fixed(fit_line_fixed)"""
    x = torch.linspace(-1, 1, 30).view(-1, 1)  # (30, 1), and y (30,), as in the buggy cell
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its weights
        torch.manual_seed(50)
        answer = fit_line(x.clone(), -2 * x.view(-1) + 0.5)
    pair = [number(v) for v in answer] if isinstance(answer, (tuple, list)) else []
    if len(pair) != 2 or None in pair:
        raise NotYet(f"expected (w, b), two numbers, got {answer!r:.40}.", "keep the last line.")
    w, b = pair
    learned = f"on points of y = -2x + 0.5 your function finds w = {w:.2f}, b = {b:.2f}"
    if abs(w + 2) <= 0.05 and abs(b - 0.5) <= 0.05:
        return say(True, f"{learned}. The model's output is (N, 1) and y (N,): their difference "
                         "broadcast to N x N, with no warning from a hand-written loss.")
    if abs(w) <= 0.1 and abs(b - 0.5) <= 0.05:  # the mean of the targets: one level
        raise NotYet(f"{learned}: a flat line, still the bug.", "print the difference's shape.")
    raise NotYet(f"{learned}, not the line of the points.", "change only the loss line.")


@checks_function
def check_soft_cross_entropy(soft_cross_entropy) -> Verdict:
    """Check ``soft_cross_entropy(scores, target_probs)`` against F.cross_entropy with
    probability targets: one-hot rows give the class-index loss; scores of 1000 no overflow.
    Example (notebook 02, exercise 3): check_soft_cross_entropy(soft_cross_entropy)"""
    scores, huge = random_tensor(4, 10, seed=20) * 3, torch.zeros(2, 10)
    huge[0, 3], huge[1, 5] = 1000.0, 200.0
    for text, scores, probs in [
            ("a teacher's probabilities", scores, F.softmax(random_tensor(4, 10, seed=21) * 2, 1)),
            ("one-hot probabilities", scores, F.one_hot(torch.tensor([3, 0, 9, 3]), 10).float()),
            ("label smoothing and scores of 1000", huge,
             0.9 * F.one_hot(torch.tensor([1, 5]), 10).float() + 0.01)]:
        scores, name = scores.requires_grad_(True), f"your loss for {text}"
        with spying(F, "cross_entropy") as used:  # the number to match, not the way
            answer = soft_cross_entropy(scores, probs.clone())
        if used:
            raise NotYet("your loss calls F.cross_entropy, the function to match.",
                         "which function of the lesson gives the log of the softmax?")
        values = numbers(answer)
        if values is not None and not torch.isfinite(values).all():
            raise NotYet(f"{name} is NaN or infinite: log(0) is -inf.",
                         "the lesson computes the log of the softmax in one stable step.")
        if answer_tensor(answer, name=name).dim() != 0:
            raise NotYet(f"{name} has shape {tuple(values.shape)}, a loss is a 0-d tensor.",
                         "one number per row of scores, then one for the batch.")
        if not getattr(answer, "requires_grad", False):
            raise NotYet(f"{name} is cut off from autograd: no .item(), .detach() or numpy.")
        mine, true = values.item(), F.cross_entropy(scores, probs).item()
        if math.isclose(mine, true, rel_tol=1e-4, abs_tol=1e-5):
            continue
        n, c = scores.shape
        got, classes = f"for {text} you got {mine:.4f}", "which dimension holds the classes?"
        first_mistake(mine, [
            (true / c, f"{got}: an average over the classes.", "only the rows are averaged."),
            (-(probs * F.log_softmax(scores, 0)).sum(1).mean().item(),
             f"{got}: a softmax over the batch (dim 0), not the classes.", classes),
            (-true, f"{got}: the sign is flipped.", "a loss is never negative."),
            (true * n, f"{got}: {n} times the loss, a sum.", "one loss for the whole batch.")],
            same=lambda mine, wrong: math.isclose(mine, wrong, rel_tol=1e-4))
        raise NotYet(f"{got}, F.cross_entropy gives {true:.4f}.",
                     "the target probabilities weigh the log-probabilities of the classes.")
    return say(True, "your loss equals F.cross_entropy with probability targets: the class-index "
                     "loss for one-hot rows, and no overflow at scores of 1000.")


@checks_function
def check_count_nodes(count_nodes) -> Verdict:
    """Check ``count_nodes(tensor) -> int``: distinct nodes behind tensor.grad_fn, leaves included.
    Example (notebook 02, exercise 4): check_count_nodes(count_nodes)"""
    from ..models import LeNet

    x, w, b = (random_tensor(3, seed=seed).requires_grad_(True) for seed in (30, 31, 32))
    with torch.random.fork_rng(devices=[]):
        net = LeNet()
    loss = F.mse_loss(net(random_tensor(1, 1, 32, 32, seed=33)), random_tensor(1, 10, seed=34))
    counts = []
    for text, tensor in [("(x * x).sum()", (x * x).sum()), ("(w * 2 + b).sum()", (w * 2 + b).sum()),
                         ("LeNet's MSE loss", loss)]:
        answer = count_nodes(tensor)  # an error (a None not skipped): @checker explains it
        seen, todo = set(), [tensor.grad_fn]      # the reference: every distinct node, once
        while todo:
            node = todo.pop()
            if node is not None and node not in seen:
                seen.add(node)
                todo.extend(next_node for next_node, _ in node.next_functions)
        expected, got = len(seen), number(answer)
        counts.append(f"{expected} behind {text}")
        if got is not None and got > expected:
            raise NotYet(f"for {text} you counted {answer}, more than {expected}: some node "
                         "counts twice.", "remember the nodes already seen.")
        if got != expected:
            raise NotYet(f"for {text} you counted {answer!r:.40}, but there are {expected} nodes.",
                         "follow every entry of next_functions, down to the leaves.")
    return say(True, "nodes: " + ", ".join(counts) + ".")
