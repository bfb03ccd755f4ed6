//! The smallest function the runtime can host: it echoes its event. Built
//! with the workspace's release profile, it is the floor the cold-start
//! benchmark measures every function against.

use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|e: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, lambda_runtime::Error>(e.payload)
    }))
    .await
}
