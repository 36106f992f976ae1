"""The shared pieces of every exercise check: say, checker, numbers, answer_tensor, compare_grads."""
import inspect
import math

import numpy as np
import pytest
import torch

from conftest import leaves_random_stream_alone
from course_utils import History, exercises
from course_utils.exercises import (NotYet, answer_tensor, checker, checks_function, compare_grads,
                                    numbers, say)


def test_say_prints_one_line_and_returns_the_verdict(capsys):
    assert say(True, "well done.").correct is True
    assert say(False, "look again.").correct is False
    assert capsys.readouterr().out == "Correct! well done.\nNot yet: look again.\n"


def test_say_tiers_a_wrong_answer(capsys):
    """hint=1 says what is off and how to ask for more; hint=2 adds the hint."""
    @checker
    def check_it(answer):
        return say(answer == 4, "2 + 2 is not that.", more="count on your fingers.")

    assert check_it(5).correct is False and check_it(5, hint=2).correct is False
    assert check_it(4, hint=2).correct is True
    first, second, right = capsys.readouterr().out.splitlines()
    assert first == "Not yet: 2 + 2 is not that. For a hint, run the check again with hint=2."
    assert second == "Not yet: 2 + 2 is not that. Hint: count on your fingers."
    assert right.startswith("Correct!")


@pytest.mark.parametrize("hint", [0, 3, "2", 2.0, None, True])
def test_a_bad_hint_level_is_explained(hint, capsys):
    @checker
    def check_answer(answer):
        return say(True, "right")

    assert check_answer(1, hint=hint).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: hint=") and "check_answer(..., hint=2)" in out, out


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


def test_checker_names_the_error_and_the_shapes_the_function_was_given(capsys):
    @checks_function
    def check_it(fn):
        return say(fn(torch.zeros(2, 3), torch.zeros(4)) is not None, "ran")

    assert check_it(lambda a, b: a @ b).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: your code raised RuntimeError: ") and "a (2, 3), b (4,)" in out, out
    assert check_it(lambda a, b: a @ b, hint=2).correct is False  # a shape error: a shape hint
    assert "Hint: print each tensor's .shape" in capsys.readouterr().out


@pytest.mark.parametrize("value, expected", [
    (np.float32(1.5), [1.5]), (np.int64(3), [3]), (2, [2]), (0.25, [0.25]),
    (torch.tensor([1.0, 2.0], requires_grad=True), [1.0, 2.0]), ([1, 2.5], [1, 2.5]),
    ((4, 4), [4, 4]), ({2.0, 0.0}, [0.0, 2.0]), (np.arange(3), [0, 1, 2]),
    ([torch.tensor(1.0), np.float64(2.0)], [1.0, 2.0]), (torch.Size([1, 16]), [1, 16]),
])
def test_numbers_accepts_any_container_of_numbers(value, expected):
    tensor = numbers(value)
    assert isinstance(tensor, torch.Tensor) and not tensor.requires_grad
    assert sorted(tensor.flatten().tolist()) == expected


@pytest.mark.parametrize("value", [None, ..., "1.5", True, np.bool_(False), [1, "a"],
                                   [[1], [1, 2]], {"a": 1}, lambda: 1, [None]])
def test_numbers_refuses_what_is_not_numbers(value):
    assert numbers(value) is None


@pytest.mark.parametrize("value, words", [
    (None, "is None"), ("1, 2", "str, expected numbers"), (torch.zeros(3), "shape (3,), expected (2, 2)"),
    (torch.tensor([[1.0, math.nan], [0.0, 1.0]]), "NaN"),
    (torch.tensor([[1.0, math.inf], [0.0, 1.0]]), "infinite"),
])
def test_answer_tensor_names_what_is_off(value, words):
    with pytest.raises(NotYet) as off:
        answer_tensor(value, shape=(2, 2), name="w")
    assert str(off.value).startswith("w ") and words in str(off.value), off.value


def test_answer_tensor_accepts_lists_and_numpy():
    assert torch.equal(answer_tensor([[1, 0], [0, 1]], shape=(2, 2)), torch.eye(2, dtype=torch.int64))
    assert answer_tensor(np.ones((2, 2), np.float32), shape=(2, 2)).dtype == torch.float32


