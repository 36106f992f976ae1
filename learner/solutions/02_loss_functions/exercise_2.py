# Exercise 2 (02_loss_functions): find the bug. One solution; yours may differ.
def train_regression_fixed(model, x, steps):
    """Teach model to output 1, 2, ..., 10 for the input x; return the loss of each step."""
    target = torch.arange(1, 11, dtype=torch.float32).view(1, -1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    criterion = nn.HuberLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(model(x), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
