//! A small HTTP load generator for bench/national.sh (no tool on this
//! machine does it, and a Python client saturates a core long before the
//! server): `clients` keep-alive connections send requests in a loop for a
//! number of seconds, and the latencies of all are reported as JSON.
//!
//!   cargo run --release --example load -- read  URL PATH TOKEN CLIENTS SECONDS
//!   cargo run --release --example load -- write URL TOKEN CLIENTS SECONDS COMMUNE...
//!
//! `write`: each client records outreach sessions through the API in a
//! commune of its own, and after each one reads that commune's dashboard
//! and checks that the session is already counted (read-your-write);
//! a session not counted is reported as `stale`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Conn {
    stream: TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(host: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            host: host.to_string(),
            buf: Vec::with_capacity(1 << 16),
        })
    }

    /// Sends one request and reads the whole response: (status, body).
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if !token.is_empty() {
            req.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            ));
        } else {
            req.push_str("\r\n");
        }
        self.stream.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 65536];
        // Headers.
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let chunked = head.contains("transfer-encoding: chunked");
        let mut body = self.buf[head_end..].to_vec();
        match (length, chunked) {
            (Some(len), _) => {
                while body.len() < len {
                    let n = self.stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::Error::other("connection closed"));
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
                body.truncate(len);
            }
            (None, true) => {
                // Read until the terminating zero-length chunk; the body is
                // kept with its chunk framing (only its size matters here).
                while find(&body, b"\r\n0\r\n\r\n").is_none() && !body.starts_with(b"0\r\n\r\n") {
                    let n = self.stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::Error::other("connection closed"));
                    }
                    body.extend_from_slice(&chunk[..n]);
                }
            }
            (None, false) => {}
        }
        Ok((status, body))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn host_of(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

fn report(kind: &str, mut lat: Vec<f64>, elapsed: f64, errors: usize, stale: usize) {
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{{\"kind\": \"{kind}\", \"requests\": {}, \"seconds\": {elapsed:.3}, \"per_second\": {:.1}, \
         \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}, \"errors\": {errors}, \"stale\": {stale}}}",
        lat.len(),
        lat.len() as f64 / elapsed,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0)
    );
}

fn sessions_in(body: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v["indicators"]
        .as_array()?
        .iter()
        .find(|r| r["code"] == "so_buoi_tuyen_truyen")?["value"]
        .as_i64()
}

async fn read(url: String, path: String, token: String, clients: usize, seconds: f64) {
    let host = host_of(&url);
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (host, path, token) = (host.clone(), path.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let Ok(mut conn) = Conn::open(&host).await else {
                return (lat, 1);
            };
            while Instant::now() < until {
                let t = Instant::now();
                match conn.send("GET", &path, &token, None).await {
                    Ok((200, _)) => lat.push(t.elapsed().as_secs_f64() * 1000.0),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match Conn::open(&host).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (lat, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    report("read", all, started.elapsed().as_secs_f64(), errors, 0);
}

async fn write(url: String, token: String, clients: usize, seconds: f64, communes: Vec<String>) {
    let host = host_of(&url);
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for commune in communes.into_iter().cycle().take(clients) {
        let (host, token) = (host.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut stale) = (Vec::new(), 0, 0);
            let Ok(mut conn) = Conn::open(&host).await else {
                return (lat, 1, 0);
            };
            let read_path =
                format!("/api/v1/units/{commune}/dashboard?period=2026&map=current&codes=so_buoi_tuyen_truyen");
            let mut expected = match conn.send("GET", &read_path, &token, None).await {
                Ok((200, b)) => sessions_in(&b).unwrap_or(0),
                _ => return (lat, 1, 0),
            };
            let body = r#"{"kind": "session", "held_on": "2026-03-01", "title": "Đo hiệu năng", "subtype": "hop_dan", "attendance": 10}"#;
            let post_path = format!("/api/v1/units/{commune}/activities");
            while Instant::now() < until {
                let t = Instant::now();
                match conn.send("POST", &post_path, &token, Some(body)).await {
                    Ok((201, _)) => expected += 1,
                    other => {
                        if errors == 0 {
                            match &other {
                                Ok((status, b)) => eprintln!(
                                    "first refused write: {status} {}",
                                    String::from_utf8_lossy(&b[..b.len().min(300)])
                                ),
                                Err(e) => eprintln!("first failed write: {e}"),
                            }
                        }
                        errors += 1;
                        if other.is_err() {
                            match Conn::open(&host).await {
                                Ok(c) => conn = c,
                                Err(_) => break,
                            }
                        }
                        continue;
                    }
                }
                match conn.send("GET", &read_path, &token, None).await {
                    Ok((200, b)) => {
                        let seen = sessions_in(&b).unwrap_or(-1);
                        // Other clients may share the commune: at least ours.
                        if seen < expected {
                            stale += 1;
                        }
                        expected = expected.max(seen);
                    }
                    _ => errors += 1,
                }
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            (lat, errors, stale)
        }));
    }
    let (mut all, mut errors, mut stale) = (Vec::new(), 0, 0);
    for t in tasks {
        if let Ok((lat, e, s)) = t.await {
            all.extend(lat);
            errors += e;
            stale += s;
        }
    }
    report("write+read", all, started.elapsed().as_secs_f64(), errors, stale);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(1.0);
    match args.first().map(String::as_str) {
        Some("read") if args.len() >= 6 => {
            read(
                args[1].clone(),
                args[2].clone(),
                args[3].clone(),
                num(4) as usize,
                num(5),
            )
            .await
        }
        Some("write") if args.len() >= 6 => {
            write(
                args[1].clone(),
                args[2].clone(),
                num(3) as usize,
                num(4),
                args[5..].to_vec(),
            )
            .await
        }
        _ => eprintln!(
            "usage: load read URL PATH TOKEN CLIENTS SECONDS | load write URL TOKEN CLIENTS SECONDS COMMUNE..."
        ),
    }
}
