//! The Lambda sections of BENCHMARKS.md and bench/results.json: cold start,
//! handler time for one event, the scheduled audit, and the package sizes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::fixtures::{self, CLIENT_REGION};
use crate::lambda::{EventGroup, EventLatency, EventSample, Scheduled, Step};
use crate::measure::Settings;
use crate::report::{
    LambdaPart, SizePart, TARGET_BUCKETS, TARGET_COLD_START_MS, TARGET_CPU_MS_PER_BUCKET,
    TARGET_HANDLER_OWN_MS, TARGET_PEAK_RSS_MB, TARGET_ZIPPED_MB, Target, spread_cell, spread_json,
};
use crate::size::{FUNCTIONS, PackageSize};

const MB: f64 = 1024.0 * 1024.0;

fn event_group(event: &EventLatency, latency_ms: u64, first: bool) -> Option<&EventGroup> {
    event
        .groups
        .iter()
        .find(|group| group.latency_ms == latency_ms && group.first == first)
}

/// Returns the requests of the first sample that matches, by operation.
fn sample_requests(
    event: &EventLatency,
    latency_ms: u64,
    first: bool,
) -> Option<&BTreeMap<String, u64>> {
    event
        .samples
        .iter()
        .find(|sample| sample.latency_ms == latency_ms && sample.first == first)
        .map(|sample| &sample.requests)
}

/// Returns the sample with the median own time among those that match.
fn median_sample(event: &EventLatency, latency_ms: u64, first: bool) -> Option<&EventSample> {
    let mut matching: Vec<&EventSample> = event
        .samples
        .iter()
        .filter(|sample| sample.latency_ms == latency_ms && sample.first == first)
        .collect();
    matching.sort_by(|a, b| a.own_ms.total_cmp(&b.own_ms));
    matching.get(matching.len() / 2).copied()
}

/// Lists a step's operations, with a count after those sent more than once.
fn step_operations(step: &Step) -> String {
    let names: Vec<String> = step
        .operations
        .iter()
        .map(|(operation, count)| match count {
            1 => (*operation).to_owned(),
            _ => format!("{operation} ×{count}"),
        })
        .collect();
    names.join(", ")
}

/// Writes the steps of one invocation: the handler's time before each group of
/// requests open together, and after the last response.
fn write_steps(text: &mut String, sample: &EventSample, title: &str) {
    let _ = writeln!(
        text,
        "\n{title} (wall {:.2} ms, wall − requests open {:.2} ms):\n\n\
         | step | requests open together | handler time before it (ms) |\n|---:|---|---:|",
        sample.wall_ms, sample.own_ms
    );
    for (index, step) in sample.steps.iter().enumerate() {
        let _ = writeln!(
            text,
            "| {} | {} | {:.2} |",
            index + 1,
            step_operations(step),
            step.idle_before_ms
        );
    }
    let _ = writeln!(
        text,
        "| end | the response to the Runtime API | {:.2} |",
        sample.after_last_request_ms
    );
}

/// Describes the step before which the handler spent the most time.
fn longest_step(sample: &EventSample) -> String {
    let longest = sample
        .steps
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| a.idle_before_ms.total_cmp(&b.idle_before_ms));
    match longest {
        Some((index, step)) if step.idle_before_ms >= sample.after_last_request_ms => {
            let requests: usize = step.operations.values().sum();
            let operations = if step.operations.len() <= 3 {
                step_operations(step)
            } else {
                format!("{requests} requests")
            };
            format!(
                "the longest stretch without a request open is {:.2} ms, before step {} ({operations})",
                step.idle_before_ms,
                index + 1
            )
        }
        _ => format!(
            "the longest stretch without a request open is the {:.2} ms from the last response to the function's response",
            sample.after_last_request_ms
        ),
    }
}

