//! The pretrained transformer encoder: tokenizer + BERT-family model loaded with candle.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config as BertConfig;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::Precision;
use crate::model::bert::Bert;
use crate::model::cpu::CpuBert;
use crate::model::lora::LoraConfig;
use crate::model::tokenizer::{Pieces, TextTokenizer};
use crate::model::vocab::Vocabulary;

/// The tokens of one text, without special tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tokens {
    pub ids: Vec<u32>,
    /// Byte offsets of every token in the original text.
    pub offsets: Vec<(usize, usize)>,
    /// Index of the pre-tokenizer word each token belongs to.
    pub words: Vec<Option<u32>>,
}

/// What an encoder directory holds besides the weights.
pub(crate) struct Parts {
    pub tokenizer: TextTokenizer,
    pub prefix: Vec<u32>,
    pub suffix: Vec<u32>,
    pub pad_id: u32,
    pub sha256: String,
    pub weights_path: PathBuf,
    /// The word embedding in its 4-bit blocks (E5S1 weights loaded for the CPU encoder),
    /// instead of an f32 tensor in the weights.
    pub words: Option<crate::model::e5s1::Q4Rows>,
}

/// The forward pass: plain buffers on the CPU, candle tensors on an accelerator.
enum Backend {
    Cpu(CpuBert),
    Candle(Bert),
}

/// A Hugging Face–format BERT-family encoder directory
/// (`config.json`, `tokenizer.json`, `model.safetensors`).
pub(crate) struct Encoder {
    model: Backend,
    tokenizer: TextTokenizer,
    hidden_size: usize,
    max_positions: usize,
    prefix: Vec<u32>,
    suffix: Vec<u32>,
    pad_id: u32,
    device: Device,
    sha256: String,
}

