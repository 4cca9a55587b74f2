//! A self-contained HTML page of an [`Evaluation`]: summary, per-label tables, the most
//! confused label pairs (and a heat map when there are few labels), a reliability diagram,
//! the out-of-scope ROC curve and the worst errors with their text.
//!
//! The page has no external resources and no script: inline CSS and hand-written inline SVG.
//! Every text that comes from the data or the model is HTML-escaped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::data::Record;
use crate::data::Span;
use crate::eval::metrics::{self, Prf};
use crate::eval::{CALIBRATION_BINS, EntityPrediction, Evaluation, IntentPrediction};

/// Most-confused (gold → predicted) pairs listed.
pub const TOP_CONFUSIONS: usize = 30;
/// A confusion heat map is drawn when the labels number at most this.
pub const HEATMAP_MAX_LABELS: usize = 30;
/// Misclassified intents listed (the most confident first).
pub const WORST_ERRORS: usize = 50;
/// Texts with entity errors listed.
pub const ENTITY_ERRORS: usize = 50;
/// Misclassified sentiments listed.
pub const SENTIMENT_ERRORS: usize = 30;

/// Where the evaluated model and data came from, as shown in the report's header.
#[derive(Debug, Clone, Default)]
pub struct ReportInfo {
    /// The model package directory.
    pub model_path: String,
    /// The labelled data file.
    pub data_path: String,
}

