"""The kernel's side of the class hub's progress service (classroom/progress.py).

course_utils.exercises imports this module only when COURSE_PROGRESS_URL is set, which the
hub's spawner does (classroom/jupyterhub_config.py); classroom/setup.sh installs it into the
students' environment. Anywhere else (a laptop, Colab, nbval, the tests) it is never imported.

Each check's verdict goes to the service as {id, exercise, correct, hint, at}: never the
answer or the code. The check prints its verdict first; the record is then queued and sent
by one background thread with the kernel's own hub token (JUPYTERHUB_API_TOKEN), with a
short timeout, retried while the service is away. Nothing it does shows in the notebook
but one line, once per kernel, saying that check results are shared.
"""
from __future__ import annotations

import functools
import itertools
import json
import os
import queue
import re
import threading
import time
import urllib.error
import urllib.request
import uuid

NOTICE = "(Check results, right or not yet but never your code, are shared with your class's teachers.)"
TIMEOUT_S = 3
RETRY_S = (1, 2, 5, 10, 30, 60)  # waits between tries while the service is away, then 60 s
_records: queue.Queue = queue.Queue(maxsize=2000)
_sender: list[threading.Thread] = []
_lock = threading.Lock()


def exercise_id(doc: str | None) -> str | None:
    """"02-3" from a check's docstring "Example (notebook 02, exercise 3): ..."; else None."""
    found = re.search(r"\(notebook (\d\d), exercise (\d+)\)", doc or "")
    return f"{found[1]}-{found[2]}" if found else None


def shared(check):
    """The check (a course_utils.exercises.check_*), sharing each verdict it prints."""
    exercise = exercise_id(check.__doc__)
    if exercise is None:
        return check

    @functools.wraps(check)
    def sharing(*args, hint=1, **kwargs):
        verdict = check(*args, hint=hint, **kwargs)
        if hint in (1, 2) and not isinstance(hint, bool):  # a verdict, not a misuse of hint=
            share(exercise, bool(verdict), hint)
        return verdict

    return sharing


def share(exercise: str, correct: bool, hint: int) -> None:
    """Queue one record for the sender; say once per kernel that results are shared."""
    with _lock:
        if not _sender:
            print(NOTICE)
            _sender.append(threading.Thread(target=_send_forever, name="course-progress",
                                            daemon=True))
            _sender[0].start()
    record = {"id": uuid.uuid4().hex, "exercise": exercise, "correct": correct, "hint": hint,
              "at": round(time.time(), 3)}
    try:
        _records.put_nowait(record)
    except queue.Full:  # the service has been away for thousands of checks: keep the oldest
        pass


def _send_forever() -> None:
    url = os.environ["COURSE_PROGRESS_URL"].rstrip("/") + "/api/verdicts"
    headers = {"Authorization": f"token {os.environ.get('JUPYTERHUB_API_TOKEN', '')}",
               "Content-Type": "application/json"}
    while True:
        record = _records.get()
        for wait in itertools.chain(RETRY_S, itertools.repeat(RETRY_S[-1])):  # the same id:
            # a record stored but whose answer was lost is not stored twice
            if send(url, headers, record):
                break
            time.sleep(wait)


def send(url: str, headers: dict, record: dict) -> bool:
    """POST one record; True when done with it (stored, or refused for good: 4xx)."""
    request = urllib.request.Request(url, json.dumps(record).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S):
            return True
    except urllib.error.HTTPError as err:
        return 400 <= err.code < 500
    except (OSError, ValueError):  # refused, timed out, unreachable: try again later
        return False
