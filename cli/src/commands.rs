//! The subcommands. Each returns whether a finding reached `--fail-on`.

use std::io::IsTerminal;
use std::path::Path;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use bucketwarden_aws::{AccountFacts, AwsContext, ClientOptions};
use bucketwarden_core::config::Exemption;
use bucketwarden_core::controls::control_ids;
use bucketwarden_core::report::UnreadBucket;
use bucketwarden_core::{AccountReport, CONTROLS, Config, Snapshot, evaluate as evaluate_snapshot};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tracing::{info, warn};

use crate::args::{
    AuditArgs, AwsArgs, ControlsArgs, EvaluateArgs, EvaluationArgs, Format, SnapshotArgs,
};
use crate::err::CliError;
use crate::output;

/// The region used when neither `--region`, `AWS_REGION` nor a profile names one.
const FALLBACK_REGION: &str = "us-east-1";

/// Progress is drawn only for audits of more buckets than this, and only at a terminal.
const PROGRESS_MIN_BUCKETS: usize = 2;

pub async fn audit(args: AuditArgs) -> Result<bool, CliError> {
    let config = evaluation_config(&args.evaluation)?;
    let aws = connect(&args.aws).await?;

    // Credentials are checked once, before any bucket is read.
    let account_id = aws.account_id().await?;
    let buckets = if args.all {
        aws.list_buckets().await?
    } else {
        args.buckets.clone()
    };
    info!(account = %account_id, buckets = buckets.len(), "audit started");

    let progress = progress_bar(buckets.len());
    let mut report = AccountReport {
        account_id: Some(account_id),
        ..AccountReport::default()
    };
    let mut snapshots = aws.collect_buckets(
        buckets,
        usize::from(args.concurrency),
        AccountFacts::Collect,
    );
    while let Some((bucket, result)) = snapshots.next().await {
        match result {
            Ok(snapshot) => report.push(evaluate_snapshot(&snapshot, &config)),
            Err(error) => {
                warn!(bucket = %bucket, error = %error, "bucket not audited");
                report.unread.push(UnreadBucket {
                    bucket,
                    reason: error.to_string(),
                });
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    report.buckets.sort_by(|a, b| a.bucket.cmp(&b.bucket));

    output::write_account(&report, args.output.format)?;
    Ok(report.has_finding_at_or_above(args.output.fail_on) || !report.unread.is_empty())
}

pub async fn snapshot(args: SnapshotArgs) -> Result<bool, CliError> {
    let aws = connect(&args.aws).await?;
    let snapshot = aws
        .collect_bucket(&args.bucket, &AccountFacts::Collect)
        .await?;
    let text = serde_json::to_string_pretty(&snapshot)? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|source| CliError::WriteFile {
            path: path.clone(),
            source,
        })?,
        None => output::write_text(&text)?,
    }
    Ok(false)
}

pub fn evaluate(args: EvaluateArgs) -> Result<bool, CliError> {
    let config = evaluation_config(&args.evaluation)?;
    let snapshot = read_snapshot(&args.snapshot)?;
    let report = evaluate_snapshot(&snapshot, &config);
    output::write_bucket(&report, args.output.format)?;
    Ok(report.has_finding_at_or_above(args.output.fail_on))
}

pub fn controls(args: ControlsArgs) -> Result<bool, CliError> {
    let text = match args.format {
        Format::Json => {
            let list: Vec<serde_json::Value> = CONTROLS
                .iter()
                .map(|control| {
                    serde_json::json!({
                        "id": control.id,
                        "title": control.title,
                        "severity": control.severity,
                        "rationale": control.rationale,
                        "remediation": control.remediation,
                        "reads": control.reads,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list)? + "\n"
        }
        Format::Text | Format::Markdown => {
            let width = CONTROLS
                .iter()
                .map(|control| control.id.len())
                .max()
                .unwrap_or(0);
            CONTROLS
                .iter()
                .map(|control| {
                    format!(
                        "{:<width$}  {:<8}  {}\n",
                        control.id,
                        control.severity.as_str(),
                        control.title
                    )
                })
                .collect()
        }
    };
    output::write_text(&text)?;
    Ok(false)
}

fn read_snapshot(path: &Path) -> Result<Snapshot, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    Snapshot::from_json(&text).map_err(|source| CliError::Snapshot {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn evaluation_config(args: &EvaluationArgs) -> Result<Config, CliError> {
    let ids = control_ids();
    let exemptions = args
        .exemptions
        .iter()
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
        .map(|text| Exemption::parse(text, &ids))
        .collect::<Result<Vec<_>, _>>()?;
    let config = Config {
        trusted_accounts: args
            .trusted_accounts
            .iter()
            .map(|id| id.trim().to_string())
            .collect(),
        trusted_organizations: args
            .trusted_organizations
            .iter()
            .map(|id| id.trim().to_string())
            .collect(),
        exemptions,
        require_object_lock: args.require_object_lock.clone(),
        require_replication: args.require_replication.clone(),
    };
    config.validate()?;
    Ok(config)
}

async fn sdk_config(region: Option<String>) -> aws_config::SdkConfig {
    let region = RegionProviderChain::first_try(region.map(aws_config::Region::new))
        .or_default_provider()
        .or_else(FALLBACK_REGION);
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await
}

pub(crate) async fn connect(args: &AwsArgs) -> Result<AwsContext, CliError> {
    let sdk_config = sdk_config(args.region.clone()).await;
    let mut options = ClientOptions::default();
    if let Some(url) = &args.endpoint_url {
        options = options.endpoint_url(url.clone());
    }
    Ok(AwsContext::new(&sdk_config, options)?)
}

fn progress_bar(buckets: usize) -> ProgressBar {
    if buckets < PROGRESS_MIN_BUCKETS || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(buckets as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} buckets {elapsed}") {
        bar.set_style(style);
    }
    bar
}
