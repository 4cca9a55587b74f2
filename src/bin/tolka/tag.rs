//! `tolka tag`: an `analysis` per record, with per-record reference times (`--time-field`),
//! conversations (`--conversation-field`, `--speaker-field`) and redaction (`--redact`).
//!
//! Records are analysed in chunks, one encoder pass per chunk, also in conversation mode:
//! [`Conversation::prepare`] analyses the chunk's turns of every conversation at once, then
//! each turn joins its conversation in file order.
//!
//! Memory: at most `max_conversations` conversations are kept (a few KiB each: two message
//! embeddings, word hashes, slots); when a new one starts beyond that, the one that has gone
//! longest without a turn is dropped, and a later turn of it starts afresh.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use tolka::conversation::{Conversation, Speaker, TurnAnalysis, TurnInput};
use tolka::rules::Context;
use tolka::{Analysis, Analyzer};

use crate::error_line;
use crate::input::{Fields, Item, Record};
use crate::report::Report;
use crate::time::{Zone, parse_time};

/// How `tag` reads each record.
pub struct Options {
    /// Where the text is (to replace it by its redaction).
    pub fields: Fields,
    /// The field naming a record's conversation; `None`: records are independent.
    pub conversation_field: Option<String>,
    /// The field naming who wrote a turn; `None`: every turn is the customer's.
    pub speaker_field: Option<String>,
    /// Values of `speaker_field` that mean the customer (compared without case); any other
    /// value is an agent.
    pub customer_speakers: Vec<String>,
    /// The field with the time a message was written.
    pub time_field: Option<String>,
    /// The user's zone: times with an offset are converted into it, times without one are
    /// read on its clock.
    pub zone: Option<Zone>,
    /// "Now" for records without a time.
    pub reference_time: DateTime<FixedOffset>,
    /// Take personal data out of the text and the analysis.
    pub redact: bool,
    /// Live conversations kept at most.
    pub max_conversations: usize,
    /// Stop at the first malformed record.
    pub strict: bool,
}

/// Tags chunks of records, keeping the live conversations between chunks.
pub struct Tagger<'a> {
    analyzer: &'a Analyzer,
    options: Options,
    live: Live,
    /// Whether some record had a field that did not parse (a time, a conversation id, a
    /// speaker).
    pub bad_fields: bool,
    /// Collects the conversations for `--report`.
    pub report: Option<Report>,
}

/// A record whose fields parsed.
struct Row {
    record: Record,
    text: String,
    time: DateTime<FixedOffset>,
    /// Conversation id and speaker, in conversation mode.
    chat: Option<(String, Speaker)>,
}

impl<'a> Tagger<'a> {
    pub fn new(analyzer: &'a Analyzer, options: Options) -> Self {
        let live = Live::new(options.max_conversations, options.redact);
        Tagger {
            analyzer,
            options,
            live,
            bad_fields: false,
            report: None,
        }
    }

    /// Conversations dropped from memory to stay under the cap.
    pub fn evicted(&self) -> usize {
        self.live.evicted
    }

    /// Analyses the pending items and writes one JSON line per item, in order.
    pub fn flush(
        &mut self,
        pending: &mut Vec<Item>,
        name: &str,
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut rows: Vec<std::result::Result<Row, (usize, String)>> = Vec::new();
        let mut stop = None;
        for item in pending.drain(..) {
            match item {
                Item::Error { line, message } => rows.push(Err((line, message))),
                Item::Text { record, text, line } => {
                    match self.check_length(&text).and_then(|()| self.fields(&record)) {
                        Ok((time, chat)) => rows.push(Ok(Row {
                            record,
                            text,
                            time,
                            chat,
                        })),
                        Err(message) => {
                            self.bad_fields = true;
                            if self.options.strict {
                                stop = Some(format!("{name}:{line}: {message}"));
                                break;
                            }
                            rows.push(Err((line, message)));
                        }
                    }
                }
            }
        }
        let texts: Vec<&str> = rows.iter().flatten().map(|r| r.text.as_str()).collect();
        if self.options.conversation_field.is_some() {
            let inputs: Vec<TurnInput> = rows
                .iter()
                .flatten()
                .map(|r| TurnInput {
                    text: &r.text,
                    speaker: r.chat.as_ref().map_or(Speaker::Customer, |c| c.1),
                    time: Some(r.time),
                })
                .collect();
            let mut prepared =
                Conversation::prepare(self.analyzer, &inputs, self.options.redact)?.into_iter();
            for row in rows {
                let line = match row {
                    Err((line, message)) => error_line(name, line, &message),
                    Ok(mut row) => {
                        let prepared = prepared.next().context("one prepared turn per text")?;
                        let id = row.chat.as_ref().map_or("", |c| c.0.as_str());
                        let turn = self.live.get(id).turn_prepared(prepared)?;
                        if let Some(report) = &mut self.report {
                            report.add(
                                id,
                                &turn,
                                turn.redacted_text.as_deref().unwrap_or(&row.text),
                            );
                        }
                        let TurnAnalysis { redacted_text, .. } = &turn;
                        if let Some(redacted) = redacted_text {
                            replace_text(
                                &mut row.record,
                                &self.options.fields,
                                &row.text,
                                redacted,
                            )?;
                        }
                        let mut analysis = serde_json::to_value(&turn)?;
                        if let Some(object) = analysis.as_object_mut() {
                            object.remove("redacted_text");
                        }
                        row.record.insert("analysis", &analysis)?;
                        row.record
                    }
                };
                write_line(out, &line)?;
            }
        } else {
            let contexts: Vec<Context> = rows
                .iter()
                .flatten()
                .map(|r| Context::new(r.time))
                .collect();
            let mut analyses = self
                .analyzer
                .analyze_batch_each(&texts, &contexts)?
                .into_iter();
            for row in rows {
                let line = match row {
                    Err((line, message)) => error_line(name, line, &message),
                    Ok(mut row) => {
                        let mut analysis: Analysis =
                            analyses.next().context("one analysis per text")?;
                        if self.options.redact {
                            let redaction = self.analyzer.redact_analysis(&row.text, &mut analysis);
                            replace_text(
                                &mut row.record,
                                &self.options.fields,
                                &row.text,
                                &redaction.text,
                            )?;
                        }
                        row.record.insert("analysis", &analysis)?;
                        row.record
                    }
                };
                write_line(out, &line)?;
            }
        }
        if let Some(message) = stop {
            out.flush()?;
            bail!(message);
        }
        Ok(())
    }

