#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]
//! The slack-notifier handler with its webhook URL read from the emulator's SSM
//! and Secrets Manager, posting to a fake Slack webhook on 127.0.0.1.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use bucketwarden_core::{AccountReport, BucketReport};
use bucketwarden_tests::Emulator;
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};
use slack_notifier::settings::{ENV_MIN_SEVERITY, ENV_WEBHOOK_PARAMETER, ENV_WEBHOOK_SECRET};
use slack_notifier::{
    Handler, HandlerError, PostPolicy, RecordOutcome, Settings, SlackClient, WebhookError,
    WebhookUrl, read_webhook_url,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing_subscriber::fmt::MakeWriter;

const REGION: &str = "us-east-1";
const PARAMETER: &str = "/bucketwarden/slack-webhook";
/// The secret part of every fake webhook URL, which no log line may contain.
const WEBHOOK_TOKEN: &str = "XXXXwebhookTOKENdoNotLog";

// ---- Logs ----------------------------------------------------------------

/// Every log line of this test binary, from the TRACE level up.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs one global TRACE subscriber for all tests of this binary, so that
/// log lines from every thread and from the `log` crate (reqwest) are captured.
fn captured_logs() -> LogBuffer {
    static LOGS: OnceLock<LogBuffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = LogBuffer::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(buffer.clone())
            .try_init()
            .expect("install the log subscriber");
        buffer
    })
    .clone()
}

// ---- Fake Slack webhook ----------------------------------------------------

/// One HTTP response of the fake webhook.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
}

impl Reply {
    fn ok() -> Reply {
        Reply::status(200, "ok")
    }

    fn status(status: u16, body: &'static str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
}

#[derive(Clone, Debug)]
struct CapturedRequest {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl CapturedRequest {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

/// An HTTP/1.1 server on 127.0.0.1 that records each request and responds with
/// the scripted replies in order, then with `then` forever.
struct FakeSlack {
    port: u16,
    requests: Arc<Mutex<Vec<CapturedRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSlack {
    async fn start(script: Vec<Reply>, then: Reply) -> FakeSlack {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let served = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let recorded = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let index = served.fetch_add(1, Ordering::SeqCst);
                let reply = script.get(index).cloned().unwrap_or_else(|| then.clone());
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    serve(stream, &reply, &recorded).await;
                });
            }
        });
        FakeSlack {
            port,
            requests,
            task,
        }
    }

    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/services/T0000/B0000/{WEBHOOK_TOKEN}",
            self.port
        )
    }

    fn requests(&self) -> Vec<CapturedRequest> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request from `stream`, records it, sends `reply` and closes the
/// connection. The request is recorded before the reply is sent, so a client that
/// has its response always finds its request recorded.
async fn serve(
    mut stream: TcpStream,
    reply: &Reply,
    recorded: &Mutex<Vec<CapturedRequest>>,
) -> Option<()> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = data.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        data.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut request_line = lines.next()?.split_whitespace();
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let mut content_length = 0;
    let mut content_type = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.trim().parse().ok()?;
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_string());
        }
    }
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < content_length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }

    recorded.lock().unwrap().push(CapturedRequest {
        method,
        path,
        content_type,
        body,
    });

    let mut response = format!(
        "HTTP/1.1 {} Scripted\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(reply.body);
    stream.write_all(response.as_bytes()).await.ok()?;
    stream.shutdown().await.ok()?;
    Some(())
}

// ---- Helpers ---------------------------------------------------------------

/// Returns the production retry policy with a 10 ms first backoff, so that
/// failing tests take milliseconds. `Retry-After` is still honoured in full.
fn fast_policy() -> PostPolicy {
    PostPolicy {
        first_backoff: Duration::from_millis(10),
        ..PostPolicy::default()
    }
}

async fn put_webhook_parameter(emulator: &Emulator, url: &str) {
    aws_sdk_ssm::Client::new(&emulator.sdk_config(REGION))
        .put_parameter()
        .name(PARAMETER)
        .value(url)
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("put the webhook parameter");
}

/// Builds a handler as `main` does: settings, then the URL from SSM.
async fn handler_from_ssm(emulator: &Emulator, slack: &FakeSlack) -> Handler {
    put_webhook_parameter(emulator, &slack.url()).await;
    let settings = Settings::from_lookup(|name| match name {
        ENV_WEBHOOK_PARAMETER => Some(PARAMETER.to_string()),
        _ => None,
    })
    .expect("settings");
    let webhook = read_webhook_url(&emulator.sdk_config(REGION), &settings.webhook_source)
        .await
        .expect("webhook URL from SSM");
    Handler::new(
        SlackClient::new(webhook, fast_policy()).expect("client"),
        settings.min_severity,
    )
}

