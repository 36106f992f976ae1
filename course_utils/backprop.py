"""What ``loss.backward()`` does, node by node, recorded by hooks during the real pass.
Used in: notebook 03."""
import textwrap
from collections import Counter
from dataclasses import dataclass, field

import torch

from . import _checks
from .figures import FULL_WIDTH, PALETTE, course_plot, new_figure, with_alt
from .graph import Graph, _leaf, autograd_graph

RUNNING, DONE, FILLED = PALETTE[4], "#cfe6f5", "#bfe8d8"   # orange, pale blue, pale green


def _describe(g: torch.Tensor | None) -> str:
    if g is None:
        return "nothing"
    return f"shape {list(g.shape)}{' (a scalar)' if g.dim() == 0 else ''}, norm {g.norm().item():.4f}"


def _first_values(g: torch.Tensor | None, k: int = 3) -> str:
    if g is None:
        return ""
    values = ", ".join(f"{v:.3g}" if v else "0" for v in g.reshape(-1)[:k].tolist())
    return values if g.dim() == 0 else f"[{values}{', ...' if g.numel() > k else ''}]"


@dataclass
class BackwardStep:
    """One node of the backward pass (``linear #3``, ``t (fc3.weight)``, ``fc3.weight.grad``)."""

    number: int
    name: str
    function: str
    node: int
    received: torch.Tensor | None
    sent: list[tuple[str, torch.Tensor | None]]
    filled: list[str]


