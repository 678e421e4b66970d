"""Take the network away from the calling process, for good: the query workers of ``kg serve``.

A SPARQL query can ask the engine to fetch data from another address (``SERVICE``), and a query
string can be written in more ways than any scan of its text foresees.  So the guard is not in the
text but in the kernel: :func:`deny_network` installs a seccomp filter that makes every
``socket()`` call fail with ``EPERM`` (and ``io_uring_setup``, which could open sockets without
that call).  A process so filtered, and every thread or child it makes later, can open no socket
of any kind, whatever the engine is asked: the query engine's HTTP client fails before it sends
a byte, the same way for an open port, a closed one or another host.  Descriptors it already holds
(a worker's pipes to the server) keep working.

Why seccomp and not a network namespace (``unshare(CLONE_NEWNET)``): a namespace needs
``CAP_SYS_ADMIN`` or unprivileged user namespaces, which many systems and containers turn off,
while a seccomp filter needs neither, only ``PR_SET_NO_NEW_PRIVS``, which any process may set on
itself (root or not).  It is plain Linux, through ``ctypes``: no package to install.

    >>> import socket
    >>> deny_network()                        # doctest: +SKIP
    >>> socket.socket()                       # doctest: +SKIP
    Traceback (most recent call last):
    PermissionError: [Errno 1] Operation not permitted
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import socket
import struct
from dataclasses import dataclass

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1  # every thread of the process, not only the caller
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
X32_SYSCALL_BIT = 0x40000000

# classic BPF, as seccomp reads it (linux/filter.h)
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: load a 32-bit word of struct seccomp_data
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_NR, _ARCH = 0, 4  # offsets in struct seccomp_data


@dataclass(frozen=True)
class Machine:
    """What the filter needs to know of one architecture: its audit id and system call numbers."""

    audit_arch: int
    seccomp: int  # the seccomp() system call
    denied: dict[str, int]  # the calls that fail with EPERM, by name
    x32: bool = False  # whether the x32 ABI (numbers with X32_SYSCALL_BIT) exists beside it


#: Linux's numbers (asm/unistd.h) on the machines kg runs on.  ``io_uring_setup`` is denied too:
#: io_uring can create and connect sockets without the socket() call.
MACHINES = {
    "x86_64": Machine(0xC000003E, 317, {"socket": 41, "io_uring_setup": 425}, x32=True),
    "aarch64": Machine(0xC00000B7, 277, {"socket": 198, "io_uring_setup": 425}),
}


class SandboxError(OSError):
    """The network could not be taken away (not Linux, an unknown machine, or seccomp refused)."""


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def network_filter(machine: Machine) -> bytes:
    """The BPF program: deny socket() and io_uring_setup() with EPERM, and every system call of another
    ABI (a 32-bit or x32 call has other numbers, so it could reach socket() by another number).

    >>> len(network_filter(MACHINES["x86_64"])) // 8, len(network_filter(MACHINES["aarch64"])) // 8  # instructions
    (8, 7)
    """
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    body = [(_LD_W_ABS, 0, 0, _NR)]
    if machine.x32:
        body.append((_JGE_K, 0, 0, X32_SYSCALL_BIT))  # jump targets filled in below
    body += [(_JEQ_K, 0, 0, number) for number in machine.denied.values()]
    program = [(_LD_W_ABS, 0, 0, _ARCH), (_JEQ_K, 0, 0, machine.audit_arch), *body,
               (_RET_K, 0, 0, SECCOMP_RET_ALLOW), (_RET_K, 0, 0, deny)]
    deny_at = len(program) - 1
    out = []
    for i, (code, jt, jf, k) in enumerate(program):
        if code == _JEQ_K and i == 1:  # the architecture: on to the next instruction, else deny
            jt, jf = 0, deny_at - i - 1
        elif code in (_JEQ_K, _JGE_K):  # a denied call: to the deny at the end, else the next instruction
            jt, jf = deny_at - i - 1, 0
        out.append(_instruction(code, jt, jf, k))
    return b"".join(out)


def deny_network() -> None:
    """Make every later ``socket()`` of this process (all its threads, and children) fail with EPERM.

    Irreversible.  Checks the result: raises :class:`SandboxError` unless a socket is then refused.
    """
    machine = MACHINES.get(platform.machine())
    if os.uname().sysname != "Linux" or machine is None:
        raise SandboxError(f"cannot take the network from a query worker on {os.uname().sysname} "
                           f"{platform.machine()}: kg serve needs Linux on x86_64 or aarch64")
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    program = network_filter(machine)
    buffer = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise SandboxError(code, f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(code)}")
    if libc.syscall(machine.seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog)) != 0:
        code = ctypes.get_errno()
        raise SandboxError(code, f"seccomp(SECCOMP_SET_MODE_FILTER) failed: {os.strerror(code)}")
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except PermissionError:
        return
    raise SandboxError("the seccomp filter was installed but a socket could still be opened")
