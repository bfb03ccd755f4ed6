//! The SMTP sender: a tenant's own Google Workspace or Microsoft 365
//! mailbox, over SMTP submission with STARTTLS (587) or implicit TLS (465)
//! and AUTH (PLAIN or LOGIN, with an app password).
//!
//! The message is built with lettre's builder and the SMTP dialogue is
//! driven here one command at a time on lettre's `AsyncSmtpConnection`
//! (rustls 0.23 on ring, trusting the compiled-in roots of
//! `adapters::http`), not through lettre's `AsyncSmtpTransport::send`: a
//! transport error does not say which command failed, and the never-twice
//! protocol needs exactly that. Every step runs under its own timeout, and
//! a failure is classified by the step it happened in:
//!
//! - before the message content went out (connect, TLS, EHLO, AUTH, MAIL
//!   FROM, RCPT TO, the DATA command up to its 354): the server cannot hold
//!   the message, so a timeout, a dropped connection or a TLS failure is
//!   `Retryable`, and a reply is mapped by its code and step;
//! - the content and the final `.` (lettre's `message`, one call that writes
//!   the body, the terminator, and reads the reply): once any of it may have
//!   been written, the server may have queued the message even if its reply
//!   never comes, so a timeout or a lost connection is `Unknown`; a reply
//!   (4xx, 5xx) is an answer and is mapped as usual. lettre cannot tell a
//!   write that failed mid-body from a read of the final reply that failed,
//!   so this step is taken as a whole, conservatively.
//!
//! Nothing is retried here: SMTP's temporary refusals (greylisting, 421 and
//! 451 "try again later", a sending quota) ask for minutes, not the
//! sub-second backoff of the HTTP senders, and every retry would log in to
//! the tenant's mailbox again. They are `Retryable` at once and the
//! dispatcher's backoff takes them.
//!
//! `lookup` cannot ask anything: SMTP has no way to ask whether a message
//! went out, so an `Unknown` send stays unknown (the default of the port).
//! The message is named by its `Message-ID` (our own, one per attempt), which
//! is what the send returns and what a mailbox search or a bounce names.

use super::{FinalKind, Outgoing, ProviderSender, SendError};
use crate::domain::content::template::headers::header_problem;
use crate::error::{Error, Result};
use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use lettre::Address;
use serde::Deserialize;
use std::fmt;
use std::future::Future;
use std::time::Duration;

const PROVIDER: &str = "smtp";

/// The mechanisms tried, in order; both need TLS first, which every
/// connection has before AUTH.
const MECHANISMS: &[Mechanism] = &[Mechanism::Plain, Mechanism::Login];

/// How long a QUIT after the send (or after a refusal) may take: its answer
/// changes nothing.
const QUIT_WAIT: Duration = Duration::from_secs(2);

/// Headers this sender writes itself; `Outgoing.headers` may not set them.
const OWN_HEADERS: &[&str] = &[
    "From",
    "Sender",
    "To",
    "Cc",
    "Bcc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Return-Path",
    ATTEMPT_HEADER,
];

/// Names the attempt in the message itself, so a bounce or a copy in the
/// Sent folder can be matched to it.
pub const ATTEMPT_HEADER: &str = "X-Outbound-Attempt";

/// How the connection is encrypted before AUTH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain TCP, then STARTTLS (port 587). A server that does not offer
    /// STARTTLS is not logged in to.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// A tenant's mailbox login, as its secret holds it.
#[derive(Clone, Deserialize)]
pub struct SmtpCredentials {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub security: Security,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"***")
            .field("security", &self.security)
            .finish()
    }
}

/// Timeouts of one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpSettings {
    /// TCP connect, TLS (implicit), the greeting and EHLO.
    pub connect_timeout: Duration,
    /// Each command after that (STARTTLS, AUTH, MAIL, RCPT, DATA), and the
    /// message content with the server's answer to it.
    pub command_timeout: Duration,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: crate::adapters::http::CONNECT_TIMEOUT,
            command_timeout: Duration::from_secs(20),
        }
    }
}

/// Sends email through one tenant mailbox over SMTP.
pub struct SmtpSender {
    credentials: SmtpCredentials,
    login: Credentials,
    settings: SmtpSettings,
    hello: ClientId,
    extra_roots: Vec<Vec<u8>>,
    tls: TlsParameters,
}

