//! Benchmark harness for `bucketwarden audit --all`.
//!
//! Starts a canned-response AWS endpoint on 127.0.0.1, runs the release binary
//! against it for each bucket count, measures wall time, CPU time, peak RSS and
//! requests, and writes BENCHMARKS.md and bench/results.json.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

mod fixtures;
mod measure;
mod report;
mod server;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Runs `bucketwarden audit --all` against a local canned-response endpoint
/// and writes the figures.
#[derive(Debug, Parser)]
struct Args {
    /// Bucket counts to audit, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    buckets: Vec<usize>,

    /// Delay before each response of the endpoint, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,

    /// Passed to `bucketwarden audit --concurrency`.
    #[arg(long, default_value_t = 32)]
    concurrency: u16,

    /// Runs per bucket count.
    #[arg(long, default_value_t = 3)]
    runs: usize,

    /// Seed of the bucket settings.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Send `<BucketRegion>` in ListBuckets, as AWS does, so the audit skips HeadBucket.
    #[arg(long)]
    list_bucket_region: bool,

    /// Time limit of one audit run, in seconds. The run is killed after it.
    #[arg(long, default_value_t = 900)]
    timeout_s: u64,

    /// The bucketwarden binary to run.
    #[arg(long, default_value = "target/release/bucketwarden")]
    binary: PathBuf,

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

    // Two workers: the endpoint shares the machine with the audit it serves.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let latency = Duration::from_millis(args.latency_ms);
    let server = runtime.block_on(server::start(args.seed, latency, args.list_bucket_region));
    eprintln!("canned endpoint listening on http://{}", server.address);

    let settings = measure::Settings {
        binary: args.binary.clone(),
        endpoint: format!("http://{}", server.address),
        concurrency: args.concurrency,
        latency,
        seed: args.seed,
        list_bucket_region: args.list_bucket_region,
        timeout: Duration::from_secs(args.timeout_s),
    };
    let mut results = Vec::new();
    for &bucket_count in &args.buckets {
        let mut runs = Vec::new();
        for _ in 0..args.runs {
            server.state.reset(bucket_count);
            let measured = measure::run_audit(&settings, bucket_count)?;
            let requests = server.state.requests();
            let run = measure::Run::new(&settings, bucket_count, measured, requests);
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
    server.stop();
    std::fs::remove_dir_all(measure::scratch_directory())?;

    let machine = report::Machine::read();
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let command = format!(
        "cargo run --release -p bucketwarden-bench -- {}",
        arguments.join(" ")
    );
    let report = report::Report {
        machine,
        command,
        settings: &settings,
        runs: args.runs,
        results,
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
