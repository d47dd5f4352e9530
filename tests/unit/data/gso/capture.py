#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""capture.py - record how the Linux kernel segments and checksums
super-frames, as test vectors for src/proto/gso.c (tests/unit/test_gso.c)
and seeds for tests/fuzz/fuzz_gso.c.

Needs root, /dev/net/tun, `ip` and a kernel with USO (>= 6.2); python3
standard library only.  Every namespace it makes (gsocap-<pid>-*) is deleted
on exit.  Usage:

    tests/unit/data/gso/capture.py [--out DIR] [--corpus DIR]

Stage 1: super-frames from the kernel's own stack.  Two namespaces, S and R,
each hold a tap opened with IFF_VNET_HDR and every offload
(TUNSETOFFLOAD CSUM|TSO4|TSO6|ECN|UFO|USO4|USO6); this script relays frames
between the two fds, so real TCP connections and UDP flows run from S to R,
and keeps what S's tap hands out: TSO super-frames (IPv4, IPv6, with and
without TCP timestamps, with a FIN), USO ones (UDP_SEGMENT) and frames
carrying only a partial checksum (small TCP and UDP sends).

Variants are derived from those by hand where the stack will not make them
on demand (this kernel has no 8021q module, UFO is gone from the stack):
VLAN and QinQ tags, IPv4 options, IPv6 extension headers, CWR with the ECN
GSO flag, odd and exact gso_size, junk in the pseudo-header sum, UFO over
IPv4 and IPv6, a checksum that folds to zero, and frames the kernel refuses.

Stage 2: the kernel's answer.  A third namespace holds a Linux bridge over
two taps: A (IFF_VNET_HDR) and B (IFF_VNET_HDR, TUNSETOFFLOAD 0).  Each
vnet header + super-frame is written to A; the bridge floods it to B, which
takes no offloads, so the kernel segments it (skb_gso_segment) and finishes
checksums (skb_checksum_help) on the way out.  What B yields up to a marker
frame written after it is the expected output; nothing at all means the
kernel dropped the frame, a failed write that it refused it.

