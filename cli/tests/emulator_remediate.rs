//! The writing workflows of `bucketwarden` against the local emulator: remediation
//! that changes nothing the second time, rollback from a backup, secure-bucket's
//! name check, and the encryption workflow's key checks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use std::path::Path;

use bucketwarden_tests::matrix::{self, REGION};
use bucketwarden_tests::{ACCOUNT_ID, Emulator};
use serde_json::{Value, json};

async fn run_cli(emulator: &Emulator, args: &[&str]) -> (i32, String, String) {
    let output =
        bucketwarden_tests::cli::run(env!("CARGO_BIN_EXE_bucketwarden"), emulator, args).await;
    (output.code, output.stdout, output.stderr)
}

fn backup_dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("bucketwarden-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.display().to_string()
}

async fn policy_of(emulator: &Emulator, bucket: &str) -> Option<Value> {
    let output = emulator
        .s3_client(REGION)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .ok()?;
    serde_json::from_str(output.policy()?).ok()
}

async fn encryption_of(emulator: &Emulator, bucket: &str) -> Value {
    let output = emulator
        .s3_client(REGION)
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .expect("encryption");
    let rule = &output
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0];
    json!({
        "algorithm": rule.apply_server_side_encryption_by_default().map(|d| d.sse_algorithm().as_str().to_string()),
        "key": rule.apply_server_side_encryption_by_default().and_then(|d| d.kms_master_key_id().map(str::to_string)),
        "bucket_key": rule.bucket_key_enabled(),
        "blocked": rule.blocked_encryption_types().map(|b| b.encryption_type().iter().map(|t| t.as_str().to_string()).collect::<Vec<_>>()),
    })
}

