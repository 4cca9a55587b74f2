//! Rasa's NLU training format (`nlu.yml`), read into [`Record`]s.
//!
//! What is read: `nlu:` items with `intent:` and `examples:`, either a block of `- text` lines
//! or a list of `- text: …` mappings; entity annotations `[text](entity)`,
//! `[text](entity:value)` and `[text]{"entity": "entity", "value": …, "role": …}` become
//! [`Span`]s with character offsets into the plain text. `synonym:`, `regex:` and `lookup:`
//! items are accepted and not used (tolka normalises values with its rule layer and shop
//! catalogs). `version`, `responses`, `stories`, `rules` and other top-level keys of a Rasa
//! file are skipped. Every error names the file and the line.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::parser::{Event, Parser};

use super::{Record, Span};
use crate::error::{Error, Result};

/// A YAML node with the line it starts on (1-based).
#[derive(Debug)]
enum Node {
    Scalar(String, usize),
    Seq(Vec<Node>, usize),
    Map(Vec<(Node, Node)>, usize),
}

impl Node {
    fn line(&self) -> usize {
        match self {
            Node::Scalar(_, l) | Node::Seq(_, l) | Node::Map(_, l) => *l,
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(items, _) => items
                .iter()
                .find(|(k, _)| matches!(k, Node::Scalar(s, _) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s, _) => Some(s),
            _ => None,
        }
    }
}

/// Reads a Rasa NLU YAML file.
pub fn read_rasa_nlu(path: impl AsRef<Path>) -> Result<Vec<Record>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::Data {
        path: path.to_owned(),
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        reason: format!("invalid UTF-8: {e}"),
    })?;
    parse(text.trim_start_matches('\u{feff}')).map_err(|(line, reason)| Error::Data {
        path: path.to_owned(),
        // The YAML parser places an error at the end of the input one line past the last.
        line: line.clamp(1, text.lines().count().max(1)),
        reason,
    })
}

type Failure = (usize, String);

fn parse(text: &str) -> std::result::Result<Vec<Record>, Failure> {
    let mut parser = Parser::new_from_str(text);
    let mut next = || {
        parser
            .next_token()
            .map_err(|e| (e.marker().line(), format!("invalid YAML: {}", e.info())))
    };
    // StreamStart, then one document (an empty file has none).
    let mut root = None;
    loop {
        let (event, _) = next()?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart if root.is_none() => {
                let (event, mark) = next()?;
                root = Some(node(event, mark.line(), &mut next)?);
            }
            Event::DocumentStart => {
                return Err((1, "more than one YAML document".into()));
            }
            _ => {}
        }
    }
    let Some(root) = root else {
        return Ok(Vec::new());
    };
    let Node::Map(..) = root else {
        return Err((
            root.line(),
            "a Rasa NLU file is a mapping with an `nlu:` key".into(),
        ));
    };
    let Some(nlu) = root.get("nlu") else {
        return Ok(Vec::new());
    };
    let Node::Seq(items, _) = nlu else {
        return Err((nlu.line(), "`nlu:` must be a list of items".into()));
    };
    let mut records = Vec::new();
    for item in items {
        if !matches!(item, Node::Map(..)) {
            return Err((item.line(), "an `nlu:` item must be a mapping".into()));
        }
        if ["synonym", "regex", "lookup"]
            .iter()
            .any(|k| item.get(k).is_some())
        {
            continue;
        }
        let intent = item.get("intent").ok_or((
            item.line(),
            "an `nlu:` item needs `intent:` (or synonym, regex, lookup)".into(),
        ))?;
        let intent = intent
            .as_str()
            .ok_or((intent.line(), "`intent:` must be a name".into()))?
            .to_owned();
        let examples = item
            .get("examples")
            .ok_or((item.line(), format!("intent `{intent}` has no `examples:`")))?;
        for (line, example) in example_lines(examples)? {
            let (text, entities) = parse_example(&example).map_err(|reason| (line, reason))?;
            if text.trim().is_empty() {
                return Err((line, "empty example".into()));
            }
            records.push(Record {
                text,
                intent: Some(intent.clone()),
                entities: Some(entities),
                sentiment: None,
                emotions: None,
                lang: None,
            });
        }
    }
    Ok(records)
}

/// Builds the node that starts with `event` (its marker on `line`).
fn node(
    event: Event,
    line: usize,
    next: &mut impl FnMut() -> std::result::Result<(Event, yaml_rust2::scanner::Marker), Failure>,
) -> std::result::Result<Node, Failure> {
    match event {
        Event::Scalar(value, ..) => Ok(Node::Scalar(value, line)),
        Event::SequenceStart(..) => {
            let mut items = Vec::new();
            loop {
                let (event, mark) = next()?;
                if matches!(event, Event::SequenceEnd) {
                    return Ok(Node::Seq(items, line));
                }
                items.push(node(event, mark.line(), next)?);
            }
        }
        Event::MappingStart(..) => {
            let mut items = Vec::new();
            loop {
                let (event, mark) = next()?;
                if matches!(event, Event::MappingEnd) {
                    return Ok(Node::Map(items, line));
                }
                let key = node(event, mark.line(), next)?;
                let (event, mark) = next()?;
                items.push((key, node(event, mark.line(), next)?));
            }
        }
        Event::Alias(_) => Err((line, "YAML aliases are not supported in NLU data".into())),
        _ => Err((line, "unexpected YAML structure".into())),
    }
}

