//! One audit run as a child process, and the figures derived from it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::allowance::Allowance;
use crate::fixtures::{Bucket, BucketCounts, EncryptionKind};

/// GNU time, which reports the child's CPU time and maximum resident set size.
const GNU_TIME: &str = "/usr/bin/time";

/// Settings shared by every run.
#[derive(Debug)]
pub struct Settings {
    pub binary: PathBuf,
    pub endpoint: String,
    pub concurrency: u16,
    pub latency: Duration,
    pub seed: u64,
    /// Whether ListBuckets names each bucket's region (`<BucketRegion>`).
    pub list_bucket_region: bool,
    pub timeout: Duration,
}

/// The measurements of one child process run.
#[derive(Debug)]
pub struct Measured {
    wall: Duration,
    user_s: f64,
    sys_s: f64,
    max_rss_kb: u64,
    exit_code: Option<i32>,
    buckets_reported: usize,
    by_outcome: BTreeMap<String, u64>,
    totals: Value,
}

/// Returns the directory of the audit output, time and standard error files of
/// this harness process. A failed run leaves them there for inspection.
pub fn scratch_directory() -> PathBuf {
    std::env::temp_dir().join(format!("bucketwarden-bench-{}", std::process::id()))
}

/// Runs the audit once under GNU time and checks that its JSON report has
/// `bucket_count` buckets and no unread bucket.
pub fn run_audit(settings: &Settings, bucket_count: usize) -> anyhow::Result<Measured> {
    let directory = scratch_directory();
    std::fs::create_dir_all(&directory)?;
    let report_path = directory.join("audit.json");
    let stderr_path = directory.join("audit.stderr");
    let time_path = directory.join("time.txt");

    let mut command = Command::new(GNU_TIME);
    command
        .arg("-f")
        .arg("%e %U %S %M")
        .arg("-o")
        .arg(&time_path)
        .arg(&settings.binary)
        .args([
            "audit",
            "--all",
            "--format",
            "json",
            "--region",
            "us-east-1",
        ])
        .arg("--endpoint-url")
        .arg(&settings.endpoint)
        .arg("--concurrency")
        .arg(settings.concurrency.to_string())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .stdout(File::create(&report_path)?)
        .stderr(File::create(&stderr_path)?)
        // Its own process group, so a run past the time limit is killed with its child.
        .process_group(0);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("failed to start {GNU_TIME}; install GNU time"))?;
    let process_group = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait();
        let _ = sender.send((status, Instant::now()));
    });
    let (status, ended) = match receiver.recv_timeout(settings.timeout) {
        Ok((status, ended)) => (status?, ended),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{process_group}")])
                .status();
            bail!(
                "the audit of {bucket_count} buckets timed out after {} s and was killed",
                settings.timeout.as_secs()
            );
        }
    };
    let wall = ended - started;

    let time_text = std::fs::read_to_string(&time_path)?;
    let fields: Vec<&str> = time_text
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    if fields.len() != 4 {
        bail!("unexpected output of {GNU_TIME}: {time_text:?}");
    }

    let report: Value =
        serde_json::from_slice(&std::fs::read(&report_path)?).with_context(|| {
            format!(
                "the audit output is not JSON (exit status {status}); see {}",
                stderr_path.display()
            )
        })?;
    let buckets_reported = report["buckets"].as_array().map_or(0, Vec::len);
    let unread = report["unread"].as_array().map_or(0, Vec::len);
    if buckets_reported != bucket_count || unread != 0 {
        bail!(
            "the audit reported {buckets_reported} buckets and {unread} unread, expected {bucket_count} and 0; see {}",
            report_path.display()
        );
    }
    let by_outcome = report["totals"]["by_outcome"]
        .as_object()
        .map(|counts| {
            counts
                .iter()
                .map(|(outcome, count)| (outcome.clone(), count.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();

    Ok(Measured {
        wall,
        user_s: fields[1].parse()?,
        sys_s: fields[2].parse()?,
        max_rss_kb: fields[3].parse()?,
        exit_code: status.code(),
        buckets_reported,
        by_outcome,
        totals: report["totals"].clone(),
    })
}

/// Returns the sum over buckets of the round trips that one bucket's audit
/// must wait for one after the other: HeadBucket (unless ListBuckets named the
/// region), the eleven concurrent reads, then DescribeKey for an SSE-KMS bucket.
pub fn sequential_round_trips(settings: &Settings, bucket_count: usize) -> u64 {
    let head_bucket = u64::from(!settings.list_bucket_region);
    (0..bucket_count)
        .map(|index| {
            let describe_key =
                u64::from(Bucket::new(settings.seed, index).encryption == EncryptionKind::Kms);
            head_bucket + 1 + describe_key
        })
        .sum()
}

/// The figures of one run.
#[derive(Debug)]
pub struct Run {
    pub wall_s: f64,
    pub cpu_s: f64,
    pub user_s: f64,
    pub sys_s: f64,
    pub peak_rss_mb: f64,
    pub exit_code: Option<i32>,
    pub requests: u64,
    pub requests_per_bucket: f64,
    pub floor_s: f64,
    pub wall_over_floor: f64,
    pub path_floor_s: f64,
    pub cpu_ms_per_bucket: f64,
    pub requests_by_operation: BTreeMap<String, u64>,
    pub allowance: Allowance,
    pub by_outcome: BTreeMap<String, u64>,
    /// The `totals` object of the audit's JSON report.
    pub totals: Value,
}

impl Run {
    pub fn new(
        settings: &Settings,
        bucket_count: usize,
        measured: Measured,
        requests_by_operation: BTreeMap<String, u64>,
    ) -> Self {
        let buckets = measured.buckets_reported.max(1) as f64;
        let requests: u64 = requests_by_operation.values().sum();
        let latency_s = settings.latency.as_secs_f64();
        let concurrency = f64::from(settings.concurrency);
        let floor_s = requests as f64 * latency_s / concurrency;
        let path_floor_s =
            sequential_round_trips(settings, bucket_count) as f64 * latency_s / concurrency;
        let wall_s = measured.wall.as_secs_f64();
        let cpu_s = measured.user_s + measured.sys_s;
        let allowance = Allowance::compare(
            BucketCounts::of(settings.seed, bucket_count),
            settings.list_bucket_region,
            &requests_by_operation,
        );
        Self {
            wall_s,
            cpu_s,
            user_s: measured.user_s,
            sys_s: measured.sys_s,
            peak_rss_mb: measured.max_rss_kb as f64 / 1024.0,
            exit_code: measured.exit_code,
            requests,
            requests_per_bucket: requests as f64 / buckets,
            floor_s,
            wall_over_floor: if floor_s > 0.0 { wall_s / floor_s } else { 0.0 },
            path_floor_s,
            cpu_ms_per_bucket: cpu_s * 1000.0 / buckets,
            requests_by_operation,
            allowance,
            by_outcome: measured.by_outcome,
            totals: measured.totals,
        }
    }
}

/// Minimum, median and maximum of one figure over the runs.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    /// Computes the spread of `values`, which must not be empty. The median of an
    /// even count is the mean of the two middle values.
    pub fn of(values: impl Iterator<Item = f64>) -> Self {
        let mut values: Vec<f64> = values.collect();
        values.sort_by(f64::total_cmp);
        let count = values.len();
        let median = if count % 2 == 1 {
            values[count / 2]
        } else {
            (values[count / 2 - 1] + values[count / 2]) / 2.0
        };
        Self {
            min: values[0],
            median,
            max: values[count - 1],
        }
    }
}

/// The runs of one bucket count and their spreads.
#[derive(Debug)]
pub struct Summary {
    pub buckets: usize,
    pub wall_s: Spread,
    pub cpu_s: Spread,
    pub cpu_ms_per_bucket: Spread,
    pub peak_rss_mb: Spread,
    pub requests_per_bucket: Spread,
    pub floor_s: Spread,
    pub wall_over_floor: Spread,
    pub path_floor_s: f64,
    pub runs: Vec<Run>,
}

impl Summary {
    /// Summarizes `runs`, which must not be empty.
    pub fn new(buckets: usize, runs: Vec<Run>) -> Self {
        let spread = |figure: fn(&Run) -> f64| Spread::of(runs.iter().map(figure));
        Self {
            buckets,
            wall_s: spread(|run| run.wall_s),
            cpu_s: spread(|run| run.cpu_s),
            cpu_ms_per_bucket: spread(|run| run.cpu_ms_per_bucket),
            peak_rss_mb: spread(|run| run.peak_rss_mb),
            requests_per_bucket: spread(|run| run.requests_per_bucket),
            floor_s: spread(|run| run.floor_s),
            wall_over_floor: spread(|run| run.wall_over_floor),
            path_floor_s: runs[0].path_floor_s,
            runs,
        }
    }
}
