//! BENCHMARKS.md and bench/results.json: the machine, the commands, the targets,
//! and the figures of the CLI audit. The Lambda sections are in
//! bench/src/report_lambda.rs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::allowance::Allowance;
use crate::lambda::{LambdaResults, LambdaSettings};
use crate::measure::{Settings, Spread, Summary};
use crate::report_lambda;
use crate::size::PackageSize;

/// The bucket count that the targets are stated for.
pub const TARGET_BUCKETS: usize = 10_000;
const TARGET_WALL_OVER_FLOOR: f64 = 1.25;
pub const TARGET_PEAK_RSS_MB: f64 = 100.0;
pub const TARGET_CPU_MS_PER_BUCKET: f64 = 1.0;
pub const TARGET_COLD_START_MS: f64 = 25.0;
pub const TARGET_HANDLER_OWN_MS: f64 = 5.0;
pub const TARGET_ZIPPED_MB: f64 = 10.0;

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

/// The Lambda part of a report: the settings, the measurements and the sizes.
#[derive(Debug)]
pub struct LambdaPart<'a> {
    pub settings: &'a LambdaSettings,
    pub results: LambdaResults,
}

/// The package sizes and the functions without a binary to measure.
#[derive(Debug)]
pub struct SizePart {
    pub sizes: Vec<PackageSize>,
    pub missing: Vec<&'static str>,
}

/// Everything that the two output files contain.
#[derive(Debug)]
pub struct Report<'a> {
    pub machine: Machine,
    pub command: String,
    pub settings: &'a Settings,
    pub runs: usize,
    pub results: Vec<Summary>,
    /// `None` with `--skip-lambda`.
    pub lambda: Option<LambdaPart<'a>>,
    pub sizes: SizePart,
    /// The engine's time per bucket without requests.
    pub engine: Option<crate::engine::EngineCost>,
}

pub fn spread_json(spread: Spread) -> Value {
    json!({ "min": spread.min, "median": spread.median, "max": spread.max })
}

/// One row of the target table.
#[derive(Debug)]
pub struct Target {
    pub name: String,
    pub goal: String,
    pub measured: Option<f64>,
    pub unit: &'static str,
    /// Decimals of the measured value in BENCHMARKS.md.
    pub decimals: usize,
    pub met: Option<bool>,
    /// The figure's basis, and the measured reason when the target is not met.
    pub detail: String,
}

impl Target {
    /// Builds a row that is met when `pass` holds for the measured value.
    pub fn new(
        name: impl Into<String>,
        goal: String,
        measured: Option<f64>,
        unit: &'static str,
        pass: impl Fn(f64) -> bool,
        detail: String,
    ) -> Self {
        Self {
            name: name.into(),
            goal,
            measured,
            unit,
            decimals: 3,
            met: measured.map(pass),
            detail,
        }
    }

    /// Sets the decimals of the measured value in BENCHMARKS.md.
    pub fn with_decimals(mut self, decimals: usize) -> Self {
        self.decimals = decimals;
        self
    }
}

