//! One invocation of a scheduled audit: audit buckets in name order, batch by batch,
//! until the account is done or the time runs short; then either hand the rest to
//! the next invocation or publish the summary.

use std::time::{Duration, Instant};

use bucketwarden_aws::{AccountFacts, AwsContext, call_error, now_iso};
use bucketwarden_core::digest::AccountDigest;
use bucketwarden_core::evaluate;
use bucketwarden_core::report::UnreadBucket;
use futures::StreamExt;
use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use crate::err::HandlerError;
use crate::report_json::ReportJson;
use crate::settings::Settings;
use crate::store::{self, Part};
use crate::trigger::{self, Continuation, ContinuationMessage, Trigger};

/// SNS accepts messages up to 256 KiB; the rest of that is left for attributes.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 - 4 * 1024;

/// The full report is uploaded in pieces of about this size (S3 needs at least 5 MiB
/// for every piece but the last).
const UPLOAD_PIECE_BYTES: usize = 8 * 1024 * 1024;

/// The result of one invocation, returned by the function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Response {
    /// The run goes on in another invocation.
    Continued {
        run_id: String,
        audited: usize,
        after: String,
    },
    /// The run finished and its summary was published.
    Published {
        run_id: String,
        buckets: usize,
        findings: usize,
        report_key: String,
        message_id: Option<String>,
    },
}

/// Clients and settings, built once per execution environment.
#[derive(Clone, Debug)]
pub struct Handler {
    aws: AwsContext,
    settings: Settings,
}

impl Handler {
    pub fn new(aws: AwsContext, settings: Settings) -> Self {
        Self { aws, settings }
    }

    /// Runs until the account is audited or `deadline` minus the time margin is near.
    /// At least one batch is audited per invocation, so a run always moves forward.
    pub async fn handle(&self, event: Value, deadline: Instant) -> Result<Response, HandlerError> {
        let continuation = match trigger::parse(&event)? {
            Trigger::Schedule => {
                let started_at = now_iso();
                let stamp: String = started_at
                    .chars()
                    .filter(|c| *c != ':' && *c != '-')
                    .collect();
                // Nanoseconds keep two runs started within one millisecond apart.
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.subsec_nanos())
                    .unwrap_or_default();
                let run_id = format!("{stamp}-{nanos:09}");
                Continuation {
                    run_id,
                    started_at,
                    after: String::new(),
                    invocations: 0,
                }
            }
            Trigger::Continue(continuation) => continuation,
        };
        let invocation = continuation.invocations + 1;
        let run_id = continuation.run_id.clone();
        info!(run_id = %run_id, invocation, after = %continuation.after, "scheduled audit invocation started");

        // List, then keep the buckets after the cursor, in name order.
        let mut buckets = self
            .aws
            .list_buckets()
            .await
            .map_err(|source| HandlerError::Aws {
                context: "cannot list the account's buckets".to_string(),
                source,
            })?;
        buckets.sort();
        buckets.retain(|bucket| bucket.as_str() > continuation.after.as_str());

        // Audit batch by batch while time allows.
        let mut audited = 0;
        let mut last = continuation.after.clone();
        for (index, batch) in buckets.chunks(self.settings.concurrency).enumerate() {
            if index > 0 && time_left(deadline) < self.settings.time_margin {
                break;
            }
            let part = Box::pin(self.audit_batch(batch)).await;
            let key = store::part_key(&run_id, invocation, index);
            store::put_json(&self.aws, &self.settings.report_bucket, &key, &part)
                .await
                .map_err(|error| storage("cannot store a partial result", error))?;
            audited += batch.len();
            if let Some(name) = batch.last() {
                last.clone_from(name);
            }
        }

        // Hand the rest to the next invocation.
        if audited < buckets.len() {
            let message = ContinuationMessage {
                continuation: Continuation {
                    run_id: run_id.clone(),
                    started_at: continuation.started_at.clone(),
                    after: last.clone(),
                    invocations: invocation,
                },
            };
            self.send_continuation(&message).await?;
            info!(run_id = %run_id, audited, remaining = buckets.len() - audited, "run continues in another invocation");
            return Ok(Response::Continued {
                run_id,
                audited,
                after: last,
            });
        }

