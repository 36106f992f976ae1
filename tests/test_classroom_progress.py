"""The progress service (classroom/progress.py) and the checks' sender (classroom/course_progress.py)
without a hub: a stub of the hub's API (token -> user) on 127.0.0.1, the service in a thread.
The class test (test_classroom_hub.py) runs the same through a real hub, kernels and Chromium."""
from __future__ import annotations

import sqlite3
import sys
import time
import uuid

import pytest
import requests

from benchmarks.progress import PREFIX, fake_hub, free_port, serving, user
from classroom import course_progress, progress

EXERCISES = progress.course_exercises()
USERS = {"t-ann": user("ann"), "t-bob": user("bob"), "t-teacher": user("teacher", teacher=True),
         "t-outsider": {"kind": "user", "name": "eve", "groups": [], "scopes": []}}


@pytest.fixture(scope="module")
def hub():
    with fake_hub(USERS) as url:
        yield f"{url}/hub/api"


def start(hub_api: str, db, port: int):
    auth = progress.HubOAuth(api_url=hub_api, api_token="service-token", cache_max_age=300,
                             access_scopes={"access:services!service=course-progress"})
    return serving(lambda: progress.make_app(db, PREFIX, auth), port)


@pytest.fixture
def service(hub, tmp_path):
    db = tmp_path / "progress.sqlite"
    with start(hub, db, free_port()) as url:
        yield url + PREFIX, db


def record(exercise="02-3", correct=False, hint=1, at=None) -> dict:
    return {"id": uuid.uuid4().hex, "exercise": exercise, "correct": correct, "hint": hint,
            "at": at or time.time()}


def post(url, token, body) -> requests.Response:
    kwargs = {"data": body} if isinstance(body, (bytes, str)) else {"json": body}
    return requests.post(url + "api/verdicts", headers={"Authorization": f"token {token}"},
                         timeout=10, **kwargs)


def rows(db) -> list[tuple]:
    return sqlite3.connect(db).execute("SELECT * FROM verdicts ORDER BY at").fetchall()


def test_the_exercises_come_from_the_course_in_order():
    assert len(EXERCISES) == 21
    assert list(EXERCISES)[:6] == ["01-1", "01-2", "01-3", "01-4", "01-5", "02-1"]
    assert EXERCISES["05-4"] == "05_training_on_mnist"


def test_a_verdict_is_stored_once_under_the_tokens_owner(service):
    url, db = service
    sent = record()
    assert post(url, "t-ann", sent).status_code == 201
    assert post(url, "t-ann", sent).status_code == 200  # a retry: stored once
    [(student, id_, notebook, exercise, correct, hint, at)] = rows(db)
    assert (student, id_, notebook, exercise, correct, hint) == (
        "ann", sent["id"], "02_loss_functions", "02-3", 0, 1)


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b'{"id": 1}', "x" * 5000,
    {**record(), "answer": "def f(x): return x"},  # never more than the verdict
    {**record(), "exercise": "09-9"}, {**record(), "exercise": None}, {**record(), "exercise": []},
    {**record(), "id": "../../etc"}, {**record(), "correct": "yes"}, {**record(), "hint": 3},
    {**record(), "hint": True}, {**record(), "at": 0}, {**record(), "at": "now"},
])
def test_bad_records_get_400_and_change_nothing(service, body):
    url, db = service
    reply = post(url, "t-ann", body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] and "Traceback" not in reply.text
    assert rows(db) == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "token nobody-knows-me"},
                                     {"Authorization": "token t-outsider"}])
def test_no_or_bad_token_gets_403_and_changes_nothing(service, headers):
    url, db = service
    reply = requests.post(url + "api/verdicts", json=record(), headers=headers, timeout=10)
    assert reply.status_code == 403
    assert rows(db) == []


