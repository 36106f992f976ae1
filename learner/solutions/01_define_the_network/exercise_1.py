# Exercise 1 (01_define_the_network): predict a shape. One solution; yours may differ.
predicted_shape = None  # your prediction: a tuple of 4 whole numbers
predicted_shape = (1, 16, 6, 6)  # 32 -> 30 -> 15 -> 13 -> 6: pooling drops the odd last row
