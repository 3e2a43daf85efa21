//! The zipped size of each function's deployment package: a zip file with the
//! executable named `bootstrap`, as the `provided.al2023` runtime expects.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark harness stops on the first failure"
)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context as _, bail};

/// The Lambda functions of the workspace.
pub const FUNCTIONS: [&str; 3] = ["bucket-event", "scheduled-audit", "slack-notifier"];

/// `zip` from Info-ZIP.
const ZIP: &str = "zip";

/// The size of one function binary and its zip file.
#[derive(Debug)]
pub struct PackageSize {
    pub function: &'static str,
    /// The instruction set read from the ELF header: `arm64`, `x86_64` or `unknown`.
    pub architecture: &'static str,
    /// `make build` (cargo-lambda) or `cargo build --release`.
    pub built_by: &'static str,
    pub binary: PathBuf,
    /// The binary's modification time (UTC).
    pub modified: String,
    pub modified_at: Option<SystemTime>,
    pub binary_bytes: u64,
    pub zipped_bytes: u64,
}

/// Reads the machine field of an ELF header (bytes 18 and 19, little-endian).
fn architecture(path: &Path) -> anyhow::Result<&'static str> {
    let mut header = [0u8; 20];
    std::fs::File::open(path)?.read_exact(&mut header)?;
    if header[..4] != *b"\x7fELF" {
        bail!("{} is not an ELF file", path.display());
    }
    Ok(match u16::from_le_bytes([header[18], header[19]]) {
        0xB7 => "arm64",
        0x3E => "x86_64",
        _ => "unknown",
    })
}

fn modified(path: &Path) -> String {
    Command::new("date")
        .arg("-u")
        .arg("-r")
        .arg(path)
        .arg("+%Y-%m-%dT%H:%M:%SZ")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .unwrap_or_default()
}

/// Copies `binary` to `bootstrap` in a directory of `scratch`, zips it with the
/// default compression level, and returns the zip file's size.
fn zipped_size(binary: &Path, scratch: &Path, label: &str) -> anyhow::Result<u64> {
    let directory = scratch.join(format!("zip-{label}"));
    std::fs::create_dir_all(&directory)?;
    std::fs::copy(binary, directory.join("bootstrap"))?;
    let zip_path = directory.join("bootstrap.zip");
    let _ = std::fs::remove_file(&zip_path);
    let status = Command::new(ZIP)
        .current_dir(&directory)
        .args(["-q", "-X", "bootstrap.zip", "bootstrap"])
        .status()
        .with_context(|| format!("failed to start `{ZIP}`; install Info-ZIP zip"))?;
    anyhow::ensure!(status.success(), "`{ZIP}` failed with {status}");
    Ok(std::fs::metadata(&zip_path)?.len())
}

fn measure_one(
    function: &'static str,
    binary: &Path,
    built_by: &'static str,
    scratch: &Path,
) -> anyhow::Result<PackageSize> {
    let architecture = architecture(binary)?;
    Ok(PackageSize {
        function,
        architecture,
        built_by,
        binary: binary.to_path_buf(),
        modified: modified(binary),
        modified_at: std::fs::metadata(binary)
            .and_then(|metadata| metadata.modified())
            .ok(),
        binary_bytes: std::fs::metadata(binary)?.len(),
        zipped_bytes: zipped_size(binary, scratch, &format!("{function}-{architecture}"))?,
    })
}

/// Measures the `make build` bootstrap (target/lambda/FUNCTION/bootstrap) of each
/// function where one exists, and the release binary in `release` of each
/// function. Returns the sizes and the functions with neither.
pub fn measure(
    release: &Path,
    lambda: &Path,
    scratch: &Path,
) -> anyhow::Result<(Vec<PackageSize>, Vec<&'static str>)> {
    let mut sizes = Vec::new();
    let mut missing = Vec::new();
    for function in FUNCTIONS {
        let bootstrap = lambda.join(function).join("bootstrap");
        let binary = release.join(function);
        let before = sizes.len();
        if bootstrap.is_file() {
            sizes.push(measure_one(function, &bootstrap, "make build", scratch)?);
        }
        if binary.is_file() {
            sizes.push(measure_one(
                function,
                &binary,
                "cargo build --release",
                scratch,
            )?);
        }
        if sizes.len() == before {
            missing.push(function);
        }
    }
    Ok((sizes, missing))
}
