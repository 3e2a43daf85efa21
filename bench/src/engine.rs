//! The engine's share of an audit's CPU time: evaluating a snapshot and writing its
//! report as pretty JSON, as `bucketwarden audit --format json` does, with no request
//! sent. The snapshots are those of the test corpus in `tests/corpus`.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use bucketwarden_core::{Config, Snapshot, evaluate};

/// The time the engine takes per bucket, on one thread.
#[derive(Clone, Copy, Debug)]
pub struct EngineCost {
    /// Snapshots in the corpus.
    pub snapshots: usize,
    /// Evaluations per run: the corpus repeated.
    pub evaluations: usize,
    /// The fastest of the runs, in microseconds per evaluation. The work is pure
    /// computation on one thread, so the fastest run is the one least disturbed by
    /// other processes.
    pub micros_per_bucket: f64,
}

/// Evaluates the corpus's snapshots `evaluations` times in all, `runs` times over.
pub fn measure(corpus: &Path, evaluations: usize, runs: usize) -> anyhow::Result<EngineCost> {
    let mut snapshots = Vec::new();
    for entry in std::fs::read_dir(corpus).with_context(|| corpus.display().to_string())? {
        let path = entry?.path();
        if !path.to_string_lossy().ends_with(".snapshot.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        let snapshot = Snapshot::from_json(&text)
            .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        snapshots.push(snapshot);
    }
    anyhow::ensure!(!snapshots.is_empty(), "no snapshot in {}", corpus.display());

    let config = Config::default();
    let mut fastest = f64::INFINITY;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let mut bytes = 0;
        for snapshot in snapshots.iter().cycle().take(evaluations) {
            let report = evaluate(snapshot, &config);
            bytes += serde_json::to_vec_pretty(&report)?.len();
        }
        let elapsed = started.elapsed().as_secs_f64();
        std::hint::black_box(bytes);
        fastest = fastest.min(elapsed * 1e6 / evaluations.max(1) as f64);
    }
    Ok(EngineCost {
        snapshots: snapshots.len(),
        evaluations,
        micros_per_bucket: fastest,
    })
}
