# Exercise 2 (04_optimizers): momentum with weight decay. One solution; yours may differ.
def momentum_decay_update(params, velocities, lr, momentum, weight_decay):
    with torch.no_grad():
        for k, w in enumerate(params):
            if w.grad is not None:   # the extra term's gradient, weight_decay * w, joins the loss's
                velocities[k] = momentum * velocities[k] + w.grad + weight_decay * w
                w -= lr * velocities[k]