impl Encoder {
    /// Loads the encoder in `dir` onto `device` and hashes its weights.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        Self::load_adapted(dir, device, None, None, Precision::F32)
    }

    /// Loads the encoder in `dir` onto `device`, with the LoRA adapters in `adapters` (file,
    /// configuration) merged into its weights. The hash stays the base encoder's. With a
    /// `vocabulary`, the tokenizer and the word embedding keep only its pieces. On the CPU
    /// the dense layers run in `precision` where the CPU can (see [`Encoder::precision`]).
    pub fn load_adapted(
        dir: &Path,
        device: &Device,
        adapters: Option<(&Path, &LoraConfig)>,
        vocabulary: Option<&Vocabulary>,
        precision: Precision,
    ) -> Result<Self> {
        let cpu = matches!(device, Device::Cpu);
        let (vb, config, mut parts) = Self::weights(dir, device, adapters, vocabulary, cpu)?;
        let model = match device {
            Device::Cpu => {
                CpuBert::load(vb, &config, precision, parts.words.take()).map(Backend::Cpu)
            }
            _ => Bert::load(vb, &config).map(Backend::Candle),
        }
        .map_err(|source| Error::Tensors {
            path: parts.weights_path.clone(),
            source,
        })?;
        Ok(Self {
            model,
            tokenizer: parts.tokenizer,
            hidden_size: config.hidden_size,
            max_positions: config.max_position_embeddings,
            prefix: parts.prefix,
            suffix: parts.suffix,
            pad_id: parts.pad_id,
            device: device.clone(),
            sha256: parts.sha256,
        })
    }

    /// The weights (adapters merged, word embedding restricted to `vocabulary`),
    /// configuration, tokenizer and special tokens in `dir`. With `q4_words`, a 4-bit word
    /// embedding (E5S1) stays 4-bit in [`Parts::words`] instead of the weights.
    pub(crate) fn weights(
        dir: &Path,
        device: &Device,
        adapters: Option<(&Path, &LoraConfig)>,
        vocabulary: Option<&Vocabulary>,
        q4_words: bool,
    ) -> Result<(VarBuilder<'static>, BertConfig, Parts)> {
        let file = |name: &'static str| -> Result<PathBuf> {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(Error::MissingFile {
                    path,
                    what: "base encoder file; run models/fetch-encoder.sh",
                })
            }
        };
        let config_path = file("config.json")?;
        crate::error::regular_file(&config_path, crate::error::limits::MANIFEST)?;
        let tokenizer_path = file("tokenizer.json")?;
        crate::error::regular_file(&tokenizer_path, crate::error::limits::TOKENIZER)?;
        // Hugging Face safetensors, or the 4-bit E5S1 file of multilingual-e5-small.
        let weights_path = if dir.join("model.e5s1").is_file() {
            dir.join("model.e5s1")
        } else {
            file("model.safetensors")?
        };
        crate::error::regular_file(&weights_path, crate::error::limits::WEIGHTS)?;

        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| Error::io(&config_path, e))?;
        let json_error = |source| Error::Json {
            path: config_path.clone(),
            source,
        };
        let config: BertConfig = serde_json::from_str(&config_text).map_err(json_error)?;
        // A prefix the model card prescribes for every input (e5: "query: ").
        let input_prefix = serde_json::from_str::<serde_json::Value>(&config_text)
            .map_err(json_error)?
            .get("input_prefix")
            .and_then(|p| p.as_str())
            .unwrap_or_default()
            .to_owned();

        let pad_id = match vocabulary {
            None => config.pad_token_id as u32,
            Some(vocabulary) => vocabulary
                .new_id(config.pad_token_id as u32)
                .ok_or_else(|| Error::Vocabulary {
                    path: tokenizer_path.clone(),
                    reason: format!("the padding token {} is not kept", config.pad_token_id),
                })?,
        };
        let rows = vocabulary.map(|v| v.ids.as_slice());

        // The tokenizer loads on its own thread while the weights are read and hashed.
        let (tokenizer, loaded) = std::thread::scope(|scope| {
            let tokenizer =
                scope.spawn(|| Self::tokenizer(&tokenizer_path, vocabulary, &input_prefix));
            let loaded = Self::tensors(&weights_path, config, device, adapters, rows, q4_words);
            let tokenizer = tokenizer.join().unwrap_or_else(|_| {
                Err(Error::Tokenizer(format!(
                    "{}: loading panicked",
                    tokenizer_path.display()
                )))
            });
            (tokenizer, loaded)
        });
        let (tokenizer, prefix, suffix) = tokenizer?;
        let (sha256, words, vb, mut config) = loaded?;
        if let Some(vocabulary) = vocabulary {
            config.vocab_size = vocabulary.len();
            config.pad_token_id = pad_id as usize;
        }
        Ok((
            vb,
            config,
            Parts {
                tokenizer,
                prefix,
                suffix,
                pad_id,
                sha256,
                weights_path,
                words,
            },
        ))
    }

    /// The hash of `weights_path` and its tensors (adapters merged, word embedding restricted
    /// to `rows`, or kept 4-bit with `q4_words`), with the configuration that fits them.
    fn tensors(
        weights_path: &Path,
        config: BertConfig,
        device: &Device,
        adapters: Option<(&Path, &LoraConfig)>,
        rows: Option<&[u32]>,
        q4_words: bool,
    ) -> Result<(
        String,
        Option<crate::model::e5s1::Q4Rows>,
        VarBuilder<'static>,
        BertConfig,
    )> {
        let sha256 = sha256_file(weights_path)?;
        // The E5S1 header is authoritative for its model's dimensions.
        let mut words = None;
        let (vb, config) = if weights_path.extension().is_some_and(|e| e == "e5s1") {
            let (header, mut tensors, q4) =
                crate::model::e5s1::load(weights_path, device, rows, q4_words)?;
            words = q4;
            let config = crate::model::e5s1::bert_config(&header);
            if let Some((path, lora)) = adapters {
                crate::model::lora::merge(&mut tensors, path, lora, &config)?;
            }
            (
                VarBuilder::from_tensors(tensors, DType::F32, device),
                config,
            )
        } else if adapters.is_some() || rows.is_some() {
            let tensors_error = |source| Error::Tensors {
                path: weights_path.to_owned(),
                source,
            };
            let mut tensors = candle_core::safetensors::load(weights_path, &Device::Cpu)
                .map_err(tensors_error)?;
            if let Some((path, lora)) = adapters {
                crate::model::lora::merge(&mut tensors, path, lora, &config)?;
            }
            if let Some(rows) = rows {
                let (name, table) = tensors
                    .iter()
                    .find(|(name, _)| name.ends_with("embeddings.word_embeddings.weight"))
                    .ok_or_else(|| {
                        tensors_error(candle_core::Error::Msg("no word embedding".into()))
                    })?;
                let index = Tensor::new(rows, &Device::Cpu)?;
                let pruned = table.index_select(&index, 0).map_err(tensors_error)?;
                tensors.insert(name.clone(), pruned);
            }
            let tensors = tensors
                .into_iter()
                .map(|(k, t)| Ok((k, t.to_device(device)?)))
                .collect::<Result<std::collections::HashMap<_, _>>>()?;
            (
                VarBuilder::from_tensors(tensors, DType::F32, device),
                config,
            )
        } else {
            // SAFETY: the file is memory-mapped read-only; tolka never writes to it while loaded.
            let vb =
                unsafe { VarBuilder::from_mmaped_safetensors(&[weights_path], DType::F32, device) }
                    .map_err(|source| Error::Tensors {
                        path: weights_path.to_owned(),
                        source,
                    })?;
            (vb, config)
        };
        Ok((sha256, words, vb, config))
    }

    /// The tokenizer in `path` (restricted to `vocabulary`), without padding or truncation,
    /// and the ids every window starts and ends with (`input_prefix` after the leading ones).
    fn tokenizer(
        tokenizer_path: &Path,
        vocabulary: Option<&Vocabulary>,
        input_prefix: &str,
    ) -> Result<(TextTokenizer, Vec<u32>, Vec<u32>)> {
        let mut tokenizer = match vocabulary {
            None => crate::model::tokenizer::load(tokenizer_path)?,
            Some(vocabulary) => {
                let json = std::fs::read_to_string(tokenizer_path)
                    .map_err(|e| Error::io(tokenizer_path, e))?;
                let pruned = vocabulary.prune_tokenizer(&json, tokenizer_path)?;
                crate::model::tokenizer::from_hf(pruned)
                    .map_err(|e| Error::Tokenizer(format!("{}: {e}", tokenizer_path.display())))?
            }
        };
        // The bundled tokenizer pads every input to 128 tokens; tolka pads per batch itself.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        // The special tokens around a sequence, read from the post-processor.
        let probe = tokenizer
            .encode("a", true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let special = probe.get_special_tokens_mask();
        let first = special.iter().position(|&s| s == 0).unwrap_or(0);
        let last = special
            .iter()
            .rposition(|&s| s == 0)
            .map_or(first, |i| i + 1);
        let mut prefix = probe.get_ids()[..first].to_vec();
        // The prefix the model card prescribes ("query: ") goes after the leading special
        // tokens of every window. Metaspace tokenizers give the text's first word the same
        // pieces with and without the prefix before it, so texts are tokenised alone.
        if !input_prefix.trim().is_empty() {
            let encoded = tokenizer
                .encode(input_prefix.trim_end(), false)
                .map_err(|e| Error::Tokenizer(e.to_string()))?;
            prefix.extend_from_slice(encoded.get_ids());
        }
        let suffix = probe.get_ids()[last..].to_vec();
        Ok((tokenizer, prefix, suffix))
    }

    /// The precision the dense layers run in.
    pub fn precision(&self) -> Precision {
        match &self.model {
            Backend::Cpu(model) => model.precision(),
            Backend::Candle(_) => Precision::F32,
        }
    }

    /// Where the encoder computes.
    pub(crate) fn device(&self) -> &Device {
        &self.device
    }

    pub fn hidden_size(&self) -> usize {
        self.hidden_size
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Size of the tokenizer's model vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(false)
    }

    /// Ids every window may contain besides its text's pieces: the special tokens around
    /// it, the model card's input prefix, padding and the unknown token.
    pub fn fixed_ids(&self) -> Vec<u32> {
        let mut ids = [self.prefix.as_slice(), &self.suffix, &[self.pad_id]].concat();
        ids.extend(
            self.tokenizer
                .get_added_tokens_decoder()
                .iter()
                .filter(|(_, t)| t.special)
                .map(|(&id, _)| id),
        );
        ids
    }

    /// Ids of the pieces of one character, with or without the SentencePiece word marker.
    pub fn single_char_ids(&self) -> Vec<u32> {
        self.tokenizer
            .get_vocab(false)
            .into_iter()
            .filter(|(piece, _)| piece.trim_start_matches('\u{2581}').chars().count() == 1)
            .map(|(_, id)| id)
            .collect()
    }

    /// Ids of the `n` most probable pieces of a Unigram (SentencePiece) tokenizer; empty
    /// for other tokenizers.
    pub fn most_probable_ids(&self, n: usize) -> Vec<u32> {
        let mut scored: Vec<(f64, u32)> = match self.tokenizer.get_model() {
            Pieces::Hf(tokenizers::ModelWrapper::Unigram(model)) => model
                .iter()
                .enumerate()
                .map(|(id, (_, score))| (*score, id as u32))
                .collect(),
            Pieces::Unigram(model) => model
                .scores()
                .iter()
                .enumerate()
                .map(|(id, score)| (*score, id as u32))
                .collect(),
            Pieces::Hf(_) => return Vec::new(),
        };
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, id)| id).collect()
    }

    /// Number of special tokens added around every window.
    pub fn special_len(&self) -> usize {
        self.prefix.len() + self.suffix.len()
    }

    /// Tokenizes texts in parallel, without special tokens and without truncation.
    ///
    /// Token offsets never include whitespace: Metaspace (SentencePiece) tokenizers report
    /// a word's first piece with the space before it, which is trimmed here so that spans
    /// built from tokens start at the word.
    pub fn tokenize(&self, texts: &[&str]) -> Result<Vec<Tokens>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encodings
            .into_iter()
            .zip(texts)
            .map(|(e, text)| {
                let mut tokens = Tokens::default();
                for ((&id, &(start, end)), &word) in e
                    .get_ids()
                    .iter()
                    .zip(e.get_offsets())
                    .zip(e.get_word_ids())
                {
                    let trimmed = text
                        .get(start..end)
                        .map_or(0, |piece| piece.len() - piece.trim_start().len());
                    let start = if start + trimmed < end {
                        start + trimmed
                    } else {
                        start
                    };
                    tokens.ids.push(id);
                    tokens.offsets.push((start, end));
                    tokens.words.push(word);
                }
                tokens
            })
            .collect())
    }

    /// Runs the encoder on a batch of token windows (without special tokens).
    ///
    /// Returns the hidden states `[batch, len, hidden]` and the attention mask
    /// `[batch, len]` (f32, 1 for real tokens). Position 0 is the first special token;
    /// the window's tokens start at [`Encoder::content_offset`].
    pub fn forward(&self, windows: &[&[u32]]) -> Result<(Tensor, Tensor)> {
        let batch = windows.len();
        let (ids, mask, len) = self.padded(windows);
        let hidden = match &self.model {
            Backend::Cpu(model) => {
                // Packed real tokens in, padded [batch, len, hidden] out (padding rows zero).
                let sequences: Vec<&[u32]> = ids
                    .chunks_exact(len.max(1))
                    .zip(windows)
                    .map(|(row, w)| &row[..w.len() + self.special_len()])
                    .collect();
                let packed = model.forward(&sequences)?;
                let h = self.hidden_size;
                let mut padded = vec![0f32; batch * len * h];
                let mut source = packed.chunks_exact(h);
                for (row, &m) in padded.chunks_exact_mut(h).zip(&mask) {
                    if m > 0.0 {
                        row.copy_from_slice(source.next().expect("one state per real token"));
                    }
                }
                Tensor::from_vec(padded, (batch, len, h), &self.device)?
            }
            Backend::Candle(model) => {
                let ids = Tensor::from_vec(ids, (batch, len), &self.device)?;
                let mask = Tensor::from_vec(mask.clone(), (batch, len), &self.device)?;
                model.forward(&ids, &mask)?
            }
        };
        let mask = Tensor::from_vec(mask, (batch, len), &self.device)?;
        Ok((hidden, mask))
    }

    /// The padded ids and mask (`batch × len`, row-major) of windows with their special
    /// tokens, and `len`.
    pub fn padded(&self, windows: &[&[u32]]) -> (Vec<u32>, Vec<f32>, usize) {
        pad_windows(windows, &self.prefix, &self.suffix, self.pad_id)
    }

    /// Index of the first content token inside a window's hidden states.
    pub fn content_offset(&self) -> usize {
        self.prefix.len()
    }
}

