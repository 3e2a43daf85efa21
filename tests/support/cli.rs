//! Running the `bucketwarden` binary against the emulator.

use tokio::process::Command;

use crate::Emulator;
use crate::matrix::REGION;

/// What a run of the command printed, and its exit code (-1 when killed by a signal).
#[derive(Clone, Debug)]
pub struct CliOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `binary` (the test's `env!("CARGO_BIN_EXE_bucketwarden")`) with `args`, the
/// emulator's endpoint and region, test credentials, and no profile or instance
/// metadata lookups.
pub async fn run(binary: &str, emulator: &Emulator, args: &[&str]) -> CliOutput {
    let output = Command::new(binary)
        .args(args)
        .args([
            "--endpoint-url",
            &emulator.endpoint_url(),
            "--region",
            REGION,
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .await
        .expect("run bucketwarden");
    CliOutput {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).to_string(),
        stderr: String::from_utf8_lossy(&output.stderr).to_string(),
    }
}
