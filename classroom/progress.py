"""The class hub's progress service: who has solved what, and who is stuck, for the teachers.

A JupyterHub service that the hub starts (classroom/jupyterhub_config.py; docs/classroom.md):
    python -m classroom.progress      (the hub sets JUPYTERHUB_SERVICE_URL, ..._PREFIX, ...)

- POST api/verdicts: one check's verdict from a student's kernel (classroom/course_progress.py),
  with the kernel's hub token. The student is whom the hub says the token belongs to, never a
  name in the request. Stored in SQLite in COURSE_HUB_STATE (progress.sqlite): student,
  notebook, exercise, verdict, hint level, time; a record's id makes a retry harmless.
- GET /: the teachers' page (hub login; the hub role course-teacher, else 403): one row per
  student, one column per exercise in course order, the stuck on top; it updates itself.
- GET progress.csv, GET api/progress: the same, as CSV and as JSON.
"""
from __future__ import annotations

import ast
import asyncio
import csv
import html
import io
import json
import os
import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from tornado import web

from classroom.course_progress import exercise_id

REPO = Path(__file__).resolve().parent.parent
TEACHER_SCOPE = "custom:course-progress:teacher"
MAX_BODY = 512  # bytes: a record is about 120
FIELDS = {"id", "exercise", "correct", "hint", "at"}
STUCK_TRIES, STUCK_S = 3, 600
RULE = (f"Stuck: {STUCK_TRIES} or more \"Not yet\" on one exercise, the first of them "
        f"{STUCK_S // 60} minutes ago or more, and no \"Correct!\" on it yet.")