Vector files (DIR/<name>.vec), integers little-endian:

    magic      8 bytes   "LYGSOV1\\n"
    desc_len   u32, then desc_len bytes of ASCII: what the case is
    skip_off   u32  \\ bytes [skip_off, skip_off + skip_len) of every output
    skip_len   u32  / segment are not compared (IPv6 UFO: the random
                      fragment id); 0, 0 for none
    in_len     u32, then in_len bytes: 10-byte virtio_net_hdr + super-frame
    n_segs     u32  0: the kernel refused or dropped the frame
    n_segs x { u32 len, then len bytes }: each frame read from B, in order
               (B's own virtio_net_hdr is checked to ask for no work, not kept)

The inputs (vnet header + frame) of the smaller vectors and of every refused
one are also written to the --corpus directory, one file each, as fuzz
seeds, with a few runts made here.
"""

import argparse
import ctypes
import fcntl
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
TUNSETVNETHDRSZ = 0x400454D8
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
OFFLOAD_ALL = 0x7F  # TUN_F_CSUM|TSO4|TSO6|TSO_ECN|UFO|USO4|USO6
CLONE_NEWNET = 0x40000000
SOL_UDP, UDP_SEGMENT = 17, 103

GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4 = 0, 1, 3, 4, 5
GSO_ECN = 0x80
F_NEEDS_CSUM = 1
VNET_LEN = 10

MAC_S = bytes.fromhex("020000000001")
MAC_R = bytes.fromhex("020000000002")
MAC_MARK = bytes.fromhex("02000000ffff")
ETH_MARK = 0x88B5  # IEEE local experimental ethertype

MAGIC = b"LYGSOV1\n"
CORPUS_MAX = 3500  # inputs up to this size, and the refused ones, seed fuzzing

libc = ctypes.CDLL(None, use_errno=True)
HOME_NS = os.open("/proc/self/ns/net", os.O_RDONLY)
PREFIX = "gsocap-%d-" % os.getpid()
NAMESPACES = []  # made here, deleted by main() whatever happens


def netns_add(name):
    sh("ip", "netns", "add", name)
    NAMESPACES.append(name)


def netns_del_all():
    while NAMESPACES:
        subprocess.run(["ip", "netns", "del", NAMESPACES.pop()])


def sh(*args):
    subprocess.run(args, check=True)


def enter_ns(name):
    """Move this (single-threaded) process into netns @name, None = home."""
    fd = os.open("/run/netns/" + name, os.O_RDONLY) if name else HOME_NS
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (name, os.strerror(err)))
    finally:
        if name:
            os.close(fd)


def in_ns(name, fn, *args):
    enter_ns(name)
    try:
        return fn(*args)
    finally:
        enter_ns(None)


def tap_open(name, offloads):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH22x", name.encode(),
                      IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    fcntl.ioctl(fd, TUNSETVNETHDRSZ, struct.pack("i", VNET_LEN))
    fcntl.ioctl(fd, TUNSETOFFLOAD, offloads)
    return fd


# --- Internet checksum arithmetic, for building frames -------------------

def ocsum(data, start=0):
    """One's complement sum of @data as big-endian words, folded, plus
    @start; 0 only when everything is zero."""
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip4_fix(ip):
    """@ip (an IPv4 header) with its checksum recomputed."""
    ip = ip[:10] + b"\0\0" + ip[12:]
    return ip[:10] + struct.pack("!H", 0xFFFF - ocsum(ip)) + ip[12:]


def pseudo_sum(frame, l3, l4_len, proto):
    """The folded pseudo-header sum a stack leaves in the L4 checksum field
    for CHECKSUM_PARTIAL."""
    if frame[l3] >> 4 == 4:
        ph = frame[l3 + 12:l3 + 20] + struct.pack("!BBH", 0, proto, l4_len)
    else:
        ph = frame[l3 + 8:l3 + 40] + struct.pack("!IxxxB", l4_len, proto)
    return ocsum(ph)


# --- Frames and vnet headers ----------------------------------------------

class Frame:
    """A vnet header and a frame, with the offsets the variants need."""

    def __init__(self, vnet, frame):
        (self.flags, self.gso_type, self.hdr_len, self.gso_size,
         self.csum_start, self.csum_offset) = struct.unpack("<BBHHHH", vnet)
        self.frame = bytearray(frame)

    def vnet(self):
        return struct.pack("<BBHHHH", self.flags, self.gso_type,
                           self.hdr_len, self.gso_size, self.csum_start,
                           self.csum_offset)

    def raw(self):
        return self.vnet() + bytes(self.frame)

    def copy(self):
        return Frame(self.vnet(), bytes(self.frame))

    def l3(self):
        off = 12
        while self.frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8",
                                          b"\x91\x00"):
            off += 4
        return off + 2

    def is_ipv4(self):
        return self.frame[self.l3()] >> 4 == 4

    def l4_len(self):
        return len(self.frame) - self.csum_start

    def shift(self, delta):
        """Bytes were inserted before L4: keep the offsets right."""
        self.csum_start += delta
        if self.hdr_len:
            self.hdr_len += delta

    def set_l3_len(self):
        """Rewrite tot_len / payload_len (and the IPv4 checksum)."""
        l3 = self.l3()
        if self.is_ipv4():
            self.frame[l3 + 2:l3 + 4] = struct.pack(
                "!H", len(self.frame) - l3)
            ihl = (self.frame[l3] & 15) * 4
            self.frame[l3:l3 + ihl] = ip4_fix(bytes(self.frame[l3:l3 + ihl]))
        else:
            self.frame[l3 + 4:l3 + 6] = struct.pack(
                "!H", len(self.frame) - l3 - 40)

    def tcp_payload(self):
        doff = (self.frame[self.csum_start + 12] >> 4) * 4
        return len(self.frame) - self.csum_start - doff

    def segs(self):
        pay = (self.tcp_payload() if self.gso_type & 0x7F in
               (GSO_TCPV4, GSO_TCPV6) else self.l4_len() - 8)
        return -(-pay // self.gso_size) if self.gso_size else 0


def insert_tag(f, tpid, tci):
    g = f.copy()
    g.frame[12:12] = struct.pack("!HH", tpid, tci)
    g.shift(4)
    return g


# --- Stage 1: the kernel's own super-frames -------------------------------

class Pair:
    """Namespaces S and R joined by two taps and this process's relay."""

    def __init__(self):
        self.ns_s, self.ns_r = PREFIX + "s", PREFIX + "r"
        for ns in (self.ns_s, self.ns_r):
            netns_add(ns)
        self.fd_s = in_ns(self.ns_s, tap_open, "s0", OFFLOAD_ALL)
        self.fd_r = in_ns(self.ns_r, tap_open, "r0", OFFLOAD_ALL)
        for ns, dev, me, mac, peer, pmac in (
                (self.ns_s, "s0", 1, MAC_S, 2, MAC_R),
                (self.ns_r, "r0", 2, MAC_R, 1, MAC_S)):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "address", mac.hex(":"),
               "up")
            sh("ip", "-n", ns, "addr", "add", "10.77.0.%d/24" % me, "dev",
               dev)
            sh("ip", "-n", ns, "-6", "addr", "add", "fd77::%d/64" % me,
               "dev", dev, "nodad")
            for addr in ("10.77.0.%d" % peer, "fd77::%d" % peer):
                sh("ip", "-n", ns, "neigh", "replace", addr, "lladdr",
                   pmac.hex(":"), "dev", dev, "nud", "permanent")
        self.frames = []
        self.sockets = {}  # fd object -> handler()

    def close(self):
        for fd in (self.fd_s, self.fd_r):
            os.close(fd)
        netns_del_all()

    def sysctl(self, ns, *settings):
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", *settings)

    def pump(self, until, timeout=3.0):
        """Relay frames until until() holds; keep S's offloaded frames."""
        end = time.time() + timeout
        while not until():
            if time.time() > end:
                raise RuntimeError("capture: timed out")
            rd, _, _ = select.select([self.fd_s, self.fd_r] +
                                     list(self.sockets), [], [], 0.05)
            for fd in rd:
                if fd in self.sockets:
                    self.sockets[fd]()
                    continue
                data = os.read(fd, 70000)
                if fd == self.fd_s and (data[0] & F_NEEDS_CSUM or data[1]):
                    self.frames.append(Frame(data[:VNET_LEN],
                                             data[VNET_LEN:]))
                os.write(self.fd_r if fd == self.fd_s else self.fd_s, data)

    def settle(self, seconds=0.2):
        end = time.time() + seconds
        try:
            self.pump(lambda: time.time() > end, seconds + 1)
        except RuntimeError:
            pass

    def tcp(self, family, mss, chunks, fin=False, port=5000):
        """Connect S to R and send @chunks (one send each, TCP_NODELAY),
        corked into one write when @fin; returns S's frames after the
        handshake."""
        addr = ("fd77::2" if family == socket.AF_INET6 else "10.77.0.2",
                port)
        lsock = in_ns(self.ns_r, socket.socket, family)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        lsock.bind(addr)
        lsock.listen()
        lsock.setblocking(False)
        csock = in_ns(self.ns_s, socket.socket, family)
        csock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        csock.setblocking(False)
        state = {"conn": None, "got": 0, "eof": False}

        def accept():
            state["conn"], _ = lsock.accept()
            state["conn"].setblocking(False)
            self.sockets[state["conn"]] = receive

        def receive():
            d = state["conn"].recv(1 << 20)
            state["got"] += len(d)
            state["eof"] |= not d
            if not d:
                del self.sockets[state["conn"]]

        self.sockets[lsock] = accept
        try:
            csock.connect(addr)
        except BlockingIOError:
            pass
        self.pump(lambda: state["conn"] is not None)
        self.settle(0.1)
        self.frames = []
        total = sum(len(c) for c in chunks)
        if fin:
            csock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        for c in chunks:
            csock.send(c)
        if fin:
            csock.shutdown(socket.SHUT_WR)
        self.pump(lambda: state["got"] >= total and
                  (state["eof"] or not fin))
        self.settle()
        frames = self.frames
        self.sockets.pop(state["conn"], None)
        del self.sockets[lsock]
        for s in (csock, state["conn"], lsock):
            s.close()
        self.settle()
        return frames

    def udp(self, family, payloads, gso_size=0, port=6000):
        """Send @payloads from S to R, with UDP_SEGMENT when @gso_size."""
        addr = ("fd77::2" if family == socket.AF_INET6 else "10.77.0.2",
                port)
        rsock = in_ns(self.ns_r, socket.socket, family, socket.SOCK_DGRAM)
        rsock.bind(addr)
        rsock.setblocking(False)
        ssock = in_ns(self.ns_s, socket.socket, family, socket.SOCK_DGRAM)
        if gso_size:
            ssock.setsockopt(SOL_UDP, UDP_SEGMENT, gso_size)
        want = sum(-(-len(p) // gso_size) if gso_size else 1
                   for p in payloads)
        got = [0]

        def receive():
            rsock.recv(65536)
            got[0] += 1

        self.sockets[rsock] = receive
        self.frames = []
        for p in payloads:
            ssock.sendto(p, addr)
        self.pump(lambda: got[0] >= want)
        del self.sockets[rsock]
        frames = self.frames
        rsock.close()
        ssock.close()
        return frames


def pick(frames, what, gso_type, segs=(3, 10)):
    """The first of @frames with @gso_type and a segment count in @segs."""
    for f in frames:
        if f.gso_type != gso_type:
            continue
        if gso_type == GSO_NONE or segs[0] <= f.segs() <= segs[1]:
            return f
    raise RuntimeError("capture: no %s frame among %d: %s" % (
        what, len(frames), [(f.gso_type, f.gso_size, len(f.frame))
                            for f in frames]))


def stage1(rng):
    """Real frames from the kernel's stack, by name."""
    pair = Pair()
    got = {}
    try:
        data = rng.randbytes(16384)
        v4, v6 = socket.AF_INET, socket.AF_INET6
        got["tcp4_ts"] = pick(pair.tcp(v4, 1000, [data[:5000]]),
                              "TSO4", GSO_TCPV4)
        got["tcp4_fin"] = pick(pair.tcp(v4, 700, [data[:3000]], fin=True,
                                        port=5001), "TSO4+FIN", GSO_TCPV4)
        got["tcp6_ts"] = pick(pair.tcp(v6, 1200, [data[:7001]], port=5002),
                              "TSO6", GSO_TCPV6)
        pair.sysctl(pair.ns_s, "net.ipv4.tcp_timestamps=0")
        got["tcp4_nots"] = pick(pair.tcp(v4, 900, [data[:4500]],
                                         port=5003), "TSO4", GSO_TCPV4)
        got["tcp6_nots"] = pick(pair.tcp(v6, 1100, [data[:3333]],
                                         port=5004), "TSO6", GSO_TCPV6)
        small = pair.tcp(v4, 1000, [data[:333]], port=5005)
        got["csum_tcp4"] = pick(small, "TCPv4 partial checksum", GSO_NONE)
        small = pair.tcp(v6, 1000, [data[:77]], port=5006)
        got["csum_tcp6"] = pick(small, "TCPv6 partial checksum", GSO_NONE)
        got["uso4"] = pick(pair.udp(v4, [data[:4100]], 1000),
                           "USO4", GSO_UDP_L4)
        got["uso6"] = pick(pair.udp(v6, [data[:2900]], 600, port=6001),
                           "USO6", GSO_UDP_L4)
        got["csum_udp4"] = pick(pair.udp(v4, [data[:101]], port=6002),
                                "UDPv4 partial checksum", GSO_NONE)
        got["csum_udp6"] = pick(pair.udp(v6, [data[:200]], port=6003),
                                "UDPv6 partial checksum", GSO_NONE)
    finally:
        pair.close()
    return got


# --- Variants --------------------------------------------------------------

def with_ip4_options(f):
    """Router Alert (RFC 2113) in the IPv4 header: ihl 6."""
    g = f.copy()
    l3 = g.l3()
    g.frame[l3 + 20:l3 + 20] = bytes([0x94, 0x04, 0, 0])
    g.frame[l3] = 0x46
    g.shift(4)
    g.set_l3_len()
    return g


def with_ip6_exthdrs(f):
    """Hop-by-hop options then destination options (PadN each) before
    TCP: the two ipv6_gso_pull_exthdrs() skips."""
    g = f.copy()
    l3 = g.l3()
    nxt = g.frame[l3 + 6]
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])
    dst = bytes([nxt, 0, 1, 4, 0, 0, 0, 0])
    g.frame[l3 + 40:l3 + 40] = hbh + dst
    g.frame[l3 + 6] = 0
    g.shift(16)
    g.set_l3_len()
    return g


