//! One Lambda function process: started from its release binary with a Runtime
//! API of its own and the canned endpoint as its AWS endpoint, invoked, measured
//! through /proc, and killed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use serde_json::Value;

use crate::fixtures::{self, ACCOUNT_ID, CLIENT_REGION};
use crate::runtime_api::{Invocation, Notice, RuntimeApi};

/// How often a wait checks that the function process is still running.
const POLL: Duration = Duration::from_millis(20);

/// A Lambda function of the workspace: its binary and the settings that the SAM
/// template (infra/template.yaml) gives it.
#[derive(Clone, Debug)]
pub struct FunctionSpec {
    /// The package and binary name.
    pub name: &'static str,
    /// `MemorySize` in the template, in MB.
    pub memory_mb: u32,
    /// `Timeout` in the template: the deadline of each invocation.
    pub timeout: Duration,
    /// The function's own environment variables.
    pub environment: Vec<(&'static str, String)>,
}

impl FunctionSpec {
    pub fn bucket_event() -> Self {
        Self {
            name: "bucket-event",
            memory_mb: 256,
            timeout: Duration::from_secs(120),
            environment: vec![("BUCKETWARDEN_TOPIC_ARN", fixtures::TOPIC_ARN.to_owned())],
        }
    }

    /// The scheduled-audit function, reading `concurrency` buckets at a time.
    pub fn scheduled_audit(concurrency: u16) -> Self {
        Self {
            name: "scheduled-audit",
            memory_mb: 512,
            timeout: Duration::from_secs(900),
            environment: vec![
                ("BUCKETWARDEN_TOPIC_ARN", fixtures::TOPIC_ARN.to_owned()),
                (
                    "BUCKETWARDEN_REPORT_BUCKET",
                    fixtures::REPORT_BUCKET.to_owned(),
                ),
                (
                    "BUCKETWARDEN_CONTINUATION_QUEUE_URL",
                    fixtures::CONTINUATION_QUEUE_URL.to_owned(),
                ),
                ("BUCKETWARDEN_CONCURRENCY", concurrency.to_string()),
            ],
        }
    }

    pub fn function_name(&self) -> String {
        format!("bucketwarden-{}", self.name)
    }

    pub fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{CLIENT_REGION}:{ACCOUNT_ID}:function:{}",
            self.function_name()
        )
    }
}

/// The result of one invocation, with the Runtime API's arrival times.
#[derive(Debug)]
pub struct InvocationOutcome {
    /// When the event left in the response to `next`.
    pub delivered_at: Instant,
    /// When the function's response or error arrived.
    pub finished_at: Instant,
    /// The response body, or the error type and body.
    pub result: Result<Value, String>,
}

impl InvocationOutcome {
    pub fn duration(&self) -> Duration {
        self.finished_at
            .saturating_duration_since(self.delivered_at)
    }
}

/// Counter for request ids, unique within the harness process.
static REQUEST_IDS: AtomicU64 = AtomicU64::new(0);

/// A started function process.
#[derive(Debug)]
pub struct RunningFunction {
    spec: FunctionSpec,
    child: Child,
    api: RuntimeApi,
    spawned_at: Instant,
    log_path: PathBuf,
}

/// Returns the user plus system CPU time of the process, from /proc/PID/stat.
fn cpu_seconds(pid: u32, clock_ticks: f64) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name in brackets may contain spaces, so fields are counted
    // from the closing bracket: utime and stime are fields 14 and 15 of the line.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let user: f64 = fields.get(11).context("no utime in /proc stat")?.parse()?;
    let system: f64 = fields.get(12).context("no stime in /proc stat")?.parse()?;
    Ok((user + system) / clock_ticks)
}

/// Returns the clock ticks per second that /proc/PID/stat counts in.
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

