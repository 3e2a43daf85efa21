//! Test support for integration tests against the local AWS emulator.
//!
//! [`Emulator::start`] runs `tests/emulator/bucketwarden_emulator.py` (moto's
//! server with Bucket Warden's extensions) on a free loopback port, and stops it
//! when the value is dropped. The emulator needs the Python environment that
//! `make venv` creates in `<repo>/.venv`.
//!
//! ```no_run
//! # async fn example() {
//! use bucketwarden_tests::{Emulator, Fault};
//!
//! let emulator = Emulator::start().await;
//! emulator.create_bucket("demo-public-policy", "eu-west-1").await;
//! emulator
//!     .add_fault(&Fault::access_denied().bucket("demo-public-policy").query_contains("policy"))
//!     .await;
//! emulator.reset_requests().await;
//! // ... run an audit with emulator.sdk_config("eu-west-1") ...
//! assert!(emulator.requests().await.iter().all(|request| !request.is_write()));
//! # }
//! ```

pub mod cli;
pub mod matrix;
pub mod topic;

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_s3control::config::endpoint::{Endpoint, EndpointFuture, Params, ResolveEndpoint};
use aws_types::SdkConfig;
use aws_types::sdk_config::{RetryConfig, TimeoutConfig};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The account that every emulated request acts as. It matches the sample events in `events/`.
pub const ACCOUNT_ID: &str = "111122223333";

/// Access key id and secret of the static test credentials.
pub const TEST_CREDENTIAL: &str = "testing";

/// How long [`Emulator::start`] waits for the server to respond. Startup took
/// under 2 s in test runs on a 2-core machine, and the rest is headroom for a
/// machine that is busy compiling or running other tests.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Limit for one request to a control endpoint.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(10);

/// Start attempts when the chosen port was taken between probing and binding.
const START_ATTEMPTS: u32 = 3;

/// Lines of the emulator log shown in start errors.
const LOG_TAIL_LINES: usize = 30;

/// Operation-name prefixes that [`RecordedRequest::is_write`] treats as writes.
const WRITE_ACTION_PREFIXES: &[&str] = &[
    "Create",
    "Put",
    "Update",
    "Delete",
    "Start",
    "Stop",
    "Attach",
    "Detach",
    "Tag",
    "Untag",
    "Set",
    "Add",
    "Remove",
    "Modify",
    "Enable",
    "Disable",
    "Associate",
    "Disassociate",
    "Subscribe",
    "Unsubscribe",
    "Register",
    "Deregister",
];

/// Path prefixes of the emulator's own endpoints, which are not AWS calls.
const CONTROL_PATH_PREFIXES: &[&str] = &["/_bucketwarden/", "/moto-api"];

/// Why the emulator could not be started or a control request failed.
#[derive(Debug)]
pub enum EmulatorError {
    /// `<repo>/.venv/bin/python` does not exist.
    MissingVenv { python: PathBuf },
    /// A file or process operation failed.
    Io { context: String, source: io::Error },
    /// The emulator process exited before it responded.
    Exited {
        status: ExitStatus,
        log: PathBuf,
        log_tail: String,
    },
    /// The emulator did not respond within [`START_TIMEOUT`].
    NotReady {
        endpoint: String,
        log: PathBuf,
        log_tail: String,
    },
    /// A request to a `/_bucketwarden/` control endpoint failed.
    Control { request: String, detail: String },
}

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmulatorError::MissingVenv { python } => write!(
                f,
                "the emulator's Python environment is missing ({} not found); run `make venv` in the repository root",
                python.display()
            ),
            EmulatorError::Io { context, source } => write!(f, "{context}: {source}"),
            EmulatorError::Exited {
                status,
                log,
                log_tail,
            } => write!(
                f,
                "the emulator exited with {status} before it was ready; if moto is missing, run `make venv`. Log {}:\n{log_tail}",
                log.display()
            ),
            EmulatorError::NotReady {
                endpoint,
                log,
                log_tail,
            } => write!(
                f,
                "the emulator did not respond on {endpoint} within {} s. Log {}:\n{log_tail}",
                START_TIMEOUT.as_secs(),
                log.display()
            ),
            EmulatorError::Control { request, detail } => {
                write!(f, "emulator control request {request} failed: {detail}")
            }
        }
    }
}