def with_tcp_flags(f, flags, gso_ecn):
    g = f.copy()
    g.frame[g.csum_start + 13] |= flags
    if gso_ecn:
        g.gso_type |= GSO_ECN
    return g


def with_gso_ecn(f):
    g = f.copy()
    g.gso_type |= GSO_ECN
    return g


def with_check(f, value):
    g = f.copy()
    o = g.csum_start + g.csum_offset
    g.frame[o:o + 2] = struct.pack("!H", value)
    return g


def with_gso_size(f, size):
    g = f.copy()
    g.gso_size = size
    return g


def ufo_frame(rng, ipv6, payload_len, gso_size, df=True):
    """A UFO super-frame such as a guest sends: one UDP datagram, the
    pseudo-header sum in its checksum field."""
    payload = rng.randbytes(payload_len)
    udp = struct.pack("!HHHH", 4000, 4001, 8 + payload_len, 0) + payload
    if ipv6:
        ip = struct.pack("!IHBB16s16s", 0x60000000, len(udp), 17, 64,
                         socket.inet_pton(socket.AF_INET6, "fd77::1"),
                         socket.inet_pton(socket.AF_INET6, "fd77::2"))
        eth = MAC_R + MAC_S + b"\x86\xdd"
    else:
        ip = ip4_fix(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp),
                                 0x4242, 0x4000 if df else 0, 64, 17, 0,
                                 bytes([10, 77, 0, 1]),
                                 bytes([10, 77, 0, 2])))
        eth = MAC_R + MAC_S + b"\x08\x00"
    frame = bytearray(eth + ip + udp)
    l4 = len(eth) + len(ip)
    frame[l4 + 6:l4 + 8] = struct.pack(
        "!H", pseudo_sum(frame, len(eth), len(udp), 17))
    vnet = struct.pack("<BBHHHH", F_NEEDS_CSUM, GSO_UDP, l4 + 8, gso_size,
                       l4, 6)
    return Frame(vnet, frame)


