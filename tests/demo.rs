//! `make demo`: Bucket Warden's main job on the local emulator.
//!
//! Starts the emulator, creates six buckets that each have one kind of problem and
//! one compliant bucket, sends each bucket's CloudTrail event through the real
//! bucket-event handler, and prints the reports and the SNS messages that an SQS
//! queue subscribed to the topic received. The emulator stops when the demo ends.

use aws_sdk_s3::types::{
    BucketCannedAcl, BucketLoggingStatus, BucketVersioningStatus, LoggingEnabled, ObjectOwnership,
    ServerSideEncryption, VersioningConfiguration,
};
use bucket_event::settings::ENV_TOPIC_ARN;
use bucket_event::{Handler, Response, Settings};
use bucketwarden_aws::{AwsContext, ClientOptions};
use bucketwarden_core::BucketReport;
use bucketwarden_core::render;
use bucketwarden_tests::matrix::{
    all_blocked, encryption, ownership, replicate_everything, tls_policy,
};
use bucketwarden_tests::topic::{ReportTopic, sample_event};
use bucketwarden_tests::{ACCOUNT_ID, Emulator};

const REGION: &str = "us-east-1";
const LOG_BUCKET: &str = "demo-logs-111122223333-us-east-1-an";
const COMPLIANT: &str = "demo-compliant-111122223333-us-east-1-an";

/// One demo bucket: its name, the problem it has, and the event that reports it.
struct DemoBucket {
    name: &'static str,
    problem: Problem,
    event: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Problem {
    PublicPolicy,
    PublicAcl,
    NoTls,
    AwsManagedKey,
    VersioningOff,
    NoBlockPublicAccess,
    None,
}

const BUCKETS: &[DemoBucket] = &[
    DemoBucket {
        name: "demo-public-policy-111122223333-us-east-1-an",
        problem: Problem::PublicPolicy,
        event: "put-bucket-policy.json",
    },
    DemoBucket {
        name: "demo-public-acl-111122223333-us-east-1-an",
        problem: Problem::PublicAcl,
        event: "put-bucket-acl.json",
    },
    DemoBucket {
        name: "demo-no-tls-111122223333-us-east-1-an",
        problem: Problem::NoTls,
        event: "delete-bucket-policy.json",
    },
    DemoBucket {
        name: "demo-kms-encrypted-111122223333-us-east-1-an",
        problem: Problem::AwsManagedKey,
        event: "put-bucket-encryption.json",
    },
    DemoBucket {
        name: "demo-versioning-off-111122223333-us-east-1-an",
        problem: Problem::VersioningOff,
        event: "create-bucket.json",
    },
    DemoBucket {
        name: "demo-no-block-public-access-111122223333-us-east-1-an",
        problem: Problem::NoBlockPublicAccess,
        event: "put-bucket-public-access-block.json",
    },
    DemoBucket {
        name: COMPLIANT,
        problem: Problem::None,
        event: "create-bucket.json",
    },
];

#[tokio::main]
async fn main() {
    println!("Starting the local AWS emulator (moto's server on 127.0.0.1)...");
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "bucketwarden-reports").await;
    set_up_account(&emulator).await;
    for bucket in BUCKETS {
        set_up_bucket(&emulator, bucket).await;
    }
    println!(
        "Created {} buckets in account {ACCOUNT_ID}. Account-level Block Public Access is off for now.\n",
        BUCKETS.len()
    );

    // Act one: each broken bucket's event goes through the handler.
    println!("Sending each broken bucket's CloudTrail event through the bucket-event handler:\n");
    let handler = handler(&emulator, &topic);
    for bucket in BUCKETS
        .iter()
        .filter(|bucket| bucket.problem != Problem::None)
    {
        send_event(&handler, bucket).await;
    }
    print_notifications(&topic).await;

    // Act two: with account-level Block Public Access on, the compliant bucket passes
    // every control. A new handler stands for a new execution environment, which
    // reads the account facts afresh.
    println!(
        "Turning on account-level Block Public Access, then sending the compliant bucket's CreateBucket event:\n"
    );
    turn_on_account_block_public_access(&emulator).await;
    let handler = self::handler(&emulator, &topic);
    for bucket in BUCKETS
        .iter()
        .filter(|bucket| bucket.problem == Problem::None)
    {
        send_event(&handler, bucket).await;
    }
    print_notifications(&topic).await;

    // Act three: the scheduled account-wide audit, and the summary email it sends.
    println!("Running the scheduled account-wide audit:\n");
    scheduled_summary(&emulator, &topic).await;
    println!("Stopping the emulator.");
}