@dataclass
class BackwardTrace:
    """A context manager around ``loss.backward()``: its ``steps`` on the forward ``graph``."""

    graph: Graph
    params: list[str]
    steps: list[BackwardStep] = field(default_factory=list)

    def __enter__(self) -> "BackwardTrace":   # a hook on each operation, t and .grad node
        graph, seen, found = self.graph, Counter(), {}   # id -> (autograd node, name, box)
        counts = Counter(graph.ops)
        boxes = {id(n.source): i for i, n in enumerate(graph.nodes) if n.kind == "param"}
        for i, node in enumerate(graph.nodes):
            if node.kind != "op":
                continue
            seen[node.label] += 1
            name = f"{node.label} #{seen[node.label]}" if counts[node.label] > 1 else node.label
            found[id(node.source)] = (node.source, name, i)
            for fn in (child for child, _ in node.source.next_functions if child is not None):
                if _leaf(fn) is None:         # AccumulateGrad, or nn.Linear's transpose of a weight
                    continue
                box = boxes[id(_leaf(fn))]
                label = graph.nodes[box].label
                if type(fn).__name__ != "AccumulateGrad":
                    found[id(fn)] = (fn, f"t ({label})", box)
                    fn = fn.next_functions[0][0]
                found[id(fn)] = (fn, f"{label}.grad", box)
        names = {id(fn): name for fn, name, _ in found.values()}
        self._hooks = [fn.register_hook(self._recorder(fn, name, node, names))
                       for fn, name, node in found.values()]
        return self

    def _recorder(self, fn, name, node, names):
        inputs = self.graph.nodes[node].inputs if self.graph.nodes[node].kind == "op" else []
        targets = [names[id(child)] if child is not None else     # else a tensor that needs
                   self.graph.nodes[inputs[slot]].label if slot < len(inputs) else "input"
                   for slot, (child, _) in enumerate(fn.next_functions)]   # no gradient

        def record(grad_inputs, grad_outputs):
            sent = [(where, None if g is None else g.detach().clone())
                    for where, g in zip(targets, grad_inputs)]
            received = grad_outputs[0].detach().clone() if grad_outputs else None
            filled = list(self.steps[-1].filled) if self.steps else []   # in the order filled
            filled += [n.label for n in self.graph.nodes if n.kind == "param"
                       and n.source.grad is not None and n.label not in filled]
            self.steps.append(BackwardStep(len(self.steps) + 1, name, type(fn).__name__, node,
                                           received, sent, filled))
        return record

    def __exit__(self, kind, error, traceback) -> None:
        for handle in self._hooks:
            handle.remove()
        if kind is None and not self.steps:
            raise RuntimeError("No backward pass ran inside the with block, so there is "
                               "nothing to show. Fix: with cu.trace_backward(loss, model=net) "
                               "as trace: loss.backward()")

    def text(self, step: int) -> str:
        s = self[step]
        lines = [f"step {s.number} of {len(self)}: {s.name} ({s.function})",
                 f"receives {_describe(s.received)}", f"   values {_first_values(s.received)}"]
        if not s.sent:
            lines.append("sends nothing on: it stores it in .grad")
        for where, g in s.sent:
            lines.append(f"sends to {where}: {_describe(g)}")
            if g is not None:
                lines.append(f"   values {_first_values(g)}")
        filled = f".grad filled so far ({len(s.filled)} of {len(self.params)}): "
        return "\n".join(lines + textwrap.wrap(filled + (", ".join(s.filled) or "none"),
                                               width=52, subsequent_indent="   "))

    def __getitem__(self, step: int) -> BackwardStep:
        fix = "trace[1] is the first step"
        return self.steps[_checks.whole_number(step, "step", fix, high=len(self.steps)) - 1]

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        rows = [f"{'step':>4}  {'node':<18} {'receives (shape)':<16} {'sends on (shapes)':<36} .grad filled"]
        for s in self.steps:
            got = list(s.received.shape) if s.received is not None else "-"
            sent = ", ".join(str(list(g.shape)) for _, g in s.sent if g is not None) or "-"
            rows.append(f"{s.number:>4}  {s.name:<18} {str(got):<16} {sent:<36} "
                        f"{len(s.filled)} of {len(self.params)}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        filled = len(self.steps[-1].filled) if self.steps else 0
        return (f"BackwardTrace({len(self.steps)} steps, .grad filled for {filled} of "
                f"{len(self.params)} parameters)")


def trace_backward(loss: torch.Tensor, *, model=None) -> BackwardTrace:
    """Record the next ``loss.backward()`` node by node, in a ``with`` block; model names the
    parameters, whose .grad must be None before (``net.zero_grad()``).

    Example (notebook 03):
        >>> model.zero_grad(); loss = model(x[:1]).square().mean()
        >>> with trace_backward(loss, model=model) as trace:
        ...     loss.backward()
        >>> trace
        BackwardTrace(27 steps, .grad filled for 10 of 10 parameters)
    """
    graph = autograd_graph(loss, model=model)
    for n in graph.nodes:
        if n.kind == "param" and n.source.grad is not None:
            raise ValueError(f"{n.label} already has a .grad (from an earlier backward), and "
                             "backward adds to it, so the trace could not show the gradients "
                             "being filled. Fix: net.zero_grad() before computing the loss.")
    return BackwardTrace(graph, graph.param_names)


def _draw_column(ax, trace: BackwardTrace, n: int) -> None:
    """The forward graph top to bottom, coloured by the backward pass up to step ``n``."""
    from matplotlib.collections import LineCollection

    graph, step = trace.graph, trace[n]
    pos = {i: (0.0, -row) for row, i in enumerate(graph.chain)}
    for row, extra in graph.side_inputs():      # each operation's parameters beside it
        params = [j for j in extra if graph.nodes[j].kind == "param"]
        pos.update({j: (1.05 + 0.62 * k, -row) for k, j in enumerate(params)})
    ran = {s.node for s in trace.steps[:n - 1]}
    ax.add_collection(LineCollection([(pos[i], pos[j]) for i, j in graph.edges
                                      if i in pos and j in pos], colors="#aaaaaa", lw=1, zorder=1))
    boxes = {}
    for i, (x, y) in pos.items():
        node, now = graph.nodes[i], i == step.node
        is_param = node.kind == "param"
        fill = ("white" if node.kind == "input" else RUNNING if now else
                FILLED if is_param and node.label in step.filled else
                DONE if (i in ran and not is_param) or node.kind == "output" else "white")
        short = node.label.rsplit(".", 1)[-1]              # a parameter: W or b
        label = {"weight": "W", "bias": "b"}.get(short, short[:1]) if is_param else node.label
        boxes[i] = ax.text(x, y, label, ha="center", va="center", fontsize=10, zorder=3,
                           color="#666666" if node.kind == "input" else "black",
                           bbox=dict(boxstyle="round,pad=0.25", fc=fill, lw=2 if now else 0.8,
                                     ec="black" if now else "#888888")).get_bbox_patch()
    if graph.nodes[step.node].kind == "op":        # where this step sends gradients: orange
        for j, (_, g) in zip(graph.nodes[step.node].inputs, step.sent):
            if g is not None and j in pos:
                style = ("bar,armA=-40,armB=-40,fraction=0" if pos[j][0] == 0 else  # up the chain
                         "arc3" if pos[j][0] < 1.5 else "arc3,rad=-0.35")
                ax.annotate("", xy=pos[j], xytext=pos[step.node], zorder=4, arrowprops=dict(
                    arrowstyle="-|>", color=RUNNING, lw=2.5, mutation_scale=14, shrinkA=1,
                    shrinkB=1, connectionstyle=style, patchA=boxes[step.node], patchB=boxes[j]))
    ax.set(xlim=(-1.05, 2.05), ylim=(-len(graph.chain) + 0.4, 0.6), xticks=[],
           yticks=[])                              # no tick labels, even hidden ones
    ax.axis("off")
    ax.set_title(f"step {n} of {len(trace)}\n{step.name}", fontsize=11)


def _legend(fig) -> None:
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(fc=fill, ec="#888888", label=label) for fill, label in (
        (RUNNING, "running now"), (DONE, "ran already"), (FILLED, ".grad filled (W, b)"))],
               loc="outside lower center", ncol=3, frameon=False)


