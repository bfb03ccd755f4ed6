//! `stack`: runs the emulators in the foreground (for `cargo lambda watch`
//! sessions or poking with the AWS CLI), provisions the template once, and
//! prints the environment to point a function at them. Ctrl-C stops all.

use local_stack::emulators::OwnedStack;
use local_stack::runner::LocalStack;

#[tokio::main]
async fn main() {
    let stack = match OwnedStack::start() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let ls = match LocalStack::start(&stack.endpoints, "outbound-local", chrono::Utc::now(), None)
        .await
    {
        Ok(ls) => ls,
        Err(e) => {
            eprintln!("provisioning failed: {e}");
            std::process::exit(1);
        }
    };
    println!("# local stack is up; in another shell:");
    println!(
        "export AWS_ENDPOINT_URL_DYNAMODB={}",
        stack.endpoints.dynamodb
    );
    println!("export AWS_ENDPOINT_URL_SQS={}", stack.endpoints.sqs_events);
    println!(
        "export AWS_ENDPOINT_URL_EVENTBRIDGE={}",
        stack.endpoints.sqs_events
    );
    println!("export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1");
    let mut env: Vec<_> = ls
        .provisioned
        .function("admin")
        .env
        .iter()
        .chain(ls.provisioned.function("webhook-ingest").env.iter())
        .collect();
    env.sort();
    env.dedup();
    for (k, v) in env {
        println!("export {k}={v}");
    }
    println!("# Ctrl-C to stop (the emulators stop with this process)");
    let _ = tokio::signal::ctrl_c().await;
}
