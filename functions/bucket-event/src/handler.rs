//! The handler: classify the event, audit the bucket, publish the report.

use bucketwarden_aws::{AccountFacts, AwsContext, Error as AwsError};
use bucketwarden_core::evaluate;
use serde::Serialize;
use serde_json::Value;
use tracing::{error, info, warn};

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
    /// Stores a report that could not be published in the report bucket, when one is
    /// set, and returns its location.
    async fn keep_unpublished(&self, report: &bucketwarden_core::BucketReport) -> Option<String> {
        let bucket = self.settings.report_bucket.as_deref()?;
        let key = format!(
            "unpublished/{}/{}.json",
            report.bucket,
            bucketwarden_aws::now_iso().replace(':', "")
        );
        let body = serde_json::to_vec(report).ok()?;
        let region = self
            .aws
            .bucket_region(bucket)
            .await
            .unwrap_or_else(|_| self.aws.clients().default_region().to_owned());
        let stored = self
            .aws
            .clients()
            .s3(&region)
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(body.into())
            .send()
            .await;
        match stored {
            Ok(_) => Some(format!("s3://{bucket}/{key}")),
            Err(failure) => {
                error!(bucket = %report.bucket, report_bucket = bucket, error = %bucketwarden_aws::call_error(&failure),
                    "keeping the unpublished report failed");
                None
            }
        }
    }

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
        let message_id = match self
            .aws
            .publish(
                &self.settings.topic_arn,
                Some(&message.subject),
                &message.body,
                &attributes,
            )
            .await
        {
            Ok(message_id) => message_id,
            Err(source) => {
                // The SDK has retried already. The report is kept so it is not lost, and
                // the error makes Lambda retry the event (then the dead-letter queue).
                let kept = self.keep_unpublished(&report).await;
                error!(bucket = %event.bucket, error = %source, kept = ?kept, "publishing the report failed");
                return Err(HandlerError::Aws {
                    context: format!(
                        "cannot publish the report for `{}`{}",
                        event.bucket,
                        kept.map(|location| format!("; the report was kept at {location}"))
                            .unwrap_or_default()
                    ),
                    source,
                });
            }
        };
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
