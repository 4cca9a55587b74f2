//! A closed-loop load generator for `tolka serve`: N clients, each on one keep-alive
//! connection, send `POST /v1/analyze {"text": …}` one after another for a fixed time.
//! Prints one JSON line: answered requests/s, latency percentiles of the answered ones,
//! statuses, connection errors.
//!
//! ```text
//! cargo run --release --example loadgen -- 127.0.0.1:8080 32 10 texts.txt [RATE]
//! ```
//! (address, clients, seconds, a file with one text per line; with RATE, the clients together
//! send at most RATE requests per second, evenly paced: an open-loop load below capacity).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One HTTP/1.1 exchange on a keep-alive connection: the status and the `Retry-After`
/// seconds, or `None` when the connection failed (it is then reopened).
fn exchange(stream: &mut BufReader<TcpStream>, request: &[u8]) -> Option<(u16, Option<u64>)> {
    stream.get_mut().write_all(request).ok()?;
    let mut line = String::new();
    stream.read_line(&mut line).ok()?;
    let status = line.split(' ').nth(1)?.parse().ok()?;
    let mut length = 0usize;
    let mut retry_after = None;
    loop {
        line.clear();
        stream.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            } else if name.eq_ignore_ascii_case("retry-after") {
                retry_after = value.trim().parse().ok();
            }
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    Some((status, retry_after))
}

fn connect(address: &str) -> Option<BufReader<TcpStream>> {
    let stream = TcpStream::connect(address).ok()?;
    stream.set_nodelay(true).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    Some(BufReader::new(stream))
}

struct Client {
    latencies: Vec<f64>,
    statuses: BTreeMap<u16, usize>,
    connection_errors: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(5..=6).contains(&args.len()) {
        eprintln!("usage: loadgen ADDRESS CLIENTS SECONDS TEXTS_FILE [RATE]");
        std::process::exit(2);
    }
    let address = args[1].clone();
    let clients: usize = args[2].parse().expect("CLIENTS is a number");
    let seconds: f64 = args[3].parse().expect("SECONDS is a number");
    // Each client's interval between sends when paced.
    let interval = args.get(5).map(|rate| {
        let rate: f64 = rate.parse().expect("RATE is a number");
        Duration::from_secs_f64(clients as f64 / rate)
    });
    let texts: Vec<String> = std::fs::read_to_string(&args[4])
        .expect("reading TEXTS_FILE")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    assert!(!texts.is_empty(), "no texts in {}", args[4]);
    let requests: Vec<Vec<u8>> = texts
        .iter()
        .map(|t| {
            let body = serde_json::json!({ "text": t }).to_string();
            format!(
                "POST /v1/analyze HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let results: Vec<Client> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let (requests, address) = (&requests, &address);
                // Paced clients start spread over one interval.
                let mut next =
                    interval.map(|i| Instant::now() + i.mul_f64(c as f64 / clients as f64));
                scope.spawn(move || {
                    let mut client = Client {
                        latencies: Vec::new(),
                        statuses: BTreeMap::new(),
                        connection_errors: 0,
                    };
                    let mut stream = connect(address);
                    let mut i = c * 7919;
                    while Instant::now() < deadline {
                        let Some(s) = stream.as_mut() else {
                            client.connection_errors += 1;
                            std::thread::sleep(Duration::from_millis(10));
                            stream = connect(address);
                            continue;
                        };
                        if let (Some(at), Some(interval)) = (next.as_mut(), interval) {
                            let now = Instant::now();
                            if *at > now {
                                std::thread::sleep(*at - now);
                            }
                            *at += interval;
                        }
                        let t = Instant::now();
                        match exchange(s, &requests[i % requests.len()]) {
                            Some((status, retry_after)) => {
                                if status == 200 {
                                    client.latencies.push(t.elapsed().as_secs_f64());
                                }
                                *client.statuses.entry(status).or_default() += 1;
                                if let Some(seconds) = retry_after {
                                    // A polite client waits as `Retry-After` says.
                                    std::thread::sleep(Duration::from_secs(seconds));
                                }
                            }
                            None => {
                                client.connection_errors += 1;
                                stream = connect(address);
                            }
                        }
                        i += 1;
                    }
                    client
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut ok_latencies = Vec::new();
    let mut connection_errors = 0;
    for client in results {
        connection_errors += client.connection_errors;
        for (s, n) in client.statuses {
            *statuses.entry(s).or_default() += n;
        }
        ok_latencies.extend(client.latencies);
    }
    ok_latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if ok_latencies.is_empty() {
            0.0
        } else {
            ok_latencies[((ok_latencies.len() - 1) as f64 * p).round() as usize] * 1e3
        }
    };
    let ok = statuses.get(&200).copied().unwrap_or(0);
    let statuses: Vec<String> = statuses
        .iter()
        .map(|(s, n)| format!("\"{s}\":{n}"))
        .collect();
    println!(
        "{{\"clients\":{clients},\"seconds\":{elapsed:.2},\"ok_per_s\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"statuses\":{{{}}},\"connection_errors\":{connection_errors}}}",
        ok as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        statuses.join(",")
    );
}
