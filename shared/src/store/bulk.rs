//! Bulk loading for benchmarks and scale tests: leads and touches written
//! exactly as the store writes them (same keys, index attributes), 25 to
//! a BatchWriteItem, without the import's checks. Not for user data: an
//! import goes through `import_rows`.

use super::*;
use crate::domain::lead::Lead;
use crate::domain::touch::Touch;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

impl Store {
    /// Writes `leads` and `touches` as they are (overwriting).
    pub async fn load_bulk(&self, leads: &[Lead], touches: &[Touch]) -> Result<()> {
        let mut items = Vec::with_capacity(leads.len() + touches.len());
        for l in leads {
            items.push(self.lead_item(l)?);
        }
        for t in touches {
            items.push(self.touch_item(t)?);
        }
        let requests = items
            .into_iter()
            .map(|i| {
                PutRequest::builder()
                    .set_item(Some(i))
                    .build()
                    .map(|p| WriteRequest::builder().put_request(p).build())
                    .map_err(|e| Error::store("batch_write build", e))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(requests).await
    }
}
