//! The built-in out-of-scope pool: off-topic texts mixed into a model trained on a shop's own
//! intents, so that "what is the weather like" does not come back as one of them.
//!
//! `data/oos-pool.jsonl`, compiled into the library: CLINC150 utterances of domains a shop does
//! not serve and CLINC's own out-of-scope queries (CC BY 3.0, Larson et al., EMNLP 2019), plus
//! the team-written out-of-scope messages of the commerce data (English and Swedish). Rebuild it
//! with `models/prepare_oos_pool.py`.

use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};

use crate::data::Record;

const POOL: &str = include_str!("../../data/oos-pool.jsonl");

/// Fewest pool texts mixed into training, however few in-scope records there are.
const MIN_TRAIN: usize = 50;

/// The pool's texts.
pub fn texts() -> Vec<String> {
    POOL.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v.get("text")?.as_str().map(str::to_owned))
        .collect()
}

/// Seeded train and dev samples of the pool, labelled `oos_label`: a fifth of the pool is
/// kept for dev (`dev_size` texts of it); training gets twice as many texts as the largest
/// intent has records, and at least [`MIN_TRAIN`] (a class far larger than the others would
/// pull in-scope messages into it).
pub(crate) fn sample(
    oos_label: &str,
    largest_intent: usize,
    dev_size: usize,
    seed: u64,
) -> (Vec<Record>, Vec<Record>) {
    let mut texts = texts();
    texts.shuffle(&mut StdRng::seed_from_u64(seed ^ 0x006f_6f73));
    let held = texts.len() / 5;
    let record = |text: &String| Record {
        text: text.clone(),
        intent: Some(oos_label.to_owned()),
        entities: None,
        sentiment: None,
        emotions: None,
        lang: None,
    };
    let dev = texts[..held].iter().take(dev_size).map(record).collect();
    let train = texts[held..]
        .iter()
        .take((2 * largest_intent).max(MIN_TRAIN))
        .map(record)
        .collect();
    (train, dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_disjoint_seeded_and_sized() {
        let all = texts();
        assert!(all.len() > 1000, "{} pool texts", all.len());
        let (train, dev) = sample("oos", 9, 50, 13);
        assert_eq!((train.len(), dev.len()), (MIN_TRAIN, 50));
        assert!(train.iter().all(|r| r.intent.as_deref() == Some("oos")));
        assert!(dev.iter().all(|d| train.iter().all(|t| t.text != d.text)));
        assert_eq!(sample("oos", 9, 50, 13).0, train);
        assert_eq!(sample("oos", 500, 0, 13).0.len(), 1000);
    }
}
