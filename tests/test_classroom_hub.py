"""A class of three on the course's JupyterHub (classroom/jupyterhub_config.py), on 127.0.0.1.

Three system users log in with their passwords (PAM) and get servers running as themselves;
nbgitpuller brings the course from a local git repository and merges a later update into a
student's edited copy; student 1 runs notebook 01 through the hub (REST API and a kernel
over its websocket); student 2 can read none of student 1's files, through the hub or on
disk; a request without login is refused; the hub restarts and student 1's files, server and
kernel are all still there. The teacher sees the class live: the three students' checks,
right and not yet, reach the progress page (classroom/progress.py) in Chromium, a student gets
403 there, and the page shows the same after the restart. Needs root (CI is root): see
class_helpers.set_up_the_class.
"""
from __future__ import annotations

import asyncio
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil
import pytest
import requests
from nbformat.v4 import new_markdown_cell, output_from_msg

from browser_lab import find_chromium, launch_chromium
from class_helpers import STUDENTS, free_ports, run_as, set_up_the_class
from conftest import REPO

from benchmarks.common import write_torchvision_mnist

pytestmark = pytest.mark.kernel  # a hub, kernels or nbgrader: make test runs these, test-fast not

CONFIG = REPO / "classroom" / "jupyterhub_config.py"
NOTEBOOK_01 = "course/notebooks/01_define_the_network.ipynb"
MEM_LIMIT = 2 * 2**30
TEACHER = "course-teacher"
PROGRESS = "/services/course-progress/"


class Hub:
    """jupyterhub -f classroom/jupyterhub_config.py, as a class's server would run it."""

    def __init__(self, root: Path, env: dict[str, str], port: int):
        self.root, self.env, self.url = root, env, f"http://127.0.0.1:{port}"
        self.log_path, self.process = root / "hub.log", None

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], cwd=self.root, env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            # a test run in the background may inherit an ignored SIGINT; the hub stops its
            # services with SIGINT, so give it the default back
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub exited:\n{self.log()[-3000:]}"
            try:
                if requests.get(f"{self.url}/hub/api", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"the hub did not answer within 60 s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Student:
    """One student's browser and API token on the hub."""

    def __init__(self, hub: Hub, name: str, password: str):
        self.hub, self.name, self.password = hub, name, password
        self.session, self.token = requests.Session(), None

    def login(self, password: str | None = None) -> requests.Response:
        self.session.get(f"{self.hub.url}/hub/login")
        return self.session.post(
            f"{self.hub.url}/hub/login", allow_redirects=False,
            data={"username": self.name, "password": password or self.password,
                  "_xsrf": self.session.cookies.get("_xsrf")})

    def make_token(self) -> None:
        reply = self.session.post(f"{self.hub.url}/hub/api/users/{self.name}/tokens",
                                  json={"note": "class test"},
                                  headers={"X-XSRFToken": self.session.cookies.get("_xsrf")})
        assert reply.status_code == 201, reply.text
        self.token = reply.json()["token"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.hub.url}/hub/api/{path}", headers=self.auth,
                                timeout=30, **kwargs)

    def server_api(self, method: str, path: str, user: str | None = None,
                   **kwargs) -> requests.Response:
        """A request to a single-user server's REST API (by default, one's own)."""
        return requests.request(method, f"{self.hub.url}/user/{user or self.name}/api/{path}",
                                headers=self.auth, timeout=60, **kwargs)

    def server_model(self) -> dict:
        return self.hub_api("GET", f"users/{self.name}").json()["servers"].get("", {})

    def pull_course(self, repo: str) -> list[dict]:
        """nbgitpuller's sync endpoint, as the page its link opens calls it; the events."""
        params = {"repo": repo, "branch": "main", "targetpath": "course"}
        reply = requests.get(f"{self.hub.url}/user/{self.name}/git-pull/api", params=params,
                             headers=self.auth, stream=True, timeout=120)
        assert reply.status_code == 200, reply.text
        events = [json.loads(line[len("data:"):]) for line in reply.iter_lines(decode_unicode=True)
                  if line.startswith("data:")]
        return events

    def execute(self, kernel_id: str, codes: list[str], timeout: float = 180) -> list[tuple]:
        """Run each code over the kernel's websocket; [(execute_reply content, outputs)]."""
        url = (f"{self.hub.url.replace('http', 'ws', 1)}/user/{self.name}/api/kernels/"
               f"{kernel_id}/channels?session_id={uuid.uuid4().hex}")
        return asyncio.run(_execute(url, self.auth, codes, timeout))


