//! Streaming readers for transcripts: JSONL, CSV and plain text, one item per record.
//!
//! Every record yields exactly one [`Item`]: either a text to analyse (with the JSON object
//! the analysis is added to) or an error naming the file and line.

use std::io::{BufRead, Read};

use anyhow::{Context, Result, bail};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// Input format of a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    Text,
}

impl Format {
    /// Picks the format from a file name's extension (`.jsonl`/`.json`, `.csv`, else text).
    pub fn from_path(path: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".jsonl") || lower.ends_with(".json") || lower.ends_with(".ndjson") {
            Format::Jsonl
        } else if lower.ends_with(".csv") {
            Format::Csv
        } else {
            Format::Text
        }
    }
}

/// One input record.
pub enum Item {
    /// A text to analyse, the output object it belongs to, and the line it starts on.
    Text {
        text: String,
        record: Record,
        line: usize,
    },
    /// A malformed record: it becomes an error line in the output.
    Error { line: usize, message: String },
}

/// The fields of a record in input order, each value kept as the JSON text it was written
/// as: fields tolka does not write come back byte for byte (a 23-digit id, `1e2`, `1E400`,
/// `"\u00e9"`), duplicates included.
#[derive(Default)]
pub struct Record(Vec<(String, Box<RawValue>)>);

impl Record {
    /// The value of field `key` (its last occurrence, as JSON parsers read duplicates). A
    /// number beyond `f64` is read as its text.
    pub fn get(&self, key: &str) -> Option<Value> {
        let raw = &self.0.iter().rev().find(|(k, _)| k == key)?.1;
        Some(serde_json::from_str(raw.get()).unwrap_or_else(|_| raw.get().into()))
    }

    /// Sets field `key` to `value`: in place of its first occurrence (dropping any others),
    /// else at the end.
    pub fn insert(&mut self, key: &str, value: &impl Serialize) -> serde_json::Result<()> {
        let value = serde_json::value::to_raw_value(value)?;
        match self.0.iter().position(|(k, _)| k == key) {
            Some(i) => {
                self.0[i].1 = value;
                let mut n = 0;
                self.0.retain(|(k, _)| {
                    n += usize::from(k == key);
                    k != key || n == 1
                });
            }
            None => self.0.push((key.to_owned(), value)),
        }
        Ok(())
    }

