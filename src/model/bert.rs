//! A BERT encoder forward pass tuned for inference on short texts.
//!
//! It loads the same Hugging Face weights as `candle_transformers::models::bert::BertModel`
//! and computes the same function (tests pin it to the reference within 1e-4), with less
//! work per layer: one fused QKV projection with the 1/√d attention scale folded into the
//! query weights at load time, one contiguous copy for the heads instead of three, the fused
//! last-dimension softmax, and the additive padding mask built once per batch.

use candle_core::{DType, Module, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

/// Large negative bias added to the attention scores of padding tokens.
const MASKED: f64 = -1e30;

struct Layer {
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// The encoder (embeddings + transformer layers) of a BERT-family model.
pub(crate) struct Bert {
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    token_type: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    head_dim: usize,
    act: HiddenAct,
}

fn linear(vb: &VarBuilder, name: &str, out: usize, inp: usize) -> candle_core::Result<Linear> {
    let vb = vb.pp(name);
    Ok(Linear::new(
        vb.get((out, inp), "weight")?,
        Some(vb.get(out, "bias")?),
    ))
}

fn layer_norm(vb: &VarBuilder, size: usize, eps: f64) -> candle_core::Result<LayerNorm> {
    let vb = vb.pp("LayerNorm");
    Ok(LayerNorm::new(
        vb.get(size, "weight")?,
        vb.get(size, "bias")?,
        eps,
    ))
}

/// The encoder's tensors (under `bert.` in checkpoints of task models) and its head size.
pub(crate) fn encoder_root<'a>(
    vb: VarBuilder<'a>,
    config: &Config,
) -> candle_core::Result<(VarBuilder<'a>, usize)> {
    let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
        vb.pp("bert")
    } else {
        vb
    };
    let (h, heads) = (config.hidden_size, config.num_attention_heads);
    if heads == 0 || !h.is_multiple_of(heads) {
        candle_core::bail!("hidden size {h} is not a multiple of {heads} attention heads");
    }
    Ok((vb, h / heads))
}

/// One `[3h, h]` weight and `[3h]` bias for the query, key and value projections of a
/// layer's attention (`attn` = `…attention`), the 1/√d scale folded into the query.
pub(crate) fn fused_qkv(
    attn: &VarBuilder,
    h: usize,
    head_dim: usize,
) -> candle_core::Result<(Tensor, Tensor)> {
    let scale = 1.0 / (head_dim as f64).sqrt();
    let part = |name: &str| -> candle_core::Result<(Tensor, Tensor)> {
        let vb = attn.pp("self").pp(name);
        Ok((vb.get((h, h), "weight")?, vb.get(h, "bias")?))
    };
    let ((qw, qb), (kw, kb), (vw, vb)) = (part("query")?, part("key")?, part("value")?);
    Ok((
        Tensor::cat(&[(qw * scale)?, kw, vw], 0)?,
        Tensor::cat(&[(qb * scale)?, kb, vb], 0)?,
    ))
}

impl Bert {
    pub fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<Self> {
        let (vb, head_dim) = encoder_root(vb, config)?;
        let h = config.hidden_size;
        let heads = h / head_dim;
        let emb = vb.pp("embeddings");
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let vb = vb.pp(format!("encoder.layer.{i}"));
                let attn = vb.pp("attention");
                let (weight, bias) = fused_qkv(&attn, h, head_dim)?;
                Ok(Layer {
                    qkv: Linear::new(weight, Some(bias)),
                    attention_out: linear(&attn.pp("output"), "dense", h, h)?,
                    attention_norm: layer_norm(&attn.pp("output"), h, config.layer_norm_eps)?,
                    intermediate: linear(
                        &vb.pp("intermediate"),
                        "dense",
                        config.intermediate_size,
                        h,
                    )?,
                    output: linear(&vb.pp("output"), "dense", h, config.intermediate_size)?,
                    output_norm: layer_norm(&vb.pp("output"), h, config.layer_norm_eps)?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            word_embeddings: emb.get((config.vocab_size, h), "word_embeddings.weight")?,
            position_embeddings: emb.get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?,
            token_type: emb
                .get((config.type_vocab_size, h), "token_type_embeddings.weight")?
                .get(0)?,
            embedding_norm: layer_norm(&emb, h, config.layer_norm_eps)?,
            layers,
            heads,
            head_dim,
            act: config.hidden_act,
        })
    }

    /// Hidden states `[b, len, hidden]` of token ids `[b, len]` (u32) with the attention mask
    /// `[b, len]` (f32, 1 for real tokens). All texts use token type 0.
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
        let mut xs = self.embedding_norm.forward(&xs)?;
        // [b, 1, 1, len]: 0 for tokens, MASKED for padding.
        let bias = ((mask.ones_like()? - mask)? * MASKED)?
            .to_dtype(DType::F32)?
            .reshape((b, 1, 1, len))?;
        for layer in &self.layers {
            xs = self.layer(layer, &xs, &bias)?;
        }
        Ok(xs)
    }

    fn layer(&self, layer: &Layer, xs: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let (b, len, h) = xs.dims3()?;
        // [b, len, 3h] -> [3, b, heads, len, d] in one copy.
        let qkv = layer
            .qkv
            .forward(xs)?
            .reshape((b, len, 3, self.heads, self.head_dim))?
            .permute((2, 0, 3, 1, 4))?
            .contiguous()?;
        let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let scores = q.matmul(&k.t()?)?.broadcast_add(bias)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, len, h))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_out.forward(&context)? + xs)?)?;
        let inner = layer.intermediate.forward(&attended)?;
        let inner = match self.act {
            HiddenAct::Gelu => inner.gelu_erf()?,
            HiddenAct::GeluApproximate => inner.gelu()?,
            HiddenAct::Relu => inner.relu()?,
        };
        layer
            .output_norm
            .forward(&(layer.output.forward(&inner)? + attended)?)
    }
}
