//! A TCP proxy for fault injection, shared by the test targets: lnpayd talks
//! to a provider (LND, LNbits) through it, and a test can cut every
//! connection and refuse new ones, then restore.
#![allow(dead_code)]

use std::net::TcpListener;

pub struct Proxy {
    pub port: u16,
    state: std::sync::Arc<std::sync::Mutex<ProxyState>>,
}

struct ProxyState {
    up: bool,
    conns: Vec<std::net::TcpStream>,
}

impl Proxy {
    pub fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = std::sync::Arc::new(std::sync::Mutex::new(ProxyState {
            up: true,
            conns: Vec::new(),
        }));
        let st = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let mut s = st.lock().unwrap();
                if !s.up {
                    continue; // dropped: the client sees a reset
                }
                let Ok(server) = std::net::TcpStream::connect(&target) else {
                    continue;
                };
                s.conns.push(client.try_clone().unwrap());
                s.conns.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, state }
    }

    pub fn cut(&self) {
        let mut s = self.state.lock().unwrap();
        s.up = false;
        for c in s.conns.drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.state.lock().unwrap().up = true;
    }
}
