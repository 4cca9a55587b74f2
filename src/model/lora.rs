//! Low-rank adapters (LoRA, Hu et al. 2021) of the encoder's dense layers.
//!
//! A package fine-tuned with `tolka train --finetune lora` stores, next to its heads, a small
//! `adapters.safetensors` with two matrices per adapted layer: `A` (`[rank, inputs]`) and `B`
//! (`[outputs, rank]`). At load time every adapted weight becomes `W + (alpha / rank)·B·A`
//! before either forward pass is built, so analysis costs exactly what the base encoder
//! costs. Tensors are named `encoder.layer.{i}.{target}.lora_a` / `.lora_b`, with the
//! target's path inside the layer (`attention.self.query`, ...).
//!
//! `TrainBert` is the differentiable forward pass used to train the adapters: the frozen
//! base weights are plain tensors, the adapters are `Var`s, and every operation has a
//! backward pass in candle (LayerNorm and softmax are composed of elementary operations,
//! since candle's fused kernels have none).

use std::collections::HashMap;
use std::path::Path;

use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};
use rand::{Rng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::bert::encoder_root;

/// Default file name of the adapters inside a model directory.
pub const ADAPTERS_FILE: &str = "adapters.safetensors";

/// Large negative bias added to the attention scores of padding tokens.
const MASKED: f64 = -1e30;

/// A dense layer of every transformer layer that can carry an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoraTarget {
    Query,
    Key,
    Value,
    /// The attention output projection.
    AttentionOutput,
    /// The first FFN layer (hidden → intermediate).
    Intermediate,
    /// The second FFN layer (intermediate → hidden).
    Output,
}

impl LoraTarget {
    /// The attention projections (q, k, v, output): the default targets.
    pub const ATTENTION: [LoraTarget; 4] = [
        LoraTarget::Query,
        LoraTarget::Key,
        LoraTarget::Value,
        LoraTarget::AttentionOutput,
    ];
    /// The two FFN layers.
    pub const FFN: [LoraTarget; 2] = [LoraTarget::Intermediate, LoraTarget::Output];

    /// Path of the layer inside `encoder.layer.{i}`.
    pub fn path(self) -> &'static str {
        match self {
            LoraTarget::Query => "attention.self.query",
            LoraTarget::Key => "attention.self.key",
            LoraTarget::Value => "attention.self.value",
            LoraTarget::AttentionOutput => "attention.output.dense",
            LoraTarget::Intermediate => "intermediate.dense",
            LoraTarget::Output => "output.dense",
        }
    }

    /// `(outputs, inputs)` of the layer.
    fn dims(self, config: &Config) -> (usize, usize) {
        let (h, i) = (config.hidden_size, config.intermediate_size);
        match self {
            LoraTarget::Intermediate => (i, h),
            LoraTarget::Output => (h, i),
            _ => (h, h),
        }
    }
}

/// `adapters` in `tolka.json`: which layers carry adapters, their rank and scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// Adapter file, relative to the model directory.
    #[serde(default = "default_file")]
    pub file: String,
    pub rank: usize,
    /// The update is scaled by `alpha / rank`.
    pub alpha: f32,
    pub targets: Vec<LoraTarget>,
}

fn default_file() -> String {
    ADAPTERS_FILE.to_owned()
}

impl LoraConfig {
    /// `alpha / rank`.
    pub fn scale(&self) -> f64 {
        f64::from(self.alpha) / self.rank.max(1) as f64
    }

    /// Names of the two tensors of the adapter of `target` in layer `layer`.
    fn names(layer: usize, target: LoraTarget) -> (String, String) {
        let base = format!("encoder.layer.{layer}.{}", target.path());
        (format!("{base}.lora_a"), format!("{base}.lora_b"))
    }

    /// Checks the configuration itself (rank, targets).
    pub(crate) fn validate(&self) -> std::result::Result<(), String> {
        if self.rank == 0 {
            return Err("adapter rank must be positive".into());
        }
        if !self.alpha.is_finite() {
            return Err(format!("adapter alpha {} is not finite", self.alpha));
        }
        if self.targets.is_empty() {
            return Err("adapters have no target layer".into());
        }
        Ok(())
    }
}

