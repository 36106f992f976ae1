# Exercise 3 (01_define_the_network): the size after a convolution or a pooling. One solution; yours may differ.
def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Height (or width) of the output of a convolution or pooling layer."""
    return (size + 2 * padding - kernel_size) // stride + 1
