//! The text tokenizer of an encoder: Hugging Face `tokenizers` for normalisation,
//! pre-tokenisation, offsets and special tokens, with a compact Unigram model for
//! SentencePiece vocabularies.
//!
//! `tokenizers`' own Unigram model keeps its 250,002 XLM-R pieces (multilingual-e5-small)
//! in a byte trie with a hash map in every node: 330 MB resident and 0.4–0.6 s to build, more
//! than the 4-bit encoder itself. [`CompactUnigram`] holds the same pieces in a finite-state
//! transducer ([`fst`], a few MB, built at load from the sorted pieces) and runs the same
//! Viterbi search as `tokenizers`' optimised Unigram encoder (SentencePiece's
//! `EncodeOptimized`): the same pieces in the same order, the same tie-breaking (the
//! shorter piece first), unknown characters scored `min score - 10` and runs of them
//! fused into one `<unk>`. Other models (WordPiece, a pruned vocabulary) keep `tokenizers`'
//! implementation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::unigram::UnigramTrainer;
use tokenizers::{
    AddedToken, DecoderWrapper, Model, ModelWrapper, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Token, Tokenizer, TokenizerImpl,
};

use crate::error::{Error, Result};

/// The tokenizer an [`Encoder`](crate::model::encoder::Encoder) runs.
pub(crate) type TextTokenizer = TokenizerImpl<
    Pieces,
    NormalizerWrapper,
    PreTokenizerWrapper,
    PostProcessorWrapper,
    DecoderWrapper,
>;

/// SentencePiece's penalty for a character no piece covers, below the lowest piece score.
const UNK_PENALTY: f64 = 10.0;

/// The model of a [`TextTokenizer`]: `tokenizers`' own, or the compact Unigram.
#[derive(Clone)]
pub(crate) enum Pieces {
    Hf(ModelWrapper),
    Unigram(CompactUnigram),
}

/// A Unigram (SentencePiece) model over an FST of its pieces.
#[derive(Clone)]
pub(crate) struct CompactUnigram {
    /// Piece bytes → id (the last id where a piece repeats, as in `tokenizers`).
    index: fst::Map<Vec<u8>>,
    /// All pieces, concatenated in id order; piece `i` is `text[ends[i - 1]..ends[i]]`.
    text: String,
    ends: Vec<u32>,
    scores: Vec<f64>,
    min_score: f64,
    unk_id: Option<u32>,
    byte_fallback: bool,
}

impl CompactUnigram {
    /// A model of `vocab` (pieces with their log-probabilities, in id order).
    pub fn new(
        vocab: Vec<(String, f64)>,
        unk_id: Option<u32>,
        byte_fallback: bool,
    ) -> Result<Self> {
        let invalid = |reason: String| Error::Tokenizer(format!("unigram vocabulary: {reason}"));
        if let Some(unk) = unk_id
            && unk as usize >= vocab.len()
        {
            return Err(invalid(format!(
                "unk_id {unk} is outside {} pieces",
                vocab.len()
            )));
        }
        if vocab.len() > u32::MAX as usize {
            return Err(invalid("too many pieces".into()));
        }
        let mut text = String::with_capacity(vocab.iter().map(|(p, _)| p.len()).sum());
        let mut ends = Vec::with_capacity(vocab.len());
        let mut scores = Vec::with_capacity(vocab.len());
        let mut min_score = f64::INFINITY;
        for (piece, score) in &vocab {
            if !score.is_finite() {
                return Err(invalid(format!("piece {piece:?} has the score {score}")));
            }
            text.push_str(piece);
            ends.push(u32::try_from(text.len()).map_err(|_| invalid("pieces too long".into()))?);
            scores.push(*score);
            min_score = min_score.min(*score);
        }
        drop(vocab);
        let mut order: Vec<(&[u8], u32)> = Vec::with_capacity(ends.len());
        let mut start = 0;
        for (id, &end) in ends.iter().enumerate() {
            order.push((&text.as_bytes()[start..end as usize], id as u32));
            start = end as usize;
        }
        // Sorted by piece, the last id of a repeated piece last: it is the one kept.
        order.sort_unstable();
        let mut builder = fst::MapBuilder::memory();
        for (k, &(piece, id)) in order.iter().enumerate() {
            let repeated = order.get(k + 1).is_some_and(|&(next, _)| next == piece);
            if piece.is_empty() || repeated {
                continue;
            }
            builder
                .insert(piece, u64::from(id))
                .map_err(|e| invalid(e.to_string()))?;
        }
        drop(order);
        let index = builder.into_map();
        Ok(Self {
            index,
            text,
            ends,
            scores,
            min_score,
            unk_id,
            byte_fallback,
        })
    }