impl fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("credentials", &self.credentials)
            .field("settings", &self.settings)
            .field("extra_roots", &self.extra_roots.len())
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(credentials: SmtpCredentials, settings: SmtpSettings) -> Result<Self> {
        if credentials.host.trim().is_empty() || credentials.port == 0 {
            return Err(Error::Config("smtp: host and port are required".into()));
        }
        let login = Credentials::new(credentials.username.clone(), credentials.password.clone());
        // EHLO names the mailbox's domain where the login is an address;
        // lettre's default is an address literal for this host.
        let hello = credentials
            .username
            .rsplit_once('@')
            .map(|(_, domain)| domain)
            .filter(|d| crate::domain::content::template::headers::is_hostname(d))
            .map(|d| ClientId::Domain(d.to_ascii_lowercase()))
            .unwrap_or_default();
        let tls = tls_parameters(&credentials.host, &[])?;
        Ok(Self {
            credentials,
            login,
            settings,
            hello,
            extra_roots: Vec::new(),
            tls,
        })
    }

    /// Also trusts `der` (a DER certificate) as a root, besides the
    /// compiled-in ones: for a test server's self-signed certificate, or a
    /// private relay's own CA.
    pub fn with_extra_root(mut self, der: Vec<u8>) -> Result<Self> {
        self.extra_roots.push(der);
        self.tls = tls_parameters(&self.credentials.host, &self.extra_roots)?;
        Ok(self)
    }

    /// Connects and secures the connection (implicit TLS, or STARTTLS), up
    /// to the EHLO that follows it; not yet logged in.
    async fn connect(&self) -> std::result::Result<AsyncSmtpConnection, Failure> {
        let c = &self.credentials;
        let implicit = (c.security == Security::Tls).then(|| self.tls.clone());
        let limit = self.settings.connect_timeout;
        let mut conn = timed(
            Step::Connect,
            limit,
            AsyncSmtpConnection::connect_tokio1(
                (c.host.as_str(), c.port),
                Some(limit),
                &self.hello,
                implicit,
                None,
            ),
        )
        .await?;
        if c.security == Security::Starttls {
            // lettre refuses (a client error) when STARTTLS is not offered:
            // the login never goes out in clear.
            let limit = self.settings.command_timeout;
            timed(
                Step::StartTls,
                limit,
                conn.starttls(self.tls.clone(), &self.hello),
            )
            .await?;
        }
        Ok(conn)
    }

    async fn auth(&self, conn: &mut AsyncSmtpConnection) -> std::result::Result<(), Failure> {
        let limit = self.settings.command_timeout;
        timed(Step::Auth, limit, conn.auth(MECHANISMS, &self.login)).await?;
        Ok(())
    }

    /// AUTH, MAIL FROM, RCPT TO, DATA and the content; the final reply.
    async fn transact(
        &self,
        conn: &mut AsyncSmtpConnection,
        from: &Address,
        to: &Address,
        content: &[u8],
    ) -> std::result::Result<Response, Failure> {
        self.auth(conn).await?;
        let limit = self.settings.command_timeout;
        let mut options = Vec::new();
        if ![from, to]
            .iter()
            .all(|a| AsRef::<str>::as_ref(a).is_ascii())
        {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(Failure::refused(
                    Step::MailFrom,
                    "a non-ASCII address, and the server does not take SMTPUTF8",
                ));
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !content.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err(Failure::refused(
                    Step::MailFrom,
                    "8-bit content, and the server does not take 8BITMIME",
                ));
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        timed(
            Step::MailFrom,
            limit,
            conn.command(Mail::new(Some(from.clone()), options)),
        )
        .await?;
        timed(
            Step::RcptTo,
            limit,
            conn.command(Rcpt::new(to.clone(), Vec::new())),
        )
        .await?;
        timed(Step::Data, limit, conn.command(Data)).await?;
        // From here on the server may hold the message (see the module doc).
        timed(Step::Content, limit, conn.message(content)).await
    }
}

/// The TLS parameters for `host`: the compiled-in roots (no platform
/// store, no other root set) plus any extra ones, on lettre's rustls with
/// the ring provider.
fn tls_parameters(host: &str, extra: &[Vec<u8>]) -> Result<TlsParameters> {
    let tls_error = |e: lettre::transport::smtp::Error| Error::Config(format!("smtp tls: {e}"));
    let mut builder =
        TlsParameters::builder(host.to_string()).certificate_store(CertificateStore::None);
    for root in crate::adapters::http::root_certificates() {
        builder =
            builder.add_root_certificate(Certificate::from_der(root.to_vec()).map_err(tls_error)?);
    }
    for der in extra {
        builder =
            builder.add_root_certificate(Certificate::from_der(der.clone()).map_err(tls_error)?);
    }
    builder.build_rustls().map_err(tls_error)
}

