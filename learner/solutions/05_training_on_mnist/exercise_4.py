# Exercise 4 (05_training_on_mnist): count the confusions. One solution; yours may differ.
def confusion_counts(predictions, labels):
    counts = torch.zeros(10, 10, dtype=torch.int64)
    for label, prediction in zip(labels.tolist(), predictions.tolist()):
        counts[label, prediction] += 1
    return counts
