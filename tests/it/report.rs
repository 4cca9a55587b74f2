//! The HTML evaluation report (`tolka eval --report`) and the detailed evaluation behind it.

use std::process::Command;

use serde_json::Value;
use tolka::data::Record;
use tolka::eval::metrics;

use crate::{analyzer, model_dir};

/// A small labelled set: intents with out-of-scope records, entities, and two texts that
/// would break the page if they were not escaped. Those two carry a deliberately wrong gold
/// intent, so that they are listed among the worst errors whatever the model's quality.
const DATA: &str = r#"{"text": "where is my order 113542617735902", "intent": "track_order", "entities": [{"start": 18, "end": 33, "label": "order_id"}]}
{"text": "I want a refund <script>alert('x')</script> & now", "intent": "delete_account", "entities": []}
{"text": "how do I cancel order 00004587345?", "intent": "cancel_order", "entities": [{"start": 22, "end": 33, "label": "order_id"}]}
{"text": "what is the weather in Paris tomorrow", "intent": "oos", "entities": []}
{"text": "tell me a joke about cats", "intent": "oos", "entities": []}
{"text": "I need the invoice for order 113542617735902", "intent": "track_order", "entities": [{"start": 29, "end": 44, "label": "order_id"}]}
{"text": "my password doesn't work & I can't log in", "intent": "place_order", "entities": []}
"#;

fn records() -> Vec<Record> {
    DATA.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn eval_writes_a_self_contained_html_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("small.jsonl");
    std::fs::write(&data, DATA).unwrap();
    let html_path = dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_tolka"))
        .args(["eval", "--json", "--data"])
        .arg(&data)
        .arg("--model")
        .arg(model_dir())
        .arg("--report")
        .arg(&html_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --json still prints exactly the scores on stdout.
    let scores: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scores["count"], 7);
    assert!(scores["intent"]["oos_auroc"].is_number());

    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert!(html.trim_end().ends_with("</html>"));
    // Self-contained: no scripts, no external resources.
    assert!(
        !html.contains("<script"),
        "the <script> text must be escaped"
    );
    assert!(!html.contains("<link") && !html.contains("src="));
    assert!(
        html.contains("I want a refund &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; now")
    );
    assert!(html.contains("my password doesn&#39;t work &amp; I can&#39;t log in"));
    // The figures: reliability diagram, out-of-scope ROC, and a heat map (few labels).
    for class in ["reliability", "roc", "heatmap"] {
        assert!(
            html.contains(&format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{class}\""
            )),
            "no {class} figure"
        );
    }
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert!(html.contains("AUROC = "));
    // A per-label table row for every gold intent and for the entity label.
    for label in [
        "track_order",
        "delete_account",
        "cancel_order",
        "oos",
        "place_order",
        "order_id",
    ] {
        assert!(
            html.contains(&format!("<tr><td><span class=\"tag\">{label}</span></td>")),
            "no table row for {label}"
        );
    }
    for section in ["id=\"summary\"", "id=\"intent\"", "id=\"entities\""] {
        assert!(html.contains(section), "no {section}");
    }
}

#[test]
fn detailed_evaluation_matches_the_scores() {
    let records = records();
    let scores = tolka::eval::evaluate(analyzer(), &records, 3, &mut |_| {}).unwrap();
    let detailed = tolka::eval::evaluate_detailed(analyzer(), &records, 3, &mut |_| {}).unwrap();
    // The same scores, key for key.
    assert_eq!(
        serde_json::to_value(&scores).unwrap(),
        serde_json::to_value(&detailed.scores).unwrap()
    );
    let intent = scores.intent.unwrap();
    assert_eq!(detailed.intents.len(), records.len());
    assert_eq!(detailed.entities.len(), records.len());
    assert!(detailed.sentiments.is_empty(), "the data has no sentiment");
    for (i, p) in detailed.intents.iter().enumerate() {
        assert_eq!(p.index, i);
        assert_eq!(Some(&p.gold), records[i].intent.as_ref());
        assert!((0.0..=1.0).contains(&p.confidence) && (0.0..=1.0).contains(&p.oos_score));
    }
    // The report's figures use the same items as the scores.
    let calibration = detailed.calibration_items();
    let ece = metrics::expected_calibration_error(&calibration, tolka::eval::CALIBRATION_BINS);
    assert_eq!(ece, intent.ece);
    assert_eq!(metrics::auroc(&detailed.oos_items()), intent.oos_auroc);
    let bins = metrics::reliability_bins(&calibration, tolka::eval::CALIBRATION_BINS);
    assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), records.len());
    let m = detailed.intent_metrics.as_ref().unwrap();
    assert_eq!(m.accuracy, intent.accuracy);
    assert_eq!(detailed.oos_metrics.as_ref().unwrap().gold_oos, 2);
    assert_eq!(detailed.entity_metrics.as_ref().unwrap().gold, 3);
}