    fn piece(&self, id: u32) -> Option<&str> {
        let end = *self.ends.get(id as usize)? as usize;
        let start = if id == 0 {
            0
        } else {
            self.ends[id as usize - 1] as usize
        };
        Some(&self.text[start..end])
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The log-probability of every piece, in id order.
    pub fn scores(&self) -> &[f64] {
        &self.scores
    }

    /// The best segmentation of `sentence` as byte ranges, with each range's piece id
    /// (`None` for a run of unknown characters).
    fn segment(&self, sentence: &str) -> Result<Vec<(usize, usize, Option<u32>)>> {
        #[derive(Clone, Copy)]
        struct Best {
            id: u32,
            score: f64,
            start: Option<usize>,
        }
        let size = sentence.len();
        let bytes = sentence.as_bytes();
        let unk_score = self.min_score - UNK_PENALTY;
        let missing_unk = || Error::Tokenizer("a character no piece covers, and no unk_id".into());
        let mut best = vec![
            Best {
                id: 0,
                score: 0.0,
                start: None,
            };
            size + 1
        ];
        let fst = self.index.as_fst();
        let mut start = 0;
        while start < size {
            let here = best[start].score;
            let char_len = sentence[start..].chars().next().map_or(1, char::len_utf8);
            let mut single = false;
            // Every piece that is a prefix of the rest, shortest first (a trie walk).
            let mut node = fst.root();
            let mut output = fst::raw::Output::zero();
            for (i, &b) in bytes[start..].iter().enumerate() {
                let Some(t) = node.find_input(b) else { break };
                let t = node.transition(t);
                output = output.cat(t.out);
                node = fst.node(t.addr);
                if !node.is_final() {
                    continue;
                }
                let id = output.cat(node.final_output()).value() as u32;
                let end = start + i + 1;
                let score = here + self.scores[id as usize];
                let target = &mut best[end];
                if target.start.is_none() || score > target.score {
                    *target = Best {
                        id,
                        score,
                        start: Some(start),
                    };
                }
                single |= end - start == char_len;
            }
            if !single {
                let unk = self.unk_id.ok_or_else(missing_unk)?;
                let score = here + unk_score;
                let target = &mut best[start + char_len];
                if target.start.is_none() || score > target.score {
                    *target = Best {
                        id: unk,
                        score,
                        start: Some(start),
                    };
                }
            }
            start += char_len;
        }
        let mut out = Vec::new();
        let mut end = size;
        while end > 0 {
            let node = best[end];
            let start = node.start.expect("every char boundary is reached");
            let unknown = Some(node.id) == self.unk_id;
            match out.last_mut() {
                // Runs of unknown characters fuse into one token.
                Some((run_start, _, None)) if unknown => *run_start = start,
                _ => out.push((start, end, (!unknown).then_some(node.id))),
            }
            end = start;
        }
        out.reverse();
        Ok(out)
    }
}

impl Model for Pieces {
    type Trainer = TrainerWrapper;

    fn tokenize(&self, sentence: &str) -> tokenizers::Result<Vec<Token>> {
        let model = match self {
            Self::Hf(model) => return model.tokenize(sentence),
            Self::Unigram(model) => model,
        };
        let mut tokens = Vec::new();
        for (start, end, id) in model.segment(sentence)? {
            let text = &sentence[start..end];
            // A fused run of unknown characters may still spell a piece.
            let id = id.or_else(|| model.index.get(text).map(|id| id as u32));
            let id = match id {
                Some(id) => id,
                None => {
                    if model.byte_fallback {
                        let bytes: Option<Vec<Token>> = text
                            .bytes()
                            .map(|b| {
                                let piece = format!("<0x{b:02X}>");
                                let id = model.index.get(&piece)? as u32;
                                Some(Token::new(id, piece, (start, end)))
                            })
                            .collect();
                        if let Some(bytes) = bytes {
                            tokens.extend(bytes);
                            continue;
                        }
                    }
                    model
                        .unk_id
                        .ok_or_else(|| Error::Tokenizer("an unknown piece, and no unk_id".into()))?
                }
            };
            tokens.push(Token::new(id, text.to_owned(), (start, end)));
        }
        Ok(tokens)
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Self::Hf(model) => model.token_to_id(token),
            Self::Unigram(model) => model.index.get(token).map(|id| id as u32),
        }
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        match self {
            Self::Hf(model) => model.id_to_token(id),
            Self::Unigram(model) => model.piece(id).map(str::to_owned),
        }
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        match self {
            Self::Hf(model) => model.get_vocab(),
            Self::Unigram(model) => {
                let mut vocab = HashMap::with_capacity(model.len());
                let mut stream = model.index.stream();
                while let Some((piece, id)) = fst::Streamer::next(&mut stream) {
                    vocab.insert(String::from_utf8_lossy(piece).into_owned(), id as u32);
                }
                vocab
            }
        }
    }

