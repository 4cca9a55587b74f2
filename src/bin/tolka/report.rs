//! `tolka tag --conversation-field … --report conversations.html`: one self-contained page
//! (inline CSS and SVG, no script, no external asset, every text escaped) with, per
//! conversation, its turns, their intents, a sentiment and escalation-score line with the
//! escalating turns marked, and the final slots.
//!
//! The page keeps the first [`MAX_CONVERSATIONS`] conversations of the input; the rest are
//! counted.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use tolka::conversation::{Slot, TurnAnalysis};

/// Conversations shown at most.
pub const MAX_CONVERSATIONS: usize = 500;

/// What the page shows of one turn.
struct Row {
    customer: bool,
    text: String,
    intent: Option<(String, f32, bool)>,
    sentiment: Option<f32>,
    /// Score, escalate, reasons.
    escalation: Option<(f32, bool, Vec<String>)>,
}

/// The conversations seen so far, in order of their first turn.
#[derive(Default)]
pub struct Report {
    order: Vec<String>,
    chats: HashMap<String, (Vec<Row>, BTreeMap<String, Slot>)>,
    left_out: usize,
}

impl Report {
    /// Adds a turn of conversation `id` (`text` as the output shows it).
    pub fn add(&mut self, id: &str, turn: &TurnAnalysis, text: &str) {
        if !self.chats.contains_key(id) {
            if self.order.len() >= MAX_CONVERSATIONS {
                self.left_out += 1;
                return;
            }
            self.order.push(id.to_owned());
        }
        let (rows, slots) = self.chats.entry(id.to_owned()).or_default();
        if let Some(s) = &turn.slots {
            slots.clone_from(s);
        }
        let a = &turn.analysis;
        rows.push(Row {
            customer: turn.escalation.is_some(),
            text: text.to_owned(),
            intent: a
                .intent
                .as_ref()
                .map(|i| (i.label.clone(), i.confidence, i.out_of_scope)),
            sentiment: a.sentiment.as_ref().map(|s| s.score),
            escalation: turn.escalation.as_ref().map(|e| {
                (
                    e.score,
                    e.escalate,
                    e.reasons
                        .iter()
                        .map(|r| {
                            serde_json::to_value(r)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        })
                        .collect(),
                )
            }),
        });
    }

    /// The page.
    pub fn render(&self, source: &str) -> String {
        let mut h = String::new();
        let escalated = self
            .order
            .iter()
            .filter(|id| {
                self.chats[*id]
                    .0
                    .iter()
                    .any(|r| r.escalation.as_ref().is_some_and(|e| e.1))
            })
            .count();
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.push_str("<title>tolka conversations</title><style>");
        h.push_str(CSS);
        h.push_str("</style></head><body>\n<h1>Conversations</h1>\n");
        let _ = writeln!(
            h,
            "<p class=\"sum\">{} conversations from <code>{}</code>, {} escalated{}.</p>",
            self.order.len(),
            escape(source),
            escalated,
            if self.left_out > 0 {
                format!(
                    "; {} more turns of later conversations are left out (the page shows the first {MAX_CONVERSATIONS})",
                    self.left_out
                )
            } else {
                String::new()
            }
        );
        h.push_str("<nav>");
        for (n, id) in self.order.iter().enumerate() {
            let esc = self.chats[id]
                .0
                .iter()
                .any(|r| r.escalation.as_ref().is_some_and(|e| e.1));
            let _ = write!(
                h,
                "<a href=\"#c{n}\"{}>{}</a> ",
                if esc { " class=\"esc\"" } else { "" },
                escape(id)
            );
        }
        h.push_str("</nav>\n");
        for (n, id) in self.order.iter().enumerate() {
            let (rows, slots) = &self.chats[id];
            let _ = writeln!(h, "<section id=\"c{n}\"><h2>{}</h2>", escape(id));
            h.push_str(&chart(rows));
            h.push_str("<table><tr><th>#</th><th>who</th><th>text</th><th>intent</th><th>sentiment</th><th>escalation</th></tr>\n");
            for (t, r) in rows.iter().enumerate() {
                let intent = r.intent.as_ref().map_or(String::new(), |(l, c, oos)| {
                    format!(
                        "{}{} <span class=\"dim\">{c:.2}</span>",
                        escape(l),
                        if *oos { " (out of scope)" } else { "" }
                    )
                });
                let sentiment = r.sentiment.map_or(String::new(), |s| format!("{s:+.2}"));
                let escalation =
                    r.escalation
                        .as_ref()
                        .map_or(String::new(), |(score, esc, reasons)| {
                            format!(
                                "{}{score:.2}{} <span class=\"dim\">{}</span>",
                                if *esc { "<b class=\"red\">▲ " } else { "" },
                                if *esc { "</b>" } else { "" },
                                escape(&reasons.join(", "))
                            )
                        });
                let _ = writeln!(
                    h,
                    "<tr class=\"{}\"><td>{t}</td><td>{}</td><td>{}</td><td>{intent}</td><td>{sentiment}</td><td>{escalation}</td></tr>",
                    if r.customer { "cust" } else { "agent" },
                    if r.customer { "customer" } else { "agent" },
                    escape(&r.text)
                );
            }
            h.push_str("</table>\n");
            if !slots.is_empty() {
                h.push_str("<p class=\"slots\">slots: ");
                for (label, slot) in slots {
                    let _ = write!(
                        h,
                        "<span class=\"slot\">{} = {} <span class=\"dim\">(turn {})</span></span> ",
                        escape(label),
                        escape(&slot.text),
                        slot.turn
                    );
                }
                h.push_str("</p>\n");
            }
            h.push_str("</section>\n");
        }
        h.push_str("</body></html>\n");
        h
    }
}

