# Exercise 3 (04_optimizers): find the bug. One solution; yours may differ.
def train(model, x, y, lr, steps):
    """Adam on one batch, steps times; returns the loss of each step."""
    losses = []
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)   # once: Adam's averages live in it
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
