//! Dynamic batching: requests wait in one bounded queue; a single worker thread takes up to
//! `max_batch_size` texts (what is queued now, plus what arrives within `max_wait` of the
//! first request when the server is busy) and runs them through one
//! [`Analyzer::analyze_batch_each`] in the analyzer's thread pool. One batch runs at a time,
//! so the encoder never uses more threads than `--threads`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tolka::rules::Context;
use tolka::{Analysis, Analyzer};

use super::metrics::Metrics;

/// Why a job was not done.
#[derive(Debug)]
pub enum JobError {
    /// The queue holds `max_queue` texts already.
    Overloaded,
    /// The analysis failed (the message is safe to show: no panic text, no input text).
    Failed(String),
}

/// Work for the model thread.
enum Job {
    Analyze {
        texts: Vec<String>,
        contexts: Vec<Context>,
        queued_at: Instant,
        reply: oneshot::Sender<Result<Vec<Analysis>, JobError>>,
    },
    /// Anything else that needs the encoder (a conversation turn); runs alone.
    Run(Box<dyn FnOnce(&Analyzer) + Send>),
}

impl Job {
    fn texts(&self) -> usize {
        match self {
            Job::Analyze { texts, .. } => texts.len(),
            Job::Run(_) => 1,
        }
    }
}

/// Batching options.
#[derive(Debug, Clone, Copy)]
pub struct BatchConfig {
    pub max_batch_size: usize,
    pub max_wait: Duration,
    /// Texts that may wait at once; more are refused with [`JobError::Overloaded`].
    pub max_queue: usize,
}

/// The handle the HTTP handlers hold.
pub struct Batcher {
    sender: SyncSender<Job>,
    queued: Arc<AtomicUsize>,
    max_queue: usize,
    metrics: Arc<Metrics>,
}

impl Batcher {
    /// Starts the model thread; it ends when every `Batcher` handle is dropped and the queue
    /// is empty (see [`Batcher::join`]).
    pub fn start(
        analyzer: Arc<Analyzer>,
        config: BatchConfig,
        metrics: Arc<Metrics>,
    ) -> (Self, std::thread::JoinHandle<()>) {
        let (sender, receiver) = std::sync::mpsc::sync_channel(config.max_queue.max(1));
        let queued = Arc::new(AtomicUsize::new(0));
        let worker = Worker {
            analyzer,
            receiver,
            config,
            queued: queued.clone(),
            metrics: metrics.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("tolka-model".into())
            .spawn(move || worker.run())
            .expect("spawning the model thread");
        (
            Batcher {
                sender,
                queued,
                max_queue: config.max_queue,
                metrics,
            },
            handle,
        )
    }

    /// Texts waiting for the model now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Analyses `texts`, each with its context, batched with other callers' texts.
    pub async fn analyze(
        &self,
        texts: Vec<String>,
        contexts: Vec<Context>,
    ) -> Result<Vec<Analysis>, JobError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Analyze {
            texts,
            contexts,
            queued_at: Instant::now(),
            reply,
        })?;
        answer
            .await
            .unwrap_or_else(|_| Err(JobError::Failed("the model thread stopped".into())))
    }

    /// Runs `work` on the model thread between batches.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Analyzer) -> T + Send + 'static,
    ) -> Result<T, JobError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Run(Box::new(move |analyzer| {
            let _ = reply.send(work(analyzer));
        })))?;
        answer
            .await
            .map_err(|_| JobError::Failed("the analysis failed".into()))
    }

    fn submit(&self, job: Job) -> Result<(), JobError> {
        let n = job.texts();
        let before = self.queued.fetch_add(n, Ordering::SeqCst);
        // A request larger than the whole queue still runs when the queue is empty.
        if before > 0 && before + n > self.max_queue {
            self.queued.fetch_sub(n, Ordering::SeqCst);
            return Err(JobError::Overloaded);
        }
        match self.sender.try_send(job) {
            Ok(()) => {
                self.metrics.queue_length.set(self.queued() as i64);
                Ok(())
            }
            Err(TrySendError::Full(_)) => {
                self.queued.fetch_sub(n, Ordering::SeqCst);
                Err(JobError::Overloaded)
            }
            Err(TrySendError::Disconnected(_)) => {
                self.queued.fetch_sub(n, Ordering::SeqCst);
                Err(JobError::Failed("the model thread stopped".into()))
            }
        }
    }
}