/// Reads the adapters at `path` and adds `scale·B·A` to the weights they adapt in `base`
/// (the encoder's tensors as in its checkpoint, with or without a `bert.` prefix).
///
/// Every error names `path`: a corrupt file, a missing or extra tensor, a wrong shape, a
/// non-finite value.
pub(crate) fn merge(
    base: &mut HashMap<String, Tensor>,
    path: &Path,
    lora: &LoraConfig,
    config: &Config,
) -> Result<()> {
    let bad = |reason: String| Error::Adapters {
        path: path.to_owned(),
        reason,
    };
    lora.validate().map_err(bad)?;
    if !path.is_file() {
        return Err(Error::MissingFile {
            path: path.to_owned(),
            what: "LoRA adapters named in tolka.json",
        });
    }
    crate::error::regular_file(path, crate::error::limits::WEIGHTS)?;
    let mut adapters =
        candle_core::safetensors::load(path, &Device::Cpu).map_err(|source| Error::Tensors {
            path: path.to_owned(),
            source,
        })?;
    let root = if base.contains_key("bert.embeddings.word_embeddings.weight") {
        "bert."
    } else {
        ""
    };
    for layer in 0..config.num_hidden_layers {
        for &target in &lora.targets {
            let (out, inp) = target.dims(config);
            let (a_name, b_name) = LoraConfig::names(layer, target);
            let mut take = |name: &str, shape: [usize; 2]| -> Result<Tensor> {
                let t = adapters
                    .remove(name)
                    .ok_or_else(|| bad(format!("tensor `{name}` is missing")))?;
                if t.dims() != shape {
                    return Err(bad(format!(
                        "tensor `{name}` has shape {:?}, expected {shape:?}",
                        t.dims()
                    )));
                }
                let t = t.to_dtype(DType::F32)?;
                let finite = t.abs()?.sum_all()?.to_scalar::<f32>()?.is_finite();
                if !finite {
                    return Err(bad(format!("tensor `{name}` has non-finite values")));
                }
                Ok(t)
            };
            let a = take(&a_name, [lora.rank, inp])?;
            let b = take(&b_name, [out, lora.rank])?;
            let key = format!("{root}encoder.layer.{layer}.{}.weight", target.path());
            let weight = base.get(&key).ok_or_else(|| {
                bad(format!(
                    "the base encoder has no `{key}` for the adapter of layer {layer}"
                ))
            })?;
            if weight.dims() != [out, inp] {
                return Err(bad(format!(
                    "base weight `{key}` has shape {:?}, expected {:?}",
                    weight.dims(),
                    [out, inp]
                )));
            }
            let update = (b.matmul(&a)? * lora.scale())?.to_device(weight.device())?;
            let merged = (weight.to_dtype(DType::F32)? + update)?;
            base.insert(key, merged);
        }
    }
    if let Some(extra) = adapters.keys().min() {
        return Err(bad(format!(
            "unexpected tensor `{extra}` (not a target of the manifest's adapters)"
        )));
    }
    Ok(())
}

/// One dense layer of the training forward pass: frozen weight and bias, optional adapter.
struct Dense {
    /// `[inputs, outputs]` (the checkpoint's weight transposed).
    weight_t: Tensor,
    bias: Tensor,
    /// `A` `[rank, inputs]`, `B` `[outputs, rank]`.
    lora: Option<(Var, Var)>,
}