def csum_to_zero(f):
    """Change two payload bytes so the finished checksum folds to zero (the
    kernel then writes 0xffff)."""
    g = f.copy()
    start = g.csum_start
    pos = start + ((len(g.frame) - start - 2) & ~1)
    total = ocsum(bytes(g.frame[start:]))
    word = struct.unpack("!H", g.frame[pos:pos + 2])[0]
    need = (0xFFFF - total) % 0xFFFF
    s = word + need
    g.frame[pos:pos + 2] = struct.pack("!H", (s & 0xFFFF) + (s >> 16))
    assert ocsum(bytes(g.frame[start:])) == 0xFFFF
    return g


def exact_size(payload):
    """A gso_size between 500 and 1499 that divides @payload."""
    for size in range(1499, 499, -1):
        if payload % size == 0:
            return size
    raise RuntimeError("capture: no gso_size divides %d" % payload)


def variants(got, rng):
    """(name, description, Frame, skip) for every case: captured frames
    as they are, then derived ones."""
    t4, t6 = got["tcp4_ts"], got["tcp6_ts"]
    out = [
        ("tcp4_ts", "TSO4 from the stack, TCP timestamps", t4),
        ("tcp4_fin", "TSO4 from the stack, FIN|PSH on the last",
         got["tcp4_fin"]),
        ("tcp4_nots", "TSO4 from the stack, no TCP options",
         got["tcp4_nots"]),
        ("tcp6_ts", "TSO6 from the stack, TCP timestamps, short tail", t6),
        ("tcp6_nots", "TSO6 from the stack, no TCP options",
         got["tcp6_nots"]),
        ("uso4", "USO over IPv4 from the stack (UDP_SEGMENT)", got["uso4"]),
        ("uso6", "USO over IPv6 from the stack (UDP_SEGMENT)", got["uso6"]),
        ("csum_tcp4", "partial checksum, TCPv4, from the stack",
         got["csum_tcp4"]),
        ("csum_tcp6", "partial checksum, TCPv6, from the stack",
         got["csum_tcp6"]),
        ("csum_udp4", "partial checksum, UDPv4, odd length, from the stack",
         got["csum_udp4"]),
        ("csum_udp6", "partial checksum, UDPv6, from the stack",
         got["csum_udp6"]),
        ("csum_udp4_zero", "partial checksum, UDPv4, sum folds to zero",
         csum_to_zero(got["csum_udp4"])),
        ("csum_tcp4_zero", "partial checksum, TCPv4, sum folds to zero",
         csum_to_zero(got["csum_tcp4"])),
        ("tcp4_vlan", "TSO4 with an 802.1Q tag",
         insert_tag(t4, 0x8100, 0x2005)),
        ("tcp6_qinq", "TSO6 with 802.1ad then 802.1Q tags",
         insert_tag(insert_tag(t6, 0x8100, 0x0007), 0x88A8, 0x0064)),
        ("uso6_vlan", "USO6 with an 802.1Q tag",
         insert_tag(got["uso6"], 0x8100, 0xE00A)),
        ("tcp4_ipopt", "TSO4 with an IPv4 option (ihl 6)",
         with_ip4_options(t4)),
        ("tcp6_exthdr", "TSO6 behind hop-by-hop and destination options",
         with_ip6_exthdrs(got["tcp6_nots"])),
        ("tcp4_cwr_ecn", "TSO4, CWR|ECE and the ECN GSO flag",
         with_tcp_flags(t4, 0xC0, True)),
        ("tcp6_cwr", "TSO6, CWR without the ECN GSO flag",
         with_tcp_flags(got["tcp6_nots"], 0x80, False)),
        ("tcp4_odd_mss", "TSO4, odd gso_size", with_gso_size(t4, 777)),
        ("tcp4_exact_mss", "TSO4, payload a multiple of gso_size",
         with_gso_size(t4, exact_size(t4.tcp_payload()))),
        ("tcp4_junk_check", "TSO4, 0x0000 in the pseudo-header sum",
         with_check(t4, 0x0000)),
        ("tcp6_junk_check", "TSO6, 0xffff in the pseudo-header sum",
         with_check(t6, 0xFFFF)),
        ("uso4_junk_check", "USO4, junk in the pseudo-header sum",
         with_check(got["uso4"], 0x1234)),
        ("tcp4_one_seg", "TSO4 whose payload fits one segment: "
         "only the checksum is finished",
         with_gso_size(t4, t4.tcp_payload() + 100)),
        ("ufo4", "UFO over IPv4, DF set", ufo_frame(rng, False, 4000, 1480)),
        ("ufo4_ecn", "UFO over IPv4, ECN GSO flag, no DF",
         with_gso_ecn(ufo_frame(rng, False, 2500, 1000, df=False))),
        ("ufo4_unaligned", "UFO over IPv4, gso_size not a multiple of 8",
         ufo_frame(rng, False, 3000, 1001)),
        ("ufo4_ipopt", "UFO over IPv4 with an IPv4 option (ihl 6)",
         with_ip4_options(ufo_frame(rng, False, 2000, 1480))),
        ("ufo6", "UFO over IPv6 (fragment ids are random)",
         ufo_frame(rng, True, 4000, 1448)),
        ("ufo6_vlan", "UFO over IPv6 with an 802.1Q tag",
         insert_tag(ufo_frame(rng, True, 2000, 1448), 0x8100, 0x0064)),
    ]
    out += refused(got)
    return out


