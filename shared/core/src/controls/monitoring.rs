//! Controls on watching the bucket: access logging, GuardDuty and Access Analyzer.

use serde_json::{Value, json};

use crate::evaluate::{Facts, Verdict};
use crate::report::Outcome;
use crate::snapshot::{
    AdvancedEventSelector, EventSelector, EventSelectors, Read, ReadState, TrailFacts, Unreadable,
    state_of,
};

/// The object operations a selector records for the bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Recorded {
    reads: bool,
    writes: bool,
}

impl Recorded {
    const BOTH: Recorded = Recorded {
        reads: true,
        writes: true,
    };

    fn union(self, other: Recorded) -> Recorded {
        Recorded {
            reads: self.reads || other.reads,
            writes: self.writes || other.writes,
        }
    }

    fn complete(self) -> bool {
        self.reads && self.writes
    }
}

/// The trail state for one bucket.
enum TrailCoverage {
    Covers,
    DoesNot(String),
    Unknown(String),
}

pub fn access_logging(facts: &Facts<'_>) -> Verdict {
    let snapshot = facts.snapshot;
    let mut unknown: Vec<String> = Vec::new();

    match state_of(&snapshot.get_bucket_logging, "GetBucketLogging") {
        ReadState::Value(logging) => {
            if let Some(enabled) = &logging.logging_enabled {
                return Verdict::pass(format!(
                    "server access logging delivers to {}",
                    enabled.target_bucket
                ))
                .with("TargetBucket", enabled.target_bucket.clone())
                .with("TargetPrefix", enabled.target_prefix.clone());
            }
        }
        ReadState::Absent(error) => {
            unknown.push(format!("GetBucketLogging: unexpected answer {error}"))
        }
        ReadState::Unreadable(why) => unknown.push(format!("GetBucketLogging: {why}")),
    }

    let trails = snapshot
        .account
        .as_ref()
        .and_then(|account| account.trails.as_ref());
    let mut not_covering: Vec<String> = Vec::new();
    match trails {
        None => unknown.push(format!(
            "DescribeTrails: {}",
            Unreadable::NotCollected("DescribeTrails")
        )),
        Some(Read::Error(error)) => unknown.push(format!("DescribeTrails: read failed: {error}")),
        Some(Read::Value(trails)) => {
            for trail in trails {
                match trail_coverage(trail, &snapshot.bucket, &snapshot.region) {
                    TrailCoverage::Covers => {
                        return Verdict::pass(format!(
                            "trail {} records S3 data events for this bucket",
                            trail.trail.name
                        ))
                        .with("trail", trail.trail.name.clone())
                        .with("home_region", trail.trail.home_region.clone())
                        .with("server_access_logging", "off");
                    }
                    TrailCoverage::DoesNot(why) => {
                        not_covering.push(format!("{}: {why}", trail.trail.name))
                    }
                    TrailCoverage::Unknown(why) => {
                        unknown.push(format!("{}: {why}", trail.trail.name))
                    }
                }
            }
        }
    }

    let verdict = if let Some(first) = unknown.first() {
        Verdict::error(format!("object access logging cannot be decided: {first}"))
    } else {
        Verdict::new(
            Outcome::NotConfigured,
            "server access logging is off and no logging trail records this bucket's object data events",
        )
    };
    verdict
        .with("trails_not_covering", not_covering)
        .with("unknown", unknown)
}

fn trail_coverage(trail: &TrailFacts, bucket: &str, region: &str) -> TrailCoverage {
    let info = &trail.trail;
    let multi_region = info.is_multi_region_trail == Some(true);
    if !multi_region
        && info
            .home_region
            .as_deref()
            .is_some_and(|home| home != region)
    {
        return TrailCoverage::DoesNot(format!(
            "a single-region trail in {} does not record events in {region}",
            info.home_region.as_deref().unwrap_or_default()
        ));
    }
    let logging = match &trail.get_trail_status {
        None => return TrailCoverage::Unknown("GetTrailStatus not collected".into()),
        Some(Read::Error(error)) => {
            return TrailCoverage::Unknown(format!("GetTrailStatus failed: {error}"));
        }
        Some(Read::Value(status)) => status.is_logging == Some(true),
    };
    let selectors = match &trail.get_event_selectors {
        None => return TrailCoverage::Unknown("GetEventSelectors not collected".into()),
        Some(Read::Error(error)) => {
            return TrailCoverage::Unknown(format!("GetEventSelectors failed: {error}"));
        }
        Some(Read::Value(selectors)) => selectors,
    };
    let recorded = selectors_record(selectors, bucket);
    match (logging, recorded.complete()) {
        (true, true) => TrailCoverage::Covers,
        (false, _) => TrailCoverage::DoesNot("the trail is not logging (IsLogging false)".into()),
        (true, false) if recorded.reads => {
            TrailCoverage::DoesNot("the selectors record only reads of this bucket".into())
        }
        (true, false) if recorded.writes => {
            TrailCoverage::DoesNot("the selectors record only writes to this bucket".into())
        }
        (true, false) => {
            TrailCoverage::DoesNot("no selector records this bucket's object data events".into())
        }
    }
}