    /// Why a text is over the analyzer's `max_chars` (`--max-chars`), if it is.
    fn check_length(&self, text: &str) -> std::result::Result<(), String> {
        match self.analyzer.max_chars() {
            Some(max) if text.len() > max && text.chars().count() > max => Err(format!(
                "the text has {} characters; --max-chars is {max}",
                text.chars().count()
            )),
            _ => Ok(()),
        }
    }

    /// A record's time and conversation, or why they do not parse.
    #[allow(clippy::type_complexity)]
    fn fields(
        &self,
        record: &Record,
    ) -> std::result::Result<(DateTime<FixedOffset>, Option<(String, Speaker)>), String> {
        let o = &self.options;
        let time = match o.time_field.as_deref().map(|f| (f, record.get(f))) {
            None | Some((_, None | Some(Value::Null))) => o.reference_time,
            Some((_, Some(Value::String(s)))) if s.trim().is_empty() => o.reference_time,
            Some((field, Some(value))) => {
                parse_time(&value, o.zone.as_ref()).map_err(|e| format!("field `{field}`: {e}"))?
            }
        };
        let Some(field) = o.conversation_field.as_deref() else {
            return Ok((time, None));
        };
        let id = match record.get(field) {
            Some(Value::String(s)) if !s.is_empty() => s,
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(_)) => return Err(format!("field `{field}` is empty")),
            Some(_) => return Err(format!("field `{field}` is not a string or a number")),
            None => return Err(format!("missing field `{field}`")),
        };
        let speaker = match o.speaker_field.as_deref() {
            None => Speaker::Customer,
            Some(field) => match record.get(field) {
                Some(Value::String(s)) => {
                    if o.customer_speakers
                        .iter()
                        .any(|c| c.trim().eq_ignore_ascii_case(s.trim()))
                    {
                        Speaker::Customer
                    } else {
                        Speaker::Agent
                    }
                }
                Some(_) => return Err(format!("field `{field}` is not a string")),
                None => return Err(format!("missing field `{field}`")),
            },
        };
        Ok((time, Some((id, speaker))))
    }
}

fn write_line(out: &mut dyn Write, line: &Record) -> Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Puts `new` in place of the record's text: the chosen JSONL field or CSV column, `text`
/// for plain text.
pub fn replace_text(
    record: &mut Record,
    fields: &Fields,
    original: &str,
    new: &str,
) -> serde_json::Result<()> {
    let key = [fields.text_field.as_str(), fields.column.as_str(), "text"]
        .into_iter()
        .find(|k| record.get(k).as_ref().and_then(Value::as_str) == Some(original))
        .unwrap_or("text");
    record.insert(key, &new)
}

/// The live conversations by id, the least recently used dropped beyond `cap`.
struct Live {
    cap: usize,
    redact: bool,
    tick: u64,
    chats: HashMap<String, (u64, Conversation)>,
    /// Ids by the tick of their last turn.
    by_age: BTreeMap<u64, String>,
    evicted: usize,
}

impl Live {
    fn new(cap: usize, redact: bool) -> Self {
        Live {
            cap: cap.max(1),
            redact,
            tick: 0,
            chats: HashMap::new(),
            by_age: BTreeMap::new(),
            evicted: 0,
        }
    }

    /// The conversation `id`, started when new.
    fn get(&mut self, id: &str) -> &mut Conversation {
        self.tick += 1;
        let tick = self.tick;
        if let Some((last, _)) = self.chats.get_mut(id) {
            self.by_age.remove(last);
            *last = tick;
        } else {
            if self.chats.len() >= self.cap
                && let Some((_, oldest)) = self.by_age.pop_first()
            {
                self.chats.remove(&oldest);
                self.evicted += 1;
            }
            self.chats.insert(
                id.to_owned(),
                (tick, Conversation::new().redacting(self.redact)),
            );
        }
        self.by_age.insert(tick, id.to_owned());
        &mut self.chats.get_mut(id).expect("a live conversation").1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_conversation_goes() {
        let mut live = Live::new(2, false);
        live.get("a");
        live.get("b");
        live.get("a");
        live.get("c"); // drops b
        assert_eq!(live.evicted, 1);
        assert!(live.chats.contains_key("a") && live.chats.contains_key("c"));
        assert!(!live.chats.contains_key("b"));
        assert_eq!(live.by_age.len(), 2);
    }
}
