//! What the failover test adds to the shared harnesses: an LND address that
//! accepts connections and never answers, and a recorder of the circuit
//! states GetStatus shows over time.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lnpayd::proto;

use testkit::daemon::Admin;

/// A TCP listener on 127.0.0.1 that accepts every connection and holds it
/// open without reading or writing a byte: a node that hangs. Stopped (and
/// every held connection closed) when dropped.
pub struct Hang {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Hang {
    pub fn start() -> Hang {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let st = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Hang {
            port,
            stop,
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Hang {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Polls GetStatus in the background and keeps, per provider, the sequence
/// of distinct circuit states seen (consecutive repeats collapsed), with the
/// time each was first seen. Stops when dropped.
pub struct CircuitLog {
    seen: Arc<Mutex<Vec<(Duration, String, String)>>>,
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl CircuitLog {
    pub fn start(mut admin: Admin, every: Duration) -> CircuitLog {
        let seen: Arc<Mutex<Vec<(Duration, String, String)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let t0 = Instant::now();
            while !st.load(Ordering::Relaxed) {
                if let Ok(r) = admin.get_status(proto::GetStatusRequest {}).await {
                    let mut seen = s.lock().unwrap();
                    for p in r.into_inner().providers {
                        let last = seen.iter().rev().find(|(_, n, _)| *n == p.name);
                        if last.is_none_or(|(_, _, c)| *c != p.circuit) {
                            seen.push((t0.elapsed(), p.name, p.circuit));
                        }
                    }
                }
                tokio::time::sleep(every).await;
            }
        });
        CircuitLog {
            seen,
            stop,
            task: Some(task),
        }
    }

    /// The distinct states of one provider's circuit, in order.
    pub fn states(&self, provider: &str) -> Vec<String> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, n, _)| n == provider)
            .map(|(_, _, c)| c.clone())
            .collect()
    }

    /// `closed@0.0s → open@3.1s → …` for one provider.
    pub fn describe(&self, provider: &str) -> String {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, n, _)| n == provider)
            .map(|(t, _, c)| format!("{c}@{:.1}s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    pub async fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for CircuitLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
