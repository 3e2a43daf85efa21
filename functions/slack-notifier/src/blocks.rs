//! Slack Block Kit messages for bucket reports, account reports and messages that
//! are not reports.
//!
//! Every text from a report goes through [`clean`] (control characters) and, in
//! mrkdwn, through [`escape_mrkdwn`], so a bucket name or a policy Sid cannot
//! mention `@channel`, link elsewhere or break the layout. Limits follow Slack's
//! Block Kit reference: at most 50 blocks, 150 characters in a header and 3000 in
//! a section or context text.

use bucketwarden_core::render::{clean, email_subject, truncate};
use bucketwarden_core::{
    AccountReport, AppliedStep, BucketReport, ControlResult, Outcome, Severity,
};
use serde::Serialize;
use serde_json::{Value, json};

pub const MAX_BLOCKS: usize = 50;
pub const MAX_HEADER_CHARS: usize = 150;
pub const MAX_TEXT_CHARS: usize = 3000;
/// Findings listed in one message. One line counts the rest.
pub const MAX_FINDINGS: usize = 10;
/// Characters of a finding's reason kept, before escaping.
pub const MAX_REASON_CHARS: usize = 300;
/// Remediation steps listed in one message.
pub const MAX_APPLIED_STEPS: usize = 10;
/// Unaudited buckets listed in an account message.
pub const MAX_UNREAD: usize = 5;
/// Sections for the body of a message that is not a report.
const MAX_PLAIN_SECTIONS: usize = 10;
/// Characters kept of a name, id or note from a report, before escaping. Bucket
/// names have at most 63 and control ids far fewer, so this only stops abuse.
const MAX_NAME_CHARS: usize = 100;
/// Characters kept of one line of a plain message.
const MAX_PLAIN_LINE_CHARS: usize = 500;

/// The JSON body of an incoming-webhook request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlackMessage {
    /// The notification text, and what clients without Block Kit show.
    pub text: String,
    pub blocks: Vec<Value>,
}

/// Escapes `text` for Slack mrkdwn: control characters as [`clean`] writes
/// them, then `&`, `<` and `>` as the entities Slack requires.
pub fn escape_mrkdwn(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in clean(text).chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Cleans, truncates to `max` characters, then escapes. Truncating first keeps
/// an entity such as `&amp;` whole.
fn field(text: &str, max: usize) -> String {
    escape_mrkdwn(&truncate(&clean(text), max))
}

/// Builds the message for one bucket report.
pub fn bucket_message(subject: Option<&str>, report: &BucketReport) -> SlackMessage {
    let header = header_text(subject, || email_subject(report));
    let mut blocks = vec![header_block(&header)];

    blocks.push(json!({
        "type": "section",
        "fields": [
            mrkdwn(&format!("*Bucket*\n`{}`", field(&report.bucket, MAX_NAME_CHARS))),
            mrkdwn(&format!("*Region*\n{}", field(&report.region, MAX_NAME_CHARS))),
            mrkdwn(&format!("*Account*\n{}", field(&report.account_id, MAX_NAME_CHARS))),
            mrkdwn(&format!("*Findings*\n{}", severity_counts(report.totals.findings(), &report.totals.findings_by_severity))),
        ],
    }));

    let findings: Vec<String> = report
        .findings()
        .into_iter()
        .map(|finding| finding_line(finding, None))
        .collect();
    if findings.is_empty() {
        blocks.push(section("Every control passes."));
    } else {
        let more = format!(
            "_…and {}. Run `bucketwarden audit --bucket {}` for all of them._",
            count(findings.len().saturating_sub(MAX_FINDINGS), "more finding"),
            field(&report.bucket, MAX_NAME_CHARS)
        );
        push_findings(&mut blocks, findings, &more);
    }

    push_applied(&mut blocks, &report.applied);
    SlackMessage {
        text: escape_mrkdwn(&header),
        blocks,
    }
}

/// Builds the message for an account report: totals, then the most severe
/// findings across all buckets.
pub fn account_message(subject: Option<&str>, report: &AccountReport) -> SlackMessage {
    let header = header_text(subject, || "Bucket Warden: account audit".to_string());
    let mut blocks = vec![header_block(&header)];

    let mut summary = format!(
        "*{} audited*, {} not audited",
        count(report.buckets.len(), "bucket"),
        report.unread.len()
    );
    if let Some(account_id) = &report.account_id {
        summary.push_str(&format!(
            " in account {}",
            field(account_id, MAX_NAME_CHARS)
        ));
    }
    summary.push_str(&format!("\n*Outcomes:* {}", outcome_counts(report)));
    summary.push_str(&format!(
        "\n*Findings:* {}",
        severity_counts(
            report.totals.findings(),
            &report.totals.findings_by_severity
        )
    ));
    if report.totals.exempt > 0 {
        summary.push_str(&format!("\n*Exempt findings:* {}", report.totals.exempt));
    }
    blocks.push(section(&summary));

    // Most severe first across buckets; the sort is stable, so buckets keep
    // their report order within one severity and outcome.
    let mut findings: Vec<(&str, &ControlResult)> = report
        .buckets
        .iter()
        .flat_map(|bucket| {
            bucket
                .findings()
                .into_iter()
                .map(move |finding| (bucket.bucket.as_str(), finding))
        })
        .collect();
    findings.sort_by(|(_, a), (_, b)| {
        b.severity
            .cmp(&a.severity)
            .then(outcome_rank(b.outcome).cmp(&outcome_rank(a.outcome)))
    });
    let lines: Vec<String> = findings
        .into_iter()
        .map(|(bucket, finding)| finding_line(finding, Some(bucket)))
        .collect();
    if lines.is_empty() {
        blocks.push(section("No findings."));
    } else {
        let more = format!(
            "_…and {}. Run `bucketwarden audit --all` for all of them._",
            count(lines.len().saturating_sub(MAX_FINDINGS), "more finding")
        );
        push_findings(&mut blocks, lines, &more);
    }

    push_unread(&mut blocks, report);

    let applied: Vec<AppliedStep> = report
        .buckets
        .iter()
        .flat_map(|bucket| bucket.applied.iter().cloned())
        .collect();
    push_applied(&mut blocks, &applied);
    SlackMessage {
        text: escape_mrkdwn(&header),
        blocks,
    }
}

/// Builds a message for SNS text that is not a Bucket Warden report: the subject
/// as header and the text (without any JSON part) as plain text.
pub fn plain_message(subject: Option<&str>, body: &str) -> SlackMessage {
    let header = header_text(subject, || "Bucket Warden notification".to_string());
    let mut blocks = vec![header_block(&header)];

    let lines: Vec<String> = body
        .trim()
        .lines()
        .map(|line| truncate(&clean(line), MAX_PLAIN_LINE_CHARS))
        .collect();
    let chunks = pack_lines(&lines, MAX_TEXT_CHARS);
    let shown: usize = chunks
        .iter()
        .take(MAX_PLAIN_SECTIONS)
        .map(|chunk| chunk.lines)
        .sum();
    for chunk in chunks.iter().take(MAX_PLAIN_SECTIONS) {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "plain_text", "text": chunk.text },
        }));
    }
    if shown < lines.len() {
        blocks.push(context(&format!(
            "_{} not shown._",
            count(lines.len() - shown, "more line")
        )));
    }
    SlackMessage {
        text: escape_mrkdwn(&header),
        blocks,
    }
}

