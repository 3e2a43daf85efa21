//! Lambda entry point: build clients once, then serve events.

// The handler future nests deeply (collection, evaluation, storage, publishing).
#![recursion_limit = "256"]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use bucketwarden_aws::{AwsContext, ClientOptions};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use scheduled_audit::{Handler, Settings};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Log level and format (JSON or text) come from Lambda's logging configuration.
    lambda_runtime::tracing::init_default_subscriber();

    let settings = Settings::from_lookup(|name| std::env::var(name).ok())?;
    let sdk_config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let mut options = ClientOptions::default();
    if let Ok(url) = std::env::var("AWS_ENDPOINT_URL") {
        options = options.endpoint_url(url);
    }
    let handler = Handler::new(AwsContext::new(&sdk_config, options)?, settings);

    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let handler = handler.clone();
        let deadline = deadline_of(event.context.deadline);
        async move { handler.handle(event.payload, deadline).await }
    }))
    .await
}

/// Converts Lambda's deadline (milliseconds since the Unix epoch) to an `Instant`.
fn deadline_of(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or_default();
    let left = u128::from(deadline_ms).saturating_sub(now_ms);
    Instant::now() + Duration::from_millis(u64::try_from(left).unwrap_or(0))
}