/// Renders the HTML report of `evaluation`, whose predictions index into `records` (the
/// records that were evaluated).
pub fn render_html(evaluation: &Evaluation, records: &[Record], info: &ReportInfo) -> String {
    let mut body = String::new();
    let mut toc: Vec<(&str, &str)> = vec![("summary", "Summary")];

    summary(&mut body, evaluation, info);
    if let Some(m) = &evaluation.intent_metrics {
        toc.push(("intent", "Intent"));
        let _ = write!(body, "<section id=\"intent\"><h2>Intent</h2>");
        prf_table(
            &mut body,
            "Per-label scores (lowest F1 first)",
            &m.per_label,
        );
        let pairs: Vec<(&str, &str)> = evaluation
            .intents
            .iter()
            .map(|p| (p.gold.as_str(), p.predicted.as_str()))
            .collect();
        confusion(&mut body, "intent", &pairs, &m.per_label);
        let roc = evaluation
            .oos_label
            .as_ref()
            .map(|oos| roc_figure(evaluation, oos));
        reliability(&mut body, evaluation, roc.as_deref());
        worst_intent_errors(&mut body, &evaluation.intents, records);
        body.push_str("</section>");
    }
    if let Some(m) = &evaluation.entity_metrics {
        toc.push(("entities", "Entities"));
        let _ = write!(body, "<section id=\"entities\"><h2>Entities</h2>");
        prf_table(
            &mut body,
            "Per-label span scores (exact match; lowest F1 first)",
            &m.per_label,
        );
        entity_errors(&mut body, &evaluation.entities, records);
        body.push_str("</section>");
    }
    if let Some(m) = &evaluation.sentiment_metrics {
        toc.push(("sentiment", "Sentiment"));
        let _ = write!(body, "<section id=\"sentiment\"><h2>Sentiment</h2>");
        prf_table(
            &mut body,
            "Per-label scores (lowest F1 first)",
            &m.per_label,
        );
        let pairs: Vec<(&str, &str)> = evaluation
            .sentiments
            .iter()
            .map(|p| (p.gold.as_str(), p.predicted.as_str()))
            .collect();
        confusion(&mut body, "sentiment", &pairs, &m.per_label);
        sentiment_errors(&mut body, evaluation, records);
        body.push_str("</section>");
    }

    let mut nav = String::from("<nav>");
    for (id, title) in toc {
        let _ = write!(nav, "<a href=\"#{id}\">{title}</a>");
    }
    nav.push_str("</nav>");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>tolka evaluation: {model} on {data}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n<header><h1>tolka evaluation report</h1>{nav}</header>\n<main>\n{body}\n</main>\n\
         </body>\n</html>\n",
        model = escape(&evaluation.model),
        data = escape(&file_name(&info.data_path)),
    )
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;
color:#1d2330;background:#f6f7f9;margin:0}
header{background:#1d2a44;color:#fff;padding:14px 28px}
header h1{margin:0 0 6px;font-size:22px;font-weight:600}
nav a{color:#cfe0ff;margin-right:18px;text-decoration:none}
main{max-width:1180px;margin:0 auto;padding:8px 28px 40px}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:4px 20px 18px;
margin:18px 0}
h2{font-size:19px;margin:14px 0 8px;border-bottom:1px solid #e4e7ec;padding-bottom:6px}
h3{font-size:15px;margin:20px 0 6px}
p.note{color:#5a6275;margin:4px 0 8px;font-size:13px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{padding:3px 10px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
th{background:#f0f2f6;font-weight:600;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:hover td{background:#f7f9fc}
td.text{max-width:560px}
td.bar{min-width:110px}
.scroll{max-height:460px;overflow:auto;border:1px solid #eceef2;border-radius:4px;
display:inline-block;max-width:100%}
.scroll table{margin:0}
.cards{display:flex;flex-wrap:wrap;gap:14px}
.card{border:1px solid #dde1e8;border-radius:8px;padding:8px 14px;min-width:250px;
background:#fbfcfd}
.card h3{margin:4px 0 6px}
.card table{margin:0}
.card td{border:none;padding:1px 8px 1px 0}
dl.info{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:8px 0}
dl.info dt{color:#5a6275}
dl.info dd{margin:0;font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:13px;
word-break:break-all}
.figs{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:6px 0}
figcaption{color:#5a6275;font-size:13px;max-width:460px}
svg{background:#fff}
svg text{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:11px;fill:#1d2330}
mark{background:#fff0b3;border-radius:2px;padding:0 1px}
.miss{color:#a4262c}
.spur{color:#8a5300}
.tag{display:inline-block;background:#eef1f6;border-radius:3px;padding:0 5px;
font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px}
.oos{color:#6b4fa0;font-size:12px}
";

/// HTML-escapes `s` for text content and double- or single-quoted attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The last component of a path (the whole string when it has none).
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A score with four decimals.
fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// The text of record `index` (empty when out of range).
fn text(records: &[Record], index: usize) -> &str {
    records.get(index).map_or("", |r| r.text.as_str())
}

/// The characters `start..end` of `text` (spans use character offsets).
fn chars(text: &str, start: usize, end: usize) -> String {
    text.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

fn summary(out: &mut String, e: &Evaluation, info: &ReportInfo) {
    let s = &e.scores;
    let _ = write!(
        out,
        "<section id=\"summary\"><h2>Summary</h2><dl class=\"info\">\
         <dt>model</dt><dd>{}</dd><dt>model directory</dt><dd>{}</dd>\
         <dt>data</dt><dd>{}</dd><dt>records</dt><dd>{}</dd><dt>tolka</dt><dd>{}</dd></dl>\
         <div class=\"cards\">",
        escape(&e.model),
        escape(&info.model_path),
        escape(&info.data_path),
        s.count,
        env!("CARGO_PKG_VERSION"),
    );
    let card = |out: &mut String, title: &str, rows: &[(&str, String)]| {
        let _ = write!(out, "<div class=\"card\"><h3>{title}</h3><table>");
        for (name, value) in rows {
            let _ = write!(out, "<tr><td>{name}</td><td class=\"n\">{value}</td></tr>");
        }
        out.push_str("</table></div>");
    };
    if let Some(i) = &s.intent {
        let mut rows = vec![
            ("accuracy", f4(i.accuracy)),
            ("macro F1", f4(i.macro_f1)),
            ("ECE (15 bins)", f4(i.ece)),
        ];
        if let Some(v) = i.in_scope_accuracy {
            rows.push(("in-scope accuracy", f4(v)));
        }
        if let Some(v) = i.oos_recall {
            rows.push(("out-of-scope recall", f4(v)));
        }
        if let Some(v) = i.oos_precision {
            rows.push(("out-of-scope precision", f4(v)));
        }
        if let Some(v) = i.oos_auroc {
            rows.push(("out-of-scope AUROC", f4(v)));
        }
        rows.push(("records", i.count.to_string()));
        card(out, "Intent", &rows);
    }
    if let Some(en) = &s.entities {
        card(
            out,
            "Entities (exact spans, micro)",
            &[
                ("precision", f4(en.precision)),
                ("recall", f4(en.recall)),
                ("F1", f4(en.f1)),
                ("gold spans", en.gold.to_string()),
                ("predicted spans", en.predicted.to_string()),
                ("records", en.count.to_string()),
            ],
        );
    }
    if let Some(se) = &s.sentiment {
        card(
            out,
            "Sentiment",
            &[
                ("accuracy", f4(se.accuracy)),
                ("macro F1", f4(se.macro_f1)),
                ("records", se.count.to_string()),
            ],
        );
    }
    if s.intent.is_none() && s.entities.is_none() && s.sentiment.is_none() {
        out.push_str("<p>Neither the data nor the model have a task in common.</p>");
    }
    out.push_str("</div></section>");
}

/// A per-label precision/recall/F1/support table, lowest F1 first.
fn prf_table(out: &mut String, title: &str, per_label: &BTreeMap<String, Prf>) {
    let mut rows: Vec<(&String, &Prf)> = per_label.iter().collect();
    rows.sort_by(|a, b| a.1.f1.total_cmp(&b.1.f1).then_with(|| a.0.cmp(b.0)));
    let _ = write!(
        out,
        "<h3>{title}</h3><div class=\"scroll\"><table class=\"prf\"><thead><tr><th>label</th>\
         <th class=\"n\">precision</th><th class=\"n\">recall</th><th>F1</th>\
         <th class=\"n\">support</th></tr></thead><tbody>"
    );
    for (label, p) in rows {
        let width = (p.f1 * 100.0).clamp(0.0, 100.0);
        let _ = write!(
            out,
            "<tr><td><span class=\"tag\">{}</span></td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n bar\" style=\"background:linear-gradient(\
             90deg,#cfe0f7 {width:.1}%,transparent {width:.1}%)\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            escape(label),
            f4(p.precision),
            f4(p.recall),
            f4(p.f1),
            p.support,
        );
    }
    out.push_str("</tbody></table></div>");
}

/// The most-confused pairs, and a heat map when there are few labels.
fn confusion(
    out: &mut String,
    task: &str,
    pairs: &[(&str, &str)],
    per_label: &BTreeMap<String, Prf>,
) {
    let matrix = metrics::confusion_matrix(pairs.iter().copied());
    let mut errors: Vec<(&(String, String), usize)> = matrix
        .iter()
        .filter(|((g, p), _)| g != p)
        .map(|(k, &n)| (k, n))
        .collect();
    errors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total_errors: usize = errors.iter().map(|e| e.1).sum();
    let _ = write!(
        out,
        "<h3>Most confused pairs</h3><p class=\"note\">{total_errors} of {} {task} predictions \
         are wrong, spread over {} (gold → predicted) pairs; the {} most frequent:</p>",
        pairs.len(),
        errors.len(),
        errors.len().min(TOP_CONFUSIONS),
    );
    if !errors.is_empty() {
        out.push_str(
            "<table><thead><tr><th>gold</th><th>predicted</th><th class=\"n\">count</th>\
             <th class=\"n\">share of gold</th></tr></thead><tbody>",
        );
        for ((gold, pred), n) in errors.iter().take(TOP_CONFUSIONS) {
            let support = per_label.get(gold.as_str()).map_or(0, |p| p.support);
            let share = if support == 0 {
                0.0
            } else {
                *n as f64 / support as f64
            };
            let _ = write!(
                out,
                "<tr><td><span class=\"tag\">{}</span></td><td><span class=\"tag\">{}</span>\
                 </td><td class=\"n\">{n}</td><td class=\"n\">{:.1}%</td></tr>",
                escape(gold),
                escape(pred),
                share * 100.0,
            );
        }
        out.push_str("</tbody></table>");
    }
    let labels: BTreeSet<&str> = matrix
        .keys()
        .flat_map(|(g, p)| [g.as_str(), p.as_str()])
        .collect();
    if labels.len() <= HEATMAP_MAX_LABELS && !labels.is_empty() {
        let labels: Vec<&str> = labels.into_iter().collect();
        let _ = write!(
            out,
            "<figure>{}<figcaption>Confusion matrix: rows are gold labels, columns predicted \
             ones; the shade is the share of the row (blue: correct, red: errors), the number \
             the count.</figcaption></figure>",
            heatmap_svg(&labels, &matrix)
        );
    } else {
        let _ = write!(
            out,
            "<p class=\"note\">No heat map: {} labels (drawn up to {HEATMAP_MAX_LABELS}).</p>",
            labels.len()
        );
    }
}

/// Mixes white into `rgb` by `1 − t` (t = 0 white, t = 1 the full colour).
fn shade(rgb: (u8, u8, u8), t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(rgb.0), mix(rgb.1), mix(rgb.2))
}

/// An SVG heat map of the confusion matrix over `labels` (rows gold, columns predicted).
fn heatmap_svg(labels: &[&str], matrix: &BTreeMap<(String, String), usize>) -> String {
    let n = labels.len();
    let cell = if n <= 6 { 44.0 } else { 22.0 };
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let margin = (12.0 + 6.6 * longest as f64).clamp(50.0, 230.0);
    let (left, top) = (margin + 18.0, margin + 18.0);
    let width = left + cell * n as f64 + 10.0;
    let height = top + cell * n as f64 + 10.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">\
         <text x=\"{:.1}\" y=\"12\" text-anchor=\"middle\" font-weight=\"600\">predicted</text>\
         <text transform=\"translate(12,{:.1}) rotate(-90)\" text-anchor=\"middle\" \
         font-weight=\"600\">gold</text>",
        left + cell * n as f64 / 2.0,
        top + cell * n as f64 / 2.0,
    );
    for (i, label) in labels.iter().enumerate() {
        let c = cell * (i as f64 + 0.5);
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\">{}\
             </text><text transform=\"translate({:.1},{:.1}) rotate(-90)\" \
             dominant-baseline=\"middle\">{}</text>",
            left - 4.0,
            top + c,
            escape(label),
            left + c,
            top - 4.0,
            escape(label),
        );
    }
    for (r, gold) in labels.iter().enumerate() {
        let row_total: usize = labels
            .iter()
            .filter_map(|p| matrix.get(&(gold.to_string(), p.to_string())))
            .sum();
        for (c, pred) in labels.iter().enumerate() {
            let count = matrix
                .get(&(gold.to_string(), pred.to_string()))
                .copied()
                .unwrap_or(0);
            let share = if row_total == 0 {
                0.0
            } else {
                count as f64 / row_total as f64
            };
            let colour = if count == 0 {
                "#ffffff".to_string()
            } else if r == c {
                shade((43, 95, 171), 0.12 + 0.88 * share)
            } else {
                shade((200, 55, 45), 0.15 + 0.85 * share)
            };
            let (x, y) = (left + cell * c as f64, top + cell * r as f64);
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell}\" height=\"{cell}\" \
                 fill=\"{colour}\" stroke=\"#e3e6eb\"><title>{} → {}: {count}</title></rect>",
                escape(gold),
                escape(pred),
            );
            if count > 0 {
                let ink = if share > 0.55 { "#ffffff" } else { "#1d2330" };
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
                     dominant-baseline=\"middle\" style=\"fill:{ink};font-size:{}px\">{count}\
                     </text>",
                    x + cell / 2.0,
                    y + cell / 2.0,
                    if cell < 30.0 { 9 } else { 12 },
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Plot-area mapping of a unit square: `x` right, `y` up.
struct Frame {
    left: f64,
    top: f64,
    size: f64,
}

impl Frame {
    fn x(&self, v: f64) -> f64 {
        self.left + self.size * v
    }
    fn y(&self, v: f64) -> f64 {
        self.top + self.size * (1.0 - v)
    }

    /// Frame, grid, ticks at 0, 0.2 … 1 and axis titles.
    fn axes(&self, svg: &mut String, x_title: &str, y_title: &str) {
        for k in 0..=5 {
            let v = k as f64 / 5.0;
            let _ = write!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eceef2\"/>\
                 <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eceef2\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{v:.1}</text>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" \
                 dominant-baseline=\"middle\">{v:.1}</text>",
                self.x(v),
                self.y(0.0),
                self.x(v),
                self.y(1.0),
                self.x(0.0),
                self.y(v),
                self.x(1.0),
                self.y(v),
                self.x(v),
                self.y(0.0) + 15.0,
                self.x(0.0) - 5.0,
                self.y(v),
            );
        }
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{s}\" height=\"{s}\" fill=\"none\" \
             stroke=\"#8a92a3\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{x_title}\
             </text><text transform=\"translate({:.1},{:.1}) rotate(-90)\" \
             text-anchor=\"middle\">{y_title}</text>",
            self.left,
            self.top,
            self.x(0.5),
            self.y(0.0) + 32.0,
            self.left - 36.0,
            self.y(0.5),
            s = self.size,
        );
    }

    /// The dashed diagonal from (0, 0) to (1, 1).
    fn diagonal(&self, svg: &mut String) {
        let _ = write!(
            svg,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#8a92a3\" \
             stroke-dasharray=\"5 4\"/>",
            self.x(0.0),
            self.y(0.0),
            self.x(1.0),
            self.y(1.0),
        );
    }
}

/// The reliability diagram beside `roc` (the out-of-scope figure, when the model has an
/// out-of-scope label), then the table of the bins.
fn reliability(out: &mut String, e: &Evaluation, roc: Option<&str>) {
    let items = e.calibration_items();
    let bins = metrics::reliability_bins(&items, CALIBRATION_BINS);
    let ece = metrics::expected_calibration_error(&items, CALIBRATION_BINS);
    let _ = write!(
        out,
        "<h3>{}</h3><div class=\"figs\"><figure>{}<figcaption>Reliability diagram \
         of the intent confidence, {CALIBRATION_BINS} equal-width bins: the bars are the \
         accuracy of each bin, the black line its mean confidence and the red part the gap \
         between them (a calibrated model follows the diagonal); below, how many predictions fall in each bin. \
         ECE = {}.</figcaption></figure>{}</div><div class=\"scroll\"><table><thead><tr>\
         <th>bin</th>\
         <th class=\"n\">count</th><th class=\"n\">mean confidence</th>\
         <th class=\"n\">accuracy</th><th class=\"n\">accuracy − confidence</th></tr>\
         </thead><tbody>",
        if roc.is_some() {
            "Calibration and out-of-scope detection"
        } else {
            "Calibration"
        },
        reliability_svg(&bins, ece),
        f4(ece),
        roc.unwrap_or_default(),
    );
    for b in &bins {
        let gap = if b.count == 0 {
            String::new()
        } else {
            format!("{:+.4}", b.accuracy - b.confidence)
        };
        let (conf, acc) = if b.count == 0 {
            (String::new(), String::new())
        } else {
            (f4(b.confidence), f4(b.accuracy))
        };
        let _ = write!(
            out,
            "<tr><td class=\"n\">{:.3}–{:.3}</td><td class=\"n\">{}</td><td class=\"n\">{conf}\
             </td><td class=\"n\">{acc}</td><td class=\"n\">{gap}</td></tr>",
            b.lower, b.upper, b.count,
        );
    }
    out.push_str("</tbody></table></div>");
}

/// The reliability diagram: accuracy bars, the gap to the mean confidence, the diagonal and
/// a strip of bin counts.
fn reliability_svg(bins: &[metrics::ReliabilityBin], ece: f64) -> String {
    let f = Frame {
        left: 56.0,
        top: 16.0,
        size: 330.0,
    };
    let strip_top = f.y(0.0) + 80.0;
    let strip_height = 60.0;
    let (width, height) = (f.left + f.size + 20.0, strip_top + strip_height + 34.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"reliability\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">"
    );
    f.axes(&mut svg, "confidence", "accuracy");
    let max_count = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    for b in bins {
        let (x0, x1) = (f.x(b.lower), f.x(b.upper));
        let w = x1 - x0 - 2.0;
        if b.count > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" \
                 fill=\"#4a78c2\"><title>confidence {:.3}–{:.3}: accuracy {:.4}, mean \
                 confidence {:.4}, {} predictions</title></rect>",
                x0 + 1.0,
                f.y(b.accuracy),
                f.y(0.0) - f.y(b.accuracy),
                b.lower,
                b.upper,
                b.accuracy,
                b.confidence,
                b.count,
            );
            let (lo, hi) = if b.accuracy < b.confidence {
                (b.accuracy, b.confidence)
            } else {
                (b.confidence, b.accuracy)
            };
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" \
                 fill=\"#d9534f\" fill-opacity=\"0.35\" stroke=\"#c9302c\" \
                 stroke-width=\"0.8\"/>",
                x0 + 1.0,
                f.y(hi),
                f.y(lo) - f.y(hi),
            );
            let _ = write!(
                svg,
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" \
                 stroke=\"#1d2330\" stroke-width=\"2\"/>",
                x0 + 1.0,
                x0 + 1.0 + w,
                y = f.y(b.confidence),
            );
        }
        // The count strip.
        let h = strip_height * b.count as f64 / max_count as f64;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
             fill=\"#9aa5b8\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
             style=\"font-size:9px\">{}</text>",
            x0 + 1.0,
            strip_top + strip_height - h,
            (x0 + x1) / 2.0,
            strip_top + strip_height - h - 3.0,
            b.count,
        );
    }
    f.diagonal(&mut svg);
    let _ = write!(
        svg,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#8a92a3\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">confidence bin: number of \
         predictions</text>",
        f.x(0.0),
        strip_top + strip_height,
        f.x(1.0),
        strip_top + strip_height,
        f.x(0.5),
        strip_top + strip_height + 16.0,
    );
    // Legend, in a row under the axis title.
    let ly = f.y(0.0) + 46.0;
    let lx = f.left;
    let _ = write!(
        svg,
        "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"12\" height=\"10\" fill=\"#4a78c2\"/>\
         <text x=\"{:.1}\" y=\"{ly:.1}\">accuracy</text>\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"10\" fill=\"#d9534f\" \
         fill-opacity=\"0.35\" stroke=\"#c9302c\"/>\
         <text x=\"{:.1}\" y=\"{ly:.1}\">gap</text>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d2330\" \
         stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{ly:.1}\">mean confidence</text>\
         <text x=\"{:.1}\" y=\"{ly:.1}\" text-anchor=\"end\" font-weight=\"600\">\
         ECE = {ece:.4}</text>",
        ly - 9.0,
        lx + 17.0,
        lx + 76.0,
        ly - 9.0,
        lx + 93.0,
        lx + 126.0,
        ly - 4.0,
        lx + 140.0,
        ly - 4.0,
        lx + 145.0,
        f.x(1.0),
    );
    svg.push_str("</svg>");
    svg
}

/// The out-of-scope ROC figure, or a note saying why there is none.
fn roc_figure(e: &Evaluation, oos: &str) -> String {
    let items = e.oos_items();
    let Some(points) = metrics::roc_curve(&items) else {
        return format!(
            "<figure><figcaption>No out-of-scope ROC curve: the data has no records labelled \
             <span class=\"tag\">{}</span> (or only such records).</figcaption></figure>",
            escape(oos)
        );
    };
    let auroc = metrics::auroc(&items).unwrap_or(0.0);
    // The operating point of the model's out-of-scope flag.
    let (mut flagged_oos, mut gold_oos, mut flagged_in, mut gold_in) = (0, 0, 0, 0);
    for p in &e.intents {
        if p.gold == oos {
            gold_oos += 1;
            flagged_oos += usize::from(p.out_of_scope);
        } else {
            gold_in += 1;
            flagged_in += usize::from(p.out_of_scope);
        }
    }
    let point = (
        flagged_in as f64 / gold_in.max(1) as f64,
        flagged_oos as f64 / gold_oos.max(1) as f64,
    );
    format!(
        "<figure>{}<figcaption>ROC curve of the out-of-scope \
         score (1 − the best in-scope probability) for telling the {gold_oos} records labelled \
         <span class=\"tag\">{}</span> from the {gold_in} in-scope ones; AUROC = {}. The dot is \
         the model's out-of-scope flag: it flags {:.1}% of the out-of-scope records and {:.1}% \
         of the in-scope ones.</figcaption></figure>",
        roc_svg(&points, auroc, point),
        escape(oos),
        f4(auroc),
        point.1 * 100.0,
        point.0 * 100.0,
    )
}

/// The ROC curve with its AUROC in the legend and the flag's operating point.
fn roc_svg(points: &[(f64, f64)], auroc: f64, operating: (f64, f64)) -> String {
    let f = Frame {
        left: 56.0,
        top: 16.0,
        size: 330.0,
    };
    let (width, height) = (f.left + f.size + 20.0, f.y(0.0) + 42.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"roc\" width=\"{width:.0}\" \
         height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">"
    );
    f.axes(
        &mut svg,
        "false positive rate (in-scope flagged)",
        "true positive rate",
    );
    f.diagonal(&mut svg);
    // Thin the polyline to the points where the curve turns (collinear runs add nothing).
    let mut kept: Vec<(f64, f64)> = Vec::with_capacity(points.len());
    for &p in points {
        if kept.len() >= 2 {
            let (a, b) = (kept[kept.len() - 2], kept[kept.len() - 1]);
            let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
            if cross.abs() < 1e-12 {
                kept.pop();
            }
        }
        kept.push(p);
    }
    svg.push_str("<polyline fill=\"none\" stroke=\"#2b5fab\" stroke-width=\"2\" points=\"");
    for &(x, y) in &kept {
        let _ = write!(svg, "{:.1},{:.1} ", f.x(x), f.y(y));
    }
    svg.push_str("\"/>");
    let _ = write!(
        svg,
        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#d9822b\" stroke=\"#ffffff\" \
         stroke-width=\"1.5\"><title>out-of-scope flag: FPR {:.4}, TPR {:.4}</title></circle>",
        f.x(operating.0),
        f.y(operating.1),
        operating.0,
        operating.1,
    );
    let (lx, ly) = (f.x(1.0) - 190.0, f.y(0.0) - 56.0);
    let _ = write!(
        svg,
        "<rect x=\"{lx:.1}\" y=\"{ly:.1}\" width=\"182\" height=\"48\" fill=\"#ffffff\" \
         fill-opacity=\"0.9\" stroke=\"#dde1e8\"/>\
         <line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#2b5fab\" \
         stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\">ROC, AUROC = {auroc:.4}</text>\
         <circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#d9822b\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\">out-of-scope flag</text>",
        lx + 8.0,
        ly + 15.0,
        lx + 26.0,
        ly + 15.0,
        lx + 32.0,
        ly + 19.0,
        lx + 17.0,
        ly + 34.0,
        lx + 32.0,
        ly + 38.0,
    );
    svg.push_str("</svg>");
    svg
}

fn worst_intent_errors(out: &mut String, intents: &[IntentPrediction], records: &[Record]) {
    let mut errors: Vec<&IntentPrediction> =
        intents.iter().filter(|p| p.predicted != p.gold).collect();
    errors.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then_with(|| a.index.cmp(&b.index))
    });
    let _ = write!(
        out,
        "<h3>Worst errors</h3><p class=\"note\">{} misclassified records; the {} most confident \
         mistakes first. P(gold) is the probability of the gold label when it is among the \
         top alternatives.</p>",
        errors.len(),
        errors.len().min(WORST_ERRORS),
    );
    if errors.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th class=\"n\">record</th><th>text</th>\
         <th>gold</th><th>predicted</th><th class=\"n\">confidence</th>\
         <th class=\"n\">P(gold)</th></tr></thead><tbody>",
    );
    for p in errors.iter().take(WORST_ERRORS) {
        let flag = if p.out_of_scope {
            " <span class=\"oos\">(flagged out of scope)</span>"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td class=\"n\">{}</td><td class=\"text\">{}</td><td><span class=\"tag\">{}\
             </span></td><td><span class=\"tag\">{}</span>{flag}</td><td class=\"n\">{:.4}</td>\
             <td class=\"n\">{}</td></tr>",
            p.index + 1,
            escape(text(records, p.index)),
            escape(&p.gold),
            escape(&p.predicted),
            p.confidence,
            p.gold_probability
                .map_or_else(|| "—".to_string(), |g| format!("{g:.4}")),
        );
    }
    out.push_str("</tbody></table></div>");
}

/// `text` with the `spans` (non-overlapping ones, in order) wrapped in `<mark>`, escaped.
fn marked(text: &str, spans: &[Span]) -> String {
    let mut spans: Vec<&Span> = spans.iter().collect();
    spans.sort_by_key(|s| (s.start, s.end));
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    for s in spans {
        if s.start < at || s.end > chars.len() || s.start >= s.end {
            continue;
        }
        let before: String = chars[at..s.start].iter().collect();
        let inside: String = chars[s.start..s.end].iter().collect();
        let _ = write!(
            out,
            "{}<mark title=\"{}\">{}</mark>",
            escape(&before),
            escape(&s.label),
            escape(&inside)
        );
        at = s.end;
    }
    let rest: String = chars[at.min(chars.len())..].iter().collect();
    out.push_str(&escape(&rest));
    out
}

fn entity_errors(out: &mut String, docs: &[EntityPrediction], records: &[Record]) {
    // (document, missed gold spans, false positive spans)
    let mut errors: Vec<(&EntityPrediction, Vec<&Span>, Vec<&Span>)> = docs
        .iter()
        .filter_map(|d| {
            let gold: BTreeSet<&Span> = d.gold.iter().collect();
            let pred: BTreeSet<&Span> = d.predicted.iter().collect();
            let missed: Vec<&Span> = gold.difference(&pred).copied().collect();
            let spurious: Vec<&Span> = pred.difference(&gold).copied().collect();
            (!missed.is_empty() || !spurious.is_empty()).then_some((d, missed, spurious))
        })
        .collect();
    errors.sort_by(|a, b| {
        (b.1.len() + b.2.len())
            .cmp(&(a.1.len() + a.2.len()))
            .then_with(|| a.0.index.cmp(&b.0.index))
    });
    let (missed, spurious): (usize, usize) = errors
        .iter()
        .fold((0, 0), |(m, s), e| (m + e.1.len(), s + e.2.len()));
    let _ = write!(
        out,
        "<h3>Entity errors</h3><p class=\"note\">{} of {} records have span errors: {missed} \
         gold spans missed, {spurious} false positives (a wrong boundary counts as one of \
         each). The {} records with the most errors first; gold spans are \
         <mark>marked</mark> in the text.</p>",
        errors.len(),
        docs.len(),
        errors.len().min(ENTITY_ERRORS),
    );
    if errors.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th class=\"n\">record</th><th>text</th>\
         <th>missed (gold)</th><th>false positives</th></tr></thead><tbody>",
    );
    let list = |spans: &[&Span], t: &str, class: &str| -> String {
        spans
            .iter()
            .map(|s| {
                format!(
                    "<div class=\"{class}\"><span class=\"tag\">{}</span> “{}” \
                     <small>{}–{}</small></div>",
                    escape(&s.label),
                    escape(&chars(t, s.start, s.end)),
                    s.start,
                    s.end
                )
            })
            .collect()
    };
    for (d, missed, spurious) in errors.iter().take(ENTITY_ERRORS) {
        let t = text(records, d.index);
        let _ = write!(
            out,
            "<tr><td class=\"n\">{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td></tr>",
            d.index + 1,
            marked(t, &d.gold),
            list(missed, t, "miss"),
            list(spurious, t, "spur"),
        );
    }
    out.push_str("</tbody></table></div>");
}

fn sentiment_errors(out: &mut String, e: &Evaluation, records: &[Record]) {
    let errors: Vec<_> = e
        .sentiments
        .iter()
        .filter(|p| p.gold != p.predicted)
        .collect();
    let _ = write!(
        out,
        "<h3>Misclassified sentiment</h3><p class=\"note\">{} misclassified records; the \
         first {}:</p>",
        errors.len(),
        errors.len().min(SENTIMENT_ERRORS)
    );
    if errors.is_empty() {
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><thead><tr><th class=\"n\">record</th><th>text</th>\
         <th>gold</th><th>predicted</th></tr></thead><tbody>",
    );
    for p in errors.iter().take(SENTIMENT_ERRORS) {
        let _ = write!(
            out,
            "<tr><td class=\"n\">{}</td><td class=\"text\">{}</td><td>{}</td><td>{}</td></tr>",
            p.index + 1,
            escape(text(records, p.index)),
            p.gold,
            p.predicted
        );
    }
    out.push_str("</tbody></table></div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{EvalReport, IntentScores};

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("åäö → ok"), "åäö → ok");
    }

    #[test]
    fn marks_spans_by_characters() {
        let span = |start, end| Span {
            start,
            end,
            label: "city".into(),
        };
        // Character offsets: "å" is one character.
        assert_eq!(
            marked("å <b> Umeå", &[span(6, 10)]),
            "å &lt;b&gt; <mark title=\"city\">Umeå</mark>"
        );
        // Overlapping and out-of-range spans are skipped, not panicked on.
        assert_eq!(
            marked("abcdef", &[span(0, 3), span(2, 4), span(5, 9)]),
            "<mark title=\"city\">abc</mark>def"
        );
    }

    fn prediction(index: usize, gold: &str, predicted: &str, confidence: f32) -> IntentPrediction {
        IntentPrediction {
            index,
            gold: gold.into(),
            predicted: predicted.into(),
            confidence,
            out_of_scope: predicted == "oos",
            oos_score: if predicted == "oos" { 0.9 } else { 0.1 },
            gold_probability: None,
        }
    }

    #[test]
    fn renders_every_part() {
        let records: Vec<Record> = ["refund <script>alert(1)</script> & more", "where", "hi"]
            .iter()
            .map(|t| Record {
                text: t.to_string(),
                intent: None,
                entities: None,
                sentiment: None,
                emotions: None,
                lang: None,
            })
            .collect();
        let intents = vec![
            prediction(0, "refund", "track", 0.97),
            prediction(1, "track", "track", 0.8),
            prediction(2, "oos", "oos", 0.6),
        ];
        let pairs: Vec<(&str, &str)> = intents
            .iter()
            .map(|p| (p.gold.as_str(), p.predicted.as_str()))
            .collect();
        let evaluation = Evaluation {
            scores: EvalReport {
                intent: Some(IntentScores {
                    accuracy: 2.0 / 3.0,
                    macro_f1: 0.5,
                    oos_recall: Some(1.0),
                    oos_precision: Some(1.0),
                    in_scope_accuracy: Some(0.5),
                    oos_auroc: Some(1.0),
                    ece: 0.1,
                    count: 3,
                }),
                entities: None,
                sentiment: None,
                emotions: None,
                count: 3,
            },
            model: "m<1>".into(),
            oos_label: Some("oos".into()),
            intent_metrics: Some(metrics::classification_report(pairs)),
            oos_metrics: None,
            entity_metrics: None,
            sentiment_metrics: None,
            intents,
            entities: Vec::new(),
            sentiments: Vec::new(),
        };
        let info = ReportInfo {
            model_path: "models/x".into(),
            data_path: "data/a&b.jsonl".into(),
        };
        let html = render_html(&evaluation, &records, &info);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script"), "user text is escaped");
        assert!(html.contains("refund &lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
        assert!(html.contains("data/a&amp;b.jsonl") && html.contains("m&lt;1&gt;"));
        assert!(html.contains("class=\"reliability\"") && html.contains("class=\"roc\""));
        assert!(
            html.contains("class=\"heatmap\""),
            "3 labels get a heat map"
        );
        assert!(html.contains("AUROC = 1.0000"));
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    }
}
