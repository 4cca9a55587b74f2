//! Multi-task fine-tuning of the encoder with LoRA adapters (`tolka train --finetune lora`).
//!
//! One encoder with fresh adapters and one linear head per task train jointly: the loss of a
//! batch is the sum of the mean cross-entropies of the tasks its records carry (intent on
//! records with an intent, sentiment on records with sentiment, BIO tags on the first token
//! of every word of records with entities). The pooled vector is the analyzer's. AdamW, a
//! linear warm-up over the first 10 % of the steps, then linear decay to zero; batches are
//! drawn from pools of similar lengths to spend little on padding.
//!
//! The heads trained here only guide the adapters: [`crate::train::train`] then computes the
//! features with the adapted encoder and fits the package's heads, temperature, threshold
//! and transitions on them exactly as for a frozen encoder.

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{Rng, rngs::StdRng};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::encoder::pad_windows;
use crate::model::lora::{LoraTarget, TrainBert};
use crate::model::{Pooling, pool};
use crate::train::progress::Event;

/// Options of `--finetune lora`.
#[derive(Debug, Clone, Serialize)]
pub struct FinetuneOptions {
    pub rank: usize,
    pub alpha: f32,
    /// Layers that carry adapters (default: the attention projections q, k, v, output).
    pub targets: Vec<LoraTarget>,
    pub epochs: usize,
    /// Peak learning rate of the adapters.
    pub learning_rate: f64,
    /// Peak learning rate of the temporary task heads.
    pub head_learning_rate: f64,
    pub batch_size: usize,
    /// Fine-tune on at most this many training records (the heads are still fitted on all
    /// of them afterwards): every record with an intent or entities first, then a seeded
    /// sample of the sentiment- and emotion-only ones.
    pub max_records: Option<usize>,
}

impl Default for FinetuneOptions {
    fn default() -> Self {
        Self {
            rank: 8,
            alpha: 16.0,
            targets: LoraTarget::ATTENTION.to_vec(),
            epochs: 1,
            learning_rate: 1e-3,
            head_learning_rate: 1e-2,
            batch_size: 32,
            max_records: None,
        }
    }
}

/// What fine-tuning did.
#[derive(Debug, Clone, Serialize)]
pub struct FinetuneReport {
    pub records: usize,
    pub epochs: usize,
    pub steps: usize,
    /// Mean training loss (sum over tasks) of every epoch.
    pub epoch_losses: Vec<f32>,
    /// Wall-clock seconds of the fine-tuning loop.
    pub seconds: f64,
    /// Number of trainable adapter parameters.
    pub adapter_parameters: usize,
}

/// One training record as the fine-tuning loop sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Example {
    /// Token ids of the window, without special tokens.
    pub ids: Vec<u32>,
    pub intent: Option<u32>,
    pub sentiment: Option<u32>,
    /// `(token index in the window, BIO tag)` of the first token of every word.
    pub words: Vec<(usize, u32)>,
}

/// The special tokens around every window and the padding id.
pub(crate) struct Special<'a> {
    pub prefix: &'a [u32],
    pub suffix: &'a [u32],
    pub pad_id: u32,
}

/// Class counts of the tasks (`None`: the task is not trained).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tasks {
    pub intents: Option<usize>,
    pub sentiments: Option<usize>,
    pub tags: Option<usize>,
}

/// A linear head of the fine-tuning loop.
struct Linear {
    weight: Var,
    bias: Var,
}

impl Linear {
    fn new(inputs: usize, outputs: usize, rng: &mut StdRng, device: &Device) -> Result<Self> {
        let bound = (6.0 / (inputs + outputs) as f32).sqrt();
        let w: Vec<f32> = (0..inputs * outputs)
            .map(|_| rng.random_range(-bound..bound))
            .collect();
        Ok(Self {
            weight: Var::from_tensor(&Tensor::from_vec(w, (outputs, inputs), device)?)?,
            bias: Var::zeros(outputs, DType::F32, device)?,
        })
    }

    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        xs.matmul(&self.weight.as_tensor().t()?)?
            .broadcast_add(self.bias.as_tensor())
    }

    fn vars(&self) -> [Var; 2] {
        [self.weight.clone(), self.bias.clone()]
    }
}