fn handler_target(lambda: &LambdaPart<'_>, first: bool) -> Target {
    let event = &lambda.results.event;
    let latency_ms = u64::try_from(lambda.settings.latency.as_millis()).unwrap_or(0);
    let at_zero = event_group(event, 0, first);
    let at_latency = event_group(event, latency_ms, first);
    let invocations = if first {
        "first event after a cold start"
    } else {
        "later events"
    };
    let mut detail = at_zero.map_or_else(String::new, |group| {
        format!(
            "{} invocations at 0 ms latency: wall {:.2} ms, of which {:.2} ms with requests open and {:.2} ms before the first request; {:.0} requests",
            group.samples,
            group.wall_ms.median,
            group.busy_ms.median,
            group.to_first_request_ms.median,
            group.requests.median
        )
    });
    if let Some(group) = at_latency.filter(|_| latency_ms > 0) {
        let _ = write!(
            detail,
            "; at {latency_ms} ms latency: wall {:.1} ms − {:.1} ms with requests open = {:.2} ms",
            group.wall_ms.median, group.busy_ms.median, group.own_ms.median
        );
    }
    if first {
        let later = event_group(event, 0, false);
        if let (Some(first_group), Some(later_group)) = (at_zero, later) {
            let _ = write!(
                detail,
                "; {:.0} more requests than a later event",
                first_group.requests.median - later_group.requests.median
            );
        }
    }
    if let Some(sample) = median_sample(event, 0, first) {
        let _ = write!(
            detail,
            "; in the median invocation {}",
            longest_step(sample)
        );
    }
    Target::new(
        format!("bucket-event: handler time beyond API round trips, {invocations}"),
        format!("< {TARGET_HANDLER_OWN_MS} ms"),
        at_zero.map(|group| group.own_ms.median),
        "ms",
        |value| value < TARGET_HANDLER_OWN_MS,
        detail,
    )
}

/// Builds the Lambda rows of the target table. `small_run_rss` is the bucket count
/// and median peak RSS of the scheduled-audit cold start runs, for the growth per bucket.
pub fn targets(lambda: &LambdaPart<'_>, small_run_rss: Option<(usize, f64)>) -> Vec<Target> {
    let results = &lambda.results;
    let mut targets = Vec::new();
    for cold in &results.cold_starts {
        targets.push(Target::new(
            format!("{}: cold start to first request for work", cold.function),
            format!("< {TARGET_COLD_START_MS} ms"),
            Some(cold.cold_start_ms.median),
            "ms",
            |value| value < TARGET_COLD_START_MS,
            format!(
                "min {:.1} ms, max {:.1} ms over {} starts",
                cold.cold_start_ms.min,
                cold.cold_start_ms.max,
                cold.runs.len()
            ),
        ));
    }
    targets.push(handler_target(lambda, true));
    targets.push(handler_target(lambda, false));

    let scheduled = &results.scheduled;
    let at = if scheduled.buckets == TARGET_BUCKETS {
        "10,000 buckets".to_owned()
    } else {
        format!(
            "{} buckets (the target is stated for 10,000)",
            scheduled.buckets
        )
    };
    let first_run = scheduled.runs.first();
    let report_mb = first_run.map_or(0.0, |run| run.report_bytes as f64 / MB);
    let rss_detail = match small_run_rss {
        Some((small_buckets, small_rss)) if scheduled.buckets > small_buckets => {
            let growth_kb = (scheduled.peak_rss_mb.median - small_rss) * 1024.0
                / (scheduled.buckets - small_buckets) as f64;
            format!(
                "{small_rss:.1} MB after a {small_buckets}-bucket run, so {growth_kb:.1} KB more per bucket; the stored report is {report_mb:.1} MB"
            )
        }
        _ => format!("the stored report is {report_mb:.1} MB"),
    };
    targets.push(Target::new(
        format!("scheduled-audit: peak RSS at {at}"),
        format!("< {TARGET_PEAK_RSS_MB} MB"),
        Some(scheduled.peak_rss_mb.median),
        "MB",
        |value| value < TARGET_PEAK_RSS_MB,
        rss_detail,
    ));
    let cpu_detail = first_run.map_or_else(String::new, |run| {
        let requests: u64 = run.requests.values().sum();
        format!(
            "first run: {:.2} s of CPU for {requests} requests, {:.0} µs per request",
            run.cpu_s,
            run.cpu_s * 1e6 / requests.max(1) as f64
        )
    });
    targets.push(Target::new(
        format!("scheduled-audit: CPU time per bucket at {at}"),
        format!("< {TARGET_CPU_MS_PER_BUCKET} ms"),
        Some(scheduled.cpu_ms_per_bucket.median),
        "ms",
        |value| value < TARGET_CPU_MS_PER_BUCKET,
        cpu_detail,
    ));

    let (passed, total, failed) = check_counts(scheduled);
    targets.push(
        Target::new(
            "scheduled-audit: stored report and SNS summary match the CLI audit",
            format!("all {total} checks pass in every run"),
            Some(passed as f64),
            "checks passed",
            move |value| value as usize == total,
            if failed.is_empty() {
                "see \"Scheduled audit\" below".to_owned()
            } else {
                format!("failed: {}", failed.join("; "))
            },
        )
        .with_decimals(0),
    );
    targets
}