/// The examples of an intent with the line of each: a block of `- text` lines, or a list of
/// strings or `{text: …}` mappings.
fn example_lines(examples: &Node) -> std::result::Result<Vec<(usize, String)>, Failure> {
    match examples {
        Node::Scalar(block, first) => {
            // The scalar's marker is on its first content line (also for a `|` block).
            let first = *first;
            let mut out = Vec::new();
            for (i, raw) in block.lines().enumerate() {
                let trimmed = raw.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let text = trimmed.strip_prefix('-').ok_or((
                    first + i,
                    format!("an example line starts with `- `: {trimmed:?}"),
                ))?;
                out.push((first + i, text.trim().to_owned()));
            }
            Ok(out)
        }
        Node::Seq(items, _) => items
            .iter()
            .map(|item| {
                let text = item.get("text").unwrap_or(item);
                let value = text
                    .as_str()
                    .ok_or((item.line(), "an example must be text or `text: …`".into()))?;
                Ok((text.line(), value.trim().to_owned()))
            })
            .collect(),
        Node::Map(_, line) => Err((*line, "`examples:` must be a block or a list".into())),
    }
}

static ANNOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<dict>\{[^}]*\}))"#)
        .expect("annotation pattern")
});

/// One example: the plain text and its entity spans (character offsets).
fn parse_example(example: &str) -> std::result::Result<(String, Vec<Span>), String> {
    let mut text = String::with_capacity(example.len());
    let mut chars = 0;
    let mut spans = Vec::new();
    let mut last = 0;
    for caps in ANNOTATION.captures_iter(example) {
        let whole = caps.get(0).expect("match");
        let before = &example[last..whole.start()];
        text.push_str(before);
        chars += before.chars().count();
        let value = &caps["text"];
        let label = match (caps.name("entity"), caps.name("dict")) {
            (Some(entity), _) => entity
                .as_str()
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
            (_, Some(dict)) => {
                let parsed: serde_json::Value = serde_json::from_str(dict.as_str())
                    .map_err(|e| format!("entity annotation {}: {e}", dict.as_str()))?;
                parsed
                    .get("entity")
                    .and_then(|e| e.as_str())
                    .ok_or_else(|| {
                        format!("entity annotation {} has no \"entity\"", dict.as_str())
                    })?
                    .to_owned()
            }
            _ => unreachable!("the pattern has one of the two"),
        };
        if label.is_empty() {
            return Err(format!("empty entity name in {}", whole.as_str()));
        }
        let n = value.chars().count();
        spans.push(Span {
            start: chars,
            end: chars + n,
            label,
        });
        text.push_str(value);
        chars += n;
        last = whole.end();
    }
    text.push_str(&example[last..]);
    Ok((text, spans))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NLU: &str = r#"version: "3.1"
nlu:
- intent: check_stock
  examples: |
    - do you have [Air Max 90](product) in stock?
    - finns [linneskjortan]{"entity": "product", "value": "linneskjorta"} i lager
    - is the [Nike](brand:nike) [hoodie](product) back
- synonym: nike
  examples: |
    - Nike Inc
- intent: greet
  examples:
  - text: hello there
  - hej
"#;

    #[test]
    fn reads_intents_examples_and_annotations() {
        let records = parse(NLU).unwrap();
        assert_eq!(records.len(), 5);
        let r = &records[0];
        assert_eq!(r.text, "do you have Air Max 90 in stock?");
        assert_eq!(r.intent.as_deref(), Some("check_stock"));
        let span = &r.entities.as_ref().unwrap()[0];
        assert_eq!(
            (span.start, span.end, span.label.as_str()),
            (12, 22, "product")
        );
        let sv = &records[1];
        assert_eq!(sv.text, "finns linneskjortan i lager");
        assert_eq!(sv.entities.as_ref().unwrap()[0].end, 19);
        let two = records[2].entities.as_ref().unwrap();
        assert_eq!(
            two.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(),
            ["brand", "product"]
        );
        assert_eq!(records[2].text, "is the Nike hoodie back");
        assert_eq!(records[3].text, "hello there");
        assert_eq!(records[4].intent.as_deref(), Some("greet"));
    }

    #[test]
    fn errors_name_the_line() {
        let bad_json = "nlu:\n- intent: a\n  examples: |\n    - ok\n    - [x]{\"entity\" 1}\n";
        assert_eq!(parse(bad_json).unwrap_err().0, 5);
        let no_dash = "nlu:\n- intent: a\n  examples: |\n    - ok\n    oops\n";
        assert_eq!(parse(no_dash).unwrap_err().0, 5);
        let no_examples = "nlu:\n- intent: a\n- intent: b\n  examples: |\n    - x\n";
        assert_eq!(parse(no_examples).unwrap_err().0, 2);
        let broken = "nlu:\n- intent: a\n  examples: [unclosed\n";
        assert!(parse(broken).is_err());
        // An error at the end of the file names its last line (found by fuzzing).
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("a.yml", "nlu:\n- intent: a\n  bad: [\n"),
            ("b.yml", "nlu:\n- intent: a\n  bad: ["),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            match read_rasa_nlu(&path) {
                Err(Error::Data { line, .. }) => assert_eq!(line, 3, "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(parse("").unwrap().is_empty());
    }
}