impl std::error::Error for EmulatorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmulatorError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> EmulatorError {
    let context = context.into();
    move |source| EmulatorError::Io { context, source }
}

/// One AWS request as the emulator's request log recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// The URL path, percent-decoded.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: String,
    /// The `Host` header.
    pub host: Option<String>,
    /// The `X-Amz-Target` header of JSON-protocol requests.
    pub target: Option<String>,
    /// The SigV4 service name from the Authorization header's credential scope.
    pub service: Option<String>,
    /// The SigV4 region from the credential scope.
    pub region: Option<String>,
    /// The operation name from `X-Amz-Target` or from a query-protocol `Action`
    /// body parameter. Absent for REST protocols such as S3.
    pub action: Option<String>,
    /// The bucket of a path-style S3 request.
    pub bucket: Option<String>,
    /// The response status, absent while the response has not started.
    pub status: Option<u16>,
}

impl RecordedRequest {
    /// Returns whether this request can change state in the emulated account.
    ///
    /// Requests with an operation name (JSON and query protocols) are writes when
    /// the name starts with a verb such as Create, Put, Update, Delete, Start,
    /// Stop or Attach. `Publish` and `SendMessage` are not writes: they deliver
    /// findings and leave the audited resources alone. REST requests (S3, S3
    /// Control, GuardDuty) are writes when their method is PUT, POST, DELETE or
    /// PATCH, so a REST read sent as POST (GuardDuty ListFindings) counts as a
    /// write. Requests to the emulator's control endpoints are never writes.
    pub fn is_write(&self) -> bool {
        if self.is_control() {
            return false;
        }
        match &self.action {
            Some(action) => WRITE_ACTION_PREFIXES
                .iter()
                .any(|prefix| action.starts_with(prefix)),
            None if self.is_read_sent_as_post() => false,
            None => matches!(self.method.as_str(), "PUT" | "POST" | "DELETE" | "PATCH"),
        }
    }

    /// REST reads that travel as POST: Access Analyzer and GuardDuty ListFindings.
    fn is_read_sent_as_post(&self) -> bool {
        let service = self.service.as_deref().unwrap_or_default();
        self.method == "POST"
            && ((service == "access-analyzer" && self.path == "/finding")
                || (service == "guardduty" && self.path.ends_with("/findings")))
    }

    /// Returns whether this request went to the emulator's own endpoints (`/_bucketwarden/`, `/moto-api`).
    pub fn is_control(&self) -> bool {
        CONTROL_PATH_PREFIXES
            .iter()
            .any(|prefix| self.path.starts_with(prefix))
    }
}

impl fmt::Display for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        if let Some(action) = &self.action {
            write!(f, " ({action})")?;
        }
        if let Some(service) = &self.service {
            write!(f, " [{service}]")?;
        }
        Ok(())
    }
}

/// An error the emulator returns in place of moto's response, for every request
/// that matches all the criteria that are set.
///
/// The emulator sends the error in the request's wire format: the S3 XML
/// `<Error>` for S3 and S3 Control, `<ErrorResponse>` for query-protocol
/// services, and a JSON body with `__type` for the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// SigV4 service name to match, or `None` to match every service.
    pub service: Option<String>,
    pub method: Option<String>,
    /// Bucket of a path-style S3 request.
    pub bucket: Option<String>,
    pub path_contains: Option<String>,
    /// Substring of the raw query string, such as `policy` or `encryption`.
    /// `policy` also matches `policyStatus`.
    pub query_contains: Option<String>,
    /// Operation name from `X-Amz-Target` or a query-protocol `Action`.
    pub action: Option<String>,
    /// Number of matching requests to fail, or `None` to fail all of them.
    pub times: Option<u32>,
}

