# Exercise 1 (01_define_the_network): predict a shape. One solution; yours may differ.
predicted_shape = None  # your prediction: a tuple of 4 whole numbers
predicted_shape = (1, 16, 4, 4)
