//! The bucket-event handler on the emulator, driven by the sample events in `events/`:
//! each event gives a published report, a skip with its reason, or a clear error.

use bucket_event::settings::{ENV_OWN_ROLE_NAME, ENV_TOPIC_ARN};
use bucket_event::{Handler, HandlerError, Response, Settings};
use bucketwarden_aws::{AwsContext, ClientOptions};
use bucketwarden_tests::Emulator;
use bucketwarden_tests::matrix::{self, REGION};
use bucketwarden_tests::topic::{ReportTopic, sample_event};

fn handler(emulator: &Emulator, topic: &ReportTopic, own_role: Option<&str>) -> Handler {
    let config = emulator.sdk_config(REGION);
    let aws = AwsContext::new(
        &config,
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("aws context");
    let topic_arn = topic.topic_arn.clone();
    let own_role = own_role.map(str::to_string);
    let settings = Settings::from_lookup(|name| match name {
        ENV_TOPIC_ARN => Some(topic_arn.clone()),
        ENV_OWN_ROLE_NAME => own_role.clone(),
        _ => None,
    })
    .expect("settings");
    Handler::new(aws, settings)
}

const PUBLISHING_EVENTS: &[&str] = &[
    "create-bucket.json",
    "put-bucket-policy.json",
    "delete-bucket-policy.json",
    "put-bucket-encryption.json",
    "put-bucket-public-access-block.json",
    "put-bucket-acl.json",
];

#[tokio::test(flavor = "multi_thread")]
async fn configuration_events_publish_reports() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let handler = handler(&emulator, &topic, None);
    matrix::set_up_phase_one(&emulator).await;

    for event_file in PUBLISHING_EVENTS {
        let response = handler
            .handle(sample_event(event_file, Some(matrix::PUBLIC)))
            .await
            .unwrap_or_else(|e| panic!("{event_file}: {e}"));
        let Response::Published {
            bucket, findings, ..
        } = response
        else {
            panic!("{event_file}: expected a published report, got {response:?}");
        };
        assert_eq!(bucket, matrix::PUBLIC, "{event_file}");
        assert!(findings > 0, "{event_file}");
    }

    let notifications = topic.drain().await;
    assert_eq!(notifications.len(), PUBLISHING_EVENTS.len());
    let first = &notifications[0];
    let subject = first.subject.as_deref().unwrap();
    assert!(subject.len() < 100, "{subject}");
    assert!(subject.contains(matrix::PUBLIC), "{subject}");
    assert!(subject.contains("FAIL critical"), "{subject}");
    assert_eq!(first.attribute("severity"), Some("critical"));
    assert_eq!(first.attribute("bucket"), Some(matrix::PUBLIC));
    assert!(
        first
            .attribute("findings")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 5
    );
    assert!(first.message.contains("What to do:"), "{}", first.message);
    let report = first.report().expect("JSON report attached");
    assert_eq!(report["bucket"], matrix::PUBLIC);
    assert_eq!(report["results"].as_array().unwrap().len(), 18);
}

