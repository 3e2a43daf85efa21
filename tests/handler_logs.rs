//! What the bucket-event function writes to its logs: one line per event with ids
//! and counts, and never a policy document, an ACL or the event payload above TRACE.

use std::io::Write;
use std::sync::{Arc, Mutex};

use bucket_event::settings::ENV_TOPIC_ARN;
use bucket_event::{Handler, Settings};
use bucketwarden_aws::{AwsContext, ClientOptions};
use bucketwarden_tests::Emulator;
use bucketwarden_tests::matrix::REGION;
use bucketwarden_tests::topic::{ReportTopic, sample_event};
use tracing_subscriber::fmt::MakeWriter;

/// A log sink that keeps every line in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const POLICY_MARKER: &str = "PolicyMarkerSid7f3a";
const ACL_MARKER: &str = "aclmarkercanonicalid9b2c";

#[tokio::test(flavor = "current_thread")]
async fn logs_carry_no_policy_acl_or_payload() {
    let emulator = Emulator::start().await;
    let topic = ReportTopic::create(&emulator, "reports").await;
    let bucket = "demo-public-policy";
    emulator.create_bucket(bucket, REGION).await;
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Sid": POLICY_MARKER, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": format!("arn:aws:s3:::{bucket}/*")}
    ]});
    emulator.put_policy(bucket, &policy.to_string()).await;
    emulator
        .s3_client(REGION)
        .put_bucket_acl()
        .bucket(bucket)
        .access_control_policy(
            aws_sdk_s3::types::AccessControlPolicy::builder()
                .owner(aws_sdk_s3::types::Owner::builder().id(ACL_MARKER).build())
                .grants(
                    aws_sdk_s3::types::Grant::builder()
                        .grantee(
                            aws_sdk_s3::types::Grantee::builder()
                                .r#type(aws_sdk_s3::types::Type::CanonicalUser)
                                .id(ACL_MARKER)
                                .build()
                                .unwrap(),
                        )
                        .permission(aws_sdk_s3::types::Permission::FullControl)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let aws = AwsContext::new(
        &emulator.sdk_config(REGION),
        ClientOptions::default().endpoint_url(emulator.endpoint_url()),
    )
    .unwrap();
    let topic_arn = topic.topic_arn.clone();
    let settings =
        Settings::from_lookup(|name| (name == ENV_TOPIC_ARN).then(|| topic_arn.clone())).unwrap();
    let event = sample_event("put-bucket-policy.json", Some(bucket));
    let user_agent = event["detail"]["userAgent"].as_str().unwrap().to_string();
    Handler::new(aws, settings).handle(event).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("report published"), "{logs}");
    assert!(logs.contains(bucket), "log lines name the bucket: {logs}");
    assert!(
        !logs.contains(POLICY_MARKER),
        "a policy reached the logs:\n{logs}"
    );
    assert!(
        !logs.contains(ACL_MARKER),
        "an ACL reached the logs:\n{logs}"
    );
    assert!(
        !logs.contains(&user_agent),
        "the event payload reached the logs:\n{logs}"
    );
    assert!(
        !logs.contains("s3:GetObject"),
        "a policy reached the logs:\n{logs}"
    );
}