/// Returns the checks passed in every run, the check count, and the failures.
fn check_counts(scheduled: &Scheduled) -> (usize, usize, Vec<String>) {
    let Some(first) = scheduled.runs.first() else {
        return (0, 0, Vec::new());
    };
    let mut passed = 0;
    let mut failed = Vec::new();
    for (index, check) in first.checks.iter().enumerate() {
        let failures: Vec<&str> = scheduled
            .runs
            .iter()
            .filter_map(|run| run.checks.get(index))
            .filter(|check| !check.passed)
            .map(|check| check.detail.as_str())
            .collect();
        if failures.is_empty() {
            passed += 1;
        } else {
            failed.push(format!("{} ({})", check.name, failures.join(", ")));
        }
    }
    (passed, first.checks.len(), failed)
}

/// The package size row of each function: the arm64 bootstrap from `make build`
/// when there is one, else the x86_64 release binary.
fn package_for_target<'a>(sizes: &'a SizePart, function: &str) -> Option<&'a PackageSize> {
    let of_function = || {
        sizes
            .sizes
            .iter()
            .filter(move |size| size.function == function)
    };
    of_function()
        .find(|size| size.architecture == "arm64")
        .or_else(|| of_function().next())
}

pub fn size_targets(sizes: &SizePart) -> Vec<Target> {
    FUNCTIONS
        .iter()
        .map(|function| {
            let package = package_for_target(sizes, function);
            let release = sizes
                .sizes
                .iter()
                .find(|size| size.function == *function && size.architecture != "arm64");
            let detail = package.map_or_else(
                || "no binary to measure; build it first".to_owned(),
                |package| {
                    let older = package.modified_at.zip(release.and_then(|r| r.modified_at));
                    let substitute = if package.architecture == "arm64" {
                        match older {
                            Some((arm64, x86_64)) if arm64 < x86_64 => {
                                "; built before the release binary, so it may predate the source: run `make build` again".to_owned()
                            }
                            _ => String::new(),
                        }
                    } else {
                        format!(
                            "; the {} release binary, because no arm64 bootstrap was built (run `make build` first)",
                            package.architecture
                        )
                    };
                    format!(
                        "{} bootstrap, {:.2} MB unzipped, from `{}`{substitute}",
                        package.architecture,
                        package.binary_bytes as f64 / MB,
                        package.built_by
                    )
                },
            );
            Target::new(
                format!("{function}: zipped function size"),
                format!("< {TARGET_ZIPPED_MB} MB"),
                package.map(|package| package.zipped_bytes as f64 / MB),
                "MB",
                |value| value < TARGET_ZIPPED_MB,
                detail,
            )
        })
        .collect()
}