def test_compare_grads_exact_close_and_wrong(capsys):
    reference = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64)
    results = [compare_grads("dL/dw", reference + delta, reference) for delta in (0, 1e-8, 0.5)]
    assert results[0] == "dL/dw: exact"
    assert results[1].startswith("dL/dw: close (max difference 1e-08")
    assert results[2] == "dL/dw: wrong (max difference 0.5)"
    assert capsys.readouterr().out == ""  # it returns its line; the caller prints it


@pytest.mark.parametrize("mine, words", [
    (None, "None"), ("0.5, 1.0", "str"), (torch.zeros(2, 1), "shape (2, 1)"),
    (torch.tensor([math.nan, 0.0]), "NaN"),
])
def test_compare_grads_explains_a_malformed_gradient(mine, words, capsys):
    out = str(compare_grads("dL/db", mine, torch.zeros(2)))
    assert out.startswith("dL/db: wrong (") and words in out and "\n" not in out, out


def test_compare_grads_with_a_missing_reference(capsys):
    """w.grad is None before backward(): said plainly, not a crash."""
    result = compare_grads("dL/dw", torch.zeros(2), None)
    assert result.startswith("dL/dw: wrong") and "reference" in result


def test_compare_grads_takes_a_list_or_numpy():
    reference = torch.tensor([0.5, -1.25])
    assert compare_grads("dL/dw", [0.5, -1.25], reference) == "dL/dw: exact"
    assert compare_grads("dL/dw", np.array([0.5, -1.25]), reference) == "dL/dw: exact"


def test_compare_grads_ignores_requires_grad_and_dtype(capsys):
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w ** 2).sum().backward()
    mine = (2 * w).detach().double()
    assert compare_grads("dL/dw", mine, w.grad) == "dL/dw: exact"


def test_every_lesson_check_is_exported():
    checks = [n for n in exercises.__all__ if n.startswith("check_")]
    assert len(checks) == len(set(checks)), "two lessons define a check of the same name"
    assert all(callable(getattr(exercises, n)) for n in checks)
    assert {"check_dropout_values", "check_fit_fixed", "check_epoch_choice", "check_confusion_counts"} <= set(checks)


# --- every check of the course, whatever its lesson ------------------------------------

ALL_CHECKS = [getattr(exercises, name) for name in exercises.__all__ if name.startswith("check_")]
VALUE_CHECKS = [c for c in ALL_CHECKS if getattr(c, "checks_value", False)]
FUNCTION_CHECKS = [c for c in ALL_CHECKS if c not in VALUE_CHECKS]
EVIDENCE = {"check_optimizer_choice": {"runs": {"adam": {0.01: History(val_loss=[0.3], val_acc=[0.9])}}},
            "check_epoch_choice": {"history": None}}


def test_both_kinds_of_check_exist():
    assert len(VALUE_CHECKS) >= 4 and len(FUNCTION_CHECKS) >= 10


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
def test_an_unsolved_stub_fails_loudly(check):
    def unsolved(*args, **kwargs):
        ...
        raise NotImplementedError("Exercise 1 (01_define_the_network): not done yet")

    with pytest.raises(NotImplementedError, match="Exercise 1"):
        check(unsolved)


@pytest.mark.parametrize("check", VALUE_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("answer", [None, ..., "__import__('os').remove('x')", torch.zeros(3, 3),
                                    [1, 2], float("nan"), lambda: 1])
def test_any_value_is_explained_in_one_line(check, answer, capsys):
    """A prediction or choice of any type: one line, no exception, no string evaluated."""
    n = inspect.unwrap(check).__code__.co_argcount  # the answers the check asks for
    assert check(*[answer] * n, **EVIDENCE.get(check.__name__, {})).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and len(out.strip().splitlines()) == 1, out
    if answer is None or answer is Ellipsis:
        assert "still None" in out


@pytest.mark.parametrize("check", FUNCTION_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("not_a_function", [None, 3.0, "my_function(x)", torch.zeros(3, 3)])
def test_something_else_than_a_function_is_explained(check, not_a_function, capsys):
    assert check(not_a_function).correct is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: expected your function") and f"{check.__name__}(" in out
    assert len(out.strip().splitlines()) == 1


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_a_wrong_answer_leaves_the_notebooks_random_stream_alone(check, capsys):
    assert leaves_random_stream_alone(lambda: check(lambda *args, **kwargs: None))


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__)
def test_every_check_takes_a_hint_level(check):
    hint = inspect.signature(check).parameters["hint"]  # shown by Shift-Tab
    assert hint.default == 1 and hint.kind is inspect.Parameter.KEYWORD_ONLY