/// Returns the header text: the subject, or `fallback` when there is none,
/// cleaned and cut to 150 characters. Header blocks are plain text, so it is not escaped.
fn header_text(subject: Option<&str>, fallback: impl FnOnce() -> String) -> String {
    let subject = subject
        .map(str::trim)
        .filter(|subject| !subject.is_empty())
        .map_or_else(fallback, str::to_string);
    truncate(&clean(&subject), MAX_HEADER_CHARS)
}

fn header_block(text: &str) -> Value {
    json!({
        "type": "header",
        "text": { "type": "plain_text", "text": text },
    })
}

fn mrkdwn(text: &str) -> Value {
    json!({ "type": "mrkdwn", "text": text })
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": mrkdwn(text) })
}

fn context(text: &str) -> Value {
    json!({ "type": "context", "elements": [mrkdwn(text)] })
}

/// Formats one finding as `*SEVERITY* OUTCOME `control-id`: reason`, with
/// ` on `bucket`` after the id in account messages. The line has at most about
/// 2,100 characters, because each part is cut before escaping and an escape
/// is at most 5 characters.
fn finding_line(finding: &ControlResult, bucket: Option<&str>) -> String {
    let location = bucket
        .map(|bucket| format!(" on `{}`", field(bucket, MAX_NAME_CHARS)))
        .unwrap_or_default();
    format!(
        "*{}* {} `{}`{location}: {}",
        finding.severity.as_str().to_uppercase(),
        finding.outcome,
        field(&finding.id, MAX_NAME_CHARS),
        field(&finding.reason, MAX_REASON_CHARS)
    )
}

/// Adds the first [`MAX_FINDINGS`] lines as sections of at most 3000 characters,
/// and the `more` line when lines were left out.
fn push_findings(blocks: &mut Vec<Value>, lines: Vec<String>, more: &str) {
    let total = lines.len();
    let shown: Vec<String> = lines.into_iter().take(MAX_FINDINGS).collect();
    for chunk in pack_lines(&shown, MAX_TEXT_CHARS) {
        blocks.push(section(&chunk.text));
    }
    if total > MAX_FINDINGS {
        blocks.push(context(more));
    }
}

