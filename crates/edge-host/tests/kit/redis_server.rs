//! A throwaway `redis-server` on a free 127.0.0.1 port (no persistence), for the benches'
//! Redis key-value backing; killed when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`, killed when dropped.
pub struct RedisServer {
    child: Child,
    pub url: String,
}

impl RedisServer {
    /// Starts Debian's `redis-server` (installed by `cargo xtask setup`) and waits until it
    /// listens; `Err` says why not, in one sentence.
    pub fn start() -> Result<RedisServer, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port for redis-server: {e}"))?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot run redis-server ({e}): install Debian's redis-server (`cargo xtask setup`) or pass --redis-url")
            })?;
        let mut server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("redis-server exited before listening: {status}"));
            }
            if Instant::now() > deadline {
                return Err(format!("redis-server did not listen on {addr} within 30 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