/// The joint loss of one batch and the number of tasks it carried.
fn batch_loss(
    model: &TrainBert,
    batch: &[&Example],
    special: &Special,
    pooling: Pooling,
    heads: &[Option<Linear>; 3],
) -> candle_core::Result<Option<Tensor>> {
    let device = model.device();
    let windows: Vec<&[u32]> = batch.iter().map(|e| e.ids.as_slice()).collect();
    let (ids, mask, len) = pad_windows(&windows, special.prefix, special.suffix, special.pad_id);
    let b = batch.len();
    let ids = Tensor::from_vec(ids, (b, len), device)?;
    let mask = Tensor::from_vec(mask, (b, len), device)?;
    let hidden = model.forward(&ids, &mask)?;
    let mut losses = Vec::new();
    type Label = fn(&Example) -> Option<u32>;
    let pooled_tasks: [(Option<&Linear>, Label); 2] = [
        (heads[0].as_ref(), |e| e.intent),
        (heads[1].as_ref(), |e| e.sentiment),
    ];
    let mut pooled = None;
    for (head, label) in pooled_tasks {
        let Some(head) = head else { continue };
        let (rows, ys): (Vec<u32>, Vec<u32>) = batch
            .iter()
            .enumerate()
            .filter_map(|(i, e)| label(e).map(|y| (i as u32, y)))
            .unzip();
        if rows.is_empty() {
            continue;
        }
        if pooled.is_none() {
            pooled = Some(pool(&hidden, &mask, pooling)?);
        }
        let n = rows.len();
        let xs = pooled
            .as_ref()
            .expect("pooled above")
            .index_select(&Tensor::from_vec(rows, n, device)?, 0)?;
        let ys = Tensor::from_vec(ys, n, device)?;
        losses.push(candle_nn::loss::cross_entropy(&head.forward(&xs)?, &ys)?);
    }
    if let Some(head) = &heads[2] {
        let offset = special.prefix.len();
        let (rows, ys): (Vec<u32>, Vec<u32>) = batch
            .iter()
            .enumerate()
            .flat_map(|(i, e)| {
                e.words
                    .iter()
                    .map(move |&(t, tag)| ((i * len + offset + t) as u32, tag))
            })
            .unzip();
        if !rows.is_empty() {
            let n = rows.len();
            let h = hidden.dim(2)?;
            let xs = hidden
                .reshape((b * len, h))?
                .index_select(&Tensor::from_vec(rows, n, device)?, 0)?;
            let ys = Tensor::from_vec(ys, n, device)?;
            losses.push(candle_nn::loss::cross_entropy(&head.forward(&xs)?, &ys)?);
        }
    }
    let mut total: Option<Tensor> = None;
    for loss in losses {
        total = Some(match total {
            Some(t) => (t + loss)?,
            None => loss,
        });
    }
    Ok(total)
}

