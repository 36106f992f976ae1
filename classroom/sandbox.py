"""A kernel for untrusted notebooks: how `make grade` runs each submission.

nbgrader's autograde (trusted, run by the instructor as root) executes a submission through
a Jupyter kernel. With SandboxKernelManager (classroom/nbgrader_config.py sets it) that kernel,
where the submission's code runs, is started like this on Linux:

- as the unprivileged system user course-grader (no groups, no home, no new privileges);
- in a fresh temporary folder holding a copy of that one submission (a tmpfs of 512 MiB:
  its only writable place besides private /tmp and /dev/shm), deleted afterwards;
- in its own namespaces: no network at all (a new network namespace has only a loopback
  that is down), its own process tree (every process it starts dies with it), and its own
  view of the files: the whole file system read-only, /tmp and /dev/shm private and empty,
  and /root, /home and the instructor's course folder (submissions, gradebook, solutions)
  replaced by empty folders;
- with limits: memory (a memory cgroup where the machine has one, and an address-space
  limit), CPU seconds, processes, file size; and a wall-clock limit on the whole notebook,
  after which the kernel and all it started are killed. nbgrader adds the per-cell time
  limit (Execute.timeout), interrupting the cell.

The kernel talks to nbgrader over Unix sockets in its folder (transport "ipc"), the only
way in or out. Scores are computed and written to the gradebook by nbgrader, outside the
sandbox, from the outputs the kernel returns. This needs Linux, root and util-linux's
unshare and mount; elsewhere SandboxKernelManager refuses to start (grade on Linux).

`python classroom/sandbox.py SPEC.json -- KERNEL COMMAND` is the part that runs inside the
namespaces, as root, before it becomes course-grader and starts the kernel.
"""
from __future__ import annotations

import ctypes
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import limits  # noqa: E402

PR_SET_NO_NEW_PRIVS = 38


# --- inside the namespaces (root until the exec) ------------------------------------------

def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def enter(spec: dict, command: list[str]) -> None:
    """Seal the file system view, apply limits, become the sandbox user, exec the kernel."""
    folder = spec["folder"]
    mount("--make-rprivate", "/")
    mount("--bind", folder, folder)  # stays writable when / turns read-only
    for path in spec["hidden"]:
        if os.path.isdir(path) and not (folder + "/").startswith(path.rstrip("/") + "/"):
            mount("-t", "tmpfs", "-o", "ro,size=4k,mode=755", "tmpfs", path)
    mount("-o", "remount,bind,ro", "/")
    mount("-t", "tmpfs", "-o", "size=256m,mode=1777,nosuid,nodev", "tmpfs", "/tmp")
    mount("-t", "tmpfs", "-o", "size=256m,mode=1777,nosuid,nodev", "tmpfs", "/dev/shm")
    mount("-t", "proc", "-o", "nosuid,nodev,noexec", "proc", "/proc")  # this sandbox's processes only
    if spec["cgroup"]:
        limits.join(Path(spec["cgroup"]))
    for name, value in spec["rlimits"].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    user = pwd.getpwnam(spec["user"])
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    os.chdir(spec["cwd"])
    os.execve(command[0], command, spec["env"])


# --- in nbgrader: the kernel manager ------------------------------------------------------