def refused(got):
    """Frames the kernel refuses or drops."""
    t4, t6 = got["tcp4_ts"], got["tcp6_ts"]
    fits = t4.copy()
    # payload <= gso_size < payload + options: treated as GSO by the tap,
    # then tcp_gso_segment() finds nothing to cut.
    fits.gso_size = t4.tcp_payload() + 4
    short = t4.copy()
    short.frame = short.frame[:short.csum_start + 18]
    short.hdr_len = 0
    v4_on_6 = t6.copy()
    v4_on_6.gso_type = GSO_TCPV4
    moved = t4.copy()
    moved.csum_start += 4
    # UDP_MAX_SEGMENTS is 128: one segment more is refused.
    pay = got["uso4"].l4_len() - 8
    over = with_gso_size(got["uso4"], pay // 128)
    assert over.segs() > 128
    most = with_gso_size(got["uso4"], -(-pay // 128))
    uso_ecn = got["uso4"].copy()
    uso_ecn.gso_type |= GSO_ECN
    zero = t4.copy()
    zero.gso_size = 0
    hdr = t4.copy()
    hdr.hdr_len = len(hdr.frame) + 1
    return [
        ("bad_tcp4_fits_options", "TSO4, payload fits one segment but "
         "not with the options counted", fits),
        ("bad_tcp4_truncated", "TSO4 cut inside the TCP header", short),
        ("bad_tcpv4_on_ipv6", "GSO TCPV4 on an IPv6 frame", v4_on_6),
        ("bad_csum_start", "TSO4, csum_start 4 bytes into TCP", moved),
        ("bad_uso_too_many", "USO4 with %d segments, over "
         "UDP_MAX_SEGMENTS" % over.segs(), over),
        ("uso4_many_segs", "USO4 with %d segments" % most.segs(), most),
        ("bad_uso_ecn", "USO4 with the ECN GSO flag", uso_ecn),
        ("bad_gso_size_zero", "TSO4 with gso_size 0", zero),
        ("bad_hdr_len", "TSO4 with hdr_len past the frame", hdr),
    ]


# --- Stage 2: the kernel's segmentation ------------------------------------

class Bridge:
    """Namespace B: br0 over tap A (vnet header) and tap B (no offloads)."""

    def __init__(self):
        self.ns = PREFIX + "b"
        netns_add(self.ns)
        sh("ip", "netns", "exec", self.ns, "sysctl", "-qw",
           "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        self.fd_a = in_ns(self.ns, tap_open, "a0", OFFLOAD_ALL)
        self.fd_b = in_ns(self.ns, tap_open, "b0", 0)
        sh("ip", "-n", self.ns, "link", "add", "br0", "type", "bridge",
           "stp_state", "0", "mcast_snooping", "0")
        sh("ip", "-n", self.ns, "link", "set", "br0", "multicast", "off",
           "arp", "off")
        for dev in ("a0", "b0"):
            # Frames left whole (a partial checksum only) must not meet
            # an MTU on the way.
            sh("ip", "-n", self.ns, "link", "set", dev, "mtu", "65521",
               "master", "br0")
        for dev in ("a0", "b0", "br0"):
            sh("ip", "-n", self.ns, "link", "set", dev, "up")
        self.seq = 0
        time.sleep(0.1)
        self.drain()

    def close(self):
        os.close(self.fd_a)
        os.close(self.fd_b)
        netns_del_all()

    def drain(self):
        for fd in (self.fd_a, self.fd_b):
            while True:
                try:
                    os.read(fd, 70000)
                except BlockingIOError:
                    break

    def segment(self, raw):
        """What B yields for @raw written to A: a list of frames, or None
        when the write itself is refused."""
        self.drain()
        self.seq += 1
        mark = (MAC_R + MAC_MARK + struct.pack("!HI", ETH_MARK, self.seq) +
                bytes(42))
        try:
            os.write(self.fd_a, raw)
            refused = False
        except OSError:
            refused = True
        os.write(self.fd_a, bytes(VNET_LEN) + mark)
        segs, end = [], time.time() + 2
        while time.time() < end:
            rd, _, _ = select.select([self.fd_b], [], [], 0.1)
            if not rd:
                continue
            data = os.read(self.fd_b, 70000)
            frame = data[VNET_LEN:]
            if frame == mark:
                if refused:
                    assert not segs
                    return None
                return segs
            if frame[6:12] != raw[VNET_LEN + 6:VNET_LEN + 12]:
                continue  # the bridge's own chatter
            # DATA_VALID (CHECKSUM_UNNECESSARY, after UFO) is fine.
            if data[0] & ~2 or data[1:VNET_LEN] != bytes(VNET_LEN - 1):
                raise RuntimeError("capture: tap B handed out offload "
                                   "work: %s" % data[:VNET_LEN].hex())
            segs.append(frame)
        raise RuntimeError("capture: the marker frame never came")


def ufo6_skip(segs):
    """The fragment id of IPv6 UFO: where it is in each segment."""
    if not segs:
        return 0, 0
    f = Frame(bytes(VNET_LEN), segs[0])
    return f.l3() + 40 + 4, 4


def write_vector(path, desc, skip, raw, segs):
    with open(path, "wb") as out:
        out.write(MAGIC)
        d = desc.encode("ascii")
        out.write(struct.pack("<I", len(d)) + d)
        out.write(struct.pack("<II", *skip))
        out.write(struct.pack("<I", len(raw)) + raw)
        out.write(struct.pack("<I", len(segs)))
        for s in segs:
            out.write(struct.pack("<I", len(s)) + s)


def hostile_seeds():
    """Extra fuzz seeds no kernel run is needed for: runts and lies."""
    base = struct.pack("<BBHHHH", F_NEEDS_CSUM, GSO_TCPV4, 54, 1000, 34,
                       16)
    return {
        "hostile_empty": b"",
        "hostile_vnet_only": base[:VNET_LEN],
        "hostile_eth_only": base[:VNET_LEN] + MAC_R + MAC_S + b"\x08\x00",
        "hostile_tags_only": base[:VNET_LEN] + MAC_R + MAC_S +
        b"\x81\x00\x00\x05" * 6 + b"\x88\xa8",
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", "..", "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=here)
    ap.add_argument("--corpus",
                    default=os.path.join(root, "tests", "fuzz", "corpus",
                                         "gso"))
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("capture.py: needs root (namespaces, taps)")
    try:
        run(args)
    finally:
        netns_del_all()


def run(args):
    rng = random.Random(20240607)
    cases = variants(stage1(rng), rng)
    os.makedirs(args.corpus, exist_ok=True)
    bridge = Bridge()
    total = 0
    try:
        for name, desc, f in cases:
            raw = f.raw()
            segs = bridge.segment(raw)
            verdict = ("refused the write" if segs is None else
                       "dropped it" if not segs else
                       "%d frame(s)" % len(segs))
            segs = segs or []
            if segs and f.gso_type & 0x7F == GSO_UDP and not f.is_ipv4():
                skip = ufo6_skip(segs)
            else:
                skip = (0, 0)
            if not segs:
                desc += " (the kernel %s)" % verdict
            path = os.path.join(args.out, name + ".vec")
            write_vector(path, desc, skip, raw, segs)
            total += os.path.getsize(path)
            print("%-24s gso %#04x size %5d len %5d -> %s" % (
                name, f.gso_type, f.gso_size, len(f.frame), verdict))
            if len(raw) <= CORPUS_MAX or name.startswith("bad_"):
                with open(os.path.join(args.corpus, name), "wb") as out:
                    out.write(raw)
    finally:
        bridge.close()
    for name, raw in hostile_seeds().items():
        with open(os.path.join(args.corpus, name), "wb") as out:
            out.write(raw)
    print("%d vectors, %d bytes" % (len(cases), total))


if __name__ == "__main__":
    main()
