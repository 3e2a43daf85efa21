//! Settings from the environment variables the SAM template sets.

use std::time::Duration;

use bucketwarden_core::Config;
use bucketwarden_core::controls::control_ids;

use crate::err::SettingsError;

/// SNS topic that receives the summary.
pub const ENV_TOPIC_ARN: &str = "BUCKETWARDEN_TOPIC_ARN";
/// S3 bucket for the partial results of a run and the full JSON report.
pub const ENV_REPORT_BUCKET: &str = "BUCKETWARDEN_REPORT_BUCKET";
/// SQS queue URL that carries continuation messages back to the function.
pub const ENV_CONTINUATION_QUEUE_URL: &str = "BUCKETWARDEN_CONTINUATION_QUEUE_URL";
/// How many buckets are read at once.
pub const ENV_CONCURRENCY: &str = "BUCKETWARDEN_CONCURRENCY";
/// Time left before the invocation's deadline at which no new batch is started.
pub const ENV_TIME_MARGIN_SECONDS: &str = "BUCKETWARDEN_TIME_MARGIN_SECONDS";
/// How many buckets with findings the email lists one by one.
pub const ENV_EMAIL_BUCKET_LINES: &str = "BUCKETWARDEN_EMAIL_BUCKET_LINES";

const DEFAULT_CONCURRENCY: usize = 32;
const DEFAULT_TIME_MARGIN_SECONDS: u64 = 60;
const DEFAULT_EMAIL_BUCKET_LINES: usize = 50;

#[derive(Clone, Debug)]
pub struct Settings {
    pub topic_arn: String,
    pub report_bucket: String,
    pub continuation_queue_url: String,
    pub concurrency: usize,
    pub time_margin: Duration,
    pub email_bucket_lines: usize,
    pub config: Config,
}

impl Settings {
    /// Reads the settings through `lookup` (the environment in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let required = |name: &'static str, fix: &'static str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .ok_or(SettingsError::Missing { name, fix })
        };
        let number = |name: &'static str, default: u64| -> Result<u64, SettingsError> {
            match lookup(name) {
                None => Ok(default),
                Some(text) => text.trim().parse().map_err(|_| SettingsError::Invalid {
                    name,
                    reason: format!("`{text}` is not a whole number"),
                }),
            }
        };
        let concurrency = number(ENV_CONCURRENCY, DEFAULT_CONCURRENCY as u64)?;
        if !(1..=512).contains(&concurrency) {
            return Err(SettingsError::Invalid {
                name: ENV_CONCURRENCY,
                reason: format!("{concurrency} is outside 1 to 512"),
            });
        }
        Ok(Settings {
            topic_arn: required(
                ENV_TOPIC_ARN,
                "set it to the ARN of the SNS topic that receives reports",
            )?,
            report_bucket: required(
                ENV_REPORT_BUCKET,
                "set it to the bucket that keeps the full reports",
            )?,
            continuation_queue_url: required(
                ENV_CONTINUATION_QUEUE_URL,
                "set it to the URL of the SQS queue that triggers the next invocation of a long run",
            )?,
            concurrency: usize::try_from(concurrency).unwrap_or(DEFAULT_CONCURRENCY),
            time_margin: Duration::from_secs(number(
                ENV_TIME_MARGIN_SECONDS,
                DEFAULT_TIME_MARGIN_SECONDS,
            )?),
            email_bucket_lines: usize::try_from(number(
                ENV_EMAIL_BUCKET_LINES,
                DEFAULT_EMAIL_BUCKET_LINES as u64,
            )?)
            .unwrap_or(DEFAULT_EMAIL_BUCKET_LINES),
            config: Config::from_lookup(&lookup, &control_ids())?,
        })
    }
}
