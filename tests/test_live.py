import matplotlib.pyplot as plt
import pytest
import torch

import course_utils as cu
from course_utils.machinery import live


class FakeDisplay:
    """Stands in for IPython.display.display: one handle, counting its updates."""

    def __init__(self, clock=None, cost=0.0):
        self.calls, self.updates, self.clock, self.cost = [], [], clock, cost

    def __call__(self, data, raw=False, display_id=None):
        self.calls.append((data, raw, display_id))
        self._spend()
        return self

    def update(self, data, raw=False):
        self.updates.append((data, raw))
        self._spend()

    def _spend(self):
        if self.clock is not None:
            self.clock.now += self.cost


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(live, "_clock", c)
    return c


def train(plot, clock, steps=1000, seconds_per_step=0.01, epochs=2):
    for step in range(1, steps + 1):
        clock.now += seconds_per_step
        plot.update(train_loss=1.0 / step)
        if step % (steps // epochs) == 0:
            plot.update(val_loss=1.0 / step, val_acc=0.5)
    plot.close()


def test_one_display_then_in_place_updates_at_most_five_a_second(clock):
    screen = FakeDisplay()
    plot = cu.LivePlot(display=screen)
    train(plot, clock, steps=300, seconds_per_step=0.005)   # 1.5 s of training, 200 steps/s
    assert len(screen.calls) == 2                       # the live output, then the final figure
    data, raw, display_id = screen.calls[0]
    assert display_id is True and raw is True
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert 4 <= len(screen.updates) <= 5 * 1.5 + 1      # updated in place through the handle
    assert plot.redraws == 1 + len(screen.updates)
    # the live output's text never changes (nbval compares it, whatever the timing) ...
    assert {d["text/plain"] for d, *_ in screen.calls[:1] + screen.updates} == {live.LIVE_TEXT}
    assert screen.updates[-1][0] == {"text/plain": live.LIVE_TEXT}   # ... and ends as one line
    final, raw, display_id = screen.calls[1]            # the final figure carries its alt text
    assert display_id is None and final["text/plain"] == plot.figure.alt
    assert "train loss 0.00344 (smoothed) after 300 steps" in plot.figure.alt
    assert "val accuracy 50.0% after 2 epochs" in plot.figure.alt
    assert plt.get_fignums() == []


def test_slow_redraws_take_at_most_their_budget_of_the_time(clock):
    screen = FakeDisplay(clock, cost=0.05)              # each redraw takes 50 ms
    plot = cu.LivePlot(display=screen)
    train(plot, clock)
    drawing = plot.redraws * 0.05
    assert drawing / clock.now <= live.BUDGET + 2 * 0.05 / 10   # plus the first and the final
    assert plot.redraws >= 3


def test_validation_points_sit_at_the_step_where_they_were_measured(clock):
    plot = cu.LivePlot(display=FakeDisplay())
    for step in range(1, 8):
        plot.update(train_loss=1.0 / step)
        if step % 3 == 0:                               # an epoch of 3 steps, in the middle of 3
            plot.update(val_loss=0.5 / step, val_acc=0.5)
    plot.close()
    loss_ax, acc_ax = plot.figure.axes
    assert list(loss_ax.lines[2].get_xdata()) == [3, 6]
    assert list(acc_ax.lines[0].get_xdata()) == [3, 6]


def test_a_run_too_quick_to_redraw_still_stores_the_same_two_outputs(clock):
    screen = FakeDisplay()
    plot = cu.LivePlot(display=screen)
    plot.update(train_loss=2.0)
    plot.close()
    assert [d["text/plain"] for d, *_ in screen.calls] == [live.LIVE_TEXT, plot.figure.alt]


def test_outside_a_notebook_it_records_and_draws_nothing(capsys):
    plot = cu.LivePlot()                                # outside a notebook: no display
    for loss in (3.0, torch.tensor(1.0)):
        plot.update(train_loss=loss)
    plot.update(val_loss=0.5, val_acc=0.875)
    plot.close()
    assert (plot.train_loss, plot.val_loss, plot.val_acc) == ([3.0, 1.0], [0.5], [0.875])
    assert plot.redraws == 0 and plot.figure is None and capsys.readouterr().out == ""


def test_fit_live_true_outside_a_notebook_prints_nothing_extra(sample, capsys):
    torch.manual_seed(0)
    net = cu.LeNet()
    small = sample.subset(train=128, val=64)
    history = cu.fit(net, small, torch.optim.SGD(net.parameters(), lr=0.01), epochs=2,
                     live=True, progress=False)
    assert len(history.val_acc) == 2 and capsys.readouterr().out == ""


def test_bad_input_names_the_fix():
    with pytest.raises(ValueError, match="got train_loss=None, val_loss=None, val_acc=None. Fix"):
        cu.LivePlot().update()
    with pytest.raises(ValueError, match="val_loss=0.5, val_acc=None. Fix"):
        cu.LivePlot().update(val_loss=0.5)