/// Returns whether the selectors record every read and write of the bucket's objects.
pub(crate) fn selectors_record_bucket(selectors: &EventSelectors, bucket: &str) -> bool {
    selectors_record(selectors, bucket).complete()
}

fn selectors_record(selectors: &EventSelectors, bucket: &str) -> Recorded {
    let basic = selectors
        .event_selectors
        .iter()
        .flatten()
        .map(|selector| basic_selector_records(selector, bucket));
    let advanced = selectors
        .advanced_event_selectors
        .iter()
        .flatten()
        .map(|selector| advanced_selector_records(selector, bucket));
    basic
        .chain(advanced)
        .fold(Recorded::default(), Recorded::union)
}

fn basic_selector_records(selector: &EventSelector, bucket: &str) -> Recorded {
    let whole_bucket = [
        format!("arn:aws:s3:::{bucket}/"),
        format!("arn:aws:s3:::{bucket}"),
    ];
    let covers = selector.data_resources.iter().any(|resource| {
        resource.resource_type.as_deref() == Some("AWS::S3::Object")
            && resource.values.iter().any(|value| {
                value == "arn:aws:s3"
                    || value == "arn:aws:s3:::"
                    || whole_bucket.iter().any(|arn| arn == value)
            })
    });
    if !covers {
        return Recorded::default();
    }
    match selector.read_write_type.as_deref().unwrap_or("All") {
        "ReadOnly" => Recorded {
            reads: true,
            writes: false,
        },
        "WriteOnly" => Recorded {
            reads: false,
            writes: true,
        },
        _ => Recorded::BOTH,
    }
}

/// An advanced selector records the bucket when it selects S3 object data events and
/// its resources.ARN conditions admit every object of the bucket. Fields that narrow
/// the selection in ways this check does not model (eventName, userIdentity.arn, ...)
/// count as partial coverage.
fn advanced_selector_records(selector: &AdvancedEventSelector, bucket: &str) -> Recorded {
    let objects = format!("arn:aws:s3:::{bucket}/");
    let mut is_data = false;
    let mut is_s3_object = false;
    let mut recorded = Recorded::BOTH;
    for field in &selector.field_selectors {
        let equals = field.equals.as_deref().unwrap_or_default();
        match field.field.as_str() {
            "eventCategory" => is_data = equals.iter().any(|value| value == "Data"),
            "resources.type" => {
                is_s3_object = equals.iter().any(|value| value == "AWS::S3::Object")
            }
            "readOnly" => {
                if !equals.is_empty() {
                    recorded = Recorded {
                        reads: equals.iter().any(|value| value == "true"),
                        writes: equals.iter().any(|value| value == "false"),
                    };
                }
            }
            "eventSource" => {
                if !equals.is_empty() && !equals.iter().any(|value| value == "s3.amazonaws.com") {
                    return Recorded::default();
                }
            }
            "resources.ARN" => {
                let starts = field.starts_with.as_deref().unwrap_or_default();
                let admits_all = field.equals.is_none()
                    && field.ends_with.is_none()
                    && field.not_ends_with.is_none()
                    && field.not_equals.is_none()
                    && (field.starts_with.is_none()
                        || starts
                            .iter()
                            .any(|prefix| objects.starts_with(prefix.as_str())))
                    && !field
                        .not_starts_with
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .any(|prefix| {
                            objects.starts_with(prefix.as_str())
                                || prefix.starts_with(objects.as_str())
                        });
                if !admits_all {
                    return Recorded::default();
                }
            }
            _ => return Recorded::default(),
        }
    }
    if is_data && is_s3_object {
        recorded
    } else {
        Recorded::default()
    }
}