async fn send_event(handler: &Handler, bucket: &DemoBucket) {
    let event = sample_event(bucket.event, Some(bucket.name));
    match handler.handle(event).await {
        Ok(Response::Published {
            findings, worst, ..
        }) => println!(
            "  {:<55} {:<36} published: {findings} findings, worst {}",
            bucket.name,
            bucket.event,
            worst.as_deref().unwrap_or("none")
        ),
        Ok(Response::Skipped { reason }) => println!("  {:<55} skipped: {reason}", bucket.name),
        Err(error) => println!("  {:<55} failed: {error}", bucket.name),
    }
}

/// Prints each report that reached the SQS queue, and the email text SNS carried.
async fn print_notifications(topic: &ReportTopic) {
    let notifications = topic.drain().await;
    println!(
        "\nThe SQS queue subscribed to the SNS topic received {} {}.\n",
        notifications.len(),
        if notifications.len() == 1 {
            "message"
        } else {
            "messages"
        }
    );
    for notification in &notifications {
        let Some(report) = notification.report() else {
            println!("(a message without a JSON report)\n");
            continue;
        };
        let Ok(report) = serde_json::from_value::<BucketReport>(report) else {
            println!("(a message whose JSON report did not parse)\n");
            continue;
        };
        println!("{}", "=".repeat(100));
        print!("{}", render::bucket_text(&report));
        let findings = report.findings();
        if !findings.is_empty() {
            println!("\n  Evidence of the findings:");
            for finding in findings {
                let evidence = serde_json::to_string(&finding.evidence).unwrap_or_default();
                println!(
                    "    {} {}: {}",
                    finding.outcome,
                    finding.id,
                    render::truncate(&evidence, 240)
                );
            }
        }
        println!("\n  The SNS message, as an email subscriber reads it:\n");
        println!(
            "    Subject: {}",
            notification.subject.as_deref().unwrap_or_default()
        );
        let email = notification
            .message
            .split("\n--- JSON report ---")
            .next()
            .unwrap_or_default();
        for line in email.lines() {
            println!("    {line}");
        }
        let attributes: Vec<String> = notification
            .attributes
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        println!("    [message attributes: {}]", attributes.join(", "));
        println!(
            "    [the JSON report follows in the message: {} bytes]\n",
            notification.message.len() - email.len()
        );
    }
}