pub fn lambda_json(lambda: &LambdaPart<'_>) -> Value {
    let settings = lambda.settings;
    let results = &lambda.results;
    let cold_starts: Vec<Value> = results
        .cold_starts
        .iter()
        .map(|cold| {
            let runs: Vec<Value> = cold
                .runs
                .iter()
                .map(|run| {
                    json!({
                        "cold_start_ms": run.cold_start_ms,
                        "first_invocation_ms": run.first_invocation_ms,
                        "peak_rss_mb": run.peak_rss_mb,
                        "requests": run.requests,
                    })
                })
                .collect();
            json!({
                "function": cold.function,
                "first_event": cold.event,
                "cold_start_ms": spread_json(cold.cold_start_ms),
                "first_invocation_ms": spread_json(cold.first_invocation_ms),
                "peak_rss_mb": spread_json(cold.peak_rss_mb),
                "runs": runs,
            })
        })
        .collect();

    let event = &results.event;
    let groups: Vec<Value> = event
        .groups
        .iter()
        .map(|group| {
            json!({
                "latency_ms": group.latency_ms,
                "invocation": if group.first { "first" } else { "later" },
                "samples": group.samples,
                "wall_ms": spread_json(group.wall_ms),
                "requests_open_ms": spread_json(group.busy_ms),
                "own_ms": spread_json(group.own_ms),
                "to_first_request_ms": spread_json(group.to_first_request_ms),
                "requests": spread_json(group.requests),
            })
        })
        .collect();
    let samples: Vec<Value> = event
        .samples
        .iter()
        .map(|sample| {
            json!({
                "latency_ms": sample.latency_ms,
                "first": sample.first,
                "wall_ms": sample.wall_ms,
                "requests_open_ms": sample.busy_ms,
                "own_ms": sample.own_ms,
                "to_first_request_ms": sample.to_first_request_ms,
                "after_last_request_ms": sample.after_last_request_ms,
                "steps": sample.steps.iter().map(|step| json!({
                    "idle_before_ms": step.idle_before_ms,
                    "operations": step.operations,
                })).collect::<Vec<Value>>(),
                "requests_by_operation": sample.requests,
            })
        })
        .collect();

    let scheduled = &results.scheduled;
    let runs: Vec<Value> = scheduled
        .runs
        .iter()
        .map(|run| {
            let checks: Vec<Value> = run
                .checks
                .iter()
                .map(|check| {
                    json!({ "check": check.name, "passed": check.passed, "detail": check.detail })
                })
                .collect();
            json!({
                "wall_s": run.wall_s,
                "cpu_s": run.cpu_s,
                "peak_rss_mb": run.peak_rss_mb,
                "invocations": run.invocations,
                "floor_s": run.floor_s,
                "report_bytes": run.report_bytes,
                "multipart_parts": run.multipart_parts,
                "requests_by_operation": run.requests,
                "checks": checks,
            })
        })
        .collect();

    json!({
        "latency_ms": settings.latency.as_millis(),
        "concurrency": settings.concurrency,
        "cold_starts": cold_starts,
        "event": {
            "function": "bucket-event",
            "bucket": event.bucket,
            "bucket_region": event.bucket_region,
            "invocations_per_process": settings.events_per_run,
            "processes_per_latency": settings.event_runs,
            "groups": groups,
            "samples": samples,
        },
        "scheduled_audit": {
            "buckets": scheduled.buckets,
            "wall_s": spread_json(scheduled.wall_s),
            "cpu_s": spread_json(scheduled.cpu_s),
            "cpu_ms_per_bucket": spread_json(scheduled.cpu_ms_per_bucket),
            "peak_rss_mb": spread_json(scheduled.peak_rss_mb),
            "wall_over_floor": spread_json(scheduled.wall_over_floor),
            "runs": runs,
        },
    })
}

pub fn sizes_json(sizes: &SizePart) -> Value {
    let packages: Vec<Value> = sizes
        .sizes
        .iter()
        .map(|size| {
            json!({
                "function": size.function,
                "architecture": size.architecture,
                "built_by": size.built_by,
                "binary": size.binary.display().to_string(),
                "modified": size.modified,
                "binary_bytes": size.binary_bytes,
                "zipped_bytes": size.zipped_bytes,
            })
        })
        .collect();
    json!({ "packages": packages, "not_built": sizes.missing })
}

