"""Add the course's two views to notebooks 03 and 05: `python -m tools.add_views`.

Usage: python -m tools.add_views [NOTEBOOKS_FOLDER]   (default: notebooks/), then `make notebooks`

- Notebook 03, "What happens when we call loss.backward()?": the backward pass of the
  lesson's LeNet, step by step (cu.trace_backward, cu.plot_backward_steps,
  widgets.backward_stepper). Its section goes before the first `## ` heading that follows
  the first code cell calling `loss.backward()`; the cells before it must define the
  lesson's `net`, `input`, `target` and `criterion`.
- Notebook 05, "The surface the optimizer walked on": the loss surface of the trained LeNet
  with its training path (cu.loss_surface, cu.plot_loss_surface). One line,
  `weight_path = cu.WeightPath(MODEL, OPTIMIZER)`, goes just before the first `cu.fit(...)`
  call (the main training run; MODEL and OPTIMIZER are that call's own arguments), and the
  section goes before the first `## ` heading after that cell.

The cells it adds carry the tag "course-views" and fixed ids; running it again first takes
them (and the WeightPath line) out, then puts the current version back where the anchors
are now. A cell whose text has not changed keeps its outputs, and a notebook in which
nothing changes is not written: running it twice changes nothing. Added or changed cells
have no outputs until `make notebooks` runs them.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

TAG = "course-views"
WEIGHT_PATH_LINE = re.compile(r"^[ \t]*weight_path = cu\.WeightPath\(.*\n?", re.M)

BACKPROP = [
    ("markdown", """\
## What happens when we call `loss.backward()`?

The lesson's question, answered by watching it happen. `loss.backward()` walks the graph of
notebook 02 backwards, from the loss to the parameters, one node at a time. Each node
**receives** the gradient of the loss with respect to its output, and **sends on** the
gradient with respect to each of its inputs: what it received times its own local
derivative (the chain rule). Where a gradient reaches a parameter, a node called
`AccumulateGrad` adds it to that parameter's `.grad`.

`cu.trace_backward` hooks every node of the graph (`grad_fn.register_hook`) and keeps a
copy of what each one receives and sends during one real `backward()`: the numbers below
are autograd's own, not computed again."""),
    ("code", """\
net.zero_grad()                      # .grad is None again, so we can watch it being filled
loss = criterion(net(input), target)
with cu.trace_backward(loss, model=net) as trace:
    loss.backward()                  # the one real backward pass, recorded node by node
print(repr(trace))
print(trace)"""),
    ("markdown", """\
One row per node, in the order autograd ran them. Besides the 13 operations of the forward
pass there are two kinds of nodes you never wrote: a `t` per `nn.Linear` (its weight
enters the graph transposed) and one `AccumulateGrad` per parameter, named here after
the `.grad` it writes (`fc3.bias.grad`). The gradients reach the last layer first:
`fc3`'s `.grad` is filled at steps 3 and 5, `conv1`'s at the very end. The first three
steps in full:"""),
    ("code", """\
for step in (1, 2, 3):
    print(trace.text(step), end="\\n\\n")"""),
    ("markdown", """\
Step 1: the pass starts with the gradient of the loss with respect to itself, 1. The MSE
node sends $\\frac{2}{10}(\\text{output} - \\text{target})$ on to the last linear layer and
nothing to the target, which needs no gradient. Step 2: `linear #3` sends three gradients,
one per input: to the bias the gradient it received, unchanged; to the previous ReLU that
gradient times $W$; to the weight (through `t`) its product with the layer's input.
Step 3: `AccumulateGrad` stores what it received in `fc3.bias.grad`. The check:"""),
    ("code", """\
output = net(input).detach()
print("MSELoss sends 2/10 (output - target):",
      torch.allclose(trace[1].sent[0][1], 2 / 10 * (output - target)))
print("fc3.bias.grad is what linear #3 sent it:",
      torch.equal(dict(trace[2].sent)["fc3.bias.grad"], net.fc3.bias.grad))
params = dict(net.named_parameters())
print("every .grad is what its AccumulateGrad node received:",
      all(torch.equal(step.received, params[step.name.removesuffix(".grad")].grad)
          for step in trace.steps if step.function == "AccumulateGrad"))
kinds = [step.function for step in trace.steps]
print(f"{len(trace)} steps: {len(trace.graph.ops)} operations, {kinds.count('TBackward0')} t, "
      f"{kinds.count('AccumulateGrad')} AccumulateGrad")
filled_at = {step.name: step.number for step in trace.steps if step.function == "AccumulateGrad"}
print("fc3 filled at steps", filled_at["fc3.bias.grad"], filled_at["fc3.weight.grad"],
      "and conv1 at", filled_at["conv1.weight.grad"], filled_at["conv1.bias.grad"])"""),
    ("markdown", """\
Four of the steps on the graph itself (forward from top to bottom, so the backward pass
climbs): the node running is orange, with arrows to where it sends gradients; nodes that
ran already are blue; a parameter's `W` or `b` turns green once its `.grad` is filled."""),
    ("code", "cu.plot_backward_steps(trace)"),
    ("markdown", """\
### Explore: step through the backward pass

Press *next* (or drag the slider) to run the pass one node at a time, with the numbers of
each step beside the graph. (A live widget: run the notebook to use it; the stored notebook
shows its first step.)"""),
    ("code", """\
# NBVAL_IGNORE_OUTPUT
from course_utils import widgets

widgets.backward_stepper(trace)"""),
    ("markdown", """\
So, what happens when we call `loss.backward()`? Autograd starts at `loss.grad_fn` with
the gradient 1 and runs every node of the graph once, from the loss back towards the
input, each as soon as all the gradients for its output have arrived. Each node applies
the chain rule to what it received and passes the result on; inputs that need no gradient
get none. At the parameters, `AccumulateGrad` **adds** the gradient into `.grad`, which is
why gradients add up when `zero_grad()` is forgotten (below). Then the graph is freed: a
second `loss.backward()` on the same loss fails unless the first had `retain_graph=True`."""),
]