async fn turn_on_account_block_public_access(emulator: &Emulator) {
    emulator
        .s3control_client(REGION)
        .put_public_access_block()
        .account_id(ACCOUNT_ID)
        .public_access_block_configuration(
            aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .expect("account Block Public Access");
}

async fn scheduled_summary(emulator: &Emulator, topic: &ReportTopic) {
    let report_bucket = "demo-reports-111122223333-us-east-1-an";
    emulator.create_bucket(report_bucket, REGION).await;
    let queue_url = emulator
        .sqs_client(REGION)
        .create_queue()
        .queue_name("demo-continuations")
        .send()
        .await
        .expect("queue")
        .queue_url
        .unwrap_or_default();
    let aws = AwsContext::new(
        &emulator.sdk_config(REGION),
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("AWS clients");
    let topic_arn = topic.topic_arn.clone();
    let settings = scheduled_audit::Settings::from_lookup(|name| match name {
        scheduled_audit::settings::ENV_TOPIC_ARN => Some(topic_arn.clone()),
        scheduled_audit::settings::ENV_REPORT_BUCKET => Some(report_bucket.to_string()),
        scheduled_audit::settings::ENV_CONTINUATION_QUEUE_URL => Some(queue_url.clone()),
        _ => None,
    })
    .expect("settings");
    let event =
        serde_json::json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    match scheduled_audit::Handler::new(aws, settings)
        .handle(event, deadline)
        .await
    {
        Ok(response) => println!(
            "  {}\n",
            serde_json::to_string(&response).unwrap_or_default()
        ),
        Err(error) => println!("  failed: {error}\n"),
    }
    for notification in topic.drain().await {
        println!("  The summary email:\n");
        println!(
            "    Subject: {}",
            notification.subject.as_deref().unwrap_or_default()
        );
        let email = notification
            .message
            .split("\n--- JSON report ---")
            .next()
            .unwrap_or_default();
        for line in email.lines() {
            println!("    {line}");
        }
        println!();
    }
}

fn handler(emulator: &Emulator, topic: &ReportTopic) -> Handler {
    let config = emulator.sdk_config(REGION);
    let aws = AwsContext::new(
        &config,
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("AWS clients");
    let topic_arn = topic.topic_arn.clone();
    let settings = Settings::from_lookup(|name| (name == ENV_TOPIC_ARN).then(|| topic_arn.clone()))
        .expect("settings");
    Handler::new(aws, settings)
}

/// Account-level services on, except Block Public Access, so the public buckets show.
async fn set_up_account(emulator: &Emulator) {
    let config = emulator.sdk_config(REGION);
    aws_sdk_guardduty::Client::new(&config)
        .create_detector()
        .enable(true)
        .features(
            aws_sdk_guardduty::types::DetectorFeatureConfiguration::builder()
                .name(aws_sdk_guardduty::types::DetectorFeature::S3DataEvents)
                .status(aws_sdk_guardduty::types::FeatureStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("GuardDuty detector");
    aws_sdk_accessanalyzer::Client::new(&config)
        .create_analyzer()
        .analyzer_name("account")
        .r#type(aws_sdk_accessanalyzer::types::Type::Account)
        .send()
        .await
        .expect("Access Analyzer");

    emulator.create_bucket(LOG_BUCKET, REGION).await;
    let log_policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{LOG_BUCKET}/*"),
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
        }]
    });
    emulator
        .put_policy(LOG_BUCKET, &log_policy.to_string())
        .await;
}

/// Creates a bucket with modern defaults and full hardening, except its one problem.
async fn set_up_bucket(emulator: &Emulator, bucket: &DemoBucket) {
    let s3 = emulator.s3_client(REGION);
    let name = bucket.name;
    s3.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .expect("create bucket");

    let public = matches!(
        bucket.problem,
        Problem::PublicPolicy | Problem::PublicAcl | Problem::NoBlockPublicAccess
    );
    if !public {
        s3.put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(all_blocked())
            .send()
            .await
            .expect("Block Public Access");
    }

    let object_ownership = if bucket.problem == Problem::PublicAcl {
        ObjectOwnership::ObjectWriter
    } else {
        ObjectOwnership::BucketOwnerEnforced
    };
    s3.put_bucket_ownership_controls()
        .bucket(name)
        .ownership_controls(ownership(object_ownership))
        .send()
        .await
        .expect("ownership controls");
    if bucket.problem == Problem::PublicAcl {
        s3.put_bucket_acl()
            .bucket(name)
            .acl(BucketCannedAcl::PublicRead)
            .send()
            .await
            .expect("public ACL");
    }

    match bucket.problem {
        Problem::NoTls => {}
        Problem::PublicPolicy => {
            let mut policy: serde_json::Value =
                serde_json::from_str(&tls_policy(name)).expect("policy");
            if let Some(statements) = policy["Statement"].as_array_mut() {
                statements.insert(
                    0,
                    serde_json::json!({
                        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}/*")
                    }),
                );
            }
            emulator.put_policy(name, &policy.to_string()).await;
        }
        _ => emulator.put_policy(name, &tls_policy(name)).await,
    }

    let (algorithm, key, bucket_key) = match bucket.problem {
        Problem::AwsManagedKey => (
            ServerSideEncryption::AwsKms,
            Some("alias/aws/s3".to_string()),
            false,
        ),
        Problem::None => (
            ServerSideEncryption::AwsKms,
            Some(customer_managed_key(emulator).await),
            true,
        ),
        _ => (ServerSideEncryption::Aes256, None, false),
    };
    s3.put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(encryption(
            algorithm,
            key.as_deref(),
            bucket_key,
            true,
        ))
        .send()
        .await
        .expect("default encryption");

    let status = if bucket.problem == Problem::VersioningOff {
        BucketVersioningStatus::Suspended
    } else {
        BucketVersioningStatus::Enabled
    };
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .expect("versioning");

    s3.put_bucket_logging()
        .bucket(name)
        .bucket_logging_status(
            BucketLoggingStatus::builder()
                .logging_enabled(
                    LoggingEnabled::builder()
                        .target_bucket(LOG_BUCKET)
                        .target_prefix(format!("{name}/"))
                        .build()
                        .expect("logging"),
                )
                .build(),
        )
        .send()
        .await
        .expect("server access logging");

    // S3 accepts a replication configuration only on a versioned bucket.
    if bucket.problem == Problem::VersioningOff {
        return;
    }
    s3.put_bucket_replication()
        .bucket(name)
        .replication_configuration(replicate_everything(name))
        .send()
        .await
        .expect("replication");
}

async fn customer_managed_key(emulator: &Emulator) -> String {
    aws_sdk_kms::Client::new(&emulator.sdk_config(REGION))
        .create_key()
        .description("demo bucket key")
        .send()
        .await
        .expect("create key")
        .key_metadata
        .and_then(|metadata| metadata.arn)
        .expect("key ARN")
}