fn writes(requests: &[bucketwarden_tests::RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn remediation_twice_writes_nothing_the_second_time() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    let backups = backup_dir("twice");
    let args = [
        "remediate",
        "tls-required",
        "policy-not-public",
        "sse-c-blocked",
        "default-encryption",
        "versioning-enabled",
        "bucket-public-access-block",
        "--bucket",
        matrix::PUBLIC,
        "--yes",
        "--format",
        "json",
        "--backup-dir",
        &backups,
    ];

    let (code, stdout, stderr) = run_cli(&emulator, &args).await;
    assert_eq!(code, 0, "first run: {stderr}\n{stdout}");
    let first: Value = serde_json::from_str(&stdout).unwrap();
    let applied = first["applied"].as_array().unwrap();
    assert!(applied.len() >= 4, "{stdout}");
    for step in applied {
        assert_eq!(step["written"], true, "{step}");
        assert_eq!(step["verified"], true, "{step}");
        assert!(!step["backups"].as_array().unwrap().is_empty(), "{step}");
    }
    // Only the public statement went; the partner's statement stayed.
    let policy = policy_of(&emulator, matrix::PUBLIC).await.unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(sids, vec!["PartnerAdmin", "DenyInsecureTransport"]);

    emulator.reset_requests().await;
    let (code, stdout, stderr) = run_cli(&emulator, &args).await;
    assert_eq!(code, 0, "second run: {stderr}");
    let second: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        second["plan"]["steps"].as_array().unwrap().len(),
        0,
        "{stdout}"
    );
    let written = writes(&emulator.requests().await);
    assert!(
        written.is_empty(),
        "the second run wrote:\n{}",
        written.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_restores_policy_and_encryption() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    let bucket = matrix::KMS_AWS_MANAGED;
    let original_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:role/reader")},
         "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}
    ]});
    emulator
        .put_policy(bucket, &original_policy.to_string())
        .await;
    let original_encryption = encryption_of(&emulator, bucket).await;
    let backups = backup_dir("rollback");

    let (code, stdout, stderr) = run_cli(
        &emulator,
        &[
            "remediate",
            "tls-required",
            "sse-c-blocked",
            "bucket-key-enabled",
            "--bucket",
            bucket,
            "--yes",
            "--format",
            "json",
            "--backup-dir",
            &backups,
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert_ne!(policy_of(&emulator, bucket).await.unwrap(), original_policy);
    assert_ne!(encryption_of(&emulator, bucket).await, original_encryption);

    let result: Value = serde_json::from_str(&stdout).unwrap();
    for step in result["applied"].as_array().unwrap() {
        let backup = step["backups"][0].as_str().unwrap().to_string();
        assert!(Path::new(&backup).exists(), "{backup}");
        let (code, _, stderr) = run_cli(
            &emulator,
            &[
                "rollback",
                "--bucket",
                bucket,
                "--backup",
                &backup,
                "--yes",
                "--backup-dir",
                &backups,
            ],
        )
        .await;
        assert_eq!(code, 0, "{stderr}");
    }
    assert_eq!(policy_of(&emulator, bucket).await.unwrap(), original_policy);
    assert_eq!(encryption_of(&emulator, bucket).await, original_encryption);
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_of_other_bucket_is_rejected() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    let backups = backup_dir("other");
    let (code, stdout, _) = run_cli(
        &emulator,
        &[
            "remediate",
            "tls-required",
            "--bucket",
            matrix::SSE_S3,
            "--yes",
            "--format",
            "json",
            "--backup-dir",
            &backups,
        ],
    )
    .await;
    assert_eq!(code, 0);
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let backup = result["applied"][0]["backups"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _, stderr) = run_cli(
        &emulator,
        &[
            "rollback",
            "--bucket",
            matrix::GOOD,
            "--backup",
            &backup,
            "--yes",
        ],
    )
    .await;
    assert_eq!(code, 2);
    assert!(stderr.contains("is of bucket `sse-s3-only`"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secure_bucket_rejects_name_before_any_call() {
    let emulator = Emulator::start().await;
    emulator.reset_requests().await;
    let (code, _, stderr) = run_cli(
        &emulator,
        &[
            "secure-bucket",
            "data",
            "--account-id",
            ACCOUNT_ID,
            "--logging",
            "server-access",
            "--log-bucket",
            "logs",
            "--yes",
        ],
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("use `data-111122223333-us-east-1-an`"),
        "{stderr}"
    );
    let requests = emulator.requests().await;
    assert!(requests.is_empty(), "requests were made: {requests:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn secure_bucket_creates_and_hardens() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    let name = "fresh-111122223333-us-east-1-an";
    let backups = backup_dir("secure");
    let (code, stdout, stderr) = run_cli(
        &emulator,
        &[
            "secure-bucket",
            name,
            "--logging",
            "server-access",
            "--log-bucket",
            matrix::LOGS,
            "--yes",
            "--format",
            "json",
            "--backup-dir",
            &backups,
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    let result: Value = serde_json::from_str(&stdout).unwrap();
    let calls: Vec<&str> = result["applied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["setting"].as_str().unwrap_or_default())
        .collect();
    for call in [
        "bucket_policy",
        "encryption",
        "versioning",
        "logging",
        "abac",
    ] {
        assert!(calls.contains(&call), "{call} missing from {calls:?}");
    }
    for step in result["applied"].as_array().unwrap() {
        assert_eq!(step["verified"], true, "{step}");
    }

    let (_, stdout, _) = run_cli(&emulator, &["audit", "--bucket", name, "--format", "json"]).await;
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for control in [
        "tls-required",
        "default-encryption",
        "sse-c-blocked",
        "versioning-enabled",
        "access-logging",
        "account-regional-namespace",
    ] {
        let result = report["buckets"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == control)
            .unwrap();
        assert_eq!(result["outcome"], "PASS", "{control}: {result}");
    }
    // The log bucket kept its statement and gained one for this bucket's logs.
    let log_policy = policy_of(&emulator, matrix::LOGS).await.unwrap();
    assert_eq!(
        log_policy["Statement"].as_array().unwrap().len(),
        2,
        "{log_policy}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn encryption_rejects_aliases_before_any_call() {
    let emulator = Emulator::start().await;
    emulator.reset_requests().await;
    for key in [
        "alias/aws/s3",
        "alias/data",
        "arn:aws:kms:us-east-1:111122223333:alias/aws/s3",
        "1234abcd",
    ] {
        let (code, _, stderr) = run_cli(
            &emulator,
            &["encryption", "--bucket", "b", "--kms-key-arn", key, "--yes"],
        )
        .await;
        assert_eq!(code, 2, "{key}: {stderr}");
        assert!(stderr.contains("invalid --kms-key-arn"), "{key}: {stderr}");
    }
    assert!(emulator.requests().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn encryption_with_created_key_passes() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    let backups = backup_dir("encryption");
    let (code, stdout, stderr) = run_cli(
        &emulator,
        &[
            "encryption",
            "--bucket",
            matrix::SSE_S3,
            "--create-key",
            "--admin-role",
            "arn:aws:iam::111122223333:role/key-admin",
            "--yes",
            "--format",
            "json",
            "--backup-dir",
            &backups,
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    let encryption = encryption_of(&emulator, matrix::SSE_S3).await;
    assert_eq!(encryption["algorithm"], "aws:kms");
    assert!(
        encryption["key"].as_str().unwrap().contains(":key/"),
        "{encryption}"
    );
    assert_eq!(encryption["bucket_key"], true);
    assert_eq!(encryption["blocked"], json!(["SSE-C"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn remediate_without_terminal_needs_yes() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    emulator.reset_requests().await;
    let (code, _, stderr) = run_cli(
        &emulator,
        &["remediate", "tls-required", "--bucket", matrix::PUBLIC],
    )
    .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pass --yes"), "{stderr}");
    assert!(writes(&emulator.requests().await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_plan_and_writes_nothing() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    emulator.reset_requests().await;
    let (code, _, stderr) = run_cli(
        &emulator,
        &[
            "remediate",
            "tls-required",
            "versioning-enabled",
            "--bucket",
            matrix::PUBLIC,
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("PutBucketPolicy"), "{stderr}");
    assert!(
        stderr.contains("before:") && stderr.contains("after:"),
        "{stderr}"
    );
    assert!(writes(&emulator.requests().await).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_credentials_through_the_endpoint() {
    let emulator = Emulator::start().await;
    let (code, stdout, stderr) = run_cli(&emulator, &["doctor"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("credentials: ok, account 111122223333"),
        "{stdout}"
    );

    // The simulation's IAM calls go to the configured endpoint, never elsewhere.
    emulator.reset_requests().await;
    let (_, stdout, _) = run_cli(&emulator, &["doctor", "--simulate"]).await;
    assert!(stdout.contains("audit:"), "{stdout}");
    let iam_requests = emulator
        .requests()
        .await
        .into_iter()
        .filter(|request| request.service.as_deref() == Some("iam"))
        .count();
    assert!(
        iam_requests > 0,
        "the simulation did not reach the endpoint: {stdout}"
    );
}
