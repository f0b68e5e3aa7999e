"""The SLAC test bed for CI: a veth pair in a private network namespace standing in for the
powerline between the EV's and the EVSE's HomePlug modems, with L2 sockets on both ends and a
capture of every frame (pcap) for the evidence. On a real bench, :func:`open_interface` gives the
same kind of socket on the modem's interface.

As root the namespace comes from ``ip netns add``; otherwise from a helper process in an
unprivileged user+network namespace (``unshare --user --map-root-user --net``) that hands the
sockets back over a Unix socket. Sockets stay in the namespace they were created in, so the
caller's threads never change namespace. When neither works, :class:`TestBedUnavailable` says
which command failed and why, for ``pytest.skip``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from scapy.layers.l2 import Ether
from scapy.supersocket import SuperSocket

from harness.protocols import slac

ETH_P_ALL = 0x0003
CLONE_NEWNET = 0x40000000
EV_IFNAME = "ev0"
EVSE_IFNAME = "evse0"
EV_MAC = "02:00:00:00:ee:01"
EVSE_MAC = "02:00:00:00:5e:01"
_counter = itertools.count(1)


class TestBedUnavailable(RuntimeError):
    """The veth test bed cannot be built here; the message says which command failed and why."""

    __test__ = False  # not a pytest test class despite the name


# --- sockets ----------------------------------------------------------------------------------


def _l2_socket(ifname: str, proto: int = slac.ETH_P_HOMEPLUG) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    try:
        sock.bind((ifname, proto))
    except OSError:
        sock.close()
        raise
    return sock


def open_interface(name: str) -> socket.socket:
    """Open an L2 socket for HomePlug MMEs (EtherType 0x88E1) on interface ``name`` (a bench's
    HomePlug modem), in the current namespace. Needs CAP_NET_RAW."""
    try:
        return _l2_socket(name)
    except PermissionError as exc:
        raise PermissionError(f"opening an AF_PACKET socket on {name!r} needs CAP_NET_RAW (run as root or "
                              f"`setcap cap_net_raw+ep` the interpreter): {exc}") from exc
    except OSError as exc:
        raise OSError(exc.errno, f"cannot open an L2 socket on interface {name!r}: {exc.strerror}") from exc


class _WrappedL2Socket(SuperSocket):
    """scapy's SuperSocket over an already open AF_PACKET socket (a dup: closing it leaves ours)."""

    def __init__(self, sock: socket.socket, iface: str | None = None) -> None:
        self.ins = sock.dup()
        self.outs = self.ins
        self.iface = iface
        self.promisc = False

    def recv_raw(self, x: int = 65535) -> tuple[Any, bytes | None, float | None]:
        return Ether, self.ins.recv(x), None


def scapy_socket(sock: socket.socket, iface: str | None = None) -> SuperSocket:
    """A scapy socket on ``sock``: ``s.send(pkt)``, ``s.sr1(...)``, ``sniff(opened_socket=s)``."""
    return _WrappedL2Socket(sock, iface)


# --- namespaces -------------------------------------------------------------------------------


