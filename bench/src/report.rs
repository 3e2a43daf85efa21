//! BENCHMARKS.md and bench/results.json.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::measure::{Settings, Spread, Summary};

/// The bucket count that the targets are stated for.
const TARGET_BUCKETS: usize = 10_000;
const TARGET_WALL_OVER_FLOOR: f64 = 1.25;
const TARGET_PEAK_RSS_MB: f64 = 100.0;
const TARGET_CPU_MS_PER_BUCKET: f64 = 1.0;
/// The eleven bucket reads plus one region lookup (HeadBucket).
const TARGET_REQUESTS_PER_BUCKET: f64 = 12.0;

/// The machine that the runs were measured on.
#[derive(Debug)]
pub struct Machine {
    pub cpus: usize,
    pub memory_mb: u64,
    pub cpu_model: String,
    pub kernel: String,
    pub rustc: String,
    pub commit: String,
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .unwrap_or_default()
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map(|(_, model)| model.trim().to_owned())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kb: u64 = meminfo
            .lines()
            .find(|line| line.starts_with("MemTotal:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0);
        let mut commit = command_output("git", &["rev-parse", "--short", "HEAD"]);
        if !command_output("git", &["status", "--porcelain"]).is_empty() {
            commit.push_str(" (with uncommitted changes)");
        }
        Self {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            memory_mb: memory_kb / 1024,
            cpu_model,
            kernel: command_output("uname", &["-sr"]),
            rustc: command_output("rustc", &["--version"]),
            commit,
        }
    }
}

/// Everything that the two output files contain.
#[derive(Debug)]
pub struct Report<'a> {
    pub machine: Machine,
    pub command: String,
    pub settings: &'a Settings,
    pub runs: usize,
    pub results: Vec<Summary>,
}

fn spread_json(spread: Spread) -> Value {
    json!({ "min": spread.min, "median": spread.median, "max": spread.max })
}

/// One row of the target table.
struct Target {
    name: &'static str,
    goal: String,
    measured: Option<f64>,
    met: Option<bool>,
    reason: String,
}

