# Exercise 4 (02_loss_functions): count the nodes of a graph. One solution; yours may differ.
def count_nodes(tensor):
    """The number of distinct nodes in the backward graph behind tensor."""
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and node not in seen:
            seen.add(node)
            todo.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)
