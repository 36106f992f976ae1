"""Smoke tests: the benchmarks (make bench) still run, on a tiny budget, and compare like with like."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch

import course_utils as cu
from benchmarks import common, notebooks, overhead, pipeline

TINY = common.Budget(epochs=1, repeats=1, n_train=64)


def test_textbook_files_hold_the_same_digits_as_load_mnist(tmp_path):
    from torchvision import datasets, transforms

    common.write_torchvision_mnist(tmp_path, 100)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Pad(2),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(tmp_path), train=True, transform=transform)
    val = datasets.MNIST(str(tmp_path), train=False, transform=transform)  # what both measure
    data = common.course_data(common.Budget(n_train=100))
    assert len(train) == len(data.train) == 100 and len(val) == len(data.val) == 500
    assert sorted(set(data.train.labels.tolist())) == list(range(10))
    for split, textbook in ((data.train, train), (data.val, val)):
        for i in (0, 57, 99):
            image, label = textbook[i]
            torch.testing.assert_close(image, split.images[i])
            assert label == split.labels[i].item()


def test_interleave_alternates_candidates():
    calls = []
    common.interleave({"a": lambda r: calls.append(("a", r)) or {},
                       "b": lambda r: calls.append(("b", r)) or {}}, 2)
    assert calls == [("a", 0), ("b", 0), ("a", 1), ("b", 1)]


def test_pipeline_compares_the_same_training(capsys):
    goals = pipeline.main(TINY)
    out = capsys.readouterr().out
    assert "ratio course/textbook" in out and "samples/s" in out
    # same seeds, same batches, same digits: the two pipelines learn the same thing
    assert [g.name for g in goals] == ["1. pipeline speed, course/textbook",
                                       "1. validation accuracy difference"]
    assert goals[1].measured == "0.0 points" and goals[1].passed


def test_overhead_runs_fit_with_liveplot_rendering(capsys):
    goals = overhead.main(TINY)
    out = capsys.readouterr().out
    assert "time beyond the bare loop" in out and out.count(" samples/s ") == 5  # 5 candidates
    assert [g.name for g in goals] == ["2. fit overhead, no monitors",
                                       "2. fit overhead, LivePlot + GradientMonitor(every=10)"]
    for goal, limit in zip(goals, (overhead.PLAIN_GOAL, overhead.MONITORED_GOAL)):
        # the verdict follows the measured percentage, whatever this busy machine measured
        assert goal.passed == (float(goal.measured.rstrip("%")) <= limit)
        assert goal.line().split()[0] == ("PASS" if goal.passed else "MISS")


def _notebook(path: Path, stored: str) -> Path:
    cell = nbformat.v4.new_code_cell("print(6 * 7)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


@pytest.mark.kernel
def test_notebook_timer_runs_nbval_per_notebook(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "42\n")
    bad = _notebook(tmp_path / "bad.ipynb", "41\n")
    wall, per_notebook = notebooks.run_notebooks([good, bad])
    assert per_notebook["good.ipynb"][1] == 0 and per_notebook["bad.ipynb"][1] == 1
    assert 0 < sum(seconds for seconds, _ in per_notebook.values()) < wall


@pytest.mark.kernel
def test_full_mnist_timer_runs_with_the_cache_and_counts_errors(tmp_path):
    reads, fails = tmp_path / "reads.ipynb", tmp_path / "fails.ipynb"
    for path, code in ((reads, "import course_utils as cu\n"
                               "assert len(cu.load_mnist(verbose=False).train) == 525  # 600 minus one in 8 kept for validation"),
                       (fails, "1 / 0")):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
    timed = notebooks.run_on_full_mnist([reads, fails], sizes=(600, 100))
    assert timed["reads.ipynb"][1] == 0 and timed["fails.ipynb"][1] == 1
    assert all(seconds > 0 for seconds, _ in timed.values())


def test_explorer_timers_measure_what_they_say(sample):
    """benchmarks/explorers.py, the kernel side, on small explorers (make bench times the
    notebooks' ones and JupyterLab too)."""
    import time as clock

    from benchmarks import explorers
    from course_utils import widgets

    playground = widgets.optimizer_playground("ravine", optimizer_names=["sgd"], steps=10)
    playground.threaded = True
    rate = playground.controls["learning rate"]
    times = explorers.redraw_times(playground, rate, [0.1, 0.2, 0.3])
    assert len(times) == 3 and all(t > 0 for t in times)
    assert playground.trajectories["SGD"].hparams["lr"] == 0.3 and playground.draws == 4
    real_draw = playground._draw
    playground._draw = lambda e: (clock.sleep(0.02), real_draw(e))[1]   # slower than the drag
    draws, settle, latest = explorers.fast_drag(playground, rate, [0.01 * k for k in range(1, 21)])
    assert draws < 20 and latest and settle > 0
    assert playground.trajectories["SGD"].hparams["lr"] == 0.2
    lr = widgets.learning_rate_explorer(cu.LeNet, sample, steps=4)
    lr.threaded = True
    first, whole = explorers.train_times(lr)
    assert 0 < first <= whole and list(lr.runs) == ["lr=0.05"]
