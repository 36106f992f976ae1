# Exercise 1 (04_optimizers): predict when SGD blows up. One solution; yours may differ.
rate_for_mean, rate_for_sum = None, None  # your two predictions
rate_for_mean = 2 / 2   # each (w - t)**2 has curvature 2, and so has their mean
rate_for_sum = 2 / 16   # the sum of 8 of them: curvature 8 * 2