def test_the_teachers_page_shows_the_class_and_the_stuck_first(service):
    url, _ = service
    old = time.time() - 15 * 60
    for at in (old, old + 60, old + 120):  # bob: 3 "Not yet" over 15 minutes on 03-2: stuck
        post(url, "t-bob", record("03-2", at=at))
    post(url, "t-ann", record("01-1", correct=False))
    post(url, "t-ann", record("01-1", correct=True, hint=2))
    post(url, "t-ann", record("02-1", correct=False))
    teacher = {"Authorization": "token t-teacher"}
    data = requests.get(url + "api/progress", headers=teacher, timeout=10).json()
    assert [s["name"] for s in data["students"]] == ["bob", "ann"]  # stuck first
    assert data["students"][0]["stuck"] == ["03-2"] and data["students"][1]["stuck"] == []
    assert data["students"][1]["cells"]["01-1"]["state"] == "solved"
    assert data["students"][1]["cells"]["02-1"] == {"state": "not yet", "tries": 1,
                                                     "since": pytest.approx(time.time(), abs=60)}
    assert data["solved"]["01-1"] == 1 and data["exercises"] == list(EXERCISES)
    page = requests.get(url, headers=teacher, timeout=10)
    assert page.status_code == 200 and "Stuck: 3 or more" in page.text
    assert 'data-student="bob"' in page.text and "http" not in page.text.split("<body>")[1]
    csv = requests.get(url + "progress.csv", headers=teacher, timeout=10).text.splitlines()
    assert csv[0].startswith("student,stuck,01-1,01-2") and csv[1].startswith("bob,03-2,")
    assert csv[2].startswith("ann,,solved,")


def test_a_student_gets_403_from_the_teachers_page(service):
    url, _ = service
    for path in ("", "api/progress", "progress.csv"):
        reply = requests.get(url + path, headers={"Authorization": "token t-ann"}, timeout=10)
        assert reply.status_code == 403 and "teachers only" in reply.json()["error"]


def test_the_check_prints_at_once_and_the_verdict_arrives_once_the_service_is_back(
        hub, tmp_path, monkeypatch, capsys):
    """The sender: the service is down when the checks run; their records wait and go later."""
    port = free_port()
    monkeypatch.setenv("COURSE_PROGRESS_URL", f"http://127.0.0.1:{port}{PREFIX}")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t-ann")
    monkeypatch.setattr(course_progress, "RETRY_S", (0.2,))
    monkeypatch.setitem(sys.modules, "course_progress", course_progress)  # as on the hub
    from course_utils.exercises import checker, say

    def check_double(x):
        """Example (notebook 02, exercise 1): check_double(x)"""
        return say(x == 2, "2 it is." if x == 2 else "not 2.")

    check = checker(check_double)
    started = time.perf_counter()
    assert not check(1) and check(2, hint=2)
    assert time.perf_counter() - started < 0.5  # the check never waits for the service
    assert capsys.readouterr().out.splitlines() == [
        "Not yet: not 2.", course_progress.NOTICE, "Correct! 2 it is."]  # the notice once
    db = tmp_path / "progress.sqlite"
    time.sleep(0.5)  # a few failed tries
    with start(hub, db, port):
        deadline = time.monotonic() + 10
        while len(rows(db)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [(r[0], r[3], r[4], r[5]) for r in rows(db)] == [("ann", "02-1", 0, 1), ("ann", "02-1", 1, 2)]


def test_off_the_hub_a_check_shares_nothing(monkeypatch):
    monkeypatch.delenv("COURSE_PROGRESS_URL", raising=False)
    from course_utils.exercises import checker

    def check_one():
        """Example (notebook 01, exercise 1): check_one()"""
        return True

    assert checker(check_one).__wrapped__ is check_one  # checker's own, not course_progress's


@pytest.mark.process
def test_the_checks_work_where_the_hubs_variable_is_set_but_the_sender_is_missing(tmp_path):
    """A student's own environment inherits COURSE_PROGRESS_URL without course_progress.py:
    the checks still load and print their verdict, and share nothing."""
    import os
    import subprocess

    from conftest import REPO
    program = ("import sys; sys.modules['course_progress'] = None  # absent, as in a bare venv\n"
               "from course_utils.exercises import check_hesitant_loss\n"
               "check_hesitant_loss(0.2)")
    run = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO),
                                                      "COURSE_PROGRESS_URL": "http://127.0.0.1:9/"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("Not yet: ") and "shared" not in run.stdout, run.stdout