impl Dense {
    /// `x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ` for `x` `[rows, inputs]`.
    fn forward(&self, x: &Tensor, scale: f64) -> candle_core::Result<Tensor> {
        let y = x.matmul(&self.weight_t)?.broadcast_add(&self.bias)?;
        match &self.lora {
            Some((a, b)) => {
                let update = x.matmul(&a.as_tensor().t()?)?.matmul(&b.as_tensor().t()?)?;
                y + (update * scale)?
            }
            None => Ok(y),
        }
    }
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl Norm {
    fn load(vb: &VarBuilder, size: usize, eps: f64) -> candle_core::Result<Self> {
        let vb = vb.pp("LayerNorm");
        Ok(Self {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps,
        })
    }

    /// LayerNorm over the last dimension, from differentiable operations.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mean = x.mean_keepdim(D::Minus1)?;
        let centred = x.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(var + self.eps)?.sqrt()?)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

struct Layer {
    query: Dense,
    key: Dense,
    value: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

/// A BERT encoder whose dense layers carry trainable low-rank adapters.
pub(crate) struct TrainBert {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    head_dim: usize,
    act: HiddenAct,
    lora: LoraConfig,
}

impl TrainBert {
    /// The base encoder in `vb` with fresh adapters on `lora.targets`: `A` uniform in
    /// ±1/√inputs (Kaiming-uniform, as in the LoRA reference code), `B` zero, so that the
    /// model starts as the base encoder.
    pub fn load(
        vb: VarBuilder,
        config: &Config,
        lora: &LoraConfig,
        rng: &mut StdRng,
    ) -> candle_core::Result<Self> {
        if let Err(reason) = lora.validate() {
            candle_core::bail!("{reason}");
        }
        let (vb, head_dim) = encoder_root(vb, config)?;
        let h = config.hidden_size;
        let device = vb.device().clone();
        let emb = vb.pp("embeddings");
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let layer_vb = vb.pp(format!("encoder.layer.{i}"));
            let mut dense = |target: LoraTarget| -> candle_core::Result<Dense> {
                let (out, inp) = target.dims(config);
                let d = layer_vb.pp(target.path());
                let adapter = if lora.targets.contains(&target) {
                    let bound = 1.0 / (inp as f32).sqrt();
                    let a: Vec<f32> = (0..lora.rank * inp)
                        .map(|_| rng.random_range(-bound..bound))
                        .collect();
                    let a = Var::from_tensor(&Tensor::from_vec(a, (lora.rank, inp), &device)?)?;
                    let b = Var::zeros((out, lora.rank), DType::F32, &device)?;
                    Some((a, b))
                } else {
                    None
                };
                Ok(Dense {
                    weight_t: d.get((out, inp), "weight")?.t()?.contiguous()?,
                    bias: d.get(out, "bias")?,
                    lora: adapter,
                })
            };
            let query = dense(LoraTarget::Query)?;
            let key = dense(LoraTarget::Key)?;
            let value = dense(LoraTarget::Value)?;
            let attention_out = dense(LoraTarget::AttentionOutput)?;
            let intermediate = dense(LoraTarget::Intermediate)?;
            let output = dense(LoraTarget::Output)?;
            layers.push(Layer {
                query,
                key,
                value,
                attention_out,
                attention_norm: Norm::load(
                    &layer_vb.pp("attention").pp("output"),
                    h,
                    config.layer_norm_eps,
                )?,
                intermediate,
                output,
                output_norm: Norm::load(&layer_vb.pp("output"), h, config.layer_norm_eps)?,
            });
        }
        Ok(Self {
            word_embeddings: emb.get((config.vocab_size, h), "word_embeddings.weight")?,
            position_embeddings: emb.get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?,
            token_type: emb
                .get((config.type_vocab_size, h), "token_type_embeddings.weight")?
                .get(0)?,
            embedding_norm: Norm::load(&emb, h, config.layer_norm_eps)?,
            layers,
            heads: h / head_dim,
            head_dim,
            act: config.hidden_act,
            lora: lora.clone(),
        })
    }

    /// Where the model's tensors live.
    pub fn device(&self) -> &Device {
        self.word_embeddings.device()
    }

    /// The adapters' variables with their tensor names (`…lora_a`, `…lora_b`), in order.
    pub fn adapters(&self) -> Vec<(String, Var)> {
        let mut vars = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            for (target, dense) in [
                (LoraTarget::Query, &layer.query),
                (LoraTarget::Key, &layer.key),
                (LoraTarget::Value, &layer.value),
                (LoraTarget::AttentionOutput, &layer.attention_out),
                (LoraTarget::Intermediate, &layer.intermediate),
                (LoraTarget::Output, &layer.output),
            ] {
                if let Some((a, b)) = &dense.lora {
                    let (a_name, b_name) = LoraConfig::names(i, target);
                    vars.push((a_name, a.clone()));
                    vars.push((b_name, b.clone()));
                }
            }
        }
        vars
    }

    /// Writes the adapters to `path` (safetensors).
    pub fn save_adapters(&self, path: &Path) -> Result<()> {
        let tensors: HashMap<String, Tensor> = self
            .adapters()
            .into_iter()
            .map(|(name, var)| (name, var.as_tensor().clone()))
            .collect();
        candle_core::safetensors::save(&tensors, path).map_err(|source| Error::Tensors {
            path: path.to_owned(),
            source,
        })
    }

