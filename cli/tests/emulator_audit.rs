//! `bucketwarden audit` against the local emulator: every control's outcome on a
//! known set of buckets, read errors, the absence of write calls, and buckets in
//! other regions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use bucketwarden_tests::matrix::{self, REGION};
use bucketwarden_tests::{Emulator, Fault};
use serde_json::Value;

/// Runs the CLI against the emulator with test credentials and no profile lookups.
async fn run_cli(emulator: &Emulator, args: &[&str]) -> (i32, String, String) {
    let output =
        bucketwarden_tests::cli::run(env!("CARGO_BIN_EXE_bucketwarden"), emulator, args).await;
    (output.code, output.stdout, output.stderr)
}

async fn audit_all(emulator: &Emulator) -> (i32, Value) {
    let (code, stdout, stderr) = run_cli(emulator, &["audit", "--all", "--format", "json"]).await;
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); exit {code}; stderr:\n{stderr}"));
    (code, report)
}

fn bucket<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bucket"] == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
}

fn outcome<'a>(report: &'a Value, bucket_name: &str, control: &str) -> &'a Value {
    bucket(report, bucket_name)["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == control)
        .unwrap_or_else(|| panic!("no {control} for {bucket_name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_matrix_gives_expected_outcomes() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;

    let (code, report) = audit_all(&emulator).await;
    assert_eq!(code, 1, "findings exist, so the exit code is 1");
    let buckets = report["buckets"].as_array().unwrap().clone();
    let mismatches = matrix::mismatches(&buckets, &matrix::phase_one_expectations());
    assert!(
        mismatches.is_empty(),
        "phase one:\n{}",
        mismatches.join("\n")
    );

    matrix::set_up_phase_two(&emulator).await;
    let (_, report) = audit_all(&emulator).await;
    let buckets = report["buckets"].as_array().unwrap().clone();
    let mismatches = matrix::mismatches(&buckets, &matrix::phase_two_expectations());
    assert!(
        mismatches.is_empty(),
        "phase two:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_makes_no_write_call() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    matrix::set_up_phase_two(&emulator).await;
    emulator.reset_requests().await;

    let (_, report) = audit_all(&emulator).await;
    assert!(report["buckets"].as_array().unwrap().len() >= 5);

    let requests = emulator.requests().await;
    assert!(
        requests.len() > 50,
        "the audit made only {} requests",
        requests.len()
    );
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.to_string())
        .collect();
    assert!(
        writes.is_empty(),
        "an audit made write calls:\n{}",
        writes.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn read_errors_give_error_and_audit_continues() {
    let emulator = Emulator::start().await;
    for name in ["denied-policy", "odd-acl", "healthy"] {
        emulator.create_bucket(name, REGION).await;
    }
    emulator
        .add_fault(
            &Fault::access_denied()
                .bucket("denied-policy")
                .query_contains("policy"),
        )
        .await;
    emulator
        .add_fault(
            &Fault::s3(400, "SomethingUnexpected", "an answer nobody documented")
                .bucket("odd-acl")
                .query_contains("acl"),
        )
        .await;

    let (code, report) = audit_all(&emulator).await;
    assert_eq!(code, 1);

    let policy = outcome(&report, "denied-policy", "policy-not-public");
    assert_eq!(policy["outcome"], "ERROR");
    assert!(
        policy["reason"].as_str().unwrap().contains("AccessDenied"),
        "{policy}"
    );
    assert_eq!(
        outcome(&report, "denied-policy", "tls-required")["outcome"],
        "ERROR"
    );
    assert_eq!(
        outcome(&report, "denied-policy", "versioning-enabled")["outcome"],
        "FAIL"
    );

    let acl = outcome(&report, "odd-acl", "acl-not-public");
    assert_eq!(acl["outcome"], "ERROR");
    assert!(
        acl["reason"]
            .as_str()
            .unwrap()
            .contains("SomethingUnexpected"),
        "{acl}"
    );
    assert_eq!(
        outcome(&report, "odd-acl", "tls-required")["outcome"],
        "FAIL"
    );

    assert_eq!(
        outcome(&report, "healthy", "policy-not-public")["outcome"],
        "PASS"
    );
    assert_eq!(
        outcome(&report, "healthy", "acl-not-public")["outcome"],
        "PASS"
    );
    assert_eq!(
        outcome(&report, "healthy", "tls-required")["outcome"],
        "FAIL"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn buckets_in_other_regions_are_read_there() {
    let emulator = Emulator::start().await;
    matrix::create_regional_bucket(&emulator, "in-ireland", "eu-west-1").await;
    matrix::create_regional_bucket(&emulator, "in-sydney", "ap-southeast-2").await;
    emulator.create_bucket("in-virginia", REGION).await;
    emulator.reset_requests().await;

    let (_, report) = audit_all(&emulator).await;
    for (name, region) in [
        ("in-ireland", "eu-west-1"),
        ("in-sydney", "ap-southeast-2"),
        ("in-virginia", "us-east-1"),
    ] {
        assert_eq!(bucket(&report, name)["region"], region, "{name}");
        let errors: Vec<&Value> = bucket(&report, name)["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["outcome"] == "ERROR")
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }

    // Every bucket read after the region lookup is signed for the bucket's own region.
    let requests = emulator.requests().await;
    for (name, region) in [("in-ireland", "eu-west-1"), ("in-sydney", "ap-southeast-2")] {
        let reads: Vec<_> = requests
            .iter()
            .filter(|r| r.bucket.as_deref() == Some(name) && !r.query.is_empty())
            .collect();
        assert!(reads.len() >= 10, "{name}: only {} reads", reads.len());
        for read in reads {
            assert_eq!(read.region.as_deref(), Some(region), "{name}: {read}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_without_bucket_or_all_exits_two() {
    let emulator = Emulator::start().await;
    let (code, _, stderr) = run_cli(&emulator, &["audit"]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("--bucket"), "{stderr}");
}
