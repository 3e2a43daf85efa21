//! Renderings of reports: a text table for terminals, Markdown, and the SNS email
//! subject and body. JSON is the canonical form (serde of the report types).

use std::fmt::Write as _;

use crate::controls;
use crate::report::{
    AccountReport, BucketReport, ControlResult, Outcome, Severity, Totals, UnreadBucket,
};

/// SNS rejects subjects of 100 characters or more.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// Replaces control characters (newlines, escapes) so that text from a policy Sid,
/// a tag or a bucket name cannot break a table, a log line or an email.
pub fn clean(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(cleaned, "\\u{{{:x}}}", c as u32);
        } else {
            cleaned.push(c);
        }
    }
    cleaned
}

/// Shortens `text` to at most `max` characters, marking the cut with `...`.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{kept}...")
}

fn marker(result: &ControlResult) -> String {
    match &result.exempt {
        Some(_) => format!("{} (exempt)", result.outcome),
        None => result.outcome.to_string(),
    }
}

/// Renders a table for terminals: one row per control, then the totals.
pub fn bucket_text(report: &BucketReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}, account {})",
        clean(&report.bucket),
        clean(&report.region),
        clean(&report.account_id)
    );
    let id_width = report
        .results
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(10);
    let outcome_width = report
        .results
        .iter()
        .map(|r| marker(r).len())
        .max()
        .unwrap_or(7);
    for result in &report.results {
        let _ = writeln!(
            out,
            "  {:<outcome_width$}  {:<8}  {:<id_width$}  {}",
            marker(result),
            result.severity.as_str(),
            result.id,
            clean(&result.reason)
        );
    }
    let _ = writeln!(out, "  {}", totals_line(report));
    out
}

fn totals_line(report: &BucketReport) -> String {
    let counts: Vec<String> = Outcome::ALL
        .iter()
        .map(|outcome| (outcome, report.totals.count(*outcome)))
        .filter(|(_, count)| *count > 0)
        .map(|(outcome, count)| format!("{count} {outcome}"))
        .collect();
    format!(
        "{}; {}",
        count_of(report.totals.findings(), "finding"),
        counts.join(", ")
    )
}

pub fn account_text(report: &AccountReport) -> String {
    let mut out = String::new();
    for bucket in &report.buckets {
        out.push_str(&bucket_text(bucket));
        out.push('\n');
    }
    out.push_str(&account_text_summary(&report.summary()));
    out
}

/// The figures of an account audit that follow its bucket reports. A report
/// written bucket by bucket keeps only these.
#[derive(Clone, Copy, Debug)]
pub struct AccountSummary<'a> {
    /// Buckets audited, that is bucket reports written.
    pub audited: usize,
    pub unread: &'a [UnreadBucket],
    pub notes: &'a [String],
    pub totals: &'a Totals,
}

impl AccountReport {
    pub fn summary(&self) -> AccountSummary<'_> {
        AccountSummary {
            audited: self.buckets.len(),
            unread: &self.unread,
            notes: &self.notes,
            totals: &self.totals,
        }
    }
}

/// Renders what follows the bucket reports in the text form: the buckets not
/// audited, the notes and the one-line totals.
pub fn account_text_summary(summary: &AccountSummary<'_>) -> String {
    let mut out = String::new();
    for unread in summary.unread {
        let _ = writeln!(
            out,
            "{}: not audited: {}",
            clean(&unread.bucket),
            clean(&unread.reason)
        );
    }
    for note in summary.notes {
        let _ = writeln!(out, "note: {}", clean(note));
    }
    let _ = writeln!(
        out,
        "{} buckets audited, {} not audited; {} findings ({})",
        summary.audited,
        summary.unread.len(),
        summary.totals.findings(),
        severity_counts(summary.totals)
    );
    out
}

pub(crate) fn severity_counts(totals: &Totals) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|severity| {
            (
                severity,
                totals
                    .findings_by_severity
                    .get(severity)
                    .copied()
                    .unwrap_or(0),
            )
        })
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

/// Escapes text for a Markdown table cell: characters that would end the cell,
/// open a code span, link, image or emphasis, or start raw HTML.
fn markdown_cell(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '|' | '`' | '*' | '_' | '[' | ']' | '!' | '\\' | '#' | '~' => {
                escaped.push('\\');
                escaped.push(c);
            }
            _ => escaped.push(c),
        }
    }
    escaped
}

pub fn bucket_markdown(report: &BucketReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### `{}` ({}, account {})\n",
        markdown_cell(&report.bucket),
        markdown_cell(&report.region),
        markdown_cell(&report.account_id)
    );
    out.push_str("| outcome | severity | control | reason |\n|---|---|---|---|\n");
    for result in &report.results {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} |",
            marker(result),
            result.severity,
            result.id,
            markdown_cell(&result.reason)
        );
    }
    let _ = writeln!(out, "\n{}", totals_line(report));
    out
}

