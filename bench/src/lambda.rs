//! The Lambda measurements: cold start of each function, the bucket-event
//! handler's own time for one event, and a scheduled audit of a large account
//! through the Runtime API, with checks of what it stored and published.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::fixtures::{self, Bucket, CLIENT_REGION};
use crate::function::{FunctionSpec, InvocationOutcome, RunningFunction, clock_ticks};
use crate::measure::Spread;
use crate::server::{State, Traffic};

/// Maximum wait for a function's first request to the Runtime API.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Maximum invocations of one scheduled run, continuations included.
const MAX_INVOCATIONS: usize = 50;

/// Settings of the Lambda measurements.
#[derive(Debug)]
pub struct LambdaSettings {
    /// The directory of the functions' release binaries (target/release).
    pub binaries: PathBuf,
    /// The directory of the sample events (events/).
    pub events: PathBuf,
    pub endpoint: String,
    pub scratch: PathBuf,
    pub seed: u64,
    pub latency: Duration,
    pub concurrency: u16,
    pub cold_start_runs: usize,
    /// Buckets in the account of the scheduled audit that each cold start run invokes.
    pub cold_start_buckets: usize,
    pub event_runs: usize,
    pub events_per_run: usize,
    pub scheduled_buckets: usize,
    pub scheduled_runs: usize,
}

/// One start of a function and its first invocation.
#[derive(Debug)]
pub struct ColdStartRun {
    /// From the spawn to the first `GET .../invocation/next`.
    pub cold_start_ms: f64,
    /// From the event's delivery to the response.
    pub first_invocation_ms: f64,
    /// VmHWM after the response.
    pub peak_rss_mb: f64,
    pub requests: u64,
}

/// The cold start runs of one function.
#[derive(Debug)]
pub struct ColdStart {
    pub function: &'static str,
    /// Description of the first invocation's event.
    pub event: String,
    pub cold_start_ms: Spread,
    pub first_invocation_ms: Spread,
    pub peak_rss_mb: Spread,
    pub runs: Vec<ColdStartRun>,
}

/// The requests that were open together during one stretch of an invocation,
/// and the handler's time before them with no request open.
#[derive(Clone, Debug)]
pub struct Step {
    /// Time before the first request of the step with no request open, counted
    /// from the event's delivery for the first step.
    pub idle_before_ms: f64,
    /// Request counts by operation.
    pub operations: BTreeMap<&'static str, usize>,
}

/// One bucket-event invocation.
#[derive(Debug)]
pub struct EventSample {
    pub latency_ms: u64,
    /// Whether it was the first invocation of its process.
    pub first: bool,
    /// From the event's delivery to the response.
    pub wall_ms: f64,
    /// Time with at least one request open at the endpoint.
    pub busy_ms: f64,
    /// `wall_ms - busy_ms`: the handler's own time plus loopback I/O.
    pub own_ms: f64,
    /// From the event's delivery to the arrival of the handler's first AWS request.
    pub to_first_request_ms: f64,
    pub requests: BTreeMap<String, u64>,
    pub steps: Vec<Step>,
    /// From the last response of the endpoint to the function's response.
    pub after_last_request_ms: f64,
}

/// The spreads of the event samples of one latency, first or later invocations.
#[derive(Debug)]
pub struct EventGroup {
    pub latency_ms: u64,
    pub first: bool,
    pub samples: usize,
    pub wall_ms: Spread,
    pub busy_ms: Spread,
    pub own_ms: Spread,
    pub to_first_request_ms: Spread,
    pub requests: Spread,
}

/// The bucket-event latency measurement.
#[derive(Debug)]
pub struct EventLatency {
    pub bucket: String,
    pub bucket_region: &'static str,
    pub groups: Vec<EventGroup>,
    pub samples: Vec<EventSample>,
}

