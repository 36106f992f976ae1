"""The shared pieces of every exercise check: say, checker, tensor_problem, compare_grads."""
import math

import pytest
import torch

from conftest import leaves_random_stream_alone
from course_utils import exercises
from course_utils.exercises import checker, compare_grads, say, tensor_problem


def test_say_prints_one_line_and_returns_the_verdict(capsys):
    assert say(True, "well done.").correct is True
    assert say(False, "look again.").correct is False
    assert capsys.readouterr().out == "Correct! well done.\nNot yet: look again.\n"


def test_checker_explains_a_crash_in_the_learners_code(capsys):
    @checker
    def check_it(fn):
        return say(fn() == 1, "one")

    assert check_it(lambda: 1).correct is True
    assert check_it(lambda: 1 / 0).correct is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Correct!")
    assert out[1].startswith("Not yet") and "ZeroDivisionError" in out[1]


def test_checker_lets_the_student_stub_fail_loudly():
    @checker
    def check_it(fn):
        return say(fn() == 1, "one")

    def stub():
        raise NotImplementedError("Exercise 3 (demo): the title")

    with pytest.raises(NotImplementedError, match="Exercise 3"):
        check_it(stub)


def test_checker_keeps_name_and_docstring():
    @checker
    def check_answer(answer):
        """Docstring."""
        return True

    assert check_answer.__name__ == "check_answer" and check_answer.__doc__ == "Docstring."


@pytest.mark.parametrize("value, words", [
    (None, "return"), (..., "`...`"), ([1, 2], "list"), ("1, 2", "str"),
    (torch.zeros(3), "shape (3,), expected (2, 2)"),
    (torch.tensor([[1.0, math.nan], [0.0, 1.0]]), "NaN"),
    (torch.tensor([[1.0, math.inf], [0.0, 1.0]]), "infinite"),
])
def test_tensor_problem_names_what_is_off(value, words):
    problem = tensor_problem(value, shape=(2, 2), name="w")
    assert problem is not None and problem.startswith("w ") and words in problem, problem


def test_tensor_problem_accepts_a_good_tensor():
    assert tensor_problem(torch.ones(2, 2), shape=(2, 2)) is None
    assert tensor_problem(torch.arange(4)) is None  # integer tensors: no NaN check needed


def test_compare_grads_exact_close_and_wrong(capsys):
    reference = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64)
    results = [compare_grads("dL/dw", reference + delta, reference) for delta in (0, 1e-8, 0.5)]
    assert [r.verdict for r in results] == ["exact", "close", "wrong"]
    assert str(results[0]) == "dL/dw: exact"
    assert str(results[1]).startswith("dL/dw: close (max difference 1e-08")
    assert repr(results[2]) == "dL/dw: wrong (max difference 0.5)"
    assert capsys.readouterr().out == ""  # it returns its line; the caller prints it


@pytest.mark.parametrize("mine, words", [
    (None, "None"), ([0.5, 1.0], "list"), (torch.zeros(2, 1), "shape (2, 1)"),
    (torch.tensor([math.nan, 0.0]), "NaN"),
])
def test_compare_grads_explains_a_malformed_gradient(mine, words, capsys):
    out = str(compare_grads("dL/db", mine, torch.zeros(2)))
    assert out.startswith("dL/db: wrong (") and words in out and "\n" not in out, out


def test_compare_grads_with_a_missing_reference(capsys):
    """w.grad is None before backward(): said plainly, not a crash."""
    result = compare_grads("dL/dw", torch.zeros(2), None)
    assert result.verdict == "wrong" and "reference" in str(result)


def test_compare_grads_ignores_requires_grad_and_dtype(capsys):
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w ** 2).sum().backward()
    mine = (2 * w).detach().double()
    assert compare_grads("dL/dw", mine, w.grad).verdict == "exact"


def test_every_lesson_check_is_exported():
    checks = [n for n in exercises.__all__ if n.startswith("check_")]
    assert len(checks) == len(set(checks)), "two lessons define a check of the same name"
    assert all(callable(getattr(exercises, n)) for n in checks)
    assert {"check_train_one_step", "check_batch_accuracy", "check_confusion_counts",
            "check_save_and_reload"} <= set(checks)


# --- every check of the course, whatever its lesson ------------------------------------

ALL_CHECKS = [getattr(exercises, name) for name in exercises.__all__ if name.startswith("check_")]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_an_unsolved_stub_fails_loudly(check):
    def unsolved(*args, **kwargs):
        ...
        raise NotImplementedError("Exercise 1 (01_define_the_network): not done yet")

    with pytest.raises(NotImplementedError, match="Exercise 1"):
        check(unsolved)


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("not_a_function", [None, 3.0, "my_function(x)", torch.zeros(3, 3)])
def test_something_else_than_a_function_is_explained(check, not_a_function, capsys):
    assert check(not_a_function).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: expected your function") and f"{check.__name__}(" in out
    assert len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_wrong_answer_leaves_the_notebooks_random_stream_alone(check, capsys):
    assert leaves_random_stream_alone(lambda: check(lambda *args, **kwargs: None))
