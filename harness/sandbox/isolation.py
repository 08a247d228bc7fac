"""Namespaces, mounts, privileges and resource limits for the sandbox's processes (used by the launcher).

Stdlib only. Three tiers, the strongest the machine allows (docs/sandbox.md):
- "root": the harness runs as root: PID, mount and network namespaces; the program runs as a uid of its own;
- "userns": no root, but unprivileged user namespaces: the same namespaces inside a user namespace; the
  program keeps the caller's uid outside and has no capabilities inside;
- "plain": neither: resource limits, seccomp and Landlock only.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import resource

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
_OPTION_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024, "nodiratime": 2048,
                 "relatime": 1 << 21, "strictatime": 1 << 24}
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 24, 28, 47, 4
SECBIT_NOROOT_AND_LOCK = 0x3  # exec as (namespace) root grants no capabilities, and that cannot be undone
WORK = "/tmp/work"  # the program's directory inside the namespaces: on a private tmpfs

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def enter_namespaces() -> tuple[str, list[str]]:
    """Unshares PID (for children), mount and network namespaces; returns (tier, layers)."""
    if os.geteuid() == 0 and _libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET) == 0:
        return "root", ["pid-namespace", "mount-namespace", "network-namespace"]
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET) == 0:
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        return "userns", ["user-namespace", "pid-namespace", "mount-namespace", "network-namespace"]
    return "plain", []


def _mount_points() -> list[tuple[str, int]]:
    """(mount point, flags to keep) for every mount this namespace sees."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            keep = sum(_OPTION_FLAGS.get(opt, 0) for opt in fields[5].split(","))
            out.append((point, keep))
    return out


def setup_mounts(files: dict[str, bytes], disk_mb: int, hidden: list[str], owner: int | None) -> list[str]:
    """In the new mount namespace: everything read-only, a fresh /proc, `hidden` covered by empty
    read-only tmpfs, and a private size-capped tmpfs on /tmp holding the work directory (and /dev/shm)."""
    layers = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here propagates back to the host
    failed = []
    for point, keep in _mount_points():
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep)
        except OSError:
            failed.append(point)
    layers.append("read-only-mounts" if not failed else f"read-only-mounts-except:{','.join(failed)[:200]}")
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        layers.append("private-proc")  # only the sandbox's own processes are visible
    except OSError:
        pass  # e.g. a user namespace inside a container that masks parts of /proc: the host's /proc stays
    hid = [p for p in hidden if os.path.isdir(p)]
    for p in hid:
        _mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
    if hid:
        layers.append("hidden-paths")
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={disk_mb}m,nr_inodes=4096,mode=1777")
    os.mkdir(WORK, 0o700)
    for name, data in files.items():
        with open(os.path.join(WORK, name), "wb") as f:
            f.write(data)
    if owner is not None:
        for p in [WORK] + [os.path.join(WORK, n) for n in files]:
            os.chown(p, owner, owner)
    if os.path.isdir("/dev/shm"):  # POSIX semaphores (multiprocessing) need it; share the tmpfs's size cap
        os.mkdir("/tmp/.shm", 0o1777)
        os.chmod("/tmp/.shm", 0o1777)
        _mount("/tmp/.shm", "/dev/shm", None, MS_BIND)
    layers.append("private-tmp")
    return layers


def drop_privileges(tier: str, uid: int) -> list[str]:
    """root and plain-as-root: become `uid` (unique to the run, no groups); userns: drop every capability."""
    if tier == "userns":
        _check(_libc.prctl(PR_SET_SECUREBITS, ctypes.c_ulong(SECBIT_NOROOT_AND_LOCK), 0, 0, 0), "securebits")
        cap = 0
        while _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) == 0:
            cap += 1
        _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
        header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (two words each): all empty
        _check(_libc.capset(header, data), "capset")
        return ["no-capabilities"]
    if os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        return ["unique-uid"]
    return []


def set_rlimits(limits: dict) -> list[str]:
    mb = 1 << 20
    cpu = math.ceil(limits["cpu_s"])
    for res, soft, hard in (
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL at the hard one
        (resource.RLIMIT_AS, limits["memory_mb"] * mb, limits["memory_mb"] * mb),
        (resource.RLIMIT_FSIZE, limits["file_mb"] * mb, limits["file_mb"] * mb),
        (resource.RLIMIT_NOFILE, limits["open_files"], limits["open_files"]),
        (resource.RLIMIT_NPROC, limits["processes"], limits["processes"]),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_MEMLOCK, 0, 0),
    ):
        resource.setrlimit(res, (soft, hard))
    return ["rlimits"]