impl Fault {
    /// A fault for S3 requests (S3 Control included), matching any method, bucket and path.
    pub fn s3(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            service: Some("s3".to_owned()),
            method: None,
            bucket: None,
            path_contains: None,
            query_contains: None,
            action: None,
            times: None,
        }
    }

    /// S3's 403 `AccessDenied`.
    pub fn access_denied() -> Self {
        Self::s3(403, "AccessDenied", "Access Denied")
    }

    pub fn service(mut self, service: Option<&str>) -> Self {
        self.service = service.map(str::to_owned);
        self
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    pub fn bucket(mut self, bucket: &str) -> Self {
        self.bucket = Some(bucket.to_owned());
        self
    }

    pub fn path_contains(mut self, text: &str) -> Self {
        self.path_contains = Some(text.to_owned());
        self
    }

    pub fn query_contains(mut self, text: &str) -> Self {
        self.query_contains = Some(text.to_owned());
        self
    }

    pub fn action(mut self, action: &str) -> Self {
        self.action = Some(action.to_owned());
        self
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }
}

/// A running emulator process, killed when this value is dropped.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Emulator {
    /// Starts the emulator and waits until it responds.
    ///
    /// Panics with the reason (and the emulator's log) when it cannot start,
    /// for example when `make venv` has not been run.
    pub async fn start() -> Emulator {
        match Self::try_start().await {
            Ok(emulator) => emulator,
            Err(error) => panic!("{error}"),
        }
    }

    /// Starts the emulator on a free loopback port and waits until it responds.
    pub async fn try_start() -> Result<Emulator, EmulatorError> {
        let root = repository_root();
        let python = root.join(".venv/bin/python");
        if !python.is_file() {
            return Err(EmulatorError::MissingVenv { python });
        }
        let script = root.join("tests/emulator/bucketwarden_emulator.py");
        let log_dir = root.join(".emulator");
        fs::create_dir_all(&log_dir)
            .map_err(io_error(format!("failed to create {}", log_dir.display())))?;

        let mut attempt = 1;
        loop {
            let port = free_loopback_port()?;
            let log = log_dir.join(format!("emulator-{port}.log"));
            let child = spawn_emulator(&python, &script, port, &log)?;
            let mut emulator = Emulator { child, port, log };
            match emulator.wait_until_ready().await {
                Ok(()) => return Ok(emulator),
                Err(EmulatorError::Exited { log_tail, .. })
                    if attempt < START_ATTEMPTS && log_tail.contains("Address already in use") =>
                {
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Returns the base URL of the emulated AWS endpoints, such as `http://127.0.0.1:41234`.
    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Returns the path of the emulator's log file, which receives its stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Builds an SDK configuration for the emulator: static `testing` credentials,
    /// the emulator's endpoint URL, and no profile, environment or IMDS lookups.
    ///
    /// Retries are off, so that a fault with `times(1)` reaches the caller
    /// instead of being hidden by a retry. Timeouts bound a hung emulator.
    pub fn sdk_config(&self, region: &str) -> SdkConfig {
        let credentials = Credentials::new(
            TEST_CREDENTIAL,
            TEST_CREDENTIAL,
            None,
            None,
            "bucketwarden-tests",
        );
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_timeout(Duration::from_secs(30))
            .build();
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .endpoint_url(self.endpoint_url())
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build()
    }

    /// Builds an S3 client for `region` that uses path-style URLs, which the emulator needs.
    pub fn s3_client(&self, region: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config(region))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Builds an S3 Control client that sends every request to the emulator's plain endpoint.
    ///
    /// The SDK's endpoint rules put the account id in front of the host
    /// (`111122223333.127.0.0.1:PORT`), which does not resolve. This client
    /// sends `/v20180820/...` to `endpoint_url()` instead. Moto routes the
    /// request to S3 Control because it is signed for service `s3` and its path
    /// starts with `/v20180820/`.
    pub fn s3control_client(&self, region: &str) -> aws_sdk_s3control::Client {
        let config = aws_sdk_s3control::config::Builder::from(&self.sdk_config(region))
            .endpoint_resolver(FixedEndpoint(self.endpoint_url()))
            .build();
        aws_sdk_s3control::Client::from_conf(config)
    }

    /// Builds an SNS client for `region`.
    pub fn sns_client(&self, region: &str) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config(region))
    }

    /// Builds an SQS client for `region`.
    pub fn sqs_client(&self, region: &str) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk_config(region))
    }

    /// Returns every request recorded since the start or the last [`Self::reset_requests`], oldest first.
    pub async fn requests(&self) -> Vec<RecordedRequest> {
        let body = self
            .control_or_panic("GET", "/_bucketwarden/requests", None)
            .await;
        match serde_json::from_str(&body) {
            Ok(requests) => requests,
            Err(error) => panic!("invalid request log from the emulator ({error}): {body}"),
        }
    }

    /// Clears the request log.
    pub async fn reset_requests(&self) {
        self.control_or_panic("POST", "/_bucketwarden/requests/reset", None)
            .await;
    }

    /// Adds a fault. The emulator checks faults in the order they were added and applies the first match.
    pub async fn add_fault(&self, fault: &Fault) {
        let body = match serde_json::to_string(fault) {
            Ok(body) => body,
            Err(error) => panic!("failed to serialize {fault:?}: {error}"),
        };
        self.control_or_panic("POST", "/_bucketwarden/faults", Some(&body))
            .await;
    }

    /// Removes every fault.
    /// Stores Access Analyzer findings (JSON finding summaries; `region` defaults to us-east-1).
    pub async fn add_access_analyzer_findings(&self, findings: &serde_json::Value) {
        self.control_or_panic(
            "POST",
            "/_bucketwarden/access-analyzer/findings",
            Some(&findings.to_string()),
        )
        .await;
    }

    pub async fn reset_faults(&self) {
        self.control_or_panic("POST", "/_bucketwarden/faults/reset", None)
            .await;
    }

    /// Creates a bucket in `region`, with the LocationConstraint that regions
    /// other than us-east-1 need.
    pub async fn create_bucket(&self, name: &str, region: &str) {
        let mut request = self.s3_client(region).create_bucket().bucket(name);
        if region != "us-east-1" {
            let configuration = CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build();
            request = request.create_bucket_configuration(configuration);
        }
        if let Err(error) = request.send().await {
            panic!("failed to create bucket {name} in {region}: {error:?}");
        }
    }

    /// Sets the bucket policy of `bucket` to the JSON document `policy`.
    pub async fn put_policy(&self, bucket: &str, policy: &str) {
        let result = self
            .s3_client("us-east-1")
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await;
        if let Err(error) = result {
            panic!("failed to put the policy of bucket {bucket}: {error:?}");
        }
    }

    async fn wait_until_ready(&mut self) -> Result<(), EmulatorError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let status = self
                .child
                .try_wait()
                .map_err(io_error("failed to check the emulator process"))?;
            if let Some(status) = status {
                return Err(EmulatorError::Exited {
                    status,
                    log: self.log.clone(),
                    log_tail: read_log_tail(&self.log),
                });
            }
            if self
                .control("GET", "/_bucketwarden/requests", None)
                .await
                .is_ok()
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(EmulatorError::NotReady {
                    endpoint: self.endpoint_url(),
                    log: self.log.clone(),
                    log_tail: read_log_tail(&self.log),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn control_or_panic(&self, method: &str, path: &str, body: Option<&str>) -> String {
        match self.control(method, path, body).await {
            Ok(body) => body,
            Err(error) => panic!("{error}. Emulator log: {}", self.log.display()),
        }
    }

    /// Sends one HTTP/1.1 request to a control endpoint and returns the body of a 2xx response.
    async fn control(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Result<String, EmulatorError> {
        let failure = |detail: String| EmulatorError::Control {
            request: format!("{method} {path}"),
            detail,
        };
        let exchange = async {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
            let body = body.unwrap_or("");
            let head = format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                self.port,
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await?;
            Ok::<_, io::Error>(response)
        };
        let response = match tokio::time::timeout(CONTROL_TIMEOUT, exchange).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => return Err(failure(error.to_string())),
            Err(_) => {
                return Err(failure(format!(
                    "timed out after {} s",
                    CONTROL_TIMEOUT.as_secs()
                )));
            }
        };

        let text = String::from_utf8_lossy(&response);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            return Err(failure(format!("malformed HTTP response: {text}")));
        };
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok());
        match status {
            Some(status) if (200..300).contains(&status) => Ok(body.to_owned()),
            Some(status) => Err(failure(format!("HTTP {status}: {body}"))),
            None => Err(failure(format!("malformed HTTP status line: {head}"))),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Kill fails only when the process has already exited, and then wait reaps it.
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Keep the log of a failed test for inspection.
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log);
        }
    }
}

