# Exercise 1 (05_training_on_mnist): find the bugs. One solution; yours may differ.
def accuracy(model, loader):
    """The share of the loader's digits that the model classifies right."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            predictions = model(x).argmax(dim=1)
            correct += (predictions == y).sum().item()
    return correct / len(loader.dataset)