#[tokio::test(flavor = "multi_thread")]
async fn handler_outcomes_match_the_matrix() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let handler = handler(&emulator, &topic, None);
    matrix::set_up_phase_one(&emulator).await;

    let buckets = [
        matrix::GOOD,
        matrix::PUBLIC,
        matrix::KMS_AWS_MANAGED,
        matrix::SSE_S3,
        matrix::TRAIL_LOGGED,
    ];
    for bucket in buckets {
        handler
            .handle(sample_event("create-bucket.json", Some(bucket)))
            .await
            .expect("handled");
    }
    let reports: Vec<_> = topic
        .drain()
        .await
        .iter()
        .map(|n| n.report().expect("report"))
        .collect();
    let mismatches = matrix::mismatches(&reports, &matrix::phase_one_expectations());
    assert!(
        mismatches.is_empty(),
        "phase one:\n{}",
        mismatches.join("\n")
    );

    matrix::set_up_phase_two(&emulator).await;
    // A new handler: account facts are read once per execution environment.
    let handler = self::handler(&emulator, &topic, None);
    for bucket in buckets {
        handler
            .handle(sample_event("create-bucket.json", Some(bucket)))
            .await
            .expect("handled");
    }
    let reports: Vec<_> = topic
        .drain()
        .await
        .iter()
        .map(|n| n.report().expect("report"))
        .collect();
    let mismatches = matrix::mismatches(&reports, &matrix::phase_two_expectations());
    assert!(
        mismatches.is_empty(),
        "phase two:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn skipped_events_give_reasons_and_publish_nothing() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let handler = handler(&emulator, &topic, Some("bucketwarden-bucket-event"));
    emulator.create_bucket("demo-public-policy", REGION).await;

    let cases = [
        (
            sample_event("failed-call.json", None),
            "failed with AccessDenied",
        ),
        (
            sample_event("non-s3-event.json", None),
            "source `aws.ec2` is not aws.s3",
        ),
    ];
    for (event, reason) in cases {
        match handler.handle(event).await.expect("handled") {
            Response::Skipped { reason: actual } => assert!(actual.contains(reason), "{actual}"),
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    let mut other_account = sample_event("put-bucket-policy.json", None);
    other_account["account"] = "999988887777".into();
    match handler.handle(other_account).await.expect("handled") {
        Response::Skipped { reason } => assert!(reason.contains("999988887777"), "{reason}"),
        other => panic!("expected a skip, got {other:?}"),
    }

    let mut own_call = sample_event("put-bucket-policy.json", None);
    own_call["detail"]["userIdentity"]["arn"] =
        "arn:aws:sts::111122223333:assumed-role/bucketwarden-bucket-event/session".into();
    match handler.handle(own_call).await.expect("handled") {
        Response::Skipped { reason } => assert!(reason.contains("own role"), "{reason}"),
        other => panic!("expected a skip, got {other:?}"),
    }

    assert!(topic.drain().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_event_is_rejected_clearly() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let handler = handler(&emulator, &topic, None);

    let error = handler
        .handle(sample_event("malformed.json", None))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HandlerError::MalformedEvent(_)),
        "{error:?}"
    );
    assert_eq!(error.error_type(), "MalformedEvent");
    assert!(
        error
            .to_string()
            .contains("detail.requestParameters.bucketName"),
        "{error}"
    );

    let error = handler
        .handle(serde_json::json!({"hello": "world"}))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not an EventBridge event"),
        "{error}"
    );

    let error = handler
        .handle(sample_event("create-bucket.json", Some("Bad\nName")))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("not a valid S3 bucket name"),
        "{error}"
    );
    assert!(topic.drain().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn handler_writes_nothing_but_the_report() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let handler = handler(&emulator, &topic, None);
    matrix::set_up_phase_one(&emulator).await;
    emulator.reset_requests().await;

    handler
        .handle(sample_event("put-bucket-policy.json", Some(matrix::PUBLIC)))
        .await
        .expect("handled");
    let writes: Vec<String> = emulator
        .requests()
        .await
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.to_string())
        .collect();
    assert!(writes.is_empty(), "writes:\n{}", writes.join("\n"));
    assert_eq!(topic.drain().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_bucket_is_skipped() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let handler = handler(&emulator, &topic, None);
    match handler
        .handle(sample_event("create-bucket.json", Some("never-created")))
        .await
        .expect("handled")
    {
        Response::Skipped { reason } => assert!(reason.contains("no longer exists"), "{reason}"),
        other => panic!("expected a skip, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_publish_keeps_report() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    emulator.create_bucket("demo-public-policy", REGION).await;
    emulator
        .create_bucket("reports-111122223333-us-east-1-an", REGION)
        .await;
    let config = emulator.sdk_config(REGION);
    let aws = AwsContext::new(
        &config,
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .expect("aws context");
    let topic_arn = topic.topic_arn.clone();
    let settings = Settings::from_lookup(|name| match name {
        ENV_TOPIC_ARN => Some(topic_arn.clone()),
        bucket_event::settings::ENV_REPORT_BUCKET => {
            Some("reports-111122223333-us-east-1-an".to_string())
        }
        _ => None,
    })
    .expect("settings");
    let handler = Handler::new(aws, settings);
    emulator
        .add_fault(
            &bucketwarden_tests::Fault::s3(500, "InternalError", "SNS is down")
                .service(Some("sns"))
                .action("Publish"),
        )
        .await;

    let error = handler
        .handle(sample_event("put-bucket-policy.json", None))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "AwsCallFailed");
    assert!(error.to_string().contains("the report was kept at s3://reports-111122223333-us-east-1-an/unpublished/demo-public-policy/"), "{error}");
    let listed = emulator
        .s3_client(REGION)
        .list_objects_v2()
        .bucket("reports-111122223333-us-east-1-an")
        .prefix("unpublished/demo-public-policy/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    assert!(topic.drain().await.is_empty());
}
