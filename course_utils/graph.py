"""The autograd graph behind a tensor, as a structure, a text chain and a drawing.
Used in: notebook 02 (the graph behind a loss).
"""
import re
import textwrap
from dataclasses import dataclass, field

import torch
from torch import nn

from . import _checks
from .figures import course_plot, new_figure, with_alt

# backward class name (less "Backward0") -> the operation the learner wrote, if not lower case
_OP_NAMES = {"Addmm": "linear", "Mm": "matmul", "MaxPool2DWithIndices": "maxpool2d",
             "MseLoss": "MSELoss", "NllLoss": "NLLLoss", "LogSoftmax": "log_softmax",
             "UnsafeView": "view"}
_LOSSES = {"MSELoss", "NLLLoss"}


@dataclass
class Node:
    """One box of the graph: ``kind`` is "input", "target", "param", "op" or "output"."""

    label: str
    kind: str
    inputs: list[int] = field(default_factory=list)  # indices into Graph.nodes
    shape: tuple[int, ...] | None = None
    # the autograd node (grad_fn) of an operation, the tensor of a parameter
    source: object = field(default=None, repr=False, compare=False)


@dataclass
class Graph:
    """``nodes`` in forward order, the tensor last; ``chain``: input, operations, output."""

    nodes: list[Node]
    chain: list[int]

    @property
    def edges(self) -> list[tuple[int, int]]:
        return [(i, j) for j, node in enumerate(self.nodes) for i in node.inputs]

    @property
    def param_names(self) -> list[str]:          # in the order the forward pass uses them
        return [n.label for n in self.nodes if n.kind == "param"]

    @property
    def ops(self) -> list[str]:
        return [n.label for n in self.nodes if n.kind == "op"]

    def side_inputs(self) -> list[tuple[int, list[int]]]:
        """(chain position, inputs that are not the previous chain element) per operation."""
        rows = []
        for pos, i in enumerate(self.chain):
            previous = self.chain[pos - 1] if pos else None
            extra = sorted(j for j in self.nodes[i].inputs if j != previous)
            if extra:
                rows.append((pos, extra))
        return rows

    def text(self, width: int = 88) -> str:
        """The forward chain (wrapped like the lesson), then where each leaf enters."""
        arrows = " ->\N{NO-BREAK SPACE}".join(self.nodes[i].label for i in self.chain)
        lines = [line.replace("\N{NO-BREAK SPACE}", " ")     # a line breaks before an arrow
                 for line in textwrap.wrap(arrows, width, subsequent_indent="      ",
                                           break_long_words=False, break_on_hyphens=False)]
        rows = self.side_inputs()
        if rows:
            lines.append("where the other inputs enter:")
            ops = [self.nodes[self.chain[pos]].label for pos, _ in rows]
            heads = [f"{op} #{ops[:k + 1].count(op)}" for k, op in enumerate(ops)]
            pad = max(len(h) for h in heads)
            for head, (_, extra) in zip(heads, rows):
                names = ", ".join(_describe(self.nodes[j]) for j in extra)
                lines.append(f"  {head:<{pad}} <- {names}")
        return "\n".join(lines)


def _describe(node: Node) -> str:
    if not node.shape or node.kind != "param":
        return node.label
    return f"{node.label} {list(node.shape)}"


def _leaf(fn):
    """The leaf tensor behind fn if it is an AccumulateGrad (or a transpose of one)."""
    if type(fn).__name__ == "AccumulateGrad":
        return fn.variable
    if type(fn).__name__ == "TBackward0" and len(fn.next_functions) == 1:
        inner = fn.next_functions[0][0]
        if inner is not None and type(inner).__name__ == "AccumulateGrad":
            return inner.variable  # x @ W.t() inside nn.Linear: show W itself
    return None


