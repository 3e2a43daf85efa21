//! The requests that an audit of the seeded account may send, computed from the
//! fixture, and their comparison with the requests the endpoint counted.
//!
//! Each bucket is allowed the ten S3 reads that the spec lists
//! (GetPublicAccessBlock, GetBucketPolicy, GetBucketPolicyStatus, GetBucketAcl,
//! GetBucketOwnershipControls, GetBucketEncryption, GetBucketVersioning,
//! GetBucketLogging, GetObjectLockConfiguration, GetBucketReplication). It is also
//! allowed GetBucketTagging, because tags decide exemptions and whether object lock
//! and replication are required. A bucket whose default encryption names a KMS key
//! may add DescribeKey. A bucket outside the client's region may add one HeadBucket
//! when ListBuckets did not name its region. Account-level reads are allowed as
//! measured and spread over the buckets.

use std::collections::{BTreeMap, BTreeSet};

use crate::fixtures::{BucketCounts, CLIENT_REGION};

/// The eleven S3 reads allowed once per bucket.
pub const BUCKET_READS: [&str; 11] = [
    "GetPublicAccessBlock",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketAcl",
    "GetBucketOwnershipControls",
    "GetBucketEncryption",
    "GetBucketVersioning",
    "GetBucketLogging",
    "GetObjectLockConfiguration",
    "GetBucketReplication",
    "GetBucketTagging",
];

/// Reads made once per account or per region, whatever the bucket count.
const ACCOUNT_LEVEL: [&str; 10] = [
    "ListBuckets",
    "GetCallerIdentity",
    "GetAccountPublicAccessBlock",
    "DescribeTrails",
    "GetTrailStatus",
    "GetEventSelectors",
    "ListDetectors",
    "GetDetector",
    "ListAnalyzers",
    "ListFindings",
];

/// One operation's measured and allowed count.
#[derive(Clone, Debug)]
pub struct OperationAllowance {
    pub operation: String,
    pub measured: u64,
    pub allowed: u64,
    /// Reason for the allowed count.
    pub basis: String,
}

/// The comparison of one audit's requests with the allowance.
#[derive(Clone, Debug)]
pub struct Allowance {
    pub counts: BucketCounts,
    pub list_buckets_names_region: bool,
    pub operations: Vec<OperationAllowance>,
    pub measured: u64,
    pub allowed: u64,
}

impl Allowance {
    /// Compares `requests` (by operation) of an audit of `counts.buckets` buckets
    /// with the allowance. `list_buckets_names_region` states whether ListBuckets
    /// sent `<BucketRegion>`, which removes the HeadBucket allowance.
    pub fn compare(
        counts: BucketCounts,
        list_buckets_names_region: bool,
        requests: &BTreeMap<String, u64>,
    ) -> Self {
        let buckets = counts.buckets as u64;
        let head_bucket = if list_buckets_names_region {
            0
        } else {
            counts.outside_client_region as u64
        };
        let measured_of = |operation: &str| requests.get(operation).copied().unwrap_or(0);

        let mut operations = Vec::new();
        for operation in BUCKET_READS {
            operations.push(OperationAllowance {
                operation: operation.to_owned(),
                measured: measured_of(operation),
                allowed: buckets,
                basis: "one per bucket".to_owned(),
            });
        }
        operations.push(OperationAllowance {
            operation: "DescribeKey".to_owned(),
            measured: measured_of("DescribeKey"),
            allowed: counts.kms as u64,
            basis: format!("one per bucket with SSE-KMS ({})", counts.kms),
        });
        operations.push(OperationAllowance {
            operation: "HeadBucket".to_owned(),
            measured: measured_of("HeadBucket"),
            allowed: head_bucket,
            basis: if list_buckets_names_region {
                "none: ListBuckets names every region".to_owned()
            } else {
                format!(
                    "one per bucket outside {CLIENT_REGION} ({})",
                    counts.outside_client_region
                )
            },
        });
        for operation in ACCOUNT_LEVEL {
            let measured = measured_of(operation);
            if measured > 0 {
                operations.push(OperationAllowance {
                    operation: operation.to_owned(),
                    measured,
                    allowed: measured,
                    basis: "account-level, spread over the buckets".to_owned(),
                });
            }
        }
        let listed: BTreeSet<String> = operations.iter().map(|row| row.operation.clone()).collect();
        for (operation, measured) in requests {
            if !listed.contains(operation) {
                operations.push(OperationAllowance {
                    operation: operation.clone(),
                    measured: *measured,
                    allowed: 0,
                    basis: "not an audit read".to_owned(),
                });
            }
        }

        let measured = operations.iter().map(|row| row.measured).sum();
        let allowed = operations.iter().map(|row| row.allowed).sum();
        Self {
            counts,
            list_buckets_names_region,
            operations,
            measured,
            allowed,
        }
    }

    pub fn measured_per_bucket(&self) -> f64 {
        self.measured as f64 / self.counts.buckets.max(1) as f64
    }

    pub fn allowed_per_bucket(&self) -> f64 {
        self.allowed as f64 / self.counts.buckets.max(1) as f64
    }

    pub fn met(&self) -> bool {
        self.measured <= self.allowed
    }

    /// Describes the operations sent more often than allowed, or returns an
    /// empty string when none was.
    pub fn excess(&self) -> String {
        let over: Vec<String> = self
            .operations
            .iter()
            .filter(|row| row.measured > row.allowed)
            .map(|row| {
                format!(
                    "{} {} more than allowed ({} sent, {} allowed: {})",
                    row.operation,
                    row.measured - row.allowed,
                    row.measured,
                    row.allowed,
                    row.basis
                )
            })
            .collect();
        over.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> BucketCounts {
        BucketCounts {
            buckets: 3,
            kms: 1,
            outside_client_region: 2,
        }
    }

    fn exact_requests(head_bucket: u64) -> BTreeMap<String, u64> {
        let mut requests: BTreeMap<String, u64> = BUCKET_READS
            .iter()
            .map(|operation| ((*operation).to_owned(), 3))
            .collect();
        requests.insert("DescribeKey".to_owned(), 1);
        requests.insert("ListBuckets".to_owned(), 1);
        requests.insert("GetCallerIdentity".to_owned(), 1);
        if head_bucket > 0 {
            requests.insert("HeadBucket".to_owned(), head_bucket);
        }
        requests
    }

    #[test]
    fn exact_audit_meets_allowance() {
        let allowance = Allowance::compare(counts(), false, &exact_requests(2));
        assert!(allowance.met());
        assert_eq!(allowance.allowed, 3 * 11 + 1 + 2 + 2);
        assert_eq!(allowance.excess(), "");
    }

    #[test]
    fn head_bucket_for_every_bucket_is_excess() {
        let allowance = Allowance::compare(counts(), false, &exact_requests(3));
        assert!(!allowance.met());
        assert!(
            allowance
                .excess()
                .starts_with("HeadBucket 1 more than allowed")
        );
    }

    #[test]
    fn listed_regions_allow_no_head_bucket() {
        let allowance = Allowance::compare(counts(), true, &exact_requests(2));
        assert!(!allowance.met());
        let head_bucket = allowance
            .operations
            .iter()
            .find(|row| row.operation == "HeadBucket")
            .unwrap();
        assert_eq!(head_bucket.allowed, 0);
    }

    #[test]
    fn unknown_operation_is_not_allowed() {
        let mut requests = exact_requests(2);
        requests.insert("GetBucketLocation".to_owned(), 1);
        let allowance = Allowance::compare(counts(), false, &requests);
        assert!(!allowance.met());
        assert!(allowance.excess().contains("GetBucketLocation"));
    }
}
