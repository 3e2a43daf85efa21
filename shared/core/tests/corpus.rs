//! Runs every snapshot of the corpus in `tests/corpus` and compares the outcome of
//! each control its expected file lists. Controls that a case does not list are not
//! checked: a snapshot holds only the reads its case needs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use std::fs;
use std::path::PathBuf;

use bucketwarden_core::{Config, Snapshot, evaluate};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

#[test]
fn corpus_outcomes_match() {
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(case) = name.strip_suffix(".snapshot.json") else {
            continue;
        };
        let snapshot = Snapshot::from_json(&fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let expected: Value = serde_json::from_str(
            &fs::read_to_string(corpus_dir().join(format!("{case}.expected.json"))).unwrap(),
        )
        .unwrap();
        let report = evaluate(&snapshot, &Config::default());
        for (control, outcome) in expected["controls"].as_object().unwrap() {
            let result = report
                .result(control)
                .unwrap_or_else(|| panic!("{case}: no control {control}"));
            checked += 1;
            if result.outcome.as_str() != outcome.as_str().unwrap() {
                mismatches.push(format!(
                    "{case} {control}: expected {outcome}, got {} ({})",
                    result.outcome, result.reason
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} outcomes checked");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_outcome_has_reason_and_evidence() {
    let mut paths: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".snapshot.json"))
        .collect();
    paths.push(corpus_dir().join("../fixtures/compliant.snapshot.json"));
    let mut empty = Vec::new();
    for path in paths {
        let snapshot = Snapshot::from_json(&fs::read_to_string(&path).unwrap()).unwrap();
        for result in evaluate(&snapshot, &Config::default()).results {
            assert!(
                !result.reason.is_empty(),
                "{}: {} has no reason",
                path.display(),
                result.id
            );
            if result.evidence.is_empty() {
                empty.push(format!(
                    "{} {} {}",
                    path.file_name().unwrap().to_string_lossy(),
                    result.id,
                    result.outcome
                ));
            }
        }
    }
    empty.sort();
    empty.dedup();
    assert!(
        empty.is_empty(),
        "results without evidence:\n{}",
        empty.join("\n")
    );
}