async def _execute(url: str, headers: dict, codes: list[str], timeout: float) -> list[tuple]:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(HTTPRequest(url, headers=headers))
    session, results = uuid.uuid4().hex, []
    try:
        for code in codes:
            msg_id = uuid.uuid4().hex
            connection.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                           "username": "", "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False,
                            "stop_on_error": True}}))
            outputs, idle, reply = [], False, None
            while not (idle and reply):
                raw = await asyncio.wait_for(connection.read_message(), timeout)
                assert raw is not None, "the kernel's websocket closed"
                if isinstance(raw, bytes):  # messages with binary buffers (widgets)
                    continue
                msg = json.loads(raw)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if msg["channel"] == "shell" and kind == "execute_reply":
                    reply = msg["content"]
                elif kind == "status":
                    idle = msg["content"]["execution_state"] == "idle"
                elif kind in ("stream", "display_data", "execute_result", "error"):
                    outputs.append(output_from_msg(msg))
            results.append((reply, outputs))
    finally:
        connection.close()
    return results


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=Teacher", "-c", "user.email=teacher@example.org",
                    *args], cwd=cwd, check=True, capture_output=True)


def stop_leftovers() -> None:
    """Kill what the hub started as the students (their servers and kernels), by pid: the
    hub leaves them running when it stops, as it should in class. Then their cgroups go."""
    left = [p for p in psutil.process_iter(["username"]) if p.info["username"] in STUDENTS]
    for process in left:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(left, timeout=10)
    for name in STUDENTS:
        for group in Path("/sys/fs/cgroup").glob(f"**/course/hub-{name}"):
            group.rmdir()


