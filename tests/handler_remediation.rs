//! Hardening and drift repair by the bucket-event handler on the emulator: modes,
//! backups, verification, the rate limit, and the re-plan when a setting changed
//! between planning and writing.

use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};
use bucket_event::settings::{ENV_BACKUP_BUCKET, ENV_LOGGING, ENV_MODES, ENV_TOPIC_ARN};
use bucket_event::{Handler, Response, Settings};
use bucketwarden_aws::{AccountFacts, ApplyOptions, AwsContext, BackupTarget, ClientOptions};
use bucketwarden_core::remediate::{self, PlanOptions};
use bucketwarden_core::{BucketReport, Config};
use bucketwarden_tests::matrix::{self, REGION};
use bucketwarden_tests::topic::{ReportTopic, sample_event};
use bucketwarden_tests::{ACCOUNT_ID, Emulator};
use serde_json::{Value, json};

const BACKUPS: &str = "bucketwarden-backups-111122223333-us-east-1-an";
const HARDENING_MODES: &str = "versioning-enabled=remediate,default-encryption=remediate,bucket-key-enabled=remediate,\
sse-c-blocked=remediate,access-logging=remediate,tls-required=remediate,abac=remediate";

fn aws(emulator: &Emulator) -> AwsContext {
    AwsContext::new(
        &emulator.sdk_config(REGION),
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("aws context")
}

fn handler(emulator: &Emulator, topic: &ReportTopic, modes: &str) -> Handler {
    let topic_arn = topic.topic_arn.clone();
    let modes = modes.to_string();
    let settings = Settings::from_lookup(|name| match name {
        ENV_TOPIC_ARN => Some(topic_arn.clone()),
        ENV_MODES => Some(modes.clone()),
        ENV_BACKUP_BUCKET => Some(BACKUPS.to_string()),
        ENV_LOGGING => Some(format!("server-access:{}", matrix::LOGS)),
        _ => None,
    })
    .expect("settings");
    Handler::new(aws(emulator), settings)
}

async fn report_of(topic: &ReportTopic) -> BucketReport {
    let notifications = topic.drain().await;
    assert_eq!(notifications.len(), 1, "one report expected");
    serde_json::from_value(notifications[0].report().expect("report")).expect("bucket report")
}

fn writes(requests: &[bucketwarden_tests::RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn create_bucket_event_hardens_bare_bucket() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    matrix::set_up_phase_one(&emulator).await;
    emulator.create_bucket(BACKUPS, REGION).await;
    emulator.create_bucket("bare", REGION).await;
    let handler = handler(&emulator, &topic, HARDENING_MODES);

    let response = handler
        .handle(sample_event("create-bucket.json", Some("bare")))
        .await
        .expect("handled");
    assert!(
        matches!(response, Response::Published { .. }),
        "{response:?}"
    );
    let report = report_of(&topic).await;

    for control in [
        "versioning-enabled",
        "default-encryption",
        "sse-c-blocked",
        "access-logging",
        "tls-required",
    ] {
        let result = report.result(control).unwrap();
        assert_eq!(
            result.outcome.as_str(),
            "PASS",
            "{control}: {}",
            result.reason
        );
    }
    let settings: Vec<String> = report
        .applied
        .iter()
        .map(|step| step.step.setting.backup_name().to_string())
        .collect();
    for setting in ["policy", "encryption", "versioning", "logging", "abac"] {
        assert!(
            settings.contains(&setting.to_string()),
            "{setting} missing from {settings:?}"
        );
    }
    for step in &report.applied {
        assert!(step.written, "{:?}", step.step.setting);
        assert!(step.verified, "{:?}: {:?}", step.step.setting, step.note);
        assert!(
            step.backups
                .iter()
                .all(|b| b.starts_with(&format!("s3://{BACKUPS}/backups/"))),
            "{:?}",
            step.backups
        );
        assert_ne!(step.step.before, Some(step.step.after.clone()));
    }
    let encryption = report
        .applied
        .iter()
        .find(|step| step.step.setting.backup_name() == "encryption")
        .unwrap();
    assert_eq!(
        encryption.step.after.pointer(
            "/ServerSideEncryptionConfiguration/Rules/0/BlockedEncryptionTypes/EncryptionType"
        ),
        Some(&json!(["SSE-C"]))
    );

    // The backups are in the backup bucket.
    let listed = emulator
        .s3_client(REGION)
        .list_objects_v2()
        .bucket(BACKUPS)
        .prefix("backups/bare/")
        .send()
        .await
        .unwrap();
    assert!(listed.contents().len() >= 4, "{:?}", listed.contents());

    // Nothing is left to change, so the email lists no change.
    let message = {
        handler
            .handle(sample_event("put-bucket-policy.json", Some("bare")))
            .await
            .expect("handled");
        topic.drain().await.remove(0).message
    };
    assert!(
        !message.contains("What Bucket Warden changed"),
        "nothing left to change: {message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_bucket_event_repairs_drift() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    emulator.create_bucket(BACKUPS, REGION).await;
    emulator.create_bucket(matrix::LOGS, REGION).await;
    // ACLs enabled and no Block Public Access are findings that no hardening target covers.
    emulator.create_bucket("drifted", REGION).await;
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::ObjectWriter)
        .build()
        .unwrap();
    emulator
        .s3_client(REGION)
        .put_bucket_ownership_controls()
        .bucket("drifted")
        .ownership_controls(OwnershipControls::builder().rules(rule).build().unwrap())
        .send()
        .await
        .unwrap();
    let handler = handler(
        &emulator,
        &topic,
        "acls-disabled=remediate,bucket-public-access-block=remediate",
    );

    let response = handler
        .handle(sample_event("create-bucket.json", Some("drifted")))
        .await
        .expect("handled");
    assert!(
        matches!(response, Response::Published { .. }),
        "{response:?}"
    );
    let report = report_of(&topic).await;

    let written: Vec<&str> = report
        .applied
        .iter()
        .filter(|step| step.written && step.verified)
        .map(|step| step.step.setting.backup_name())
        .collect();
    assert_eq!(
        written,
        vec!["public-access-block", "ownership-controls"],
        "{:?}",
        report.applied
    );
    for control in ["acls-disabled", "bucket-public-access-block"] {
        assert_eq!(
            report.result(control).unwrap().outcome.as_str(),
            "PASS",
            "{control}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn report_mode_never_writes() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    matrix::set_up_phase_one(&emulator).await;
    let handler = handler(&emulator, &topic, "");
    emulator.reset_requests().await;

    for event in [
        "create-bucket.json",
        "put-bucket-policy.json",
        "delete-bucket-policy.json",
        "put-bucket-encryption.json",
        "put-bucket-public-access-block.json",
        "put-bucket-acl.json",
    ] {
        for bucket in [matrix::PUBLIC, matrix::SSE_S3, matrix::KMS_AWS_MANAGED] {
            handler
                .handle(sample_event(event, Some(bucket)))
                .await
                .expect("handled");
        }
    }
    let written = writes(&emulator.requests().await);
    assert!(
        written.is_empty(),
        "report mode wrote:\n{}",
        written.join("\n")
    );
    assert_eq!(topic.drain().await.len(), 18);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_mode_reports_plan_without_writing() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    matrix::set_up_phase_one(&emulator).await;
    let handler = handler(
        &emulator,
        &topic,
        "tls-required=dry-run,versioning-enabled=dry-run",
    );
    emulator.reset_requests().await;

    handler
        .handle(sample_event("put-bucket-policy.json", Some(matrix::PUBLIC)))
        .await
        .expect("handled");
    assert!(writes(&emulator.requests().await).is_empty());
    let report = report_of(&topic).await;
    assert_eq!(report.applied.len(), 2, "{:?}", report.applied);
    for step in &report.applied {
        assert!(!step.written);
        assert_eq!(step.note.as_deref(), Some("dry run: not written"));
    }
    assert_eq!(
        report.result("tls-required").unwrap().outcome.as_str(),
        "FAIL"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_repair_is_rate_limited_per_bucket() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    matrix::set_up_phase_one(&emulator).await;
    emulator.create_bucket(BACKUPS, REGION).await;
    let handler = handler(&emulator, &topic, "tls-required=remediate");

    handler
        .handle(sample_event("put-bucket-policy.json", Some(matrix::SSE_S3)))
        .await
        .expect("handled");
    let first = report_of(&topic).await;
    assert!(
        first
            .applied
            .iter()
            .all(|step| step.written && step.verified),
        "{:?}",
        first.applied
    );
    assert_eq!(
        first.result("tls-required").unwrap().outcome.as_str(),
        "PASS"
    );

    // Someone removes the policy again; within the window the function only plans.
    emulator
        .s3_client(REGION)
        .delete_bucket_policy()
        .bucket(matrix::SSE_S3)
        .send()
        .await
        .unwrap();
    emulator.reset_requests().await;
    handler
        .handle(sample_event(
            "delete-bucket-policy.json",
            Some(matrix::SSE_S3),
        ))
        .await
        .expect("handled");
    assert!(writes(&emulator.requests().await).is_empty());
    let second = report_of(&topic).await;
    assert_eq!(second.applied.len(), 1);
    assert!(
        second.applied[0]
            .note
            .as_deref()
            .unwrap()
            .starts_with("rate limited"),
        "{:?}",
        second.applied
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn statement_added_after_planning_is_kept() {
    let emulator = Emulator::start().await;
    matrix::set_up_phase_one(&emulator).await;
    let aws = aws(&emulator);
    let bucket = matrix::SSE_S3;
    let snapshot = aws
        .collect_bucket(bucket, &AccountFacts::Collect)
        .await
        .unwrap();
    let plan = remediate::plan(&snapshot, &["tls-required"], &PlanOptions::default()).unwrap();
    assert_eq!(plan.steps.len(), 1);

    // Another writer adds a statement between the read and the write.
    let other = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AddedMeanwhile", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:role/etl")},
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*")}
    ]});
    emulator.put_policy(bucket, &other.to_string()).await;

    let directory =
        std::env::temp_dir().join(format!("bucketwarden-concurrent-{}", std::process::id()));
    let options = ApplyOptions {
        backup: BackupTarget {
            bucket: None,
            directory: Some(directory),
        },
        config: Config::default(),
        dry_run: false,
        stop_when_changed: false,
        lease_bucket: None,
    };
    let applied = aws.apply_plan(&plan, &options).await.unwrap();
    assert!(
        applied[0].written && applied[0].verified,
        "{:?}",
        applied[0]
    );

    let output = emulator
        .s3_client(REGION)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(output.policy().unwrap()).unwrap();
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(sids, vec!["AddedMeanwhile", "DenyInsecureTransport"]);
}

/// The lease on a setting goes to one writer at a time: a second environment is
/// turned away until the first releases it, and then gets it.
#[tokio::test(flavor = "multi_thread")]
async fn lease_admits_one_writer() {
    let emulator = Emulator::start().await;
    emulator.create_bucket(BACKUPS, REGION).await;
    let first = aws(&emulator);
    let second = aws(&emulator);

    let first_lease = first
        .acquire_lease(BACKUPS, "shared", "bucket-policy")
        .await
        .expect("first acquire")
        .expect("the first environment gets the lease");
    let while_held = second
        .acquire_lease(BACKUPS, "shared", "bucket-policy")
        .await
        .expect("second acquire");
    assert!(
        while_held.is_none(),
        "the lease is held by the first environment"
    );
    let other_setting = second
        .acquire_lease(BACKUPS, "shared", "public-access-block")
        .await
        .expect("other setting");
    assert!(other_setting.is_some(), "leases are per setting");

    first.release_lease(first_lease).await;
    let after_release = second
        .acquire_lease(BACKUPS, "shared", "bucket-policy")
        .await
        .expect("acquire after release");
    assert!(after_release.is_some(), "a released lease can be taken");
}
