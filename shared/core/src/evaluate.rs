//! Evaluation: a pure function from a snapshot and settings to a bucket report.

use serde_json::{Map, Value, json};

use crate::config::{Config, EXEMPT_TAG, split_list};
use crate::controls::{CONTROLS, Control};
use crate::policy::analysis::partition_of;
use crate::policy::{BucketArns, Policy, PolicyAnalysis, TlsAnalysis, Trust, analyse, analyse_tls};
use crate::report::{BucketReport, ControlResult, Outcome};
use crate::snapshot::{PublicAccessBlock, Read, ReadState, Snapshot, Unreadable, state_of};

/// A control's decision before the registry adds id, title and severity.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reason: String,
    pub evidence: Map<String, Value>,
}

impl Verdict {
    pub fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Self {
            outcome,
            reason: reason.into(),
            evidence: Map::new(),
        }
    }

    pub fn pass(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Pass, reason)
    }

    pub fn fail(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Fail, reason)
    }

    pub fn error(reason: impl Into<String>) -> Self {
        Self::new(Outcome::Error, reason)
    }

    /// ERROR for a read that gives no verdict, with the failed call in the evidence.
    pub fn unreadable(call: &str, why: Unreadable<'_>) -> Self {
        let verdict = Self::error(format!("{call}: {why}"));
        match why {
            Unreadable::NotCollected(_) => verdict.with("read", json!({"call": call, "state": "not collected"})),
            Unreadable::Failed(error) => verdict.with(
                "read",
                json!({"call": call, "state": "failed", "error_code": error.code, "message": error.message}),
            ),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.evidence.insert(key.to_string(), value.into());
        self
    }
}

/// The bucket policy in the form evaluation uses.
#[derive(Debug)]
pub enum PolicyFacts {
    /// `NoSuchBucketPolicy`: the bucket has no policy.
    Absent,
    Unreadable {
        reason: String,
        code: Option<String>,
    },
    Invalid {
        reason: String,
    },
    Parsed {
        policy: Box<Policy>,
        analysis: PolicyAnalysis,
        tls: TlsAnalysis,
    },
}

/// One Block Public Access flag at one layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerFlag {
    On,
    Off,
    Unknown(String),
}

/// One Block Public Access flag at both layers; S3 applies the stricter.
#[derive(Clone, Debug)]
pub struct BlockFlag {
    pub name: &'static str,
    pub bucket: LayerFlag,
    pub account: LayerFlag,
}

impl BlockFlag {
    /// `Some(true)` when on at either layer, `Some(false)` when off at both, `None` when unknown.
    pub fn effective(&self) -> Option<bool> {
        match (&self.bucket, &self.account) {
            (LayerFlag::On, _) | (_, LayerFlag::On) => Some(true),
            (LayerFlag::Off, LayerFlag::Off) => Some(false),
            _ => None,
        }
    }

    /// Returns the layer that turns the flag on, or why it is off or unknown.
    pub fn layer(&self) -> String {
        match (&self.bucket, &self.account) {
            (LayerFlag::On, LayerFlag::On) => "bucket and account".to_string(),
            (LayerFlag::On, _) => "bucket".to_string(),
            (_, LayerFlag::On) => "account".to_string(),
            (LayerFlag::Off, LayerFlag::Off) => "off at both layers".to_string(),
            (LayerFlag::Unknown(why), _) => format!("bucket layer unknown ({why})"),
            (_, LayerFlag::Unknown(why)) => format!("account layer unknown ({why})"),
        }
    }
}

/// Facts derived once per bucket and shared by the controls.
#[derive(Debug)]
pub struct Facts<'a> {
    pub snapshot: &'a Snapshot,
    pub config: &'a Config,
    pub arns: BucketArns,
    pub policy: PolicyFacts,
    pub block_public_acls: BlockFlag,
    pub ignore_public_acls: BlockFlag,
    pub block_public_policy: BlockFlag,
    pub restrict_public_buckets: BlockFlag,
}

impl<'a> Facts<'a> {
    pub fn gather(snapshot: &'a Snapshot, config: &'a Config) -> Self {
        let arns = BucketArns::in_partition(&snapshot.bucket, partition_of(&snapshot.region));
        let trust = Trust {
            owner_account: &snapshot.account_id,
            trusted_accounts: &config.trusted_accounts,
            trusted_organizations: &config.trusted_organizations,
        };
        let policy = policy_facts(snapshot, &arns, &trust);
        let account_block = snapshot
            .account
            .as_ref()
            .map(|account| &account.get_account_public_access_block);
        let bucket_layer = layer_flags(&snapshot.get_public_access_block, "GetPublicAccessBlock");
        let account_layer = match account_block {
            Some(read) => layer_flags(read, "GetAccountPublicAccessBlock"),
            None => layer_flags(&None, "GetAccountPublicAccessBlock"),
        };
        let flag = |name: &'static str, index: usize| BlockFlag {
            name,
            bucket: bucket_layer.get(index).cloned().unwrap_or(LayerFlag::Off),
            account: account_layer.get(index).cloned().unwrap_or(LayerFlag::Off),
        };
        Self {
            snapshot,
            config,
            arns,
            policy,
            block_public_acls: flag("BlockPublicAcls", 0),
            ignore_public_acls: flag("IgnorePublicAcls", 1),
            block_public_policy: flag("BlockPublicPolicy", 2),
            restrict_public_buckets: flag("RestrictPublicBuckets", 3),
        }
    }

    pub fn block_flags(&self) -> [&BlockFlag; 4] {
        [
            &self.block_public_acls,
            &self.ignore_public_acls,
            &self.block_public_policy,
            &self.restrict_public_buckets,
        ]
    }
}