@pytest.fixture(scope="module")
def public_tmp():
    """A temporary folder the students may enter (pytest's own is root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="course-class-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def course_repo(public_tmp) -> tuple[Path, Path]:
    """A bare git repository holding the course (what COURSE_REPO names), and a clone of it
    the teacher commits updates in."""
    root = public_tmp / "course-repo"
    root.mkdir()
    work, bare = root / "work", root / "course.git"
    work.mkdir()
    shutil.copytree(REPO / "notebooks", work / "notebooks")
    shutil.copytree(REPO / "learner", work / "learner")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "The course")
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    return bare, work


@pytest.fixture(scope="module")
def shared_data(public_tmp) -> Path:
    """The class's MNIST cache: root's, readable by all, writable by no student."""
    root = public_tmp / "shared-mnist"
    write_torchvision_mnist(root, n_train=400)
    subprocess.run(["chmod", "-R", "a+rX,go-w", str(root)], check=True)
    return root


@pytest.fixture(scope="module")
def hub(public_tmp, course_repo, shared_data):
    set_up_the_class()
    for name in STUDENTS:  # a first day of class: nothing pulled yet
        shutil.rmtree(Path(pwd.getpwnam(name).pw_dir) / "course", ignore_errors=True)
    root = public_tmp / "hub"
    root.mkdir()
    port = free_ports(4)
    env = {**os.environ, "COURSE_HUB_PORT": str(port), "COURSE_HUB_STATE": str(root / "state"),
           "COURSE_ADMINS": TEACHER,
           "COURSE_REPO": str(course_repo[0]), "COURSE_BRANCH": "main",
           "COURSE_DATA": str(shared_data), "COURSE_MEM_LIMIT": str(MEM_LIMIT)}
    for name in ("COURSE_OFFLINE", "COURSE_THREADS", "OMP_NUM_THREADS"):
        env.pop(name, None)  # the hub's config decides these for the students
    hub = Hub(root, env, port)
    hub.start()
    yield hub
    hub.stop()
    stop_leftovers()


@pytest.fixture(scope="module")
def students(hub):
    """Each student logs in with their password and starts a server."""
    students = [Student(hub, name, secrets.token_urlsafe(12)) for name in STUDENTS]
    subprocess.run(["chpasswd"], input="".join(f"{s.name}:{s.password}\n" for s in students),
                   text=True, check=True)
    for student in students:
        assert student.login().status_code == 302, (
            f"{student.name} could not log in:\n{hub.log()[-3000:]}")
        student.make_token()
        reply = student.hub_api("POST", f"users/{student.name}/server")
        assert reply.status_code in (201, 202), reply.text
    deadline = time.monotonic() + 90
    while not all(s.server_model().get("ready") for s in students):
        assert time.monotonic() < deadline, f"servers not ready in 90 s:\n{hub.log()[-3000:]}"
        time.sleep(0.5)
    yield {s.name: s for s in students}


def test_a_wrong_password_is_refused(hub, students):
    intruder = Student(hub, STUDENTS[0], "not-the-password")
    assert intruder.login().status_code == 403
    assert "jupyterhub-hub-login" not in intruder.session.cookies


def test_a_request_without_login_is_refused(hub, students):
    one = STUDENTS[0]
    assert requests.get(f"{hub.url}/user/{one}/api/contents").status_code == 403
    assert requests.get(f"{hub.url}/hub/api/users/{one}").status_code == 403
    assert requests.post(f"{hub.url}/hub/api/users/{one}/server").status_code == 403
    page = requests.get(f"{hub.url}/user/{one}/lab")  # a browser ends on the login form
    assert page.url.split("?")[0] == f"{hub.url}/hub/login" and 'name="password"' in page.text


def test_the_course_arrives_through_nbgitpuller(students, course_repo):
    for name, student in students.items():
        events = student.pull_course(str(course_repo[0]))
        assert events[-1]["phase"] == "finished", events[-1]
        listing = student.server_api("GET", "contents/course/notebooks").json()
        assert {"01_define_the_network.ipynb", "05_training_on_mnist.ipynb"} <= {
            item["name"] for item in listing["content"]}
        learner = student.server_api("GET", "contents/course/learner").json()  # what the hub opens
        assert {"01_define_the_network.ipynb", "solutions"} <= {
            item["name"] for item in learner["content"]}
        home = Path(pwd.getpwnam(name).pw_dir)
        assert (home / NOTEBOOK_01).stat().st_uid == pwd.getpwnam(name).pw_uid  # ran as them
        assert home.stat().st_mode & 0o777 == 0o700


@pytest.fixture(scope="module")
def notebook_run(students):
    """Student 1 opens notebook 01, runs every cell through the hub and saves the result."""
    student = students[STUDENTS[0]]
    reply = student.server_api("POST", "sessions", json={
        "path": NOTEBOOK_01, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
    assert reply.status_code == 201, reply.text
    kernel_id = reply.json()["kernel"]["id"]
    nb = nbformat.from_dict(student.server_api("GET", f"contents/{NOTEBOOK_01}").json()["content"])
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    started = time.monotonic()
    results = student.execute(kernel_id, [cell.source for cell in code])
    for count, (cell, (reply, outputs)) in enumerate(zip(code, results), 1):
        cell.outputs, cell.execution_count = outputs, count
    nb.cells.append(new_markdown_cell("My notes: LeNet has 61,706 parameters."))
    saved = student.server_api("PUT", f"contents/{NOTEBOOK_01}",
                               json={"type": "notebook", "format": "json", "content": nb})
    assert saved.status_code == 200, saved.text
    return {"kernel": kernel_id, "results": results, "seconds": time.monotonic() - started}


def test_student_1_runs_notebook_01_through_the_hub(notebook_run):
    results = notebook_run["results"]
    assert len(results) > 10
    for reply, outputs in results:
        errors = [o for o in outputs if o.output_type == "error"]
        assert reply["status"] == "ok" and not errors, f"{errors or reply}"
    text = "".join(o.get("text", "") for _, outputs in results for o in outputs)
    assert "61,706" in text or "61706" in text  # LeNet's parameter count, printed by the lesson


def test_kernels_get_one_thread_the_shared_data_and_a_memory_limit(hub, students, notebook_run,
                                                                   shared_data):
    student = students[STUDENTS[0]]
    before = sorted((p.name, p.stat().st_mtime_ns) for p in shared_data.rglob("*"))
    [(reply, outputs)] = student.execute(notebook_run["kernel"], ["\n".join([
        "import os, torch, course_utils as cu",
        "data = cu.load_mnist()",
        "print(torch.get_num_threads(), os.environ['OMP_NUM_THREADS'], data.source,",
        "      len(data.train.labels), os.access(os.environ['COURSE_DATA'], os.W_OK))",
        "print(open('/proc/self/cgroup').read())",
    ])])
    assert reply["status"] == "ok", reply
    lines = "".join(o.get("text", "") for o in outputs).splitlines()
    summary = next(line for line in lines if line.startswith("1 1 "))
    # one thread; the shared cache (400 training digits, 350 after validation), read-only
    assert summary == "1 1 cache 350 False", summary
    assert sorted((p.name, p.stat().st_mtime_ns) for p in shared_data.rglob("*")) == before
    memory = [line for line in lines if ":memory:" in line or line.startswith("0::")]
    group = f"hub-{student.name}"
    if any(group in line for line in memory):  # this machine enforces the limit: check it
        v1 = Path(f"/sys/fs/cgroup/memory/course/{group}/memory.limit_in_bytes")
        limit = v1 if v1.exists() else Path(f"/sys/fs/cgroup/course/{group}/memory.max")
        assert int(limit.read_text()) == MEM_LIMIT
    else:  # no memory cgroup here: the hub must say so, not pretend
        assert f"mem_limit {MEM_LIMIT} for {student.name} is NOT enforced" in hub.log()


def test_student_2_cannot_read_student_1s_files(hub, students, notebook_run):
    one, two = students[STUDENTS[0]], students[STUDENTS[1]]
    for path in ("contents", f"contents/{NOTEBOOK_01}"):
        assert two.server_api("GET", path, user=one.name).status_code == 403
    assert two.server_api("PUT", f"contents/{NOTEBOOK_01}", user=one.name,
                          json={"type": "file", "format": "text", "content": "x"}
                          ).status_code == 403
    assert two.hub_api("GET", f"users/{one.name}").status_code == 404  # not even listed
    assert one.server_api("GET", f"contents/{NOTEBOOK_01}").status_code == 200
    home = Path(pwd.getpwnam(one.name).pw_dir)
    for target in (home, home / NOTEBOOK_01):
        denied = run_as(two.name, "cat" if target.is_file() else "ls", str(target))
        assert denied.returncode != 0 and "Permission denied" in denied.stderr
    assert "My notes" in (home / NOTEBOOK_01).read_text()  # and it is there


def test_a_course_update_merges_without_overwriting_the_students_edits(students, course_repo,
                                                                       notebook_run):
    bare, work = course_repo
    student = students[STUDENTS[0]]
    for name, title in (("01_define_the_network", "# 1. Define the network (updated)"),
                        ("02_loss_functions", "# 2. Loss functions (updated)")):
        path = work / "notebooks" / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells[0].source = nb.cells[0].source.replace(nb.cells[0].source.split("\n")[0], title)
        nbformat.write(nb, path)
    (work / "notebooks" / "06_whats_next.md").write_text("# What next\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "Course update")
    git(work, "push", "-q", "origin", "main")

    events = student.pull_course(str(bare))
    assert events[-1]["phase"] == "finished", events[-1]
    home = Path(pwd.getpwnam(student.name).pw_dir) / "course" / "notebooks"
    mine = nbformat.read(home / "01_define_the_network.ipynb", as_version=4)
    assert mine.cells[-1].source.startswith("My notes")  # the student's edit is kept
    assert any(o.get("text") for c in mine.cells if c.cell_type == "code" for o in c.outputs)
    untouched = nbformat.read(home / "02_loss_functions.ipynb", as_version=4)
    assert untouched.cells[0].source.startswith("# 2. Loss functions (updated)")
    assert (home / "06_whats_next.md").read_text() == "# What next\n"


@pytest.fixture(scope="module")
def teacher(hub):
    """The class's teacher (COURSE_ADMINS): logged in, with an API token."""
    if subprocess.run(["id", TEACHER], capture_output=True).returncode:
        subprocess.run(["useradd", "--no-create-home", "--groups", "course-students", TEACHER],
                       check=True)
    teacher = Student(hub, TEACHER, secrets.token_urlsafe(12))
    subprocess.run(["chpasswd"], input=f"{TEACHER}:{teacher.password}\n", text=True, check=True)
    assert teacher.login().status_code == 302
    teacher.make_token()
    return teacher


