//! Reports: the canonical JSON form of an evaluation.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Pass,
    Fail,
    NotConfigured,
    NotApplicable,
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::NotConfigured,
        Outcome::NotApplicable,
        Outcome::Error,
    ];

    /// FAIL, NOT_CONFIGURED and ERROR are findings.
    pub fn is_finding(self) -> bool {
        matches!(
            self,
            Outcome::Fail | Outcome::NotConfigured | Outcome::Error
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::NotConfigured => "NOT_CONFIGURED",
            Outcome::NotApplicable => "NOT_APPLICABLE",
            Outcome::Error => "ERROR",
        }
    }

    /// Returns the weight of a finding of this outcome when ranking findings of equal severity.
    pub fn rank(self) -> u8 {
        match self {
            Outcome::Fail => 3,
            Outcome::Error => 2,
            Outcome::NotConfigured => 1,
            Outcome::Pass | Outcome::NotApplicable => 0,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Control severity, ordered from `Info` (lowest) to `Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                format!("invalid severity `{text}`; use one of critical, high, medium, low, info")
            })
    }
}

/// One control's outcome for one bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub outcome: Outcome,
    pub reason: String,
    pub evidence: Map<String, Value>,
    /// The source of the exemption, when the finding is exempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt: Option<String>,
}

impl ControlResult {
    /// Returns whether this is a finding that counts: not exempt.
    pub fn is_active_finding(&self) -> bool {
        self.outcome.is_finding() && self.exempt.is_none()
    }
}

/// Counts by outcome, and of findings by severity.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub by_outcome: BTreeMap<Outcome, usize>,
    pub findings_by_severity: BTreeMap<Severity, usize>,
    pub exempt: usize,
}

impl Totals {
    pub fn add(&mut self, result: &ControlResult) {
        *self.by_outcome.entry(result.outcome).or_default() += 1;
        if result.exempt.is_some() && result.outcome.is_finding() {
            self.exempt += 1;
        } else if result.outcome.is_finding() {
            *self
                .findings_by_severity
                .entry(result.severity)
                .or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: &Totals) {
        for (outcome, count) in &other.by_outcome {
            *self.by_outcome.entry(*outcome).or_default() += count;
        }
        for (severity, count) in &other.findings_by_severity {
            *self.findings_by_severity.entry(*severity).or_default() += count;
        }
        self.exempt += other.exempt;
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.by_outcome.get(&outcome).copied().unwrap_or(0)
    }

    pub fn findings(&self) -> usize {
        self.findings_by_severity.values().sum()
    }
}

/// The report for one bucket: every control in catalog order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BucketReport {
    pub bucket: String,
    pub account_id: String,
    pub region: String,
    pub results: Vec<ControlResult>,
    pub totals: Totals,
    /// The writes made (or planned, in dry-run mode) before this evaluation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<crate::plan::AppliedStep>,
}

impl BucketReport {
    pub fn new(bucket: &str, account_id: &str, region: &str, results: Vec<ControlResult>) -> Self {
        let mut totals = Totals::default();
        for result in &results {
            totals.add(result);
        }
        Self {
            bucket: bucket.to_string(),
            account_id: account_id.to_string(),
            region: region.to_string(),
            results,
            totals,
            applied: Vec::new(),
        }
    }

    pub fn result(&self, id: &str) -> Option<&ControlResult> {
        self.results.iter().find(|result| result.id == id)
    }

    /// Returns the active findings, most severe first (FAIL before ERROR before NOT_CONFIGURED).
    pub fn findings(&self) -> Vec<&ControlResult> {
        let mut findings: Vec<&ControlResult> = self
            .results
            .iter()
            .filter(|r| r.is_active_finding())
            .collect();
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.outcome.rank().cmp(&a.outcome.rank()))
        });
        findings
    }

    /// Returns the most severe active finding, if any.
    pub fn worst(&self) -> Option<&ControlResult> {
        self.findings().into_iter().next()
    }

    /// Returns whether an active finding is at or above `threshold`.
    pub fn has_finding_at_or_above(&self, threshold: Severity) -> bool {
        self.results
            .iter()
            .any(|result| result.is_active_finding() && result.severity >= threshold)
    }
}

/// A bucket that could not be audited at all (listing, region lookup or collection failed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnreadBucket {
    pub bucket: String,
    pub reason: String,
}

/// The report for many buckets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    pub buckets: Vec<BucketReport>,
    pub unread: Vec<UnreadBucket>,
    /// Problems that did not stop the audit, such as a region that refused ListBuckets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub totals: Totals,
}

impl AccountReport {
    pub fn push(&mut self, report: BucketReport) {
        self.totals.merge(&report.totals);
        self.buckets.push(report);
    }

    pub fn has_finding_at_or_above(&self, threshold: Severity) -> bool {
        self.buckets
            .iter()
            .any(|bucket| bucket.has_finding_at_or_above(threshold))
    }
}
