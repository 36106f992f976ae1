# Exercise 2 (04_optimizers): momentum. One solution; yours may differ.
def momentum_update(params, velocities, lr, momentum):
    with torch.no_grad():
        for p, v in zip(params, velocities):
            if p.grad is None:
                continue
            v.mul_(momentum).add_(p.grad)
            p -= lr * v
