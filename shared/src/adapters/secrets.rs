//! Provider credentials from AWS Secrets Manager (moto locally), read
//! through a per-process cache with a TTL: a Lambda container asks once
//! per secret per TTL, and a rotated key is picked up within it. Secret
//! values never reach an error, a log line or a `Debug` print.

use crate::error::{Error, Result};
use crate::ports::Clock;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A secret's value. Prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for the adapter that needs it (and nothing else).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Where secrets come from.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The value of secret `name`. MUST fail with `NotFound` naming the
    /// secret (never its value) when there is none.
    async fn secret(&self, name: &str) -> Result<SecretValue>;
}

/// AWS Secrets Manager.
pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManager {
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl SecretSource for SecretsManager {
    async fn secret(&self, name: &str) -> Result<SecretValue> {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError as E;
        match self.client.get_secret_value().secret_id(name).send().await {
            Ok(out) => out
                .secret_string()
                .map(SecretValue::new)
                .ok_or_else(|| Error::Config(format!("secret {name} has no string value"))),
            Err(e) => Err(match e.as_service_error() {
                Some(E::ResourceNotFoundException(_)) => Error::NotFound(format!("secret {name}")),
                Some(other) => Error::Config(format!(
                    "secret {name} could not be read: {}",
                    other.meta().code().unwrap_or("error")
                )),
                // Transport: worth retrying. Only the error's kind is
                // kept; the SDK's text is not echoed anywhere.
                None => Error::Provider {
                    provider: "secretsmanager".into(),
                    message: format!("secret {name} could not be read (service unreachable)"),
                    retryable: true,
                },
            }),
        }
    }
}

/// Secrets through a cache: each name is read at most once per `ttl`.
pub struct CachedSecrets {
    source: Arc<dyn SecretSource>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    cache: Mutex<HashMap<String, (SecretValue, DateTime<Utc>)>>,
}

impl CachedSecrets {
    /// Five minutes: a rotated key is picked up within one tick's worth of
    /// sends, and a container reads each secret a dozen times an hour.
    pub const DEFAULT_TTL_SECS: i64 = 300;

    /// The clock the cache (and the senders that hold it) runs on.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn new(source: Arc<dyn SecretSource>, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        Self {
            source,
            clock,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(&self, name: &str) -> Result<SecretValue> {
        let now = self.clock.now();
        if let Some((value, until)) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            if now < *until {
                return Ok(value.clone());
            }
        }
        let value = self.source.secret(name).await?;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), (value.clone(), now + self.ttl));
        Ok(value)
    }

    /// Forgets a secret (its provider refused the credentials: the next
    /// send reads them again instead of waiting out the TTL).
    pub fn forget(&self, name: &str) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::SimClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting(AtomicU32);

    #[async_trait]
    impl SecretSource for Counting {
        async fn secret(&self, name: &str) -> Result<SecretValue> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            if name == "missing" {
                return Err(Error::NotFound(format!("secret {name}")));
            }
            Ok(SecretValue::new(format!("value-{n}")))
        }
    }

    #[tokio::test]
    async fn a_secret_is_read_once_per_ttl_and_never_printed() {
        // GIVEN a cache with a 5-minute TTL
        let clock = SimClock::starting_at("2026-11-26T10:00:00Z".parse().unwrap());
        let source = Arc::new(Counting(AtomicU32::new(0)));
        let cache = CachedSecrets::new(
            source.clone(),
            Arc::new(clock.clone()),
            Duration::minutes(5),
        );
        // WHEN it is asked three times within the TTL
        for _ in 0..3 {
            assert_eq!(cache.get("a").await.unwrap().expose(), "value-0");
        }
        // THEN the source was read once
        assert_eq!(source.0.load(Ordering::SeqCst), 1);
        // AND after the TTL (or a forget) it is read again
        clock.advance(Duration::minutes(5));
        assert_eq!(cache.get("a").await.unwrap().expose(), "value-1");
        cache.forget("a");
        assert_eq!(cache.get("a").await.unwrap().expose(), "value-2");
        // AND a value never prints
        let v = cache.get("a").await.unwrap();
        assert_eq!(format!("{v:?}"), "***");
        // AND a missing secret is named, not cached
        let e = cache.get("missing").await.unwrap_err();
        assert!(
            matches!(e, Error::NotFound(ref m) if m == "secret missing"),
            "{e}"
        );
    }
}