pub fn account_markdown(report: &AccountReport) -> String {
    let mut out = String::from(ACCOUNT_MARKDOWN_HEADING);
    for bucket in &report.buckets {
        out.push_str(&bucket_markdown(bucket));
        out.push('\n');
    }
    out.push_str(&account_markdown_summary(&report.summary()));
    out
}

/// The first line of the Markdown form of an account audit.
pub const ACCOUNT_MARKDOWN_HEADING: &str = "## Bucket Warden audit\n\n";

/// Renders what follows the bucket reports in the Markdown form: the buckets
/// not audited, the notes and the totals. The totals come last so that the
/// report can be written bucket by bucket.
pub fn account_markdown_summary(summary: &AccountSummary<'_>) -> String {
    let mut out = String::new();
    if !summary.unread.is_empty() {
        out.push_str("### Not audited\n\n");
        for unread in summary.unread {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                markdown_cell(&unread.bucket),
                markdown_cell(&unread.reason)
            );
        }
        out.push('\n');
    }
    if !summary.notes.is_empty() {
        out.push_str("### Notes\n\n");
        for note in summary.notes {
            let _ = writeln!(out, "- {}", markdown_cell(note));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "### Totals\n\n{} buckets audited, {} not audited; {} findings ({}).",
        summary.audited,
        summary.unread.len(),
        summary.totals.findings(),
        severity_counts(summary.totals)
    );
    out
}

/// Builds the SNS subject: the bucket and its worst outcome, under SNS's 100-character limit.
pub fn email_subject(report: &BucketReport) -> String {
    let verdict = match report.worst() {
        Some(worst) => format!(
            "{} {} ({})",
            worst.outcome,
            worst.severity,
            count_of(report.totals.findings(), "finding")
        ),
        None => "all controls pass".to_string(),
    };
    let prefix = "Bucket Warden: ";
    let room = MAX_SUBJECT_CHARS.saturating_sub(prefix.len() + verdict.len() + 1);
    let bucket = truncate(&clean(&report.bucket), room.max(8));
    truncate(&format!("{prefix}{bucket} {verdict}"), MAX_SUBJECT_CHARS)
}

/// Builds a plain-text email body a person can read in ten seconds: what is wrong, where,
/// how bad, and what to do next.
pub fn email_body(report: &BucketReport) -> String {
    let mut out = String::new();
    let findings = report.findings();
    let _ = writeln!(
        out,
        "Bucket Warden audited the S3 bucket {} in {} (account {}).\n",
        clean(&report.bucket),
        clean(&report.region),
        clean(&report.account_id)
    );
    if findings.is_empty() {
        out.push_str("Every control passes. Nothing to do.\n");
    } else {
        let _ = writeln!(
            out,
            "{}, most severe first:\n",
            count_of(findings.len(), "finding")
        );
        for finding in &findings {
            let _ = writeln!(
                out,
                "- {} {} {}\n  {}",
                finding.severity.as_str().to_uppercase(),
                finding.outcome,
                finding.id,
                clean(&finding.reason)
            );
            if let Some(control) = controls::control(&finding.id) {
                let what_to_do = if finding.outcome == Outcome::Error {
                    "Give the auditor's role permission for the failed read, then audit again."
                } else {
                    control.remediation
                };
                let _ = writeln!(out, "  What to do: {what_to_do}");
            }
        }
    }
    if !report.applied.is_empty() {
        out.push_str("\nWhat Bucket Warden changed:\n\n");
        for applied in &report.applied {
            let status = match (applied.written, applied.verified) {
                (true, true) => "done and verified",
                (true, false) => "written but NOT verified",
                (false, true) => "no change needed",
                (false, false) => "not written",
            };
            let _ = writeln!(
                out,
                "- {} on {}: {status}{}",
                applied.step.call(),
                clean(&applied.step.bucket),
                applied
                    .note
                    .as_deref()
                    .map(|note| format!(" ({})", clean(note)))
                    .unwrap_or_default()
            );
            for backup in &applied.backups {
                let _ = writeln!(out, "  previous value saved to {}", clean(backup));
            }
        }
    }
    let passing = report.totals.count(Outcome::Pass);
    let exempt = report.totals.exempt;
    let _ = writeln!(
        out,
        "\n{passing} controls pass, {} do not apply, {exempt} findings are exempt.",
        report.totals.count(Outcome::NotApplicable)
    );
    out.push_str("The full JSON report is attached below.\n");
    out
}

/// `1 finding`, `2 findings`.
pub(crate) fn count_of(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