pub fn guardduty_s3_protection(facts: &Facts<'_>) -> Verdict {
    let region = &facts.snapshot.region;
    let guard_duty = facts
        .snapshot
        .account
        .as_ref()
        .and_then(|account| account.guard_duty.as_ref());
    let Some(guard_duty) = guard_duty else {
        return Verdict::unreadable("ListDetectors", Unreadable::NotCollected("ListDetectors"));
    };
    let detectors = match state_of(&guard_duty.list_detectors, "ListDetectors") {
        ReadState::Value(list) => list,
        ReadState::Absent(error) => {
            return Verdict::error(format!("ListDetectors: unexpected answer {error}"));
        }
        ReadState::Unreadable(why) => return Verdict::unreadable("ListDetectors", why),
    };
    let Some(detector_id) = detectors.detector_ids.first() else {
        return Verdict::new(
            Outcome::NotConfigured,
            format!("no GuardDuty detector in {region}"),
        );
    };
    let detector = match state_of(&guard_duty.get_detector, "GetDetector") {
        ReadState::Value(detector) => detector,
        ReadState::Absent(error) => {
            return Verdict::error(format!("GetDetector: unexpected answer {error}"));
        }
        ReadState::Unreadable(why) => return Verdict::unreadable("GetDetector", why),
    };
    let evidence = json!({"detector": detector_id, "region": region});
    if detector
        .status
        .as_deref()
        .is_some_and(|status| status != "ENABLED")
    {
        return Verdict::fail(format!(
            "the GuardDuty detector {detector_id} in {region} is {}",
            detector.status.as_deref().unwrap_or_default()
        ))
        .with("detector", evidence);
    }
    let feature = detector
        .features
        .iter()
        .flatten()
        .find(|feature| feature.name == "S3_DATA_EVENTS")
        .and_then(|feature| feature.status.clone());
    let legacy = detector
        .data_sources
        .as_ref()
        .and_then(|sources| sources.pointer("/S3Logs/Status"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match feature.or(legacy).as_deref() {
        Some("ENABLED") => Verdict::pass(format!(
            "S3 Protection (S3_DATA_EVENTS) is enabled on detector {detector_id}"
        )),
        Some(status) => Verdict::fail(format!(
            "S3 Protection (S3_DATA_EVENTS) is {status} on detector {detector_id}"
        )),
        None => Verdict::fail(format!(
            "detector {detector_id} does not report the S3_DATA_EVENTS feature"
        )),
    }
    .with("detector", evidence)
}

pub fn access_analyzer(facts: &Facts<'_>) -> Verdict {
    let region = &facts.snapshot.region;
    let facts_aa = facts
        .snapshot
        .account
        .as_ref()
        .and_then(|account| account.access_analyzer.as_ref());
    let Some(analyzer_facts) = facts_aa else {
        return Verdict::unreadable("ListAnalyzers", Unreadable::NotCollected("ListAnalyzers"));
    };
    let analyzers = match state_of(&analyzer_facts.list_analyzers, "ListAnalyzers") {
        ReadState::Value(list) => list,
        ReadState::Absent(error) => {
            return Verdict::error(format!("ListAnalyzers: unexpected answer {error}"));
        }
        ReadState::Unreadable(why) => return Verdict::unreadable("ListAnalyzers", why),
    };
    let active: Vec<&str> = analyzers
        .analyzers
        .iter()
        .filter(|analyzer| analyzer.status.as_deref().unwrap_or("ACTIVE") == "ACTIVE")
        .map(|analyzer| analyzer.name.as_deref().unwrap_or("unnamed"))
        .collect();
    if active.is_empty() {
        return Verdict::new(
            Outcome::NotConfigured,
            format!("no IAM Access Analyzer in {region}"),
        );
    }
    let bucket_arn = &facts.arns.bucket;
    let findings: Value = match &analyzer_facts.list_findings {
        Some(Read::Value(list)) => Value::Array(
            list.findings
                .iter()
                .filter(|finding| finding.resource.as_deref() == Some(bucket_arn.as_str()))
                .filter(|finding| finding.status.as_deref().unwrap_or("ACTIVE") == "ACTIVE")
                .map(|finding| json!({"id": finding.id, "is_public": finding.is_public, "principal": finding.principal, "action": finding.action}))
                .collect(),
        ),
        Some(Read::Error(error)) => Value::String(format!("ListFindings failed: {error}")),
        None => Value::String("ListFindings not collected".into()),
    };
    Verdict::pass(format!(
        "IAM Access Analyzer {} watches {region}",
        active.join(", ")
    ))
    .with("analyzers", active)
    .with("active_findings", findings)
}