/// Trains `model`'s adapters (and temporary heads) on `examples`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finetune(
    model: &TrainBert,
    examples: &[Example],
    special: &Special,
    tasks: Tasks,
    hidden: usize,
    pooling: Pooling,
    options: &FinetuneOptions,
    rng: &mut StdRng,
    progress: &mut dyn FnMut(Event),
) -> Result<FinetuneReport> {
    if options.batch_size == 0 || options.epochs == 0 {
        return Err(Error::Config(
            "fine-tuning batch size and epochs must be positive".into(),
        ));
    }
    if examples.is_empty() {
        return Err(Error::Config("no records to fine-tune on".into()));
    }
    let heads = [tasks.intents, tasks.sentiments, tasks.tags].map(|n| {
        n.filter(|&n| n >= 2)
            .map(|n| Linear::new(hidden, n, rng, model.device()))
    });
    let heads: [Option<Linear>; 3] = {
        let [a, b, c] = heads;
        [a.transpose()?, b.transpose()?, c.transpose()?]
    };
    if heads.iter().all(Option::is_none) {
        return Err(Error::Config(
            "fine-tuning needs a task with at least 2 classes".into(),
        ));
    }
    let adapter_vars: Vec<Var> = model.adapters().into_iter().map(|(_, v)| v).collect();
    let adapter_parameters = adapter_vars.iter().map(|v| v.elem_count()).sum();
    let head_vars: Vec<Var> = heads.iter().flatten().flat_map(Linear::vars).collect();
    let params = |lr| ParamsAdamW {
        lr,
        weight_decay: 0.01,
        ..Default::default()
    };
    let mut opt_adapters = candle_nn::AdamW::new(adapter_vars, params(options.learning_rate))?;
    let mut opt_heads = candle_nn::AdamW::new(head_vars, params(options.head_learning_rate))?;

    let per_epoch = examples.len().div_ceil(options.batch_size);
    let steps = per_epoch * options.epochs;
    let warmup = (steps / 10).max(1);
    progress(Event::Stage {
        name: "fine-tuning the encoder (LoRA)".into(),
        total: steps as u64,
    });
    let start = Instant::now();
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut epoch_losses = Vec::new();
    let mut step = 0;
    for epoch in 1..=options.epochs {
        // Batches of similar lengths (less padding): shuffle, sort pools of 16 batches by
        // length, cut them into batches and shuffle the batches.
        order.shuffle(rng);
        for pool in order.chunks_mut(options.batch_size * 16) {
            pool.sort_by_key(|&i| examples[i].ids.len());
        }
        let mut chunks: Vec<&[usize]> = order.chunks(options.batch_size).collect();
        chunks.shuffle(rng);
        let (mut total, mut batches) = (0f64, 0usize);
        for chunk in chunks {
            let factor = if step < warmup {
                (step + 1) as f64 / warmup as f64
            } else {
                (steps - step) as f64 / (steps - warmup).max(1) as f64
            };
            opt_adapters.set_learning_rate(options.learning_rate * factor);
            opt_heads.set_learning_rate(options.head_learning_rate * factor);
            step += 1;
            let batch: Vec<&Example> = chunk.iter().map(|&i| &examples[i]).collect();
            if let Some(loss) = batch_loss(model, &batch, special, pooling, &heads)? {
                let grads = loss.backward()?;
                opt_adapters.step(&grads)?;
                opt_heads.step(&grads)?;
                total += f64::from(loss.to_scalar::<f32>()?);
                batches += 1;
            }
            progress(Event::Advance(1));
        }
        let train_loss = (total / batches.max(1) as f64) as f32;
        epoch_losses.push(train_loss);
        progress(Event::FinetuneEpoch {
            epoch,
            train_loss,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    Ok(FinetuneReport {
        records: examples.len(),
        epochs: options.epochs,
        steps,
        epoch_losses,
        seconds: start.elapsed().as_secs_f64(),
        adapter_parameters,
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::model::lora::tests::{all_targets, tiny_weights, train_model};

    /// A short run on a tiny random model lowers the joint training loss, and the gradient
    /// reaches the adapters (their `B` leaves zero).
    #[test]
    fn finetuning_reduces_training_loss() {
        let weights = tiny_weights(7);
        let model = train_model(&weights, &all_targets(4));
        let mut rng = StdRng::seed_from_u64(2);
        // Intent = which third of the vocabulary the first token is in; sentiment = parity
        // of the length; a tag per word (token 10..20 is an entity).
        let examples: Vec<Example> = (0..96)
            .map(|_| {
                let n = rng.random_range(2..8);
                let ids: Vec<u32> = (0..n).map(|_| rng.random_range(3..39)).collect();
                Example {
                    intent: Some((ids[0] - 3) / 12),
                    sentiment: Some((n % 2) as u32),
                    words: ids
                        .iter()
                        .enumerate()
                        .map(|(i, &t)| (i, u32::from((10..20).contains(&t))))
                        .collect(),
                    ids,
                }
            })
            .collect();
        let special = Special {
            prefix: &[1],
            suffix: &[2],
            pad_id: 0,
        };
        let tasks = Tasks {
            intents: Some(3),
            sentiments: Some(2),
            tags: Some(3),
        };
        let options = FinetuneOptions {
            epochs: 8,
            learning_rate: 1e-2,
            head_learning_rate: 3e-2,
            batch_size: 16,
            ..FinetuneOptions::default()
        };
        let mut stages = 0;
        let report = finetune(
            &model,
            &examples,
            &special,
            tasks,
            16,
            Pooling::MeanNormalized,
            &options,
            &mut rng,
            &mut |e| {
                if matches!(e, Event::Stage { .. }) {
                    stages += 1
                }
            },
        )
        .unwrap();
        assert_eq!(stages, 1);
        assert_eq!(report.steps, 8 * 6);
        let (first, last) = (report.epoch_losses[0], *report.epoch_losses.last().unwrap());
        assert!(last < 0.8 * first, "losses {:?}", report.epoch_losses);
        let moved = model
            .adapters()
            .iter()
            .filter(|(name, _)| name.ends_with("lora_b"))
            .map(|(_, v)| {
                v.as_tensor()
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap()
            })
            .fold(f32::INFINITY, f32::min);
        assert!(moved > 0.0, "an adapter got no gradient");
    }
}
