//! Runs every snapshot of the corpus in `tests/corpus` through
//! `bucketwarden evaluate --format json` and compares the outcome of each control
//! that the case's expected file lists, and of no other control.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn evaluate(snapshot: &Path) -> (Value, i32) {
    let output = Command::new(env!("CARGO_BIN_EXE_bucketwarden"))
        .args(["evaluate", "--format", "json", "--snapshot"])
        .arg(snapshot)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr: {}",
            snapshot.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code().unwrap())
}

#[test]
fn corpus_through_cli_matches_expected() {
    let mut cases = 0;
    let mut mismatches = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(".snapshot.json"))
        .collect();
    paths.sort();
    for path in paths {
        let case = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".snapshot.json", "");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(corpus_dir().join(format!("{case}.expected.json"))).unwrap(),
        )
        .unwrap();
        let (report, code) = evaluate(&path);
        assert!(code == 0 || code == 1, "{case}: exit code {code}");
        let results = report["results"].as_array().unwrap();
        for (control, outcome) in expected["controls"].as_object().unwrap() {
            let result = results
                .iter()
                .find(|r| r["id"] == *control)
                .unwrap_or_else(|| panic!("{case}: no {control}"));
            if result["outcome"] != *outcome {
                mismatches.push(format!(
                    "{case} {control}: expected {outcome}, got {} ({})",
                    result["outcome"], result["reason"]
                ));
            }
            assert!(
                !result["reason"].as_str().unwrap().is_empty(),
                "{case} {control}: empty reason"
            );
        }
        cases += 1;
    }
    assert_eq!(cases, 49, "the corpus has 49 snapshot cases");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn evaluate_rejects_unknown_entry_with_fix() {
    let dir = std::env::temp_dir().join(format!("bucketwarden-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("typo.snapshot.json");
    std::fs::write(
        &path,
        r#"{"Bucket":"b","AccountId":"111122223333","Region":"us-east-1","GetBucketPolcy":{}}"#,
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bucketwarden"))
        .args(["evaluate", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("unknown field `GetBucketPolcy`"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn evaluate_missing_file_exits_two() {
    let output = Command::new(env!("CARGO_BIN_EXE_bucketwarden"))
        .args(["evaluate", "--snapshot", "/nonexistent/snapshot.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("cannot read `/nonexistent/snapshot.json`")
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// Writes the compliant fixture with versioning suspended (a medium finding).
fn suspended_versioning_snapshot() -> PathBuf {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("compliant.snapshot.json")).unwrap())
            .unwrap();
    snapshot["GetBucketVersioning"] = serde_json::json!({"Status": "Suspended"});
    let dir = std::env::temp_dir().join(format!("bucketwarden-cli-failon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("suspended.snapshot.json");
    std::fs::write(&path, snapshot.to_string()).unwrap();
    path
}

fn exit_code(args: &[&str], snapshot: &Path) -> i32 {
    Command::new(env!("CARGO_BIN_EXE_bucketwarden"))
        .arg("evaluate")
        .args(args)
        .arg("--snapshot")
        .arg(snapshot)
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

#[test]
fn compliant_snapshot_exits_zero() {
    assert_eq!(exit_code(&[], &fixture("compliant.snapshot.json")), 0);
}

#[test]
fn fail_on_threshold_sets_exit_code() {
    let snapshot = suspended_versioning_snapshot();
    assert_eq!(exit_code(&["--fail-on", "high"], &snapshot), 0);
    assert_eq!(exit_code(&["--fail-on", "medium"], &snapshot), 1);
    assert_eq!(exit_code(&[], &snapshot), 1);
}

#[test]
fn exempt_finding_does_not_fail() {
    let snapshot = suspended_versioning_snapshot();
    assert_eq!(
        exit_code(&["--exempt", "data-*=versioning-enabled"], &snapshot),
        0
    );
}

#[test]
fn invalid_fail_on_exits_two_with_choices() {
    let output = Command::new(env!("CARGO_BIN_EXE_bucketwarden"))
        .args(["evaluate", "--fail-on", "severe", "--snapshot"])
        .arg(fixture("compliant.snapshot.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("use one of critical, high, medium, low, info")
    );
}