/// The sentiment of every turn (−1…1, grey for agents) and the escalation score of customer
/// turns (0…1, red), with the threshold crossings marked.
fn chart(rows: &[Row]) -> String {
    let (w, hgt, pad) = (640.0f32, 140.0f32, 24.0f32);
    let n = rows.len().max(2) as f32;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f32 / (n - 1.0);
    // Sentiment −1…1 and score 0…1 share the vertical axis: top 1, middle 0, bottom −1.
    let y = |v: f32| pad + (hgt - 2.0 * pad) * (1.0 - v.clamp(-1.0, 1.0)) / 2.0;
    let mut s = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {hgt}\" width=\"{w}\" height=\"{hgt}\" role=\"img\" aria-label=\"sentiment and escalation score per turn\">"
    );
    let _ = write!(
        s,
        "<line x1=\"{pad}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=\"axis\"/>",
        w - pad,
        y(0.0),
        y(0.0)
    );
    let _ = write!(
        s,
        "<text x=\"2\" y=\"{}\" class=\"lbl\">+1</text><text x=\"2\" y=\"{}\" class=\"lbl\">0</text><text x=\"2\" y=\"{}\" class=\"lbl\">−1</text>",
        y(1.0) + 4.0,
        y(0.0) + 4.0,
        y(-1.0) + 4.0
    );
    let sentiment: Vec<String> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.sentiment.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect();
    if sentiment.len() > 1 {
        let _ = write!(
            s,
            "<polyline points=\"{}\" class=\"sent\"/>",
            sentiment.join(" ")
        );
    }
    let score: Vec<String> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            r.escalation
                .as_ref()
                .map(|e| format!("{:.1},{:.1}", x(i), y(e.0)))
        })
        .collect();
    if score.len() > 1 {
        let _ = write!(
            s,
            "<polyline points=\"{}\" class=\"score\"/>",
            score.join(" ")
        );
    }
    for (i, r) in rows.iter().enumerate() {
        if let Some(v) = r.sentiment {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"{}\"/>",
                x(i),
                y(v),
                if r.customer { "sent" } else { "agentpt" }
            );
        }
        if let Some((v, esc, _)) = &r.escalation {
            if *esc {
                let (cx, cy) = (x(i), y(*v));
                let _ = write!(
                    s,
                    "<path d=\"M{:.1},{:.1} l6,10 h-12 z\" class=\"mark\"><title>escalate</title></path>",
                    cx,
                    cy - 7.0
                );
            } else {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" class=\"score\"/>",
                    x(i),
                    y(*v)
                );
            }
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" class=\"lbl\" text-anchor=\"middle\">{i}</text>",
            x(i),
            hgt - 4.0
        );
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"12\" class=\"lbl\" text-anchor=\"end\"><tspan class=\"k-sent\">● sentiment</tspan>  <tspan class=\"k-score\">● escalation score</tspan>  <tspan class=\"k-mark\">▲ escalate</tspan></text>",
        w - pad
    ));
    s.push_str("</svg>\n");
    s
}

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}\
h2{font-size:16px;margin:1.5em 0 .3em}nav a{margin-right:.4em}nav a.esc{color:#c0392b;font-weight:bold}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}\
tr.agent{color:#666;background:#fafafa}.dim{color:#888;font-size:12px}.red{color:#c0392b}\
.chart{display:block;margin:.3em 0}.axis{stroke:#bbb;stroke-dasharray:3 3}\
polyline.sent{fill:none;stroke:#2e86de;stroke-width:1.5}circle.sent{fill:#2e86de}circle.agentpt{fill:#aaa}\
polyline.score{fill:none;stroke:#e67e22;stroke-width:1.5}circle.score{fill:#e67e22}.mark{fill:#c0392b}\
.lbl{font-size:10px;fill:#666}.k-sent{fill:#2e86de}.k-score{fill:#e67e22}.k-mark{fill:#c0392b}\
.slot{background:#eef5fb;border-radius:3px;padding:1px 5px;margin-right:4px}.sum{color:#444}";

/// Text safe in HTML element content and attribute values.
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
