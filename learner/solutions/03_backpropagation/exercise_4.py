# Exercise 4 (03_backpropagation): predict `.grad` after three `backward()` calls. One solution; yours may differ.
predicted_grad = None  # your prediction: one number
predicted_grad = 27 + 5  # loss_a's 12 is cleared; loss_b = w**3 gives 3 w**2, then 5 is added
