# Exercise 4 (04_optimizers): choose an optimizer from the evidence. One solution; yours may differ.
chosen_optimizer, its_val_acc = None, None  # your choice, and its validation accuracy
chosen_optimizer = max(histories, key=lambda name: histories[name].val_acc[-1])
its_val_acc = histories[chosen_optimizer].val_acc[-1]
