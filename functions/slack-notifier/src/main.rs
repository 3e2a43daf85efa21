//! Lambda entry point: read the settings and the webhook URL once, then serve events.

use aws_config::BehaviorVersion;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use slack_notifier::{Handler, PostPolicy, Settings, SlackClient, read_webhook_url};
use tracing::info;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Log level and format (JSON or text) come from Lambda's logging configuration.
    lambda_runtime::tracing::init_default_subscriber();

    let settings = Settings::from_lookup(|name| std::env::var(name).ok())?;
    let sdk_config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let webhook = read_webhook_url(&sdk_config, &settings.webhook_source).await?;
    let slack = SlackClient::new(webhook, PostPolicy::default())?;
    info!(source = %settings.webhook_source, min_severity = %settings.min_severity, "webhook URL read; serving events");
    let handler = Handler::new(slack, settings.min_severity);

    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move { handler.handle(event.payload).await }
    }))
    .await
}
