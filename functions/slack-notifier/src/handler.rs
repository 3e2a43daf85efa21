//! The handler: read each SNS record, apply the severity filter, post to Slack.

use std::collections::BTreeMap;

use aws_lambda_events::sns::{SnsEvent, SnsMessage};
use bucketwarden_core::Severity;
use bucketwarden_core::render::clean;
use serde::Serialize;
use serde_json::Value;
use tracing::{error, info, trace, warn};

use crate::blocks::{self, SlackMessage};
use crate::err::HandlerError;
use crate::message::{self, KIND_ACCOUNT, KIND_BUCKET, Report};
use crate::post::SlackClient;

/// The outcome of one SNS record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RecordOutcome {
    Posted {
        kind: Option<String>,
        bucket: Option<String>,
        attempts: u32,
    },
    Skipped {
        kind: Option<String>,
        bucket: Option<String>,
        reason: String,
    },
}

/// The function's return value: the outcome of each record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Response {
    pub records: Vec<RecordOutcome>,
}

/// Returns why a message is not posted, or `None` to post it.
///
/// Account summaries are always posted. Other messages are skipped when their
/// severity is `none` or below `min`. A message without a severity, or with one
/// this function does not know, is posted, so that nothing is lost silently.
pub fn skip_reason(kind: Option<&str>, severity: Option<&str>, min: Severity) -> Option<String> {
    if kind == Some(KIND_ACCOUNT) {
        return None;
    }
    match severity? {
        "none" => Some("no active findings".to_string()),
        text => {
            let severity: Severity = text.parse().ok()?;
            (severity < min).then(|| format!("severity {severity} is below the minimum {min}"))
        }
    }
}

/// The Slack client and the filter, built once per execution environment.
#[derive(Clone, Debug)]
pub struct Handler {
    slack: SlackClient,
    min_severity: Severity,
}

impl Handler {
    pub fn new(slack: SlackClient, min_severity: Severity) -> Self {
        Self {
            slack,
            min_severity,
        }
    }

    /// Handles one invocation. SNS sends one record per invocation, but every
    /// record is handled; the first failed post ends the invocation with
    /// `SlackPostFailed`, so that Lambda retries it.
    pub async fn handle(&self, event: Value) -> Result<Response, HandlerError> {
        let event: SnsEvent = serde_json::from_value(event)
            .map_err(|error| HandlerError::MalformedEvent(format!("not an SNS event: {error}")))?;
        if event.records.is_empty() {
            return Err(HandlerError::MalformedEvent(
                "the SNS event has no records".to_string(),
            ));
        }
        let mut records = Vec::with_capacity(event.records.len());
        for record in &event.records {
            records.push(self.handle_message(&record.sns).await?);
        }
        Ok(Response { records })
    }

