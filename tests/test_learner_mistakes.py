"""The learner-mistake catalogue: each mistake made through the public API must raise
an error of the right type whose message names the fix (or, for exercise checks,
explain without raising). Never a raw traceback from deep inside course_utils."""
import inspect
import math
import socket

import pytest
import torch
import torch.nn.functional as F

import course_utils as cu
from course_utils import data as data_mod
from course_utils import exercises


def raises_naming_fix(error_type, call, *fixes):
    with pytest.raises(error_type) as err:
        call()
    message = str(err.value)
    for fix in fixes:
        assert fix in message, f"{fix!r} not in {message!r}"
    assert "Fix" in message or "call loss.backward() first" in message
    # raised by course_utils' own checks, not by a torch internal further down
    assert "course_utils" in err.traceback[-1].path.as_posix()
    return message


@pytest.fixture
def model():
    cu.setup(seed=0)
    return cu.LeNet()


@pytest.fixture
def batch(sample):
    return next(sample.train.batches(16))


# Images of the wrong shape or dtype: tests/test_models.py (one case per mistake).


# --- labels -------------------------------------------------------------------------------

def sgd(model):
    return torch.optim.SGD(model.parameters(), lr=0.01)


def test_one_hot_labels(model, batch):
    x, y = batch
    one_hot = F.one_hot(y, 10).float()
    raises_naming_fix(ValueError, lambda: cu.train_step(model, x, one_hot, sgd(model)),
                      "one-hot", "argmax(dim=1)")


def test_float_labels(model, batch):
    x, y = batch
    raises_naming_fix(ValueError, lambda: cu.train_step(model, x, y.float(), sgd(model)),
                      "torch.float32", ".long()")


def test_predictions_and_targets_of_different_batch_sizes(model, batch):
    x, y = batch
    raises_naming_fix(ValueError, lambda: cu.train_step(model, x, y[:10], sgd(model)),
                      "16 predictions", "same batch")


def test_labels_of_another_length_in_evaluate(model, sample):
    broken = cu.Split(sample.test.images[:20], sample.test.labels[:20].float())
    raises_naming_fix(ValueError, lambda: cu.evaluate(model, broken), ".long()")


# --- optimizers and training -------------------------------------------------------------

def test_optimizer_over_no_parameters():
    raises_naming_fix(ValueError, lambda: cu.make_optimizer("sgd", []), "model.parameters()")


def test_optimizer_built_for_another_model(model, sample):
    other = torch.optim.SGD(cu.LeNet().parameters(), lr=0.01)
    raises_naming_fix(ValueError, lambda: cu.fit(model, sample, other, progress=False),
                      "none of this model's parameters", "model.parameters()")


@pytest.mark.parametrize("lr", [0, -0.1, math.nan, math.inf, "0.01", None])
def test_learning_rate_not_a_positive_finite_number(model, lr):
    raises_naming_fix(ValueError, lambda: cu.make_optimizer("adam", model.parameters(), lr=lr),
                      repr(lr), "lr=")


def test_nan_learning_rate_smuggled_into_torch_optimizer(model, sample):
    optimizer = torch.optim.SGD(model.parameters(), lr=math.nan)  # torch accepts NaN
    raises_naming_fix(ValueError, lambda: cu.fit(model, sample, optimizer, progress=False), "nan")


def test_unknown_optimizer_name(model):
    raises_naming_fix(ValueError, lambda: cu.make_optimizer("adamw", model.parameters()), "'adam'")


def test_loss_becomes_nan_during_fit(model, sample):
    optimizer = torch.optim.SGD(model.parameters(), lr=1e4)
    message = raises_naming_fix(cu.TrainingDiverged,
                                lambda: cu.fit(model, sample, optimizer, progress=False),
                                "learning rate 10000", "lr=1000")
    assert "nan" in message or "inf" in message


def test_bad_epochs(model, sample):
    raises_naming_fix(ValueError, lambda: cu.fit(model, sample, sgd(model), epochs=0), "epochs=3")


# --- plots ----------------------------------------------------------------------------------

def test_plotting_the_model_instead_of_its_gradient_monitor(model):
    raises_naming_fix(ValueError, lambda: cu.plot_gradient_flow(model), "GradientMonitor",
                      "loss.backward()")


def test_gradient_monitor_before_any_backward(model):
    raises_naming_fix(ValueError, lambda: cu.GradientMonitor().record(model), "backward()")


# --- data ----------------------------------------------------------------------------------

def test_data_directory_not_writable(tmp_path, mnist_server):
    blocker = tmp_path / "read-only"
    blocker.write_text("a file where a folder should be")
    message = raises_naming_fix(data_mod.MNISTCacheError,
                                lambda: cu.load_mnist(blocker / "data", source="torchvision"),
                                "COURSE_DATA", "root=")
    assert str(blocker / "data") in message


def test_no_network_asked_for_the_download(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST
    monkeypatch.delenv("COURSE_OFFLINE")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    monkeypatch.setattr(MNIST, "mirrors", [dead])
    raises_naming_fix(ConnectionError, lambda: cu.load_mnist(tmp_path, source="torchvision"),
                      "source='sample'")


# --- exercise checks: wrong type, wrong shape, NaN, None -> explained, never raised --------

CHECKS = sorted(name for name in exercises.__all__ if name.startswith("check_"))
BAD_ANSWERS = {"None": None, "a string": "print('hi')", "NaN": torch.tensor(math.nan),
               "wrong shape": torch.zeros(7, 3), "a list": [1, 2, 3]}


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("label", list(BAD_ANSWERS))
def test_check_functions_explain_bad_answers(check, label, capsys):
    function = getattr(exercises, check)
    n_args = len([p for p in inspect.signature(function).parameters.values()
                  if p.default is inspect.Parameter.empty and p.kind in (
                      p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
    result = function(*[BAD_ANSWERS[label]] * max(n_args, 1))
    out = capsys.readouterr().out.strip()
    assert result.correct is False
    assert out.startswith("Not yet") and len(out.splitlines()) == 1, out


def test_every_notebook_has_checks_in_the_catalogue():
    """Guard for the parametrisation above: it must cover the checks of the course."""
    assert len(CHECKS) >= 3 * 5, CHECKS
