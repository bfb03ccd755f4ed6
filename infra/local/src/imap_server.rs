//! A real IMAP server for tests: pymap (pinned in `requirements.txt`,
//! installed by `setup.sh` into `.local-stack/venv`), its in-memory backend
//! with one user, STARTTLS with the certificate the test gives it, on a
//! free loopback port. Killed, and its directory removed, on drop.

use crate::emulators::{spawn_owned, tools_dir, StackError};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct ImapServer {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl ImapServer {
    /// Starts the server for `user` / `password`, speaking STARTTLS with
    /// `cert_pem` / `key_pem`.
    pub fn start(
        cert_pem: &str,
        key_pem: &str,
        user: &str,
        password: &str,
    ) -> Result<Self, StackError> {
        static N: AtomicU32 = AtomicU32::new(0);
        let pymap = tools_dir().join("venv/bin/pymap");
        if !pymap.exists() {
            return Err(StackError::NotInstalled(
                "pymap (test IMAP server)",
                pymap.display().to_string(),
            ));
        }
        let dir = std::env::temp_dir().join(format!(
            "outbound-imap-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let start = |e: std::io::Error| StackError::Start("imap server", e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(start)?;
        std::fs::write(dir.join("cert.pem"), cert_pem).map_err(start)?;
        std::fs::write(dir.join("key.pem"), key_pem).map_err(start)?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(start)?;
        // pymap cannot say which port it took: take a free one first.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(start)?
            .port();
        let mut cmd = Command::new(&pymap);
        cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--cert")
            .arg(dir.join("cert.pem"))
            .arg("--key")
            .arg(dir.join("key.pem"))
            .args(["dict", "--demo-user", user, "--demo-password", password])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        let child = spawn_owned(cmd).map_err(start)?;
        let server = Self { port, dir, child };
        let wait = Duration::from_secs(30);
        let begun = Instant::now();
        while begun.elapsed() < wait {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut greeting = [0u8; 4];
                if s.read_exact(&mut greeting).is_ok() && &greeting == b"* OK" {
                    return Ok(server);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let tail = server.log();
        if tail.trim().is_empty() {
            Err(StackError::NotReady("imap server", wait))
        } else {
            Err(StackError::Start("imap server", tail))
        }
    }

    /// The server's own log (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
