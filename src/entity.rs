//! Entities: what the customer is talking about, as typed character spans.

use serde::{Deserialize, Serialize};

/// Where an entity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntitySource {
    /// The learned token-classification head.
    Model,
    /// A pattern rule (money, dates, e-mails, order ids…), see [`crate::rules`].
    Rule,
    /// The shop's catalog gazetteer.
    Gazetteer,
}

/// One entity span.
///
/// `start` and `end` are **character** offsets (Unicode scalar values, end exclusive), the
/// same as Python `str` indices and the JSONL data format: `text` equals the characters
/// `start..end` of the analysed text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub label: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// Mean probability of the decoded tags over the entity's words.
    pub confidence: f32,
    pub source: EntitySource,
    /// The normalised value, for rule and catalog entities (and model entities that a rule
    /// match covers exactly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<crate::rules::Value>,
}

/// Merges rule matches (byte offsets into `text`) into the model's entities.
///
/// Overlap policy: a model entity keeps its label and span; the rule or catalog match that
/// overlaps it most gives it its normalised value (so `refund_amount` "160" in "160 dollars"
/// gains `{"kind": "money", "amount": "160.00", "currency": "USD"}`), and matches that
/// overlap a model entity are not emitted on their own. Matches that overlap no model entity
/// are added. The result is sorted by start.
pub(crate) fn merge(
    text: &str,
    model: Vec<Entity>,
    matches: Vec<crate::rules::Match>,
) -> Vec<Entity> {
    if matches.is_empty() {
        return model;
    }
    let mut chars = CharOffsets::new(text);
    let mut ruled: Vec<Entity> = Vec::with_capacity(matches.len());
    for m in matches {
        let source = match m.source {
            crate::rules::MatchSource::Rule => EntitySource::Rule,
            crate::rules::MatchSource::Gazetteer => EntitySource::Gazetteer,
        };
        ruled.push(Entity {
            text: text[m.start..m.end].to_owned(),
            start: chars.char_offset(m.start),
            end: chars.char_offset(m.end),
            label: m.label,
            confidence: m.confidence,
            source,
            value: Some(m.value),
        });
    }
    let mut merged: Vec<Entity> = Vec::with_capacity(model.len() + ruled.len());
    let mut covered = vec![false; ruled.len()];
    for mut entity in model {
        let overlap = |r: &Entity| {
            r.end
                .min(entity.end)
                .saturating_sub(r.start.max(entity.start))
        };
        let best = (0..ruled.len())
            .filter(|&r| overlap(&ruled[r]) > 0)
            .max_by_key(|&r| overlap(&ruled[r]));
        for (r, c) in covered.iter_mut().enumerate() {
            *c |= overlap(&ruled[r]) > 0;
        }
        if let Some(r) = best {
            entity.value = ruled[r].value.clone();
        }
        merged.push(entity);
    }
    merged.extend(
        ruled
            .into_iter()
            .zip(covered)
            .filter(|(_, c)| !c)
            .map(|(e, _)| e),
    );
    merged.sort_by_key(|e| (e.start, e.end));
    merged
}

/// A word: its byte range in the text and the log-probabilities of every BIO tag.
pub(crate) struct Word<'a> {
    pub start: usize,
    pub end: usize,
    pub log_probs: &'a [f32],
}

/// Index of the `B-` tag of entity type `k` in the tag set `O, B-0, I-0, B-1, ...`.
pub(crate) fn begin_tag(k: usize) -> usize {
    1 + 2 * k
}

/// Index of the `I-` tag of entity type `k`.
pub(crate) fn inside_tag(k: usize) -> usize {
    2 + 2 * k
}

/// True when tag `cur` may follow tag `prev` (`None` = sequence start) in BIO.
fn allowed(prev: Option<usize>, cur: usize) -> bool {
    if cur == 0 || cur % 2 == 1 {
        return true; // O and B-x may follow anything
    }
    // I-x needs B-x or I-x of the same type just before.
    matches!(prev, Some(p) if p != 0 && (p - 1) / 2 == (cur - 1) / 2)
}

/// Most probable tag sequence that is valid BIO (Viterbi with hard constraints).
pub(crate) fn viterbi(words: &[Word<'_>]) -> Vec<usize> {
    let Some(first) = words.first() else {
        return Vec::new();
    };
    let n_tags = first.log_probs.len();
    let mut score: Vec<f32> = (0..n_tags)
        .map(|t| {
            if allowed(None, t) {
                first.log_probs[t]
            } else {
                f32::NEG_INFINITY
            }
        })
        .collect();
    let mut back = vec![0usize; words.len() * n_tags];
    let mut next = vec![0f32; n_tags];
    for (w, word) in words.iter().enumerate().skip(1) {
        for cur in 0..n_tags {
            let (best_prev, best) = (0..n_tags)
                .filter(|&prev| allowed(Some(prev), cur))
                .map(|prev| (prev, score[prev]))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, f32::NEG_INFINITY));
            next[cur] = best + word.log_probs[cur];
            back[w * n_tags + cur] = best_prev;
        }
        std::mem::swap(&mut score, &mut next);
    }
    let mut tag = (0..n_tags)
        .max_by(|&a, &b| score[a].total_cmp(&score[b]))
        .unwrap_or(0);
    let mut tags = vec![0; words.len()];
    for w in (0..words.len()).rev() {
        tags[w] = tag;
        tag = back[w * n_tags + tag];
    }
    tags
}

