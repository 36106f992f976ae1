"""JupyterHub for a class: the whole configuration, in this one file.

Trial on one machine, as root: `make hub` (creates 3 trial students), open
http://127.0.0.1:8000 and log in as course-student1 (passwords: build/hub/passwords.txt).
docs/classroom.md explains each choice and how it carries over to The Littlest
JupyterHub and to Zero to JupyterHub on Kubernetes.

What a student gets:
- a system user with a private home (mode 700: other students cannot read it), logging in
  with their system password (PAM) if they belong to the group course-students;
- a Jupyter server running as that user, one PyTorch thread per kernel, a memory limit
  (enforced by a memory cgroup where this machine has one; see ClassSpawner);
- the course, pulled into ~/course by nbgitpuller at each login: new lessons arrive,
  the student's own edits are kept; it opens on the learner edition (course/learner/);
- MNIST read from one shared, read-only folder (COURSE_DATA) instead of 300 downloads;
- servers idle for an hour stopped by jupyterhub-idle-culler;
- each check's verdict (never the answer) shared with the teachers, who see the class live
  at /services/course-progress/ (classroom/progress.py; the check says so once per kernel).

Settings (environment variables, default in brackets):
  COURSE_HUB_IP [127.0.0.1]     address students connect to (0.0.0.0 for a class behind TLS)
  COURSE_HUB_PORT [8000]        port; the hub's API uses PORT+1, the proxy's PORT+2 and the
                                progress service PORT+3 (all on 127.0.0.1)
  COURSE_HUB_STATE [build/hub]  the hub's database and cookie secret (keep it across restarts)
  COURSE_REPO [this checkout]   the git repository nbgitpuller pulls (your fork's https URL)
  COURSE_BRANCH [its branch]    the branch to pull
  COURSE_DATA [data/ here]      the shared MNIST cache (`make data`), read-only for students
  COURSE_ENV [/opt/course-env]  the students' Python (classroom/setup.sh builds it from .venv)
  COURSE_MEM_LIMIT [3G]         memory per student
  COURSE_CULL_TIMEOUT [3600]    seconds of inactivity before a server is stopped
  COURSE_ADMINS []              teachers' user names, comma-separated (hub admin page, and
                                the role course-teacher: the class's progress page)
  COURSE_SHARE_CHECKS [on]      off: no progress service, and the checks share nothing
"""
import asyncio
import os
import pwd
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from jupyterhub.spawner import LocalProcessSpawner

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import limits  # noqa: E402  (classroom/limits.py: memory cgroups)

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)


def setting(name: str, default: str) -> str:
    return os.environ.get(name) or default


def git(repo: Path | str, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=False).stdout.strip()


