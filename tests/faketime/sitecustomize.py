"""Loaded by `make test-dates` only: lets Python sleep under Debian's libfaketime 0.9.10.

The suite runs there at other dates with FAKETIME_DONT_FAKE_MONOTONIC=1, so that timed
waits (locks, events) keep the real monotonic clock; without it they wait a year. In that
mode libfaketime's clock_nanosleep rejects the absolute monotonic deadline that CPython's
time.sleep passes (EINVAL), so sleeping here waits on a lock instead, which behaves.
"""

import os
import threading
import time

if os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        never_released = threading.Lock()
        never_released.acquire()
        never_released.acquire(timeout=seconds)

    time.sleep = _sleep
