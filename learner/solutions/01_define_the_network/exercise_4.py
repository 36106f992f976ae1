# Exercise 4 (01_define_the_network): a list of digits as LeNet's mini-batch. One solution; yours may differ.
def digits_to_batch(digits):
    """A list of N 28x28 digits as LeNet's mini-batch: N x 1 x 32 x 32, each digit centred."""
    batch = torch.stack(digits).unsqueeze(1)  # N x 1 x 28 x 28: one channel per digit
    return F.pad(batch, (2, 2, 2, 2))         # 4 more pixels per side length, 2 on each side
