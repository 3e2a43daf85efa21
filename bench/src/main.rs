//! Benchmark harness for `bucketwarden audit --all` and the Lambda functions.
//!
//! Starts a canned-response AWS endpoint on 127.0.0.1 and runs the CLI's release
//! binary against it for each bucket count: wall time, CPU time, peak RSS, and
//! requests against the allowance. Then runs the bucket-event and scheduled-audit
//! release binaries through a local Lambda Runtime API: cold start, handler time,
//! and a scheduled audit of a large account. Finally zips each function binary,
//! and writes BENCHMARKS.md and bench/results.json.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

mod allowance;
mod engine;
mod fixtures;
mod function;
mod lambda;
mod measure;
mod objects;
mod report;
mod report_lambda;
mod runtime_api;
mod server;
mod size;

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;

use crate::lambda::{ExpectedTotals, LambdaSettings};

/// Runs `bucketwarden audit --all` and the Lambda functions against a local
/// canned-response endpoint and writes the figures.
#[derive(Debug, Parser)]
struct Args {
    /// Bucket counts to audit with the CLI, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    buckets: Vec<usize>,

    /// Delay before each response of the endpoint, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,

    /// Buckets read at once: `bucketwarden audit --concurrency` and the
    /// scheduled-audit function's `BUCKETWARDEN_CONCURRENCY`.
    #[arg(long, default_value_t = 32)]
    concurrency: u16,

    /// CLI runs per bucket count.
    #[arg(long, default_value_t = 3)]
    runs: usize,

    /// Seed of the bucket settings.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Leave `<BucketRegion>` out of every ListBuckets response, as emulators do.
    /// By default it is sent whenever the request has a query parameter, as S3
    /// sends it, so an audit that pages with `max-buckets` needs no HeadBucket.
    #[arg(long)]
    no_list_bucket_region: bool,

    /// Time limit of one CLI audit run, in seconds. The run is killed after it.
    #[arg(long, default_value_t = 900)]
    timeout_s: u64,

    /// The bucketwarden binary to run. The function binaries are read from the
    /// same directory.
    #[arg(long, default_value = "target/release/bucketwarden")]
    binary: PathBuf,

    /// Measure the CLI and the package sizes only, not the Lambda functions.
    #[arg(long)]
    skip_lambda: bool,

    /// Starts of each function for the cold start figures.
    #[arg(long, default_value_t = 10)]
    cold_start_runs: usize,

    /// Buckets in the account that each scheduled-audit cold start run audits.
    #[arg(long, default_value_t = 100)]
    cold_start_buckets: usize,

    /// bucket-event processes per latency for the handler time.
    #[arg(long, default_value_t = 5)]
    event_runs: usize,

    /// Invocations of each of those processes.
    #[arg(long, default_value_t = 10)]
    events_per_run: usize,

    /// Buckets in the account of the scheduled audit.
    #[arg(long, default_value_t = 10_000)]
    scheduled_buckets: usize,

    /// Scheduled audit runs.
    #[arg(long, default_value_t = 3)]
    scheduled_runs: usize,

    /// Directory of the sample events (create-bucket.json, scheduled-audit.json).
    #[arg(long, default_value = "events")]
    events: PathBuf,

    /// Directory of the arm64 bootstraps that `make build` writes.
    #[arg(long, default_value = "target/lambda")]
    lambda_builds: PathBuf,

    /// Output path of the Markdown report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    markdown: PathBuf,

