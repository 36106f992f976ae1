"""course_utils.training: train_step, evaluate, fit -> History, make_optimizer.

Bad input (one-hot targets, NaN learning rates, a foreign optimizer) is covered by
tests/test_learner_mistakes.py; here: that the pieces do what the notebooks say.
"""
import copy
import math

import pytest
import torch
from torch import nn

import course_utils as cu
from course_utils._checks import OPTIMIZER_NAMES
from course_utils.training import make_optimizer


@pytest.fixture
def small(sample):
    """512 training, 200 validation and 200 test digits spread over all ten classes: an
    epoch in well under 1 s.

    (The sample is sorted by digit: its first 512 are all 0s and 1s, where a model that
    always answers "0" would look good.)
    """
    small = sample.subset(train=512, val=200, test=200)
    assert (set(small.train.labels.tolist()) == set(small.val.labels.tolist())
            == set(small.test.labels.tolist()) == set(range(10)))
    return small


def constant_model_accuracy(split) -> float:
    """The accuracy of a model that always answers the split's most common digit."""
    return (split.labels.bincount().max() / len(split)).item()


@pytest.fixture
def model():
    cu.setup(seed=0)
    return cu.LeNet()


class Recorder:
    """Stands in for LivePlot and GradientMonitor: remembers how fit called it."""

    def __init__(self):
        self.updates, self.records, self.closed = [], 0, False

    def update(self, **values):
        self.updates.append(values)

    def close(self):
        self.closed = True

    def record(self, model):
        assert all(p.grad is not None for p in model.parameters())  # after backward
        self.records += 1


def test_train_step_is_one_sgd_step(model, small):
    x, y = next(small.train.batches(16))
    reference = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for p in model.parameters():  # stale gradients must be cleared, not added
        p.grad = torch.ones_like(p)
    loss = cu.train_step(model, x, y, optimizer)
    expected = nn.functional.cross_entropy(reference(x), y)
    expected.backward()
    assert isinstance(loss, float) and loss == pytest.approx(expected.item(), abs=1e-6)
    for mine, theirs in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(mine, theirs - 0.1 * theirs.grad)


def test_train_step_stops_on_nan_naming_the_learning_rate(model, small):
    x, y = next(small.train.batches(16))
    optimizer = torch.optim.SGD(model.parameters(), lr=3.0)
    with torch.no_grad():
        model.fc3.bias.fill_(math.inf)
    with pytest.raises(cu.TrainingDiverged, match=r"learning rate 3\b.*lr=0.3"):
        cu.train_step(model, x, y, optimizer)


def test_evaluate_matches_a_direct_count_and_restores_train_mode(model, small):
    model.train()
    loss, accuracy = cu.evaluate(model, small.test, batch_size=64)
    model.eval()
    with torch.no_grad():
        scores = model(small.test.images)
    assert accuracy == pytest.approx((scores.argmax(1) == small.test.labels).float().mean().item())
    assert loss == pytest.approx(nn.functional.cross_entropy(scores, small.test.labels).item(),
                                 rel=1e-5)
    model.train()
    cu.evaluate(model, small.test)
    assert model.training
    assert all(p.grad is None for p in model.parameters()), "evaluate must not build gradients"


def test_evaluate_uses_eval_mode():
    """A dropout network scores the same twice only in eval mode."""
    cu.setup(seed=0)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(32 * 32, 10))
    split = cu.Split(torch.randn(50, 1, 32, 32), torch.randint(0, 10, (50,)))
    assert cu.evaluate(net, split) == cu.evaluate(net, split)


def test_fit_learns_and_records_everything(model, small):
    recorder = Recorder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = cu.fit(model, small, optimizer, epochs=2, batch_size=64, live=recorder,
                     monitor=recorder, progress=False)
    steps = math.ceil(512 / 64)
    assert history.steps_per_epoch == steps and len(history.train_loss) == 2 * steps
    assert len(history.val_loss) == len(history.val_acc) == 2
    assert history.samples == 2 * 512 and history.seconds > 0
    assert history.samples_per_second == pytest.approx(history.samples / history.seconds)
    assert sum(history.train_loss[-steps:]) < sum(history.train_loss[:steps])
    # well above what answering one digit every time scores (about 0.1 here)
    assert history.val_acc[-1] > 0.3 > 2 * constant_model_accuracy(small.val)
    assert recorder.records == 2 * steps and recorder.closed
    assert [u for u in recorder.updates if "val_acc" in u] == [
        {"val_loss": history.val_loss[i], "val_acc": history.val_acc[i]} for i in range(2)]
    # the numbers are the validation split's: the test split is kept for the end
    assert cu.evaluate(model, small.val) == (history.val_loss[-1], history.val_acc[-1])
    assert cu.evaluate(model, small.test) != (history.val_loss[-1], history.val_acc[-1])
    assert repr(history) == (f"History(epochs=2, steps={2 * steps}, "
                             f"val_loss={history.val_loss[-1]:.4f}, "
                             f"val_acc={history.val_acc[-1]:.4f})")


