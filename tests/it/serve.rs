//! `tolka serve` over loopback: every endpoint and error code, answers equal to the
//! in-process analyzer's, concurrent clients, overload, conversation expiry, shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{analyzer, model_dir};

/// A running server on a free port; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tolka"))
            .args(["serve", "--port", "0", "--model"])
            .arg(model_dir())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// Sends a raw request; returns the status, the headers (lower-cased) and the body.
    fn raw(&self, request: &[u8]) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        stream.write_all(request).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let answer = String::from_utf8(answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head:?}"));
        (status, head.to_ascii_lowercase(), body.to_owned())
    }

    fn send(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let (status, _, body) = self.raw(&request);
        (status, body)
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, body) = self.send(
            "POST",
            path,
            "application/json",
            body.to_string().as_bytes(),
        );
        (status, parse(&body))
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.send("GET", path, "text/plain", b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
}

/// The intent label, entities and sentiment label of an analysis, and its confidence.
fn summary(analysis: &Value) -> (Value, Value, Value, f64) {
    (
        analysis["intent"]["label"].clone(),
        analysis["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!([e["label"], e["start"], e["end"], e["value"]]))
            .collect(),
        analysis["sentiment"]["label"].clone(),
        analysis["intent"]["confidence"].as_f64().unwrap(),
    )
}

const MESSAGES: [&str; 6] = [
    "where's my stuff?? ordered on monday",
    "can I pay with Klarna?",
    "my card was charged twice for order #A-10293",
    "do you have the air max 90 in size 42, black?",
    "thanks, that helped a lot!",
    "I want to return the jacket, it's too small",
];

fn same_as_in_process(answers: &[Value], texts: &[&str]) {
    let context = tolka::rules::Context::new(
        chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").unwrap(),
    );
    let expected = analyzer().analyze_batch_with(texts, &context).unwrap();
    for (answer, expected) in answers.iter().zip(&expected) {
        let (label, entities, sentiment, confidence) = summary(answer);
        let (l, e, s, c) = summary(&serde_json::to_value(expected).unwrap());
        assert_eq!((label, entities, sentiment), (l, e, s));
        assert!((confidence - c).abs() < 1e-4, "{confidence} vs {c}");
    }
}

#[test]
fn analyze_answers_what_the_library_answers() {
    let server = Server::start(&[]);
    let at = "2026-11-24T10:00:00+01:00";
    let (status, one) = server.post(
        "/v1/analyze",
        &json!({"text": MESSAGES[2], "reference_time": at}),
    );
    assert_eq!(status, 200, "{one}");
    same_as_in_process(&[one["analysis"].clone()], &MESSAGES[2..3]);
    let (status, many) = server.post(
        "/v1/analyze",
        &json!({"texts": MESSAGES, "reference_time": at}),
    );
    assert_eq!(status, 200, "{many}");
    same_as_in_process(many["analyses"].as_array().unwrap(), &MESSAGES);
    // "on monday" resolves against the request's reference time and time zone.
    let (_, zoned) = server.post(
        "/v1/analyze",
        &json!({"text": "deliver it tomorrow", "reference_time": "2026-12-31T23:30:00Z", "timezone": "Europe/Stockholm"}),
    );
    let date = zoned["analysis"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["label"] == "date")
        .cloned()
        .expect("a date");
    assert_eq!(date["value"]["value"], "2027-01-02");
}

#[test]
fn redacting_answers_carry_no_personal_data() {
    let server = Server::start(&[]);
    let text =
        "refund to card 4111 1111 1111 1111, or mail anna.berg@example.se, tel 070-123 45 67";
    let (status, analysed) = server.post("/v1/analyze", &json!({"text": text, "redact": true}));
    assert_eq!(status, 200);
    let (status, redacted) = server.post("/v1/redact", &json!({"texts": [text]}));
    assert_eq!(status, 200);
    for body in [analysed.to_string(), redacted.to_string()] {
        for secret in [
            "4111 1111",
            "1111 1111 1111",
            "anna.berg",
            "example.se",
            "123 45 67",
        ] {
            assert!(!body.contains(secret), "{secret} in {body}");
        }
    }
    assert_eq!(
        redacted["redactions"][0]["text"],
        "refund to card [CARD], or mail [EMAIL], tel [PHONE]"
    );
    assert!(
        analysed["analysis"]["redacted_text"]
            .as_str()
            .unwrap()
            .contains("[EMAIL]")
    );
    let (status, parsed) = server.post(
        "/v1/parse",
        &json!({"text": "under 500 kr, storlek 42, imorgon", "reference_time": "2026-11-24T10:00:00+01:00", "locale": "sv"}),
    );
    assert_eq!(status, 200);
    let labels: Vec<&str> = parsed["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["price_range", "size", "date"]);
}

#[test]
fn rasa_and_duckling_shapes() {
    let server = Server::start(&[]);
    // What Rasa's RasaNLUHttpInterpreter sends.
    let (status, rasa) = server.post(
        "/model/parse",
        &json!({"text": "refund 160 dollars for order #A-10293", "message_id": "m1", "token": null}),
    );
    assert_eq!(status, 200, "{rasa}");
    assert_eq!(rasa["text"], "refund 160 dollars for order #A-10293");
    assert!(rasa["intent"]["name"].is_string());
    assert!(rasa["intent"]["confidence"].as_f64().unwrap() > 0.0);
    assert!(rasa["intent_ranking"].as_array().unwrap().len() > 1);
    let order = rasa["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity"] == "order_id")
        .cloned()
        .expect("an order id");
    for key in ["start", "end", "value", "confidence_entity", "extractor"] {
        assert!(!order[key].is_null(), "{key} in {order}");
    }
    assert_eq!(order["value"], "A-10293");
    // What Rasa's DucklingEntityExtractor sends (form fields, reftime in ms).
    let form = "text=leverans%20imorgon%20f%C3%B6r%20499%20kr&locale=sv_SE&tz=Europe%2FStockholm&dims=%5B%22time%22%5D&reftime=1795516800000";
    let (status, body) = server.send(
        "POST",
        "/parse",
        "application/x-www-form-urlencoded; charset=UTF-8",
        form.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let duckling = parse(&body);
    let entries = duckling.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{duckling}");
    assert_eq!(entries[0]["dim"], "time");
    assert_eq!(entries[0]["body"], "imorgon");
    assert_eq!(
        (entries[0]["start"].clone(), entries[0]["end"].clone()),
        (json!(9), json!(16))
    );
    // 1795516800000 ms is 2026-11-24T10:40:00Z: tomorrow in Stockholm is 2026-11-25.
    assert_eq!(
        entries[0]["value"]["value"],
        "2026-11-25T00:00:00.000+01:00"
    );
    assert_eq!(entries[0]["value"]["grain"], "day");
}

#[test]
fn bad_requests_get_json_errors() {
    let server = Server::start(&[
        "--max-body-bytes",
        "4096",
        "--max-texts",
        "8",
        "--max-chars",
        "300",
    ]);
    let check = |(status, body): (u16, String), want: u16, code: &str| {
        assert_eq!(status, want, "{body}");
        let body = parse(&body);
        assert_eq!(body["code"], code, "{body}");
        assert!(body["error"].is_string());
    };
    let json = "application/json";
    check(
        server.send("POST", "/v1/analyze", json, b"{\"text\": "),
        422,
        "invalid_json",
    );
    check(
        server.send("POST", "/v1/analyze", json, b"{\"txt\": \"hi\"}"),
        422,
        "invalid_request",
    );
    check(
        server.send("POST", "/v1/analyze", json, b"{}"),
        422,
        "invalid_request",
    );
    check(
        server.send(
            "POST",
            "/v1/analyze",
            json,
            b"{\"text\": \"a\", \"texts\": [\"b\"]}",
        ),
        422,
        "invalid_request",
    );
    check(
        server.send("POST", "/v1/analyze", json, b"{\"text\": \"\xff\xfe\"}"),
        422,
        "invalid_json",
    );
    check(
        server.send("POST", "/v1/analyze", json, b"[1, 2]"),
        422,
        "invalid_request",
    );
    check(
        server.send(
            "POST",
            "/v1/analyze",
            json,
            b"{\"text\": \"x\", \"timezone\": \"Mars/Base\"}",
        ),
        422,
        "invalid_request",
    );
    check(
        server.send("POST", "/v1/analyze", "text/plain", b"{\"text\": \"hi\"}"),
        415,
        "unsupported_media_type",
    );
    let big = format!("{{\"text\": \"{}\"}}", "a".repeat(10_000));
    check(
        server.send("POST", "/v1/analyze", json, big.as_bytes()),
        413,
        "body_too_large",
    );
    // 301 characters (in 602 bytes) is over --max-chars; 300 is not.
    let long = json!({"texts": ["ok", "ö".repeat(301)]}).to_string();
    check(
        server.send("POST", "/v1/analyze", json, long.as_bytes()),
        413,
        "text_too_long",
    );
    let turn = json!({"text": "ö".repeat(301)}).to_string();
    check(
        server.send("POST", "/v1/conversations/c/turns", json, turn.as_bytes()),
        413,
        "text_too_long",
    );
    let (status, _) = server.post("/v1/analyze", &json!({"text": "ö".repeat(300)}));
    assert_eq!(status, 200);
    let many = json!({"texts": vec!["hi"; 9]}).to_string();
    check(
        server.send("POST", "/v1/analyze", json, many.as_bytes()),
        413,
        "too_many_texts",
    );
    check(server.get("/nowhere"), 404, "not_found");
    check(server.get("/v1/analyze"), 405, "method_not_allowed");
    check(
        server.send("POST", "/parse", json, b"{}"),
        415,
        "unsupported_media_type",
    );
    check(
        server.send(
            "POST",
            "/parse",
            "application/x-www-form-urlencoded",
            b"text=x&reftime=soon",
        ),
        422,
        "invalid_request",
    );
    // Garbage on the socket does not take the server down.
    let _ = server.raw(b"\x00\x01GARBAGE\r\n\r\n");
    let _ =
        server.raw(b"POST /v1/analyze HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n");
    // An empty text and an emoji-only text are analysed, not refused.
    let (status, answer) = server.post("/v1/analyze", &json!({"texts": ["", "🙂🙂"]}));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(server.get("/healthz").0, 200);
}

#[test]
fn conversations_keep_state_expire_and_match_the_stateless_form() {
    let server = Server::start(&["--conversation-ttl-s", "2"]);
    let turns = [
        json!({"text": "hi, where is my order #A-10293?", "time": "2026-11-24T10:00:00+01:00"}),
        json!({"text": "Your order is on its way.", "speaker": "agent"}),
        json!({"text": "it said that yesterday too. this is useless, I want a human", "time": "2026-11-24T10:05:00+01:00"}),
    ];
    let mut state = Value::Null;
    let mut last = Value::Null;
    for turn in &turns {
        let (status, held) = server.post("/v1/conversations/chat-1/turns", turn);
        assert_eq!(status, 200, "{held}");
        let mut stateless = turn.clone();
        stateless["state"] = state.clone();
        let (status, kept) = server.post("/v1/turns", &stateless);
        assert_eq!(status, 200, "{kept}");
        state = kept["state"].clone();
        // The server-held and the client-held conversation say the same.
        assert_eq!(
            held["analysis"]["escalation"],
            kept["analysis"]["escalation"]
        );
        assert_eq!(held["analysis"]["slots"], kept["analysis"]["slots"]);
        last = held;
    }
    assert_eq!(last["analysis"]["turn"], 2);
    assert_eq!(last["analysis"]["escalation"]["escalate"], true, "{last}");
    assert_eq!(last["analysis"]["slots"]["order_id"]["text"], "A-10293");
    let (status, body) = server.get("/v1/conversations/chat-1");
    assert_eq!(status, 200);
    assert_eq!(parse(&body)["state"]["turns"], 3);
    assert_eq!(
        server
            .send("DELETE", "/v1/conversations/chat-1", "text/plain", b"")
            .0,
        204
    );
    assert_eq!(server.get("/v1/conversations/chat-1").0, 404);
    // A conversation is forgotten `--conversation-ttl-s` after its last turn.
    server.post("/v1/conversations/chat-2/turns", &turns[0]);
    assert_eq!(server.get("/v1/conversations/chat-2").0, 200);
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(server.get("/v1/conversations/chat-2").0, 404);
    // State of another version is refused.
    let (status, body) = server.post(
        "/v1/turns",
        &json!({"text": "hej", "state": {"version": 99}}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_state"))
    );
}

/// Sum of a Prometheus series (all label sets).
fn series(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn concurrent_clients_are_batched_and_all_answered() {
    // A generous batching window, so that concurrent requests surely share batches.
    let server = Server::start(&["--max-wait-ms", "50"]);
    let answers: Vec<(usize, u16, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|client| {
                let server = &server;
                scope.spawn(move || {
                    (0..3)
                        .map(|round| {
                            let i = (client + round) % MESSAGES.len();
                            let (status, body) = server.post(
                                "/v1/analyze",
                                &json!({"text": MESSAGES[i], "reference_time": "2026-11-24T10:00:00+01:00"}),
                            );
                            (i, status, body)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(answers.len(), 96);
    for (i, status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        same_as_in_process(&[body["analysis"].clone()], &MESSAGES[*i..*i + 1]);
    }
    let (_, metrics) = server.get("/metrics");
    assert_eq!(series(&metrics, "tolka_texts_analysed_total"), 96.0);
    assert_eq!(series(&metrics, "tolka_batch_size_sum"), 96.0);
    let batches = series(&metrics, "tolka_batch_size_count");
    assert!(
        batches < 96.0,
        "no batching: {batches} batches for 96 texts"
    );
    assert_eq!(
        series(
            &metrics,
            "tolka_requests_total{route=\"/v1/analyze\",status=\"200\"}"
        ),
        96.0
    );
    assert!(metrics.contains("tolka_request_duration_seconds_bucket"));
    assert!(metrics.contains("tolka_queue_length"));
}

#[test]
fn overload_is_answered_429_and_nothing_else_fails() {
    let server = Server::start(&["--max-queue", "4", "--max-batch-size", "4"]);
    let long = "my order never arrived and nobody answers my mails, ".repeat(20);
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..48)
            .map(|_| {
                let (server, long) = (&server, &long);
                scope.spawn(move || {
                    let body = json!({"texts": [long, long]}).to_string();
                    let request = format!(
                        "POST /v1/analyze HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let (status, head, _) = server.raw(request.as_bytes());
                    (status, head)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(ok + refused.len(), statuses.len(), "{statuses:?}");
    assert!(
        ok > 0 && !refused.is_empty(),
        "{ok} answered, {} refused",
        refused.len()
    );
    assert!(
        refused
            .iter()
            .all(|(_, head)| head.contains("retry-after: 1"))
    );
    assert_eq!(server.get("/readyz").0, 200);
}

#[test]
fn sigterm_finishes_what_is_in_flight_and_exits_0() {
    let mut server = Server::start(&[]);
    let texts: Vec<String> = (0..200)
        .map(|i| {
            format!("order {i}: where is my parcel, it was due on friday and tracking says nothing")
        })
        .collect();
    std::thread::scope(|scope| {
        let server_ref = &server;
        let request = scope.spawn(move || server_ref.post("/v1/analyze", &json!({"texts": texts})));
        std::thread::sleep(Duration::from_millis(300));
        let pid = server_ref.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let (status, body) = request.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(body["analyses"].as_array().unwrap().len(), 200);
    });
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn openapi_metrics_and_playground_are_served() {
    let server = Server::start(&[]);
    let (status, body) = server.get("/openapi.json");
    assert_eq!(status, 200);
    let spec = parse(&body);
    assert_eq!(spec["openapi"], "3.0.3");
    assert!(spec["paths"]["/v1/analyze"]["post"].is_object());
    let (status, page) = server.get("/");
    assert_eq!(status, 200);
    assert!(
        page.contains("<title>tolka playground</title>")
            && !page.contains("http://")
            && !page.contains("https://")
    );
    let (status, ready) = server.get("/readyz");
    assert_eq!(
        (status, parse(&ready)["model"].as_str()),
        (200, Some("commerce-en"))
    );
}
