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
    /// Signed in, but the role does not allow it.
    #[error("forbidden: {0}")]
    Forbidden(String),
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
    /// A body larger than the route reads.
    #[error("payload too large: {0}")]
    TooLarge(String),
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
    /// The kind of failure, as the Lambda runtime reports it (`errorType`):
    /// what an operator filters logs and alarms by.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "InvalidInput",
            Error::NotFound(_) => "NotFound",
            Error::Unauthorized(_) => "Unauthorized",
            Error::Conflict(_) => "Conflict",
            Error::Forbidden(_) => "Forbidden",
            Error::Refused(_) => "Refused",
            Error::Store { .. } => "StoreUnavailable",
            Error::Messaging { .. } => "MessagingUnavailable",
            Error::Provider { .. } => "ProviderFailed",
            Error::Config(_) => "Configuration",
            Error::UnsupportedMediaType(_) => "UnsupportedMediaType",
            Error::TooLarge(_) => "PayloadTooLarge",
        }
    }
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Invalid { .. } => 400,
            Error::Unauthorized(_) => 401,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::Forbidden(_) => 403,
            Error::Refused(_) => 422,
            Error::Store { .. } | Error::Messaging { .. } => 503,
            Error::Provider { .. } => 502,
            Error::Config(_) => 500,
            Error::UnsupportedMediaType(_) => 415,
            Error::TooLarge(_) => 413,
        }
    }
}

impl From<InvalidId> for Error {
    fn from(e: InvalidId) -> Self {
        Error::invalid(e.kind, format!("{:?}: {}", e.value, e.reason))
    }
}

/// A handler's failure as the runtime reports it: the error's kind, not
/// the Rust type name of a boxed trait object.
impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.kind().to_string(),
            error_message: e.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reaches_the_runtime_with_its_kind() {
        let d = lambda_runtime::Diagnostic::from(Error::store("query", "throttled"));
        assert_eq!(d.error_type, "StoreUnavailable");
        assert!(d.error_message.contains("throttled"), "{}", d.error_message);
        let d = lambda_runtime::Diagnostic::from(Error::invalid("body", "empty"));
        assert_eq!(
            (d.error_type.as_str(), d.error_message.contains("body")),
            ("InvalidInput", true)
        );
    }
}