    fn get_vocab_size(&self) -> usize {
        match self {
            Self::Hf(model) => model.get_vocab_size(),
            Self::Unigram(model) => model.len(),
        }
    }

    fn save(&self, folder: &Path, prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        match self {
            Self::Hf(model) => model.save(folder, prefix),
            Self::Unigram(_) => Err("the compact Unigram model is not saved".into()),
        }
    }

    fn get_trainer(&self) -> TrainerWrapper {
        match self {
            Self::Hf(model) => model.get_trainer(),
            Self::Unigram(_) => TrainerWrapper::UnigramTrainer(UnigramTrainer::default()),
        }
    }
}

/// `tokenizer.json` with a Unigram model, read without building `tokenizers`' trie.
#[derive(Deserialize)]
struct UnigramFile {
    #[serde(default)]
    added_tokens: Vec<AddedTokenWithId>,
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    post_processor: Option<PostProcessorWrapper>,
    decoder: Option<DecoderWrapper>,
    model: UnigramJson,
}

#[derive(Deserialize)]
struct AddedTokenWithId {
    id: u32,
    #[serde(flatten)]
    token: AddedToken,
}

#[derive(Deserialize)]
struct UnigramJson {
    #[serde(rename = "type")]
    kind: String,
    unk_id: Option<u32>,
    vocab: Vec<(String, f64)>,
    #[serde(default)]
    byte_fallback: bool,
}

/// Reads `path` (a `tokenizer.json`): a Unigram model becomes a [`CompactUnigram`], every
/// other model keeps `tokenizers`' implementation.
pub(crate) fn load(path: &Path) -> Result<TextTokenizer> {
    let error = |e: &dyn std::fmt::Display| Error::Tokenizer(format!("{}: {e}", path.display()));
    let json = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    match serde_json::from_str::<UnigramFile>(&json) {
        Ok(file) if file.model.kind == "Unigram" => {
            drop(json);
            let model = CompactUnigram::new(
                file.model.vocab,
                file.model.unk_id,
                file.model.byte_fallback,
            )?;
            let added = file.added_tokens.into_iter().map(|t| (t.id, t.token));
            assemble(
                Pieces::Unigram(model),
                file.normalizer,
                file.pre_tokenizer,
                file.post_processor,
                file.decoder,
                added.collect(),
            )
            .map_err(|e| error(&e))
        }
        _ => {
            let tokenizer: Tokenizer = json.parse().map_err(|e| error(&e))?;
            from_hf(tokenizer).map_err(|e| error(&e))
        }
    }
}

/// A `tokenizers` tokenizer as a [`TextTokenizer`] (same model and components).
pub(crate) fn from_hf(tokenizer: Tokenizer) -> std::result::Result<TextTokenizer, String> {
    let added = tokenizer.get_added_tokens_decoder().into_iter().collect();
    assemble(
        Pieces::Hf(tokenizer.get_model().clone()),
        tokenizer.get_normalizer().cloned(),
        tokenizer.get_pre_tokenizer().cloned(),
        tokenizer.get_post_processor().cloned(),
        tokenizer.get_decoder().cloned(),
        added,
    )
}