        Box::pin(self.finish(&run_id)).await
    }

    async fn audit_batch(&self, batch: &[String]) -> Part {
        let mut part = Part::default();
        let mut snapshots = self.aws.collect_buckets(
            batch.to_vec(),
            self.settings.concurrency,
            AccountFacts::Collect,
        );
        while let Some((bucket, result)) = snapshots.next().await {
            match result {
                Ok(snapshot) => part
                    .buckets
                    .push(evaluate(&snapshot, &self.settings.config)),
                Err(error) => {
                    warn!(bucket = %bucket, error = %error, "bucket not audited");
                    part.unread.push(UnreadBucket {
                        bucket,
                        reason: error.to_string(),
                    });
                }
            }
        }
        part
    }

    async fn send_continuation(&self, message: &ContinuationMessage) -> Result<(), HandlerError> {
        let body = serde_json::to_string(message).map_err(|error| {
            HandlerError::MalformedEvent(format!("cannot serialise the continuation: {error}"))
        })?;
        let sqs = aws_sdk_sqs::Client::new(self.aws.clients().sdk_config());
        sqs.send_message()
            .queue_url(&self.settings.continuation_queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|error| storage("cannot send the continuation message", call_error(&error)))?;
        Ok(())
    }

    /// Merges the run's parts, stores the full report and publishes the summary.
    /// Parts are read one at a time and the report is written as it grows, so the
    /// memory a run needs does not grow with the number of buckets.
    async fn finish(&self, run_id: &str) -> Result<Response, HandlerError> {
        let account_id = self
            .aws
            .account_id()
            .await
            .map_err(|source| HandlerError::Aws {
                context: "cannot read the account id".to_string(),
                source,
            })?;
        let report_bucket = self.settings.report_bucket.as_str();
        let keys = store::part_keys(&self.aws, report_bucket, run_id)
            .await
            .map_err(|error| storage("cannot list the run's partial results", error))?;

        let report_key = store::report_key(run_id);
        let mut digest =
            AccountDigest::new(Some(account_id.clone()), self.settings.email_bucket_lines);
        let mut json = ReportJson::new(Some(&account_id)).map_err(serialisation)?;
        let mut object = store::ObjectWriter::new(&self.aws, report_bucket, &report_key).await;
        let mut pieces = 0;
        let written: Result<Vec<u8>, HandlerError> = async {
            for key in &keys {
                let mut part = store::read_part(&self.aws, report_bucket, key)
                    .await
                    .map_err(|error| storage("cannot read a partial result", error))?;
                part.buckets.sort_by(|a, b| a.bucket.cmp(&b.bucket));
                for bucket in &part.buckets {
                    digest.add_bucket(bucket);
                    json.push_bucket(bucket).map_err(serialisation)?;
                }
                for unread in part.unread {
                    digest.add_unread(&unread);
                    json.push_unread(unread);
                }
                if let Some(piece) = json.take_at_least(UPLOAD_PIECE_BYTES) {
                    pieces += 1;
                    object
                        .send(piece)
                        .await
                        .map_err(|error| storage("cannot store the full report", error))?;
                }
            }
            json.finish().map_err(serialisation)
        }
        .await;
        let last = match written {
            Ok(last) => last,
            Err(error) => {
                object.abort().await;
                return Err(error);
            }
        };
        // A report sent in one piece is still in memory: the message can carry it.
        let whole = (pieces == 0 && last.len() <= MAX_MESSAGE_BYTES).then(|| last.clone());
        object
            .finish(last)
            .await
            .map_err(|error| storage("cannot store the full report", error))?;
        let location = format!("s3://{report_bucket}/{report_key}");

        let message = summary_message(digest.email_body(Some(&location)), whole.as_deref());
        let subject = digest.email_subject();
        let severity = digest
            .worst_severity()
            .map_or("none", |severity| severity.as_str());
        let findings = digest.findings().to_string();
        let attributes = [
            ("kind", "account"),
            ("severity", severity),
            ("findings", findings.as_str()),
        ];
        let message_id = self
            .aws
            .publish(
                &self.settings.topic_arn,
                Some(&subject),
                &message,
                &attributes,
            )
            .await
            .map_err(|source| HandlerError::Aws {
                context: "cannot publish the summary".to_string(),
                source,
            })?;
        info!(
            run_id,
            buckets = digest.buckets() - digest.unread(),
            unread = digest.unread(),
            findings = digest.findings(),
            "summary published"
        );
        Ok(Response::Published {
            run_id: run_id.to_string(),
            buckets: digest.buckets(),
            findings: digest.findings(),
            report_key,
            message_id,
        })
    }
}

/// Builds the email text, followed by the JSON report when it fits in one SNS message.
fn summary_message(text: String, json: Option<&[u8]>) -> String {
    let header = "\n--- JSON report ---\n";
    match json.and_then(|json| std::str::from_utf8(json).ok()) {
        Some(json) if text.len() + header.len() + json.len() <= MAX_MESSAGE_BYTES => {
            text + header + json
        }
        _ => text,
    }
}

fn serialisation(error: serde_json::Error) -> HandlerError {
    storage(
        "cannot serialise the full report",
        bucketwarden_core::snapshot::CallError::new("SerializationFailed", error.to_string()),
    )
}

fn time_left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

fn storage(context: &str, error: bucketwarden_core::snapshot::CallError) -> HandlerError {
    HandlerError::Storage {
        context: context.to_string(),
        error,
    }
}
