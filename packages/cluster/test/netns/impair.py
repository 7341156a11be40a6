#!/usr/bin/env python3
"""
Packet-level impairment without `tc netem` (python3 stdlib only), for the network-namespace tests.

This kernel has no netem (CONFIG_NET_SCH_NETEM is not set), so a node's egress traffic is routed
through a TUN device instead (`lab.ts` sets up the routes): this program reads every IP packet the
node sends to its peers from the TUN device, drops each with probability LOSS, holds the others for
DELAY ms (first in, first out: a constant delay keeps the order), and writes them back to the device,
from where the kernel forwards them out of the node's veth. It is netem's `delay D loss P` on the
node's egress, done one packet at a time in userspace.

    impair.py tun DEVICE DELAY_MS LOSS SEED   prints {"ready": true}; on stdin EOF or SIGTERM prints
                                              {"forwarded": N, "dropped": M} and exits
    impair.py echo ADDRESS PORT               a UDP echo server (exits on stdin EOF)
    impair.py probe ADDRESS PORT COUNT        sends COUNT UDP datagrams one at a time (1 s to answer
                                              each), prints {"sent", "received", "rtt_ms": [...]}
"""
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def tun(device, delay_ms, loss, seed):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", device.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    rng = random.Random(seed)
    delay = delay_ms / 1000.0
    held = []  # (release time, arrival number, packet)
    stats = {"forwarded": 0, "dropped": 0}
    arrivals = 0

    def finish(*_):
        say(stats)
        os._exit(0)

    signal.signal(signal.SIGTERM, finish)
    say({"ready": True})
    stdin = sys.stdin.fileno()
    while True:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else 1.0
        readable, _, _ = select.select([fd, stdin], [], [], timeout)
        if stdin in readable and os.read(stdin, 4096) == b"":
            finish()
        if fd in readable:
            for _ in range(1000):
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                if rng.random() < loss:
                    stats["dropped"] += 1
                    continue
                arrivals += 1
                heapq.heappush(held, (time.monotonic() + delay, arrivals, packet))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, packet = heapq.heappop(held)
            try:
                os.write(fd, packet)
                stats["forwarded"] += 1
            except OSError:
                stats["dropped"] += 1


def echo(address, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, int(port)))
    say({"ready": True})
    stdin = sys.stdin.fileno()
    while True:
        readable, _, _ = select.select([s, stdin], [], [], 1.0)
        if stdin in readable and os.read(stdin, 4096) == b"":
            return
        if s in readable:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)


def probe(address, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    rtts = []
    for i in range(int(count)):
        payload = struct.pack("!I", i)
        start = time.monotonic()
        s.sendto(payload, (address, int(port)))
        deadline = start + 1.0
        while time.monotonic() < deadline:
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                break
            if data == payload:
                rtts.append(round((time.monotonic() - start) * 1000, 1))
                break
    say({"sent": int(count), "received": len(rtts), "rtt_ms": rtts})


if __name__ == "__main__":
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "tun":
        tun(rest[0], float(rest[1]), float(rest[2]), int(rest[3]))
    elif mode == "echo":
        echo(rest[0], rest[1])
    elif mode == "probe":
        probe(rest[0], rest[1], rest[2])
    else:
        sys.exit("usage: impair.py tun|echo|probe ...")
