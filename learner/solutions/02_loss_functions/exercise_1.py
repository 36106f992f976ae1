# Exercise 1 (02_loss_functions): predict a loss. One solution; yours may differ.
predicted_loss = None  # your prediction: one number
predicted_loss = 0.6931  # e**10 dwarfs the eight e**0: p(3) is about 1/2, and -log(1/2)
