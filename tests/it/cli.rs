use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::{data_dir, model_dir};

/// Runs the `tolka` binary on the default model with `stdin`.
pub fn tolka(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tolka"))
        .args(args)
        .env("TOLKA_MODEL", model_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // A command that fails on its flags exits without reading: a closed pipe is no error.
    if let Err(e) = pipe.write_all(stdin.unwrap_or_default()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tags_the_sample_transcript() {
    let path = data_dir().join("examples/transcript.jsonl");
    let out = tolka(&["tag", path.to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = std::fs::read_to_string(&path).unwrap();
    let records = lines(&out);
    assert_eq!(records.len(), input.lines().count());
    for (line, record) in input.lines().zip(&records) {
        let original: Value = serde_json::from_str(line).unwrap();
        // Every input key survives, in order, and an analysis is added.
        for (k, v) in original.as_object().unwrap() {
            assert_eq!(&record[k], v);
        }
        let analysis = &record["analysis"];
        assert!(analysis["intent"]["label"].is_string());
        assert!(analysis["sentiment"]["score"].is_number());
        assert!(analysis["entities"].is_array());
    }
}

#[test]
fn every_line_yields_one_output_line() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"text\": \"where is my order 113542617735902\", \"id\": 1}\n");
    input.extend_from_slice(b"{\"text\": \"broken json\n");
    input.extend_from_slice(b"{\"id\": 3}\n");
    input.extend_from_slice(b"{\"text\": \"invalid \xff\xfe utf-8\"}\n");
    input.extend_from_slice(b"[1, 2]\n");
    input.extend_from_slice(b"{\"text\": 5}\n");
    input.extend_from_slice(b"{\"text\": \"\"}\n");
    input.extend_from_slice(b"{\"text\": \"thanks, bye\"}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.jsonl");
    std::fs::write(&path, &input).unwrap();
    let p = path.to_str().unwrap();

    let out = tolka(&["tag", p], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "malformed lines make the exit code non-zero"
    );
    let records = lines(&out);
    assert_eq!(records.len(), 8);
    let errors: Vec<u64> = records
        .iter()
        .filter(|r| r.get("error").is_some())
        .map(|r| {
            assert_eq!(r["file"], p);
            r["line"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(errors, vec![2, 3, 4, 5, 6]);
    assert_eq!(records[0]["id"], 1);
    assert_eq!(records[0]["analysis"]["intent"]["label"], "track_order");
    assert_eq!(records[6]["analysis"]["intent"]["out_of_scope"], true);
    assert!(records[7]["analysis"].is_object());

    // --strict stops at the first malformed line, after writing the lines before it.
    let out = tolka(&["tag", "--strict", p], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out).len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains(":2:"));
}

#[test]
fn plain_text_from_stdin_and_csv() {
    let out = tolka(&["tag"], Some("hello\n\nI want a refund\n".as_bytes()));
    assert!(out.status.success());
    let records = lines(&out);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["line"], 3);
    assert_eq!(records[2]["text"], "I want a refund");

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("chat.csv");
    std::fs::write(
        &csv,
        b"id,message\n1,\"where is my order, please?\"\n2,\"bad \xff\"\n3,thanks\n",
    )
    .unwrap();
    let out = tolka(&["tag", "--column", "message", csv.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let records = lines(&out);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["message"], "where is my order, please?");
    assert!(records[0]["analysis"].is_object());
    assert_eq!(records[1]["line"], 3);
    assert_eq!(records[2]["id"], "3");

    let out = tolka(&["tag", "--column", "nope", csv.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column `nope`"));
}

#[test]
fn eval_prints_the_documented_json() {
    let data = data_dir().join("clinc150-oos/dev.jsonl");
    let out = tolka(&["eval", "--data", data.to_str().unwrap(), "--json"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["count"], 3100);
    for key in [
        "accuracy",
        "macro_f1",
        "oos_recall",
        "oos_precision",
        "oos_auroc",
        "ece",
    ] {
        let v = report["intent"][key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    assert!(
        report.get("entities").is_none(),
        "CLINC150 has no entity annotation"
    );
}

#[test]
fn redact_keeps_line_accounting() {
    let input = b"card 4111 1111 1111 1111\n\xff bad\nno pii here\n";
    let out = tolka(&["redact"], Some(input));
    assert_eq!(out.status.code(), Some(1));
    let records = lines(&out);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["text"], "card [CARD]");
    assert_eq!(records[0]["redactions"][0]["label"], "card");
    assert_eq!(records[1]["line"], 2);
    assert!(records[1]["error"].is_string());
    assert_eq!(records[2]["text"], "no pii here");
}

#[test]
fn bench_prints_the_documented_json() {
    let data = data_dir().join("clinc150-oos/dev.jsonl");
    let args = [
        "bench",
        "--data",
        data.to_str().unwrap(),
        "--n",
        "16",
        "--batch-sizes",
        "1,4",
        "--repeats",
        "1",
        "--json",
    ];
    let out = tolka(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1]["batch_size"], 4);
    assert!(results[1]["utterances_per_s"].as_f64().unwrap() > 0.0);
    assert!(
        report["latency_ms"]["p50"].as_f64().unwrap()
            <= report["latency_ms"]["p95"].as_f64().unwrap()
    );
    assert!(report["peak_rss_mb"].as_f64().unwrap() > 0.0);
    assert!(report["cold_start_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn prune_writes_a_package_that_tags_its_corpus_alike() {
    let model = model_dir().with_file_name("commerce-multi");
    let corpus = data_dir().join("examples/transcript-sv-en.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pruned");
    let (model, corpus, out) = (
        model.to_str().unwrap(),
        corpus.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let pruned = tolka(
        &[
            "prune", "--model", model, "--data", corpus, "--out", out, "--json",
        ],
        None,
    );
    assert!(
        pruned.status.success(),
        "{}",
        String::from_utf8_lossy(&pruned.stderr)
    );
    let report = &lines(&pruned)[0];
    assert_eq!(report["base_size"], 250_002);
    assert!(report["kept"].as_u64().unwrap() < report["base_size"].as_u64().unwrap() / 10);
    let full = tolka(&["tag", "--model", model, corpus], None);
    let small = tolka(&["tag", "--model", out, corpus], None);
    assert!(
        small.status.success(),
        "{}",
        String::from_utf8_lossy(&small.stderr)
    );
    assert_eq!(lines(&full), lines(&small));

    // A malformed corpus line is an error naming the file and line, and writes nothing.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"hej\"}\n{not json\n").unwrap();
    let again = dir.path().join("again");
    let out = tolka(
        &[
            "prune",
            "--model",
            model,
            "--data",
            bad.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!again.exists());
}

#[test]
fn parse_runs_the_rules_with_per_record_context() {
    let mut input = Vec::new();
    input.extend_from_slice(
        "{\"text\": \"åäö: 499 kr i morgon\", \"id\": 1, \"locale\": \"sv\"}\n".as_bytes(),
    );
    input.extend_from_slice(
        b"{\"text\": \"tomorrow at 3pm\", \"reference_time\": \"2026-03-01T09:00:00-05:00\"}\n",
    );
    input.extend_from_slice(b"{\"text\": \"1,500\", \"locale\": \"en\"}\n");
    input.extend_from_slice(b"{\"text\": \"1,500\", \"locale\": \"sv\"}\n");
    input.extend_from_slice(b"{\"text\": \"x\", \"reference_time\": \"tomorrow\"}\n");
    input.extend_from_slice(b"{\"text\": \"x\", \"locale\": \"fr\"}\n");
    input.extend_from_slice(b"{\"id\": 7}\n");
    input.extend_from_slice(b"{\"text\": \"nothing here\"}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.jsonl");
    std::fs::write(&path, &input).unwrap();
    let p = path.to_str().unwrap();

    let out = tolka(
        &["parse", "--reference-time", "2026-11-24T10:00:00+01:00", p],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "malformed records: exit code 1");
    let records = lines(&out);
    assert_eq!(records.len(), 8, "one output line per input line");

    // Character offsets, not bytes; the flag's reference time; the record's locale.
    assert_eq!(records[0]["id"], 1);
    let m = &records[0]["matches"];
    assert_eq!(m[0]["label"], "money");
    assert_eq!(m[0]["text"], "499 kr");
    assert_eq!(
        (m[0]["start"].as_u64(), m[0]["end"].as_u64()),
        (Some(5), Some(11))
    );
    assert_eq!(m[0]["value"]["currency"], "SEK");
    assert_eq!(m[1]["label"], "date");
    assert_eq!(m[1]["value"]["value"], "2026-11-25");

    // The record's reference time wins over the flag.
    assert_eq!(
        records[1]["matches"][0]["value"]["value"],
        "2026-03-02T15:00:00-05:00"
    );
    assert_eq!(records[2]["matches"][0]["value"]["value"], 1500);
    assert_eq!(records[3]["matches"][0]["value"]["value"], 1.5);

    let errors: Vec<(u64, String)> = records
        .iter()
        .filter(|r| r.get("error").is_some())
        .map(|r| {
            assert_eq!(r["file"], p);
            (
                r["line"].as_u64().unwrap(),
                r["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![5, 6, 7]
    );
    assert!(errors[0].1.contains("reference_time"), "{}", errors[0].1);
    assert!(errors[1].1.contains("locale"), "{}", errors[1].1);
    assert_eq!(records[7]["matches"], serde_json::json!([]));

    // --strict stops at the first malformed record.
    let out = tolka(&["parse", "--strict", p], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out).len(), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains(":5:"));

    // Plain text from stdin, flags for the context; a bad flag is an error.
    let out = tolka(
        &[
            "parse",
            "--locale",
            "en",
            "--reference-time",
            "2026-11-24T10:00:00Z",
            "--timezone",
            "+01:00",
        ],
        Some(b"at 3pm\nno numbers\n"),
    );
    assert!(out.status.success());
    let records = lines(&out);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["line"], 1);
    assert_eq!(
        records[0]["matches"][0]["value"]["value"],
        "2026-11-24T15:00:00+01:00"
    );
    let out = tolka(&["parse", "--timezone", "Mars/Olympus"], Some(b"hi\n"));
    assert_eq!(out.status.code(), Some(2));
}

/// Writes `lines` (JSON values) as a JSONL file in `dir`.
fn jsonl(dir: &tempfile::TempDir, name: &str, lines: &[Value]) -> String {
    let path = dir.path().join(name);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

const CONVERSATION_FLAGS: &[&str] = &[
    "--conversation-field",
    "conversation",
    "--speaker-field",
    "speaker",
    "--customer-speaker",
    "customer",
    "--time-field",
    "time",
];

/// `(conversation, speaker, text)` as records one minute apart from 2026-03-10 14:00 +01:00.
fn transcript(turns: &[(&str, &str, &str)]) -> Vec<Value> {
    turns
        .iter()
        .enumerate()
        .map(|(i, &(conversation, speaker, text))| {
            serde_json::json!({
                "conversation": conversation,
                "speaker": speaker,
                "time": format!("2026-03-10T14:{i:02}:00+01:00"),
                "text": text,
            })
        })
        .collect()
}

fn escalates(record: &Value) -> bool {
    record["analysis"]["escalation"]["escalate"]
        .as_bool()
        .expect("a customer turn has an escalation")
}

#[test]
fn tag_groups_interleaved_conversations_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = transcript(&[
        ("en-angry", "customer", "Hi, where is my order A-10293?"),
        (
            "sv-calm",
            "customer",
            "Hej! Hur lång är leveranstiden till Göteborg?",
        ),
        ("en-angry", "bot", "It is on its way."),
        ("sv-calm", "bot", "Två till tre dagar."),
        (
            "sv-angry",
            "customer",
            "Hej, mitt paket har inte kommit fram",
        ),
        (
            "en-angry",
            "customer",
            "That is what you said last week. I want to talk to a real person, now.",
        ),
        ("sv-angry", "bot", "Paketet är på väg."),
        ("sv-calm", "customer", "Tack, då beställer jag idag."),
        (
            "sv-angry",
            "customer",
            "Det sa ni förra veckan också. Jag vill prata med en människa!",
        ),
        (
            "en-grumpy",
            "customer",
            "Hi! I'd like to return a pair of shoes.",
        ),
        (
            "en-grumpy",
            "agent",
            "Sure, you have 30 days to return them.",
        ),
        (
            "en-grumpy",
            "customer",
            "Ugh, the return label did not print, that's annoying.",
        ),
        (
            "en-grumpy",
            "agent",
            "I have sent you a new label by e-mail.",
        ),
        (
            "en-grumpy",
            "customer",
            "Got it, thanks for the quick help!",
        ),
    ]);
    let p = jsonl(&dir, "chats.jsonl", &input);
    let mut args = vec!["tag"];
    args.extend_from_slice(CONVERSATION_FLAGS);
    args.push(&p);
    let out = tolka(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = lines(&out);
    assert_eq!(records.len(), input.len());

    // Turn indices count within each conversation, in file order; every input key stays.
    let mut seen = std::collections::HashMap::new();
    for (record, original) in records.iter().zip(&input) {
        for (k, v) in original.as_object().unwrap() {
            assert_eq!(&record[k], v);
        }
        let id = record["conversation"].as_str().unwrap();
        let n = seen.entry(id).or_insert(0);
        assert_eq!(record["analysis"]["turn"], *n, "{record}");
        *n += 1;
        // Agent turns are analysed, but only customer turns get escalation and slots.
        let customer = record["speaker"] == "customer";
        assert!(record["analysis"]["intent"]["label"].is_string());
        assert_eq!(
            record["analysis"]["escalation"].is_object(),
            customer,
            "{record}"
        );
        assert_eq!(
            record["analysis"]["slots"].is_object(),
            customer,
            "{record}"
        );
    }

    // The English and the Swedish customer who ask for a person escalate on that turn only.
    for (i, should) in [(0, false), (5, true), (4, false), (8, true)] {
        assert_eq!(escalates(&records[i]), should, "{}", records[i]);
    }
    let reasons = &records[5]["analysis"]["escalation"]["reasons"];
    assert!(
        reasons
            .as_array()
            .unwrap()
            .contains(&"human_requested".into()),
        "{reasons}"
    );
    // The order id of turn 0 is still a slot of the English conversation, not of the others.
    let slot = &records[5]["analysis"]["slots"]["order_id"];
    assert_eq!(
        (slot["text"].as_str(), slot["turn"].as_u64()),
        (Some("A-10293"), Some(0))
    );
    assert_ne!(
        records[8]["analysis"]["slots"]["order_id"]["text"],
        "A-10293"
    );
    // Calm conversations, one with a grumpy turn, never escalate.
    for record in &records {
        let id = record["conversation"].as_str().unwrap();
        if record["speaker"] == "customer" && (id == "sv-calm" || id == "en-grumpy") {
            assert!(!escalates(record), "{record}");
        }
    }

    // A tiny cap on live conversations: each conversation that comes back starts afresh.
    let mut capped = args.clone();
    capped.extend_from_slice(&["--max-conversations", "1"]);
    let out = tolka(&capped, None);
    assert!(out.status.success());
    let records = lines(&out);
    assert_eq!(
        records[2]["analysis"]["turn"], 0,
        "en-angry was dropped by sv-calm"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("dropped from memory"));
    let out = tolka(&[&args[..], &["--max-conversations", "0"]].concat(), None);
    assert_eq!(out.status.code(), Some(2), "a cap of 0 is refused");
}

#[test]
fn tag_times_are_per_record_and_bad_ones_are_error_lines() {
    let dir = tempfile::tempdir().unwrap();
    let input = [
        serde_json::json!({"text": "can you deliver it tomorrow?", "time": "2026-03-10T23:30:00+01:00"}),
        serde_json::json!({"text": "tomorrow please", "time": "last tuesday"}),
        serde_json::json!({"text": "deliver it tomorrow", "time": "2026-06-30T22:30:00Z"}),
        serde_json::json!({"text": "tomorrow then", "time": 1_773_147_600}),
        serde_json::json!({"text": "tomorrow is fine"}),
        serde_json::json!({"text": "deliver tomorrow", "time": "2026-03-29 02:30"}),
    ];
    let p = jsonl(&dir, "times.jsonl", &input);
    let date = |record: &Value| -> Option<String> {
        record["analysis"]["entities"]
            .as_array()?
            .iter()
            .find(|e| e["label"] == "date")
            .map(|e| e["value"]["value"].as_str().unwrap().to_owned())
    };
    let flags = [
        "--time-field",
        "time",
        "--timezone",
        "Europe/Stockholm",
        "--reference-time",
        "2026-01-01T12:00:00Z",
    ];
    let out = tolka(&[&["tag"][..], &flags, &[&p]].concat(), None);
    assert_eq!(out.status.code(), Some(1), "bad times: exit code 1");
    let records = lines(&out);
    assert_eq!(records.len(), input.len(), "one output line per input line");
    assert_eq!(date(&records[0]).as_deref(), Some("2026-03-11"));
    // 22:30 UTC is already 1 July on Stockholm's summer clock (+02:00).
    assert_eq!(date(&records[2]).as_deref(), Some("2026-07-02"));
    // Unix seconds: 2026-03-10 13:00 UTC.
    assert_eq!(date(&records[3]).as_deref(), Some("2026-03-11"));
    // No time: --reference-time.
    assert_eq!(date(&records[4]).as_deref(), Some("2026-01-02"));
    for i in [1, 5] {
        assert_eq!(records[i]["line"], i as u64 + 1, "{}", records[i]);
        assert_eq!(records[i]["file"], p.as_str());
        assert!(
            records[i]["error"].as_str().unwrap().contains("`time`"),
            "{}",
            records[i]
        );
        assert!(records[i].get("analysis").is_none());
    }

    // The same in conversation mode; --strict stops at the first bad time.
    let conv = [&["tag", "--conversation-field", "c"][..], &flags, &[&p]].concat();
    let dir2 = tempfile::tempdir().unwrap();
    let with_ids: Vec<Value> = input
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["c"] = "one".into();
            r
        })
        .collect();
    let p2 = jsonl(&dir2, "times.jsonl", &with_ids);
    let conv: Vec<&str> = conv
        .iter()
        .map(|a| if *a == p { p2.as_str() } else { a })
        .collect();
    let out = tolka(&conv, None);
    assert_eq!(out.status.code(), Some(1));
    let records = lines(&out);
    assert_eq!(records.len(), input.len());
    assert_eq!(date(&records[2]).as_deref(), Some("2026-07-02"));
    assert_eq!(
        records[2]["analysis"]["turn"], 1,
        "the bad line is not a turn"
    );
    assert!(records[1]["error"].is_string());
    let out = tolka(&[&conv[..], &["--strict"]].concat(), None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out).len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains(":2:"));

    // Missing conversation ids are error lines too; bad flags are errors before any output.
    let out = tolka(&["tag", "--conversation-field", "c", &p], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        lines(&out)
            .iter()
            .all(|r| r["error"].as_str().is_some_and(|e| e.contains("`c`")))
    );
    let out = tolka(&["tag", "--timezone", "Europe/Stockholmm", &p], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("IANA"));
    assert!(out.stdout.is_empty());
}

#[test]
fn tag_report_is_a_self_contained_page_of_the_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let input = transcript(&[
        ("angry <script>", "customer", "Where is my order A-10293?"),
        ("calm", "customer", "Hej! Har ni jackan i storlek M?"),
        ("angry <script>", "agent", "It is on its way."),
        (
            "angry <script>",
            "customer",
            "<b>Useless</b>. I want to talk to a real person, now.",
        ),
        ("calm", "agent", "Ja, den finns i lager."),
    ]);
    let p = jsonl(&dir, "chats.jsonl", &input);
    let html = dir.path().join("conversations.html");
    let mut args = vec!["tag"];
    args.extend_from_slice(CONVERSATION_FLAGS);
    args.extend_from_slice(&["--report", html.to_str().unwrap(), &p]);
    let out = tolka(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out).len(), input.len());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Every conversation, its turns, intents, a chart and the escalation marker.
    assert!(page.contains("angry &lt;script&gt;") && page.contains(">calm<"));
    assert!(page.contains("&lt;b&gt;Useless&lt;/b&gt;"));
    assert!(!page.contains("<script") && !page.contains("<b>Useless"));
    assert!(page.contains("contact_human_agent"));
    assert_eq!(page.matches("<svg").count(), 2);
    assert!(
        page.contains("class=\"mark\""),
        "the escalating turn is marked"
    );
    assert!(page.contains("order_id = A-10293"));
    // Nothing from outside: no links, scripts or images.
    for external in ["http://", "https://", "src=", "<link", "@import"] {
        assert!(!page.contains(external), "{external}");
    }
    // --report needs conversations.
    let out = tolka(&["tag", "--report", html.to_str().unwrap(), &p], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_text_over_max_chars_is_an_error_line_and_the_others_are_tagged() {
    let input = format!(
        "{{\"text\":\"where is my order\"}}\n{{\"text\":\"{}\"}}\n{{\"text\":\"{}\"}}\n",
        "å".repeat(21),
        "å".repeat(20)
    );
    let out = tolka(
        &["tag", "--format", "jsonl", "--max-chars", "20"],
        Some(input.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = lines(&out);
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["analysis"].is_object());
    assert_eq!(lines[1]["line"], 2);
    assert!(
        lines[1]["error"].as_str().unwrap().contains("--max-chars"),
        "{}",
        lines[1]
    );
    assert!(lines[2]["analysis"].is_object());
}

#[test]
fn output_that_is_an_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("chat.jsonl");
    let content = "{\"text\": \"where is my order\"}\n{\"text\": \"thanks\"}\n";
    std::fs::write(&input, content).unwrap();
    let symlink = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&input, &symlink).unwrap();
    let hard_link = dir.path().join("hard.jsonl");
    std::fs::hard_link(&input, &hard_link).unwrap();
    let spelled = dir.path().join(".").join("chat.jsonl");
    for verb in ["tag", "redact"] {
        for output in [&input, &symlink, &hard_link, &spelled] {
            let out = tolka(
                &[
                    verb,
                    input.to_str().unwrap(),
                    "-o",
                    output.to_str().unwrap(),
                ],
                None,
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{verb} -o {output:?}: {stderr}");
            assert!(stderr.contains("is the input"), "{stderr}");
            assert_eq!(std::fs::read_to_string(&input).unwrap(), content);
        }
    }
}

#[test]
fn output_is_replaced_only_by_a_complete_run() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, "{\"text\": \"where is my order\"}\n").unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"hello\"}\n{broken\n").unwrap();
    let target = dir.path().join("out.jsonl");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.path().join("out-link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let files = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = files();

    // A failed run (--strict on a malformed line) leaves the old file and no temporary one.
    let args = [
        "tag",
        "--strict",
        bad.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ];
    let out = tolka(&args, None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "old\n");
    assert_eq!(files(), before);

    // A complete run replaces the file the symlink points to; the symlink stays.
    let out = tolka(
        &["tag", good.to_str().unwrap(), "-o", link.to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(written.lines().count(), 1);
    assert!(written.contains("\"analysis\""));
    assert_eq!(files(), before);

    // A device is written in place.
    let out = tolka(&["tag", good.to_str().unwrap(), "-o", "/dev/null"], None);
    assert!(out.status.success());
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tolka"))
        .arg("tag")
        .env("TOLKA_MODEL", model_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is written, as `| head -0` would.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all("where is my order\n".repeat(100).as_bytes())
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn blank_jsonl_lines_byte_order_marks_and_dash() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("chat.jsonl");
    std::fs::write(
        &jsonl,
        "\u{feff}{\"text\": \"hi there\"}\n\n   \n{\"text\": \"where is my order\"}\n",
    )
    .unwrap();
    let csv = dir.path().join("chat.csv");
    std::fs::write(&csv, "\u{feff}text,id\nwhere is my order,7\n").unwrap();
    let out = tolka(
        &["tag", jsonl.to_str().unwrap(), csv.to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&out);
    assert_eq!(got.len(), 5);
    // The BOM is not part of the first record; blank lines are empty texts with their line.
    assert_eq!(got[0]["text"], "hi there");
    assert_eq!(
        (got[1]["line"].clone(), got[1]["text"].clone()),
        (2.into(), "".into())
    );
    assert_eq!(got[2]["line"], 3);
    assert_eq!(got[1]["analysis"]["intent"]["out_of_scope"], true);
    assert_eq!(got[4]["text"], "where is my order");
    assert_eq!(got[4]["id"], "7");
    // `-` is stdin (a BOM there is skipped too).
    let out = tolka(
        &["tag", "--format", "text", "-"],
        Some("\u{feff}hello\n".as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out)[0]["text"], "hello");
}

/// A record's other fields come back byte for byte in `tag`, `redact` and `parse`: a
/// 23-digit id, `1e2`, `1E400` (beyond f64), an escaped string, spacing inside a nested value
/// and a duplicate key; only the added field (and a redacted text) change.
#[test]
fn other_fields_pass_through_byte_for_byte() {
    let input = concat!(
        r#"{"id": 12345678901234567890123, "n": 1e2, "big": 1E400, "s": "caf\u00e9", "#,
        r#""x": {"a": [1.50, 2]}, "d": 1, "d": 2, "text": "call me on 070-123 45 67"}"#,
        "\n"
    );
    let kept = [
        r#""id":12345678901234567890123"#,
        r#""n":1e2"#,
        r#""big":1E400"#,
        r#""s":"caf\u00e9""#,
        r#""x":{"a": [1.50, 2]}"#,
        r#""d":1,"d":2"#,
    ];
    for (verb, added) in [
        ("tag", "\"analysis\":"),
        ("redact", "\"redactions\":"),
        ("parse", "\"matches\":"),
    ] {
        let out = tolka(&[verb, "--format", "jsonl"], Some(input.as_bytes()));
        assert!(out.status.success(), "{verb}: {out:?}");
        let line = String::from_utf8(out.stdout).unwrap();
        assert_eq!(line.lines().count(), 1, "{verb}: {line}");
        for field in kept {
            assert!(line.contains(field), "{verb}: {field} not in {line}");
        }
        assert!(line.contains(added), "{verb}: {line}");
        let record: Value = serde_json::from_str(&line.replace("1E400", "0")).unwrap();
        let text = record["text"].as_str().unwrap();
        assert_eq!(verb == "redact", !text.contains("070"), "{verb}: {text}");
    }
}
