//! An HTTP/1.1 front for the mock tenant, on a thread of its own: it keeps
//! its clients' connections open (mockito closes each after one answer)
//! and counts them, and it answers Graph's JSON batching (`POST
//! /v1.0/$batch`) as Microsoft documents it, by asking the mock for each
//! item (so every per-URL mock of the tests answers inside batches too)
//! and returning `responses` with each item's `status`, `headers` and
//! `body`, in reverse order (the service may answer in any order). A
//! chunked answer of the mock is passed on whole, with a Content-Length.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub struct Front {
    pub url: String,
    connections: Arc<AtomicUsize>,
    /// The items of each `$batch` answered, in order.
    batches: Arc<Mutex<Vec<usize>>>,
}

impl Front {
    /// A front for the server at `target` (`http://127.0.0.1:PORT`).
    pub fn to(target: &str) -> Front {
        let addr = target.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let batches = Arc::new(Mutex::new(vec![]));
        let (count, batched) = (connections.clone(), batches.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                count.fetch_add(1, Ordering::SeqCst);
                let (addr, batched) = (addr.clone(), batched.clone());
                std::thread::spawn(move || serve(client, &addr, &batched));
            }
        });
        Front {
            url,
            connections,
            batches,
        }
    }

    /// Client connections made to it.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How many items each `$batch` carried, in order.
    pub fn batch_sizes(&self) -> Vec<usize> {
        self.batches.lock().unwrap().clone()
    }
}

/// One HTTP message from `r`: its head and its body (by Content-Length;
/// the mock's answers carry one). `None` at the end of the stream.
fn message(r: &mut impl BufRead) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    if header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        // Read whole, passed on with a Content-Length.
        let mut body = vec![];
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            std::io::Read::read_exact(r, &mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
        let head: String = head
            .split_inclusive("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("transfer-encoding:"))
            .collect();
        let head = head.replacen(
            "\r\n",
            &format!("\r\ncontent-length: {}\r\n", body.len()),
            1,
        );
        return Some((head, body));
    }
    let length = header(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    std::io::Read::read_exact(r, &mut body).ok()?;
    Some((head, body))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Sends one request to the mock on a connection of its own; its answer.
fn ask(addr: &str, head: &str, body: &[u8]) -> Option<(String, Vec<u8>)> {
    let mut upstream = TcpStream::connect(addr).ok()?;
    upstream.write_all(head.as_bytes()).ok()?;
    upstream.write_all(body).ok()?;
    message(&mut BufReader::new(upstream))
}

fn serve(client: TcpStream, addr: &str, batched: &Mutex<Vec<usize>>) {
    let mut from = BufReader::new(client.try_clone().unwrap());
    let mut to = client;
    while let Some((head, body)) = message(&mut from) {
        let answer = if head.starts_with("POST /v1.0/$batch ") {
            batch(addr, &head, &body, batched)
        } else {
            ask(addr, &head, &body)
        };
        let Some((answer, body)) = answer else {
            return;
        };
        let answer: String = answer
            .split_inclusive("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect();
        if to.write_all(answer.as_bytes()).is_err() || to.write_all(&body).is_err() {
            return;
        }
    }
}

/// Answers a batch: each item asked of the mock with the batch's
/// authorization.
fn batch(
    addr: &str,
    head: &str,
    body: &[u8],
    batched: &Mutex<Vec<usize>>,
) -> Option<(String, Vec<u8>)> {
    let request: serde_json::Value = serde_json::from_slice(body).ok()?;
    batched
        .lock()
        .unwrap()
        .push(request["requests"].as_array()?.len());
    let auth = header(head, "authorization").unwrap_or("");
    let mut responses = vec![];
    for item in request["requests"].as_array()? {
        let url = item["url"].as_str()?;
        let inner = format!(
            "GET /v1.0{url} HTTP/1.1\r\nhost: {addr}\r\nauthorization: {auth}\r\ncontent-length: 0\r\n\r\n"
        );
        let (answer, answer_body) = ask(addr, &inner, b"")?;
        let status: u16 = answer.split(' ').nth(1)?.parse().ok()?;
        let headers: serde_json::Map<String, serde_json::Value> = answer
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), serde_json::Value::from(v.trim())))
            .collect();
        let body = serde_json::from_slice(&answer_body).unwrap_or_else(|_| {
            serde_json::Value::from(String::from_utf8_lossy(&answer_body).into_owned())
        });
        responses.push(serde_json::json!({
            "id": item["id"], "status": status, "headers": headers, "body": body,
        }));
    }
    responses.reverse();
    let body = serde_json::json!({ "responses": responses })
        .to_string()
        .into_bytes();
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    Some((head, body))
}