/// One check of a scheduled run's output.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// One scheduled audit run.
#[derive(Debug)]
pub struct ScheduledRun {
    /// From the first event's delivery to the last response.
    pub wall_s: f64,
    /// CPU time of the invocations (the process's CPU time minus that before the first event).
    pub cpu_s: f64,
    pub peak_rss_mb: f64,
    pub invocations: usize,
    pub requests: BTreeMap<String, u64>,
    pub floor_s: f64,
    pub report_bytes: usize,
    /// Parts of the largest multipart upload, 0 when the report was stored with PutObject.
    pub multipart_parts: usize,
    pub checks: Vec<Check>,
}

/// The scheduled audit runs.
#[derive(Debug)]
pub struct Scheduled {
    pub buckets: usize,
    pub wall_s: Spread,
    pub cpu_s: Spread,
    pub cpu_ms_per_bucket: Spread,
    pub peak_rss_mb: Spread,
    pub wall_over_floor: Spread,
    pub runs: Vec<ScheduledRun>,
}

/// The totals of `bucketwarden audit --all --format json` on the same account,
/// which the scheduled audit's report must match.
#[derive(Clone, Debug)]
pub struct ExpectedTotals {
    pub buckets: usize,
    pub totals: Value,
}

impl ExpectedTotals {
    pub fn findings(&self) -> u64 {
        self.totals["findings_by_severity"]
            .as_object()
            .map_or(0, |counts| counts.values().filter_map(Value::as_u64).sum())
    }
}

/// Everything the Lambda measurements produced.
#[derive(Debug)]
pub struct LambdaResults {
    pub cold_starts: Vec<ColdStart>,
    pub event: EventLatency,
    pub scheduled: Scheduled,
}