/// Decodes words into entities of `text` (labels = entity types of the head).
pub(crate) fn decode(text: &str, words: &[Word<'_>], labels: &[String]) -> Vec<Entity> {
    let tags = viterbi(words);
    let mut spans: Vec<(usize, usize, usize, f32, usize)> = Vec::new(); // type, start, end, sum p, n
    for (word, &tag) in words.iter().zip(&tags) {
        let p = word.log_probs[tag].exp();
        if tag == 0 {
            continue;
        }
        let k = (tag - 1) / 2;
        match spans.last_mut() {
            Some(span) if tag == inside_tag(k) && span.0 == k => {
                span.2 = word.end;
                span.3 += p;
                span.4 += 1;
            }
            _ => spans.push((k, word.start, word.end, p, 1)),
        }
    }
    let mut chars = CharOffsets::new(text);
    spans
        .into_iter()
        .map(|(k, start, end, sum, n)| Entity {
            label: labels[k].clone(),
            text: text[start..end].to_owned(),
            start: chars.char_offset(start),
            end: chars.char_offset(end),
            confidence: sum / n as f32,
            source: EntitySource::Model,
            value: None,
        })
        .collect()
}

/// Converts increasing byte offsets of a text into character offsets in one pass.
pub(crate) struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            chars: 0,
        }
    }

    /// Character offset of byte offset `byte` (must be a char boundary).
    pub fn char_offset(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lp(probs: &[f32]) -> Vec<f32> {
        probs.iter().map(|p| p.ln()).collect()
    }

    #[test]
    fn bio_transitions() {
        // tags: 0 O, 1 B-a, 2 I-a, 3 B-b, 4 I-b
        let cases = [
            (None, 2, false),
            (None, 1, true),
            (Some(0), 2, false),
            (Some(1), 2, true),
            (Some(2), 2, true),
            (Some(3), 2, false),
            (Some(4), 4, true),
            (Some(2), 4, false),
            (Some(4), 0, true),
        ];
        for (prev, cur, ok) in cases {
            assert_eq!(allowed(prev, cur), ok, "{prev:?} -> {cur}");
        }
    }

    #[test]
    fn viterbi_never_emits_invalid_sequences() {
        // Argmax would be I-a, I-b, I-a: invalid. Viterbi must repair it.
        let probs = [
            lp(&[0.1, 0.3, 0.4, 0.1, 0.1]),
            lp(&[0.1, 0.1, 0.2, 0.2, 0.4]),
            lp(&[0.3, 0.1, 0.5, 0.05, 0.05]),
        ];
        let words: Vec<Word> = probs
            .iter()
            .enumerate()
            .map(|(i, p)| Word {
                start: i * 2,
                end: i * 2 + 1,
                log_probs: p,
            })
            .collect();
        let tags = viterbi(&words);
        let mut prev = None;
        for &t in &tags {
            assert!(allowed(prev, t), "{tags:?}");
            prev = Some(t);
        }
        // Best valid path: B-a I-a I-a = .3*.2*.5 = .03 beats B-a B-b I-b... = .3*.2*.05
        assert_eq!(tags, vec![1, 2, 2]);
    }

    #[test]
    fn spans_use_character_offsets() {
        let text = "Köp 2 st Åre-mössor nu";
        // words: "Köp" 0..4 bytes, "2" 5..6, "st" 7..9, "Åre-mössor" 10..22
        let o = lp(&[0.9, 0.05, 0.05]);
        let b = lp(&[0.1, 0.8, 0.1]);
        let i = lp(&[0.1, 0.1, 0.8]);
        let words = [
            Word {
                start: 0,
                end: 4,
                log_probs: &o,
            },
            Word {
                start: 5,
                end: 6,
                log_probs: &o,
            },
            Word {
                start: 7,
                end: 9,
                log_probs: &o,
            },
            Word {
                start: 10,
                end: 14,
                log_probs: &b,
            },
            Word {
                start: 14,
                end: 15,
                log_probs: &i,
            },
            Word {
                start: 15,
                end: 22,
                log_probs: &i,
            },
            Word {
                start: 23,
                end: 25,
                log_probs: &o,
            },
        ];
        let entities = decode(text, &words, &["product".into()]);
        assert_eq!(entities.len(), 1);
        let e = &entities[0];
        assert_eq!(e.text, "Åre-mössor");
        let chars: String = text.chars().skip(e.start).take(e.end - e.start).collect();
        assert_eq!(chars, e.text);
        assert_eq!((e.start, e.end), (9, 19));
        assert!((e.confidence - 0.8).abs() < 1e-5);
    }
}