SURFACE = [
    ("markdown", """\
## The surface the optimizer walked on

The loss is a function of all 61,706 weights: a surface in 61,707 dimensions that nobody can
draw. What we can draw is a plane through it. `weight_path` (the line before `fit`) kept a
copy of the weights every 10 optimizer steps. The two directions along which these copies
spread the most (their principal components) span the plane, through the trained weights;
each copy is projected onto it, so the path ends at the origin. The loss is measured on 100
training digits (evenly spread over the training set, the same ones at every point) on an
11 x 11 grid: 121 forward passes of 100 digits. Beside it, a 1-D slice: the
loss on the straight line from the initial weights (alpha 0) to the trained ones (alpha 1)."""),
    ("code", """\
surface = cu.loss_surface({model}, {data}.train, weight_path, grid=11, digits=100)
print(surface)
print(f"the plane holds {{sum(surface.explained):.0%}} of the path's spread")
cu.plot_loss_surface(surface)"""),
    ("markdown", """\
The path starts high, where the untrained network guesses (a loss near $\\ln 10 \\approx
2.3$), and runs down into a valley that ends at the trained weights. On the straight line
from start to end the loss is still above 2 a quarter of the way, then drops. The
plane is the one the path mostly lies in, so it shows where training went, not every
direction: what is off the plane is left out. The checks: the loss at the origin is the
trained model's loss on the same 100 digits, and the path ends there."""),
    ("code", """\
trained_loss, _ = cu.evaluate({model}, {data}.train.subset(100))
print(f"trained model on the same 100 digits: {{trained_loss:.4f}}, "
      f"at the origin: {{surface.loss_at_origin:.4f}}")
print("the path ends at the origin:", surface.path[-1].tolist() == [0.0, 0.0])
on_line = dict(zip(surface.slice_alphas.tolist(), surface.slice_losses.tolist()))
print(f"on the straight line: {{on_line[0.0]:.2f}} at the start (ln 10 = 2.30), "
      f"{{on_line[0.25]:.2f}} a quarter of the way, {{on_line[1.0]:.4f}} at the end")"""),
    ("markdown", """\
Li et al. (2018), who introduced these pictures, draw the loss along two **random**
directions instead, each filter scaled to the size of the same filter of the trained
weights ("filter-normalised"), so that pictures of different networks compare. Around our
trained LeNet that plane is a bowl. But a random plane in 61,706 dimensions misses the
path almost entirely: projected onto it, the whole path shrinks to the dot at the centre
(9 x 9 grid, the same 100 digits)."""),
    ("code", """\
random_plane = cu.loss_surface({model}, {data}.train, weight_path, directions="random",
                               grid=9, digits=100, slice_steps=0)
print(f"the random plane holds {{sum(random_plane.explained):.4%}} of the path's spread")
cu.plot_loss_surface(random_plane)"""),
]


class AnchorNotFound(SystemExit):
    """A notebook lacks the cell the views are placed after; the message names it."""


