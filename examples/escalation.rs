//! Scores the escalation signal on labelled transcripts.
//!
//! ```text
//! cargo run --release --example escalation -- data/commerce/conversations-dev-en.jsonl \
//!     data/commerce/conversations-dev-sv.jsonl [--model models/commerce-en] [--verbose]
//! ```
//!
//! Each line of a file is a conversation: `{"id", "turns": [{"speaker", "text"}…],
//! "escalate": bool, "escalate_window": [first, last]}`, the window in customer-turn
//! indices from 0 (without a window, any customer turn counts). Every conversation runs
//! through a [`Conversation`] with the default [`tolka::EscalationConfig`], turns one minute
//! apart. For conversations that should escalate, the first customer turn that escalates is
//! in the window, too early or too late (or never); for calm ones, any escalation is a false
//! one, reported per 100 calm conversations.

use std::path::PathBuf;

use chrono::{DateTime, Duration};
use serde::Deserialize;
use tolka::conversation::{Conversation, Speaker, TurnInput};
use tolka::{Analyzer, Error};

#[derive(Deserialize)]
struct Transcript {
    id: String,
    turns: Vec<Turn>,
    escalate: bool,
    #[serde(default)]
    escalate_window: Option<[usize; 2]>,
}

#[derive(Deserialize)]
struct Turn {
    speaker: Speaker,
    text: String,
}

/// What happened to one conversation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    InWindow,
    TooEarly,
    TooLate,
    Never,
    CalmKept,
    FalseEscalation,
}

#[derive(Default)]
struct Tally {
    escalating: usize,
    in_window: usize,
    too_early: usize,
    too_late: usize,
    never: usize,
    calm: usize,
    false_escalations: usize,
}

impl Tally {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::InWindow => self.in_window += 1,
            Outcome::TooEarly => self.too_early += 1,
            Outcome::TooLate => self.too_late += 1,
            Outcome::Never => self.never += 1,
            Outcome::CalmKept => {}
            Outcome::FalseEscalation => self.false_escalations += 1,
        }
        match outcome {
            Outcome::CalmKept | Outcome::FalseEscalation => self.calm += 1,
            _ => self.escalating += 1,
        }
    }

    fn row(&self, name: &str) -> String {
        let per100 = if self.calm == 0 {
            "–".to_owned()
        } else {
            format!(
                "{:.1}",
                100.0 * self.false_escalations as f64 / self.calm as f64
            )
        };
        format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            self.escalating,
            self.in_window,
            self.too_early,
            self.too_late,
            self.never,
            self.calm,
            format_args!("{} ({per100})", self.false_escalations),
        )
    }
}

fn score(analyzer: &Analyzer, t: &Transcript, verbose: bool) -> Result<Outcome, Box<Error>> {
    let start = DateTime::parse_from_rfc3339("2026-03-10T14:00:00+01:00").expect("a time");
    let mut chat = Conversation::new();
    let mut customer = 0;
    let mut first = None;
    for (i, turn) in t.turns.iter().enumerate() {
        let input = TurnInput {
            text: &turn.text,
            speaker: turn.speaker,
            time: Some(start + Duration::minutes(i as i64)),
        };
        let result = chat.turn(analyzer, input).map_err(Box::new)?;
        if let Some(e) = result.escalation {
            if verbose {
                eprintln!(
                    "{} c{customer} {:>5.2} {:<5} {:?}  {}",
                    t.id, e.score, e.escalate, e.reasons, turn.text
                );
            }
            if e.escalate && first.is_none() {
                first = Some(customer);
            }
            customer += 1;
        }
    }
    if customer == 0 {
        return Err(Box::new(Error::Config(format!(
            "{}: no customer turn",
            t.id
        ))));
    }
    let [lo, hi] = t.escalate_window.unwrap_or([0, customer - 1]);
    Ok(match (t.escalate, first) {
        (false, None) => Outcome::CalmKept,
        (false, Some(_)) => Outcome::FalseEscalation,
        (true, None) => Outcome::Never,
        (true, Some(f)) if f < lo => Outcome::TooEarly,
        (true, Some(f)) if f > hi => Outcome::TooLate,
        (true, Some(_)) => Outcome::InWindow,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = Vec::new();
    let mut model = PathBuf::from("models/commerce-en");
    let mut verbose = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model" => model = args.next().ok_or("--model needs a directory")?.into(),
            "--verbose" => verbose = true,
            _ => files.push(PathBuf::from(arg)),
        }
    }
    if files.is_empty() {
        return Err("usage: escalation FILE.jsonl… [--model DIR] [--verbose]".into());
    }
    let analyzer = Analyzer::from_dir(&model)?;
    println!(
        "| file | should escalate | in window | too early | too late | never | calm | false escalations (per 100 calm) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut total = Tally::default();
    for file in &files {
        let mut tally = Tally::default();
        let text = std::fs::read_to_string(file)?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let t: Transcript = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?;
            let outcome = score(&analyzer, &t, verbose)?;
            if verbose {
                eprintln!("{}: {outcome:?}", t.id);
            }
            tally.add(outcome);
            total.add(outcome);
        }
        println!("{}", tally.row(&file.display().to_string()));
    }
    if files.len() > 1 {
        println!("{}", total.row("all"));
    }
    Ok(())
}
