//! Sentiment: how the customer feels.

use serde::{Deserialize, Serialize};

use crate::model::SentimentHead;
pub use crate::model::manifest::SentimentLabel;

/// A sentiment class.
/// The sentiment of one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    /// P(positive) − P(negative), in [-1, 1].
    pub score: f32,
}

impl Sentiment {
    /// The sentiment of an empty text.
    pub(crate) fn neutral() -> Self {
        Self {
            label: SentimentLabel::Neutral,
            score: 0.0,
        }
    }

    /// Decodes the softmax probabilities of one text.
    pub(crate) fn decode(head: &SentimentHead, probs: &[f32]) -> Self {
        let p = |label| {
            head.labels
                .iter()
                .position(|&l| l == label)
                .map_or(0.0, |i| probs[i])
        };
        let score = (p(SentimentLabel::Positive) - p(SentimentLabel::Negative)).clamp(-1.0, 1.0);
        let best = (0..probs.len())
            .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
            .map_or(SentimentLabel::Neutral, |i| head.labels[i]);
        let has_neutral = head.labels.contains(&SentimentLabel::Neutral);
        let label = if !has_neutral && score.abs() < head.neutral_band {
            SentimentLabel::Neutral
        } else {
            best
        };
        Self { label, score }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::*;

    #[test]
    fn decodes_label_and_score() {
        let binary = SentimentHead {
            labels: vec![Negative, Positive],
            hidden: vec![],
            neutral_band: 0.2,
        };
        let three = SentimentHead {
            labels: vec![Negative, Neutral, Positive],
            hidden: vec![],
            neutral_band: 0.2,
        };
        let cases = [
            (&binary, vec![0.9, 0.1], Negative, -0.8),
            (&binary, vec![0.45, 0.55], Neutral, 0.1),
            (&binary, vec![0.2, 0.8], Positive, 0.6),
            (&three, vec![0.1, 0.8, 0.1], Neutral, 0.0),
            (&three, vec![0.05, 0.45, 0.5], Positive, 0.45),
        ];
        for (head, probs, label, score) in cases {
            let s = Sentiment::decode(head, &probs);
            assert_eq!(s.label, label, "{probs:?}");
            assert!((s.score - score).abs() < 1e-6, "{probs:?}: {}", s.score);
        }
    }
}
