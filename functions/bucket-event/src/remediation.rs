//! Hardening of new buckets and repair of drift, for the controls whose mode is
//! `remediate` (applied) or `dry-run` (planned and reported, not written).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bucketwarden_aws::{ApplyOptions, AwsContext, BackupTarget};
use bucketwarden_core::remediate::{self, HARDENING, LoggingChoice, PlanOptions, REMEDIABLE};
use bucketwarden_core::{AppliedStep, BucketReport, Setting, Snapshot};
use serde_json::json;
use tracing::{info, warn};

use crate::err::HandlerError;
use crate::settings::{LoggingSetting, Mode, Settings};

/// The time of each bucket's last remediation in this execution environment.
#[derive(Clone, Debug, Default)]
pub struct RateLimiter {
    last: Arc<Mutex<HashMap<String, Instant>>>,
}

impl RateLimiter {
    /// Records a remediation of `bucket` now, unless one happened within the window;
    /// returns the seconds since the last one when it did.
    fn try_start(&self, bucket: &str, settings: &Settings) -> Result<(), u64> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if let Some(previous) = last.get(bucket) {
            let elapsed = now.duration_since(*previous);
            if elapsed < settings.min_time_between_remediations {
                return Err(elapsed.as_secs());
            }
        }
        last.insert(bucket.to_string(), now);
        Ok(())
    }
}

/// Plans and applies the fixes the modes allow. Returns the steps, written or not;
/// an empty list when there is nothing to do. A plan that cannot be made is logged
/// and leaves the report as it is.
pub async fn run(
    aws: &AwsContext,
    settings: &Settings,
    limiter: &RateLimiter,
    snapshot: &Snapshot,
    report: &BucketReport,
    new_bucket: bool,
) -> Result<Vec<AppliedStep>, HandlerError> {
    // A new bucket gets the hardening and also the repair of its findings. It can have
    // drifted before its CreateBucket event arrives, and the rate limit would then keep
    // the events after it from repairing the drift.
    let mut candidates: Vec<&str> = report
        .findings()
        .into_iter()
        .map(|finding| finding.id.as_str())
        .filter(|id| REMEDIABLE.contains(id))
        .collect();
    if new_bucket {
        for id in HARDENING {
            if !candidates.contains(id) {
                candidates.push(id);
            }
        }
    }
    let mut remediate: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|id| settings.mode(id) == Mode::Remediate)
        .collect();
    let mut dry_run: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|id| settings.mode(id) == Mode::DryRun)
        .collect();
    if remediate.is_empty() && dry_run.is_empty() {
        return Ok(Vec::new());
    }

    let bucket = snapshot.bucket.as_str();
    let mut rate_limited = None;
    if !remediate.is_empty()
        && let Err(seconds) = limiter.try_start(bucket, settings)
    {
        info!(
            bucket,
            seconds_since_last = seconds,
            "remediation rate limited; planning only"
        );
        rate_limited = Some(format!(
            "rate limited: this bucket was remediated {seconds} s ago, less than {} s",
            settings.min_time_between_remediations.as_secs()
        ));
        dry_run.append(&mut remediate);
    }

    let logging = match Box::pin(logging_choice(aws, settings, bucket)).await {
        Ok(choice) => choice,
        Err(error) => {
            warn!(bucket, error = %error, "cannot prepare the logging option; access-logging is left out");
            None
        }
    };
    if logging.is_none() {
        remediate.retain(|id| *id != "access-logging");
        dry_run.retain(|id| *id != "access-logging");
    }
    let options = PlanOptions {
        logging,
        kms_key_arn: None,
    };

    let mut applied = Vec::new();
    if !remediate.is_empty() {
        match remediate::plan(snapshot, &remediate, &options) {
            Ok(plan) if plan.is_empty() => info!(bucket, "nothing to change"),
            Ok(plan) => {
                let apply_options = ApplyOptions {
                    backup: BackupTarget {
                        bucket: settings.backup_bucket.clone(),
                        directory: None,
                    },
                    config: settings.config.clone(),
                    dry_run: false,
                    stop_when_changed: false,
                    lease_bucket: settings.backup_bucket.clone(),
                };
                let steps = aws
                    .apply_plan(&plan, &apply_options)
                    .await
                    .map_err(|source| HandlerError::Aws {
                        context: format!("cannot apply the plan for `{bucket}`"),
                        source,
                    })?;
                for step in &steps {
                    info!(bucket = %step.step.bucket, call = step.step.call(), written = step.written,
                        verified = step.verified, "remediation step");
                }
                applied.extend(steps);
            }
            Err(error) => warn!(bucket, error = %error, "cannot plan the remediation"),
        }
    }
    if !dry_run.is_empty() {
        match remediate::plan(snapshot, &dry_run, &options) {
            Ok(plan) => applied.extend(plan.steps.into_iter().map(|step| {
                AppliedStep {
                    step,
                    backups: Vec::new(),
                    written: false,
                    verified: false,
                    note: Some(
                        rate_limited
                            .clone()
                            .unwrap_or_else(|| "dry run: not written".to_string()),
                    ),
                }
            })),
            Err(error) => warn!(bucket, error = %error, "cannot plan the dry run"),
        }
    }
    Ok(applied)
}

async fn logging_choice(
    aws: &AwsContext,
    settings: &Settings,
    bucket: &str,
) -> Result<Option<LoggingChoice>, bucketwarden_core::snapshot::CallError> {
    match &settings.logging {
        None => Ok(None),
        Some(LoggingSetting::ServerAccess { log_bucket, prefix }) => {
            if log_bucket == bucket {
                return Ok(None);
            }
            let log_bucket_policy = aws.read_setting(log_bucket, &Setting::BucketPolicy).await?;
            Ok(Some(LoggingChoice::ServerAccess {
                log_bucket: log_bucket.clone(),
                prefix: prefix.clone().unwrap_or_else(|| format!("{bucket}/")),
                log_bucket_policy,
            }))
        }
        Some(LoggingSetting::CloudTrail { trail }) => {
            let location = aws.find_trail(trail).await?;
            let setting = Setting::TrailEventSelectors {
                trail_arn: location.arn.clone(),
                home_region: location.home_region.clone(),
            };
            let selectors = aws
                .read_setting(bucket, &setting)
                .await?
                .unwrap_or_else(|| json!({}));
            Ok(Some(LoggingChoice::CloudTrail {
                trail_arn: location.arn,
                home_region: location.home_region,
                selectors,
            }))
        }
    }
}
