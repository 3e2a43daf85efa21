//! The full report of a run, written as JSON one bucket at a time, so that a run of
//! ten thousand buckets never keeps every bucket report in memory at once.
//!
//! The bytes are those `serde_json::to_vec` gives for the whole `AccountReport`,
//! provided buckets are pushed in name order; the tests compare the two.

use bucketwarden_core::BucketReport;
use bucketwarden_core::report::{Totals, UnreadBucket};

/// An `AccountReport` being serialised. Unread buckets follow every bucket report in
/// the JSON, so they are kept until [`ReportJson::finish`]. They are few and small.
#[derive(Debug)]
pub struct ReportJson {
    out: Vec<u8>,
    buckets: usize,
    unread: Vec<UnreadBucket>,
    totals: Totals,
}

impl ReportJson {
    pub fn new(account_id: Option<&str>) -> serde_json::Result<Self> {
        let mut out = b"{".to_vec();
        if let Some(account_id) = account_id {
            out.extend_from_slice(b"\"account_id\":");
            serde_json::to_writer(&mut out, account_id)?;
            out.push(b',');
        }
        out.extend_from_slice(b"\"buckets\":[");
        Ok(Self {
            out,
            buckets: 0,
            unread: Vec::new(),
            totals: Totals::default(),
        })
    }

    /// Appends a bucket report. Callers push buckets in name order.
    pub fn push_bucket(&mut self, report: &BucketReport) -> serde_json::Result<()> {
        if self.buckets > 0 {
            self.out.push(b',');
        }
        serde_json::to_writer(&mut self.out, report)?;
        self.buckets += 1;
        self.totals.merge(&report.totals);
        Ok(())
    }

    pub fn push_unread(&mut self, unread: UnreadBucket) {
        self.unread.push(unread);
    }

    /// Returns the bytes written so far once there are at least `min_bytes` of them.
    pub fn take_at_least(&mut self, min_bytes: usize) -> Option<Vec<u8>> {
        (self.out.len() >= min_bytes).then(|| std::mem::take(&mut self.out))
    }

    /// Closes the report and returns the bytes not taken yet.
    pub fn finish(mut self) -> serde_json::Result<Vec<u8>> {
        self.unread.sort_by(|a, b| a.bucket.cmp(&b.bucket));
        self.out.extend_from_slice(b"],\"unread\":");
        serde_json::to_writer(&mut self.out, &self.unread)?;
        self.out.extend_from_slice(b",\"totals\":");
        serde_json::to_writer(&mut self.out, &self.totals)?;
        self.out.push(b'}');
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bucketwarden_core::report::{ControlResult, Outcome, Severity};
    use bucketwarden_core::{AccountReport, BucketReport};

    fn bucket(index: usize) -> BucketReport {
        let outcome = [Outcome::Pass, Outcome::Fail, Outcome::Error][index % 3];
        BucketReport::new(
            &format!("bucket-{index:03}"),
            "111122223333",
            "eu-west-1",
            vec![ControlResult {
                id: "versioning-enabled".to_string(),
                title: "Versioning \"enabled\"".to_string(),
                severity: Severity::Medium,
                outcome,
                reason: format!("reason {index}\n"),
                evidence: serde_json::Map::new(),
                exempt: None,
            }],
        )
    }

    fn streamed(report: &AccountReport, chunk: usize) -> Vec<u8> {
        let mut json = ReportJson::new(report.account_id.as_deref()).unwrap();
        let mut bytes = Vec::new();
        for bucket in &report.buckets {
            json.push_bucket(bucket).unwrap();
            if let Some(taken) = json.take_at_least(chunk) {
                bytes.extend(taken);
            }
        }
        for unread in report.unread.iter().rev() {
            json.push_unread(unread.clone());
        }
        bytes.extend(json.finish().unwrap());
        bytes
    }

    #[test]
    fn streamed_bytes_match_the_whole_report() {
        for (buckets, unread, account) in
            [(0, 0, None), (1, 0, Some("1111")), (25, 3, Some("1111"))]
        {
            let mut report = AccountReport {
                account_id: account.map(str::to_string),
                ..AccountReport::default()
            };
            for index in 0..buckets {
                report.push(bucket(index));
            }
            report.unread = (0..unread)
                .map(|index| UnreadBucket {
                    bucket: format!("unread-{index}"),
                    reason: "AccessDenied".to_string(),
                })
                .collect();
            let whole = serde_json::to_vec(&report).unwrap();
            for chunk in [1, 100, usize::MAX] {
                assert_eq!(
                    String::from_utf8(streamed(&report, chunk)).unwrap(),
                    String::from_utf8(whole.clone()).unwrap(),
                    "{buckets} buckets, {unread} unread, chunks of {chunk}"
                );
            }
        }
    }
}
