# Exercise 1 (04_optimizers): the update rule for any parameters. One solution; yours may differ.
def sgd_update(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
