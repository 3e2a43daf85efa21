//! Writing reports in the chosen format.

use std::io::Write;

use bucketwarden_core::render;
use bucketwarden_core::{AccountReport, BucketReport};

use crate::args::Format;
use crate::err::CliError;

pub fn write_bucket(report: &BucketReport, format: Format) -> Result<(), CliError> {
    let text = match format {
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Text => render::bucket_text(report),
        Format::Markdown => render::bucket_markdown(report),
    };
    write_text(&text)
}

pub fn write_account(report: &AccountReport, format: Format) -> Result<(), CliError> {
    let text = match format {
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Text => render::account_text(report),
        Format::Markdown => render::account_markdown(report),
    };
    write_text(&text)
}

/// Writes to standard output. A reader that closed the pipe early (`| head`) is not an error.
pub fn write_text(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
