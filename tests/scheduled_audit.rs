//! The scheduled-audit function on the emulator: 200 buckets in three regions with a
//! known mix of problems, audited in one invocation and again across many short
//! invocations that continue through the SQS queue.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bucketwarden_aws::{AwsContext, ClientOptions};
use bucketwarden_core::AccountReport;
use bucketwarden_tests::Emulator;
use bucketwarden_tests::matrix::create_regional_bucket;
use bucketwarden_tests::topic::ReportTopic;
use scheduled_audit::settings::{
    ENV_CONCURRENCY, ENV_CONTINUATION_QUEUE_URL, ENV_REPORT_BUCKET, ENV_TOPIC_ARN,
};
use scheduled_audit::{Handler, Response, Settings, store};
use serde_json::{Value, json};

const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const BUCKETS: usize = 200;
const REPORTS: &str = "reports-111122223333-us-east-1-an";

fn name(index: usize) -> String {
    format!("sa-{index:03}")
}

/// Bucket `i` has a public policy when i % 4 == 0, versioning when i % 5 == 0, and
/// a TLS statement when i % 7 == 0 (a TLS statement only where the policy is not public).
async fn set_up(emulator: &Emulator) {
    for index in 0..BUCKETS {
        let bucket = name(index);
        let region = REGIONS[index % 3];
        if region == "us-east-1" {
            emulator.create_bucket(&bucket, region).await;
        } else {
            create_regional_bucket(emulator, &bucket, region).await;
        }
        let s3 = emulator.s3_client(region);
        if index % 5 == 0 {
            s3.put_bucket_versioning()
                .bucket(&bucket)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("versioning");
        }
        let mut statements = Vec::new();
        if index % 4 == 0 {
            statements.push(
                json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{bucket}/*")}),
            );
        }
        if index % 7 == 0 {
            statements.push(json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}));
        }
        if !statements.is_empty() {
            s3.put_bucket_policy()
                .bucket(&bucket)
                .policy(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
                .send()
                .await
                .expect("policy");
        }
    }
    emulator.create_bucket(REPORTS, "us-east-1").await;
}

fn count(predicate: impl Fn(usize) -> bool) -> usize {
    (0..BUCKETS).filter(|index| predicate(*index)).count()
}

async fn queue(emulator: &Emulator) -> String {
    emulator
        .sqs_client("us-east-1")
        .create_queue()
        .queue_name("continuations")
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("queue url")
}

fn handler(
    emulator: &Emulator,
    topic: &ReportTopic,
    queue_url: &str,
    concurrency: usize,
) -> Handler {
    let aws = AwsContext::new(
        &emulator.sdk_config("us-east-1"),
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("aws context");
    let topic_arn = topic.topic_arn.clone();
    let queue_url = queue_url.to_string();
    let settings = Settings::from_lookup(|variable| match variable {
        ENV_TOPIC_ARN => Some(topic_arn.clone()),
        ENV_REPORT_BUCKET => Some(REPORTS.to_string()),
        ENV_CONTINUATION_QUEUE_URL => Some(queue_url.clone()),
        ENV_CONCURRENCY => Some(concurrency.to_string()),
        _ => None,
    })
    .expect("settings");
    Handler::new(aws, settings)
}

fn scheduled_event() -> Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/scheduled-audit.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("event file")).expect("event JSON")
}

async fn full_report(emulator: &Emulator, key: &str) -> AccountReport {
    serde_json::from_slice(&read_object(emulator, key).await).expect("account report")
}

/// Outcome counts per control across the account.
fn outcomes(report: &AccountReport) -> BTreeMap<(String, String), usize> {
    let mut counts = BTreeMap::new();
    for bucket in &report.buckets {
        for result in &bucket.results {
            *counts
                .entry((result.id.clone(), result.outcome.to_string()))
                .or_default() += 1;
        }
    }
    counts
}

fn check_mix(report: &AccountReport) {
    assert_eq!(
        report.buckets.len(),
        BUCKETS + 1,
        "every bucket and the report bucket"
    );
    assert!(report.unread.is_empty(), "{:?}", report.unread);
    let counts = outcomes(report);
    let get = |control: &str, outcome: &str| {
        counts
            .get(&(control.to_string(), outcome.to_string()))
            .copied()
            .unwrap_or(0)
    };
    // The report bucket itself has no policy and no versioning.
    assert_eq!(get("policy-not-public", "FAIL"), count(|i| i % 4 == 0));
    assert_eq!(get("policy-not-public", "PASS"), count(|i| i % 4 != 0) + 1);
    assert_eq!(get("versioning-enabled", "PASS"), count(|i| i % 5 == 0));
    assert_eq!(get("versioning-enabled", "FAIL"), count(|i| i % 5 != 0) + 1);
    assert_eq!(get("tls-required", "PASS"), count(|i| i % 7 == 0));
    assert_eq!(get("tls-required", "FAIL"), count(|i| i % 7 != 0) + 1);
    for region in REGIONS {
        let in_region = report.buckets.iter().filter(|b| b.region == region).count();
        let expected = count(|i| REGIONS[i % 3] == region) + usize::from(region == "us-east-1");
        assert_eq!(in_region, expected, "{region}");
    }
    let results: usize = report.totals.by_outcome.values().sum();
    assert_eq!(results, (BUCKETS + 1) * 18);
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_audit_summarises_two_hundred_buckets() {
    let emulator = Emulator::start().await;
    set_up(&emulator).await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let queue_url = queue(&emulator).await;
    let handler = handler(&emulator, &topic, &queue_url, 32);

    let deadline = Instant::now() + Duration::from_secs(900);
    let response = handler
        .handle(scheduled_event(), deadline)
        .await
        .expect("handled");
    let Response::Published {
        report_key,
        buckets,
        findings,
        ..
    } = response
    else {
        panic!("expected a published summary, got {response:?}");
    };
    assert_eq!(buckets, BUCKETS + 1);

    let report = full_report(&emulator, &report_key).await;
    check_mix(&report);
    assert_eq!(report.totals.findings(), findings);

    let notifications = topic.drain().await;
    assert_eq!(notifications.len(), 1);
    let summary = &notifications[0];
    assert_eq!(summary.attribute("kind"), Some("account"));
    assert_eq!(summary.attribute("severity"), Some("critical"));
    assert_eq!(
        summary.attribute("findings"),
        Some(findings.to_string().as_str())
    );
    assert!(summary.subject.as_deref().unwrap().len() < 100);
    assert!(
        summary
            .message
            .contains(&format!("Bucket Warden audited {} S3 buckets", BUCKETS + 1)),
        "{}",
        summary.message
    );
    assert!(
        summary
            .message
            .contains(&format!("s3://{REPORTS}/{report_key}")),
        "{}",
        summary.message
    );
    assert!(
        summary.message.contains("- and "),
        "the email lists at most 50 buckets: {}",
        summary.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn continuation_gives_same_summary() {
    let emulator = Emulator::start().await;
    set_up(&emulator).await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let queue_url = queue(&emulator).await;
    let sqs = emulator.sqs_client("us-east-1");

    // One invocation with all the time it needs.
    let whole = handler(&emulator, &topic, &queue_url, 32)
        .handle(scheduled_event(), Instant::now() + Duration::from_secs(900))
        .await
        .expect("handled");
    let Response::Published {
        report_key: whole_key,
        ..
    } = whole
    else {
        panic!("{whole:?}")
    };
    topic.drain().await;

    // The same run with no time to spare: one batch of 16 per invocation.
    let handler = handler(&emulator, &topic, &queue_url, 16);
    let mut event = scheduled_event();
    let mut invocations = 0;
    let split_key = loop {
        invocations += 1;
        assert!(invocations <= 20, "the run did not finish");
        match handler
            .handle(event, Instant::now())
            .await
            .expect("handled")
        {
            Response::Published { report_key, .. } => break report_key,
            Response::Continued { audited, .. } => {
                assert_eq!(audited, 16);
                let message = sqs
                    .receive_message()
                    .queue_url(&queue_url)
                    .send()
                    .await
                    .expect("receive")
                    .messages
                    .unwrap_or_default()
                    .pop()
                    .expect("a continuation message");
                sqs.delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .expect("delete");
                event = json!({"Records": [{"messageId": message.message_id(), "body": message.body().unwrap()}]});
            }
        }
    };
    assert_eq!(invocations, (BUCKETS + 1).div_ceil(16));

    let whole = full_report(&emulator, &whole_key).await;
    let split = full_report(&emulator, &split_key).await;
    check_mix(&split);
    assert_eq!(split.totals, whole.totals);
    assert_eq!(outcomes(&split), outcomes(&whole));
    assert_eq!(
        topic.drain().await.len(),
        1,
        "one summary for the whole run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_trigger_is_rejected() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let queue_url = queue(&emulator).await;
    let handler = handler(&emulator, &topic, &queue_url, 8);
    let error = handler
        .handle(json!({"Records": [{"body": "not json"}]}), Instant::now())
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "MalformedEvent");
    assert!(error.to_string().contains("not JSON"), "{error}");
}

/// A full report too large for one piece is stored with a multipart upload, and a
/// small one with one PutObject. Both read back byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn large_report_is_stored_in_pieces() {
    let emulator = Emulator::start().await;
    emulator.create_bucket(REPORTS, "us-east-1").await;
    let aws = AwsContext::new(
        &emulator.sdk_config("us-east-1"),
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("aws context");

    let piece = |fill: u8| vec![fill; scheduled_audit::store::MIN_UPLOAD_PART_BYTES];
    let mut object = store::ObjectWriter::new(&aws, REPORTS, "reports/large.json").await;
    object.send(piece(b'a')).await.expect("first piece");
    object.send(piece(b'b')).await.expect("second piece");
    object.finish(b"end".to_vec()).await.expect("last piece");
    let stored = read_object(&emulator, "reports/large.json").await;
    let mut expected = piece(b'a');
    expected.extend(piece(b'b'));
    expected.extend(b"end");
    assert!(stored == expected, "{} bytes stored", stored.len());

    let object = store::ObjectWriter::new(&aws, REPORTS, "reports/small.json").await;
    object.finish(b"{}".to_vec()).await.expect("one piece");
    assert_eq!(read_object(&emulator, "reports/small.json").await, b"{}");

    let uploads = emulator
        .s3_client("us-east-1")
        .list_multipart_uploads()
        .bucket(REPORTS)
        .send()
        .await
        .expect("multipart uploads");
    assert!(uploads.uploads().is_empty(), "no upload is left open");
}

async fn read_object(emulator: &Emulator, key: &str) -> Vec<u8> {
    let output = emulator
        .s3_client("us-east-1")
        .get_object()
        .bucket(REPORTS)
        .key(key)
        .send()
        .await
        .expect("object");
    output
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}
