//! Reading a tenant's own mailbox over IMAP (async-imap on tokio, TLS by
//! rustls with the compiled-in roots): the messages after the last UID read,
//! fetched with `BODY.PEEK[]` so the mailbox's flags stay as its owner left
//! them. Implicit TLS (993) or STARTTLS (143); never in the clear.

use crate::error::{Error, Result};
use futures::TryStreamExt;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::TlsConnector;

/// How the IMAP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImapSecurity {
    /// TLS from the first byte (port 993).
    #[default]
    Tls,
    /// Plain greeting, then STARTTLS before anything else (port 143).
    Starttls,
}

/// The IMAP side of a mailbox's secret: `imap_host` (required to read),
/// `imap_port` (993), `imap_security` (`tls`), and the login, which
/// defaults to the SMTP one (`username`, `password`).
#[derive(Clone, Deserialize)]
pub struct ImapAccount {
    #[serde(rename = "imap_host")]
    pub host: String,
    #[serde(rename = "imap_port", default = "default_port")]
    pub port: u16,
    #[serde(rename = "imap_security", default)]
    pub security: ImapSecurity,
    #[serde(rename = "imap_username", alias = "username")]
    pub username: String,
    #[serde(rename = "imap_password", alias = "password")]
    pub password: String,
}

fn default_port() -> u16 {
    993
}

impl fmt::Debug for ImapAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapAccount")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl ImapAccount {
    /// The account in a mailbox secret, if it says where to read; a secret
    /// without `imap_host` is for sending only (None).
    pub fn from_secret(secret: &str) -> Result<Option<Self>> {
        let v: serde_json::Value = serde_json::from_str(secret)
            .map_err(|_| Error::Config("the mailbox secret is not JSON".into()))?;
        if v.get("imap_host").is_none() {
            return Ok(None);
        }
        serde_json::from_value(v).map(Some).map_err(|e| {
            // serde names the field, never the value.
            Error::Config(format!(
                "the mailbox secret's IMAP fields: {}",
                e.to_string()
                    .split(" at line")
                    .next()
                    .unwrap_or("unreadable")
            ))
        })
    }
}

/// Connection settings: a bound on every step, and roots to trust besides
/// the compiled-in ones (a test server's certificate).
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub timeout: Duration,
    pub extra_roots: Vec<Vec<u8>>,
    /// At most this many messages per mailbox per run (the rest next run).
    pub batch: u32,
}

impl Default for ImapSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            extra_roots: Vec::new(),
            batch: 100,
        }
    }
}

/// What one read found: the mailbox's UIDVALIDITY and the messages after
/// the cursor, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub uid_validity: u32,
    pub messages: Vec<(u32, Vec<u8>)>,
}

fn imap_err(what: &str, e: impl fmt::Display) -> Error {
    Error::Provider {
        provider: "imap".into(),
        message: format!("{what}: {e}"),
        retryable: true,
    }
}

fn connector(settings: &ImapSettings) -> Result<TlsConnector> {
    let mut roots: tokio_rustls::rustls::RootCertStore =
        webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect();
    for der in &settings.extra_roots {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| Error::Config(format!("imap root: {e}")))?;
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

async fn tls_client(
    account: &ImapAccount,
    settings: &ImapSettings,
) -> Result<async_imap::Client<Tls>> {
    let name = ServerName::try_from(account.host.clone())
        .map_err(|e| Error::Config(format!("imap host {}: {e}", account.host)))?;
    let tcp = TcpStream::connect((account.host.as_str(), account.port))
        .await
        .map_err(|e| imap_err("connect", e))?;
    let connector = connector(settings)?;
    match account.security {
        ImapSecurity::Tls => {
            let tls = connector
                .connect(name, tcp)
                .await
                .map_err(|e| imap_err("tls", e))?;
            let mut client = async_imap::Client::new(tls);
            client
                .read_response()
                .await
                .map_err(|e| imap_err("greeting", e))?
                .ok_or_else(|| imap_err("greeting", "closed"))?;
            Ok(client)
        }
        ImapSecurity::Starttls => {
            let mut plain = async_imap::Client::new(tcp);
            plain
                .read_response()
                .await
                .map_err(|e| imap_err("greeting", e))?
                .ok_or_else(|| imap_err("greeting", "closed"))?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| imap_err("starttls", e))?;
            let tls = connector
                .connect(name, plain.into_inner())
                .await
                .map_err(|e| imap_err("tls", e))?;
            Ok(async_imap::Client::new(tls))
        }
    }
}

