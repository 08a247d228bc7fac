"""The sandbox's first process: isolates, supervises and reports one run of an untrusted program.

    python -I -S launcher.py '<config json>'        (started by ProcessSandbox; stdlib only, fast, trusts nothing)

Process tree in the namespace tiers: launcher (host) → supervisor (PID 1 of a new PID namespace, sets up the
mounts) → program (its own uid or no capabilities, rlimits, seccomp, Landlock). In the plain tier the
launcher is the supervisor. The supervisor enforces the wall clock, reaps and accounts every process, kills
whatever the program left behind, and writes JSON lines to the status pipe: {"setup": …} just before the
program's exec, {"exit": …} at the end, or {"error": …} when isolation could not be set up. The program
never holds the status pipe (close-on-exec), so it cannot forge these lines.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # siblings, not the harness package: stdlib only
import isolation  # noqa: E402
import landlock  # noqa: E402
import seccomp  # noqa: E402

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
SETUP_FAILED = 111
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0",
       "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1",
       "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Run:
    def __init__(self, cfg: dict):
        self.cfg, self.limits, self.status_fd = cfg, cfg["limits"], cfg["status_fd"]
        self.launcher_pid = os.getpid()
        self.uid = cfg["uid_base"] + self.launcher_pid  # unique while this run lives: its own RLIMIT_NPROC count
        self.tier, self.layers = isolation.enter_namespaces() if cfg["namespaces"] else ("plain", [])
        self.program = -1
        self.timed_out = False

    def report(self, **kw) -> None:
        os.write(self.status_fd, (json.dumps(kw) + "\n").encode())

    def fail(self, what: str, err: BaseException) -> None:
        self.report(error=f"{what}: {type(err).__name__}: {err}"[:2000])
        os._exit(SETUP_FAILED)

    # -- the supervisor -------------------------------------------------------------------------------
    def supervise(self) -> None:
        host_dir = self.cfg["host_dir"]
        owner = self.uid if self.tier != "userns" and os.geteuid() == 0 else None
        try:
            if self.tier == "plain":
                work = host_dir
                if owner is not None:
                    for p in [host_dir] + [os.path.join(host_dir, n) for n in os.listdir(host_dir)]:
                        os.chown(p, owner, owner)
            else:
                files = {n: open(os.path.join(host_dir, n), "rb").read() for n in os.listdir(host_dir)}
                self.layers += isolation.setup_mounts(files, self.limits["disk_mb"], self.cfg["hidden"], owner)
                work = isolation.WORK
        except BaseException as err:  # noqa: BLE001 — whatever it is, the run must not start half-isolated
            self.fail("mounts", err)
        if self.tier == "plain":
            _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of the program come back here to be killed
        start = time.monotonic()
        self.program = os.fork()
        if self.program == 0:
            self.exec_program(work, owner)
        signal.signal(signal.SIGALRM, self.on_deadline)
        signal.setitimer(signal.ITIMER_REAL, self.limits["wall_s"])
        code, cpu, rss, wall = None, 0.0, 0, None
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            except ChildProcessError:
                break
            if info.si_pid == self.program and wall is None:
                wall = time.monotonic() - start
                self.kill_rest()  # while the program is a zombie its pid and group cannot be reused
            _, status, usage = os.wait4(info.si_pid, 0)
            cpu += usage.ru_utime + usage.ru_stime
            rss = max(rss, usage.ru_maxrss)
            if info.si_pid == self.program:
                code = os.waitstatus_to_exitcode(status)
            if wall is not None:
                self.kill_rest()  # orphans reparented to us as their parents died
        signal.setitimer(signal.ITIMER_REAL, 0)
        self.report(exit={"code": code, "cpu_s": round(cpu, 4), "max_rss_mb": round(rss / 1024, 1),
                          "wall_s": round(wall or 0.0, 4), "timed_out": self.timed_out})
        os._exit(0)

    def on_deadline(self, *_) -> None:
        self.timed_out = True
        self.kill_rest()

    def kill_rest(self) -> None:
        """Every process of the run: in a PID namespace all of it (we are its PID 1); in the plain tier the
        program's group and any orphan that came back to us (they may have left the group)."""
        if self.tier != "plain" and os.getpid() == 1:
            _kill(-1)
            return
        _kill(-self.program)
        for pid in _children(os.getpid()):
            _kill(pid)

    # -- the program ------------------------------------------------------------------------------------
    def exec_program(self, work: str, owner: int | None) -> None:
        try:
            os.setpgid(0, 0)
            self.layers += isolation.set_rlimits(self.limits | {"processes": self._nproc_limit()})
            self.layers += isolation.drop_privileges(self.tier, self.uid)
            if seccomp.supported():
                seccomp.install()
                self.layers += ["no-new-privileges", "seccomp"]
            # /dev/shm is bound from the private tmpfs, but Landlock judges the path it is reached by
            writable = ["/tmp"] + (["/dev/shm"] if os.path.isdir("/dev/shm") else []) if self.tier != "plain" else [work]
            self.layers += landlock.restrict(writable)
            self._require_isolation()
            os.chdir(work)
            interp = self.cfg["interpreter"]
            env = ENV | {"HOME": work, "TMPDIR": work}
            self.report(setup={"tier": self.tier, "layers": self.layers, "uid": owner})
            os.set_inheritable(self.status_fd, False)  # closed by exec: the program never sees it
            os.execve(interp, [interp, "-s", self.cfg["program"]], env)
        except BaseException as err:  # noqa: BLE001
            self.fail("program setup", err)

    def _nproc_limit(self) -> int:
        # Without a uid of its own the count covers every process of the caller's uid: leave those room.
        if self.tier == "plain" and os.geteuid() != 0:
            return self.limits["processes"] + _tasks_of(os.getuid())
        return self.limits["processes"]

    def _require_isolation(self) -> None:
        if not self.cfg["require_isolation"]:
            return
        net = {"network-namespace", "seccomp"} & set(self.layers)
        files = {"unique-uid", "landlock-fs"} & set(self.layers) or any(x.startswith("read-only-mounts") for x in self.layers)
        if not (net and files):
            raise OSError(f"no network or no filesystem isolation on this machine (layers: {self.layers}); "
                          "run as root, allow user namespaces, or pass require_isolation=False knowingly")


def _prctl(option: int, value: int) -> None:
    import ctypes

    ctypes.CDLL(None).prctl(option, ctypes.c_ulong(value), 0, 0, 0)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _children(parent: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        out.append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _tasks_of(uid: int) -> int:
    n = 0
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and os.stat(f"/proc/{name}").st_uid == uid:
                n += len(os.listdir(f"/proc/{name}/task"))
        except OSError:
            pass
    return n


def main() -> None:
    run = Run(json.loads(sys.argv[1]))
    if "pid-namespace" not in run.layers:
        run.supervise()
    pid = os.fork()  # the first child of the new PID namespace: its PID 1, the supervisor
    if pid == 0:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the launcher killed → PID 1 gone → the namespace gone
        run.supervise()
    os.waitpid(pid, 0)
    os._exit(0)


if __name__ == "__main__":
    main()