/// Where in the dialogue a send failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// TCP, implicit TLS, the greeting, EHLO.
    Connect,
    /// STARTTLS, the handshake and the EHLO after it.
    StartTls,
    Auth,
    MailFrom,
    RcptTo,
    /// The DATA command, up to its 354.
    Data,
    /// The message content, the final `.`, and the reply to it.
    Content,
}

#[derive(Debug)]
enum Cause {
    Smtp(lettre::transport::smtp::Error),
    Timeout(Duration),
    /// Refused here, before the server was asked.
    Refused(&'static str),
}

#[derive(Debug)]
struct Failure {
    step: Step,
    cause: Cause,
}

impl Failure {
    fn refused(step: Step, reason: &'static str) -> Self {
        Self {
            step,
            cause: Cause::Refused(reason),
        }
    }

    /// Did the server answer (the connection is still in step)?
    fn answered(&self) -> bool {
        matches!(&self.cause, Cause::Smtp(e) if e.status().is_some())
            || matches!(self.cause, Cause::Refused(_))
    }
}

async fn timed<T>(
    step: Step,
    limit: Duration,
    work: impl Future<Output = std::result::Result<T, lettre::transport::smtp::Error>>,
) -> std::result::Result<T, Failure> {
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure {
            step,
            cause: Cause::Smtp(e),
        }),
        Err(_) => Err(Failure {
            step,
            cause: Cause::Timeout(limit),
        }),
    }
}

/// A failure as the dispatcher acts on it.
fn classify(failure: Failure) -> SendError {
    let Failure { step, cause } = failure;
    match cause {
        Cause::Refused(reason) => SendError::Final {
            provider: PROVIDER,
            kind: FinalKind::Rejected,
            reason: reason.to_string(),
        },
        Cause::Timeout(limit) => lost(step, format!("no answer within {limit:?}")),
        Cause::Smtp(e) => match e.status() {
            Some(code) => {
                let code: u16 = code.to_string().parse().unwrap_or(0);
                reply(step, code, &e.to_string())
            }
            // No mechanism in common with the server: the mailbox's
            // settings, not this message, must change.
            None if step == Step::Auth && e.is_client() => SendError::Final {
                provider: PROVIDER,
                kind: FinalKind::BadCredentials,
                reason: format!("{step:?}: {e}"),
            },
            // A refused or dropped connection, a TLS failure (an untrusted
            // certificate among them), a reply that could not be read.
            None => lost(step, e.to_string()),
        },
    }
}

/// No (readable) answer at `step`: not taken before the content, perhaps
/// taken from the content on.
fn lost(step: Step, what: String) -> SendError {
    if step == Step::Content {
        SendError::Unknown {
            provider: PROVIDER,
            reason: format!("message content sent, then {what}: it may have been delivered"),
        }
    } else {
        SendError::Retryable {
            provider: PROVIDER,
            reason: format!("{step:?}: {what}"),
            retry_after: None,
            rate_limited: false,
        }
    }
}

/// The enhanced status code (RFC 3463) at the start of a reply's text,
/// as lettre shows it ("permanent error (550): 5.1.1 <x>: unknown").
fn enhanced_status(text: &str) -> Option<&str> {
    let text = text.split_once("): ").map_or(text, |(_, t)| t);
    let first = text.split_whitespace().next()?;
    let mut parts = first.split('.');
    let ok = parts.next().is_some_and(|c| matches!(c, "2" | "4" | "5"))
        && parts.next().is_some_and(|s| {
            !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit())
        })
        && parts.next().is_some_and(|d| {
            !d.is_empty() && d.len() <= 3 && d.bytes().all(|b| b.is_ascii_digit())
        })
        && parts.next().is_none();
    ok.then_some(first)
}