pub fn write_markdown(text: &mut String, lambda: &LambdaPart<'_>, cli: &Settings) {
    write_method(text, lambda, cli);
    write_cold_starts(text, lambda);
    write_event(text, lambda);
    write_scheduled(text, lambda);
}

fn write_method(text: &mut String, lambda: &LambdaPart<'_>, cli: &Settings) {
    let settings = lambda.settings;
    let latency_ms = settings.latency.as_millis();
    let _ = writeln!(
        text,
        "## Lambda functions\n\n### Method\n\n\
         The harness runs each function's release binary ({binaries}/FUNCTION) as Lambda's \
         `provided.al2023` runtime would, with a Runtime API of its own on 127.0.0.1: \
         `GET /2018-06-01/runtime/invocation/next` returns the event with the \
         `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms`, \
         `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id` headers, and \
         `POST .../invocation/ID/response`, `.../invocation/ID/error` and `.../init/error` \
         return 202. The harness records when each request arrives. The process gets no \
         environment but `PATH`, `AWS_LAMBDA_RUNTIME_API`, `AWS_LAMBDA_FUNCTION_NAME`, \
         `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (256 and 512 MB, as in infra/template.yaml), \
         `AWS_LAMBDA_FUNCTION_VERSION`, the log group and stream names, `AWS_REGION={CLIENT_REGION}`, \
         dummy credentials (`testing`, a session token included), `AWS_ENDPOINT_URL` set to the \
         canned endpoint, `AWS_EC2_METADATA_DISABLED=true`, `AWS_CONFIG_FILE` and \
         `AWS_SHARED_CREDENTIALS_FILE` set to /dev/null, and the function's own settings \
         (`BUCKETWARDEN_TOPIC_ARN`; for scheduled-audit also `BUCKETWARDEN_REPORT_BUCKET`, \
         `BUCKETWARDEN_CONTINUATION_QUEUE_URL` and `BUCKETWARDEN_CONCURRENCY={concurrency}`). \
         Its log output goes to a file. Each invocation's deadline is the template's `Timeout` \
         (120 s and 900 s) from the delivery.\n\n\
         The canned endpoint is the CLI audit's, with the same seed and {latency_ms} ms latency \
         unless stated. It also answers SNS Publish and SQS SendMessage and records the \
         messages, and it keeps the report bucket `{report_bucket}` in memory: PutObject, \
         GetObject, HeadObject, DeleteObject, ListObjectsV2, HeadBucket, GetBucketLocation and \
         multipart upload (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, which \
         rejects parts under 5 MiB but the last as S3 does, and AbortMultipartUpload). The \
         report bucket is not in ListBuckets, so the audited account is the seeded buckets \
         alone.\n\n\
         - Cold start: the time from the spawn of the process to the arrival of its first \
         `GET .../invocation/next`, which covers loading the binary, starting the tokio \
         runtime, reading the settings, loading the AWS config and building the clients (no \
         AWS call is made before the first event). Each run then delivers one event and reads \
         the peak RSS (VmHWM in /proc/PID/status) after the response.\n\
         - Handler time beyond API round trips: bucket-event receives the CreateBucket event of \
         events/create-bucket.json, retargeted to a seeded bucket, {events} times per process in \
         {processes} processes. Every control is in report mode (the default), so the handler \
         audits and publishes but writes no setting. The first invocation of a process finds the bucket's region and \
         reads the account facts; later ones use its caches. The time is measured from the \
         event's delivery to the response. With 0 ms injected latency that time is the \
         handler's own time plus loopback I/O and the endpoint's own work; the endpoint also \
         records the time during which at least one request was open, and the table shows the \
         difference (wall − requests open), which is what the targets use. The steps tables split \
         that time at each stretch with requests open: the handler's time from the delivery to \
         the first request, between stretches, and from the last response to its own response. The same runs at \
         {latency_ms} ms latency give a second estimate, in which work done while a request is \
         open is not counted.\n\
         - Scheduled audit: scheduled-audit receives events/scheduled-audit.json with the \
         900 s deadline against an account of {scheduled} buckets (and, if it hands the run on, \
         the SQS continuation message that it sent, as the next event). Wall time is from the \
         first event's delivery to the last response, CPU time is the process's user plus \
         system time (/proc/PID/stat) from just before the first event to the end, and peak RSS \
         is VmHWM. The run is checked against `bucketwarden audit --all --format json` on the \
         same account (the {cli_concurrency}-concurrency CLI runs above, or one extra run when \
         {scheduled} is not among `--buckets`).\n",
        binaries = settings.binaries.display(),
        concurrency = settings.concurrency,
        report_bucket = fixtures::REPORT_BUCKET,
        events = settings.events_per_run,
        processes = settings.event_runs,
        scheduled = settings.scheduled_buckets,
        cli_concurrency = cli.concurrency,
    );
}

