# Exercise 2 (01_define_the_network): parameters of a layer, from its settings. One solution; yours may differ.
def layer_parameters(layer):
    """How many numbers an nn.Linear or nn.Conv2d learns, from its settings alone."""
    if isinstance(layer, nn.Linear):
        weights, outputs = layer.out_features * layer.in_features, layer.out_features
    else:  # nn.Conv2d: one in_channels x kh x kw kernel per output channel
        kh, kw = layer.kernel_size
        weights, outputs = layer.out_channels * layer.in_channels * kh * kw, layer.out_channels
    return weights + (outputs if layer.bias is not None else 0)
