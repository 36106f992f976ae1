# Exercise 4 (03_backpropagation): predict `.grad` after three `backward()` calls. One solution; yours may differ.
predicted_grad = None  # your prediction: one number
predicted_grad = 11.0
