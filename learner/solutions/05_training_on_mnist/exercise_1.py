# Exercise 1 (05_training_on_mnist): predict what dropout does. One solution; yours may differ.
train_values, eval_values = None, None  # your prediction: two sets of numbers, such as {3.0, 4.0}
train_values, eval_values = {0.0, 2.0}, {1.0}  # half zeroed, the others doubled; eval: nothing