/// The tokenizer of `model` and its components, with the added (special) tokens at the ids
/// the file gives them: a token whose id would change is an error, not a silent shift.
fn assemble(
    model: Pieces,
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    post_processor: Option<PostProcessorWrapper>,
    decoder: Option<DecoderWrapper>,
    mut added: Vec<(u32, AddedToken)>,
) -> std::result::Result<TextTokenizer, String> {
    let mut tokenizer = TokenizerImpl::new(model);
    tokenizer
        .with_normalizer(normalizer)
        .map_err(|e| e.to_string())?
        .with_pre_tokenizer(pre_tokenizer)
        .with_post_processor(post_processor)
        .with_decoder(decoder);
    added.sort_by_key(|(id, _)| *id);
    tokenizer
        .add_tokens(added.iter().map(|(_, t)| t.clone()))
        .map_err(|e| e.to_string())?;
    for (id, token) in &added {
        let got = tokenizer.token_to_id(&token.content);
        if got != Some(*id) {
            return Err(format!(
                "added token {:?} has id {id} in the file but {got:?} in the tokenizer",
                token.content
            ));
        }
    }
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e5_tokenizer_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("models/base/multilingual-e5-small/tokenizer.json")
    }

    /// Every text of the project's data (both languages, transcripts, PII cases) and strings
    /// built to hit the edges: unknown characters alone and in runs, the special tokens'
    /// spellings, byte-heavy scripts, emoji, combining marks, long words, whitespace.
    fn corpus() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let mut texts = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "jsonl") {
                    for line in std::fs::read_to_string(&path).unwrap().lines() {
                        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line)
                            && let Some(t) = v.get("text").and_then(|t| t.as_str())
                        {
                            texts.push(t.to_owned());
                        }
                    }
                }
            }
        }
        assert!(texts.len() > 10_000, "only {} texts", texts.len());
        texts.extend(
            [
                "",
                " ",
                "\t\n  \u{3000} ",
                "<unk> <s></s><mask> <pad>x",
                "a<unk>b",
                "\u{10FFFF}\u{E000}\u{E001} \u{1F9CC}\u{1F9CC}x\u{1F9CC}",
                "\u{0378}\u{0379}\u{0380}",
                "e\u{301}\u{301}\u{301} a\u{308}",
                "Ünïcödé ﬁ ﬀ Ⅻ ① ｆｕｌｌｗｉｄｔｈ",
                "Привет, где мой заказ №A-10293? 我的包裹在哪里 عربى ทดสอบ",
                "👍🏽👨‍👩‍👧‍👦🇸🇪 😡😡😡!!!",
                "supercalifragilisticexpialidociousantidisestablishmentarianism",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "https://shop.example.com/p/12345?utm=chatbot&ref=x#frag",
                "\u{200b}zero\u{200d}width\u{feff}",
                "\u{0}\u{1}\u{7f} ctrl",
            ]
            .map(str::to_owned),
        );
        texts
    }

    /// The compact Unigram gives the same ids, offsets and words as `tokenizers`' own
    /// Unigram on every text: one segmentation differing anywhere fails it.
    #[test]
    fn compact_unigram_matches_tokenizers() {
        let path = e5_tokenizer_path();
        let compact = load(&path).unwrap();
        assert!(matches!(compact.get_model(), Pieces::Unigram(_)));
        let reference = Tokenizer::from_file(&path).unwrap();
        assert_eq!(compact.get_vocab_size(true), reference.get_vocab_size(true));
        let texts = corpus();
        let mut tokens = 0;
        for text in &texts {
            for special in [false, true] {
                let got = compact.encode(text.as_str(), special).unwrap();
                let want = reference.encode(text.as_str(), special).unwrap();
                assert_eq!(got.get_ids(), want.get_ids(), "{text:?}");
                assert_eq!(got.get_offsets(), want.get_offsets(), "{text:?}");
                assert_eq!(got.get_word_ids(), want.get_word_ids(), "{text:?}");
                tokens += got.len();
            }
        }
        assert!(tokens > 100_000);
        for id in [0, 3, 5, 1000, 250_001] {
            assert_eq!(compact.id_to_token(id), reference.id_to_token(id));
        }
        assert_eq!(compact.id_to_token(250_002), None);
        assert_eq!(
            compact.token_to_id("▁paket"),
            reference.token_to_id("▁paket")
        );
    }

    /// A repeated piece maps to its last id (as `tokenizers` does); a character no piece
    /// covers becomes `<unk>`, and a run of them one `<unk>`.
    #[test]
    fn repeated_pieces_and_unknown_runs() {
        let vocab = [
            ("<unk>", 0.0),
            ("a", -1.0),
            ("ab", -1.5),
            ("b", -1.0),
            ("a", -2.0),
        ];
        let vocab = vocab.map(|(p, s)| (p.to_owned(), s)).to_vec();
        let model = Pieces::Unigram(CompactUnigram::new(vocab, Some(0), false).unwrap());
        let tokens = model.tokenize("abxyb").unwrap();
        let got: Vec<_> = tokens
            .iter()
            .map(|t| (t.id, t.value.as_str(), t.offsets))
            .collect();
        assert_eq!(
            got,
            [(2, "ab", (0, 2)), (0, "xy", (2, 4)), (3, "b", (4, 5))]
        );
        assert_eq!(model.token_to_id("a"), Some(4));
        assert!(model.tokenize("").unwrap().is_empty());
        let no_unk = vec![("a".to_owned(), -1.0)];
        let model = Pieces::Unigram(CompactUnigram::new(no_unk, None, false).unwrap());
        assert!(model.tokenize("ax").is_err());
        assert!(CompactUnigram::new(vec![("a".to_owned(), 0.0)], Some(1), false).is_err());
        let nan = vec![("<unk>".to_owned(), 0.0), ("a".to_owned(), f64::NAN)];
        assert!(CompactUnigram::new(nan, Some(0), false).is_err());
    }
}