def _cells(notebook: str, specs: list[tuple[str, str]]) -> list:
    cells = []
    for k, (kind, source) in enumerate(specs):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source, id=f"{TAG}-{notebook}-{k}")
        cell.metadata["tags"] = [TAG]
        cells.append(cell)
    return cells


def _section_end(cells: list, after: int) -> int:
    """The index of the first `## ` heading after cells[after] (or the end of the notebook)."""
    for i in range(after + 1, len(cells)):
        if cells[i].cell_type == "markdown" and cells[i].source.lstrip().startswith("## "):
            return i
    return len(cells)


def _defined(cells: list, names: list[str]) -> list[str]:
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    return [n for n in names if not re.search(rf"^\s*{n}\s*=", code, re.M)]


def _backprop_place(cells: list, path: Path) -> int:
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and "loss.backward()" in cell.source:
            missing = _defined(cells[:i + 1], ["net", "input", "target", "criterion"])
            if missing:
                raise AnchorNotFound(f"{path.name}: the code before its first loss.backward() "
                                     f"does not define {', '.join(missing)}; the backprop view "
                                     "uses the lesson's net, input, target and criterion. Fix: "
                                     "define them there, or adapt BACKPROP in tools/add_views.py.")
            return _section_end(cells, i)
    raise AnchorNotFound(f"{path.name}: no code cell calls loss.backward(), so there is no place "
                         "for the backprop view. Fix: adapt _backprop_place in tools/add_views.py.")


def _fit_call(source: str) -> tuple[int, dict[str, str]] | None:
    """(line of the statement, {model, data, optimizer: names}) of the first cu.fit call."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for statement in tree.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "cu.fit":
                args = dict(zip(("model", "data", "optimizer"), node.args))
                args.update({k.arg: k.value for k in node.keywords if k.arg in
                             ("model", "data", "optimizer")})
                if all(isinstance(args.get(k), ast.Name) for k in ("model", "data", "optimizer")):
                    return statement.lineno, {k: v.id for k, v in args.items()
                                              if k in ("model", "data", "optimizer")}
    return None


def _add_weight_path(cells: list, path: Path) -> tuple[int, dict[str, str]]:
    for i, cell in enumerate(cells):
        found = cell.cell_type == "code" and "cu.fit(" in cell.source and \
            _fit_call(WEIGHT_PATH_LINE.sub("", cell.source))
        if not found:
            continue
        source = WEIGHT_PATH_LINE.sub("", cell.source)
        line, names = found
        lines = source.split("\n")
        indent = re.match(r"\s*", lines[line - 1]).group(0)
        lines.insert(line - 1, f"{indent}weight_path = cu.WeightPath({names['model']}, "
                               f"{names['optimizer']})  # keeps the weights every 10 steps (loss surface)")
        if cell.source != "\n".join(lines):
            cell.source = "\n".join(lines)
        return i, names
    raise AnchorNotFound(f"{path.name}: no code cell calls cu.fit(model, data, optimizer, ...) "
                         "with plain names, so there is no training run to follow. Fix: adapt "
                         "_add_weight_path in tools/add_views.py.")


def add_views(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """nb with this tool's cells (re)placed; untouched if it is not notebook 03 or 05."""
    number = path.name[:2]
    if number not in ("03", "05"):
        return nb
    old = {c.get("id"): c for c in nb.cells if TAG in c.metadata.get("tags", [])}
    cells = [c for c in nb.cells if TAG not in c.metadata.get("tags", [])]
    if number == "03":
        place, new = _backprop_place(cells, path), _cells("03", BACKPROP)
    else:
        fit_cell, names = _add_weight_path(cells, path)
        place = _section_end(cells, fit_cell)
        specs = [(kind, text.format(**names) if kind == "code" else text)
                 for kind, text in SURFACE]
        new = _cells("05", specs)
    new = [old[c.id] if c.id in old and old[c.id].source == c.source else c for c in new]
    nb.cells = cells[:place] + new + cells[place:]
    return nb


def main(folder: str = "notebooks") -> int:
    for path in sorted(Path(folder).glob("0[35]_*.ipynb")):
        before = path.read_text()
        nb = add_views(nbformat.read(path, as_version=4), path)
        after = nbformat.writes(nb) + "\n"
        if after.strip() != before.strip():
            nbformat.write(nb, path)
            print(f"{path}: views added or updated; run `make notebooks` to fill their outputs")
        else:
            print(f"{path}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