def course_exercises(repo: Path = REPO) -> dict[str, str]:
    """{"01-1": "01_define_the_network", ...} in course order, read (not imported) from each
    check's docstring in course_utils/exercises/lesson*.py and the names of notebooks/."""
    notebooks = {path.name[:2]: path.stem for path in (repo / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    found = [exercise_id(ast.get_docstring(node))
             for path in (repo / "course_utils" / "exercises").glob("lesson*.py")
             for node in ast.parse(path.read_text()).body
             if isinstance(node, ast.FunctionDef) and node.name.startswith("check_")]
    ids = sorted({i for i in found if i}, key=lambda i: tuple(map(int, i.split("-"))))
    return {i: notebooks.get(i[:2], i[:2]) for i in ids}


def parse(body: bytes, exercises: dict[str, str], now: float) -> dict:
    """One record from a kernel, checked field by field; ValueError says what is wrong."""
    if len(body) > MAX_BODY:
        raise ValueError(f"a record is at most {MAX_BODY} bytes; this one has {len(body)}")
    try:
        record = json.loads(body)
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(record, dict) or set(record) != FIELDS:
        raise ValueError(f"expected a JSON object with exactly the fields {sorted(FIELDS)}")
    if not isinstance(record["id"], str) or not re.fullmatch(r"[0-9a-f]{32}", record["id"]):
        raise ValueError("id: 32 hexadecimal digits (uuid4().hex), made once per record")
    if not isinstance(record["exercise"], str) or record["exercise"] not in exercises:
        raise ValueError(f"exercise {str(record['exercise'])[:20]!r} is not one of this course's")
    if not isinstance(record["correct"], bool) or record["hint"] not in (1, 2) or isinstance(
            record["hint"], bool):
        raise ValueError("correct: true or false; hint: 1 or 2")
    at = record["at"]
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not now - 7 * 86400 <= at <= now + 300:
        raise ValueError("at: the check's time in seconds since 1970, within the last week")
    return record


class Store:
    """The verdicts, in one SQLite file; a record is stored once per (student, id)."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None)  # each statement commits
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash of the service loses nothing
        self.db.execute("CREATE TABLE IF NOT EXISTS verdicts (student TEXT NOT NULL, id TEXT NOT "
                        "NULL, notebook TEXT NOT NULL, exercise TEXT NOT NULL, correct INTEGER NOT "
                        "NULL, hint INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (student, id))")

    def add(self, student: str, notebook: str, record: dict) -> bool:
        """Store one verdict; False if this student's record id was stored before (a retry)."""
        return self.db.execute(
            "INSERT OR IGNORE INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)",
            (student, record["id"], notebook, record["exercise"], int(record["correct"]),
             record["hint"], record["at"])).rowcount == 1

    def progress(self, exercises: dict[str, str], now: float) -> dict:
        """Each student's cells ({"state": "solved" | "not yet", "tries", "since"}), stuck
        students first, and how many solved each exercise."""
        students: dict[str, dict] = {}
        for student, exercise, solved, tries, since in self.db.execute(
                "SELECT student, exercise, MAX(correct), SUM(1 - correct), "
                "MIN(CASE WHEN correct = 0 THEN at END) FROM verdicts GROUP BY student, exercise"):
            stuck = not solved and tries >= STUCK_TRIES and now - since >= STUCK_S
            row = students.setdefault(student, {"name": student, "stuck": [], "cells": {}})
            row["cells"][exercise] = {"state": "solved" if solved else "not yet",
                                      "tries": tries, "since": since}
            row["stuck"] += [exercise] if stuck else []
        rows = sorted(students.values(), key=lambda row: (not row["stuck"], row["name"]))
        solved = {e: sum(row["cells"].get(e, {}).get("state") == "solved" for row in rows)
                  for e in exercises}
        return {"exercises": list(exercises), "students": rows, "solved": solved, "rule": RULE}


def cell_text(cell: dict | None, now: float) -> str:
    if cell is None:
        return ""
    if cell["state"] == "solved":
        return "solved"
    return f"not yet ×{cell['tries']}, {max(0, now - cell['since']) / 60:.0f} min"


def table(progress: dict, now: float) -> str:
    """The page's table: a row per student, a column per exercise, solved counts below."""
    head = "".join(f"<th>{e}</th>" for e in progress["exercises"])
    rows = []
    for row in progress["students"]:
        cells = "".join(
            f'<td class="{(cell or {}).get("state", "none").replace(" ", "")}'
            f'{" stuck" if e in row["stuck"] else ""}" data-exercise="{e}" '
            f'data-state="{(cell or {}).get("state", "not tried")}">{cell_text(cell, now)}</td>'
            for e in progress["exercises"] for cell in [row["cells"].get(e)])
        flag = ' <b class="flag">stuck</b>' if row["stuck"] else ""
        rows.append(f'<tr data-student="{html.escape(row["name"])}"><th>'
                    f'{html.escape(row["name"])}{flag}</th>{cells}</tr>')
    counts = "".join(f"<td>{progress['solved'][e]}</td>" for e in progress["exercises"])
    return (f"<table><thead><tr><th>student</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            f'<tfoot><tr><th>solved by</th>{counts}</tr></tfoot></table>'
            f"<p>{len(rows)} students; updated {time.strftime('%H:%M:%S', time.localtime(now))}.</p>")


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Class progress</title><style>
body{{font:14px system-ui,sans-serif;margin:1em}} table{{border-collapse:collapse}}
th,td{{border:1px solid #bbb;padding:2px 6px;text-align:center;white-space:nowrap}}
tbody th{{text-align:left}} td.solved{{background:#cde8d4}} td.notyet{{background:#fbe3c4}}
td.stuck{{background:#f3b1a8;font-weight:bold}} .flag{{color:#a0281c}}
</style></head><body><h1>Class progress</h1>
<p>Each check a student runs, right or not yet, never their code. {rule}
<a href="progress.csv">Download CSV</a>.</p><div id="progress" data-xsrf="{xsrf}">{table}</div>
<script>const box=document.getElementById("progress");
setInterval(async()=>{{const r=await fetch("?part=table",{{headers:{{"X-XSRFToken":box.dataset.xsrf}}}});
if(r.ok)box.innerHTML=await r.text();}},3000);</script>
</body></html>"""


class Handler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, store: Store, exercises: dict[str, str], hub_auth: HubOAuth) -> None:
        self.store, self.exercises, self.hub_auth = store, exercises, hub_auth

    def write_error(self, status_code: int, **kwargs) -> None:
        reason = getattr(kwargs.get("exc_info", [None, None])[1], "log_message", None)
        self.finish({"error": reason or self._reason})  # one clear line, never a traceback

    def teacher(self) -> None:
        if TEACHER_SCOPE not in self.current_user.get("scopes", []):
            raise web.HTTPError(403, "teachers only: this page needs the hub role course-teacher "
                                     "(COURSE_ADMINS in classroom/jupyterhub_config.py)")


class Verdicts(Handler):
    @web.authenticated  # no token, or one the hub does not know: 403
    def post(self) -> None:
        try:
            record = parse(self.request.body, self.exercises, time.time())
        except ValueError as err:
            raise web.HTTPError(400, str(err)) from None
        new = self.store.add(self.current_user["name"], self.exercises[record["exercise"]], record)
        self.set_status(201 if new else 200)
        self.finish({"stored": new})


class Teachers(Handler):
    @web.authenticated
    def get(self, kind: str) -> None:
        self.teacher()
        now = time.time()
        progress = self.store.progress(self.exercises, now)
        self.set_header("Cache-Control", "no-store")
        if kind == "api/progress":
            self.finish(progress)
        elif kind == "progress.csv":
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition", 'attachment; filename="progress.csv"')
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["student", "stuck", *progress["exercises"]])
            for row in progress["students"]:
                writer.writerow([row["name"], " ".join(row["stuck"]), *(
                    cell_text(row["cells"].get(e), now) for e in progress["exercises"])])
            self.finish(out.getvalue())
        elif self.get_argument("part", "") == "table":
            self.finish(table(progress, now))
        else:
            self.finish(PAGE.format(rule=html.escape(RULE), table=table(progress, now),
                                    xsrf=html.escape(self.xsrf_token.decode())))


def make_app(db: Path, prefix: str = "/", hub_auth: HubOAuth | None = None,
             exercises: dict[str, str] | None = None) -> web.Application:
    hub_auth = hub_auth or HubOAuth(cache_max_age=300)  # from the JUPYTERHUB_* the hub sets
    kwargs = {"store": Store(db), "exercises": exercises or course_exercises(),
              "hub_auth": hub_auth}
    return web.Application([
        (prefix + "api/verdicts", Verdicts, kwargs),
        (prefix + r"(api/progress|progress\.csv|)", Teachers, kwargs),
        (prefix + "oauth_callback", Callback, {"hub_auth": hub_auth}),
    ], cookie_secret=cookie_secret(db.parent), compress_response=True)


class Callback(HubOAuthCallbackHandler):
    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth


def cookie_secret(state: Path) -> bytes:
    """The secret of the teachers' login cookies, kept in the state folder: a restart of the
    service does not log them out."""
    path = state / "progress_cookie_secret"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_bytes(os.urandom(32))
    return path.read_bytes()


async def main() -> None:
    state = Path(os.environ.get("COURSE_HUB_STATE") or REPO / "build" / "hub")
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = make_app(state / "progress.sqlite", os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"))
    app.listen(url.port, url.hostname, max_body_size=64 * 1024)
    print(f"course-progress on {url.geturl()}, verdicts in {state / 'progress.sqlite'}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