/// Builds a handler without the emulator, for tests about messages only.
fn local_handler(slack: &FakeSlack, min_severity: Option<&str>) -> Handler {
    let settings = Settings::from_lookup(|name| match name {
        ENV_WEBHOOK_PARAMETER => Some(PARAMETER.to_string()),
        ENV_MIN_SEVERITY => min_severity.map(str::to_string),
        _ => None,
    })
    .expect("settings");
    let webhook = WebhookUrl::parse(&slack.url()).expect("loopback URL");
    Handler::new(
        SlackClient::new(webhook, fast_policy()).expect("client"),
        settings.min_severity,
    )
}

/// Loads the sample event: an SNS record with a real bucket report of 6 findings.
fn sample_event() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../functions/slack-notifier/events/sns-bucket-report.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("event JSON")
}

fn set_attribute(event: &mut Value, name: &str, value: &str) {
    event["Records"][0]["Sns"]["MessageAttributes"][name] =
        json!({"Type": "String", "Value": value});
}

fn assert_no_webhook_url(text: &str, slack: &FakeSlack) {
    assert!(
        !text.contains(&slack.url()),
        "the webhook URL is in: {text}"
    );
    assert!(
        !text.contains(WEBHOOK_TOKEN),
        "the webhook token is in: {text}"
    );
}

