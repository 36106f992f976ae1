# Exercise 1 (04_optimizers): predict when SGD blows up. One solution; yours may differ.
w_after_step, largest_rate = None, None  # your two predictions
w_after_step = 1 - 0.3 * 10 * 1   # the gradient of 5 w**2 is 10 w: w becomes -2
largest_rate = 2 / 10             # each step multiplies w by (1 - 10 lr): |1 - 10 lr| < 1
