//! The library's error type, classified at the edge into HTTP statuses and
//! retryable / non-retryable failures.

use crate::domain::ids::InvalidId;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input: field `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// Well-formed, but refused by a rule (a draft that may not be approved).
    #[error("refused: {0}")]
    Refused(String),
    #[error("store error during {op}: {message}")]
    Store { op: &'static str, message: String },
    #[error("queue or bus error during {op}: {message}")]
    Messaging { op: &'static str, message: String },
    #[error("provider {provider} failed: {message}")]
    Provider {
        provider: String,
        message: String,
        retryable: bool,
    },
    #[error("configuration: {0}")]
    Config(String),
    /// A body of a type the route cannot read.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
    pub fn store(op: &'static str, e: impl std::fmt::Display) -> Self {
        Error::Store {
            op,
            message: e.to_string(),
        }
    }
    pub fn messaging(op: &'static str, e: impl std::fmt::Display) -> Self {
        Error::Messaging {
            op,
            message: e.to_string(),
        }
    }
    /// Worth retrying (an SQS redelivery or a provider's retry)?
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Store { .. } | Error::Messaging { .. } | Error::Conflict(_) => true,
            Error::Provider { retryable, .. } => *retryable,
            _ => false,
        }
    }
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Invalid { .. } => 400,
            Error::Unauthorized(_) => 401,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::Refused(_) => 422,
            Error::Store { .. } | Error::Messaging { .. } => 503,
            Error::Provider { .. } => 502,
            Error::Config(_) => 500,
            Error::UnsupportedMediaType(_) => 415,
        }
    }
}

impl From<InvalidId> for Error {
    fn from(e: InvalidId) -> Self {
        Error::invalid(e.kind, format!("{:?}: {}", e.value, e.reason))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
