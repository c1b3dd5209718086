"""What `synchronous=FULL` costs on SQLite (JOINTOPS_SQLITE_SYNCHRONOUS): writes per second.

    .venv/bin/python bench/sqlite_sync.py [--seconds 5] [--writers 1] [--dir DIR]

For NORMAL, then FULL, on a fresh database file in DIR (default: a temporary directory
on the same disk as the repository's var/, where the default database lives: tmpfs
would hide the fsync), through app.db.make_engine as the app opens it (WAL): one
write transaction after another for `--seconds`, each inserting one 200-byte row and
updating a counter (a small board write), from `--writers` threads. Prints commits per
second and the p50/p99 commit latency.

In WAL mode NORMAL syncs at checkpoints only: a power loss can lose the last commits
(never corrupts the file). FULL syncs the WAL at every commit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.db import make_engine  # noqa: E402


def run(mode: str, seconds: float, writers: int, folder: Path) -> tuple[float, float, float]:
    os.environ["JOINTOPS_SQLITE_SYNCHRONOUS"] = mode
    get_settings.cache_clear()
    path = folder / f"sync-{mode.lower()}.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == {"NORMAL": 1, "FULL": 2}[mode]
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
        conn.execute(text("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    latencies: list[float] = []
    lock = threading.Lock()

    def writer() -> None:
        until = time.perf_counter() + seconds
        mine = []
        while time.perf_counter() < until:
            began = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO rows (body) VALUES (:b)"), {"b": "x" * 200})
                conn.execute(text("UPDATE counter SET n = n + 1"))
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    base = args.dir or ROOT / "var"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="sync-bench-") as folder:
        print(f"{args.writers} writer(s), {args.seconds:.0f} s each, files in {base}")
        for mode in ("NORMAL", "FULL"):
            rate, p50, p99 = run(mode, args.seconds, args.writers, Path(folder))
            print(f"synchronous={mode:6}  {rate:8.0f} writes/s  p50 {p50:6.2f} ms  "
                  f"p99 {p99:6.2f} ms")


if __name__ == "__main__":
    main()
