# Exercise 1 (02_loss_functions): predict a loss. One solution; yours may differ.
predicted_loss = None  # your prediction: one number
predicted_loss = 1.6094  # log(5): each class gets probability 1/5
