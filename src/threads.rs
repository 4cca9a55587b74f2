//! Rayon thread pools that survive `fork`.
//!
//! `fork` copies only the calling thread: in the child, a rayon pool built before the fork
//! has no threads left, and the first parallel call waits forever for workers that do not
//! exist (rayon's global pool included). Gunicorn, uWSGI, Celery prefork and Python's
//! `multiprocessing` on Linux all fork after the app has loaded its analyzer, so every
//! analysis runs in a [`ProcessPool`]: a pool owned by the process that built it. A process
//! that finds a pool built by another one (its parent) builds its own and never touches the
//! inherited one, whose threads are gone (it is leaked: dropping it would wait on them).
//!
//! A pool belongs to the process id that built it and to the number of forks the process
//! had seen then (counted by a `pthread_atfork` handler), so that a descendant that happens
//! to get a reused pid still rebuilds.
//!
//! candle has a thread pool of its own for large elementwise operations (its "barrier
//! pool", a static that nothing can rebuild after a fork): [`candle_on_calling_thread`]
//! keeps it without workers, so that those operations run on the calling thread, a worker
//! of a [`ProcessPool`].

use std::sync::Once;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Forks survived by this process and its ancestors since the handler was registered.
static FORKS: AtomicU64 = AtomicU64::new(0);

/// Registers [`count_fork`] once per process.
static COUNT_FORKS: Once = Once::new();

/// Runs in the child after every `fork` (async-signal-safe: one atomic add).
#[cfg(unix)]
extern "C" fn count_fork() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Has [`count_fork`] run in the child of every later `fork`.
#[cfg(unix)]
fn register_fork_counter() {
    // SAFETY: `count_fork` is an `extern "C"` function without arguments, as
    // `pthread_atfork` expects, and is async-signal-safe. Registration fails only without
    // memory; the pid still tells a child from its parent then.
    unsafe {
        libc::pthread_atfork(None, None, Some(count_fork));
    }
}

/// Without `fork` there is nothing to count.
#[cfg(not(unix))]
fn register_fork_counter() {}

/// Makes candle run its elementwise operations on the calling thread, before tolka's first
/// tensor operation: its barrier pool is built with `CANDLE_NUM_THREADS=1` (no workers)
/// unless the environment already sets that variable (then a forked child may hang in it).
fn candle_on_calling_thread() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let set = std::env::var_os("CANDLE_NUM_THREADS").is_none();
        if set {
            // SAFETY: Rust's own environment accesses are serialised by std; this runs once,
            // before tolka's first use of candle, and C code reading the environment at the
            // same moment on another thread is the remaining (unlikely) hazard.
            unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
        }
        candle_core::utils::barrier_pool();
        if set {
            // SAFETY: as above; the variable served only to size the pool.
            unsafe { std::env::remove_var("CANDLE_NUM_THREADS") };
        }
    });
}

/// The process a pool was built in: its id and the forks counted then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owner {
    pid: u32,
    forks: u64,
}

impl Owner {
    /// This process.
    fn current() -> Self {
        COUNT_FORKS.call_once(register_fork_counter);
        Self {
            pid: std::process::id(),
            forks: FORKS.load(Ordering::Relaxed),
        }
    }
}

/// A pool and the process that built it.
struct Built {
    owner: Owner,
    pool: rayon::ThreadPool,
}

/// A rayon thread pool that each process builds for itself, on first use.
pub(crate) struct ProcessPool {
    /// Worker threads (`None`: rayon's default, `RAYON_NUM_THREADS` or one per CPU).
    threads: Option<usize>,
    /// The latest pool built, or null. Replaced only by a process that did not build it
    /// (the old one is then leaked), so a reference to it lives as long as `self`.
    current: AtomicPtr<Built>,
}