    /// Hidden states `[b, len, hidden]` of token ids `[b, len]` (u32) with the attention mask
    /// `[b, len]` (f32, 1 for real tokens), differentiable in the adapters.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, len) = ids.dims2()?;
        let words = self
            .word_embeddings
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((b, len, ()))?;
        let positions = self.position_embeddings.narrow(0, 0, len)?;
        let xs = words
            .broadcast_add(&positions)?
            .broadcast_add(&self.token_type)?;
        let h = xs.dim(2)?;
        let mut xs = self.embedding_norm.forward(&xs.reshape((b * len, h))?)?;
        let bias = ((mask.ones_like()? - mask)? * MASKED)?.reshape((b, 1, 1, len))?;
        for layer in &self.layers {
            xs = self.layer(layer, &xs, &bias, b, len)?;
        }
        xs.reshape((b, len, h))
    }

    /// One transformer layer on `xs` `[b·len, h]`.
    fn layer(
        &self,
        layer: &Layer,
        xs: &Tensor,
        bias: &Tensor,
        b: usize,
        len: usize,
    ) -> candle_core::Result<Tensor> {
        let s = self.lora.scale();
        let h = self.heads * self.head_dim;
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((b, len, self.heads, self.head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split((layer.query.forward(xs, s)? / (self.head_dim as f64).sqrt())?)?;
        let k = split(layer.key.forward(xs, s)?)?;
        let v = split(layer.value.forward(xs, s)?)?;
        let scores = q.matmul(&k.t()?)?.broadcast_add(bias)?;
        // Softmax; the max is a constant for the gradient (the result does not depend on it).
        let max = scores.max_keepdim(D::Minus1)?.detach();
        let exp = scores.broadcast_sub(&max)?.exp()?;
        let probs = exp.broadcast_div(&exp.sum_keepdim(D::Minus1)?)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b * len, h))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_out.forward(&context, s)? + xs)?)?;
        let inner = layer.intermediate.forward(&attended, s)?;
        let inner = match self.act {
            HiddenAct::Gelu => inner.gelu_erf()?,
            HiddenAct::GeluApproximate => inner.gelu()?,
            HiddenAct::Relu => inner.relu()?,
        };
        layer
            .output_norm
            .forward(&(layer.output.forward(&inner, s)? + attended)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::model::bert::Bert;
    use crate::model::cpu::CpuBert;
    use crate::model::encoder::pad_windows;

    /// A 2-layer BERT with hidden size 16 and 4 heads.
    pub(crate) fn tiny_config() -> Config {
        Config {
            vocab_size: 40,
            hidden_size: 16,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 24,
            max_position_embeddings: 32,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            pad_token_id: 0,
            ..Config::default()
        }
    }

    fn random(rng: &mut StdRng, shape: &[usize], mean: f32, scale: f32) -> Tensor {
        let n = shape.iter().product();
        let values: Vec<f32> = (0..n)
            .map(|_| mean + scale * rng.random_range(-1.0f32..1.0))
            .collect();
        Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
    }

    /// Randomly initialised checkpoint tensors of [`tiny_config`] (names as in Hugging Face
    /// BERT checkpoints).
    pub(crate) fn tiny_weights(seed: u64) -> HashMap<String, Tensor> {
        let c = tiny_config();
        let (h, i) = (c.hidden_size, c.intermediate_size);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut t = HashMap::new();
        let mut put = |name: String, shape: &[usize], mean: f32, scale: f32| {
            t.insert(name, random(&mut rng, shape, mean, scale));
        };
        put(
            "embeddings.word_embeddings.weight".into(),
            &[c.vocab_size, h],
            0.0,
            1.0,
        );
        put(
            "embeddings.position_embeddings.weight".into(),
            &[c.max_position_embeddings, h],
            0.0,
            0.3,
        );
        put(
            "embeddings.token_type_embeddings.weight".into(),
            &[c.type_vocab_size, h],
            0.0,
            0.3,
        );
        type Put<'a> = dyn FnMut(String, &[usize], f32, f32) + 'a;
        let norm = |put: &mut Put, p: &str| {
            put(format!("{p}.LayerNorm.weight"), &[h], 1.0, 0.2);
            put(format!("{p}.LayerNorm.bias"), &[h], 0.0, 0.2);
        };
        norm(&mut put, "embeddings");
        for l in 0..c.num_hidden_layers {
            for target in LoraTarget::ATTENTION.into_iter().chain(LoraTarget::FFN) {
                let (out, inp) = target.dims(&c);
                let p = format!("encoder.layer.{l}.{}", target.path());
                put(
                    format!("{p}.weight"),
                    &[out, inp],
                    0.0,
                    1.0 / (inp as f32).sqrt(),
                );
                put(format!("{p}.bias"), &[out], 0.0, 0.1);
            }
            norm(&mut put, &format!("encoder.layer.{l}.attention.output"));
            norm(&mut put, &format!("encoder.layer.{l}.output"));
        }
        let _ = i;
        t
    }

    pub(crate) fn all_targets(rank: usize) -> LoraConfig {
        LoraConfig {
            file: ADAPTERS_FILE.into(),
            rank,
            alpha: 2.0 * rank as f32,
            targets: LoraTarget::ATTENTION
                .into_iter()
                .chain(LoraTarget::FFN)
                .collect(),
        }
    }

    pub(crate) fn train_model(weights: &HashMap<String, Tensor>, lora: &LoraConfig) -> TrainBert {
        let vb = VarBuilder::from_tensors(weights.clone(), DType::F32, &Device::Cpu);
        TrainBert::load(vb, &tiny_config(), lora, &mut StdRng::seed_from_u64(1)).unwrap()
    }

    /// Token windows of mixed lengths, padded with [CLS]=1 / [SEP]=2 around them.
    fn batch() -> (Tensor, Tensor, Vec<Vec<u32>>) {
        let windows: Vec<Vec<u32>> = vec![vec![5, 9, 33, 7, 12, 3], vec![8], vec![30, 31, 4]];
        let slices: Vec<&[u32]> = windows.iter().map(Vec::as_slice).collect();
        let (ids, mask, len) = pad_windows(&slices, &[1], &[2], 0);
        let full: Vec<Vec<u32>> = ids
            .chunks(len)
            .zip(&windows)
            .map(|(row, w)| row[..w.len() + 2].to_vec())
            .collect();
        (
            Tensor::from_vec(ids, (3, len), &Device::Cpu).unwrap(),
            Tensor::from_vec(mask, (3, len), &Device::Cpu).unwrap(),
            full,
        )
    }

    /// Max |a − b| over the real tokens; `packed` holds the CPU pass's `[Σ len, h]` rows.
    fn max_diff_packed(padded: &Tensor, mask: &Tensor, packed: &[f32]) -> f32 {
        let (b, len, h) = padded.dims3().unwrap();
        let padded = padded.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mask = mask.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let mut rows = packed.chunks_exact(h);
        let mut max = 0f32;
        for i in 0..b * len {
            if mask[i] > 0.0 {
                let row = rows.next().unwrap();
                for (x, y) in padded[i * h..(i + 1) * h].iter().zip(row) {
                    max = max.max((x - y).abs());
                }
            }
        }
        assert!(rows.next().is_none());
        max
    }

    fn cpu_forward(weights: HashMap<String, Tensor>, full: &[Vec<u32>]) -> Vec<f32> {
        let vb = VarBuilder::from_tensors(weights, DType::F32, &Device::Cpu);
        let cpu = CpuBert::load(vb, &tiny_config(), crate::model::Precision::F32, None).unwrap();
        let seqs: Vec<&[u32]> = full.iter().map(Vec::as_slice).collect();
        cpu.forward(&seqs).unwrap()
    }

    /// With zero adapters (`B` = 0, the initial state) the differentiable training forward
    /// computes what the inference passes (CPU and candle) compute.
    #[test]
    fn training_forward_matches_inference_forward_with_zero_adapters() {
        let weights = tiny_weights(3);
        let model = train_model(&weights, &all_targets(4));
        let (ids, mask, full) = batch();
        let trained = model.forward(&ids, &mask).unwrap();
        let cpu = cpu_forward(weights.clone(), &full);
        let diff = max_diff_packed(&trained, &mask, &cpu);
        assert!(diff < 1e-4, "cpu: max difference {diff}");
        let vb = VarBuilder::from_tensors(weights, DType::F32, &Device::Cpu);
        let candle = Bert::load(vb, &tiny_config())
            .unwrap()
            .forward(&ids, &mask)
            .unwrap();
        let diff = crate::model::max_abs_diff(&trained, &candle, Some(&mask));
        assert!(diff < 1e-4, "candle: max difference {diff}");
    }

    /// Random non-zero adapters: merging them into the weights at load time gives the
    /// forward of the unmerged adapters, on both inference passes.
    #[test]
    fn merged_forward_equals_unmerged_forward() {
        let weights = tiny_weights(4);
        let lora = all_targets(3);
        let model = train_model(&weights, &lora);
        let mut rng = StdRng::seed_from_u64(9);
        for (_, var) in model.adapters() {
            let t = random(&mut rng, var.dims(), 0.0, 0.5);
            var.set(&t).unwrap();
        }
        let (ids, mask, full) = batch();
        let unmerged = model.forward(&ids, &mask).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ADAPTERS_FILE);
        model.save_adapters(&path).unwrap();
        let mut merged = weights.clone();
        merge(&mut merged, &path, &lora, &tiny_config()).unwrap();
        // The adapters do change the function (the test would pass vacuously otherwise).
        let base = cpu_forward(weights, &full);
        assert!(max_diff_packed(&unmerged, &mask, &base) > 1e-2);
        let cpu = cpu_forward(merged.clone(), &full);
        let diff = max_diff_packed(&unmerged, &mask, &cpu);
        assert!(diff < 1e-4, "cpu: max difference {diff}");
        let vb = VarBuilder::from_tensors(merged, DType::F32, &Device::Cpu);
        let candle = Bert::load(vb, &tiny_config())
            .unwrap()
            .forward(&ids, &mask)
            .unwrap();
        let diff = crate::model::max_abs_diff(&unmerged, &candle, Some(&mask));
        assert!(diff < 1e-4, "candle: max difference {diff}");
    }

    /// Adapters with `B` = 0 (random `A`) leave every weight, and so the encoder, as it was.
    #[test]
    fn zero_adapters_reproduce_the_base_encoder() {
        let weights = tiny_weights(5);
        let lora = all_targets(2);
        let model = train_model(&weights, &lora);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ADAPTERS_FILE);
        model.save_adapters(&path).unwrap();
        let mut merged = weights.clone();
        merge(&mut merged, &path, &lora, &tiny_config()).unwrap();
        for (name, tensor) in &weights {
            let diff = crate::model::max_abs_diff(tensor, &merged[name], None);
            assert_eq!(diff, 0.0, "{name}");
        }
        let (_, _, full) = batch();
        assert_eq!(cpu_forward(weights, &full), cpu_forward(merged, &full));
    }

    /// Corrupt or mismatched adapter files are typed errors naming the file.
    #[test]
    fn bad_adapter_files_are_typed_errors() {
        let weights = tiny_weights(6);
        let lora = all_targets(2);
        let model = train_model(&weights, &lora);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ADAPTERS_FILE);
        let try_merge = |lora: &LoraConfig| {
            let mut w = weights.clone();
            merge(&mut w, &path, lora, &tiny_config()).unwrap_err()
        };

        let err = try_merge(&lora);
        assert!(matches!(err, Error::MissingFile { .. }), "{err}");

        std::fs::write(
            &path,
            b"\x10\x00\x00\x00\x00\x00\x00\x00not a safetensors file",
        )
        .unwrap();
        let err = try_merge(&lora);
        assert!(
            matches!(&err, Error::Tensors { path: p, .. } if *p == path),
            "{err}"
        );
        assert!(err.to_string().contains(ADAPTERS_FILE), "{err}");

        // Rank 2 on disk, rank 3 in the manifest.
        model.save_adapters(&path).unwrap();
        let err = try_merge(&LoraConfig {
            rank: 3,
            ..lora.clone()
        });
        assert!(
            matches!(&err, Error::Adapters { path: p, .. } if *p == path),
            "{err}"
        );
        assert!(err.to_string().contains("shape"), "{err}");

        // Fewer targets in the manifest than on disk: extra tensors.
        let err = try_merge(&LoraConfig {
            targets: vec![LoraTarget::Query],
            ..lora.clone()
        });
        assert!(err.to_string().contains("unexpected tensor"), "{err}");

        // A target on disk is missing.
        let mut tensors: HashMap<String, Tensor> = model
            .adapters()
            .into_iter()
            .map(|(n, v)| (n, v.as_tensor().clone()))
            .collect();
        tensors.remove("encoder.layer.1.output.dense.lora_b");
        candle_core::safetensors::save(&tensors, &path).unwrap();
        let err = try_merge(&lora);
        assert!(err.to_string().contains("missing"), "{err}");

        // Non-finite values.
        let (name, var) = &model.adapters()[0];
        let mut tensors: HashMap<String, Tensor> = model
            .adapters()
            .into_iter()
            .map(|(n, v)| (n, v.as_tensor().clone()))
            .collect();
        let nan = (var.as_tensor().ones_like().unwrap() * f64::NAN).unwrap();
        tensors.insert(name.clone(), nan);
        candle_core::safetensors::save(&tensors, &path).unwrap();
        let err = try_merge(&lora);
        assert!(err.to_string().contains("non-finite"), "{err}");
    }
}