/// Pads windows (without special tokens) to one length: ids and mask (`batch × len`,
/// row-major) and `len`, the special tokens around every window.
pub(crate) fn pad_windows(
    windows: &[&[u32]],
    prefix: &[u32],
    suffix: &[u32],
    pad_id: u32,
) -> (Vec<u32>, Vec<f32>, usize) {
    let special = prefix.len() + suffix.len();
    let len = windows.iter().map(|w| w.len()).max().unwrap_or(0) + special;
    let batch = windows.len();
    let mut ids = Vec::with_capacity(batch * len);
    let mut mask = Vec::with_capacity(batch * len);
    for window in windows {
        let real = window.len() + special;
        ids.extend_from_slice(prefix);
        ids.extend_from_slice(window);
        ids.extend_from_slice(suffix);
        ids.resize(ids.len() + len - real, pad_id);
        mask.extend(std::iter::repeat_n(1f32, real));
        mask.extend(std::iter::repeat_n(0f32, len - real));
    }
    (ids, mask, len)
}

/// Hex sha256 of a file, streamed.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use candle_transformers::models::bert::BertModel;

    use super::*;

    /// Both forward passes (the CPU one, with its packed dense layers and with the
    /// `gemm` fallback of CPUs without AVX-512 or AVX2, and the candle one used on accelerators)
    /// compute what candle's reference `BertModel` computes, on a padded batch of mixed
    /// lengths.
    #[test]
    fn forward_passes_match_the_candle_reference() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/base/all-MiniLM-L6-v2");
        let encoder = Encoder::load(&dir, &Device::Cpu).unwrap();
        assert!(matches!(encoder.model, Backend::Cpu(_)));
        crate::model::packed::PRETEND_NO_KERNEL.with(|p| p.set(true));
        let fallback = Encoder::load(&dir, &Device::Cpu).unwrap();
        crate::model::packed::PRETEND_NO_KERNEL.with(|p| p.set(false));
        let config: BertConfig =
            serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap())
                .unwrap();
        let vb = unsafe {
            VarBuilder::from_mmaped_safetensors(
                &[dir.join("model.safetensors")],
                DType::F32,
                &Device::Cpu,
            )
        }
        .unwrap();
        let reference = BertModel::load(vb.clone(), &config).unwrap();
        let tuned = Bert::load(vb, &config).unwrap();
        let texts = [
            "hi",
            "where is my order 113542617735902, it is late",
            "Åre 😀 ok",
        ];
        let tokens = encoder.tokenize(&texts).unwrap();
        let windows: Vec<&[u32]> = tokens.iter().map(|t| t.ids.as_slice()).collect();
        let (cpu, mask) = encoder.forward(&windows).unwrap();
        let (cpu_gemm, _) = fallback.forward(&windows).unwrap();
        let (b, len) = mask.dims2().unwrap();
        let mut ids = Vec::new();
        for w in &windows {
            ids.extend(encoder.prefix.iter().chain(w.iter()).chain(&encoder.suffix));
            ids.resize(
                ids.len() + len - w.len() - encoder.special_len(),
                encoder.pad_id,
            );
        }
        let ids = Tensor::from_vec(ids, (b, len), &Device::Cpu).unwrap();
        let expected = reference
            .forward(&ids, &ids.zeros_like().unwrap(), Some(&mask))
            .unwrap();
        let candle = tuned.forward(&ids, &mask).unwrap();
        // Compare the states of real tokens only (padding rows are never read).
        for (name, states) in [("cpu", cpu), ("cpu gemm", cpu_gemm), ("candle", candle)] {
            let diff = crate::model::max_abs_diff(&states, &expected, Some(&mask));
            assert!(diff < 1e-4, "{name}: max difference {diff}");
        }
    }

    /// Mean-pooled states of real tokens, per text.
    fn pooled(encoder: &Encoder, texts: &[&str]) -> (Vec<Vec<f32>>, Tensor) {
        let tokens = encoder.tokenize(texts).unwrap();
        let windows: Vec<&[u32]> = tokens.iter().map(|t| t.ids.as_slice()).collect();
        let (states, mask) = encoder.forward(&windows).unwrap();
        let sums = states
            .broadcast_mul(&mask.unsqueeze(2).unwrap())
            .unwrap()
            .sum(1)
            .unwrap();
        let pooled = sums
            .broadcast_div(&mask.sum_keepdim(1).unwrap())
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        (pooled, states)
    }

    const TEXTS: [&str; 6] = [
        "hi",
        "where is my order 113542617735902, it is late",
        "Åre 😀 ok",
        "I want to cancel my subscription and get a refund for last month",
        "the movie was a total waste of time, the acting is awful",
        "book a table for two at an italian restaurant tomorrow at 7 pm",
    ];

    /// The lowest cosine between two lists of vectors, pair by pair.
    fn worst_cosine(expected: &[Vec<f32>], got: &[Vec<f32>]) -> f32 {
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        expected
            .iter()
            .zip(got)
            .map(|(e, g)| e.iter().zip(g).map(|(a, b)| a * b).sum::<f32>() / (norm(e) * norm(g)))
            .fold(1f32, f32::min)
    }

    /// The int8 encoder (AVX-512 VNNI) stays close to the f32 one on real text: every
    /// mean-pooled vector has cosine ≥ 0.995 with its f32 counterpart (measured: ≥ 0.999
    /// on these texts, see the message), and token states differ by less than 0.25 at
    /// most, against state magnitudes of up to ≈ 10 (measured ≈ 0.1).
    #[test]
    fn int8_encoder_is_close_to_f32() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/base/all-MiniLM-L6-v2");
        let int8 = Encoder::load_adapted(&dir, &Device::Cpu, None, None, Precision::Int8).unwrap();
        if int8.precision() != Precision::Int8 {
            assert!(!crate::model::int8::available());
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, the int8 request runs in f32");
            return;
        }
        let f32 = Encoder::load(&dir, &Device::Cpu).unwrap();
        assert_eq!(f32.precision(), Precision::F32);
        let (expected, expected_states) = pooled(&f32, &TEXTS);
        let (got, got_states) = pooled(&int8, &TEXTS);
        let worst = worst_cosine(&expected, &got);
        let diff = crate::model::max_abs_diff(&expected_states, &got_states, None);
        eprintln!("int8 vs f32: worst pooled cosine {worst:.5}, max token-state diff {diff:.4}");
        assert!(worst >= 0.995, "worst pooled cosine {worst}");
        assert!(diff < 0.25, "max token-state difference {diff}");
    }

    /// The f16-weight encoder stays closer still to the f32 one: pooled cosine ≥ 0.9999 and
    /// token states within 0.05 (the weights' rounding error is ≤ 2⁻¹¹ relative, the sums
    /// stay f32).
    #[test]
    fn f16_encoder_is_close_to_f32() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/base/all-MiniLM-L6-v2");
        let f16 = Encoder::load_adapted(&dir, &Device::Cpu, None, None, Precision::F16).unwrap();
        if f16.precision() != Precision::F16 {
            eprintln!("skipped: this CPU has no packed kernel, the f16 request runs in f32");
            return;
        }
        let f32 = Encoder::load(&dir, &Device::Cpu).unwrap();
        let (expected, expected_states) = pooled(&f32, &TEXTS);
        let (got, got_states) = pooled(&f16, &TEXTS);
        assert_ne!(expected, got, "f16 weights change the numbers a little");
        let worst = worst_cosine(&expected, &got);
        let diff = crate::model::max_abs_diff(&expected_states, &got_states, None);
        eprintln!("f16 vs f32: worst pooled cosine {worst:.6}, max token-state diff {diff:.4}");
        assert!(worst >= 0.9999, "worst pooled cosine {worst}");
        assert!(diff < 0.05, "max token-state difference {diff}");
    }

    /// Where the CPU lacks AVX-512 VNNI, asking for int8 loads the f32 path, which computes
    /// exactly what an f32 encoder computes. (The layers load on other threads: the flag
    /// that pretends there is no VNNI is read once, on the loading thread.)
    #[test]
    fn int8_request_falls_back_to_f32_without_vnni() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/base/all-MiniLM-L6-v2");
        crate::model::int8::PRETEND_NO_VNNI.with(|p| p.set(true));
        let fallback =
            Encoder::load_adapted(&dir, &Device::Cpu, None, None, Precision::Int8).unwrap();
        crate::model::int8::PRETEND_NO_VNNI.with(|p| p.set(false));
        assert_eq!(fallback.precision(), Precision::F32);
        let f32 = Encoder::load(&dir, &Device::Cpu).unwrap();
        let (expected, _) = pooled(&f32, &TEXTS);
        let (got, _) = pooled(&fallback, &TEXTS);
        assert_eq!(expected, got);
    }

    /// e5's "query: " goes into the model after [CLS]; offsets of its SentencePiece tokens
    /// start at the word, not at the space before it.
    #[test]
    fn e5_prefix_is_fed_and_offsets_skip_spaces() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/base/multilingual-e5-small");
        let encoder = Encoder::load(&dir, &Device::Cpu).unwrap();
        let query = encoder.tokenizer.encode("query:", false).unwrap();
        assert_eq!(encoder.prefix[1..], *query.get_ids());
        assert_eq!(encoder.content_offset(), 1 + query.get_ids().len());
        let tokens = encoder.tokenize(&["Anna Svensson  från IKEA"]).unwrap();
        assert_eq!(
            tokens[0].offsets,
            [(0, 4), (5, 9), (9, 13), (15, 20), (21, 25)]
        );
    }
}
