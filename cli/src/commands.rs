//! The subcommands. Each returns whether a finding reached `--fail-on`.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::Path;

use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use bucketwarden_aws::{AccountFacts, AwsContext, ClientOptions};
use bucketwarden_core::config::Exemption;
use bucketwarden_core::controls::control_ids;
use bucketwarden_core::report::UnreadBucket;
use bucketwarden_core::{CONTROLS, Config, Snapshot, evaluate as evaluate_snapshot};
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
    let mut buckets = if args.all {
        aws.list_buckets().await?
    } else {
        args.buckets.clone()
    };
    // Reports come out in name order, each bucket once.
    buckets.sort();
    buckets.dedup();
    info!(account = %account_id, buckets = buckets.len(), "audit started");

    let progress = progress_bar(buckets.len());
    let mut writer = output::AccountWriter::stdout(args.output.format, Some(&account_id))?;
    let mut finding = false;
    let mut pending = InOrder::new(&buckets);
    let mut snapshots = aws.collect_buckets(
        buckets.clone(),
        usize::from(args.concurrency),
        AccountFacts::Collect,
    );
    while let Some((bucket, result)) = snapshots.next().await {
        // Evaluated at once, so that only the report waits for its turn.
        let audited = match result {
            Ok(snapshot) => Ok(evaluate_snapshot(&snapshot, &config)),
            Err(error) => {
                warn!(bucket = %bucket, error = %error, "bucket not audited");
                Err(UnreadBucket {
                    reason: error.to_string(),
                    bucket: bucket.clone(),
                })
            }
        };
        for audited in pending.insert(&bucket, audited) {
            match audited {
                Ok(report) => {
                    finding |= report.has_finding_at_or_above(args.output.fail_on);
                    writer.bucket(&report)?;
                }
                Err(unread) => writer.unread(unread),
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();

    let unread = writer.finish(&[])?;
    Ok(finding || unread > 0)
}

/// Releases results in the order of a list, whatever order they arrive in.
///
/// A result that arrives before those listed ahead of it waits here; the
/// others go straight through. With the bounded concurrency of the collection,
/// the waiting results are those that overtook a slow bucket.
#[derive(Debug)]
struct InOrder<T> {
    positions: HashMap<String, usize>,
    waiting: BTreeMap<usize, T>,
    next: usize,
}

impl<T> InOrder<T> {
    fn new(names: &[String]) -> Self {
        Self {
            positions: names
                .iter()
                .enumerate()
                .map(|(position, name)| (name.clone(), position))
                .collect(),
            waiting: BTreeMap::new(),
            next: 0,
        }
    }

    /// Adds the result of `name` and returns those now due, in list order. A
    /// name that is not in the list is released at once.
    fn insert(&mut self, name: &str, value: T) -> Vec<T> {
        let Some(&position) = self.positions.get(name) else {
            return vec![value];
        };
        self.waiting.insert(position, value);
        let mut due = Vec::new();
        while let Some(value) = self.waiting.remove(&self.next) {
            due.push(value);
            self.next += 1;
        }
        due
    }
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

#[cfg(test)]
mod tests {
    use super::InOrder;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn in_order_releases_in_list_order() {
        let mut order = InOrder::new(&names(&["a", "b", "c", "d"]));
        assert_eq!(order.insert("c", 3), Vec::<i32>::new());
        assert_eq!(order.insert("a", 1), vec![1]);
        assert_eq!(order.insert("d", 4), Vec::<i32>::new());
        assert_eq!(order.insert("b", 2), vec![2, 3, 4]);
    }

    #[test]
    fn in_order_releases_unlisted_name_at_once() {
        let mut order = InOrder::new(&names(&["a", "b"]));
        assert_eq!(order.insert("b", 2), Vec::<i32>::new());
        assert_eq!(order.insert("z", 9), vec![9]);
        assert_eq!(order.insert("a", 1), vec![1, 2]);
    }
}