fn policy_facts(snapshot: &Snapshot, arns: &BucketArns, trust: &Trust<'_>) -> PolicyFacts {
    match state_of(&snapshot.get_bucket_policy, "GetBucketPolicy") {
        ReadState::Absent(_) => PolicyFacts::Absent,
        ReadState::Unreadable(why) => PolicyFacts::Unreadable {
            reason: format!("GetBucketPolicy: {why}"),
            code: match why {
                Unreadable::Failed(error) => Some(error.code.clone()),
                Unreadable::NotCollected(_) => None,
            },
        },
        ReadState::Value(value) => match value.policy.as_deref() {
            None => PolicyFacts::Invalid {
                reason: "GetBucketPolicy answered without a `Policy` field".to_string(),
            },
            Some(text) => match Policy::parse(text) {
                Err(error) => PolicyFacts::Invalid {
                    reason: error.to_string(),
                },
                Ok(policy) => {
                    let analysis = analyse(&policy, arns, trust);
                    let tls = analyse_tls(&policy, arns);
                    PolicyFacts::Parsed {
                        policy: Box::new(policy),
                        analysis,
                        tls,
                    }
                }
            },
        },
    }
}

/// The four flags of one layer, in the order BlockPublicAcls, IgnorePublicAcls,
/// BlockPublicPolicy, RestrictPublicBuckets. An absent configuration sets none.
fn layer_flags(read: &Option<Read<PublicAccessBlock>>, call: &'static str) -> Vec<LayerFlag> {
    match state_of(read, call) {
        ReadState::Absent(_) => vec![LayerFlag::Off; 4],
        ReadState::Unreadable(why) => vec![LayerFlag::Unknown(format!("{call}: {why}")); 4],
        ReadState::Value(value) => {
            let config = value
                .public_access_block_configuration
                .clone()
                .unwrap_or_default();
            [
                config.block_public_acls,
                config.ignore_public_acls,
                config.block_public_policy,
                config.restrict_public_buckets,
            ]
            .into_iter()
            .map(|flag| {
                if flag == Some(true) {
                    LayerFlag::On
                } else {
                    LayerFlag::Off
                }
            })
            .collect()
        }
    }
}

/// Evaluates every control in catalog order.
pub fn evaluate(snapshot: &Snapshot, config: &Config) -> BucketReport {
    let facts = Facts::gather(snapshot, config);
    let exemptions = TagExemptions::read(snapshot);
    let results = CONTROLS
        .iter()
        .map(|control| run_control(control, &facts, &exemptions))
        .collect();
    BucketReport::new(
        &snapshot.bucket,
        &snapshot.account_id,
        &snapshot.region,
        results,
    )
}

/// Evaluates only the named controls, in catalog order.
pub fn evaluate_controls(snapshot: &Snapshot, config: &Config, ids: &[&str]) -> Vec<ControlResult> {
    let facts = Facts::gather(snapshot, config);
    let exemptions = TagExemptions::read(snapshot);
    CONTROLS
        .iter()
        .filter(|control| ids.contains(&control.id))
        .map(|control| run_control(control, &facts, &exemptions))
        .collect()
}

fn run_control(control: &Control, facts: &Facts<'_>, exemptions: &TagExemptions) -> ControlResult {
    let verdict = (control.evaluate)(facts);
    let exempt = if verdict.outcome.is_finding() {
        exemptions.source_for(control.id).or_else(|| {
            facts
                .config
                .exemptions
                .iter()
                .find(|exemption| exemption.covers(&facts.snapshot.bucket, control.id))
                .map(|exemption| format!("configured exemption `{}`", exemption.bucket))
        })
    } else {
        None
    };
    ControlResult {
        id: control.id.to_string(),
        title: control.title.to_string(),
        severity: control.severity,
        outcome: verdict.outcome,
        reason: verdict.reason,
        evidence: verdict.evidence,
        exempt,
    }
}

/// The `bucketwarden:exempt` tag of a bucket.
struct TagExemptions {
    ids: Vec<String>,
}

impl TagExemptions {
    fn read(snapshot: &Snapshot) -> Self {
        let ids = snapshot
            .tags
            .as_ref()
            .and_then(Read::value)
            .and_then(|tags| tags.get(EXEMPT_TAG))
            .map(|value| split_list(value).map(str::to_string).collect())
            .unwrap_or_default();
        Self { ids }
    }

    fn source_for(&self, control: &str) -> Option<String> {
        self.ids
            .iter()
            .any(|id| id == "all" || id == control)
            .then(|| format!("tag `{EXEMPT_TAG}`"))
    }
}