impl Report<'_> {
    fn target_summary(&self) -> Option<&Summary> {
        self.results
            .iter()
            .find(|summary| summary.buckets == TARGET_BUCKETS)
    }

    /// Describes how the median peak RSS grows per bucket between the two
    /// largest bucket counts, or returns an empty string with fewer than two.
    fn rss_growth(&self) -> String {
        let mut sorted: Vec<&Summary> = self.results.iter().collect();
        sorted.sort_by_key(|summary| summary.buckets);
        let [.., smaller, larger] = sorted.as_slice() else {
            return String::new();
        };
        let buckets = larger.buckets.saturating_sub(smaller.buckets).max(1) as f64;
        let growth_kb = (larger.peak_rss_mb.median - smaller.peak_rss_mb.median) * 1024.0 / buckets;
        format!(
            "grows by {growth_kb:.1} KB per bucket from {} to {} buckets",
            smaller.buckets, larger.buckets
        )
    }

    fn targets(&self) -> Vec<Target> {
        let at_target = self.target_summary();
        let largest = self.results.iter().max_by_key(|summary| summary.buckets);
        let check = |measured: Option<f64>, pass: fn(f64) -> bool| measured.map(pass);

        let wall = at_target.map(|summary| summary.wall_over_floor.median);
        let rss = at_target.map(|summary| summary.peak_rss_mb.median);
        let cpu = largest.map(|summary| summary.cpu_ms_per_bucket.median);
        let requests = largest.map(|summary| summary.requests_per_bucket.median);

        let requests_reason = largest
            .and_then(|summary| summary.runs.first())
            .map(|run| {
                let by_operation = &run.requests_by_operation;
                let count = |operation: &str| by_operation.get(operation).copied().unwrap_or(0);
                let describe_key = count("DescribeKey");
                let head_bucket = count("HeadBucket");
                let reads: u64 = by_operation
                    .iter()
                    .filter(|(operation, _)| {
                        operation.starts_with("GetBucket")
                            || *operation == "GetPublicAccessBlock"
                            || *operation == "GetObjectLockConfiguration"
                    })
                    .map(|(_, count)| count)
                    .sum();
                let other = run.requests - describe_key - head_bucket - reads;
                format!(
                    "at {} buckets: {reads} bucket reads, {head_bucket} HeadBucket, {describe_key} DescribeKey (one per SSE-KMS bucket), {other} account-level and ListBuckets requests",
                    summary_buckets(largest)
                )
            })
            .unwrap_or_default();

        vec![
            Target {
                name: "wall / floor at 10,000 buckets",
                goal: format!("≤ {TARGET_WALL_OVER_FLOOR}"),
                measured: wall,
                met: check(wall, |value| value <= TARGET_WALL_OVER_FLOOR),
                reason: String::new(),
            },
            Target {
                name: "peak RSS at 10,000 buckets",
                goal: format!("< {TARGET_PEAK_RSS_MB} MB"),
                measured: rss,
                met: check(rss, |value| value < TARGET_PEAK_RSS_MB),
                reason: self.rss_growth(),
            },
            Target {
                name: "CPU time per bucket",
                goal: format!("< {TARGET_CPU_MS_PER_BUCKET} ms"),
                measured: cpu,
                met: check(cpu, |value| value < TARGET_CPU_MS_PER_BUCKET),
                reason: format!("at {} buckets", summary_buckets(largest)),
            },
            Target {
                name: "requests per bucket",
                goal: format!("≤ {TARGET_REQUESTS_PER_BUCKET} (11 reads + 1 region lookup)"),
                measured: requests,
                met: check(requests, |value| value <= TARGET_REQUESTS_PER_BUCKET),
                reason: requests_reason,
            },
        ]
    }

    pub fn to_json(&self) -> Value {
        let machine = &self.machine;
        let results: Vec<Value> = self
            .results
            .iter()
            .map(|summary| {
                let runs: Vec<Value> = summary
                    .runs
                    .iter()
                    .map(|run| {
                        json!({
                            "wall_s": run.wall_s,
                            "cpu_s": run.cpu_s,
                            "user_s": run.user_s,
                            "sys_s": run.sys_s,
                            "cpu_ms_per_bucket": run.cpu_ms_per_bucket,
                            "peak_rss_mb": run.peak_rss_mb,
                            "exit_code": run.exit_code,
                            "requests": run.requests,
                            "requests_per_bucket": run.requests_per_bucket,
                            "floor_s": run.floor_s,
                            "wall_over_floor": run.wall_over_floor,
                            "requests_by_operation": run.requests_by_operation,
                            "outcomes": run.by_outcome,
                        })
                    })
                    .collect();
                json!({
                    "buckets": summary.buckets,
                    "wall_s": spread_json(summary.wall_s),
                    "cpu_s": spread_json(summary.cpu_s),
                    "cpu_ms_per_bucket": spread_json(summary.cpu_ms_per_bucket),
                    "peak_rss_mb": spread_json(summary.peak_rss_mb),
                    "requests_per_bucket": spread_json(summary.requests_per_bucket),
                    "floor_s": spread_json(summary.floor_s),
                    "wall_over_floor": spread_json(summary.wall_over_floor),
                    "round_trip_floor_s": summary.path_floor_s,
                    "runs": runs,
                })
            })
            .collect();
        let targets: Vec<Value> = self
            .targets()
            .into_iter()
            .map(|target| {
                json!({
                    "target": target.name,
                    "goal": target.goal,
                    "measured_median": target.measured,
                    "met": target.met,
                    "detail": target.reason,
                })
            })
            .collect();
        json!({
            "machine": {
                "cpus": machine.cpus,
                "memory_mb": machine.memory_mb,
                "cpu_model": machine.cpu_model,
                "kernel": machine.kernel,
                "rustc": machine.rustc,
                "commit": machine.commit,
            },
            "command": self.command,
            "latency_ms": self.settings.latency.as_millis(),
            "concurrency": self.settings.concurrency,
            "runs_per_bucket_count": self.runs,
            "seed": self.settings.seed,
            "list_buckets_sends_region": self.settings.list_bucket_region,
            "results": results,
            "targets": targets,
        })
    }

    pub fn to_markdown(&self) -> String {
        let machine = &self.machine;
        let settings = self.settings;
        let latency_ms = settings.latency.as_millis();
        let mut text = String::new();
        let _ = writeln!(
            text,
            "# Benchmarks\n\n\
             Figures of `bucketwarden audit --all` against a local canned-response AWS endpoint, \
             written by `make bench` (the `bucketwarden-bench` crate in `bench/`). \
             The same figures, with every run, are in `bench/results.json`.\n\n\
             ## Machine\n\n\
             - CPUs: {} ({})\n- Memory: {} MB\n- Kernel: {}\n- Compiler: {}\n- Commit: {}\n",
            machine.cpus,
            machine.cpu_model,
            machine.memory_mb,
            machine.kernel,
            machine.rustc,
            machine.commit,
        );
        let _ = writeln!(
            text,
            "## Method\n\n\
             The harness serves every call of an audit from 127.0.0.1 over HTTP/1.1 with keep-alive, \
             and sends each response {latency_ms} ms after the request arrived. It routes by the \
             service name in the SigV4 credential scope and by method, path and query, and counts \
             requests per operation. The account has N buckets spread evenly over us-east-1, \
             eu-west-1 and ap-southeast-2, whose settings follow from the seed ({seed}): 5 % with a \
             public bucket policy, 45 % with a TLS-only policy, 10 % without an encryption \
             configuration, 25 % with SSE-KMS (the audit then sends DescribeKey), 40 % versioned, \
             10 % with versioning suspended, 85 % of the non-public buckets with Block Public Access. \
             {region_source} The account has no CloudTrail trail, GuardDuty detector or Access \
             Analyzer analyzer, so the account-level reads stop after the first call.\n\n\
             Each run starts `{binary}` under GNU time (`/usr/bin/time`), which \
             gives the user and system CPU time and the maximum resident set size of the audit \
             process. Wall time is measured by the harness from start to exit. Each run's JSON \
             report is parsed and must list every bucket and no unread bucket. The endpoint runs in \
             the harness process on two tokio worker threads and shares the CPUs with the audit.\n\n\
             - floor = requests × latency / concurrency, the time that the requests take if \
             exactly `--concurrency` of them are always in flight.\n\
             - round-trip floor = (round trips per bucket that wait on one another, summed over \
             buckets) × latency / concurrency. A bucket waits on HeadBucket, then on its eleven \
             reads sent at once, then on DescribeKey for an SSE-KMS bucket. The audit sends a \
             bucket's reads concurrently, so it can finish below the first floor, but not below \
             this one.\n",
            seed = settings.seed,
            binary = settings.binary.display(),
            region_source = if settings.list_bucket_region {
                "ListBuckets names each bucket's region, as AWS does, so the audit sends no HeadBucket."
            } else {
                "ListBuckets returns the names without `<BucketRegion>`, so the audit finds each \
                 region with HeadBucket (the `x-amz-bucket-region` header)."
            },
        );
        let _ = writeln!(
            text,
            "## Commands\n\n```sh\nmake bench\n# which runs\ncargo build --release -p bucketwarden\n{}\n```\n\n\
             Each audit run is:\n\n```sh\nbucketwarden audit --all --format json --endpoint-url http://127.0.0.1:PORT \
             --region us-east-1 --concurrency {}\n```\n\n\
             with `AWS_ACCESS_KEY_ID=testing`, `AWS_SECRET_ACCESS_KEY=testing`, \
             `AWS_EC2_METADATA_DISABLED=true`, `AWS_CONFIG_FILE=/dev/null` and \
             `AWS_SHARED_CREDENTIALS_FILE=/dev/null`, and no other environment but `PATH`.\n",
            self.command, settings.concurrency,
        );

        let _ = writeln!(
            text,
            "## Figures\n\n{} runs per bucket count, latency {latency_ms} ms, concurrency {}. \
             Each cell is min / median / max over the runs.\n\n\
             | buckets | wall (s) | floor (s) | wall / floor | round-trip floor (s) | CPU (s) | CPU per bucket (ms) | peak RSS (MB) | requests per bucket |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            self.runs, settings.concurrency,
        );
        for summary in &self.results {
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {:.2} | {} | {} | {} | {} |",
                summary.buckets,
                spread_cell(summary.wall_s, 2),
                spread_cell(summary.floor_s, 2),
                spread_cell(summary.wall_over_floor, 3),
                summary.path_floor_s,
                spread_cell(summary.cpu_s, 2),
                spread_cell(summary.cpu_ms_per_bucket, 3),
                spread_cell(summary.peak_rss_mb, 1),
                spread_cell(summary.requests_per_bucket, 3),
            );
        }

        let _ = writeln!(
            text,
            "\n### Requests by operation\n\nFrom the first run of each bucket count.\n"
        );
        let operations: std::collections::BTreeSet<&String> = self
            .results
            .iter()
            .filter_map(|summary| summary.runs.first())
            .flat_map(|run| run.requests_by_operation.keys())
            .collect();
        let _ = write!(text, "| operation |");
        for summary in &self.results {
            let _ = write!(text, " {} buckets |", summary.buckets);
        }
        let _ = write!(text, "\n|---|");
        for _ in &self.results {
            let _ = write!(text, "---:|");
        }
        text.push('\n');
        for operation in operations {
            let _ = write!(text, "| {operation} |");
            for summary in &self.results {
                let count = summary
                    .runs
                    .first()
                    .and_then(|run| run.requests_by_operation.get(operation))
                    .copied()
                    .unwrap_or(0);
                let _ = write!(text, " {count} |");
            }
            text.push('\n');
        }

        let _ = writeln!(
            text,
            "\n## Targets\n\nMeasured medians. A target stated for 10,000 buckets is not measured \
             when that count was not run.\n\n| target | goal | measured | result | detail |\n|---|---|---:|---|---|"
        );
        for target in self.targets() {
            let measured = target
                .measured
                .map_or_else(|| "not measured".to_owned(), |value| format!("{value:.3}"));
            let result = match target.met {
                Some(true) => "met",
                Some(false) => "not met",
                None => "not measured",
            };
            let _ = writeln!(
                text,
                "| {} | {} | {measured} | {result} | {} |",
                target.name, target.goal, target.reason
            );
        }
        text
    }
}

fn summary_buckets(summary: Option<&Summary>) -> usize {
    summary.map_or(0, |summary| summary.buckets)
}

fn spread_cell(spread: Spread, decimals: usize) -> String {
    format!(
        "{:.*} / {:.*} / {:.*}",
        decimals, spread.min, decimals, spread.median, decimals, spread.max
    )
}
