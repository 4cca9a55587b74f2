//! Vocabulary pruning: keep only the token pieces that a deployment's languages need.
//!
//! multilingual-e5-small carries a 250,002-piece SentencePiece vocabulary for about a
//! hundred languages; its word embedding is 384 MB of the ≈470 MB f32 model. A shop that
//! serves English and Swedish uses a small part of it. A [`Vocabulary`] lists the base
//! tokenizer's ids to keep (sorted); at load the tokenizer is rebuilt over those pieces,
//! renumbered in order, and only their embedding rows are materialised.
//!
//! **Consistency.** The tokenizer is a Unigram model: it picks the highest-scoring
//! segmentation among the pieces it knows. When the full vocabulary's best segmentation of a
//! text uses kept pieces only, it is still the best among the kept pieces, so the pruned
//! tokenizer gives the same pieces (renumbered) and the model the same vectors. This holds
//! for every text the vocabulary was built from. [`prune`] also keeps every single-character
//! piece by default, so text outside the corpus still segments into known pieces (finer
//! ones than before) instead of `<unk>`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokenizers::Tokenizer;

use crate::error::{Error, Result};

/// File name of the pruned vocabulary inside a model directory.
pub const VOCABULARY_FILE: &str = "vocabulary.json";

/// The base-tokenizer ids a model package keeps (`vocabulary.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Size of the base tokenizer's vocabulary the ids refer to.
    pub base_size: usize,
    /// Kept ids of the base vocabulary, strictly increasing; new id = index in this list.
    pub ids: Vec<u32>,
}

impl Vocabulary {
    /// A vocabulary of `ids` (any order, repeats allowed) out of `base_size` pieces.
    pub fn new(base_size: usize, ids: impl IntoIterator<Item = u32>) -> Result<Self> {
        let ids: Vec<u32> = ids
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let vocabulary = Self { base_size, ids };
        vocabulary.check().map_err(Error::Config)?;
        Ok(vocabulary)
    }

    /// Reads and checks `path`.
    pub fn read(path: &Path) -> Result<Self> {
        crate::error::regular_file(path, crate::error::limits::TOKENIZER)?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let vocabulary: Self = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        vocabulary.check().map_err(|reason| Error::Vocabulary {
            path: path.to_owned(),
            reason,
        })?;
        Ok(vocabulary)
    }