struct Worker {
    analyzer: Arc<Analyzer>,
    receiver: Receiver<Job>,
    config: BatchConfig,
    queued: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

/// One analyze request inside a batch.
struct Pending {
    texts: Vec<String>,
    contexts: Vec<Context>,
    reply: oneshot::Sender<Result<Vec<Analysis>, JobError>>,
}

impl Worker {
    fn run(self) {
        let mut carry: Option<Job> = None;
        // Requests in the last batch: waiting for more only pays when callers overlap.
        let mut last_batch = 1;
        loop {
            let job = match carry.take() {
                Some(job) => job,
                None => match self.receiver.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
            };
            let (first, deadline) = match job {
                Job::Run(work) => {
                    self.dequeued(1);
                    // A panic inside `work` drops its reply: the caller gets an error.
                    let _ = catch_unwind(AssertUnwindSafe(|| work(&self.analyzer)));
                    continue;
                }
                Job::Analyze {
                    texts,
                    contexts,
                    queued_at,
                    reply,
                } => (
                    Pending {
                        texts,
                        contexts,
                        reply,
                    },
                    queued_at + self.config.max_wait,
                ),
            };
            let mut size = first.texts.len();
            let mut batch = vec![first];
            while size < self.config.max_batch_size {
                let next = match self.receiver.try_recv() {
                    Ok(job) => Some(job),
                    Err(_) if last_batch > 1 || batch.len() > 1 => {
                        let now = Instant::now();
                        if now >= deadline {
                            None
                        } else {
                            self.receiver.recv_timeout(deadline - now).ok()
                        }
                    }
                    Err(_) => None,
                };
                match next {
                    Some(Job::Analyze {
                        texts,
                        contexts,
                        reply,
                        ..
                    }) if size + texts.len() <= self.config.max_batch_size => {
                        size += texts.len();
                        batch.push(Pending {
                            texts,
                            contexts,
                            reply,
                        });
                    }
                    Some(other) => {
                        carry = Some(other);
                        break;
                    }
                    None => break,
                }
            }
            last_batch = batch.len();
            self.dequeued(size);
            self.metrics.batch_size.observe(size as f64);
            self.analyze(batch);
        }
    }

    fn dequeued(&self, n: usize) {
        let left = self.queued.fetch_sub(n, Ordering::SeqCst) - n;
        self.metrics.queue_length.set(left as i64);
    }

    /// Runs a batch and answers each request; when the batch fails, each request is run
    /// alone so that one bad request fails only itself.
    fn analyze(&self, batch: Vec<Pending>) {
        let texts: Vec<&str> = batch
            .iter()
            .flat_map(|p| p.texts.iter().map(String::as_str))
            .collect();
        let contexts: Vec<Context> = batch.iter().flat_map(|p| p.contexts.clone()).collect();
        match self.run_batch(&texts, &contexts) {
            Ok(mut analyses) => {
                self.metrics.texts.inc_by(texts.len() as u64);
                for pending in batch.into_iter().rev() {
                    let mine = analyses.split_off(analyses.len() - pending.texts.len());
                    let _ = pending.reply.send(Ok(mine));
                }
            }
            Err(_) if batch.len() > 1 => {
                for pending in batch {
                    self.analyze(vec![pending]);
                }
            }
            Err(message) => {
                let pending = batch.into_iter().next().expect("one request");
                let _ = pending.reply.send(Err(JobError::Failed(message)));
            }
        }
    }

    fn run_batch(&self, texts: &[&str], contexts: &[Context]) -> Result<Vec<Analysis>, String> {
        let run = || self.analyzer.analyze_batch_each(texts, contexts).ok();
        match catch_unwind(AssertUnwindSafe(run)) {
            Ok(Some(analyses)) => Ok(analyses),
            // The error may quote the input: neither the log nor the answer carries it.
            Ok(None) => {
                tracing::error!(texts = texts.len(), "a batch failed");
                Err("the analysis failed".into())
            }
            Err(_) => {
                tracing::error!(texts = texts.len(), "a batch panicked");
                Err("the analysis failed (internal error)".into())
            }
        }
    }
}
