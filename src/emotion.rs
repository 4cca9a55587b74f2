//! Emotions: the multi-label emotion head's decoding.

use serde::{Deserialize, Serialize};

use crate::model::EmotionHead;

/// One emotion of a text, with the head's probability for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Emotion {
    pub label: String,
    /// Sigmoid probability in [0, 1].
    pub score: f32,
}

impl Emotion {
    /// The labels whose probability reaches their threshold, most probable first.
    pub(crate) fn decode(head: &EmotionHead, probs: &[f32]) -> Vec<Emotion> {
        let mut emotions: Vec<Emotion> = head
            .labels
            .iter()
            .zip(&head.thresholds)
            .zip(probs)
            .filter(|((_, threshold), p)| **p >= **threshold)
            .map(|((label, _), &score)| Emotion {
                label: label.clone(),
                score,
            })
            .collect();
        emotions.sort_by(|a, b| b.score.total_cmp(&a.score));
        emotions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_labels_over_their_own_threshold_most_probable_first() {
        let head = EmotionHead {
            labels: vec!["anger".into(), "joy".into(), "neutral".into()],
            hidden: Vec::new(),
            thresholds: vec![0.3, 0.5, 0.9],
        };
        let decoded = Emotion::decode(&head, &[0.35, 0.6, 0.8]);
        let labels: Vec<&str> = decoded.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["joy", "anger"]);
        assert!(Emotion::decode(&head, &[0.1, 0.1, 0.1]).is_empty());
    }
}
