//! Lambda entry point: build clients once, then serve events.

use aws_config::BehaviorVersion;
use bucket_event::{Handler, Settings};
use bucketwarden_aws::{AwsContext, ClientOptions};
use lambda_runtime::{Error, LambdaEvent, service_fn};
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
        async move { handler.handle(event.payload).await }
    }))
    .await
}
