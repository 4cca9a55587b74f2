//! A spinning team of the pool's workers for the CPU encoder's forward pass.
//!
//! A short message runs about 30 parallel steps per forward pass (the dense layers, GELU),
//! each 50–100 µs long at two threads. Between them rayon's idle workers go to sleep, and
//! waking one costs a good part of a step: at batch 1 two threads gave 1.5× one thread.
//! [`with_team`] keeps the pool's other workers spinning for the length of one forward pass
//! (as ONNX Runtime's and OpenMP's pools do), and [`for_each`] hands them the tasks of a
//! step through one atomic ticket, so a step starts in well under a microsecond.
//!
//! **Protocol.** The caller publishes a step as (job, task count), then the ticket
//! `(epoch << 32) | 0`; anyone who sees the epoch claims task `i` by moving the ticket from
//! `(epoch, i)` to `(epoch, i + 1)` and counts it done after running it. The caller claims
//! tasks too and returns when all are done, so a step never waits on a helper that has not
//! started (a busy pool just means the caller does the work alone). A claim succeeds only
//! while the step's tasks are not all claimed, so the caller is still inside the step and
//! the job it published (a reference on its stack) is alive.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

type Job<'a> = &'a (dyn Fn(usize) + Sync);

struct Shared {
    /// `(epoch << 32) | next unclaimed task`.
    ticket: AtomicU64,
    /// Task count of the current step.
    tasks: AtomicUsize,
    /// The current step's job: a `*const Job` to the caller's stack.
    job: AtomicPtr<()>,
    done: AtomicUsize,
    panicked: AtomicBool,
    stop: AtomicBool,
}

thread_local! {
    /// The team of the forward pass running on this thread, if any.
    static CURRENT: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// Runs `f` with the other workers of the current rayon pool spinning for the steps `f`
/// hands to [`for_each`]. Outside a pool, in a pool of one, or inside another team, `f`
/// just runs (and [`for_each`] uses rayon).
pub(crate) fn with_team<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    // More spinning helpers than cores would take the cores from the threads doing work.
    // Asked once: the standard library reads the cgroup quota from files on every call.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let helpers = rayon::current_num_threads().min(cores).saturating_sub(1);
    if helpers == 0
        || rayon::current_thread_index().is_none()
        || !CURRENT.with(|c| c.get().is_null())
    {
        return f();
    }
    let shared = Shared {
        ticket: AtomicU64::new(0),
        tasks: AtomicUsize::new(0),
        job: AtomicPtr::new(std::ptr::null_mut()),
        done: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        stop: AtomicBool::new(false),
    };
    /// Stops the helpers and leaves the team, also when `f` panics.
    struct Leave<'a>(&'a Shared);
    impl Drop for Leave<'_> {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(std::ptr::null()));
            self.0.stop.store(true, Ordering::Release);
        }
    }
    rayon::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| help(&shared));
        }
        CURRENT.with(|c| c.set(&shared));
        let _leave = Leave(&shared);
        f()
    })
}

/// Whether this thread runs a forward pass with a team: a parallel step then costs well
/// under a microsecond to start, and much smaller steps are worth splitting.
pub(crate) fn active() -> bool {
    CURRENT.with(|c| !c.get().is_null())
}

/// Runs `work(i)` for every `i < n`, on the team of this thread's forward pass, else with
/// rayon. Returns when all have run.
pub(crate) fn for_each(n: usize, work: &(dyn Fn(usize) + Sync)) {
    let shared = CURRENT.with(Cell::get);
    if shared.is_null() || n <= 1 || n >= 1 << 32 {
        (0..n).into_par_iter().for_each(work);
        return;
    }
    // SAFETY: CURRENT points at the `Shared` of the `with_team` call below us on this
    // thread's stack; it is reset before that call returns.
    let shared = unsafe { &*shared };
    let job: Job = work;
    shared
        .job
        .store(&job as *const Job as *mut (), Ordering::Relaxed);
    shared.tasks.store(n, Ordering::Relaxed);
    shared.done.store(0, Ordering::Relaxed);
    let epoch = (shared.ticket.load(Ordering::Relaxed) >> 32) + 1;
    shared.ticket.store(epoch << 32, Ordering::Release);
    run(shared, epoch);
    while shared.done.load(Ordering::Acquire) < n {
        std::hint::spin_loop();
    }
    if shared.panicked.swap(false, Ordering::Relaxed) {
        panic!("a task of the CPU encoder panicked on a helper thread");
    }
}

/// Claims and runs tasks of step `epoch` until none is left.
fn run(shared: &Shared, epoch: u64) {
    loop {
        let ticket = shared.ticket.load(Ordering::Acquire);
        if ticket >> 32 != epoch {
            return;
        }
        let task = (ticket & 0xffff_ffff) as usize;
        // Read before the claim; only used when the claim shows they were this step's.
        let n = shared.tasks.load(Ordering::Relaxed);
        let job = shared.job.load(Ordering::Relaxed);
        if task >= n {
            return;
        }
        if shared
            .ticket
            .compare_exchange_weak(ticket, ticket + 1, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            continue;
        }
        // SAFETY: the claim succeeded with tasks of this step unclaimed, so its caller
        // waits in `for_each` and `job` points at its live `Job`.
        let job = unsafe { &*(job as *const Job) };
        if catch_unwind(AssertUnwindSafe(|| job(task))).is_err() {
            shared.panicked.store(true, Ordering::Relaxed);
        }
        shared.done.fetch_add(1, Ordering::Release);
    }
}

/// A helper: spins for new steps until the team stops.
///
/// After a while without a step (the caller busy with serial work, or the machine
/// oversubscribed) it yields its core between looks.
fn help(shared: &Shared) {
    const SPINS_BEFORE_YIELD: u32 = 1 << 14;
    let mut seen = 0;
    let mut idle = 0u32;
    while !shared.stop.load(Ordering::Acquire) {
        let epoch = shared.ticket.load(Ordering::Acquire) >> 32;
        if epoch != seen {
            seen = epoch;
            idle = 0;
            run(shared, epoch);
        } else if idle < SPINS_BEFORE_YIELD {
            idle += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    /// Many short steps in a row: every task runs exactly once per step, whichever thread
    /// claims it, and results are complete when `for_each` returns.
    #[test]
    fn every_task_runs_once_per_step() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| {
            with_team(|| {
                for step in 0..2000usize {
                    let n = 1 + step % 37;
                    let hits: Vec<AtomicU32> = (0..n).map(|_| AtomicU32::new(0)).collect();
                    for_each(n, &|i| {
                        hits[i].fetch_add(1, Ordering::Relaxed);
                    });
                    assert!(
                        hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                        "{step}"
                    );
                }
            })
        });
    }

    /// A panicking task reaches the caller as a panic, and the team still stops.
    #[test]
    fn a_panic_reaches_the_caller() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let result = pool.install(|| {
            catch_unwind(AssertUnwindSafe(|| {
                with_team(|| for_each(64, &|i| assert_ne!(i, 40)))
            }))
        });
        assert!(result.is_err());
        // The pool is usable afterwards.
        assert_eq!(pool.install(|| (0..100).into_par_iter().sum::<i32>()), 4950);
    }
}