def autograd_graph(tensor: torch.Tensor, *, model=None) -> Graph:
    """Walk ``tensor.grad_fn.next_functions`` (each node once); model names the leaves.

    Example:
        >>> autograd_graph(model(x).sum(), model=model).param_names[:2]
        ['conv1.weight', 'conv1.bias']
    """
    _checks.expect(isinstance(tensor, torch.Tensor), "tensor", "computed from the model (e.g. "
                   "the loss)", tensor, "pass the tensor itself, print_graph(loss, model=net)")
    if tensor.grad_fn is None:
        what = ("a leaf tensor (made by you, not computed)" if tensor.requires_grad
                else "a tensor that does not require grad")
        raise ValueError(f"This tensor of shape {tuple(tensor.shape)} has no grad_fn: it is {what}, "
                         "so there is no graph behind it. Fix: set requires_grad=True on the "
                         "inputs or compute it from the model, e.g. loss = criterion(net(x), "
                         "target), outside torch.no_grad().")
    _checks.expect(model is None or isinstance(model, nn.Module), "model", "an nn.Module", model,
                   "autograd_graph(loss, model=net)")
    names = {id(p): name for name, p in (model.named_parameters() if model is not None else [])}
    order = {key: k for k, key in enumerate(names)}  # parameters in registration order
    nodes: list[Node] = []
    index: dict[int, int] = {}    # id(leaf tensor) or id(grad_fn) -> its node
    keep_alive = []               # the grad_fn objects whose id() we rely on while walking
    stack = [(tensor.grad_fn, False)]   # post-order from the loss back: inputs before their op
    while stack:
        fn, expanded = stack.pop()
        keep_alive.append(fn)
        if id(fn) in index:
            continue
        if not expanded:
            stack.append((fn, True))
            stack.extend((child, False) for child, _ in reversed(fn.next_functions)
                         if child is not None and _leaf(child) is None)
            continue
        name, links = re.sub(r"Backward\d*$", "", type(fn).__name__), []
        label = (f"conv{len(fn._saved_stride)}d" if name == "Convolution" else
                 _OP_NAMES.get(name, name.lower()))
        leaves = [_leaf(child) for child, _ in fn.next_functions if child is not None]
        for var in sorted((v for v in leaves if v is not None and id(v) not in index),
                          key=lambda v: order.get(id(v), len(order))):   # its new leaves first
            nodes.append(Node(names.get(id(var), "leaf"), "param", shape=tuple(var.shape),
                              source=var))
            index[id(var)] = len(nodes) - 1
        for slot, (child, _) in enumerate(fn.next_functions):
            if child is None:             # a tensor that needs no gradient
                kind = ("target" if label in _LOSSES and slot > 0 else
                        "input" if slot == (1 if label == "linear" else 0) else "constant")
                nodes.append(Node(kind, kind))
                links.append(len(nodes) - 1)
            else:
                links.append(index[id(_leaf(child) if _leaf(child) is not None else child)])
        nodes.append(Node(label, "op", links, source=fn))
        index[id(fn)] = len(nodes) - 1

    out_label = "loss" if tensor.numel() == 1 else "output"
    nodes.append(Node(out_label, "output", [index[id(tensor.grad_fn)]], tuple(tensor.shape)))
    ops = [i for i, n in enumerate(nodes) if n.kind in ("op", "output")]
    first_inputs = [j for j in nodes[ops[0]].inputs if nodes[j].kind == "input"]
    return Graph(nodes, first_inputs[:1] + ops)   # the chain: input, operations, output


def print_graph(tensor: torch.Tensor, *, model=None) -> None:
    """Print the forward chain behind tensor, then where each parameter enters.

    Example (notebook 02):
        >>> layer = nn.Linear(3, 2)
        >>> print_graph(nn.MSELoss()(layer(torch.ones(1, 3)), torch.zeros(1, 2)), model=layer)
        input -> linear -> MSELoss -> loss
        where the other inputs enter:
          linear #1  <- weight [2, 3], bias [2]
          MSELoss #1 <- target
    """
    print(autograd_graph(tensor, model=model).text())


@course_plot
def plot_graph(tensor: torch.Tensor, *, model=None):
    """Draw the graph top to bottom: operations in a column, parameters beside them.

    Example (notebook 02):
        >>> plot_graph(model(x).sum(), model=model).axes[0].get_title()
        'forward pass, top to bottom (backward runs bottom to top)'
    """
    graph = autograd_graph(tensor, model=model)
    labels = [_describe(n) for n in graph.nodes]

    def width(i: int) -> float:  # a box's width in inches (1 unit = 1 inch), from its label
        return 0.085 * len(labels[i]) + 0.2

    pos = {i: (0.0, -row) for row, i in enumerate(graph.chain)}
    chain_half = max(width(i) for i in graph.chain) / 2
    for row, extra in graph.side_inputs():
        x = chain_half + 0.35                # side inputs in a row, each clear of the last
        for j in (j for j in extra if j not in pos):
            pos[j] = (x + width(j) / 2, -row)
            x += width(j) + 0.35
    rows, left = len(graph.chain), -chain_half - 0.15
    right = max(x + width(i) / 2 for i, (x, _) in pos.items()) + 0.15
    fig, ax = new_figure(max(right - left, 4.0), 0.4 * rows + 0.4)
    colours = {"op": "#cfe2f3", "param": "#fce5cd", "output": "#d9ead3"}
    for j, i in graph.edges:                 # a far side input bows over its neighbours
        bow = pos[j][1] == pos[i][1] and pos[j][0] - chain_half >= 2
        ax.annotate("", xy=pos[i], xytext=pos[j],
                    arrowprops=dict(arrowstyle="-|>", color="#555555", shrinkA=8, shrinkB=8,
                                    mutation_scale=8, connectionstyle=f"arc3,rad={0.3 * bow}"))
    for i, node in enumerate(graph.nodes):
        x, y = pos[i]
        ax.text(x, y, labels[i], ha="center", va="center", fontsize=10,
                bbox=dict(boxstyle="round,pad=0.3", fc=colours.get(node.kind, "#d9d9d9"), ec="#666666"))
    ax.set_xlim(left, right)
    ax.set_ylim(-rows + 0.4, 0.6)
    ax.axis("off")
    ax.set_title("forward pass, top to bottom (backward runs bottom to top)", fontsize=11)
    chain = " -> ".join(graph.nodes[i].label for i in graph.chain)
    return with_alt(fig, f"The autograd graph behind {graph.nodes[-1].label}: {chain}; "
                         f"{len(graph.param_names)} parameter tensors enter from the side.")
