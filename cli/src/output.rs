//! Writing reports in the chosen format.

use std::io::{self, BufWriter, Write};

use bucketwarden_core::BucketReport;
use bucketwarden_core::render::{self, AccountSummary};
use bucketwarden_core::report::{Totals, UnreadBucket};
use serde::Serialize;

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

/// Writes to standard output. A reader that closed the pipe early (`| head`) is not an error.
pub fn write_text(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    ignore_broken_pipe(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

fn ignore_broken_pipe(result: io::Result<()>) -> Result<(), CliError> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes an account report bucket by bucket, so that memory does not grow
/// with the number of buckets.
///
/// The output has the same form as the whole report rendered at once: for
/// JSON, the pretty-printed [`bucketwarden_core::AccountReport`]; for text and Markdown, the bucket
/// reports followed by the summary.
#[derive(Debug)]
pub struct AccountWriter<W: Write> {
    out: W,
    format: Format,
    audited: usize,
    totals: Totals,
    unread: Vec<UnreadBucket>,
    /// Set when the reader closed the pipe: the audit goes on, nothing more is written.
    closed: bool,
}

impl AccountWriter<BufWriter<io::Stdout>> {
    pub fn stdout(format: Format, account_id: Option<&str>) -> Result<Self, CliError> {
        Self::new(BufWriter::new(io::stdout()), format, account_id)
    }
}

impl<W: Write> AccountWriter<W> {
    pub fn new(out: W, format: Format, account_id: Option<&str>) -> Result<Self, CliError> {
        let mut writer = Self {
            out,
            format,
            audited: 0,
            totals: Totals::default(),
            unread: Vec::new(),
            closed: false,
        };
        let opening = match format {
            Format::Json => {
                let mut opening = String::from("{\n");
                if let Some(account_id) = account_id {
                    opening.push_str("  \"account_id\": ");
                    opening.push_str(&serde_json::to_string(account_id)?);
                    opening.push_str(",\n");
                }
                opening.push_str("  \"buckets\": [");
                opening
            }
            Format::Text => String::new(),
            Format::Markdown => render::ACCOUNT_MARKDOWN_HEADING.to_string(),
        };
        writer.write(&opening)?;
        Ok(writer)
    }

    /// Writes one bucket's report and adds it to the totals.
    pub fn bucket(&mut self, report: &BucketReport) -> Result<(), CliError> {
        let text = match self.format {
            Format::Json => {
                let separator = if self.audited == 0 { "\n" } else { ",\n" };
                format!("{separator}{}", nested_json(report, 2)?)
            }
            Format::Text => render::bucket_text(report) + "\n",
            Format::Markdown => render::bucket_markdown(report) + "\n",
        };
        self.audited += 1;
        self.totals.merge(&report.totals);
        self.write(&text)
    }

    /// Records a bucket that could not be audited; it is listed in the summary.
    pub fn unread(&mut self, unread: UnreadBucket) {
        self.unread.push(unread);
    }

    /// Writes the summary and flushes. Returns the number of buckets not audited.
    pub fn finish(mut self, notes: &[String]) -> Result<usize, CliError> {
        self.unread.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        let summary = AccountSummary {
            audited: self.audited,
            unread: &self.unread,
            notes,
            totals: &self.totals,
        };
        let closing = match self.format {
            Format::Json => {
                let mut closing = String::new();
                closing.push_str(if self.audited == 0 {
                    "],\n"
                } else {
                    "\n  ],\n"
                });
                closing.push_str("  \"unread\": ");
                closing.push_str(&nested_json(&self.unread, 1)?);
                if !notes.is_empty() {
                    closing.push_str(",\n  \"notes\": ");
                    closing.push_str(&nested_json(&notes, 1)?);
                }
                closing.push_str(",\n  \"totals\": ");
                closing.push_str(&nested_json(&self.totals, 1)?);
                closing.push_str("\n}\n");
                closing
            }
            Format::Text => render::account_text_summary(&summary),
            Format::Markdown => render::account_markdown_summary(&summary),
        };
        self.write(&closing)?;
        if !self.closed {
            ignore_broken_pipe(self.out.flush())?;
        }
        Ok(self.unread.len())
    }

    fn write(&mut self, text: &str) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        match self.out.write_all(text.as_bytes()) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => Ok(other?),
        }
    }
}

/// Pretty-prints `value` as it appears `depth` levels deep in a pretty-printed
/// document: every line after the first indented by two spaces per level, and
/// the first line indented too when the value is an array element (depth 2).
fn nested_json<T: Serialize + ?Sized>(value: &T, depth: usize) -> Result<String, CliError> {
    let text = serde_json::to_string_pretty(value)?;
    let indent = "  ".repeat(depth);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (index, line) in text.lines().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        // JSON strings escape newlines, so every line break here is the printer's.
        if index > 0 || depth > 1 {
            out.push_str(&indent);
        }
        out.push_str(line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use bucketwarden_core::{AccountReport, Config, evaluate};

    use super::*;

    fn reports() -> Vec<BucketReport> {
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus");
        let mut paths: Vec<_> = std::fs::read_dir(corpus)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.to_string_lossy().ends_with(".snapshot.json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .take(5)
            .map(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                let snapshot = serde_json::from_str(&text).unwrap();
                evaluate(&snapshot, &Config::default())
            })
            .collect()
    }

    fn streamed(report: &AccountReport, format: Format) -> String {
        let mut out = Vec::new();
        let mut writer =
            AccountWriter::new(&mut out, format, report.account_id.as_deref()).unwrap();
        for bucket in &report.buckets {
            writer.bucket(bucket).unwrap();
        }
        for unread in &report.unread {
            writer.unread(unread.clone());
        }
        writer.finish(&report.notes).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn accounts() -> Vec<AccountReport> {
        let mut full = AccountReport {
            account_id: Some("111122223333".to_string()),
            ..AccountReport::default()
        };
        for bucket in reports() {
            full.push(bucket);
        }
        full.unread.push(UnreadBucket {
            bucket: "gone-bucket".to_string(),
            reason: "NoSuchBucket: \"quoted\"\nsecond line".to_string(),
        });
        full.notes
            .push("ListBuckets refused in one region".to_string());
        let mut single = AccountReport::default();
        single.push(reports().remove(0));
        vec![AccountReport::default(), single, full]
    }

    #[test]
    fn streamed_json_equals_the_whole_report() {
        for account in accounts() {
            let whole = serde_json::to_string_pretty(&account).unwrap() + "\n";
            assert_eq!(streamed(&account, Format::Json), whole);
        }
    }

    #[test]
    fn streamed_text_and_markdown_equal_the_whole_report() {
        for account in accounts() {
            assert_eq!(
                streamed(&account, Format::Text),
                render::account_text(&account)
            );
            assert_eq!(
                streamed(&account, Format::Markdown),
                render::account_markdown(&account)
            );
        }
    }
}