// ---- Tests -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn bucket_report_posted_from_ssm_url() {
    captured_logs();
    let emulator = Emulator::start().await;
    let slack = FakeSlack::start(Vec::new(), Reply::ok()).await;
    let handler = handler_from_ssm(&emulator, &slack).await;

    let response = handler.handle(sample_event()).await.expect("posted");

    assert_eq!(
        response.records,
        vec![RecordOutcome::Posted {
            kind: Some("bucket".to_string()),
            bucket: Some("demo-public-policy".to_string()),
            attempts: 1,
        }]
    );
    let requests = slack.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(
        requests[0].path,
        format!("/services/T0000/B0000/{WEBHOOK_TOKEN}")
    );
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/json")
    );
    insta::assert_json_snapshot!("bucket_report_payload", requests[0].json());

    let reads: Vec<_> = emulator
        .requests()
        .await
        .into_iter()
        .filter(|request| request.action.as_deref() == Some("GetParameter"))
        .collect();
    assert_eq!(reads.len(), 1, "GetParameter calls: {reads:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_retried_after_retry_after() {
    captured_logs();
    let slack = FakeSlack::start(
        vec![Reply::status(429, "rate_limited").header("Retry-After", "1")],
        Reply::ok(),
    )
    .await;
    let handler = local_handler(&slack, None);

    let started = Instant::now();
    let response = handler.handle(sample_event()).await.expect("posted");
    let elapsed = started.elapsed();

    let RecordOutcome::Posted { attempts, .. } = &response.records[0] else {
        panic!("expected a post, got {response:?}");
    };
    assert_eq!(*attempts, 2);
    assert_eq!(slack.requests().len(), 2);
    // The backoff alone would wait 10 ms, but Retry-After requests 1 s.
    assert!(elapsed >= Duration::from_secs(1), "waited {elapsed:?}");
    assert_eq!(slack.requests()[0].body, slack.requests()[1].body);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_fails_after_capped_attempts() {
    captured_logs();
    let slack = FakeSlack::start(Vec::new(), Reply::status(500, "internal_error")).await;
    let handler = local_handler(&slack, None);

    let error = handler
        .handle(sample_event())
        .await
        .expect_err("the post fails");

    let HandlerError::SlackPostFailed(post_error) = &error else {
        panic!("expected SlackPostFailed, got {error:?}");
    };
    assert_eq!(post_error.attempts, PostPolicy::default().max_attempts);
    assert_eq!(post_error.status(), Some(500));
    assert_eq!(slack.requests().len(), 5);
    let message = error.to_string();
    assert!(message.contains("HTTP 500 (internal_error)"), "{message}");
    assert_no_webhook_url(&message, &slack);
    assert_no_webhook_url(&format!("{error:?}"), &slack);
    let diagnostic = Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "SlackPostFailed");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_error_not_retried() {
    captured_logs();
    let slack = FakeSlack::start(Vec::new(), Reply::status(400, "invalid_payload")).await;
    let handler = local_handler(&slack, None);

    let error = handler
        .handle(sample_event())
        .await
        .expect_err("the post fails");

    assert_eq!(slack.requests().len(), 1);
    let HandlerError::SlackPostFailed(post_error) = &error else {
        panic!("expected SlackPostFailed, got {error:?}");
    };
    assert_eq!(post_error.attempts, 1);
    assert_eq!(post_error.status(), Some(400));
    assert!(error.to_string().contains("invalid_payload"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_webhook_fails_without_url() {
    captured_logs();
    // A port that was free a moment ago: nothing listens there.
    let slack = FakeSlack::start(Vec::new(), Reply::ok()).await;
    let url = slack.url();
    drop(slack);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let webhook = WebhookUrl::parse(&url).unwrap();
    let handler = Handler::new(
        SlackClient::new(webhook, fast_policy()).unwrap(),
        bucketwarden_core::Severity::High,
    );

    let error = handler
        .handle(sample_event())
        .await
        .expect_err("the post fails");

    let HandlerError::SlackPostFailed(post_error) = &error else {
        panic!("expected SlackPostFailed, got {error:?}");
    };
    assert_eq!(post_error.attempts, 5);
    assert_eq!(post_error.status(), None);
    let message = error.to_string();
    assert!(!message.contains(WEBHOOK_TOKEN), "{message}");
    assert!(!message.contains("/services/"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn low_severity_skipped_without_request() {
    captured_logs();
    let slack = FakeSlack::start(Vec::new(), Reply::ok()).await;
    let handler = local_handler(&slack, Some("high"));

    for severity in ["medium", "low", "info", "none"] {
        let mut event = sample_event();
        set_attribute(&mut event, "severity", severity);
        let response = handler.handle(event).await.expect("handled");
        let RecordOutcome::Skipped { reason, bucket, .. } = &response.records[0] else {
            panic!("{severity}: expected a skip, got {response:?}");
        };
        assert_eq!(bucket.as_deref(), Some("demo-public-policy"));
        assert!(!reason.is_empty(), "{severity}");
    }
    assert!(slack.requests().is_empty(), "{:?}", slack.requests());

    let mut event = sample_event();
    set_attribute(&mut event, "severity", "high");
    let response = handler.handle(event).await.expect("posted");
    assert!(
        matches!(response.records[0], RecordOutcome::Posted { .. }),
        "{response:?}"
    );
    assert_eq!(slack.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn account_summary_posted_below_minimum() {
    captured_logs();
    let slack = FakeSlack::start(Vec::new(), Reply::ok()).await;
    let handler = local_handler(&slack, Some("critical"));
    let mut event = sample_event();
    let message = event["Records"][0]["Sns"]["Message"].as_str().unwrap();
    let (_, json) = message.split_once("--- JSON report ---\n").unwrap();
    let bucket: BucketReport = serde_json::from_str(json).unwrap();
    let mut account = AccountReport {
        account_id: Some("111122223333".to_string()),
        ..AccountReport::default()
    };
    account.push(bucket);
    event["Records"][0]["Sns"]["Message"] = Value::String(format!(
        "Bucket Warden audited 1 bucket.\n\n--- JSON report ---\n{}",
        serde_json::to_string(&account).unwrap()
    ));
    event["Records"][0]["Sns"]["Subject"] = json!("Bucket Warden: 1 bucket audited");
    event["Records"][0]["Sns"]["MessageAttributes"] = json!({});
    set_attribute(&mut event, "kind", "account");
    set_attribute(&mut event, "severity", "none");

    let response = handler.handle(event).await.expect("posted");

    assert!(
        matches!(response.records[0], RecordOutcome::Posted { .. }),
        "{response:?}"
    );
    let payload = slack.requests()[0].json();
    assert_eq!(
        payload["blocks"][0]["text"]["text"],
        "Bucket Warden: 1 bucket audited"
    );
    let summary = payload["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(summary.starts_with("*1 bucket audited*"), "{summary}");
}

#[tokio::test(flavor = "multi_thread")]
async fn non_report_posted_as_plain_text() {
    let logs = captured_logs();
    let slack = FakeSlack::start(Vec::new(), Reply::ok()).await;
    let handler = local_handler(&slack, None);
    let mut event = sample_event();
    event["Records"][0]["Sns"]["Message"] = json!("Deployment finished.\nNothing to audit.");
    event["Records"][0]["Sns"]["Subject"] = json!("A message from elsewhere");
    event["Records"][0]["Sns"]["MessageAttributes"] = json!({});

    let response = handler.handle(event).await.expect("posted");

    assert!(
        matches!(response.records[0], RecordOutcome::Posted { .. }),
        "{response:?}"
    );
    let payload = slack.requests()[0].json();
    assert_eq!(
        payload["blocks"][0]["text"]["text"],
        "A message from elsewhere"
    );
    assert_eq!(
        payload["blocks"][1]["text"],
        json!({"type": "plain_text", "text": "Deployment finished.\nNothing to audit."})
    );
    let text = logs.text();
    assert!(
        text.lines()
            .any(|line| line.contains("WARN") && line.contains("not a Bucket Warden report")),
        "no WARN line in:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_event_rejected() {
    captured_logs();
    let slack = FakeSlack::start(Vec::new(), Reply::ok()).await;
    let handler = local_handler(&slack, None);

    for event in [json!({"detail": {}}), json!({"Records": []})] {
        let error = handler.handle(event.clone()).await.expect_err("rejected");
        assert!(
            matches!(error, HandlerError::MalformedEvent(_)),
            "{event}: {error:?}"
        );
        assert_eq!(Diagnostic::from(error).error_type, "MalformedEvent");
    }
    assert!(slack.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_sources_on_emulator() {
    captured_logs();
    let emulator = Emulator::start().await;
    let config = emulator.sdk_config(REGION);
    let url = format!("https://hooks.slack.com/services/T0000/B0000/{WEBHOOK_TOKEN}");
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    for (name, value) in [
        ("slack/plain", url.clone()),
        ("slack/json", json!({ "url": url }).to_string()),
    ] {
        secrets
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("create secret");
        let settings = Settings::from_lookup(|variable| {
            (variable == ENV_WEBHOOK_SECRET).then(|| name.to_string())
        })
        .unwrap();
        let webhook = read_webhook_url(&config, &settings.webhook_source)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(webhook.expose(), url, "{name}");
    }

    // A parameter that does not exist: the error names it and the permission.
    let source = slack_notifier::settings::WebhookSource::Parameter("/missing".to_string());
    let error = read_webhook_url(&config, &source).await.unwrap_err();
    assert!(matches!(error, WebhookError::Parameter { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`/missing`"), "{message}");
    assert!(message.contains("ssm:GetParameter"), "{message}");

    // A plain-http URL to another host is rejected without quoting it.
    put_webhook_parameter(
        &emulator,
        &format!("http://hooks.slack.com/services/T0000/B0000/{WEBHOOK_TOKEN}"),
    )
    .await;
    let source = slack_notifier::settings::WebhookSource::Parameter(PARAMETER.to_string());
    let error = read_webhook_url(&config, &source).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, WebhookError::InvalidUrl { .. }),
        "{error:?}"
    );
    assert!(message.contains(PARAMETER), "{message}");
    assert!(!message.contains(WEBHOOK_TOKEN), "{message}");
}

/// Runs a read from SSM, a retried post and a failed post under the TRACE
/// subscriber, then checks that no log line of this binary contains the URL.
#[tokio::test(flavor = "multi_thread")]
async fn webhook_url_absent_from_logs() {
    let logs = captured_logs();
    let emulator = Emulator::start().await;
    let slack = FakeSlack::start(
        vec![Reply::status(429, "rate_limited").header("Retry-After", "0")],
        Reply::ok(),
    )
    .await;
    let handler = handler_from_ssm(&emulator, &slack).await;
    handler.handle(sample_event()).await.expect("posted");

    let failing = FakeSlack::start(Vec::new(), Reply::status(503, "unavailable")).await;
    let failing_handler = local_handler(&failing, None);
    failing_handler
        .handle(sample_event())
        .await
        .expect_err("the post fails");

    let text = logs.text();
    // The subscriber captured this test's lines at every level.
    assert!(text.contains("message posted"), "{text}");
    assert!(text.contains("Slack post failed; retrying"), "{text}");
    assert!(text.contains("message not posted"), "{text}");
    assert!(text.contains("TRACE"), "no TRACE line captured");
    assert!(text.contains("GetParameter"), "no SDK line captured");
    assert_no_webhook_url(&text, &slack);
    assert_no_webhook_url(&text, &failing);
}
