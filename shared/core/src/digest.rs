//! The summary email of an account audit, built from figures gathered bucket by
//! bucket (totals, the worst buckets, the first unread ones), so that memory does
//! not grow with the number of buckets. The scheduled audit feeds it one part of a
//! run at a time.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::render::{MAX_SUBJECT_CHARS, clean, count_of, severity_counts, truncate};
use crate::report::{AccountReport, BucketReport, Outcome, Severity, Totals, UnreadBucket};

/// The maximum length, in characters, of the reason on an email line.
const MAX_REASON_CHARS: usize = 200;

/// The email line of a bucket with findings: its worst finding and its count.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FindingLine {
    bucket: String,
    region: String,
    findings: usize,
    severity: Severity,
    outcome: Outcome,
    control: String,
    /// The reason as the email shows it: cleaned and cut to 200 characters.
    reason: String,
}

impl FindingLine {
    /// Orders lines most severe first, as the email lists them: severity, then
    /// outcome rank, then the bucket's finding count, then the bucket name.
    fn email_order(&self, other: &Self) -> Ordering {
        other
            .severity
            .cmp(&self.severity)
            .then(other.outcome.rank().cmp(&self.outcome.rank()))
            .then(other.findings.cmp(&self.findings))
            .then(self.bucket.cmp(&other.bucket))
    }
}

/// Totals of an audit plus the few lines the email lists: at most `max_lines`
/// buckets with findings (the worst ones) and `max_lines` unread buckets (the
/// first by name).
#[derive(Clone, Debug)]
pub struct AccountDigest {
    account_id: Option<String>,
    max_lines: usize,
    audited: usize,
    unread: usize,
    totals: Totals,
    buckets_with_findings: usize,
    worst_severity: Option<Severity>,
    worst_lines: Vec<FindingLine>,
    first_unread: Vec<UnreadBucket>,
    notes: Vec<String>,
}