/// A negative reply `code` (with its `text`) at `step`.
///
/// - 4xx: not taken, try later. 421 and the 4.7.x / x.4.5 statuses
///   (throttling, congestion) are marked rate-limited.
/// - 530 and 535 (authentication required or failed), and any 5xx before a
///   message was begun (greeting, EHLO, STARTTLS, AUTH: e.g. Google's 534
///   "application-specific password required"): the mailbox's settings must
///   change before anything of this tenant goes, so `BadCredentials`.
/// - 5.4.5 (Google's "daily user sending limit exceeded", given as a 550):
///   the mailbox's quota, not the message; `Retryable`, rate-limited.
/// - 5xx on RCPT TO (550 5.1.1 user unknown, 551, 553 mailbox name not
///   allowed): `InvalidRecipient`, unless its status is 5.7.x (a policy
///   refusal, such as relaying denied), which is not about the address.
/// - any other 5xx (on MAIL FROM, DATA, or the content: 552 too large,
///   554 5.7.1 refused as spam): `Rejected`.
fn reply(step: Step, code: u16, text: &str) -> SendError {
    let status = enhanced_status(text);
    let class = |prefix: &str| status.is_some_and(|s| s.starts_with(prefix));
    let reason = format!("{step:?}: {text}");
    if (400..500).contains(&code) {
        return SendError::Retryable {
            provider: PROVIDER,
            rate_limited: code == 421 || class("4.7.") || status == Some("4.4.5"),
            reason,
            retry_after: None,
        };
    }
    if status == Some("5.4.5") {
        return SendError::Retryable {
            provider: PROVIDER,
            reason,
            retry_after: None,
            rate_limited: true,
        };
    }
    let kind = match step {
        _ if code == 530 || code == 535 => FinalKind::BadCredentials,
        Step::Connect | Step::StartTls | Step::Auth => FinalKind::BadCredentials,
        Step::RcptTo if class("5.7.") => FinalKind::Rejected,
        Step::RcptTo => FinalKind::InvalidRecipient,
        Step::MailFrom | Step::Data | Step::Content => FinalKind::Rejected,
    };
    SendError::Final {
        provider: PROVIDER,
        kind,
        reason,
    }
}

fn rejected(reason: String) -> SendError {
    SendError::Final {
        provider: PROVIDER,
        kind: FinalKind::Rejected,
        reason,
    }
}

/// A header value as it may be written: no CR, LF or other control
/// character (a value that could start a header of its own), within the
/// line limit. The domain checks the same before a touch is queued; this is
/// the last line of that defence.
fn checked<'a>(name: &str, value: &'a str) -> std::result::Result<&'a str, SendError> {
    match header_problem(name, value) {
        Some(problem) => Err(rejected(problem)),
        None => Ok(value),
    }
}

/// `<left@right>`, with nothing in it that ends or folds a header.
fn checked_msg_id<'a>(name: &str, id: &'a str) -> std::result::Result<&'a str, SendError> {
    let id = checked(name, id)?;
    let inner = id.strip_prefix('<').and_then(|i| i.strip_suffix('>'));
    let ok = inner.is_some_and(|i| {
        i.split_once('@')
            .is_some_and(|(l, r)| !l.is_empty() && !r.is_empty() && !r.contains('@'))
            && i.bytes()
                .all(|b| b.is_ascii_graphic() && !b"<>\"\\()[],;:".contains(&b))
    });
    if ok {
        Ok(id)
    } else {
        Err(rejected(format!(
            "header {name}: {id:?} is not a message id (<id@domain>)"
        )))
    }
}

/// A header name as RFC 5322 allows it: printable ASCII, no colon.
fn header_name(name: &str) -> std::result::Result<HeaderName, SendError> {
    let printable = !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
    match HeaderName::new_from_ascii(name.to_string()) {
        Ok(n) if printable => Ok(n),
        _ => Err(rejected(format!("header name {name:?} is not valid"))),
    }
}

/// The message as it goes on the wire, its envelope and its Message-ID.
#[derive(Debug)]
struct Built {
    from: Address,
    to: Address,
    message_id: String,
    content: Vec<u8>,
}