fn read_event(settings: &LambdaSettings, name: &str) -> anyhow::Result<Value> {
    let path = settings.events.join(name);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the sample event {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// Returns events/create-bucket.json with the bucket, host and region of `bucket`.
fn create_bucket_event(settings: &LambdaSettings, bucket: &Bucket) -> anyhow::Result<Value> {
    let mut event = read_event(settings, "create-bucket.json")?;
    let name = bucket.name();
    let host = format!("{name}.s3.amazonaws.com");
    event["region"] = json!(bucket.region);
    let detail = &mut event["detail"];
    detail["awsRegion"] = json!(bucket.region);
    detail["requestParameters"]["bucketName"] = json!(name);
    detail["requestParameters"]["Host"] = json!(host);
    detail["tlsDetails"]["clientProvidedHostHeader"] = json!(host);
    Ok(event)
}

/// Wraps a continuation message as the SQS event that the queue's event source
/// mapping delivers (batch size 1).
fn sqs_event(body: &str) -> Value {
    json!({
        "Records": [{
            "messageId": "00000000-0000-4000-a000-000000000001",
            "receiptHandle": "bench",
            "body": body,
            "attributes": {},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:aws:sqs:{CLIENT_REGION}:{}:bucketwarden-continuations", fixtures::ACCOUNT_ID),
            "awsRegion": CLIENT_REGION,
        }]
    })
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn status_of(result: &Result<Value, String>) -> anyhow::Result<&str> {
    match result {
        Ok(value) => Ok(value["status"].as_str().unwrap_or_default()),
        Err(error) => bail!("the invocation failed: {error}"),
    }
}

/// Starts `spec` `settings.cold_start_runs` times, measures the time to its first
/// request for an event, invokes it once with `event` and reads its peak RSS.
async fn measure_cold_start(
    settings: &LambdaSettings,
    state: &State,
    spec: &FunctionSpec,
    event: &Value,
    account_buckets: usize,
    description: String,
) -> anyhow::Result<ColdStart> {
    let mut runs = Vec::new();
    for run in 0..settings.cold_start_runs {
        state.reset(account_buckets);
        let label = format!("cold-{run}");
        let mut function = RunningFunction::start(
            spec,
            &settings.binaries,
            &settings.endpoint,
            &settings.scratch,
            &label,
        )
        .await?;
        let cold_start = function.cold_start(START_LIMIT).await?;
        let outcome = function.invoke(event, spec.timeout).await?;
        let status = status_of(&outcome.result)?;
        anyhow::ensure!(
            status == "published",
            "{} returned status {status:?} for its first event, expected \"published\": {:?}",
            spec.name,
            outcome.result
        );
        let peak_rss_mb = function.peak_rss_mb()?;
        function.stop();
        let measured = ColdStartRun {
            cold_start_ms: millis(cold_start),
            first_invocation_ms: millis(outcome.duration()),
            peak_rss_mb,
            requests: state.traffic().total(),
        };
        eprintln!(
            "{} cold start run={}/{} start={:.1}ms first invocation={:.1}ms rss={:.1}MB",
            spec.name,
            run + 1,
            settings.cold_start_runs,
            measured.cold_start_ms,
            measured.first_invocation_ms,
            measured.peak_rss_mb
        );
        runs.push(measured);
    }
    let spread = |figure: fn(&ColdStartRun) -> f64| Spread::of(runs.iter().map(figure));
    Ok(ColdStart {
        function: spec.name,
        event: description,
        cold_start_ms: spread(|run| run.cold_start_ms),
        first_invocation_ms: spread(|run| run.first_invocation_ms),
        peak_rss_mb: spread(|run| run.peak_rss_mb),
        runs,
    })
}

/// Splits one invocation's time with the endpoint's record of its requests.
fn event_sample(
    latency_ms: u64,
    first: bool,
    outcome: &InvocationOutcome,
    traffic: Traffic,
) -> anyhow::Result<EventSample> {
    let wall_ms = millis(outcome.duration());
    let busy_ms = millis(traffic.busy);
    let first_request = traffic
        .first_arrival
        .context("the handler responded without sending any AWS request")?;
    let to_first_request_ms = millis(first_request.saturating_duration_since(outcome.delivered_at));

    let steps = traffic
        .periods
        .iter()
        .map(|period| {
            let mut operations = BTreeMap::new();
            for operation in &period.operations {
                *operations.entry(*operation).or_default() += 1;
            }
            Step {
                idle_before_ms: period.idle_before.map_or(to_first_request_ms, millis),
                operations,
            }
        })
        .collect();
    let after_last_request_ms = traffic.last_departure.map_or(0.0, |departure| {
        millis(outcome.finished_at.saturating_duration_since(departure))
    });

    Ok(EventSample {
        latency_ms,
        first,
        wall_ms,
        busy_ms,
        own_ms: (wall_ms - busy_ms).max(0.0),
        to_first_request_ms,
        requests: traffic.by_operation,
        steps,
        after_last_request_ms,
    })
}

/// Invokes bucket-event `settings.events_per_run` times per process at each
/// latency, and splits each invocation's time into time with requests open at
/// the endpoint and the rest.
async fn measure_event_latency(
    settings: &LambdaSettings,
    state: &State,
    event: &Value,
    bucket: &Bucket,
    account_buckets: usize,
) -> anyhow::Result<EventLatency> {
    let spec = FunctionSpec::bucket_event();
    let mut latencies = vec![Duration::ZERO];
    if !settings.latency.is_zero() {
        latencies.push(settings.latency);
    }
    let mut samples = Vec::new();
    for latency in latencies {
        state.set_latency(latency);
        let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        for run in 0..settings.event_runs {
            state.reset(account_buckets);
            let label = format!("event-{latency_ms}ms-{run}");
            let mut function = RunningFunction::start(
                &spec,
                &settings.binaries,
                &settings.endpoint,
                &settings.scratch,
                &label,
            )
            .await?;
            function.cold_start(START_LIMIT).await?;
            for index in 0..settings.events_per_run {
                state.clear_traffic();
                let outcome = function.invoke(event, spec.timeout).await?;
                let status = status_of(&outcome.result)?;
                anyhow::ensure!(
                    status == "published",
                    "bucket-event returned status {status:?}, expected \"published\": {:?}",
                    outcome.result
                );
                samples.push(event_sample(
                    latency_ms,
                    index == 0,
                    &outcome,
                    state.traffic(),
                )?);
            }
            function.stop();
        }
    }
    state.set_latency(settings.latency);

    let mut groups = Vec::new();
    let mut keys: Vec<(u64, bool)> = samples
        .iter()
        .map(|sample| (sample.latency_ms, sample.first))
        .collect();
    keys.sort_by_key(|(latency, first)| (*latency, !*first));
    keys.dedup();
    for (latency_ms, first) in keys {
        let group: Vec<&EventSample> = samples
            .iter()
            .filter(|sample| sample.latency_ms == latency_ms && sample.first == first)
            .collect();
        let spread = |figure: fn(&EventSample) -> f64| Spread::of(group.iter().map(|s| figure(s)));
        let event_group = EventGroup {
            latency_ms,
            first,
            samples: group.len(),
            wall_ms: spread(|sample| sample.wall_ms),
            busy_ms: spread(|sample| sample.busy_ms),
            own_ms: spread(|sample| sample.own_ms),
            to_first_request_ms: spread(|sample| sample.to_first_request_ms),
            requests: spread(|sample| sample.requests.values().sum::<u64>() as f64),
        };
        eprintln!(
            "bucket-event latency={latency_ms}ms {} events={} wall={:.2}ms own={:.2}ms (medians)",
            if first { "first" } else { "later" },
            event_group.samples,
            event_group.wall_ms.median,
            event_group.own_ms.median
        );
        groups.push(event_group);
    }
    Ok(EventLatency {
        bucket: bucket.name(),
        bucket_region: bucket.region,
        groups,
        samples,
    })
}

/// Runs one scheduled audit of `settings.scheduled_buckets` buckets to its end,
/// following continuations, and checks what it stored and published.
async fn scheduled_run(
    settings: &LambdaSettings,
    state: &State,
    expected: &ExpectedTotals,
    run: usize,
    ticks: f64,
) -> anyhow::Result<ScheduledRun> {
    let spec = FunctionSpec::scheduled_audit(settings.concurrency);
    let buckets = settings.scheduled_buckets;
    state.reset(buckets);
    let mut event = read_event(settings, "scheduled-audit.json")?;
    let mut function = RunningFunction::start(
        &spec,
        &settings.binaries,
        &settings.endpoint,
        &settings.scratch,
        &format!("scheduled-{run}"),
    )
    .await?;
    function.cold_start(START_LIMIT).await?;
    let cpu_before = function.cpu_seconds(ticks)?;
    state.clear_traffic();

    let mut first_delivery: Option<Instant> = None;
    let mut invocations = 0;
    let (response, wall) = loop {
        invocations += 1;
        anyhow::ensure!(
            invocations <= MAX_INVOCATIONS,
            "the scheduled audit did not finish in {MAX_INVOCATIONS} invocations"
        );
        let outcome = function.invoke(&event, spec.timeout).await?;
        let started_at = *first_delivery.get_or_insert(outcome.delivered_at);
        match status_of(&outcome.result)? {
            "published" => {
                let wall = outcome.finished_at.saturating_duration_since(started_at);
                break (outcome.result.unwrap_or_default(), wall);
            }
            "continued" => {
                let message = state
                    .queued()
                    .pop()
                    .context("the run continued without an SQS message")?;
                event = sqs_event(&message);
            }
            other => bail!(
                "the scheduled audit returned status {other:?}: {:?}",
                outcome.result
            ),
        }
    };
    let cpu_s = function.cpu_seconds(ticks)? - cpu_before;
    let peak_rss_mb = function.peak_rss_mb()?;
    function.stop();

    let traffic = state.traffic();
    let (_, _, open_uploads, multipart_parts) = state.object_usage();
    let report_key = response["report_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let report = state.object(&report_key);
    let report_bytes = report.as_ref().map_or(0, |bytes| bytes.len());
    let checks = check_scheduled(state, expected, &response, report.as_deref(), open_uploads);
    let latency_s = settings.latency.as_secs_f64();
    let floor_s = traffic.total() as f64 * latency_s / f64::from(settings.concurrency);
    let measured = ScheduledRun {
        wall_s: wall.as_secs_f64(),
        cpu_s,
        peak_rss_mb,
        invocations,
        requests: traffic.by_operation,
        floor_s,
        report_bytes,
        multipart_parts,
        checks,
    };
    eprintln!(
        "scheduled-audit buckets={buckets} run={}/{} wall={:.2}s cpu={:.2}s rss={:.1}MB invocations={} checks passed={}/{}",
        run + 1,
        settings.scheduled_runs,
        measured.wall_s,
        measured.cpu_s,
        measured.peak_rss_mb,
        measured.invocations,
        measured.checks.iter().filter(|check| check.passed).count(),
        measured.checks.len()
    );
    Ok(measured)
}

/// Compares the scheduled audit's response, stored report and SNS message with
/// the CLI's audit of the same account.
fn check_scheduled(
    state: &State,
    expected: &ExpectedTotals,
    response: &Value,
    report: Option<&[u8]>,
    open_uploads: usize,
) -> Vec<Check> {
    let buckets = expected.buckets;
    let findings = expected.findings();
    let mut checks = Vec::new();

    let answered_buckets = response["buckets"].as_u64().unwrap_or(0);
    let answered_findings = response["findings"].as_u64().unwrap_or(u64::MAX);
    checks.push(Check {
        name: "response counts",
        passed: answered_buckets == buckets as u64 && answered_findings == findings,
        detail: format!(
            "the invocation returned {answered_buckets} buckets and {answered_findings} findings; the CLI audit has {buckets} and {findings}"
        ),
    });

    let stored: Option<Value> = report.and_then(|bytes| serde_json::from_slice(bytes).ok());
    let (stored_buckets, stored_unread, stored_totals) = match &stored {
        Some(value) => (
            value["buckets"].as_array().map_or(0, Vec::len),
            value["unread"].as_array().map_or(0, Vec::len),
            value["totals"].clone(),
        ),
        None => (0, 0, Value::Null),
    };
    let key = response["report_key"].as_str().unwrap_or_default();
    checks.push(Check {
        name: "stored report buckets",
        passed: stored.is_some() && stored_buckets == buckets && stored_unread == 0,
        detail: match &stored {
            Some(_) => format!(
                "s3://{}/{key} lists {stored_buckets} buckets and {stored_unread} unread; expected {buckets} and 0",
                fixtures::REPORT_BUCKET
            ),
            None => format!(
                "no JSON object at s3://{}/{key}",
                fixtures::REPORT_BUCKET
            ),
        },
    });
    checks.push(Check {
        name: "stored report totals",
        passed: stored.is_some() && stored_totals == expected.totals,
        detail: if stored_totals == expected.totals {
            format!("equal to the CLI audit's totals: {}", expected.totals)
        } else {
            format!(
                "stored {stored_totals}, the CLI audit has {}",
                expected.totals
            )
        },
    });

    let published = state.published();
    let summaries: Vec<_> = published
        .iter()
        .filter(|message| message.attributes.get("kind").map(String::as_str) == Some("account"))
        .collect();
    checks.push(Check {
        name: "one SNS summary",
        passed: summaries.len() == 1 && published.len() == 1,
        detail: format!(
            "Publish requests: {}, with kind=account: {}",
            published.len(),
            summaries.len()
        ),
    });
    if let Some(summary) = summaries.first() {
        let attribute = summary
            .attributes
            .get("findings")
            .cloned()
            .unwrap_or_default();
        checks.push(Check {
            name: "SNS findings attribute",
            passed: attribute == findings.to_string() && summary.topic_arn == fixtures::TOPIC_ARN,
            detail: format!(
                "findings={attribute} on {}; the CLI audit has {findings} findings",
                summary.topic_arn
            ),
        });
        let subject = summary.subject.clone().unwrap_or_default();
        let counted = format!("{buckets} buckets");
        let audited = format!("audited {buckets} S3 buckets");
        let findings_line = format!("Findings: {findings} ");
        checks.push(Check {
            name: "SNS subject and body counts",
            passed: subject.contains(&counted)
                && summary.message.contains(&audited)
                && summary.message.contains(&findings_line),
            detail: format!(
                "subject {subject:?}; the body {} \"{audited}\" and {} \"{}\"",
                if summary.message.contains(&audited) {
                    "contains"
                } else {
                    "lacks"
                },
                if summary.message.contains(&findings_line) {
                    "contains"
                } else {
                    "lacks"
                },
                findings_line.trim_end()
            ),
        });
    }
    checks.push(Check {
        name: "no multipart upload left open",
        passed: open_uploads == 0,
        detail: format!("{open_uploads} uploads neither completed nor aborted"),
    });
    checks
}

/// Runs every Lambda measurement against the endpoint whose state is `state`.
pub async fn measure(
    settings: &LambdaSettings,
    state: &State,
    expected: &ExpectedTotals,
) -> anyhow::Result<LambdaResults> {
    anyhow::ensure!(
        expected.buckets == settings.scheduled_buckets,
        "the expected totals are for {} buckets, not {}",
        expected.buckets,
        settings.scheduled_buckets
    );
    state.set_latency(settings.latency);

    let bucket = fixtures::slowest_bucket(settings.seed);
    let event_account = settings.cold_start_buckets.max(bucket.index + 1);
    let create_bucket = create_bucket_event(settings, &bucket)?;
    let scheduled_event = read_event(settings, "scheduled-audit.json")?;

    let bucket_event = measure_cold_start(
        settings,
        state,
        &FunctionSpec::bucket_event(),
        &create_bucket,
        event_account,
        format!(
            "one CreateBucket event for {} ({}, SSE-KMS)",
            bucket.name(),
            bucket.region
        ),
    )
    .await?;
    let scheduled_audit = measure_cold_start(
        settings,
        state,
        &FunctionSpec::scheduled_audit(settings.concurrency),
        &scheduled_event,
        settings.cold_start_buckets,
        format!(
            "one scheduled event: an audit of {} buckets",
            settings.cold_start_buckets
        ),
    )
    .await?;

    let event =
        measure_event_latency(settings, state, &create_bucket, &bucket, event_account).await?;

    let ticks = clock_ticks();
    let mut runs = Vec::new();
    for run in 0..settings.scheduled_runs {
        runs.push(scheduled_run(settings, state, expected, run, ticks).await?);
    }
    let buckets = settings.scheduled_buckets;
    let spread = |figure: &dyn Fn(&ScheduledRun) -> f64| Spread::of(runs.iter().map(figure));
    let scheduled = Scheduled {
        buckets,
        wall_s: spread(&|run| run.wall_s),
        cpu_s: spread(&|run| run.cpu_s),
        cpu_ms_per_bucket: spread(&|run| run.cpu_s * 1000.0 / buckets.max(1) as f64),
        peak_rss_mb: spread(&|run| run.peak_rss_mb),
        wall_over_floor: spread(&|run| {
            if run.floor_s > 0.0 {
                run.wall_s / run.floor_s
            } else {
                0.0
            }
        }),
        runs,
    };

    Ok(LambdaResults {
        cold_starts: vec![bucket_event, scheduled_audit],
        event,
        scheduled,
    })
}

/// Returns the directory of the release binaries next to `binary`.
pub fn binaries_directory(binary: &Path) -> PathBuf {
    binary
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