impl Report<'_> {
    fn summary_at(&self, buckets: usize) -> Option<&Summary> {
        self.results
            .iter()
            .find(|summary| summary.buckets == buckets)
    }

    fn largest(&self) -> Option<&Summary> {
        self.results.iter().max_by_key(|summary| summary.buckets)
    }

    /// Returns the request comparison of the largest bucket count's first run.
    fn allowance(&self) -> Option<&Allowance> {
        self.largest()
            .and_then(|summary| summary.runs.first())
            .map(|run| &run.allowance)
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

    /// Describes where the CPU time of the largest bucket count goes.
    fn cpu_detail(&self) -> String {
        let Some(summary) = self.largest() else {
            return String::new();
        };
        let Some(run) = summary.runs.first() else {
            return String::new();
        };
        let micros_per_request = run.cpu_s * 1e6 / run.requests.max(1) as f64;
        let engine = self.engine.map_or_else(String::new, |engine| {
            format!(
                "; the engine alone (evaluation and pretty JSON, no request) takes {:.0} µs per bucket on one thread, measured over the {} snapshots of tests/corpus, so the rest goes to sending and receiving the requests through the AWS SDK",
                engine.micros_per_bucket, engine.snapshots
            )
        });
        format!(
            "at {} buckets; first run: {:.2} s user + {:.2} s system for {} requests, {micros_per_request:.0} µs of CPU per request{engine}",
            summary.buckets, run.user_s, run.sys_s, run.requests
        )
    }

    fn cli_targets(&self) -> Vec<Target> {
        let at_target = self.summary_at(TARGET_BUCKETS);
        let largest = self.largest();
        let largest_buckets = largest.map_or(0, |summary| summary.buckets);

        let wall = at_target.map(|summary| summary.wall_over_floor.median);
        let rss = at_target.map(|summary| summary.peak_rss_mb.median);
        let cpu = largest.map(|summary| summary.cpu_ms_per_bucket.median);
        let allowance = self.allowance();
        let requests = allowance.map(Allowance::measured_per_bucket);
        let allowed = allowance.map_or(0.0, Allowance::allowed_per_bucket);
        let requests_detail = allowance.map_or_else(String::new, |allowance| {
            let excess = allowance.excess();
            format!(
                "at {largest_buckets} buckets: {} requests sent, {} allowed{}",
                allowance.measured,
                allowance.allowed,
                if excess.is_empty() {
                    String::new()
                } else {
                    format!("; {excess}")
                }
            )
        });

        vec![
            Target::new(
                "CLI: wall / floor at 10,000 buckets",
                format!("≤ {TARGET_WALL_OVER_FLOOR}"),
                wall,
                "",
                |value| value <= TARGET_WALL_OVER_FLOOR,
                at_target.map_or_else(String::new, |summary| {
                    format!(
                        "wall {:.2} s, floor {:.2} s (medians)",
                        summary.wall_s.median, summary.floor_s.median
                    )
                }),
            ),
            Target::new(
                "CLI: peak RSS at 10,000 buckets",
                format!("< {TARGET_PEAK_RSS_MB} MB"),
                rss,
                "MB",
                |value| value < TARGET_PEAK_RSS_MB,
                self.rss_growth(),
            ),
            Target::new(
                "CLI: CPU time per bucket",
                format!("< {TARGET_CPU_MS_PER_BUCKET} ms"),
                cpu,
                "ms",
                |value| value < TARGET_CPU_MS_PER_BUCKET,
                self.cpu_detail(),
            ),
            Target::new(
                "CLI: requests per bucket",
                format!("≤ {allowed:.3} (allowance from the fixture, see below)"),
                requests,
                "",
                move |value| value <= allowed + f64::EPSILON,
                requests_detail,
            ),
        ]
    }

    pub fn targets(&self) -> Vec<Target> {
        let mut targets = self.cli_targets();
        if let Some(lambda) = &self.lambda {
            targets.extend(report_lambda::targets(lambda, self.cold_rss_reference()));
        }
        targets.extend(report_lambda::size_targets(&self.sizes));
        targets
    }

    /// Returns the bucket count and median peak RSS of the scheduled-audit cold
    /// start runs, whose first invocation audits a small account.
    fn cold_rss_reference(&self) -> Option<(usize, f64)> {
        let lambda = self.lambda.as_ref()?;
        let cold = lambda
            .results
            .cold_starts
            .iter()
            .find(|cold| cold.function == "scheduled-audit")?;
        Some((lambda.settings.cold_start_buckets, cold.peak_rss_mb.median))
    }

    pub fn to_json(&self) -> Value {
        let machine = &self.machine;
        let results: Vec<Value> = self.results.iter().map(summary_json).collect();
        let targets: Vec<Value> = self
            .targets()
            .into_iter()
            .map(|target| {
                json!({
                    "target": target.name,
                    "goal": target.goal,
                    "measured_median": target.measured,
                    "unit": target.unit,
                    "met": target.met,
                    "detail": target.detail,
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
            "targets": targets,
            "results": results,
            "lambda": self.lambda.as_ref().map(report_lambda::lambda_json),
            "engine": self.engine.map(|engine| json!({
                "snapshots": engine.snapshots,
                "evaluations": engine.evaluations,
                "micros_per_bucket": engine.micros_per_bucket,
            })),
            "package_sizes": report_lambda::sizes_json(&self.sizes),
        })
    }

    pub fn to_markdown(&self) -> String {
        let mut text = String::new();
        self.write_header(&mut text);
        self.write_targets(&mut text);
        self.write_commands(&mut text);
        self.write_cli_method(&mut text);
        self.write_cli_figures(&mut text);
        self.write_requests(&mut text);
        if let Some(lambda) = &self.lambda {
            report_lambda::write_markdown(&mut text, lambda, self.settings);
        } else {
            text.push_str(
                "## Lambda functions\n\nNot measured: the harness ran with `--skip-lambda`.\n\n",
            );
        }
        report_lambda::write_sizes(&mut text, &self.sizes);
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    }

    fn write_header(&self, text: &mut String) {
        let machine = &self.machine;
        let _ = writeln!(
            text,
            "# Benchmarks\n\n\
             Figures of `bucketwarden audit --all` and of the Lambda functions against a local \
             canned-response AWS endpoint, written by `make bench` (the `bucketwarden-bench` crate \
             in `bench/`). The same figures, with every run, are in `bench/results.json`.\n\n\
             ## Machine\n\n\
             - CPUs: {} ({})\n- Memory: {} MB\n- Kernel: {}\n- Compiler: {}\n- Commit: {}\n\n\
             Other programs may have shared the CPUs during the runs, so each figure is given as \
             min / median / max over several runs.\n",
            machine.cpus,
            machine.cpu_model,
            machine.memory_mb,
            machine.kernel,
            machine.rustc,
            machine.commit,
        );
    }

    fn write_targets(&self, text: &mut String) {
        let _ = writeln!(
            text,
            "## Targets\n\n\
             Measured medians. A target is `not measured` when its figure was not run (a bucket \
             count left out of `--buckets`, or `--skip-lambda`).\n\n\
             | target | goal | measured | result | detail |\n|---|---|---:|---|---|"
        );
        for target in self.targets() {
            let measured = target.measured.map_or_else(
                || "not measured".to_owned(),
                |value| {
                    format!("{value:.*} {}", target.decimals, target.unit)
                        .trim_end()
                        .to_owned()
                },
            );
            let result = match target.met {
                Some(true) => "met",
                Some(false) => "**not met**",
                None => "not measured",
            };
            let _ = writeln!(
                text,
                "| {} | {} | {measured} | {result} | {} |",
                target.name, target.goal, target.detail
            );
        }
        text.push('\n');
    }

    fn write_commands(&self, text: &mut String) {
        let _ = writeln!(
            text,
            "## Commands\n\n```sh\nmake bench\n# which runs\n\
             cargo build --release -p bucketwarden -p bucket-event -p scheduled-audit -p slack-notifier\n\
             {}\n```\n\n\
             Each CLI audit run is:\n\n```sh\nbucketwarden audit --all --format json \
             --endpoint-url http://127.0.0.1:PORT --region us-east-1 --concurrency {}\n```\n\n\
             with `AWS_ACCESS_KEY_ID=testing`, `AWS_SECRET_ACCESS_KEY=testing`, \
             `AWS_EC2_METADATA_DISABLED=true`, `AWS_CONFIG_FILE=/dev/null` and \
             `AWS_SHARED_CREDENTIALS_FILE=/dev/null`, and no other environment but `PATH`. \
             The Lambda functions' environment is listed under \"Lambda functions\".\n",
            self.command, self.settings.concurrency,
        );
    }

    fn write_cli_method(&self, text: &mut String) {
        let settings = self.settings;
        let latency_ms = settings.latency.as_millis();
        let _ = writeln!(
            text,
            "## CLI audit\n\n### Method\n\n\
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
             buckets) × latency / concurrency. A bucket waits on HeadBucket (unless ListBuckets \
             named its region), then on its eleven reads sent at once, then on DescribeKey for an \
             SSE-KMS bucket. The audit sends a bucket's reads concurrently, so it can finish below \
             the first floor, but not below this one.\n",
            seed = settings.seed,
            binary = settings.binary.display(),
            region_source = if settings.list_bucket_region {
                "ListBuckets names each bucket's region (`<BucketRegion>`) when the request has a \
                 query parameter, as S3 does; the audit sends `max-buckets`, so it needs no region \
                 look-up."
            } else {
                "ListBuckets returns the names without `<BucketRegion>` (`--no-list-bucket-region`, \
                 as emulators do), so the audit finds each region with HeadBucket (the \
                 `x-amz-bucket-region` header)."
            },
        );
    }

    fn write_cli_figures(&self, text: &mut String) {
        let settings = self.settings;
        let _ = writeln!(
            text,
            "### Figures\n\n{} runs per bucket count, latency {} ms, concurrency {}. \
             Each cell is min / median / max over the runs.\n\n\
             | buckets | wall (s) | floor (s) | wall / floor | round-trip floor (s) | CPU (s) | CPU per bucket (ms) | peak RSS (MB) | requests per bucket |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            self.runs,
            settings.latency.as_millis(),
            settings.concurrency,
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
        text.push('\n');
    }

    fn write_requests(&self, text: &mut String) {
        let _ = writeln!(
            text,
            "### Requests against the allowance\n\n\
             The allowance per bucket is the ten S3 reads that the spec lists \
             (GetPublicAccessBlock, GetBucketPolicy, GetBucketPolicyStatus, GetBucketAcl, \
             GetBucketOwnershipControls, GetBucketEncryption, GetBucketVersioning, \
             GetBucketLogging, GetObjectLockConfiguration, GetBucketReplication), plus \
             GetBucketTagging (tags decide exemptions and whether object lock and replication \
             are required), plus DescribeKey for each bucket whose default encryption names a \
             KMS key, plus one HeadBucket for each bucket outside the client's region when \
             ListBuckets did not name the region. The harness counts those buckets in the \
             fixture. Account-level reads are allowed as measured and spread over the buckets. \
             From the first run of each bucket count; the per-bucket figure is the total \
             divided by the bucket count.\n"
        );
        let _ = write!(text, "| operation | allowance |");
        for summary in &self.results {
            let _ = write!(text, " {} buckets: sent / allowed |", summary.buckets);
        }
        let _ = write!(text, "\n|---|---|");
        for _ in &self.results {
            let _ = write!(text, "---:|");
        }
        text.push('\n');

        let allowances: Vec<Option<&Allowance>> = self
            .results
            .iter()
            .map(|summary| summary.runs.first().map(|run| &run.allowance))
            .collect();
        let mut operations: Vec<(String, String)> = Vec::new();
        for allowance in allowances.iter().flatten() {
            for row in &allowance.operations {
                if !operations.iter().any(|(name, _)| *name == row.operation) {
                    let basis = match row.operation.as_str() {
                        "DescribeKey" => "one per bucket with SSE-KMS".to_owned(),
                        "HeadBucket" if allowance.list_buckets_names_region => {
                            "none: ListBuckets names every region".to_owned()
                        }
                        "HeadBucket" => "one per bucket outside us-east-1".to_owned(),
                        _ => row.basis.clone(),
                    };
                    operations.push((row.operation.clone(), basis));
                }
            }
        }
        for (operation, basis) in &operations {
            let _ = write!(text, "| {operation} | {basis} |");
            for allowance in &allowances {
                let row = allowance.and_then(|allowance| {
                    allowance
                        .operations
                        .iter()
                        .find(|row| row.operation == *operation)
                });
                let cell = row.map_or_else(
                    || "0 / 0".to_owned(),
                    |row| {
                        let marker = if row.measured > row.allowed {
                            " **over**"
                        } else {
                            ""
                        };
                        format!("{} / {}{marker}", row.measured, row.allowed)
                    },
                );
                let _ = write!(text, " {cell} |");
            }
            text.push('\n');
        }
        let _ = write!(text, "| **total** | |");
        for allowance in &allowances {
            let cell = allowance.map_or_else(String::new, |allowance| {
                format!(
                    "{} / {} ({:.3} / {:.3} per bucket)",
                    allowance.measured,
                    allowance.allowed,
                    allowance.measured_per_bucket(),
                    allowance.allowed_per_bucket()
                )
            });
            let _ = write!(text, " {cell} |");
        }
        text.push_str("\n\n");
    }
}

fn summary_json(summary: &Summary) -> Value {
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
    let allowance = summary
        .runs
        .first()
        .map(|run| allowance_json(&run.allowance));
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
        "request_allowance": allowance,
        "runs": runs,
    })
}

fn allowance_json(allowance: &Allowance) -> Value {
    let operations: Vec<Value> = allowance
        .operations
        .iter()
        .map(|row| {
            json!({
                "operation": row.operation,
                "sent": row.measured,
                "allowed": row.allowed,
                "basis": row.basis,
            })
        })
        .collect();
    json!({
        "buckets": allowance.counts.buckets,
        "buckets_with_sse_kms": allowance.counts.kms,
        "buckets_outside_client_region": allowance.counts.outside_client_region,
        "list_buckets_names_region": allowance.list_buckets_names_region,
        "sent": allowance.measured,
        "allowed": allowance.allowed,
        "sent_per_bucket": allowance.measured_per_bucket(),
        "allowed_per_bucket": allowance.allowed_per_bucket(),
        "met": allowance.met(),
        "operations": operations,
    })
}

pub fn spread_cell(spread: Spread, decimals: usize) -> String {
    format!(
        "{:.*} / {:.*} / {:.*}",
        decimals, spread.min, decimals, spread.median, decimals, spread.max
    )
}