impl AccountDigest {
    pub fn new(account_id: Option<String>, max_lines: usize) -> Self {
        Self {
            account_id,
            max_lines,
            audited: 0,
            unread: 0,
            totals: Totals::default(),
            buckets_with_findings: 0,
            worst_severity: None,
            worst_lines: Vec::new(),
            first_unread: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Digests a whole report.
    pub fn of_report(report: &AccountReport, max_lines: usize) -> Self {
        let mut digest = Self::new(report.account_id.clone(), max_lines);
        for bucket in &report.buckets {
            digest.add_bucket(bucket);
        }
        for unread in &report.unread {
            digest.add_unread(unread);
        }
        digest.notes.clone_from(&report.notes);
        digest
    }

    /// Counts one audited bucket and keeps its line when it is among the worst.
    pub fn add_bucket(&mut self, report: &BucketReport) {
        self.audited += 1;
        self.totals.merge(&report.totals);
        let Some(worst) = report.worst() else {
            return;
        };
        self.buckets_with_findings += 1;
        self.worst_severity = self.worst_severity.max(Some(worst.severity));
        if self.max_lines == 0 {
            return;
        }
        self.worst_lines.push(FindingLine {
            bucket: report.bucket.clone(),
            region: report.region.clone(),
            findings: report.totals.findings(),
            severity: worst.severity,
            outcome: worst.outcome,
            control: worst.id.clone(),
            reason: truncate(&clean(&worst.reason), MAX_REASON_CHARS),
        });
        // Sorting only when the list doubles keeps the cost per bucket constant.
        if self.worst_lines.len() >= 2 * self.max_lines {
            self.trim_worst_lines();
        }
    }

    /// Counts one unread bucket and keeps it when it is among the first by name.
    pub fn add_unread(&mut self, unread: &UnreadBucket) {
        self.unread += 1;
        if self.max_lines == 0 {
            return;
        }
        self.first_unread.push(unread.clone());
        if self.first_unread.len() >= 2 * self.max_lines {
            self.trim_first_unread();
        }
    }

    fn trim_worst_lines(&mut self) {
        self.worst_lines.sort_by(FindingLine::email_order);
        self.worst_lines.truncate(self.max_lines);
    }

    fn trim_first_unread(&mut self) {
        self.first_unread.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        self.first_unread.truncate(self.max_lines);
    }

    /// Returns the number of buckets audited, unread ones included.
    pub fn buckets(&self) -> usize {
        self.audited + self.unread
    }

    /// Returns the number of active findings (exempt ones are not counted).
    pub fn findings(&self) -> usize {
        self.totals.findings()
    }

    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    pub fn unread(&self) -> usize {
        self.unread
    }

    /// Returns the severity of the worst active finding of the run.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.worst_severity
    }

    /// Builds the SNS subject, under SNS's 100-character limit.
    pub fn email_subject(&self) -> String {
        let account = self.account_id.as_deref().map(clean).unwrap_or_default();
        let findings = self.totals.findings();
        let text = if findings == 0 && self.unread == 0 {
            format!(
                "Bucket Warden: account {account}, {} buckets, all controls pass",
                self.audited
            )
        } else {
            format!(
                "Bucket Warden: account {account}, {} buckets, {findings} findings ({})",
                self.audited,
                severity_counts(&self.totals)
            )
        };
        truncate(&text, MAX_SUBJECT_CHARS)
    }

    /// Builds the plain-text email: totals, the worst buckets first (one line each),
    /// the buckets that could not be read, and what to do next.
    pub fn email_body(&mut self, full_report_location: Option<&str>) -> String {
        self.trim_worst_lines();
        self.trim_first_unread();

        let mut out = String::new();
        let account = self
            .account_id
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "unknown".to_string());
        let _ = writeln!(
            out,
            "Bucket Warden audited {} S3 buckets of account {account}.\n",
            self.buckets()
        );
        let _ = writeln!(
            out,
            "Findings: {} ({}). Not audited: {}.",
            self.totals.findings(),
            severity_counts(&self.totals),
            self.unread
        );
        let outcomes: Vec<String> = Outcome::ALL
            .iter()
            .map(|outcome| format!("{} {outcome}", self.totals.count(*outcome)))
            .collect();
        let _ = writeln!(out, "Outcomes: {}.\n", outcomes.join(", "));

        if self.buckets_with_findings > 0 {
            let _ = writeln!(out, "Buckets with findings, most severe first:\n");
            for line in &self.worst_lines {
                let _ = writeln!(
                    out,
                    "- {} ({}): {}, worst {} {} {}: {}",
                    clean(&line.bucket),
                    clean(&line.region),
                    count_of(line.findings, "finding"),
                    line.severity.as_str().to_uppercase(),
                    line.outcome,
                    line.control,
                    line.reason
                );
            }
            if self.buckets_with_findings > self.max_lines {
                let _ = writeln!(
                    out,
                    "- and {} more buckets with findings",
                    self.buckets_with_findings - self.max_lines
                );
            }
            out.push('\n');
        }
        if self.unread > 0 {
            let _ = writeln!(out, "Buckets that could not be read:\n");
            for unread in &self.first_unread {
                let _ = writeln!(
                    out,
                    "- {}: {}",
                    clean(&unread.bucket),
                    truncate(&clean(&unread.reason), MAX_REASON_CHARS)
                );
            }
            out.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(out, "Note: {}", clean(note));
        }
        out.push_str(
            "What to do next: fix the critical and high findings first; `bucketwarden audit --bucket NAME` shows a \
             bucket's evidence, and `bucketwarden remediate CONTROL --bucket NAME` plans the fix.\n",
        );
        if let Some(location) = full_report_location {
            let _ = writeln!(out, "The full JSON report is at {location}.");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ControlResult;

    const SEVERITIES: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Builds a report whose results vary with `index`: some buckets pass every
    /// control, others fail with different severities, outcomes and counts, and
    /// some findings are exempt.
    fn bucket(index: usize) -> BucketReport {
        let results = (0..6)
            .map(|control| {
                let mix = index * 7 + control * 3;
                let outcome = match mix % 9 {
                    0 | 1 => Outcome::Fail,
                    2 => Outcome::Error,
                    3 => Outcome::NotConfigured,
                    4 => Outcome::NotApplicable,
                    _ => Outcome::Pass,
                };
                let outcome = if index.is_multiple_of(5) {
                    Outcome::Pass
                } else {
                    outcome
                };
                ControlResult {
                    id: format!("control-{control}"),
                    title: format!("Control {control}"),
                    severity: SEVERITIES[(index + control) % SEVERITIES.len()],
                    outcome,
                    reason: format!(
                        "reason {index}/{control}\nwith a line break {}",
                        "x".repeat(mix % 250)
                    ),
                    evidence: serde_json::Map::new(),
                    exempt: mix.is_multiple_of(11).then(|| "tag".to_string()),
                }
            })
            .collect();
        BucketReport::new(
            &format!("bucket-{index:04}"),
            "111122223333",
            ["us-east-1", "eu-west-1"][index % 2],
            results,
        )
    }

    fn account(buckets: usize, unread: usize) -> AccountReport {
        let mut report = AccountReport {
            account_id: Some("111122223333".to_string()),
            ..AccountReport::default()
        };
        for index in 0..buckets {
            report.push(bucket(index));
        }
        report.unread = (0..unread)
            .map(|index| UnreadBucket {
                bucket: format!("unread-{index:03}"),
                reason: format!("AccessDenied: not allowed {index}"),
            })
            .collect();
        report
    }

    /// Adds the report's buckets and unread buckets in a shuffled order, as the
    /// parts of a run deliver them.
    fn summarise(report: &AccountReport, max_lines: usize) -> AccountDigest {
        let mut summary = AccountDigest::new(report.account_id.clone(), max_lines);
        let mut order: Vec<usize> = (0..report.buckets.len()).collect();
        order.sort_by_key(|index| (index * 37) % 101);
        for index in order {
            summary.add_bucket(&report.buckets[index]);
        }
        for unread in report.unread.iter().rev() {
            summary.add_unread(unread);
        }
        summary
    }

    #[test]
    fn order_of_arrival_does_not_change_the_email() {
        for (buckets, unread, max_lines) in [
            (0, 0, 50),
            (1, 0, 50),
            (40, 0, 50),
            (300, 0, 50),
            (300, 120, 50),
            (300, 3, 7),
            (30, 2, 0),
        ] {
            let report = account(buckets, unread);
            let location = Some("s3://reports/reports/run.json");
            let mut whole = AccountDigest::of_report(&report, max_lines);
            let mut shuffled = summarise(&report, max_lines);
            let case = format!("{buckets} buckets, {unread} unread, {max_lines} lines");
            assert_eq!(shuffled.email_subject(), whole.email_subject(), "{case}");
            assert_eq!(
                shuffled.email_body(location),
                whole.email_body(location),
                "{case}"
            );
        }
    }

    fn result(id: &str, severity: Severity, outcome: Outcome, reason: &str) -> ControlResult {
        ControlResult {
            id: id.to_string(),
            title: id.to_string(),
            severity,
            outcome,
            reason: reason.to_string(),
            evidence: serde_json::Map::new(),
            exempt: None,
        }
    }

    /// The email of the report in the test below: one line of the worst bucket (the
    /// bucket name's newline shown escaped), the count of the rest, the unread
    /// bucket, the note.
    const EXPECTED_EMAIL: &str = concat!(
        "Bucket Warden audited 4 S3 buckets of account 111122223333.\n",
        "\n",
        "Findings: 3 (1 critical, 1 medium, 1 low). Not audited: 1.\n",
        "Outcomes: 1 PASS, 2 FAIL, 1 NOT_CONFIGURED, 0 NOT_APPLICABLE, 0 ERROR.\n",
        "\n",
        "Buckets with findings, most severe first:\n",
        "\n",
        "- public\\u{a}site (eu-west-1): 1 finding, worst CRITICAL FAIL policy-not-public: ",
        "statement 0 allows s3:GetObject to *\n",
        "- and 1 more buckets with findings\n",
        "\n",
        "Buckets that could not be read:\n",
        "\n",
        "- locked: AccessDenied: GetBucketPolicy\n",
        "\n",
        "Note: ListBuckets in ap-east-1 failed: AccessDenied\n",
        "What to do next: fix the critical and high findings first; `bucketwarden audit --bucket NAME` ",
        "shows a bucket's evidence, and `bucketwarden remediate CONTROL --bucket NAME` plans the fix.\n",
        "The full JSON report is at s3://reports/reports/run.json.\n",
    );

    #[test]
    fn email_lists_worst_buckets_unread_buckets_and_notes() {
        let mut report = AccountReport {
            account_id: Some("111122223333".to_string()),
            notes: vec!["ListBuckets in ap-east-1 failed: AccessDenied".to_string()],
            ..AccountReport::default()
        };
        report.push(BucketReport::new(
            "logs",
            "111122223333",
            "us-east-1",
            vec![
                result(
                    "versioning-enabled",
                    Severity::Medium,
                    Outcome::Fail,
                    "Status is Suspended",
                ),
                result(
                    "replication",
                    Severity::Low,
                    Outcome::NotConfigured,
                    "no replication",
                ),
            ],
        ));
        report.push(BucketReport::new(
            "public\nsite",
            "111122223333",
            "eu-west-1",
            vec![result(
                "policy-not-public",
                Severity::Critical,
                Outcome::Fail,
                "statement 0 allows s3:GetObject to *",
            )],
        ));
        report.push(BucketReport::new(
            "quiet",
            "111122223333",
            "us-east-1",
            vec![result(
                "default-encryption",
                Severity::High,
                Outcome::Pass,
                "AES256",
            )],
        ));
        report.unread.push(UnreadBucket {
            bucket: "locked".to_string(),
            reason: "AccessDenied: GetBucketPolicy".to_string(),
        });
        let mut digest = AccountDigest::of_report(&report, 1);

        assert_eq!(
            digest.email_subject(),
            "Bucket Warden: account 111122223333, 3 buckets, 3 findings (1 critical, 1 medium, 1 low)"
        );
        assert_eq!(
            digest.email_body(Some("s3://reports/reports/run.json")),
            EXPECTED_EMAIL
        );
    }

    #[test]
    fn counts_match_report() {
        let report = account(300, 4);
        let summary = summarise(&report, 10);
        assert_eq!(summary.buckets(), 304);
        assert_eq!(summary.unread(), 4);
        assert_eq!(summary.findings(), report.totals.findings());
        assert_eq!(summary.totals(), &report.totals);
        let worst = report
            .buckets
            .iter()
            .filter_map(|bucket| bucket.worst())
            .map(|finding| finding.severity)
            .max();
        assert_eq!(summary.worst_severity(), worst);
    }

    #[test]
    fn kept_lines_stay_bounded() {
        let mut summary = AccountDigest::new(None, 5);
        for index in 0..1000 {
            summary.add_bucket(&bucket(index));
            summary.add_unread(&UnreadBucket {
                bucket: format!("unread-{index:04}"),
                reason: "AccessDenied".to_string(),
            });
            assert!(summary.worst_lines.len() < 10);
            assert!(summary.first_unread.len() < 10);
        }
    }
}
