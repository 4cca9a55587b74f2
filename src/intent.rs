//! Intent: what the customer wants.

use serde::{Deserialize, Serialize};

use crate::model::IntentHead;

/// Number of ranked alternatives kept in [`Intent::top`].
pub const TOP_K: usize = 5;

/// The predicted intent of one text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// The intent label, or the model's out-of-scope label when `out_of_scope` is true.
    pub label: String,
    /// Probability of the best-ranked label.
    pub confidence: f32,
    /// True when the best label is the out-of-scope class or its probability is below the
    /// model's threshold.
    pub out_of_scope: bool,
    /// The best-ranked labels with their probabilities, most probable first.
    pub top: Vec<(String, f32)>,
}

impl Intent {
    /// The intent of an empty text: out of scope with no alternatives.
    pub(crate) fn empty(head: &IntentHead) -> Self {
        Self {
            label: head.oos_label.clone(),
            confidence: 0.0,
            out_of_scope: true,
            top: Vec::new(),
        }
    }

    /// Decodes the softmax probabilities of one text.
    pub(crate) fn decode(head: &IntentHead, probs: &[f32]) -> Self {
        let mut ranked: Vec<usize> = (0..probs.len()).collect();
        ranked.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        let best = ranked[0];
        let confidence = probs[best];
        let out_of_scope = head.labels[best] == head.oos_label || confidence < head.oos_threshold;
        Self {
            label: if out_of_scope {
                head.oos_label.clone()
            } else {
                head.labels[best].clone()
            },
            confidence,
            out_of_scope,
            top: ranked
                .iter()
                .take(TOP_K)
                .map(|&i| (head.labels[i].clone(), probs[i]))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(threshold: f32) -> IntentHead {
        IntentHead {
            labels: vec!["track_order".into(), "oos".into(), "get_refund".into()],
            hidden: vec![],
            oos_label: "oos".into(),
            oos_threshold: threshold,
            temperature: 1.0,
        }
    }

    #[test]
    fn decodes_ranked_labels_and_out_of_scope() {
        let cases = [
            // (probs, threshold, label, out_of_scope)
            (vec![0.7, 0.1, 0.2], 0.5, "track_order", false),
            (vec![0.45, 0.1, 0.45001], 0.5, "oos", true),
            (vec![0.2, 0.6, 0.2], 0.0, "oos", true),
            (vec![0.1, 0.3, 0.6], 0.5, "get_refund", false),
        ];
        for (probs, threshold, label, oos) in cases {
            let intent = Intent::decode(&head(threshold), &probs);
            assert_eq!(intent.label, label, "{probs:?}");
            assert_eq!(intent.out_of_scope, oos, "{probs:?}");
            assert_eq!(intent.top.len(), 3);
            assert!(intent.top.windows(2).all(|w| w[0].1 >= w[1].1));
        }
    }
}
