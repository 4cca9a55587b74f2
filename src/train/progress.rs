//! Progress events of a training run.

/// Progress of a training run, for progress bars and logs.
#[derive(Debug, Clone)]
pub enum Event {
    /// A stage starts with `total` units of work.
    Stage { name: String, total: u64 },
    /// `n` units of the current stage are done.
    Advance(u64),
    /// One epoch of a head finished.
    Epoch {
        head: &'static str,
        epoch: usize,
        train_loss: f32,
        dev_loss: f32,
        dev_accuracy: f32,
    },
    /// One epoch of encoder fine-tuning finished.
    FinetuneEpoch {
        epoch: usize,
        train_loss: f32,
        /// Seconds since fine-tuning started.
        seconds: f64,
    },
}
