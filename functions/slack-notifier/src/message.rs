//! The Bucket Warden SNS message: email text, then `--- JSON report ---` and the
//! report as JSON. Large reports may arrive without the JSON part, or with it cut.

use bucketwarden_core::{AccountReport, BucketReport};
use serde_json::Value;

/// The line between the email text and the JSON report.
pub const JSON_MARKER: &str = "\n--- JSON report ---\n";

/// The `kind` attribute of bucket reports.
pub const KIND_BUCKET: &str = "bucket";
/// The `kind` attribute of account summaries.
pub const KIND_ACCOUNT: &str = "account";

#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    Bucket(Box<BucketReport>),
    Account(Box<AccountReport>),
}

/// Returns the email text: the message without its JSON part.
pub fn email_text(message: &str) -> &str {
    message
        .split_once(JSON_MARKER)
        .map_or(message, |(text, _)| text)
}

/// Parses the JSON report in `message`. `kind` is the message's `kind` attribute;
/// without it, the JSON's shape decides (`buckets` for an account report).
/// The error gives the reason the message is not a report, worded for a log line.
pub fn parse_report(message: &str, kind: Option<&str>) -> Result<Report, String> {
    let (_, json) = message
        .split_once(JSON_MARKER)
        .ok_or_else(|| "the message has no `--- JSON report ---` part".to_string())?;
    // A note such as "(evidence left out to fit SNS's 256 KB limit)" may come
    // before the JSON object.
    let start = json
        .find('{')
        .ok_or_else(|| "the JSON report part contains no JSON object".to_string())?;
    let json = json.get(start..).unwrap_or_default();
    let value: Value = serde_json::from_str(json)
        .map_err(|error| format!("the JSON report is invalid or cut ({error})"))?;

    let kind = match kind {
        Some(kind) => kind,
        None if value.get("buckets").is_some() => KIND_ACCOUNT,
        None => KIND_BUCKET,
    };
    match kind {
        KIND_BUCKET => serde_json::from_value(value)
            .map(|report| Report::Bucket(Box::new(report)))
            .map_err(|error| format!("the JSON is not a bucket report ({error})")),
        KIND_ACCOUNT => serde_json::from_value(value)
            .map(|report| Report::Account(Box::new(report)))
            .map_err(|error| format!("the JSON is not an account report ({error})")),
        other => Err(format!("unknown report kind `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bucketwarden_core::{ControlResult, Outcome, Severity};

    fn sample_report() -> BucketReport {
        BucketReport::new(
            "demo",
            "111122223333",
            "eu-west-1",
            vec![ControlResult {
                id: "s3.versioning".to_string(),
                title: "Versioning".to_string(),
                severity: Severity::Medium,
                outcome: Outcome::Fail,
                reason: "versioning is off".to_string(),
                evidence: serde_json::Map::new(),
                exempt: None,
            }],
        )
    }

    fn message(json: &str) -> String {
        format!("Bucket Warden audited the S3 bucket demo.\n{JSON_MARKER}{json}")
    }

    #[test]
    fn bucket_report_parsed() {
        let report = sample_report();
        let text = message(&serde_json::to_string_pretty(&report).unwrap());
        assert_eq!(
            parse_report(&text, Some("bucket")).unwrap(),
            Report::Bucket(Box::new(report.clone()))
        );
        assert_eq!(
            parse_report(&text, None).unwrap(),
            Report::Bucket(Box::new(report))
        );
        assert_eq!(
            email_text(&text),
            "Bucket Warden audited the S3 bucket demo.\n"
        );
    }

    #[test]
    fn account_report_detected_by_shape() {
        let mut account = AccountReport::default();
        account.push(sample_report());
        let text = message(&serde_json::to_string(&account).unwrap());
        assert_eq!(
            parse_report(&text, None).unwrap(),
            Report::Account(Box::new(account))
        );
    }

    #[test]
    fn note_before_json_skipped() {
        let json = serde_json::to_string(&sample_report()).unwrap();
        let text = message(&format!(
            "(evidence left out to fit SNS's 256 KB limit)\n{json}"
        ));
        assert!(matches!(
            parse_report(&text, Some("bucket")),
            Ok(Report::Bucket(_))
        ));
    }

    #[test]
    fn non_reports_rejected_with_reason() {
        let json = serde_json::to_string(&sample_report()).unwrap();
        let cut = json.get(..json.len() / 2).unwrap();
        let cases = [
            ("plain text", None, "no `--- JSON report ---`"),
            (&message("no object here") as &str, None, "no JSON object"),
            (&message(cut), Some("bucket"), "invalid or cut"),
            (&message(&json), Some("account"), "not an account report"),
            (
                &message(&json),
                Some("object"),
                "unknown report kind `object`",
            ),
        ];
        for (text, kind, expected) in cases {
            let reason = parse_report(text, kind).unwrap_err();
            assert!(reason.contains(expected), "{reason}");
        }
    }

    #[test]
    fn sample_event_contains_bucket_report() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/events/sns-bucket-report.json");
        let text = std::fs::read_to_string(path).unwrap();
        let event: aws_lambda_events::sns::SnsEvent = serde_json::from_str(&text).unwrap();
        let sns = &event.records[0].sns;
        assert_eq!(sns.message_attributes["kind"].value, "bucket");

        let Report::Bucket(report) = parse_report(&sns.message, Some("bucket")).unwrap() else {
            panic!("expected a bucket report");
        };
        assert_eq!(report.bucket, "demo-public-policy");
        assert_eq!(report.findings().len(), 6);
        assert_eq!(
            sns.message_attributes["findings"].value,
            report.totals.findings().to_string()
        );
        assert!(email_text(&sns.message).ends_with("role/Admin.\n"));
    }
}
