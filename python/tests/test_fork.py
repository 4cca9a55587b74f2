"""An Analyzer survives fork: the default `multiprocessing` start method on Linux, and what
gunicorn, uWSGI and Celery prefork do after the app has loaded its model.

Each child reports through a pipe; a child that gives no answer in time (the deadlock of a
thread pool inherited through fork) is killed and the test fails instead of hanging.
"""

import json
import multiprocessing
import os
import select
import signal
import time

import pytest

import tolka
from conftest import assert_close

TEXTS = [
    "where is my order 113542617735902?",
    "I want a refund for the blue shoes in size 42, they cost 499 kr",
    "cancel my subscription please",
    "the delivery was late and the box was damaged!",
    "do you ship to Norway? call me on 070-123 45 67",
    "hej, var är mitt paket? Jag beställde i måndags",
    "",
    "thanks, that was quick :)",
] * 3

# Seconds a child may take before it is taken for deadlocked (a healthy one needs a few).
TIMEOUT = 120


def analyses(analyzer, texts=TEXTS):
    return [a.to_dict() for a in analyzer.analyze_batch(texts)]


def run_in_fork(work):
    """`work()` in a child forked by `multiprocessing`; its result, or the test fails."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child():
        try:
            send.send(("ok", work()))
        except BaseException as e:  # noqa: BLE001 - any failure is reported to the parent
            send.send(("error", repr(e)))

    process = ctx.Process(target=child)
    process.start()
    send.close()
    try:
        if not receive.poll(TIMEOUT):
            pytest.fail(f"the forked child gave no result in {TIMEOUT} s (deadlocked)")
        status, value = receive.recv()
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
    assert status == "ok", value
    return value


@pytest.mark.parametrize("threads", [None, 2])
def test_inherited_analyzer_works_in_a_forked_child(model_dir, threads):
    analyzer = tolka.Analyzer(model_dir, threads=threads)
    # Used before the fork, so that its worker threads exist in the parent.
    expected = analyses(analyzer)
    expected_vectors = analyzer.embed(TEXTS[:4]).tolist()

    got, vectors, single = run_in_fork(
        lambda: (
            analyses(analyzer),
            analyzer.embed(TEXTS[:4]).tolist(),
            analyzer.analyze(TEXTS[0]).to_dict(),
        )
    )
    assert_close(got, expected)
    assert_close(vectors, expected_vectors, tol=1e-4)
    assert_close(single, expected[0])
    # The parent's analyzer is untouched.
    assert_close(analyses(analyzer), expected)


def test_new_analyzer_works_in_a_forked_child(analyzer, model_dir):
    expected = analyses(analyzer)
    got = run_in_fork(
        lambda: [
            analyses(tolka.Analyzer(model_dir)),
            analyses(tolka.Analyzer(model_dir, threads=2)),
        ]
    )
    assert_close(got, [expected, expected])


def test_grandchild_works(analyzer):
    """A worker that forks again (a pool inside a forked worker)."""
    expected = analyses(analyzer)
    got = run_in_fork(lambda: [analyses(analyzer), run_in_fork(lambda: analyses(analyzer))])
    assert_close(got, [expected, expected])


# The analyzer of the `multiprocessing.Pool` test, inherited by its forked workers.
_POOL_ANALYZER = None


def _pool_task(texts):
    return analyses(_POOL_ANALYZER, texts)


def test_multiprocessing_pool_with_fork(analyzer):
    global _POOL_ANALYZER
    _POOL_ANALYZER = analyzer
    expected = analyses(analyzer)
    chunks = [TEXTS[i : i + 5] for i in range(0, len(TEXTS), 5)]
    pool = multiprocessing.get_context("fork").Pool(3)
    try:
        results = pool.map_async(_pool_task, chunks).get(TIMEOUT)
    except multiprocessing.TimeoutError:
        pytest.fail(f"the pool's forked workers gave no result in {TIMEOUT} s (deadlocked)")
    finally:
        pool.terminate()
        pool.join()
    assert_close([a for chunk in results for a in chunk], expected)


def test_gunicorn_like_prefork(analyzer):
    """The parent loads the model and forks workers with os.fork; each analyses its share of
    the texts a few times and sends the results back through a pipe."""
    workers = 3
    expected = analyses(analyzer)
    children = {}
    for w in range(workers):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            # The worker: never returns into pytest.
            code = 1
            try:
                os.close(read_fd)
                share = TEXTS[w::workers]
                rounds = [analyses(analyzer, share) for _ in range(3)]
                rounds.append([analyzer.analyze(t).to_dict() for t in share])
                with os.fdopen(write_fd, "w") as out:
                    json.dump(rounds, out)
                code = 0
            except BaseException as e:  # noqa: BLE001 - reported through the exit status
                os.write(2, f"worker {w}: {e!r}\n".encode())
            finally:
                os._exit(code)
        os.close(write_fd)
        children[pid] = (w, read_fd, bytearray())

    deadline = time.monotonic() + TIMEOUT
    open_fds = {fd: pid for pid, (_, fd, _) in children.items()}
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"prefork workers gave no result in {TIMEOUT} s (deadlocked)")
            ready, _, _ = select.select(list(open_fds), [], [], left)
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    children[open_fds[fd]][2].extend(chunk)
                else:
                    os.close(fd)
                    del open_fds[fd]
    finally:
        for fd in open_fds:
            os.close(fd)
        for pid in children:
            if open_fds:
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            assert open_fds or status == 0, f"worker {children[pid][0]} exited with {status}"

    for w, _, data in children.values():
        share = expected[w::workers]
        for result in json.loads(data):
            assert_close(result, share)