def test_fit_is_reproducible(small):
    runs = []
    for _ in range(2):
        cu.setup(seed=0)
        net = cu.LeNet()
        runs.append(cu.fit(net, small, torch.optim.SGD(net.parameters(), lr=0.05),
                           progress=False).train_loss)
    assert runs[0] == runs[1]


def test_fit_sees_the_batches_of_a_seeded_dataloader(small):
    """fit's batch order is that of DataLoader(shuffle=True) with a generator seeded once:
    a loop written with that DataLoader (notebook 05) gives the same losses, to the bit."""
    from torch.utils.data import DataLoader, TensorDataset

    cu.setup(seed=0)
    net = cu.LeNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    history = cu.fit(net, small, optimizer, epochs=2, batch_size=100, seed=3, progress=False)
    cu.setup(seed=0)
    net = cu.LeNet()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(small.train.images, small.train.labels), batch_size=100,
                        shuffle=True, generator=torch.Generator().manual_seed(3))
    losses = []
    for _ in range(2):
        for x, y in loader:
            losses.append(cu.train_step(net, x, y, optimizer))
    assert losses == history.train_loss and len(losses) == 2 * 6
    assert losses[:6] != losses[6:]


def test_fit_needs_a_validation_split(model, small):
    with pytest.raises(ValueError, match=r"\.val.*Fix: data = load_mnist\(\)"):
        cu.fit(model, small.train, torch.optim.SGD(model.parameters(), lr=0.01), progress=False)


@pytest.mark.parametrize("live", [False, None])
def test_fit_without_a_live_plot(model, small, live, capsys):
    history = cu.fit(model, small, torch.optim.SGD(model.parameters(), lr=0.01), live=live,
                     progress=False)
    assert len(history.val_acc) == 1
    assert capsys.readouterr().out == ""  # no live text line either


def test_fit_closes_the_live_plot_when_training_diverges(model, small):
    recorder = Recorder()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e6)
    with pytest.raises(cu.TrainingDiverged, match="lower the learning rate"):
        cu.fit(model, small, optimizer, epochs=1, live=recorder, progress=False)
    assert recorder.closed


def test_progress_bar_is_silenced_by_the_environment(model, small, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    cu.fit(model, small, torch.optim.SGD(model.parameters(), lr=0.01), progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_shows_when_asked(model, small, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    cu.fit(model, small, torch.optim.SGD(model.parameters(), lr=0.01), progress=True)
    assert "training" in capsys.readouterr().err


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_make_optimizer_by_course_name(name, model):
    optimizer = make_optimizer(name, model.parameters(), lr=0.02)
    expected = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD,
                "nesterov": torch.optim.SGD, "rmsprop": torch.optim.RMSprop,
                "adam": torch.optim.Adam}[name]
    assert type(optimizer) is expected and optimizer.param_groups[0]["lr"] == 0.02
    if name in ("momentum", "nesterov"):
        assert optimizer.param_groups[0]["momentum"] == 0.9
        assert optimizer.param_groups[0]["nesterov"] == (name == "nesterov")


def test_make_optimizer_explains_an_unknown_name(model):
    with pytest.raises(ValueError, match="must be one of .*Fix: make_optimizer\\('adam'"):
        make_optimizer("adagrad", model.parameters())


def test_fit_keeps_each_epochs_weights_when_asked(small, model):
    """Notebook 05 goes back to the epoch with the lowest validation loss before the test."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    history = cu.fit(model, small, optimizer, epochs=2, progress=False, checkpoints=True)
    assert len(history.checkpoints) == 2
    last, first = history.checkpoints[-1], history.checkpoints[0]
    assert all(torch.equal(last[k], v) for k, v in model.state_dict().items())
    assert not torch.equal(first["conv1.weight"], last["conv1.weight"])
    model.load_state_dict(first)  # back to epoch 1: its validation numbers again
    assert cu.evaluate(model, small.val) == (history.val_loss[0], history.val_acc[0])
    with torch.no_grad():
        model.conv1.weight.add_(1.0)  # copies: training on does not change them
    assert torch.equal(history.checkpoints[0]["conv1.weight"], first["conv1.weight"])
    assert not cu.fit(model, small, optimizer, epochs=1, progress=False).checkpoints