fn write_cold_starts(text: &mut String, lambda: &LambdaPart<'_>) {
    let _ = writeln!(
        text,
        "### Cold start\n\nEach cell is min / median / max over the starts.\n\n\
         | function | first event | starts | cold start (ms) | first invocation (ms) | peak RSS after it (MB) |\n\
         |---|---|---:|---:|---:|---:|"
    );
    for cold in &lambda.results.cold_starts {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} |",
            cold.function,
            cold.event,
            cold.runs.len(),
            spread_cell(cold.cold_start_ms, 1),
            spread_cell(cold.first_invocation_ms, 1),
            spread_cell(cold.peak_rss_mb, 1),
        );
    }
    text.push('\n');
}

fn write_event(text: &mut String, lambda: &LambdaPart<'_>) {
    let event = &lambda.results.event;
    let _ = writeln!(
        text,
        "### Handler time for one event\n\n\
         bucket-event, CreateBucket for `{}` ({}, SSE-KMS, outside {CLIENT_REGION}), a bucket \
         whose audit waits on the most round trips in a row. The first invocation of a process \
         waits on GetCallerIdentity, HeadBucket, the eleven reads (the account-level reads run \
         beside them), DescribeKey and Publish; a later one waits on the reads, DescribeKey and \
         Publish. Each cell is min / median / max.\n\n\
         | latency (ms) | invocation | samples | wall (ms) | requests open (ms) | wall − requests open (ms) | to first request (ms) | requests |\n\
         |---:|---|---:|---:|---:|---:|---:|---:|",
        event.bucket, event.bucket_region,
    );
    for group in &event.groups {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            group.latency_ms,
            if group.first { "first" } else { "later" },
            group.samples,
            spread_cell(group.wall_ms, 2),
            spread_cell(group.busy_ms, 2),
            spread_cell(group.own_ms, 2),
            spread_cell(group.to_first_request_ms, 2),
            spread_cell(group.requests, 0),
        );
    }
    if let Some(sample) = median_sample(event, 0, true) {
        write_steps(
            text,
            sample,
            "Steps of the first invocation with the median own time, at 0 ms latency",
        );
    }
    if let Some(sample) = median_sample(event, 0, false) {
        write_steps(
            text,
            sample,
            "Steps of the later invocation with the median own time, at 0 ms latency",
        );
    }
    let first = sample_requests(event, 0, true);
    let later = sample_requests(event, 0, false);
    if let (Some(first), Some(later)) = (first, later) {
        let _ = writeln!(
            text,
            "\nRequests of one invocation:\n\n| operation | first | later |\n|---|---:|---:|"
        );
        let mut operations: Vec<&String> = first.keys().chain(later.keys()).collect();
        operations.sort();
        operations.dedup();
        for operation in operations {
            let _ = writeln!(
                text,
                "| {operation} | {} | {} |",
                first.get(operation).copied().unwrap_or(0),
                later.get(operation).copied().unwrap_or(0)
            );
        }
    }
    text.push('\n');
}

