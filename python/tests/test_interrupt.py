"""Ctrl-C during a long `analyze_batch` raises KeyboardInterrupt promptly, and the Analyzer
works afterwards."""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

# Runs in a subprocess: times a small batch to estimate the long one, then runs the long
# one until SIGINT arrives.
SCRIPT = r"""
import sys, time
import tolka

analyzer = tolka.Analyzer()
probe = "where is my order 113542617735902? I paid 499 kr"
before = analyzer.analyze(probe).to_dict()
texts = [f"order {i}: where is my parcel? it was due on Monday and I paid 49 EUR"
         for i in range(int(sys.argv[1]))]
sample = texts[:int(sys.argv[2])]
start = time.perf_counter()
analyzer.analyze_batch(sample)
estimate = (time.perf_counter() - start) * len(texts) / len(sample)
print(f"estimate {estimate:.3f}", flush=True)
print("start", flush=True)
start = time.perf_counter()
try:
    analyzer.analyze_batch(texts)
    print("finished", flush=True)
except KeyboardInterrupt:
    print(f"interrupted {time.perf_counter() - start:.3f}", flush=True)
after = analyzer.analyze(probe).to_dict()
print("same" if after == before else f"differ {before!r} {after!r}", flush=True)
print(f"again {len(analyzer.analyze_batch(texts[:64]))}", flush=True)
"""

TEXTS = 20_000
SAMPLE = 500


def test_ctrl_c_interrupts_a_long_batch():
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(TEXTS), str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line.strip()) for line in process.stdout], daemon=True
    ).start()

    def next_line(timeout):
        try:
            return lines.get(timeout=timeout)
        except queue.Empty:
            process.kill()
            raise AssertionError(f"no output in {timeout:.0f} s; stderr: {process.stderr.read()}")

    try:
        first = next_line(300)
        assert first.startswith("estimate"), f"{first}; stderr: {process.stderr.read()}"
        estimate = float(first.split()[1])
        # The check means something only when the whole batch takes well over the time
        # allowed below.
        assert estimate > 8, f"the batch is too short to interrupt: {estimate:.1f} s"
        assert next_line(60) == "start"
        time.sleep(1.5)
        os.kill(process.pid, signal.SIGINT)
        # Uninterrupted, the batch would end only after about `estimate` seconds.
        outcome = next_line(estimate * 3 + 60).split()
        assert outcome[0] == "interrupted", outcome
        elapsed = float(outcome[1])
        assert elapsed < 1.5 + estimate / 4, (
            f"KeyboardInterrupt came {elapsed:.1f} s into a batch of about {estimate:.1f} s: "
            "only when the batch ended"
        )
        # The analyzer works after the abandoned batch, with the same results.
        assert next_line(120) == "same"
        assert next_line(120) == "again 64"
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
