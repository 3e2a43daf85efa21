//! The handler: classify the event, audit the bucket, publish the report.

use bucketwarden_aws::{AccountFacts, AwsContext, Error as AwsError};
use bucketwarden_core::evaluate;
use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use crate::err::HandlerError;
use crate::event::{Disposition, EventFilter, classify};
use crate::message;
use crate::remediation::{self, RateLimiter};
use crate::settings::Settings;

/// The result of one invocation, returned by the function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Response {
    Published {
        bucket: String,
        event_name: String,
        findings: usize,
        worst: Option<String>,
        message_id: Option<String>,
    },
    Skipped {
        reason: String,
    },
}

/// Clients and settings, built once per execution environment.
#[derive(Clone, Debug)]
pub struct Handler {
    aws: AwsContext,
    settings: Settings,
    limiter: RateLimiter,
}

impl Handler {
    pub fn new(aws: AwsContext, settings: Settings) -> Self {
        Self {
            aws,
            settings,
            limiter: RateLimiter::default(),
        }
    }

    pub async fn handle(&self, event: Value) -> Result<Response, HandlerError> {
        let account_id = self
            .aws
            .account_id()
            .await
            .map_err(|source| HandlerError::Aws {
                context: "cannot read the deployment's account id".to_string(),
                source,
            })?;
        let filter = EventFilter {
            account_id,
            allowed_accounts: self.settings.allowed_accounts.clone(),
            own_role_name: self.settings.own_role_name.clone(),
        };

        // Classify: skip what is not ours, reject what is malformed.
        let event = match classify(event, &filter)? {
            Disposition::Skip { reason } => {
                info!(reason = %reason, "event skipped");
                return Ok(Response::Skipped { reason });
            }
            Disposition::Audit(event) => event,
        };
        info!(bucket = %event.bucket, event_name = %event.event_name, event_id = ?event.event_id, "auditing bucket");

        // Gather and evaluate.
        // The collection and remediation futures are boxed: on the stack they would
        // exceed the 2 MiB of a runtime worker thread in unoptimised builds.
        let snapshot = match Box::pin(
            self.aws
                .collect_bucket(&event.bucket, &AccountFacts::Collect),
        )
        .await
        {
            Ok(snapshot) => snapshot,
            Err(AwsError::BucketNotFound { .. }) => {
                let reason = format!("bucket `{}` no longer exists", event.bucket);
                warn!(bucket = %event.bucket, "event skipped: bucket no longer exists");
                return Ok(Response::Skipped { reason });
            }
            Err(source) => {
                return Err(HandlerError::Aws {
                    context: format!("cannot read bucket `{}`", event.bucket),
                    source,
                });
            }
        };
        let mut report = evaluate(&snapshot, &self.settings.config);

        // Harden a new bucket, or repair drift, as far as the modes allow.
        let new_bucket = event.event_name == "CreateBucket";
        let applied = Box::pin(remediation::run(
            &self.aws,
            &self.settings,
            &self.limiter,
            &snapshot,
            &report,
            new_bucket,
        ))
        .await?;
        if applied.iter().any(|step| step.written) {
            let snapshot = Box::pin(
                self.aws
                    .collect_bucket(&event.bucket, &AccountFacts::Collect),
            )
            .await
            .map_err(|source| HandlerError::Aws {
                context: format!(
                    "cannot read bucket `{}` again after the remediation",
                    event.bucket
                ),
                source,
            })?;
            report = evaluate(&snapshot, &self.settings.config);
        }
        report.applied = applied;

        // Publish.
        let message = message::build(&report, &event);
        let attributes: Vec<(&str, &str)> = message
            .attributes
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let message_id = self
            .aws
            .publish(
                &self.settings.topic_arn,
                Some(&message.subject),
                &message.body,
                &attributes,
            )
            .await
            .map_err(|source| HandlerError::Aws {
                context: format!("cannot publish the report for `{}`", event.bucket),
                source,
            })?;
        let worst = report
            .worst()
            .map(|finding| format!("{} {}", finding.outcome, finding.severity));
        info!(bucket = %event.bucket, findings = report.totals.findings(), worst = ?worst, "report published");
        Ok(Response::Published {
            bucket: event.bucket,
            event_name: event.event_name,
            findings: report.totals.findings(),
            worst,
            message_id,
        })
    }
}