fn write_scheduled(text: &mut String, lambda: &LambdaPart<'_>) {
    let scheduled = &lambda.results.scheduled;
    let latency_ms = lambda.settings.latency.as_millis();
    let _ = writeln!(
        text,
        "### Scheduled audit of {} buckets\n\n\
         {} runs, latency {latency_ms} ms, `BUCKETWARDEN_CONCURRENCY={}`. floor = requests × \
         latency / concurrency, as for the CLI. Each cell is min / median / max.\n\n\
         | wall (s) | wall / floor | CPU (s) | CPU per bucket (ms) | peak RSS (MB) | invocations | stored report (MB) | multipart parts |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|",
        scheduled.buckets,
        scheduled.runs.len(),
        lambda.settings.concurrency,
    );
    let invocations: Vec<String> = scheduled
        .runs
        .iter()
        .map(|run| run.invocations.to_string())
        .collect();
    let report_mb: Vec<String> = scheduled
        .runs
        .iter()
        .map(|run| format!("{:.1}", run.report_bytes as f64 / MB))
        .collect();
    let parts: Vec<String> = scheduled
        .runs
        .iter()
        .map(|run| run.multipart_parts.to_string())
        .collect();
    let _ = writeln!(
        text,
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        spread_cell(scheduled.wall_s, 2),
        spread_cell(scheduled.wall_over_floor, 3),
        spread_cell(scheduled.cpu_s, 2),
        spread_cell(scheduled.cpu_ms_per_bucket, 3),
        spread_cell(scheduled.peak_rss_mb, 1),
        invocations.join(", "),
        report_mb.join(", "),
        parts.join(", "),
    );
    let _ = writeln!(
        text,
        "\n\"multipart parts\" is the part count of the largest multipart upload, 0 when every \
         object was stored with PutObject.\n\n\
         Checks against the CLI audit of the same account, per run:\n\n\
         | check | result | detail (first run) |\n|---|---|---|"
    );
    if let Some(first) = scheduled.runs.first() {
        for (index, check) in first.checks.iter().enumerate() {
            let results: Vec<&str> = scheduled
                .runs
                .iter()
                .map(|run| match run.checks.get(index) {
                    Some(check) if check.passed => "pass",
                    _ => "**fail**",
                })
                .collect();
            let _ = writeln!(
                text,
                "| {} | {} | {} |",
                check.name,
                results.join(", "),
                check.detail.replace('|', "\\|")
            );
        }
        let _ = writeln!(
            text,
            "\nRequests of the first run:\n\n| operation | requests |\n|---|---:|"
        );
        for (operation, count) in &first.requests {
            let _ = writeln!(text, "| {operation} | {count} |");
        }
    }
    text.push('\n');
}

pub fn write_sizes(text: &mut String, sizes: &SizePart) {
    let _ = writeln!(
        text,
        "## Package size\n\n\
         Each function's binary is copied to `bootstrap` and zipped with Info-ZIP `zip` at its \
         default level, as a `provided.al2023` deployment package holds it. `make build` \
         cross-compiles the arm64 bootstraps that are deployed (target/lambda/FUNCTION/bootstrap) \
         with cargo-lambda. `make bench` does not run it, because a cross build of the AWS SDK \
         crates from scratch takes several minutes on two cores, so the bootstraps are as old as \
         the last `make build` (see the modification times). Where no arm64 bootstrap exists, \
         the target uses the x86_64 release binary, which the table labels.\n\n\
         | function | architecture | built by | modified (UTC) | binary (MB) | zipped (MB) |\n\
         |---|---|---|---|---:|---:|"
    );
    for size in &sizes.sizes {
        let _ = writeln!(
            text,
            "| {} | {} | `{}` | {} | {:.2} | {:.2} |",
            size.function,
            size.architecture,
            size.built_by,
            size.modified,
            size.binary_bytes as f64 / MB,
            size.zipped_bytes as f64 / MB,
        );
    }
    if !sizes.missing.is_empty() {
        let _ = writeln!(
            text,
            "\nNot measured, because neither binary exists: {}.",
            sizes.missing.join(", ")
        );
    }
    text.push('\n');
}