/// An S3 Control endpoint resolver that ignores the endpoint rules and returns one URL.
#[derive(Debug)]
struct FixedEndpoint(String);

impl ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(&'a self, _params: &'a Params) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// Returns the workspace root, the parent of this crate's directory `<root>/tests`.
fn repository_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// Returns a loopback port that was free a moment ago. Another process can
/// take it before the emulator binds it, and `try_start` then tries a new port.
fn free_loopback_port() -> Result<u16, EmulatorError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(io_error("failed to find a free loopback port"))?;
    let address = listener
        .local_addr()
        .map_err(io_error("failed to read the probe socket's address"))?;
    Ok(address.port())
}

fn spawn_emulator(
    python: &Path,
    script: &Path,
    port: u16,
    log: &Path,
) -> Result<Child, EmulatorError> {
    let stdout =
        File::create(log).map_err(io_error(format!("failed to create {}", log.display())))?;
    let stderr = stdout
        .try_clone()
        .map_err(io_error(format!("failed to open {} twice", log.display())))?;
    Command::new(python)
        .arg(script)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--account-id", ACCOUNT_ID, "--exit-with-parent"])
        .env("AWS_ACCESS_KEY_ID", TEST_CREDENTIAL)
        .env("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIAL)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(io_error(format!("failed to start {}", python.display())))
}

fn read_log_tail(log: &Path) -> String {
    match fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(LOG_TAIL_LINES);
            lines.get(start..).unwrap_or_default().join("\n")
        }
        Err(error) => format!("(failed to read the log: {error})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, action: Option<&str>) -> RecordedRequest {
        RecordedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: String::new(),
            host: None,
            target: None,
            service: None,
            region: None,
            action: action.map(str::to_owned),
            bucket: None,
            status: Some(200),
        }
    }

    #[test]
    fn s3_reads_are_not_writes() {
        for method in ["GET", "HEAD"] {
            assert!(!request(method, "/b1", None).is_write(), "{method}");
        }
    }

    #[test]
    fn s3_changes_are_writes() {
        for method in ["PUT", "POST", "DELETE"] {
            assert!(request(method, "/b1", None).is_write(), "{method}");
        }
    }

    #[test]
    fn control_endpoints_are_not_writes() {
        assert!(!request("POST", "/_bucketwarden/faults", None).is_write());
        assert!(!request("POST", "/moto-api/reset", None).is_write());
    }

    #[test]
    fn missing_venv_error_names_make_venv() {
        let error = EmulatorError::MissingVenv {
            python: PathBuf::from("/repo/.venv/bin/python"),
        };
        let message = error.to_string();
        assert!(message.contains("/repo/.venv/bin/python"), "{message}");
        assert!(message.contains("make venv"), "{message}");
    }

    #[test]
    fn actions_classify_by_verb() {
        let cases = [
            ("DescribeKey", false),
            ("GetCallerIdentity", false),
            ("DescribeTrails", false),
            ("GetEventSelectors", false),
            ("Publish", false),
            ("SendMessage", false),
            ("CreateTopic", true),
            ("PutEventSelectors", true),
            ("UpdateDetector", true),
            ("DeleteQueue", true),
            ("StartLogging", true),
            ("StopLogging", true),
            ("AttachRolePolicy", true),
            ("TagResource", true),
        ];
        for (action, expected) in cases {
            // Query and JSON protocols send every operation as POST.
            assert_eq!(
                request("POST", "/", Some(action)).is_write(),
                expected,
                "{action}"
            );
        }
    }
}