impl RunningFunction {
    /// Starts a Runtime API and the function's binary from `binaries`, with
    /// dummy credentials and `endpoint` as the endpoint of every AWS call. Its
    /// standard output and error go to a file in `scratch`.
    pub async fn start(
        spec: &FunctionSpec,
        binaries: &Path,
        endpoint: &str,
        scratch: &Path,
        run_label: &str,
    ) -> anyhow::Result<Self> {
        let binary = binaries.join(spec.name);
        anyhow::ensure!(
            binary.is_file(),
            "{} not found; build it with `cargo build --release -p {}`",
            binary.display(),
            spec.name
        );
        let api = RuntimeApi::start().await?;
        let log_path = scratch.join(format!("{}-{run_label}.log", spec.name));
        let log = File::create(&log_path)?;

        let mut command = Command::new(&binary);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", spec.function_name())
            .env(
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                spec.memory_mb.to_string(),
            )
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", spec.function_name()),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", CLIENT_REGION)
            .env("AWS_DEFAULT_REGION", CLIENT_REGION)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_SESSION_TOKEN", "testing")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .envs(spec.environment.iter().map(|(name, value)| (*name, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);

        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("failed to start {}", binary.display()))?;
        Ok(Self {
            spec: spec.clone(),
            child,
            api,
            spawned_at,
            log_path,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails with the log's last lines when the process has exited.
    fn check_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "{} exited with {status}; the last lines of {}:\n{}",
                self.spec.name,
                self.log_path.display(),
                tail.join("\n")
            );
        }
        Ok(())
    }

    /// Returns the next Runtime API notice, failing when the process exits or
    /// `limit` passes first.
    async fn wait_notice(&mut self, limit: Duration, waiting_for: &str) -> anyhow::Result<Notice> {
        let started = Instant::now();
        loop {
            if let Some(notice) = self.api.next_notice(POLL).await {
                if let Notice::InitError { error_type, body } = &notice {
                    bail!(
                        "{} reported an initialization error {error_type}: {}",
                        self.spec.name,
                        String::from_utf8_lossy(body)
                    );
                }
                return Ok(notice);
            }
            self.check_running()?;
            if started.elapsed() > limit {
                bail!(
                    "{} sent no {waiting_for} within {} s; see {}",
                    self.spec.name,
                    limit.as_secs(),
                    self.log_path.display()
                );
            }
        }
    }

    /// Waits for the first `GET .../invocation/next` and returns the time from
    /// the spawn to its arrival.
    pub async fn cold_start(&mut self, limit: Duration) -> anyhow::Result<Duration> {
        loop {
            if let Notice::NextRequested { at } =
                self.wait_notice(limit, "request for an event").await?
            {
                return Ok(at.saturating_duration_since(self.spawned_at));
            }
        }
    }

    /// Delivers `event` with the function's timeout as its deadline and waits
    /// for the response, at most `limit`.
    pub async fn invoke(
        &mut self,
        event: &Value,
        limit: Duration,
    ) -> anyhow::Result<InvocationOutcome> {
        let number = REQUEST_IDS.fetch_add(1, Ordering::SeqCst) + 1;
        let request_id = format!("00000000-0000-4000-9000-{number:012}");
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis())
            .unwrap_or_default();
        let deadline_ms = u64::try_from(now_ms + self.spec.timeout.as_millis()).unwrap_or(u64::MAX);
        self.api.queue(Invocation {
            request_id: request_id.clone(),
            deadline_ms,
            function_arn: self.spec.function_arn(),
            body: Bytes::from(serde_json::to_vec(event)?),
        });

        let started = Instant::now();
        let mut delivered_at = None;
        loop {
            let remaining = limit.saturating_sub(started.elapsed());
            match self.wait_notice(remaining, "response").await? {
                Notice::Delivered { request_id: id, at } if id == request_id => {
                    delivered_at = Some(at);
                }
                Notice::Response {
                    request_id: id,
                    body,
                    at,
                } if id == request_id => {
                    let value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                        Value::String(String::from_utf8_lossy(&body).into_owned())
                    });
                    return Ok(InvocationOutcome {
                        delivered_at: delivered_at.context("a response came before the event")?,
                        finished_at: at,
                        result: Ok(value),
                    });
                }
                Notice::Error {
                    request_id: id,
                    error_type,
                    body,
                    at,
                } if id == request_id => {
                    return Ok(InvocationOutcome {
                        delivered_at: delivered_at.context("an error came before the event")?,
                        finished_at: at,
                        result: Err(format!("{error_type}: {}", String::from_utf8_lossy(&body))),
                    });
                }
                _ => {}
            }
        }
    }

    /// Returns the peak resident set size so far (VmHWM), in MB.
    pub fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kb: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.split_whitespace().next())
            .context("no VmHWM in /proc status")?
            .parse()?;
        Ok(kb / 1024.0)
    }

    /// Returns the process's CPU time so far, user plus system, in seconds.
    pub fn cpu_seconds(&self, clock_ticks: f64) -> anyhow::Result<f64> {
        cpu_seconds(self.pid(), clock_ticks)
    }

    /// Kills the process (SIGKILL) and stops its Runtime API.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.api.stop();
    }
}