impl ProcessPool {
    /// A pool of `threads` workers (`None`: rayon's default), built when first used.
    pub const fn new(threads: Option<usize>) -> Self {
        Self {
            threads,
            current: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Runs `op` in this process's pool, building the pool first where needed.
    pub fn install<R: Send>(&self, op: impl FnOnce() -> R + Send) -> Result<R> {
        Ok(self.get()?.install(op))
    }

    /// This process's pool.
    pub fn get(&self) -> Result<&rayon::ThreadPool> {
        candle_on_calling_thread();
        let owner = Owner::current();
        let seen = self.current.load(Ordering::Acquire);
        // SAFETY: a non-null pointer comes from `Box::into_raw` below and is freed only by
        // `drop` (or by the thread that failed to publish it, before anyone saw it).
        if let Some(built) = unsafe { seen.as_ref() }
            && built.owner == owner
        {
            return Ok(&built.pool);
        }
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(threads) = self.threads {
            builder = builder.num_threads(threads);
        }
        let pool = builder
            .build()
            .map_err(|e| Error::Config(format!("thread pool: {e}")))?;
        let fresh = Box::into_raw(Box::new(Built { owner, pool }));
        match self
            .current
            .compare_exchange(seen, fresh, Ordering::AcqRel, Ordering::Acquire)
        {
            // `seen` (null, or the parent's pool) is leaked: its threads are not in this
            // process.
            // SAFETY: `fresh` is now published and lives until `drop`.
            Ok(_) => Ok(unsafe { &(*fresh).pool }),
            Err(winner) => {
                // Another thread of this process published its pool first: use that one.
                // SAFETY: `fresh` was never published; `winner` is non-null (it replaced
                // `seen`) and lives until `drop`.
                drop(unsafe { Box::from_raw(fresh) });
                Ok(unsafe { &(*winner).pool })
            }
        }
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        let built = *self.current.get_mut();
        if built.is_null() {
            return;
        }
        // SAFETY: the pointer came from `Box::into_raw` and nothing else frees it.
        let built = unsafe { Box::from_raw(built) };
        if built.owner != Owner::current() {
            // Built by the parent: its threads are gone, and dropping it would wait on them.
            std::mem::forget(built);
        }
    }
}

/// The pool of analyzers built without a thread count, shared by all of them.
pub(crate) static SHARED: ProcessPool = ProcessPool::new(None);

/// Runs `op` in `pool`, or in the [`SHARED`] pool when `pool` is `None`.
pub(crate) fn install<R: Send>(
    pool: Option<&ProcessPool>,
    op: impl FnOnce() -> R + Send,
) -> Result<R> {
    pool.unwrap_or(&SHARED).install(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child of `fork` runs parallel work in a pool its parent used, in a new pool, and in
    /// the shared pool; it reports through its exit status, and a child that hangs is killed.
    #[cfg(unix)]
    #[test]
    fn a_forked_child_rebuilds_its_pools() {
        use rayon::prelude::*;

        let sum = || (0..10_000u64).into_par_iter().map(|i| i * i).sum::<u64>();
        let expected = sum();
        let inherited = ProcessPool::new(Some(2));
        assert_eq!(inherited.install(sum).unwrap(), expected);
        assert_eq!(install(None, sum).unwrap(), expected);
        let parent = inherited.get().unwrap() as *const rayon::ThreadPool;

        // SAFETY: the child calls only what this test exercises, then `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = inherited.install(sum).ok() == Some(expected)
                && !std::ptr::eq(inherited.get().unwrap(), parent)
                && ProcessPool::new(Some(3)).install(sum).ok() == Some(expected)
                && install(None, sum).ok() == Some(expected);
            // SAFETY: ends the child without running the parent's destructors or atexit.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            // SAFETY: waits for our own child without blocking.
            let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if done == pid {
                break;
            }
            if std::time::Instant::now() > deadline {
                // SAFETY: kills and reaps our own child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                panic!("the forked child hung in a thread pool");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the forked child failed (status {status})"
        );
        // The parent's pool is untouched.
        assert!(std::ptr::eq(inherited.get().unwrap(), parent));
        assert_eq!(inherited.install(sum).unwrap(), expected);
    }
}
