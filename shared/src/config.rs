//! Runtime configuration from the environment, read once per cold start.
//! Each function asks for what it needs; a missing value fails at start.

use crate::error::Error;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }
    pub fn from_map(vars: HashMap<String, String>) -> Self {
        Self { vars }
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
    pub fn require(&self, name: &str) -> Result<String, Error> {
        self.get(name)
            .map(str::to_string)
            .ok_or_else(|| Error::Config(format!("environment variable {name} is required")))
    }
    pub fn parse_or<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, Error> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                Error::Config(format!("environment variable {name}={v:?} is not valid"))
            }),
        }
    }
}

/// Settings shared by every function that touches the table.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub table_name: String,
    pub due_shards: u32,
    /// Keys the hashes of people erased on request: `ERASURE_KEY`, else the
    /// deployment's `LINK_SIGNING_KEY` (one secret fewer to provision; set
    /// `ERASURE_KEY` on every function to keep them apart). Either must
    /// stay as it is once people are erased: another key recognises none
    /// of them.
    pub erasure_key: Option<String>,
}

impl StoreSettings {
    pub fn from_env(env: &Env) -> Result<Self, Error> {
        let due_shards = env.parse_or("DUE_SHARDS", 4u32)?;
        if due_shards == 0 || due_shards > 64 {
            return Err(Error::Config("DUE_SHARDS must be within 1..=64".into()));
        }
        Ok(Self {
            table_name: env.require("TABLE_NAME")?,
            due_shards,
            erasure_key: env
                .get("ERASURE_KEY")
                .or_else(|| env.get("LINK_SIGNING_KEY"))
                .map(str::to_string),
        })
    }
}