    /// Writes `path` (compact JSON).
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string(self).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        std::fs::write(path, text + "\n").map_err(|e| Error::io(path, e))
    }

    /// Number of kept pieces.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no piece is kept (never true of a checked vocabulary).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The new id of base id `id`, if kept.
    pub fn new_id(&self, id: u32) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|i| i as u32)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.ids.is_empty() {
            return Err("the vocabulary keeps no piece".into());
        }
        if self.ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err("ids are not strictly increasing".into());
        }
        if let Some(&last) = self.ids.last()
            && last as usize >= self.base_size
        {
            return Err(format!(
                "id {last} is outside the base vocabulary of {}",
                self.base_size
            ));
        }
        Ok(())
    }

    /// The tokenizer of `tokenizer.json` text `json`, restricted to the kept pieces and
    /// renumbered (crate API). Only Unigram (SentencePiece) tokenizers can be pruned: for
    /// them a subset of pieces is still a complete, consistent model. `path` names the
    /// tokenizer file in errors.
    pub(crate) fn prune_tokenizer(&self, json: &str, path: &Path) -> Result<Tokenizer> {
        let bad = |reason: String| Error::Vocabulary {
            path: path.to_owned(),
            reason,
        };
        let mut value: Value = serde_json::from_str(json).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        let model = value
            .get_mut("model")
            .ok_or_else(|| bad("tokenizer has no model".into()))?;
        if model.get("type").and_then(Value::as_str) != Some("Unigram") {
            return Err(bad(
                "only Unigram (SentencePiece) tokenizers can be pruned".into()
            ));
        }
        let pieces = model
            .get_mut("vocab")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| bad("Unigram tokenizer without a vocab list".into()))?;
        if pieces.len() != self.base_size {
            return Err(bad(format!(
                "the vocabulary was built for {} pieces, the tokenizer has {}",
                self.base_size,
                pieces.len()
            )));
        }
        let kept: Vec<Value> = self
            .ids
            .iter()
            .map(|&id| std::mem::take(&mut pieces[id as usize]))
            .collect();
        *pieces = kept;
        let remap = |v: &mut Value, what: &str| -> Result<()> {
            let Some(id) = v.as_u64() else {
                return Err(bad(format!("{what} is not an id")));
            };
            let new = u32::try_from(id)
                .ok()
                .and_then(|id| self.new_id(id))
                .ok_or_else(|| bad(format!("{what} (id {id}) is not kept")))?;
            *v = Value::from(new);
            Ok(())
        };
        if let Some(unk) = model.get_mut("unk_id").filter(|v| !v.is_null()) {
            remap(unk, "the unknown token")?;
        }
        // Added (special) tokens that are not kept are dropped; the kept ones renumbered.
        if let Some(added) = value.get_mut("added_tokens").and_then(Value::as_array_mut) {
            added.retain(|t| {
                t.get("id")
                    .and_then(Value::as_u64)
                    .and_then(|id| u32::try_from(id).ok())
                    .is_some_and(|id| self.new_id(id).is_some())
            });
            for token in added.iter_mut() {
                if let Some(id) = token.get_mut("id") {
                    remap(id, "an added token")?;
                }
            }
        }
        // Special tokens of a template post-processor ({"<s>": {"ids": [0], ...}}).
        if let Some(specials) = value
            .pointer_mut("/post_processor/special_tokens")
            .and_then(Value::as_object_mut)
        {
            for (name, special) in specials.iter_mut() {
                if let Some(ids) = special.get_mut("ids").and_then(Value::as_array_mut) {
                    for id in ids {
                        remap(id, &format!("special token {name}"))?;
                    }
                }
            }
        }
        let text = value.to_string();
        text.parse::<Tokenizer>()
            .map_err(|e| bad(format!("pruned tokenizer does not load: {e}")))
    }
}

/// Options of [`prune`].
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// Keep every piece of one character (with or without the word-start marker), so that
    /// text outside the corpus never becomes `<unk>` where the full vocabulary had a piece.
    pub single_chars: bool,
    /// Also keep this many of the tokenizer's most probable pieces (by Unigram score), so
    /// that frequent words outside the corpus keep their pieces.
    pub most_probable: usize,
}

impl Default for PruneOptions {
    fn default() -> Self {
        Self {
            single_chars: true,
            most_probable: 0,
        }
    }
}

/// What [`prune`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    pub out: PathBuf,
    pub base_size: usize,
    pub kept: usize,
    /// Pieces the corpus used.
    pub corpus_pieces: usize,
    pub corpus_texts: usize,
    pub corpus_tokens: usize,
}