def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Dict, Integer, List, Unicode

    class SandboxKernelManager(AsyncKernelManager):
        """Starts each kernel in its own sandbox (see the module's docstring)."""

        user = Unicode("course-grader", config=True, help="the unprivileged user kernels run as")
        python = Unicode("/opt/course-env/bin/python", config=True,
                         help="the kernel's Python: one every user may run (classroom/setup.sh)")
        memory_limit = Unicode("3G", config=True, help="memory cgroup limit, where available")
        address_space_limit = Unicode("8G", config=True,
                                      help="RLIMIT_AS (PyTorch maps about 5 GiB)")
        total_timeout = Integer(600, config=True, help="seconds for the whole notebook")
        disk_limit = Unicode("512M", config=True,
                             help="size of the kernel's folder (a tmpfs: nothing else is writable)")
        sandbox_root = Unicode("/var/tmp", config=True, help="where sandbox folders are made")
        hidden = List(Unicode(), ["/root", "/home"], config=True,
                      help="folders that appear empty inside the sandbox")
        extra_env = Dict(config=True, help="environment variables for the kernel")

        folder = cgroup = killed_by_timer = None

        async def _async_pre_start_kernel(self, **kw):
            if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("unshare"):
                raise RuntimeError("grading runs submissions in a sandbox, which needs Linux, "
                                   "root and util-linux (unshare, mount). Fix: run `make "
                                   "grade` as root on Linux.")
            user = pwd.getpwnam(self.user)
            submission = Path(kw.pop("cwd", None) or os.getcwd())
            self.folder = Path(tempfile.mkdtemp(prefix="course-sandbox-", dir=self.sandbox_root))
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.disk_limit},mode=755",
                            "tmpfs", str(self.folder)], check=True)
            work, ipc = self.folder / "work", self.folder / "ipc"
            shutil.copytree(submission, work, symlinks=True)  # a link stays a link
            ipc.mkdir()
            for path in (work, ipc, *work.rglob("*")):
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
            ipc.chmod(0o700)
            self.transport, self.cache_ports = "ipc", False
            self.ip = str(ipc / "kernel")
            self.connection_file = str(ipc / "kernel.json")
            env = {"PATH": f"{Path(self.python).parent}:/usr/bin:/bin", "HOME": str(work),
                   "LANG": "C.UTF-8", "TMPDIR": "/tmp", "IPYTHONDIR": str(work / ".ipython"),
                   "MPLCONFIGDIR": str(work / ".matplotlib"), "COURSE_OFFLINE": "1",
                   "COURSE_PROGRESS": "0", "COURSE_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1", **self.extra_env}
            if "NBGRADER_EXECUTION" in os.environ:
                env["NBGRADER_EXECUTION"] = os.environ["NBGRADER_EXECUTION"]
            kernel_cmd, kw = await super()._async_pre_start_kernel(env=env, cwd=str(work), **kw)
            os.chown(self.connection_file, user.pw_uid, user.pw_gid)
            self.cgroup = limits.memory_cgroup(f"grade-{self.kernel_id}",
                                               limits.parse_bytes(self.memory_limit))
            if self.cgroup is None:
                self.log.warning("memory limit %s NOT enforced: no memory cgroup can be made "
                                 "here (the address-space limit %s still applies)",
                                 self.memory_limit, self.address_space_limit)
            spec = {"folder": str(self.folder), "cwd": str(work), "user": self.user, "env": env,
                    "hidden": [str(Path(p).resolve()) for p in self.hidden],
                    "cgroup": str(self.cgroup) if self.cgroup else None,
                    "rlimits": {"RLIMIT_AS": limits.parse_bytes(self.address_space_limit),
                                "RLIMIT_CPU": self.total_timeout, "RLIMIT_NPROC": 256,
                                "RLIMIT_FSIZE": 256 * 2**20, "RLIMIT_CORE": 0}}
            (self.folder / "spec.json").write_text(json.dumps(spec))
            if Path(kernel_cmd[0]).name.startswith("python"):
                kernel_cmd = [self.python, *kernel_cmd[1:]]  # not nbgrader's own Python
            launcher = ["unshare", "--mount", "--net", "--pid", "--ipc", "--uts", "--fork",
                        "--kill-child", "--", sys.executable, __file__,
                        str(self.folder / "spec.json"), "--"]
            kw["stdout"] = kw["stderr"] = subprocess.DEVNULL  # a submission may not flood the log
            return launcher + kernel_cmd, kw

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            self.timer = threading.Timer(self.total_timeout, self._time_is_up)
            self.timer.daemon = True
            self.timer.start()

        def _time_is_up(self):
            self.killed_by_timer = True
            self.log.error("total time limit of %i s reached: the kernel is killed",
                           self.total_timeout)
            self.kill_now()

        def kill_now(self):
            """SIGKILL the sandbox: its first process takes every other one with it."""
            try:
                os.killpg(self.provisioner.pgid, signal.SIGKILL)
            except (OSError, AttributeError):
                pass

        async def _async_cleanup_resources(self, restart=False):
            await super()._async_cleanup_resources(restart=restart)
            if getattr(self, "timer", None):
                self.timer.cancel()
            if self.folder and not restart:
                subprocess.run(["umount", "--lazy", str(self.folder)], check=False)
                shutil.rmtree(self.folder, ignore_errors=True)
                limits.remove(self.cgroup)
                self.folder = None

        cleanup_resources = _async_cleanup_resources  # AsyncKernelManager binds the base one

    return SandboxKernelManager


def _execute_class(kernel_manager_class):
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbformat.v4 import new_output
    from nbgrader.preprocessors import Execute

    def error(evalue):
        return new_output("error", ename=evalue.split(":")[0], evalue=evalue, traceback=[evalue])

    class SandboxedExecute(Execute):
        """nbgrader's Execute with sandboxed kernels. When the kernel has to be stopped (a
        cell ignored the interrupt at its time limit, or the notebook used up its time or
        memory), the cells left get an error output instead of the whole notebook failing:
        what ran before keeps its points."""

        kernel_died = None

        def __init__(self, **kwargs):
            super().__init__(kernel_manager_class=kernel_manager_class, **kwargs)

        def preprocess(self, nb, resources=None, km=None):
            self.kernel_died = None
            return super().preprocess(nb, resources, km)

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type != "code":
                return cell, resources
            if self.kernel_died:
                cell.outputs = [error(self.kernel_died)]
                return cell, resources
            try:
                return super().preprocess_cell(cell, resources, index)
            except CellTimeoutError:  # interrupted at its time limit, and still running
                self.km.kill_now()
                cell.outputs.append(error(f"CellTimeoutError: this cell ran for more than "
                                          f"{self.timeout} s and did not stop when "
                                          "interrupted: the kernel was stopped"))
                self.kernel_died = "DeadKernelError: not run (the kernel was stopped above)"
            except DeadKernelError:
                self.kernel_died = ("DeadKernelError: not run: the sandbox stopped the kernel "
                                    "(it used up the notebook's time or memory)")
                if getattr(self.km, "killed_by_timer", False):
                    self.kernel_died = (f"DeadKernelError: not run: the notebook used up its "
                                        f"{self.km.total_timeout} s and was stopped")
                cell.outputs.append(error(self.kernel_died))
            return cell, resources

    return SandboxedExecute


if __name__ == "__main__":
    separator = sys.argv.index("--")
    enter(json.loads(Path(sys.argv[1]).read_text()), sys.argv[separator + 1:])
else:
    try:
        SandboxKernelManager = _kernel_manager_class()
        SandboxedExecute = _execute_class(SandboxKernelManager)
    except ImportError:  # jupyter_client or nbgrader missing: only the launcher can be used
        pass
