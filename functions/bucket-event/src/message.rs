//! The SNS message for one bucket report: subject, email text, the JSON report and
//! the attributes subscribers filter on.

use bucketwarden_core::BucketReport;
use bucketwarden_core::render::{self, clean};

use crate::event::BucketEvent;

/// SNS accepts messages up to 256 KiB; the rest of that is left for attributes.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 - 4 * 1024;

const JSON_HEADER: &str = "\n--- JSON report ---\n";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnsMessage {
    pub subject: String,
    pub body: String,
    pub attributes: Vec<(String, String)>,
}

pub fn build(report: &BucketReport, event: &BucketEvent) -> SnsMessage {
    let mut text = render::email_body(report);
    text.push_str(&format!(
        "\nTriggered by {} on {}{}.\n",
        clean(&event.event_name),
        clean(&event.bucket),
        event
            .caller_arn
            .as_deref()
            .map(|caller| format!(" by {}", clean(caller)))
            .unwrap_or_default()
    ));
    let body = attach_json(text, report);

    let worst = report.worst();
    let attributes = vec![
        ("kind".to_string(), "bucket".to_string()),
        (
            "severity".to_string(),
            worst
                .map_or("none", |finding| finding.severity.as_str())
                .to_string(),
        ),
        (
            "outcome".to_string(),
            worst
                .map_or("PASS", |finding| finding.outcome.as_str())
                .to_string(),
        ),
        ("bucket".to_string(), report.bucket.clone()),
        ("findings".to_string(), report.totals.findings().to_string()),
    ];
    SnsMessage {
        subject: render::email_subject(report),
        body,
        attributes,
    }
}

/// Appends the JSON report, as small as it must be to fit: pretty, then compact, then
/// without evidence, then cut with a note.
fn attach_json(text: String, report: &BucketReport) -> String {
    let room = MAX_MESSAGE_BYTES.saturating_sub(text.len() + JSON_HEADER.len());
    let pretty = serde_json::to_string_pretty(report).unwrap_or_default();
    if pretty.len() <= room {
        return text + JSON_HEADER + &pretty;
    }
    let compact = serde_json::to_string(report).unwrap_or_default();
    if compact.len() <= room {
        return text + JSON_HEADER + &compact;
    }
    let mut lean = report.clone();
    for result in &mut lean.results {
        result.evidence.clear();
    }
    let without_evidence = serde_json::to_string(&lean).unwrap_or_default();
    if without_evidence.len() <= room {
        return text
            + JSON_HEADER
            + "(evidence left out to fit SNS's 256 KB limit)\n"
            + &without_evidence;
    }
    let note = format!(
        "\n[report cut: {} bytes of JSON did not fit SNS's 256 KB limit; run `bucketwarden audit --bucket {}` for all of it]",
        without_evidence.len(),
        clean(&report.bucket)
    );
    let mut cut = room.saturating_sub(note.len());
    while cut > 0 && !without_evidence.is_char_boundary(cut) {
        cut -= 1;
    }
    text + JSON_HEADER + without_evidence.get(..cut).unwrap_or_default() + &note
}