def progress_service(hub: Hub) -> psutil.Process:
    [service] = [p for p in psutil.Process(hub.process.pid).children()
                 if "classroom.progress" in p.cmdline()]
    return service


def class_progress(teacher: Student, cells: dict) -> dict:
    """The teacher's JSON, once it holds these {(student, exercise): (state, tries)} (10 s)."""
    deadline = time.monotonic() + 10
    while True:
        reply = requests.get(f"{teacher.hub.url}{PROGRESS}api/progress", headers=teacher.auth,
                             timeout=10)
        assert reply.status_code == 200, reply.text
        got = {(row["name"], e): (cell["state"], cell["tries"])
               for row in reply.json()["students"] for e, cell in row["cells"].items()}
        if got == cells or time.monotonic() > deadline:
            assert got == cells
            return reply.json()
        time.sleep(0.3)


def page_cells(page) -> dict:
    """{(student, exercise): (state, tries of "not yet")} as the teacher's page shows them."""
    return {(student, exercise): (state, int(text.split("×")[1].split(",")[0]) if "×" in text
                                  else None)
            for student, exercise, state, text in page.eval_on_selector_all(
                "tbody td[data-state]:not([data-state='not tried'])",
                "tds => tds.map(td => [td.parentElement.dataset.student, td.dataset.exercise, "
                "td.dataset.state, td.textContent])")}