    async fn handle_message(&self, sns: &SnsMessage) -> Result<RecordOutcome, HandlerError> {
        let attributes: BTreeMap<&str, &str> = sns
            .message_attributes
            .iter()
            .filter(|(_, attribute)| attribute.data_type == "String")
            .map(|(name, attribute)| (name.as_str(), attribute.value.as_str()))
            .collect();
        let subject = sns.subject.as_deref();
        let report = message::parse_report(&sns.message, attributes.get("kind").copied());
        let Facts {
            kind,
            bucket,
            severity,
        } = Facts::of(&attributes, &report);
        let log_bucket = clean(bucket.as_deref().unwrap_or("-"));
        let log_kind = clean(kind.as_deref().unwrap_or("-"));
        let log_severity = clean(severity.as_deref().unwrap_or("-"));

        if severity
            .as_deref()
            .is_some_and(|text| text != "none" && text.parse::<Severity>().is_err())
        {
            warn!(bucket = %log_bucket, kind = %log_kind, severity = %log_severity, "unknown severity attribute; the message is posted unfiltered");
        }
        if let Some(reason) = skip_reason(kind.as_deref(), severity.as_deref(), self.min_severity) {
            info!(bucket = %log_bucket, kind = %log_kind, severity = %log_severity, outcome = "skipped", reason = %reason, message_id = %clean(&sns.message_id), "message skipped");
            return Ok(RecordOutcome::Skipped {
                kind,
                bucket,
                reason,
            });
        }

        let slack_message = match &report {
            Ok(Report::Bucket(report)) => blocks::bucket_message(subject, report),
            Ok(Report::Account(report)) => blocks::account_message(subject, report),
            Err(reason) => {
                warn!(bucket = %log_bucket, kind = %log_kind, severity = %log_severity, reason = %reason, message_id = %clean(&sns.message_id), "message is not a Bucket Warden report; posting it as plain text");
                blocks::plain_message(subject, message::email_text(&sns.message))
            }
        };
        trace!(payload = %payload_for_log(&slack_message), "Slack payload");

        match self.slack.post(&slack_message).await {
            Ok(delivery) => {
                info!(bucket = %log_bucket, kind = %log_kind, severity = %log_severity, outcome = "posted", attempts = delivery.attempts, message_id = %clean(&sns.message_id), "message posted");
                Ok(RecordOutcome::Posted {
                    kind,
                    bucket,
                    attempts: delivery.attempts,
                })
            }
            Err(post_error) => {
                error!(bucket = %log_bucket, kind = %log_kind, severity = %log_severity, outcome = "failed", status = ?post_error.status(), attempts = post_error.attempts, error = %post_error, message_id = %clean(&sns.message_id), "message not posted");
                Err(HandlerError::SlackPostFailed(post_error))
            }
        }
    }
}

/// The kind, bucket and severity of a message, from its attributes or, where
/// an attribute is missing, from its report.
#[derive(Debug)]
struct Facts {
    kind: Option<String>,
    bucket: Option<String>,
    severity: Option<String>,
}

impl Facts {
    fn of(attributes: &BTreeMap<&str, &str>, report: &Result<Report, String>) -> Facts {
        let attribute = |name: &str| attributes.get(name).map(|value| (*value).to_string());
        let (kind, bucket, severity) = match report {
            Ok(Report::Bucket(report)) => {
                let worst = report
                    .worst()
                    .map_or("none", |finding| finding.severity.as_str());
                (
                    Some(KIND_BUCKET.to_string()),
                    Some(report.bucket.clone()),
                    Some(worst.to_string()),
                )
            }
            Ok(Report::Account(_)) => (Some(KIND_ACCOUNT.to_string()), None, None),
            Err(_) => (None, None, None),
        };
        Facts {
            kind: attribute("kind").or(kind),
            bucket: attribute("bucket").or(bucket),
            severity: attribute("severity").or(severity),
        }
    }
}

fn payload_for_log(message: &SlackMessage) -> String {
    serde_json::to_string(message).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_skips_below_minimum() {
        let cases = [
            (Some("bucket"), Some("critical"), Severity::High, false),
            (Some("bucket"), Some("high"), Severity::High, false),
            (Some("bucket"), Some("medium"), Severity::High, true),
            (Some("bucket"), Some("info"), Severity::Low, true),
            (Some("bucket"), Some("info"), Severity::Info, false),
            (Some("bucket"), Some("none"), Severity::Info, true),
            (None, Some("low"), Severity::High, true),
            (Some("account"), Some("none"), Severity::Critical, false),
            (Some("account"), Some("low"), Severity::Critical, false),
            (Some("bucket"), None, Severity::Critical, false),
            (Some("bucket"), Some("unknown"), Severity::Critical, false),
        ];
        for (kind, severity, min, skipped) in cases {
            assert_eq!(
                skip_reason(kind, severity, min).is_some(),
                skipped,
                "{kind:?} {severity:?} {min}"
            );
        }
    }

    #[test]
    fn skip_reason_names_severities() {
        let reason = skip_reason(Some("bucket"), Some("medium"), Severity::High).unwrap();
        assert_eq!(reason, "severity medium is below the minimum high");
        let reason = skip_reason(Some("bucket"), Some("none"), Severity::High).unwrap();
        assert_eq!(reason, "no active findings");
    }
}
