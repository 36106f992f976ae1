# Exercise 4 (04_optimizers): choose an optimizer from the evidence. One solution; yours may differ.
chosen_optimizer, its_mean_acc = None, None  # your choice, and the accuracy to expect
mean_acc = {name: sum(h.val_acc[-1] for h in by_rate.values()) / len(by_rate)
            for name, by_rate in runs.items()}   # a rate at random: each counts once
chosen_optimizer = max(mean_acc, key=mean_acc.get)
its_mean_acc = mean_acc[chosen_optimizer]