/// Writes a copy of the model package in `model` to `out` whose encoder keeps only the
/// pieces that `texts` use (plus special tokens, the model card's input prefix, with
/// [`PruneOptions::single_chars`] every one-character piece, and the
/// [`PruneOptions::most_probable`] pieces).
///
/// `out` gets `tolka.json` (encoder path rewritten to reach the same base encoder, the
/// vocabulary named in `encoder.vocabulary`), `heads.safetensors`, the LoRA adapters if the
/// package has them, and `vocabulary.json`.
/// The heads are unchanged: the kept pieces keep their embeddings.
pub fn prune(
    model: &Path,
    out: &Path,
    texts: &[&str],
    options: &PruneOptions,
) -> Result<PruneReport> {
    use crate::model::encoder::Encoder;
    use crate::model::{HEADS_FILE, Manifest};

    let mut manifest = Manifest::read(model)?;
    if manifest.encoder.vocabulary.is_some() {
        return Err(Error::Config(format!(
            "{} is already pruned; prune the package it came from",
            model.display()
        )));
    }
    let encoder_dir = if manifest.encoder.path.is_absolute() {
        manifest.encoder.path.clone()
    } else {
        model.join(&manifest.encoder.path)
    };
    let encoder = Encoder::load(&encoder_dir, &candle_core::Device::Cpu)?;
    let mut ids = BTreeSet::new();
    let mut corpus_tokens = 0;
    for chunk in texts.chunks(4096) {
        for tokens in encoder.tokenize(chunk)? {
            corpus_tokens += tokens.ids.len();
            ids.extend(tokens.ids);
        }
    }
    let corpus_pieces = ids.len();
    ids.extend(encoder.fixed_ids());
    if options.single_chars {
        ids.extend(encoder.single_char_ids());
    }
    ids.extend(encoder.most_probable_ids(options.most_probable));
    let vocabulary = Vocabulary::new(encoder.vocab_size(), ids)?;
    // The package must load: only a Unigram tokenizer can be pruned (a WordPiece one is
    // refused here, before anything is written).
    let tokenizer_path = encoder_dir.join("tokenizer.json");
    let json =
        std::fs::read_to_string(&tokenizer_path).map_err(|e| Error::io(&tokenizer_path, e))?;
    vocabulary.prune_tokenizer(&json, &tokenizer_path)?;

    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    vocabulary.write(&out.join(VOCABULARY_FILE))?;
    let heads = model.join(HEADS_FILE);
    std::fs::copy(&heads, out.join(HEADS_FILE)).map_err(|e| Error::io(&heads, e))?;
    if let Some(adapters) = &manifest.adapters {
        let from = model.join(&adapters.file);
        std::fs::copy(&from, out.join(&adapters.file)).map_err(|e| Error::io(&from, e))?;
    }
    let canonical = |p: &Path| p.canonicalize().map_err(|e| Error::io(p, e));
    manifest.encoder.path =
        crate::model::manifest::relative_encoder_path(&canonical(out)?, &canonical(&encoder_dir)?);
    manifest.encoder.vocabulary = Some(PathBuf::from(VOCABULARY_FILE));
    manifest.write(out)?;
    Ok(PruneReport {
        out: out.to_owned(),
        base_size: vocabulary.base_size,
        kept: vocabulary.len(),
        corpus_pieces,
        corpus_texts: texts.len(),
        corpus_tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Unigram tokenizer with special tokens <s>=0, <pad>=1, </s>=2, <unk>=3 and <mask>
    /// at the end, as XLM-R's.
    fn tiny_tokenizer() -> String {
        let pieces = [
            "<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "c", "▁ab", "▁abc", "▁c", "bc", "ca",
            "▁cab", "<mask>",
        ];
        let vocab: Vec<Value> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let score = if p.starts_with('<') {
                    0.0
                } else {
                    -(i as f64) * 0.1 - p.chars().count() as f64 * 0.01
                };
                serde_json::json!([p, score])
            })
            .collect();
        let special = |id: usize, content: &str| {
            serde_json::json!({"id": id, "content": content, "single_word": false,
                "lstrip": false, "rstrip": false, "normalized": false, "special": true})
        };
        serde_json::json!({
            "version": "1.0",
            "truncation": null,
            "padding": null,
            "added_tokens": [special(0, "<s>"), special(1, "<pad>"), special(2, "</s>"),
                             special(3, "<unk>"), special(14, "<mask>")],
            "normalizer": null,
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {
                    "<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                    "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}
                }
            },
            "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
            "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": false}
        })
        .to_string()
    }

    fn ids(tokenizer: &Tokenizer, text: &str) -> Vec<u32> {
        tokenizer.encode(text, true).unwrap().get_ids().to_vec()
    }

    #[test]
    fn pruned_tokenizer_renumbers_and_segments_the_corpus_alike() {
        let json = tiny_tokenizer();
        let full: Tokenizer = json.parse().unwrap();
        let corpus = "abc cab";
        let used = ids(&full, corpus);
        // <s> ▁abc ▁cab </s>
        assert_eq!(used, vec![0, 9, 13, 2]);
        let vocabulary = Vocabulary::new(15, used.iter().copied().chain(0..4)).unwrap();
        assert_eq!(vocabulary.ids, vec![0, 1, 2, 3, 9, 13]);
        let pruned = vocabulary
            .prune_tokenizer(&json, Path::new("tokenizer.json"))
            .unwrap();
        assert_eq!(pruned.get_vocab_size(false), 6);
        let mapped: Vec<u32> = used
            .iter()
            .map(|&i| vocabulary.new_id(i).unwrap())
            .collect();
        assert_eq!(ids(&pruned, corpus), mapped);
        assert_eq!(pruned.token_to_id("▁cab"), Some(5));
        // <mask> was not kept, so it is no longer an added token.
        assert_eq!(pruned.token_to_id("<mask>"), None);
        // Text outside the corpus falls back to <unk> (new id 3) without single characters.
        assert_eq!(ids(&pruned, "ab"), vec![0, 3, 2]);
    }

    #[test]
    fn single_character_pieces_keep_unseen_words_known() {
        let json = tiny_tokenizer();
        // ▁ a b c kept: "ab" becomes ▁ a b instead of ▁ab, never <unk>.
        let vocabulary = Vocabulary::new(15, [0, 1, 2, 3, 4, 5, 6, 7, 9]).unwrap();
        let pruned = vocabulary
            .prune_tokenizer(&json, Path::new("tokenizer.json"))
            .unwrap();
        let got = ids(&pruned, "ab");
        assert!(!got.contains(&3), "{got:?}");
        assert_eq!(got, vec![0, 4, 5, 6, 2]);
    }

    #[test]
    fn bad_vocabularies_are_errors() {
        assert!(Vocabulary::new(4, [0, 5]).is_err());
        assert!(Vocabulary::new(4, []).is_err());
        let json = tiny_tokenizer();
        let path = Path::new("tokenizer.json");
        // Built for another tokenizer.
        let other = Vocabulary::new(20, [0, 1, 2, 3]).unwrap();
        let err = other.prune_tokenizer(&json, path).unwrap_err().to_string();
        assert!(err.contains("built for 20 pieces"), "{err}");
        // The unknown token must be kept.
        let no_unk = Vocabulary::new(15, [0, 1, 2, 9]).unwrap();
        let err = no_unk.prune_tokenizer(&json, path).unwrap_err().to_string();
        assert!(err.contains("unknown token"), "{err}");
        // Special tokens of the post-processor must be kept.
        let no_eos = Vocabulary::new(15, [0, 1, 3, 9]).unwrap();
        let err = no_eos.prune_tokenizer(&json, path).unwrap_err().to_string();
        assert!(err.contains("</s>"), "{err}");
        // Only Unigram tokenizers.
        let wordpiece = json.replace("\"Unigram\"", "\"WordPiece\"");
        let all = Vocabulary::new(15, 0..15).unwrap();
        assert!(all.prune_tokenizer(&wordpiece, path).is_err());
    }

    #[test]
    fn files_round_trip_and_unsorted_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VOCABULARY_FILE);
        let vocabulary = Vocabulary::new(10, [7, 0, 3, 3]).unwrap();
        vocabulary.write(&path).unwrap();
        assert_eq!(Vocabulary::read(&path).unwrap(), vocabulary);
        std::fs::write(&path, r#"{"base_size": 10, "ids": [3, 1]}"#).unwrap();
        let err = Vocabulary::read(&path).unwrap_err();
        assert!(
            matches!(&err, Error::Vocabulary { path: p, .. } if p == &path),
            "{err}"
        );
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(Vocabulary::read(&path), Err(Error::Json { .. })));
    }
}
