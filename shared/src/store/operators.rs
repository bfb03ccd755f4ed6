//! Operators and their console sessions: `T#t#OP / LOGIN#<login>` holds an
//! operator (credential as a PHC hash only), `T#t#SESSION / <id>` a signed-in
//! session (TTL). A session token is valid only while its row exists, so
//! signing out, disabling the operator or revoking deletes the row and the
//! cookie stops working at once.

use super::*;
use crate::domain::operators::{Operator, Role};

fn operators_pk(t: &str) -> String {
    format!("T#{t}#OP")
}
fn sessions_pk(t: &str) -> String {
    format!("T#{t}#SESSION")
}
fn signin_pk(t: &str) -> String {
    format!("T#{t}#SIGNIN")
}

/// Failed sign-ins are counted in quarter hours.
const SIGNIN_BUCKET_SECS: i64 = 900;

/// A signed-in session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub login: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl Store {
    /// Adds an operator; refuses (Conflict) a login the tenant already has.
    pub async fn create_operator(
        &self,
        op: &Operator,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut item = to_item(op)?;
        item.extend(Self::key(
            operators_pk(&op.tenant),
            format!("LOGIN#{}", op.login),
        ));
        let put = self.put_tx(item, Some("attribute_not_exists(PK)"), vec![])?;
        let audit = self.put_tx(
            Self::audit_item(
                &op.tenant,
                actor,
                "operator_created",
                &format!("{} as {}", op.login, op.role.as_str()),
                now,
            ),
            None,
            vec![],
        )?;
        match self.transact("create_operator", vec![put, audit]).await? {
            None => Ok(()),
            Some(_) => Err(Error::Conflict(format!(
                "operator {} already exists",
                op.login
            ))),
        }
    }

    pub async fn operator(&self, tenant: &str, login: &str) -> Result<Option<Operator>> {
        self.get(operators_pk(tenant), &format!("LOGIN#{login}"))
            .await?
            .map(from_item)
            .transpose()
    }

    /// A tenant's operators, by login (one partition).
    pub async fn operators(&self, tenant: &str) -> Result<Vec<Operator>> {
        self.query_all(None, "PK", operators_pk(tenant), Some("LOGIN#"))
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Changes an operator's role or disables it; disabling (or lowering
    /// the role) ends every session it has.
    pub async fn set_operator(
        &self,
        tenant: &str,
        login: &str,
        role: Role,
        disabled: Option<bool>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut op = self
            .operator(tenant, login)
            .await?
            .ok_or_else(|| Error::NotFound(format!("operator {login}")))?;
        let before = (op.role, op.disabled);
        let disabled = disabled.unwrap_or(op.disabled);
        let lowered = role < op.role || (disabled && !op.disabled);
        op.role = role;
        op.disabled = disabled;
        let mut item = to_item(&op)?;
        item.extend(Self::key(operators_pk(tenant), format!("LOGIN#{login}")));
        // Only over what was read: two admins' edits do not undo each other.
        let condition = if before.1 {
            "#role = :role AND disabled = :yes"
        } else {
            "#role = :role AND attribute_not_exists(disabled)"
        };
        let mut values = vec![(":role", s(before.0.as_str()))];
        if before.1 {
            values.push((":yes", AttributeValue::Bool(true)));
        }
        let put = with_role_name(self.put_tx(item, Some(condition), values)?);
        if self.transact("set_operator", vec![put]).await?.is_some() {
            return Err(Error::Conflict(format!(
                "operator {login} changed meanwhile; reload and try again"
            )));
        }
        self.audit(
            tenant,
            actor,
            "operator_changed",
            &format!(
                "{login}: {}{}",
                role.as_str(),
                if disabled { ", disabled" } else { "" }
            ),
            now,
        )
        .await?;
        if lowered {
            self.revoke_sessions(tenant, login).await?;
        }
        Ok(())
    }

    /// Failed sign-ins of `login` in this quarter hour and the one before
    /// (one BatchGetItem).
    pub async fn signin_failures(
        &self,
        tenant: &str,
        login: &str,
        now: DateTime<Utc>,
    ) -> Result<u32> {
        let b = now.timestamp().div_euclid(SIGNIN_BUCKET_SECS);
        let keys = [b, b - 1]
            .iter()
            .map(|b| Self::key(signin_pk(tenant), format!("{login}#{b}")))
            .collect();
        Ok(self
            .batch_get(keys)
            .await?
            .iter()
            .filter_map(|i| i.get("n")?.as_n().ok()?.parse::<u32>().ok())
            .sum())
    }

    /// Counts one failed sign-in of `login` (expires by TTL), with an
    /// audit row.
    pub async fn count_signin_failure(
        &self,
        tenant: &str,
        login: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let b = now.timestamp().div_euclid(SIGNIN_BUCKET_SECS);
        let count = self.update_tx(
            Self::key(signin_pk(tenant), format!("{login}#{b}")),
            "ADD n :one SET #ttl = :ttl",
            None,
            &[("#ttl", "ttl")],
            vec![
                (":one".into(), n(1)),
                (":ttl".into(), n(now.timestamp() + DAY_SECS)),
            ],
        )?;
        let audit = self.put_tx(
            Self::audit_item(tenant, &format!("op:{login}"), "sign_in_failed", "", now),
            None,
            vec![],
        )?;
        self.transact("count_signin_failure", vec![count, audit])
            .await?;
        Ok(())
    }

    /// Records a new session of `login` until `expires`.
    pub async fn open_session(
        &self,
        tenant: &str,
        login: &str,
        id: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()> {
        let mut i = Self::key(sessions_pk(tenant), id);
        i.insert("login".into(), s(login));
        i.insert("created".into(), s(ts(now)));
        i.insert("expires".into(), s(ts(expires)));
        i.insert("ttl".into(), n(expires.timestamp() + DAY_SECS));
        self.put(i).await
    }

    /// The session `id` if it was not revoked and has not expired.
    pub async fn session(
        &self,
        tenant: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>> {
        Ok(self
            .get(sessions_pk(tenant), id)
            .await?
            .and_then(|i| session_row(id, &i))
            .filter(|r| r.expires > now))
    }

    /// Ends one session (sign-out).
    pub async fn close_session(&self, tenant: &str, id: &str) -> Result<()> {
        self.spend()?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(sessions_pk(tenant), id)))
            .send()
            .await
            .map_err(sdk("delete_item"))?;
        Ok(())
    }

    /// Ends every session of `login`; returns how many.
    pub async fn revoke_sessions(&self, tenant: &str, login: &str) -> Result<usize> {
        let rows = self
            .query_all(None, "PK", sessions_pk(tenant), None)
            .await?;
        let mut ended = 0;
        for i in rows {
            let Some(id) = i.get("SK").and_then(|v| v.as_s().ok()) else {
                continue;
            };
            if i.get("login")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some(login)
            {
                self.close_session(tenant, id).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// A tenant's open sessions (for the operators page).
    pub async fn sessions(&self, tenant: &str, now: DateTime<Utc>) -> Result<Vec<SessionRow>> {
        Ok(self
            .query_all(None, "PK", sessions_pk(tenant), None)
            .await?
            .iter()
            .filter_map(|i| {
                let id = i.get("SK")?.as_s().ok()?.clone();
                session_row(&id, i)
            })
            .filter(|r| r.expires > now)
            .collect())
    }
}

/// A conditional put whose condition names `#role`.
fn with_role_name(tx: TransactWriteItem) -> TransactWriteItem {
    let put = tx.put.expect("a put");
    let put = Put::builder()
        .table_name(put.table_name)
        .set_item(Some(put.item))
        .set_condition_expression(put.condition_expression)
        .set_expression_attribute_values(put.expression_attribute_values)
        .expression_attribute_names("#role", "role")
        .build()
        .expect("table and item are set");
    TransactWriteItem::builder().put(put).build()
}

fn session_row(id: &str, i: &Item) -> Option<SessionRow> {
    let get = |k: &str| i.get(k).and_then(|v| v.as_s().ok());
    Some(SessionRow {
        id: id.to_string(),
        login: get("login")?.clone(),
        created: get("created")?.parse().ok()?,
        expires: get("expires")?.parse().ok()?,
    })
}