def _sends(step: BackwardStep) -> str:
    sent = [f"shape {list(g.shape)} to {where}" for where, g in step.sent if g is not None]
    return "sends " + ", ".join(sent) if sent else "stores it in .grad"


def check_trace(trace) -> BackwardTrace:
    _checks.expect(isinstance(trace, BackwardTrace) and trace.steps, "trace", "a BackwardTrace",
                   trace, "with cu.trace_backward(loss, model=net) as trace: loss.backward()")
    return trace


@course_plot
def plot_backward_steps(trace: BackwardTrace):
    """The first step, the first to fill a .grad, a middle one and the last, on the graph.

    Example (notebook 03):
        >>> plot_backward_steps(None)
        Traceback (most recent call last):
        ValueError: trace must be a BackwardTrace, got NoneType. Fix: ...
    """
    trace = check_trace(trace)
    first_fill = next(s.number for s in trace.steps if s.filled)
    middle = min((s for s in trace.steps if trace.graph.nodes[s.node].kind == "op"),
                 key=lambda s: abs(s.number - len(trace) / 2 - 2)).number
    chosen = [trace[n] for n in sorted({1, first_fill, middle, len(trace)})]
    fig, axes = new_figure(min(FULL_WIDTH, 2.05 * len(chosen)), 0.3 * len(trace.graph.chain) + 1.4,
                           1, len(chosen), layout="constrained", squeeze=False)
    for ax, step in zip(axes[0], chosen):
        _draw_column(ax, trace, step.number)
    fig.suptitle("loss.backward(), node by node: from the loss (bottom) up to the input")
    _legend(fig)
    shown = "; ".join(f"step {s.number}, {s.name}, receives {_describe(s.received)} and "
                      f"{_sends(s)}, {len(s.filled)} .grad filled" for s in chosen)
    return with_alt(fig, f"{len(chosen)} of the {len(trace)} steps of the backward pass, "
                         f"drawn on the forward graph (input at the top, loss at the bottom): "
                         f"{shown}. After the last step {len(trace.steps[-1].filled)} of "
                         f"{len(trace.params)} parameters have their .grad.")

