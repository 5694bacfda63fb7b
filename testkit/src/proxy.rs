//! A TCP proxy for fault injection: lnpayd talks to a provider (LND,
//! LNbits) through it, and a test can cut every connection and refuse new
//! ones, then restore, or hold back what the server sends on websocket
//! connections while they stay open (a push that never arrives on a
//! connection that looks healthy).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One proxy on 127.0.0.1 in front of one server; dropping it closes its
/// listener and every connection through it.
pub struct Proxy {
    /// The port to give lnpayd instead of the server's.
    pub port: u16,
    state: std::sync::Arc<std::sync::Mutex<ProxyState>>,
    hold_websockets: Arc<AtomicBool>,
}

struct ProxyState {
    up: bool,
    /// Dropped: the listener thread ends at its next connection.
    closed: bool,
    conns: Vec<std::net::TcpStream>,
}

impl Proxy {
    /// Forwards every connection to `target` (`host:port`).
    pub fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = std::sync::Arc::new(std::sync::Mutex::new(ProxyState {
            up: true,
            closed: false,
            conns: Vec::new(),
        }));
        let st = state.clone();
        let hold_websockets = Arc::new(AtomicBool::new(false));
        let hold = hold_websockets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let mut s = st.lock().unwrap();
                if s.closed {
                    break;
                }
                if !s.up {
                    continue; // dropped: the client sees a reset
                }
                let Ok(server) = std::net::TcpStream::connect(&target) else {
                    continue;
                };
                s.conns.push(client.try_clone().unwrap());
                s.conns.push(server.try_clone().unwrap());
                let hold = hold.clone();
                std::thread::spawn(move || {
                    // A websocket is an HTTP GET with an Upgrade header.
                    let mut head = [0u8; 2048];
                    let n = client.peek(&mut head).unwrap_or(0);
                    let websocket = String::from_utf8_lossy(&head[..n])
                        .to_ascii_lowercase()
                        .contains("upgrade: websocket");
                    let downstream_hold = websocket.then_some(hold);
                    let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || pump(c2, s2, None));
                    pump(server, client, downstream_hold);
                });
            }
        });
        Proxy {
            port,
            state,
            hold_websockets,
        }
    }

    /// Closes every open connection and refuses new ones until [`Proxy::restore`].
    pub fn cut(&self) {
        let mut s = self.state.lock().unwrap();
        s.up = false;
        for c in s.conns.drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.state.lock().unwrap().up = true;
    }

    /// While on, what servers send on websocket connections is kept (not
    /// lost) and delivered when it goes off; everything else flows.
    pub fn hold_websockets(&self, on: bool) {
        self.hold_websockets.store(on, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.hold_websockets(false);
        self.state.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        // Wakes the listener thread, blocked in accept, so it sees `closed`.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(mut from: std::net::TcpStream, mut to: std::net::TcpStream, hold: Option<Arc<AtomicBool>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while hold.as_ref().is_some_and(|h| h.load(Ordering::SeqCst)) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}