/// The messages of INBOX after `after` (UIDVALIDITY, last UID read): all of
/// them, up to the batch, when the UIDVALIDITY changed or nothing was read yet.
pub async fn fetch_after(
    account: &ImapAccount,
    settings: &ImapSettings,
    after: Option<(u32, u32)>,
) -> Result<Fetched> {
    tokio::time::timeout(settings.timeout, fetch_inner(account, settings, after))
        .await
        .map_err(|_| imap_err("read", format!("no answer within {:?}", settings.timeout)))?
}

async fn fetch_inner(
    account: &ImapAccount,
    settings: &ImapSettings,
    after: Option<(u32, u32)>,
) -> Result<Fetched> {
    let client = tls_client(account, settings).await?;
    let mut session = client
        .login(&account.username, &account.password)
        .await
        .map_err(|(e, _)| Error::Provider {
            provider: "imap".into(),
            message: format!("login refused: {e}"),
            retryable: false,
        })?;
    let mailbox = session
        .examine("INBOX")
        .await
        .map_err(|e| imap_err("examine INBOX", e))?;
    let uid_validity = mailbox.uid_validity.unwrap_or(0);
    let from = match after {
        Some((v, last)) if v == uid_validity => last + 1,
        _ => 1,
    };
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {from}:*"))
        .await
        .map_err(|e| imap_err("search", e))?
        .into_iter()
        // `n:*` names the last message even when its UID is below n.
        .filter(|u| *u >= from)
        .collect();
    uids.sort_unstable();
    uids.truncate(settings.batch as usize);
    let mut messages = Vec::with_capacity(uids.len());
    if !uids.is_empty() {
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetched: Vec<_> = session
            .uid_fetch(set, "(UID BODY.PEEK[])")
            .await
            .map_err(|e| imap_err("fetch", e))?
            .try_collect()
            .await
            .map_err(|e| imap_err("fetch", e))?;
        for f in fetched {
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                messages.push((uid, body.to_vec()));
            }
        }
        messages.sort_by_key(|(uid, _)| *uid);
    }
    let _ = session.logout().await;
    Ok(Fetched {
        uid_validity,
        messages,
    })
}

/// Puts `raw` into INBOX (tests fill a mailbox this way, as mail arriving).
pub async fn append(account: &ImapAccount, settings: &ImapSettings, raw: &[u8]) -> Result<()> {
    let client = tls_client(account, settings).await?;
    let mut session = client
        .login(&account.username, &account.password)
        .await
        .map_err(|(e, _)| imap_err("login", e))?;
    session
        .append("INBOX", None, None, raw)
        .await
        .map_err(|e| imap_err("append", e))?;
    let _ = session.logout().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_without_an_imap_host_reads_nothing_and_the_login_defaults_to_smtps() {
        let send_only = r#"{"host": "smtp.example", "port": 587, "username": "sam", "password": "pw", "security": "starttls"}"#;
        assert!(ImapAccount::from_secret(send_only).unwrap().is_none());
        let both = r#"{"host": "smtp.example", "username": "sam", "password": "pw", "imap_host": "imap.example"}"#;
        let a = ImapAccount::from_secret(both).unwrap().unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.security, a.username.as_str()),
            ("imap.example", 993, ImapSecurity::Tls, "sam")
        );
        assert!(!format!("{a:?}").contains("pw"));
        let bad = r#"{"imap_host": "imap.example", "imap_port": "x", "username": "u", "password": "secret-pw"}"#;
        let e = ImapAccount::from_secret(bad).unwrap_err().to_string();
        assert!(!e.contains("secret-pw"), "{e}");
    }
}