    /// A record of string fields (a CSV row, a plain-text line).
    fn of_strings<'k>(fields: impl IntoIterator<Item = (String, &'k str)>) -> Self {
        Record(
            fields
                .into_iter()
                .map(|(k, v)| (k, serde_json::value::to_raw_value(v).expect("a string")))
                .collect(),
        )
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Record;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Record, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Record(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// Where the text of a record is found.
#[derive(Debug, Clone)]
pub struct Fields {
    pub text_field: String,
    pub column: String,
}

/// Reads items of one source lazily.
pub struct Reader<'a> {
    inner: Inner<'a>,
    fields: Fields,
    line: usize,
}

enum Inner<'a> {
    Lines(Box<dyn BufRead + 'a>),
    Csv {
        reader: csv::Reader<Box<dyn Read + 'a>>,
        headers: Vec<String>,
    },
}

impl<'a> Reader<'a> {
    pub fn new(source: Box<dyn BufRead + 'a>, format: Format, fields: Fields) -> Result<Self> {
        let source = skip_bom(source).context("reading the input")?;
        let inner = match format {
            Format::Jsonl | Format::Text => Inner::Lines(source),
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_reader(Box::new(source) as Box<dyn Read + 'a>);
                let headers = reader
                    .byte_headers()
                    .context("reading the CSV header")?
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).into_owned())
                    .collect::<Vec<_>>();
                if !headers.contains(&fields.column) {
                    bail!(
                        "the CSV header has no column `{}` (columns: {}); choose one with --column",
                        fields.column,
                        headers.join(", ")
                    );
                }
                Inner::Csv { reader, headers }
            }
        };
        let format_is_text = format == Format::Text;
        Ok(Self {
            inner,
            fields: Fields {
                // An empty text field marks plain text.
                text_field: if format_is_text {
                    String::new()
                } else {
                    fields.text_field
                },
                column: fields.column,
            },
            line: 0,
        })
    }

    /// The next item, `None` at the end of the input.
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        match &mut self.inner {
            Inner::Lines(source) => {
                let mut buf = Vec::new();
                if source.read_until(b'\n', &mut buf)? == 0 {
                    return Ok(None);
                }
                self.line += 1;
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                let line = self.line;
                let text = match String::from_utf8(buf) {
                    Ok(text) => text,
                    Err(e) => {
                        return Ok(Some(Item::Error {
                            line,
                            message: format!("invalid UTF-8: {}", e.utf8_error()),
                        }));
                    }
                };
                let field = &self.fields.text_field;
                Ok(Some(if field.is_empty() {
                    line_item(text, "text", line)
                } else if text.trim().is_empty() {
                    // A blank JSONL line is an empty text with its line number, not an error.
                    line_item(String::new(), field, line)
                } else {
                    json_item(&text, &self.fields.text_field, line)
                }))
            }
            Inner::Csv { reader, headers } => {
                let mut record = csv::ByteRecord::new();
                let read = reader.read_byte_record(&mut record);
                let line = record
                    .position()
                    .map_or(self.line + 1, |p| p.line() as usize);
                self.line = line;
                match read {
                    Ok(false) => Ok(None),
                    Err(e) => Ok(Some(Item::Error {
                        line: e.position().map_or(line, |p| p.line() as usize),
                        message: format!("malformed CSV: {e}"),
                    })),
                    Ok(true) => {
                        let mut object = Vec::with_capacity(record.len());
                        let mut text = None;
                        for (i, field) in record.iter().enumerate() {
                            let Ok(value) = std::str::from_utf8(field) else {
                                return Ok(Some(Item::Error {
                                    line,
                                    message: format!("invalid UTF-8 in column {}", i + 1),
                                }));
                            };
                            let name = headers
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| format!("column{}", i + 1));
                            if name == self.fields.column {
                                text = Some(value.to_owned());
                            }
                            object.push((name, value));
                        }
                        Ok(Some(match text {
                            Some(text) => Item::Text {
                                text,
                                record: Record::of_strings(object),
                                line,
                            },
                            None => Item::Error {
                                line,
                                message: format!("no value in column `{}`", self.fields.column),
                            },
                        }))
                    }
                }
            }
        }
    }
}

/// A UTF-8 byte order mark at the start of `source` skipped (every format).
fn skip_bom<'a>(mut source: Box<dyn BufRead + 'a>) -> std::io::Result<Box<dyn BufRead + 'a>> {
    let mut head = Vec::with_capacity(3);
    (&mut source).take(3).read_to_end(&mut head)?;
    if head == b"\xEF\xBB\xBF" {
        head.clear();
    }
    Ok(Box::new(std::io::Cursor::new(head).chain(source)))
}

/// A line read as plain text (or a blank JSONL line): `{"line": n, field: text}`.
fn line_item(text: String, field: &str, line: usize) -> Item {
    let mut record = Record::of_strings([(field.to_owned(), text.as_str())]);
    record.0.insert(
        0,
        (
            "line".into(),
            serde_json::value::to_raw_value(&line).expect("a number"),
        ),
    );
    Item::Text { text, record, line }
}

fn json_item(line_text: &str, field: &str, line: usize) -> Item {
    let error = |message: String| Item::Error { line, message };
    match serde_json::from_str::<Record>(line_text) {
        Err(e) if e.is_data() => error("not a JSON object".into()),
        Err(e) => error(format!("invalid JSON: {e}")),
        Ok(record) => match record.get(field) {
            Some(Value::String(text)) => Item::Text { text, record, line },
            Some(_) => error(format!("field `{field}` is not a string")),
            None => error(format!("missing field `{field}`")),
        },
    }
}
