//! The training-data readers on fuzzed file contents: `data::read_jsonl`,
//! `data::read_rasa_nlu` and `data::read` (by extension). Each returns records or an
//! `Error::Data` naming the file and a line of it (1-based, at most one past the last line);
//! never a panic. Records' entity spans lie within their text (character offsets).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tolka::Error;
use tolka::data::{self, Record};

fn check(path: &Path, contents: &[u8], result: tolka::Result<Vec<Record>>) {
    match result {
        Ok(records) => {
            for r in &records {
                let chars = r.text.chars().count();
                for span in r.entities.iter().flatten() {
                    assert!(
                        span.start < span.end && span.end <= chars,
                        "span {span:?} outside {:?}",
                        r.text
                    );
                }
            }
        }
        Err(Error::Data {
            path: p,
            line,
            reason,
        }) => {
            assert_eq!(p, path);
            let lines = contents.iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                (1..=lines).contains(&line),
                "line {line} of a {lines}-line file: {reason}"
            );
        }
        Err(e) => panic!("not a data error: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, contents)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let name = match selector % 4 {
        0 | 2 => "train.jsonl",
        _ => "nlu.yml",
    };
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    let result = match selector % 4 {
        0 => data::read_jsonl(&path),
        1 => data::read_rasa_nlu(&path),
        _ => data::read(&path),
    };
    check(&path, contents, result);
});