def _run(cmd: list[str]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except FileNotFoundError as exc:
        raise TestBedUnavailable(f"`{' '.join(cmd)}` cannot run: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise TestBedUnavailable(f"`{' '.join(cmd)}` did not finish in 10 s") from exc
    if proc.returncode != 0:
        raise TestBedUnavailable(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): "
                                 f"{(proc.stderr or proc.stdout).strip()}")


def _in_netns(netns: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a fresh thread moved into ``netns`` (ctypes setns: Python 3.11 has no
    os.setns); the calling thread stays where it is. Sockets made there stay in ``netns``."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns({netns}): {os.strerror(err)}")
            finally:
                os.close(fd)
            out["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            out["error"] = exc

    thread = threading.Thread(target=target, name=f"netns-{netns}")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _open_four() -> list[socket.socket]:
    """EV, EVSE, and a capture (ETH_P_ALL: taps see outgoing frames too) on each end."""
    socks: list[socket.socket] = []
    try:
        for ifname, proto in ((EV_IFNAME, slac.ETH_P_HOMEPLUG), (EVSE_IFNAME, slac.ETH_P_HOMEPLUG),
                              (EV_IFNAME, ETH_P_ALL), (EVSE_IFNAME, ETH_P_ALL)):
            socks.append(_l2_socket(ifname, proto))
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


_LINK_CMDS = [
    ["link", "add", EV_IFNAME, "address", EV_MAC, "type", "veth", "peer", "name", EVSE_IFNAME,
     "address", EVSE_MAC],
    ["link", "set", "lo", "up"],
    ["link", "set", EV_IFNAME, "up"],
    ["link", "set", EVSE_IFNAME, "up"],
]

# the helper for the unprivileged path: builds the pair in its own user+net namespace, passes
# the sockets to the parent, and lives (keeping the namespace) until the parent hangs up
_HELPER = r"""
import os, socket, subprocess, sys
chan = socket.socket(fileno=int(sys.argv[1]))
try:
    for cmd in %(cmds)r:
        subprocess.run(["ip"] + cmd, check=True, capture_output=True, text=True)
    socks = []
    for ifname, proto in %(socks)r:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        s.bind((ifname, proto))
        socks.append(s)
    socket.send_fds(chan, [b"ok"], [s.fileno() for s in socks])
except subprocess.CalledProcessError as exc:
    text = "`%%s` failed (exit %%d): %%s" %% (" ".join(exc.cmd), exc.returncode, exc.stderr.strip())
    chan.sendall(text.encode())
    sys.exit(1)
except Exception as exc:
    chan.sendall(("helper failed: %%r" %% (exc,)).encode())
    sys.exit(1)
chan.recv(1)
"""


class _Capture:
    """Frames one capture socket sees (HomePlug only), with their wall time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)
        self.frames: list[tuple[float, bytes]] = []

    def drain(self) -> None:
        while True:
            try:
                raw = self.sock.recv(65535)
            except (BlockingIOError, InterruptedError, OSError):
                return
            if len(raw) >= 14 and raw[12:14] == slac.ETH_P_HOMEPLUG.to_bytes(2, "big"):
                self.frames.append((time.time(), raw))


class VethPair:
    """Both ends of the test bed. Unpacks as ``(ev_end, evse_end)`` (L2 sockets, EtherType 0x88E1)."""

    def __init__(self, netns: str, ev: socket.socket, evse: socket.socket,
                 captures: tuple[socket.socket, socket.socket], how: str) -> None:
        self.netns = netns
        self.ev_end = ev
        self.evse_end = evse
        self.how = how  # "ip netns" or "unshare"
        self.ev_ifname, self.evse_ifname = EV_IFNAME, EVSE_IFNAME
        self.ev_mac, self.evse_mac = EV_MAC, EVSE_MAC
        self._captures = {"ev": _Capture(captures[0]), "evse": _Capture(captures[1])}

    def __iter__(self) -> Iterator[socket.socket]:
        return iter((self.ev_end, self.evse_end))

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        for cap in self._captures.values():
            loop.add_reader(cap.sock.fileno(), cap.drain)

    def frames(self, end: str = "ev") -> list[tuple[float, bytes]]:
        """HomePlug frames seen at ``end`` ("ev" or "evse"): each end's tap sees both directions."""
        cap = self._captures[end]
        cap.drain()
        return list(cap.frames)

    def pcap(self, end: str = "ev") -> bytes:
        """Every HomePlug frame on the wire, as a pcap (captured at ``end``; both see all frames)."""
        records = [slac.FrameRecord(0.0, wall, "wire", raw) for wall, raw in self.frames(end)]
        return slac.pcap_bytes(records)

    def mmtypes(self, end: str = "ev") -> list[str]:
        """The MMTYPE names on the wire, in order."""
        return [slac.mmtype_name(slac.mmtype(slac.parse(raw))) for _, raw in self.frames(end)]

    def scapy_socket(self, end: str) -> SuperSocket:
        """A scapy socket on ``end`` ("ev" or "evse")."""
        return scapy_socket(self.ev_end if end == "ev" else self.evse_end,
                            EV_IFNAME if end == "ev" else EVSE_IFNAME)

    def _close(self, loop: asyncio.AbstractEventLoop) -> None:
        for cap in self._captures.values():
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(cap.sock.fileno())
            cap.drain()
            cap.sock.close()
        self.ev_end.close()
        self.evse_end.close()


def _build_ip_netns(netns: str) -> list[socket.socket]:
    _run(["ip", "netns", "add", netns])
    try:
        for cmd in _LINK_CMDS:
            _run(["ip", "-n", netns, *cmd])
        return _in_netns(netns, _open_four)
    except BaseException:
        subprocess.run(["ip", "netns", "del", netns], capture_output=True, timeout=10)
        raise


def _build_unshare() -> tuple[list[socket.socket], subprocess.Popen[bytes], socket.socket]:
    unshare = shutil.which("unshare")
    if unshare is None:
        raise TestBedUnavailable(f"not root (euid {os.geteuid()}) and no `unshare` for an unprivileged "
                                 "user+network namespace")
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    script = _HELPER % {"cmds": _LINK_CMDS, "socks": [(EV_IFNAME, slac.ETH_P_HOMEPLUG),
                                                      (EVSE_IFNAME, slac.ETH_P_HOMEPLUG),
                                                      (EV_IFNAME, ETH_P_ALL), (EVSE_IFNAME, ETH_P_ALL)]}
    cmd = [unshare, "--user", "--map-root-user", "--net", sys.executable, "-c", script, str(child.fileno())]
    proc = subprocess.Popen(cmd, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    child.close()
    parent.settimeout(10)
    try:
        msg, fds, _, _ = socket.recv_fds(parent, 4096, 4)
    except (OSError, TimeoutError) as exc:
        proc.kill()
        parent.close()
        raise TestBedUnavailable(f"`unshare --user --map-root-user --net` helper gave no sockets: "
                                 f"{exc}") from exc
    if msg != b"ok" or len(fds) != 4:
        for fd in fds:
            os.close(fd)
        proc.wait(timeout=10)
        stderr = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        parent.close()
        reason = msg.decode(errors="replace") or stderr or f"exit {proc.returncode}"
        raise TestBedUnavailable(f"not root (euid {os.geteuid()}); `unshare --user --map-root-user --net` "
                                 f"(unprivileged user namespace) failed: {reason}")
    return [socket.socket(fileno=fd) for fd in fds], proc, parent


@contextlib.asynccontextmanager
async def veth_pair(name_prefix: str = "slac", *, method: str = "auto") -> AsyncIterator[VethPair]:
    """A veth pair in a private network namespace: ``async with veth_pair("t") as (ev, evse)``.

    ``method``: "ip-netns" (root), "unshare" (unprivileged user namespace) or "auto" (the first
    when root). The namespace is removed on exit whatever happens. Raises TestBedUnavailable.
    """
    if method not in ("auto", "ip-netns", "unshare"):
        raise ValueError(f"method must be auto, ip-netns or unshare, not {method!r}")
    use_ip = method == "ip-netns" or (method == "auto" and os.geteuid() == 0)
    netns = f"{name_prefix}-{os.getpid()}-{next(_counter)}"
    helper: tuple[subprocess.Popen[bytes], socket.socket] | None = None
    if use_ip:
        socks = await asyncio.to_thread(_build_ip_netns, netns)
    else:
        socks, proc, chan = await asyncio.to_thread(_build_unshare)
        helper = (proc, chan)
        netns = f"unshare:{proc.pid}"
    bed = VethPair(netns, socks[0], socks[1], (socks[2], socks[3]), "ip netns" if use_ip else "unshare")
    loop = asyncio.get_running_loop()
    bed._start(loop)
    try:
        yield bed
    finally:
        bed._close(loop)
        if helper is not None:
            proc, chan = helper
            chan.close()  # the helper's recv returns; it exits and its namespace goes with it
            try:
                await asyncio.to_thread(proc.wait, 10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stderr:
                proc.stderr.close()
        else:
            await asyncio.to_thread(_delete_netns, netns)


def _delete_netns(netns: str) -> None:
    proc = subprocess.run(["ip", "netns", "del", netns], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0 and os.path.exists(f"/run/netns/{netns}"):
        raise RuntimeError(f"`ip netns del {netns}` failed (exit {proc.returncode}): {proc.stderr.strip()}")