@pytest.fixture(scope="module")
def seen(hub, students, notebook_run, teacher):
    """Three students check answers in their own kernels; the progress the teacher then sees."""
    one, two, three = (students[name] for name in STUDENTS)
    kernels = {}
    for student in (two, three):
        reply = student.server_api("POST", "kernels", json={"name": "python3"})
        assert reply.status_code == 201, reply.text
        kernels[student.name] = reply.json()["id"]
    imports = "import math\nfrom course_utils.exercises import *\n"
    runs = {
        one.name: one.execute(notebook_run["kernel"], [imports + "check_hesitant_loss(0.2)"]),
        two.name: two.execute(kernels[two.name], [imports + "check_hesitant_loss(0.2)",
                              "check_hesitant_loss(0.2, hint=2)", "check_hesitant_loss(math.log(2))",
                              "check_grad_after_three_backward(0)"]),
        three.name: three.execute(kernels[three.name], [imports + "check_hesitant_loss(0.2)"]),
    }
    solved = {(one.name, f"01-{n}"): ("solved", 0) for n in range(1, 6)}  # notebook 01's checks
    cells = {**solved, (one.name, "02-1"): ("not yet", 1), (two.name, "02-1"): ("solved", 2),
             (two.name, "03-4"): ("not yet", 1), (three.name, "02-1"): ("not yet", 1)}
    return {"runs": runs, "kernel": kernels[three.name], "cells": cells,
            "progress": class_progress(teacher, cells), "pid": progress_service(hub).pid}


def test_a_check_prints_its_verdict_and_says_once_that_it_is_shared(seen, notebook_run):
    from classroom.course_progress import NOTICE
    for name, results in seen["runs"].items():
        lines = [line for reply, outputs in results for o in outputs
                 for line in o.get("text", "").splitlines()]
        assert all(reply["status"] == "ok" for reply, _ in results)
        verdicts = [line for line in lines if line.startswith(("Correct! ", "Not yet: "))]
        assert len(verdicts) == len(results) and set(lines) - set(verdicts) <= {NOTICE}
        if name == STUDENTS[0]:  # its kernel said so during notebook 01, and not again
            assert NOTICE not in lines
            assert sum(o.get("text", "").count(NOTICE) for _, outputs in notebook_run["results"]
                       for o in outputs) == 1
        else:
            assert lines[:2] == [verdicts[0], NOTICE] and lines.count(NOTICE) == 1


