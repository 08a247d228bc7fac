"""A seccomp filter for sandboxed programs: no sockets but Unix ones, no escape hatches around that.

Stdlib only (the launcher imports it before anything else runs). The filter is the network layer where no
network namespace can be made (no root, no user namespaces), and a second layer where one can:

- `socket()` of any family but AF_UNIX fails with EACCES (multiprocessing's Unix sockets still work);
- io_uring (it can open sockets without `socket()`), ptrace and process_vm_* (reading or steering another
  process of the same uid), unshare/setns and clone(CLONE_NEWUSER) (new namespaces), bpf, perf_event_open and
  userfaultfd (kernel attack surface) fail with EPERM; clone3 fails with ENOSYS, so libc falls back to clone,
  whose flags the filter can see;
- a syscall from another ABI (i386 `int 0x80`, x32) fails with ENOSYS, so the numbers above cannot be dodged.
"""

from __future__ import annotations

import ctypes
import platform

EPERM, EACCES, ENOSYS = 1, 13, 38
AF_UNIX = 1
CLONE_NEWUSER = 0x10000000
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (little-endian: low word of args[0])
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2

_ARCHES = {
    "x86_64": dict(audit=0xC000003E, x32=True, socket=41, clone=56, denied={
        101: EPERM, 310: EPERM, 311: EPERM, 272: EPERM, 308: EPERM,  # ptrace, process_vm_*, unshare, setns
        321: EPERM, 298: EPERM, 323: EPERM,  # bpf, perf_event_open, userfaultfd
        425: EPERM, 426: EPERM, 427: EPERM, 435: ENOSYS}),  # io_uring_*, clone3
    "aarch64": dict(audit=0xC00000B7, x32=False, socket=198, clone=220, denied={
        117: EPERM, 270: EPERM, 271: EPERM, 97: EPERM, 268: EPERM,
        280: EPERM, 241: EPERM, 282: EPERM,
        425: EPERM, 426: EPERM, 427: EPERM, 435: ENOSYS}),
}


class _Insn(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Insn))]


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The BPF program as (code, jt, jf, k) rows; jumps are relative to the next row."""
    a = _ARCHES[machine]
    rows = [(_LD_ABS, 0, 0, _ARCH), (_JEQ, 1, 0, a["audit"]), (_RET, 0, 0, _ERRNO | ENOSYS), (_LD_ABS, 0, 0, _NR)]
    if a["x32"]:
        rows += [(_JGE, 0, 1, 0x40000000), (_RET, 0, 0, _ERRNO | ENOSYS)]
    for nr, errno in a["denied"].items():
        rows += [(_JEQ, 0, 1, nr), (_RET, 0, 0, _ERRNO | errno)]
    rows += [  # clone: refuse new user namespaces (the door to every other namespace for an unprivileged uid)
        (_JEQ, 0, 4, a["clone"]), (_LD_ABS, 0, 0, _ARG0), (_JSET, 0, 1, CLONE_NEWUSER), (_RET, 0, 0, _ERRNO | EPERM),
        (_RET, 0, 0, _ALLOW),
    ]
    rows += [  # socket: Unix sockets only
        (_JEQ, 0, 3, a["socket"]), (_LD_ABS, 0, 0, _ARG0), (_JEQ, 1, 0, AF_UNIX), (_RET, 0, 0, _ERRNO | EACCES),
        (_RET, 0, 0, _ALLOW),
    ]
    return rows


def supported() -> bool:
    return platform.machine() in _ARCHES


def install() -> None:
    """Sets no_new_privs and loads the filter into this process (inherited across fork and exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    rows = program(platform.machine())
    insns = (_Insn * len(rows))(*[_Insn(*r) for r in rows])
    prog = _Prog(len(rows), insns)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(prog), ctypes.c_ulong(0), ctypes.c_ulong(0)):
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
