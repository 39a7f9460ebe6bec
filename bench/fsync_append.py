#!/usr/bin/env python3
"""Latency of a small append + fdatasync, by how the file's space was set up.

Why the Raft log has its own journal (crates/iam-storage/src/journal.rs): RocksDB's WAL is
preallocated with FALLOC_FL_KEEP_SIZE, so every append grows the file and every fdatasync
also commits the new size; a file allocated at its full size up front (as etcd's WAL
segments are, and as the journal's are) does not.

    python3 bench/fsync_append.py [DIR] [APPENDS]

DIR (default /var/tmp) should be on the disk the data dirs use. Prints p50/p90 in
microseconds for each of four passes over the four layouts, alternated.
"""
import ctypes
import os
import sys
import time

libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
FALLOC_FL_KEEP_SIZE = 1
RECORD = b"x" * 350


def run(path, layout, n):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        size = n * (len(RECORD) + 50) + 4096
        if layout == "keep-size (RocksDB WAL)":
            if libc.fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size) != 0:
                raise OSError(ctypes.get_errno(), "fallocate")
        elif layout == "full size (etcd, journal)":
            if libc.fallocate(fd, 0, 0, size) != 0:
                raise OSError(ctypes.get_errno(), "fallocate")
        elif layout == "already written":
            os.write(fd, b"\1" * size)
            os.lseek(fd, 0, 0)
        os.fsync(fd)
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            os.write(fd, RECORD)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return lat[n // 2] * 1e6, lat[int(n * 0.9)] * 1e6


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    path = os.path.join(base, f"fsync-append-{os.getpid()}.dat")
    layouts = ["growing", "keep-size (RocksDB WAL)", "full size (etcd, journal)", "already written"]
    results = {layout: [] for layout in layouts}
    for _ in range(4):
        for layout in layouts:
            results[layout].append(run(path, layout, n))
    for layout in layouts:
        passes = "  ".join(f"{p50:5.0f}/{p90:4.0f}" for p50, p90 in results[layout])
        print(f"{layout:27s} {passes}   (p50/p90 us per pass)")


if __name__ == "__main__":
    main()