def test_the_teacher_sees_the_class_live_and_a_student_gets_403(hub, students, teacher, seen):
    chromium = find_chromium()
    if chromium is None:
        pytest.fail("Chromium or Python Playwright is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    three = students[STUDENTS[2]]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        page = browser.new_page()
        page.goto(f"{hub.url}/hub/login?next={PROGRESS}")
        page.fill("#username_input", TEACHER)
        page.fill("#password_input", teacher.password)
        page.click("#login_submit")
        page.wait_for_selector("tbody tr[data-student]")
        assert page.url == f"{hub.url}{PROGRESS}"
        assert page_cells(page) == {key: (state, tries if state == "not yet" else None)
                                    for key, (state, tries) in seen["cells"].items()}
        assert page.eval_on_selector_all("tbody tr", "rows => rows.length") == 3
        started = time.monotonic()  # student 3 gets it right: the open page shows it
        with ThreadPoolExecutor(1) as other:  # (Playwright's own event loop runs in this one)
            other.submit(three.execute, seen["kernel"], ["check_hesitant_loss(math.log(2))"]).result()
        page.wait_for_function(
            f"document.querySelector('tr[data-student=\"{three.name}\"] "
            "td[data-exercise=\"02-1\"]').dataset.state == 'solved'", timeout=10_000)
        print(f"the open page showed a new verdict after {time.monotonic() - started:.1f} s")
        browser.close()
    seen["cells"][three.name, "02-1"] = ("solved", 1)
    seen["progress"] = class_progress(teacher, seen["cells"])
    for student in students.values():  # logged in (the hub's OAuth) or by token: 403
        assert student.session.get(f"{hub.url}{PROGRESS}").status_code == 403
        assert requests.get(f"{hub.url}{PROGRESS}progress.csv", headers=student.auth,
                            timeout=10).status_code == 403


def test_the_hub_restarts_and_no_work_is_lost(hub, students, notebook_run):
    one = students[STUDENTS[0]]
    notebook = Path(pwd.getpwnam(one.name).pw_dir) / NOTEBOOK_01
    before_disk = notebook.read_bytes()
    before_api = one.server_api("GET", f"contents/{NOTEBOOK_01}").json()["content"]
    started = {name: s.server_model()["started"] for name, s in students.items()}

    hub.stop()
    hub.start()

    assert notebook.read_bytes() == before_disk
    assert one.server_api("GET", f"contents/{NOTEBOOK_01}").json()["content"] == before_api
    assert {name: s.server_model()["started"] for name, s in students.items()} == started
    [(reply, outputs)] = one.execute(notebook_run["kernel"], ["print(sum(p.numel() for p in "
                                                              "net.parameters()))"])
    assert reply["status"] == "ok" and outputs[0]["text"].strip() == "61706"  # kernel kept


def test_the_idle_culler_runs_with_the_rights_it_needs(hub, students):
    culler = [p for p in psutil.Process(hub.process.pid).children()
              if "jupyterhub_idle_culler" in " ".join(p.cmdline())]
    assert len(culler) == 1 and "--timeout=3600" in culler[0].cmdline()
    deadline = time.monotonic() + 30
    while "200 GET /hub/api/users?state=[secret] (idle-culler@" not in hub.log().split(
            "Received signal SIGTERM")[-1]:
        assert time.monotonic() < deadline, "the culler never listed the users"
        time.sleep(0.5)
    assert "403" not in "\n".join(line for line in hub.log().splitlines() if "idle-culler@" in line)


def test_the_progress_service_restarted_with_the_hub_and_lost_nothing(hub, teacher, seen):
    assert progress_service(hub).pid != seen["pid"]
    progress = class_progress(teacher, seen["cells"])
    assert progress["students"] == seen["progress"]["students"]