    /// Output path of the figures as JSON.
    #[arg(long, default_value = "bench/results.json")]
    json: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.binary.is_file(),
        "{} not found; build it with `cargo build --release -p bucketwarden`",
        args.binary.display()
    );
    anyhow::ensure!(args.runs > 0, "--runs must be at least 1");
    anyhow::ensure!(
        args.skip_lambda
            || (args.cold_start_runs > 0
                && args.event_runs > 0
                && args.events_per_run > 1
                && args.scheduled_runs > 0),
        "--cold-start-runs, --event-runs and --scheduled-runs must be at least 1, and \
         --events-per-run at least 2 (a first and a later invocation)"
    );

    // Two workers: the endpoint shares the machine with the programs it serves.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let latency = Duration::from_millis(args.latency_ms);
    let list_bucket_region = !args.no_list_bucket_region;
    let server = runtime.block_on(server::start(args.seed, latency, list_bucket_region));
    eprintln!("canned endpoint listening on http://{}", server.address);

    let settings = measure::Settings {
        binary: args.binary.clone(),
        endpoint: format!("http://{}", server.address),
        concurrency: args.concurrency,
        latency,
        seed: args.seed,
        list_bucket_region,
        timeout: Duration::from_secs(args.timeout_s),
    };
    let results = run_cli_audits(&args, &settings, &server)?;
    let scratch = measure::scratch_directory();
    std::fs::create_dir_all(&scratch)?;

    let lambda_settings = LambdaSettings {
        binaries: lambda::binaries_directory(&args.binary),
        events: args.events.clone(),
        endpoint: settings.endpoint.clone(),
        scratch: scratch.clone(),
        seed: args.seed,
        latency,
        concurrency: args.concurrency,
        cold_start_runs: args.cold_start_runs,
        cold_start_buckets: args.cold_start_buckets,
        event_runs: args.event_runs,
        events_per_run: args.events_per_run,
        scheduled_buckets: args.scheduled_buckets,
        scheduled_runs: args.scheduled_runs,
    };
    let lambda = if args.skip_lambda {
        None
    } else {
        let expected = expected_totals(&settings, &server, &results, args.scheduled_buckets)?;
        let measured =
            runtime.block_on(lambda::measure(&lambda_settings, &server.state, &expected))?;
        Some(report::LambdaPart {
            settings: &lambda_settings,
            results: measured,
        })
    };
    let (sizes, missing) = size::measure(&lambda_settings.binaries, &args.lambda_builds, &scratch)?;
    server.stop();
    std::fs::remove_dir_all(&scratch)?;

    let machine = report::Machine::read();
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let command = format!(
        "cargo run --release -p bucketwarden-bench -- {}",
        arguments.join(" ")
    );
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let engine = engine::measure(&corpus, 10_000, 3)?;
    eprintln!(
        "engine: {:.1} µs per bucket over {} snapshots",
        engine.micros_per_bucket, engine.snapshots
    );
    let report = report::Report {
        machine,
        command,
        settings: &settings,
        runs: args.runs,
        results,
        lambda,
        sizes: report::SizePart { sizes, missing },
        engine: Some(engine),
    };
    if let Some(parent) = args.json.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(
        &args.json,
        serde_json::to_string_pretty(&report.to_json())? + "\n",
    )?;
    std::fs::write(&args.markdown, report.to_markdown())?;
    eprintln!(
        "wrote {} and {}",
        args.markdown.display(),
        args.json.display()
    );
    Ok(())
}

/// Runs the CLI audit `args.runs` times for each bucket count.
fn run_cli_audits(
    args: &Args,
    settings: &measure::Settings,
    server: &server::Server,
) -> anyhow::Result<Vec<measure::Summary>> {
    let mut results = Vec::new();
    for &bucket_count in &args.buckets {
        let mut runs = Vec::new();
        for _ in 0..args.runs {
            server.state.reset(bucket_count);
            let measured = measure::run_audit(settings, bucket_count)?;
            let requests = server.state.requests();
            let run = measure::Run::new(settings, bucket_count, measured, requests);
            eprintln!(
                "buckets={bucket_count} run={}/{} wall={:.2}s cpu={:.2}s rss={:.1}MB requests={} wall/floor={:.3}",
                runs.len() + 1,
                args.runs,
                run.wall_s,
                run.cpu_s,
                run.peak_rss_mb,
                run.requests,
                run.wall_over_floor,
            );
            runs.push(run);
        }
        results.push(measure::Summary::new(bucket_count, runs));
    }
    Ok(results)
}

/// Returns the CLI audit's totals for `buckets` buckets: from the runs above
/// when that count was among them, else from one more run.
fn expected_totals(
    settings: &measure::Settings,
    server: &server::Server,
    results: &[measure::Summary],
    buckets: usize,
) -> anyhow::Result<ExpectedTotals> {
    if let Some(run) = results
        .iter()
        .find(|summary| summary.buckets == buckets)
        .and_then(|summary| summary.runs.first())
    {
        return Ok(ExpectedTotals {
            buckets,
            totals: run.totals.clone(),
        });
    }
    eprintln!("auditing {buckets} buckets with the CLI once, for the scheduled audit's checks");
    server.state.reset(buckets);
    let measured = measure::run_audit(settings, buckets)?;
    let run = measure::Run::new(settings, buckets, measured, server.state.requests());
    Ok(ExpectedTotals {
        buckets,
        totals: run.totals,
    })
}