# --- where the hub listens and what it keeps -------------------------------------------
ip, port = setting("COURSE_HUB_IP", "127.0.0.1"), int(setting("COURSE_HUB_PORT", "8000"))
c.JupyterHub.bind_url = f"http://{ip}:{port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{port + 1}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 2}"
c.ConfigurableHTTPProxy.command = [str(Path(sys.prefix) / "node_modules/.bin/configurable-http-proxy")]
state = Path(setting("COURSE_HUB_STATE", str(REPO / "build" / "hub")))
state.mkdir(mode=0o700, parents=True, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")  # logins survive restarts
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.cleanup_servers = False  # restarting the hub leaves students' servers and kernels running

# --- who may log in -------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"  # system users and their passwords
c.PAMAuthenticator.allowed_groups = {"course-students"}
c.PAMAuthenticator.open_sessions = False
c.Authenticator.admin_users = {name for name in setting("COURSE_ADMINS", "").split(",") if name}

# --- each student's server --------------------------------------------------------------
repo = setting("COURSE_REPO", str(REPO))
branch = setting("COURSE_BRANCH", git(REPO, "rev-parse", "--abbrev-ref", "HEAD") or "main")
c.Spawner.default_url = "/git-pull?" + urlencode({
    "repo": repo, "branch": branch, "targetpath": "course",
    "urlpath": "lab/tree/course/learner/01_define_the_network.ipynb"})  # the learner edition
env = Path(setting("COURSE_ENV", "/opt/course-env"))
c.Spawner.cmd = [str(env / "bin" / "python"), "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.mem_limit = limits.parse_bytes(setting("COURSE_MEM_LIMIT", "3G"))
data = Path(setting("COURSE_DATA", str(REPO / "data")))
c.Spawner.environment = {
    "PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "COURSE_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",  # one core per kernel
    "COURSE_DATA": str(data),
    # without a shared MNIST, the embedded digits: never 300 downloads at once
    **({} if (data / "MNIST" / "raw").is_dir() else {"COURSE_OFFLINE": "1"}),
}
if "://" not in repo or repo.startswith("file://"):
    # A repository on this machine belongs to root, and git refuses to read another user's
    # repository unless it is declared safe: declare this one (and only it) for the students.
    local = repo.removeprefix("file://")
    gitdir = git(local, "rev-parse", "--absolute-git-dir")
    gitconfig = state.parent / f"{state.name}.gitconfig"
    gitconfig.write_text("[include]\n\tpath = /etc/gitconfig\n[safe]\n" + "".join(
        f"\tdirectory = {path}\n" for path in sorted({local, f"{local}/.git", gitdir}) if path))
    gitconfig.chmod(0o644)
    c.Spawner.environment["GIT_CONFIG_SYSTEM"] = str(gitconfig)


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner (the server runs as the student's system user), plus:

    - the home folder is made private (mode 700) before each start;
    - mem_limit is enforced: the server and its kernels share one memory cgroup, where
      root can make one (Linux with the memory controller). LocalProcessSpawner itself
      only passes MEM_LIMIT on as an environment variable; where no cgroup can be made,
      the hub log says the limit is NOT enforced.
    """

    cgroup = None

    async def start(self):
        home = Path(pwd.getpwnam(self.user.name).pw_dir)
        if home.is_dir():
            home.chmod(0o700)
        if self.mem_limit:
            self.cgroup = limits.memory_cgroup(f"hub-{self.user.name}", self.mem_limit)
            if self.cgroup is None:
                self.log.warning("mem_limit %s for %s is NOT enforced: no memory cgroup "
                                 "can be made on this machine", self.mem_limit, self.user.name)
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        await asyncio.to_thread(limits.remove, self.cgroup)  # once its processes are gone

    def make_preexec_fn(self, name):
        become_user, cgroup = super().make_preexec_fn(name), self.cgroup

        def preexec():
            if cgroup is not None:
                limits.join(cgroup)
            become_user()

        return preexec


c.JupyterHub.spawner_class = ClassSpawner

# --- idle servers stopped -------------------------------------------------------------------
cull_timeout = int(setting("COURSE_CULL_TIMEOUT", "3600"))
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull_timeout}",
                f"--cull-every={max(10, cull_timeout // 6)}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler", "services": ["idle-culler"],
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
}]

# --- the teachers see the class live: classroom/progress.py ---------------------------------
share = setting("COURSE_SHARE_CHECKS", "on") != "off"
client = [*env.glob("lib/python3*/site-packages/course_progress.py")]  # classroom/setup.sh
if share and not client:
    print(f"COURSE_SHARE_CHECKS: {env} has no course_progress.py, so the checks cannot share "
          "their verdicts. Fix: run classroom/setup.sh (make hub does).", file=sys.stderr)
if share:
    progress_url = f"http://127.0.0.1:{port + 3}"
    access = "access:services!service=course-progress"
    c.JupyterHub.services.append({
        "name": "course-progress", "url": progress_url, "display": True,
        "command": [sys.executable, "-m", "classroom.progress"], "cwd": str(REPO),
        "environment": {"COURSE_HUB_STATE": str(state)},
        "oauth_client_allowed_scopes": ["custom:course-progress:teacher"],  # on teachers' logins
        "oauth_no_confirm": True,  # the class's own service: no "authorize?" page
    })
    c.JupyterHub.custom_scopes = {"custom:course-progress:teacher": {
        "description": "See the class's progress page: every student's check verdicts"}}
    c.JupyterHub.load_roles += [
        {"name": "user", "scopes": ["self", access]},  # what a student's server token may hold
        {"name": "course-teacher", "users": sorted(c.Authenticator.admin_users),
         "scopes": [access, "custom:course-progress:teacher"]},
    ]
    # The kernel's JUPYTERHUB_API_TOKEN: the server role's two scopes, plus sending verdicts
    c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", access]
    if client:
        c.Spawner.environment["COURSE_PROGRESS_URL"] = f"{progress_url}/services/course-progress/"
