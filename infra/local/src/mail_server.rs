//! A real SMTP server for tests: `infra/local/mail_server.py` (aiosmtpd,
//! pinned in `requirements.txt`, installed by `setup.sh` into
//! `.local-stack/venv`), run as a child process on a free loopback port
//! with the certificate and login the test gives it. Every message it takes
//! is kept as raw `.eml` (with its envelope beside it) in a directory of its
//! own, removed with the server.

use crate::emulators::{repo_root, spawn_owned, tools_dir, StackError};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How the server is to behave.
#[derive(Debug, Clone, Default)]
pub struct MailServerOptions {
    /// The server's certificate chain, PEM.
    pub cert_pem: String,
    /// Its private key, PEM.
    pub key_pem: String,
    /// The only login AUTH accepts.
    pub user: String,
    pub password: String,
    /// TLS from the first byte (port 465 style) instead of STARTTLS.
    pub implicit_tls: bool,
    /// Recipients answered 550 5.1.1 at RCPT TO.
    pub reject: Vec<String>,
    /// Recipients answered 451 4.3.0 at RCPT TO.
    pub tempfail: Vec<String>,
    /// Recipients whose message is stored and then never answered.
    pub hang: Vec<String>,
    /// Recipients whose message is stored and then the connection closed
    /// without an answer.
    pub drop: Vec<String>,
}

/// One message the server took.
#[derive(Debug, Clone)]
pub struct Received {
    /// Exactly the bytes that came after DATA (without the final dot).
    pub raw: Vec<u8>,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The login the session authenticated with.
    pub login: Option<String>,
}

/// A running mail server; killed, and its directory removed, on drop (and
/// killed when the thread that started it exits).
pub struct MailServer {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl MailServer {
    pub fn start(options: &MailServerOptions) -> Result<Self, StackError> {
        static N: AtomicU32 = AtomicU32::new(0);
        let python = tools_dir().join("venv/bin/python");
        let check = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(check, Ok(s) if s.success()) {
            return Err(StackError::NotInstalled(
                "aiosmtpd (test mail server)",
                python.display().to_string(),
            ));
        }
        let dir = std::env::temp_dir().join(format!(
            "outbound-mail-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let start = |e: std::io::Error| StackError::Start("mail server", e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("mail")).map_err(start)?;
        std::fs::write(dir.join("cert.pem"), &options.cert_pem).map_err(start)?;
        std::fs::write(dir.join("key.pem"), &options.key_pem).map_err(start)?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(start)?;

        let mut cmd = Command::new(&python);
        cmd.arg(repo_root().join("infra/local/mail_server.py"))
            .args(["--host", "127.0.0.1", "--port", "0"])
            .arg("--cert")
            .arg(dir.join("cert.pem"))
            .arg("--key")
            .arg(dir.join("key.pem"))
            .args(["--user", &options.user, "--password", &options.password])
            .arg("--maildir")
            .arg(dir.join("mail"));
        if options.implicit_tls {
            cmd.arg("--implicit-tls");
        }
        for (flag, list) in [
            ("--reject", &options.reject),
            ("--tempfail", &options.tempfail),
            ("--hang", &options.hang),
            ("--drop", &options.drop),
        ] {
            for address in list {
                cmd.args([flag, address]);
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        let mut child = spawn_owned(cmd).map_err(start)?;

        // The server prints "ready <port>" once it listens on its port.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let wait = Duration::from_secs(30);
        let port = rx
            .recv_timeout(wait)
            .ok()
            .and_then(|line| line.strip_prefix("ready ")?.trim().parse::<u16>().ok());
        let mut server = Self {
            port: 0,
            dir,
            child,
        };
        match port {
            Some(port) => {
                server.port = port;
                Ok(server)
            }
            None => {
                let log =
                    std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
                let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
                if tail.is_empty() {
                    Err(StackError::NotReady("mail server", wait))
                } else {
                    Err(StackError::Start("mail server", tail))
                }
            }
        }
    }

    /// Where the messages are kept.
    pub fn maildir(&self) -> PathBuf {
        self.dir.join("mail")
    }

    /// Every message taken so far, in the order taken.
    pub fn messages(&self) -> Vec<Received> {
        read_maildir(&self.maildir())
    }

    /// The messages once there are at least `n` of them (a server stores a
    /// message before it answers, so after a send's answer this returns at
    /// once); whatever there is after `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n || start.elapsed() > timeout {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's own log (its stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_maildir(dir: &Path) -> Vec<Received> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|meta_path| {
            // The .eml is renamed into place before its .json.
            let raw = std::fs::read(meta_path.with_extension("eml")).ok()?;
            let meta: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&meta_path).ok()?).ok()?;
            Some(Received {
                raw,
                mail_from: meta["mail_from"].as_str().unwrap_or_default().to_string(),
                rcpt_tos: meta["rcpt_tos"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| r.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                login: meta["login"].as_str().map(str::to_string),
            })
        })
        .collect()
}