fn build(msg: &Outgoing) -> std::result::Result<Built, SendError> {
    let from_text = checked("From", &msg.from)?;
    let from: Address = from_text
        .parse()
        .map_err(|e| rejected(format!("from address {from_text:?}: {e}")))?;
    let to_text = checked("To", &msg.to)?;
    let to: Address = to_text.parse().map_err(|e| SendError::Final {
        provider: PROVIDER,
        kind: FinalKind::InvalidRecipient,
        reason: format!("to address {to_text:?}: {e}"),
    })?;
    let name = match &msg.from_name {
        Some(n) => Some(checked("From", n)?.to_string()),
        None => None,
    };
    let attempt = checked(ATTEMPT_HEADER, &msg.attempt_id)?;
    let message_id = match &msg.message_id {
        Some(id) => id.clone(),
        None => format!("<{attempt}@{}>", from.domain()),
    };
    let message_id = checked_msg_id("Message-ID", &message_id)?.to_string();

    let mut builder = MessageBuilder::new()
        .from(Mailbox::new(name, from.clone()))
        .to(Mailbox::new(None, to.clone()))
        .message_id(Some(message_id.clone()));
    if let Some(subject) = &msg.subject {
        builder = builder.subject(checked("Subject", subject)?);
    }
    if let Some(parent) = &msg.in_reply_to {
        builder = builder.in_reply_to(checked_msg_id("In-Reply-To", parent)?.to_string());
    }
    if !msg.references.is_empty() {
        let ids = msg
            .references
            .iter()
            .map(|id| checked_msg_id("References", id))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        builder = builder.references(checked("References", &ids.join(" "))?.to_string());
    }
    for (name, value) in &msg.headers {
        let value = checked(name, value)?;
        if name.eq_ignore_ascii_case("Reply-To") {
            let mailbox: Mailbox = value
                .parse()
                .map_err(|e| rejected(format!("Reply-To {value:?}: {e}")))?;
            builder = builder.reply_to(mailbox);
            continue;
        }
        if OWN_HEADERS.iter().any(|own| own.eq_ignore_ascii_case(name)) {
            return Err(rejected(format!(
                "header {name} is written by the sender, not taken from the message"
            )));
        }
        builder = builder.raw_header(HeaderValue::new(header_name(name)?, value.to_string()));
    }
    builder = builder.raw_header(HeaderValue::new(
        HeaderName::new_from_ascii_str(ATTEMPT_HEADER),
        attempt.to_string(),
    ));
    let message = match &msg.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            msg.text.clone(),
            html.clone(),
        )),
        // lettre ends a single part with a line break of its own: the
        // text's last one is left to it, or the text would gain a blank
        // line. (In a multipart, the break before the boundary is the
        // boundary's, and the text goes as it is.)
        None => {
            let text = msg.text.strip_suffix('\n').unwrap_or(&msg.text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            builder.singlepart(SinglePart::plain(text.to_string()))
        }
    }
    .map_err(|e| rejected(format!("message could not be built: {e}")))?;
    // lettre's `message` always writes CRLF.CRLF after the content; the
    // formatted message already ends with a CRLF, which that first CRLF
    // stands for (RFC 5321 4.1.1.4), so the server receives exactly
    // `formatted()`, without a blank line added at the end.
    let mut content = message.formatted();
    if content.ends_with(b"\r\n") {
        content.truncate(content.len() - 2);
    }
    Ok(Built {
        from,
        to,
        message_id,
        content,
    })
}

#[async_trait]
impl ProviderSender for SmtpSender {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    /// Returns the message's `Message-ID` (`<id@domain>`), the one name an
    /// SMTP-sent message has everywhere it goes.
    async fn send(&self, msg: &Outgoing) -> std::result::Result<String, SendError> {
        let built = build(msg)?;
        let mut conn = self.connect().await.map_err(classify)?;
        match self
            .transact(&mut conn, &built.from, &built.to, &built.content)
            .await
        {
            Ok(answer) => {
                tracing::debug!(
                    attempt = %msg.attempt_id,
                    message_id = %built.message_id,
                    answer = %answer.message().collect::<Vec<_>>().join(" "),
                    "smtp: accepted"
                );
                let _ = tokio::time::timeout(QUIT_WAIT, conn.quit()).await;
                Ok(built.message_id)
            }
            Err(failure) => {
                if failure.answered() {
                    let _ = tokio::time::timeout(QUIT_WAIT, conn.abort()).await;
                }
                Err(classify(failure))
            }
        }
    }

    /// SMTP cannot be asked whether a message went out: always `Unknown`.
    async fn lookup(
        &self,
        msg: &Outgoing,
    ) -> std::result::Result<crate::ports::Delivery, SendError> {
        let _ = msg;
        Ok(crate::ports::Delivery::Unknown)
    }

    /// Connect, TLS, AUTH, QUIT: what lettre's `test_connection` does, with
    /// the AUTH's answer kept (535 is `BadCredentials`).
    async fn probe(&self) -> std::result::Result<(), SendError> {
        let mut conn = self.connect().await.map_err(classify)?;
        match self.auth(&mut conn).await {
            Ok(()) => {
                let _ = tokio::time::timeout(QUIT_WAIT, conn.quit()).await;
                Ok(())
            }
            Err(failure) => {
                if failure.answered() {
                    let _ = tokio::time::timeout(QUIT_WAIT, conn.abort()).await;
                }
                Err(classify(failure))
            }
        }
    }
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