/// Adds the buckets that could not be audited, at most [`MAX_UNREAD`] of them.
fn push_unread(blocks: &mut Vec<Value>, report: &AccountReport) {
    if report.unread.is_empty() {
        return;
    }
    let mut lines = vec!["*Not audited:*".to_string()];
    for unread in report.unread.iter().take(MAX_UNREAD) {
        lines.push(format!(
            "• `{}`: {}",
            field(&unread.bucket, MAX_NAME_CHARS),
            field(&unread.reason, MAX_REASON_CHARS)
        ));
    }
    if report.unread.len() > MAX_UNREAD {
        lines.push(format!("…and {} more.", report.unread.len() - MAX_UNREAD));
    }
    for chunk in pack_lines(&lines, MAX_TEXT_CHARS) {
        blocks.push(section(&chunk.text));
    }
}

/// Adds a context block that lists what Bucket Warden changed (or planned, in
/// dry-run mode), when it changed anything.
fn push_applied(blocks: &mut Vec<Value>, applied: &[AppliedStep]) {
    if applied.is_empty() {
        return;
    }
    let mut text = String::from("*What Bucket Warden changed:*");
    let mut listed = 0;
    for step in applied.iter().take(MAX_APPLIED_STEPS) {
        let line = applied_line(step);
        // Keep room for the count of steps left out.
        if text.len() + 1 + line.len() > MAX_TEXT_CHARS - 100 {
            break;
        }
        text.push('\n');
        text.push_str(&line);
        listed += 1;
    }
    if listed < applied.len() {
        text.push_str(&format!(
            "\n…and {}.",
            count(applied.len() - listed, "more step")
        ));
    }
    blocks.push(context(&text));
}

fn applied_line(applied: &AppliedStep) -> String {
    let status = match (applied.written, applied.verified) {
        (true, true) => "done and verified",
        (true, false) => "written but *not* verified",
        (false, true) => "no change needed",
        (false, false) => "not written",
    };
    let note = applied
        .note
        .as_deref()
        .map(|note| format!(" ({})", field(note, MAX_REASON_CHARS)))
        .unwrap_or_default();
    format!(
        "• {} on `{}`: {status}{note}",
        applied.step.call(),
        field(&applied.step.bucket, MAX_NAME_CHARS)
    )
}

/// Formats a count and its noun: `1 bucket`, `2 buckets`.
fn count(number: usize, noun: &str) -> String {
    if number == 1 {
        format!("1 {noun}")
    } else {
        format!("{number} {noun}s")
    }
}

/// Formats finding counts as `3 (1 critical, 2 high)`, or `none`.
fn severity_counts(
    total: usize,
    by_severity: &std::collections::BTreeMap<Severity, usize>,
) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|severity| {
            let count = by_severity.get(severity).copied().unwrap_or(0);
            (count > 0).then(|| format!("{count} {severity}"))
        })
        .collect();
    if total == 0 {
        "none".to_string()
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

/// Formats outcome counts as `150 PASS, 20 FAIL, 2 ERROR`, in the order of [`Outcome::ALL`].
fn outcome_counts(report: &AccountReport) -> String {
    let parts: Vec<String> = Outcome::ALL
        .iter()
        .filter_map(|outcome| {
            let count = report.totals.count(*outcome);
            (count > 0).then(|| format!("{count} {outcome}"))
        })
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

/// Ranks the outcomes of findings of one severity as [`BucketReport::findings`]
/// does: FAIL before ERROR before NOT_CONFIGURED.
fn outcome_rank(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Fail => 3,
        Outcome::Error => 2,
        Outcome::NotConfigured => 1,
        Outcome::Pass | Outcome::NotApplicable => 0,
    }
}

/// Text of one block and how many lines it holds.
#[derive(Debug)]
struct Chunk {
    text: String,
    lines: usize,
}

/// Joins `lines` with newlines into chunks of at most `max` characters. A line
/// longer than `max` would be cut, but callers keep their lines shorter.
fn pack_lines(lines: &[String], max: usize) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current = Chunk {
        text: String::new(),
        lines: 0,
    };
    for line in lines {
        let line = truncate(line, max);
        let line_chars = line.chars().count();
        let current_chars = current.text.chars().count();
        if current.lines > 0 && current_chars + 1 + line_chars > max {
            chunks.push(std::mem::replace(
                &mut current,
                Chunk {
                    text: String::new(),
                    lines: 0,
                },
            ));
        }
        if current.lines > 0 {
            current.text.push('\n');
        }
        current.text.push_str(&line);
        current.lines += 1;
    }
    if current.lines > 0 {
        chunks.push(current);
    }
    chunks
}

#[cfg(test)]
#[path = "blocks_tests.rs"]
mod tests;
