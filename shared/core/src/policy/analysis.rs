//! Reach analysis of a bucket policy: which statements make the bucket public, what
//! the Deny statements leave of them, whether plain HTTP is refused, and which other
//! accounts the policy admits.

use super::condition::{self, AllowEffect, DenyEffect};
use super::glob;
use super::model::{Effect, Matcher, Policy, PrincipalKind, Principals, Statement};

/// The actions that can expose a bucket's data; S3 calls a grant of any of them to
/// an unfixed principal public.
pub const BAD_ACTIONS: &[&str] = &[
    "s3:Get*",
    "s3:List*",
    "s3:Put*",
    "s3:Delete*",
    "s3:AbortMultipartUpload",
    "s3:RestoreObject",
];

/// The actions that change who may reach a bucket or how it is protected.
pub const SETTING_CHANGE_ACTIONS: &[&str] = &[
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPublicAccessBlock",
    // Tags carry exemptions (`bucketwarden:exempt`), so setting them can silence findings.
    "s3:PutBucketTagging",
];

/// Actions that change who may access a bucket or its objects.
pub const PERMISSIONS_MANAGEMENT_ACTIONS: &[&str] = &[
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:PutBucketPublicAccessBlock",
    "s3:DeleteBucketPublicAccessBlock",
    "s3:PutBucketOwnershipControls",
    "s3:DeleteBucketOwnershipControls",
];

/// Returns the IAM access levels that a grant of these action patterns reaches:
/// `read` (s3:Get*), `list` (s3:List*), `write` (other Put and Delete actions,
/// AbortMultipartUpload, RestoreObject) and `permissions management`.
pub fn access_levels(patterns: &[String]) -> Vec<&'static str> {
    let intersects = |target: &str| patterns.iter().any(|p| glob::intersects(p, target, true));
    let is_permission_action = |pattern: &String| {
        PERMISSIONS_MANAGEMENT_ACTIONS
            .iter()
            .any(|action| pattern.eq_ignore_ascii_case(action))
    };

    let mut levels = Vec::new();
    if intersects("s3:Get*") {
        levels.push("read");
    }
    if intersects("s3:List*") {
        levels.push("list");
    }
    let write = intersects("s3:AbortMultipartUpload")
        || intersects("s3:RestoreObject")
        || patterns.iter().any(|p| {
            (glob::intersects(p, "s3:Put*", true) || glob::intersects(p, "s3:Delete*", true))
                && !is_permission_action(p)
        });
    if write {
        levels.push("write");
    }
    let permissions = PERMISSIONS_MANAGEMENT_ACTIONS
        .iter()
        .any(|action| patterns.iter().any(|p| glob::matches(p, action, true)));
    if permissions {
        levels.push("permissions management");
    }
    levels
}

/// The two resources a bucket policy protects: the bucket and its objects.
#[derive(Clone, Debug)]
pub struct BucketArns {
    pub bucket: String,
    pub objects: String,
}

impl BucketArns {
    /// Returns the ARNs in the commercial partition (`aws`).
    pub fn new(bucket: &str) -> Self {
        Self::in_partition(bucket, "aws")
    }

    pub fn in_partition(bucket: &str, partition: &str) -> Self {
        Self {
            bucket: format!("arn:{partition}:s3:::{bucket}"),
            objects: format!("arn:{partition}:s3:::{bucket}/*"),
        }
    }
}

/// Returns the ARN partition of a region: `aws-cn` for China, `aws-us-gov` for
/// GovCloud, `aws` otherwise.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The callers an open grant admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Audience {
    Anyone,
    AnyAwsAccount,
    AnyoneExcept(Vec<String>),
}

impl Audience {
    pub fn describe(&self) -> String {
        match self {
            Audience::Anyone => "anyone on the internet".to_string(),
            Audience::AnyAwsAccount => "any AWS account".to_string(),
            Audience::AnyoneExcept(excluded) => format!("anyone except {}", excluded.join(", ")),
        }
    }
}

/// The reach an open grant keeps after the Deny statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Reachable from the internet.
    Internet,
    /// Only callers matching one of these descriptions escape the Deny statements.
    Limited { to: Vec<String>, by: Vec<String> },
    /// Every action of the grant is refused by an unconditional Deny.
    Blocked { by: Vec<String> },
}

/// One Allow statement that S3's rule classes as public.
#[derive(Clone, Debug)]
pub struct PublicGrant {
    pub statement: usize,
    pub sid: Option<String>,
    pub label: String,
    pub audience: Audience,
    /// The statement's action patterns that grant a bad action.
    pub actions: Vec<String>,
    /// The access levels of those actions (`read`, `list`, `write`, `permissions management`).
    pub access: Vec<&'static str>,
    pub resources: Vec<String>,
    pub reach: Reach,
}

impl PublicGrant {
    /// Describes the grant in one sentence a person can act on: statement, caller, actions and resources.
    pub fn sentence(&self, arns: &BucketArns) -> String {
        let base = format!(
            "{} lets {} call {} ({}) on {}",
            self.label,
            self.audience.describe(),
            self.actions.join(", "),
            self.access.join(", "),
            describe_resources(&self.resources, arns)
        );
        match &self.reach {
            Reach::Internet => base,
            Reach::Limited { to, by } => format!(
                "{base}; {} {} it unless {}",
                by.join(" and "),
                if by.len() == 1 { "refuses" } else { "refuse" },
                to.join(" or ")
            ),
            Reach::Blocked { by } => format!(
                "{base}; {} {} it to everyone",
                by.join(" and "),
                if by.len() == 1 { "refuses" } else { "refuse" }
            ),
        }
    }
}

/// Another account that the policy admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountAccess {
    pub statement: usize,
    pub label: String,
    /// A 12-digit account id, `*` for any account, or a canonical user id.
    pub account: String,
    pub actions: Vec<String>,
    /// The setting-change actions this grant covers.
    pub setting_changes: Vec<String>,
}

/// A statement the analysis could not decide, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undecided {
    pub statement: usize,
    pub label: String,
    pub operator: String,
}

/// The full reach analysis of one policy for one bucket.
#[derive(Clone, Debug, Default)]
pub struct PolicyAnalysis {
    /// Statements public by S3's own rule (what Block Public Access acts on).
    pub public_grants: Vec<PublicGrant>,
    pub undecided: Vec<Undecided>,
    pub other_accounts: Vec<AccountAccess>,
}

impl PolicyAnalysis {
    /// Returns whether S3's own classification calls the policy public (Deny statements ignored).
    pub fn s3_classifies_public(&self) -> bool {
        !self.public_grants.is_empty()
    }

    /// Returns the grants still reachable from the internet after the Deny statements.
    pub fn reachable(&self) -> impl Iterator<Item = &PublicGrant> {
        self.public_grants
            .iter()
            .filter(|grant| grant.reach == Reach::Internet)
    }
}

/// Trusted parties for the cross-account analysis.
#[derive(Clone, Debug, Default)]
pub struct Trust<'a> {
    pub owner_account: &'a str,
    pub trusted_accounts: &'a [String],
    pub trusted_organizations: &'a [String],
}

impl Trust<'_> {
    fn trusts_account(&self, account: &str) -> bool {
        account == self.owner_account
            || self
                .trusted_accounts
                .iter()
                .any(|trusted| trusted == account)
    }
}

/// Analyses `policy` as the policy of the bucket `arns` names.
pub fn analyse(policy: &Policy, arns: &BucketArns, trust: &Trust<'_>) -> PolicyAnalysis {
    let mut analysis = PolicyAnalysis::default();
    let denies: Vec<&Statement> = policy
        .statements
        .iter()
        .filter(|statement| statement.effect == Effect::Deny)
        .collect();

    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let resources = bucket_resources(&statement.resource, arns);
        if resources.is_empty() {
            continue;
        }
        let audience = open_audience(&statement.principal);
        let pins = match allow_pins(statement) {
            Ok(pins) => pins,
            Err(operator) => {
                // Conditions only narrow a grant, so a fixed principal stays fixed whatever
                // the unknown operator does; an open one may or may not be public.
                if audience.is_some() {
                    analysis.undecided.push(Undecided {
                        statement: statement.index,
                        label: statement.label(),
                        operator,
                    });
                } else {
                    analysis
                        .other_accounts
                        .extend(other_accounts(statement, false, true, trust));
                }
                continue;
            }
        };
        let bad = granted_patterns(&statement.action, BAD_ACTIONS);
        if let Some(open) = audience.clone()
            && !bad.is_empty()
            && pins.is_empty()
        {
            match subtract_denies(&bad, &resources, &denies) {
                Ok(reach) => analysis.public_grants.push(PublicGrant {
                    statement: statement.index,
                    sid: statement.sid.clone(),
                    label: statement.label(),
                    audience: open,
                    access: access_levels(&bad),
                    actions: bad.clone(),
                    resources: resources.clone(),
                    reach,
                }),
                Err(undecided) => analysis.undecided.push(undecided),
            }
        }
        analysis.other_accounts.extend(other_accounts(
            statement,
            audience.is_some(),
            pins.is_empty(),
            trust,
        ));
    }
    analysis
}

/// Returns the statement's resource patterns that reach this bucket or its objects.
fn bucket_resources(resource: &Matcher, arns: &BucketArns) -> Vec<String> {
    if resource.negated {
        let excluded = |arn: &str| {
            resource
                .patterns
                .iter()
                .any(|p| glob::covers(p, arn, false))
        };
        let mut reached = Vec::new();
        if !excluded(&arns.bucket) {
            reached.push(arns.bucket.clone());
        }
        if !excluded(&arns.objects) {
            reached.push(arns.objects.clone());
        }
        return reached;
    }
    resource
        .patterns
        .iter()
        .filter(|p| {
            glob::intersects(p, &arns.bucket, false) || glob::intersects(p, &arns.objects, false)
        })
        .cloned()
        .collect()
}

/// Returns the conditions that pin an Allow to fixed callers, or the unknown operator.
fn allow_pins(statement: &Statement) -> Result<Vec<String>, String> {
    let mut pins = Vec::new();
    for condition in &statement.conditions {
        match condition::allow_effect(condition) {
            AllowEffect::Pins(description) => pins.push(description),
            AllowEffect::Open => {}
            AllowEffect::Undecided(operator) => return Err(operator),
        }
    }
    Ok(pins)
}

/// Returns the callers an Allow admits when its principal is not fixed, or `None` for fixed principals.
fn open_audience(principal: &Principals) -> Option<Audience> {
    if principal.negated {
        return Some(Audience::AnyoneExcept(
            principal
                .entries
                .iter()
                .map(|entry| entry.value.clone())
                .collect(),
        ));
    }
    let anyone = principal.entries.iter().any(|entry| {
        entry.kind == PrincipalKind::Wildcard
            || (entry.kind == PrincipalKind::Aws && entry.value == "*")
    });
    if anyone {
        return Some(Audience::Anyone);
    }
    let any_account = principal
        .entries
        .iter()
        .filter(|entry| entry.kind == PrincipalKind::Aws)
        .filter_map(|entry| arn_account(&entry.value))
        .any(glob::has_wildcard);
    any_account.then_some(Audience::AnyAwsAccount)
}

/// The statement's action patterns that grant at least one of `targets`; for
/// `NotAction`, the targets it does not exclude.
fn granted_patterns(action: &Matcher, targets: &[&str]) -> Vec<String> {
    if action.negated {
        return targets
            .iter()
            .filter(|target| {
                !action
                    .patterns
                    .iter()
                    .any(|p| glob::covers(p, target, true))
            })
            .map(|target| target.to_string())
            .collect();
    }
    action
        .patterns
        .iter()
        .filter(|p| {
            targets
                .iter()
                .any(|target| glob::intersects(p, target, true))
        })
        .cloned()
        .collect()
}

/// Subtracts the Deny statements from an open grant of `actions` on `resources`.
fn subtract_denies(
    actions: &[String],
    resources: &[String],
    denies: &[&Statement],
) -> Result<Reach, Undecided> {
    let mut open = false;
    let mut escapes: Vec<String> = Vec::new();
    let mut limiting: Vec<String> = Vec::new();
    let mut blocking: Vec<String> = Vec::new();

    for action in actions {
        let mut best: Option<(bool, Vec<String>, String)> = None;
        for deny in denies {
            if !deny_reaches_internet(&deny.principal)
                || !matcher_covers(&deny.action, action, true)
                || !resources
                    .iter()
                    .all(|resource| matcher_covers(&deny.resource, resource, false))
            {
                continue;
            }
            match deny_scope(deny) {
                DenyScope::Always => {
                    best = Some((true, Vec::new(), deny.label()));
                    break;
                }
                DenyScope::Except(allowed) => {
                    if best.is_none() {
                        best = Some((false, allowed, deny.label()));
                    }
                }
                DenyScope::Sometimes => {}
                DenyScope::Undecided(operator) => {
                    return Err(Undecided {
                        statement: deny.index,
                        label: deny.label(),
                        operator,
                    });
                }
            }
        }
        match best {
            None => open = true,
            Some((true, _, label)) => push_unique(&mut blocking, label),
            Some((false, allowed, label)) => {
                for description in allowed {
                    push_unique(&mut escapes, description);
                }
                push_unique(&mut limiting, label);
            }
        }
    }

    if open {
        Ok(Reach::Internet)
    } else if !escapes.is_empty() {
        Ok(Reach::Limited {
            to: escapes,
            by: limiting,
        })
    } else {
        Ok(Reach::Blocked { by: blocking })
    }
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

enum DenyScope {
    Always,
    Except(Vec<String>),
    Sometimes,
    Undecided(String),
}

/// Conditions are ANDed: the Deny applies when all hold, so a caller escapes it by
/// failing any one of the `Except` conditions.
fn deny_scope(deny: &Statement) -> DenyScope {
    let mut escapes = Vec::new();
    for condition in &deny.conditions {
        match condition::deny_effect(condition) {
            DenyEffect::Except(description) => escapes.push(description),
            DenyEffect::Sometimes => return DenyScope::Sometimes,
            DenyEffect::Undecided(operator) => return DenyScope::Undecided(operator),
        }
    }
    if escapes.is_empty() {
        DenyScope::Always
    } else {
        DenyScope::Except(escapes)
    }
}

/// Returns whether a Deny's principal includes anonymous callers from the internet.
fn deny_reaches_internet(principal: &Principals) -> bool {
    let names_everyone = principal.entries.iter().any(|entry| {
        entry.kind == PrincipalKind::Wildcard
            || (entry.kind == PrincipalKind::Aws && entry.value == "*")
    });
    // `NotPrincipal` excludes the principals it names; excluding everyone applies to no caller.
    if principal.negated {
        !names_everyone
    } else {
        names_everyone
    }
}

/// Returns whether the matcher covers every value of `pattern`.
fn matcher_covers(matcher: &Matcher, pattern: &str, ignore_case: bool) -> bool {
    if matcher.negated {
        !matcher
            .patterns
            .iter()
            .any(|p| glob::intersects(p, pattern, ignore_case))
    } else {
        matcher
            .patterns
            .iter()
            .any(|p| glob::covers(p, pattern, ignore_case))
    }
}

/// Returns the account field of an IAM ARN (`arn:aws:iam::111122223333:role/x`).
fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let prefix = parts.next()?;
    if prefix != "arn" {
        return None;
    }
    parts.nth(3)
}

/// The account a fixed principal belongs to, or `None` for service principals and
/// unique ids of deleted identities (which reach no caller).
fn principal_account(kind: &PrincipalKind, value: &str) -> Option<String> {
    match kind {
        PrincipalKind::Aws => {
            if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
                return Some(value.to_string());
            }
            arn_account(value).map(str::to_string)
        }
        PrincipalKind::CanonicalUser => Some(format!("canonical user {value}")),
        PrincipalKind::Federated => arn_account(value)
            .filter(|account| !account.is_empty())
            .map(str::to_string),
        _ => None,
    }
}

fn other_accounts(
    statement: &Statement,
    open: bool,
    unpinned: bool,
    trust: &Trust<'_>,
) -> Vec<AccountAccess> {
    let actions = granted_patterns(&statement.action, &["s3:*"]);
    if actions.is_empty() {
        return Vec::new();
    }
    let setting_changes = granted_setting_changes(&statement.action);
    let mut found = Vec::new();
    if open {
        if unpinned || !pinned_to_trusted(statement, trust) {
            found.push(AccountAccess {
                statement: statement.index,
                label: statement.label(),
                account: "*".to_string(),
                actions: actions.clone(),
                setting_changes: setting_changes.clone(),
            });
        }
        return found;
    }
    for entry in &statement.principal.entries {
        let Some(account) = principal_account(&entry.kind, &entry.value) else {
            continue;
        };
        if trust.trusts_account(&account) || pinned_to_trusted(statement, trust) {
            continue;
        }
        found.push(AccountAccess {
            statement: statement.index,
            label: statement.label(),
            account,
            actions: actions.clone(),
            setting_changes: setting_changes.clone(),
        });
    }
    found
}

fn granted_setting_changes(action: &Matcher) -> Vec<String> {
    SETTING_CHANGE_ACTIONS
        .iter()
        .filter(|target| {
            if action.negated {
                !action
                    .patterns
                    .iter()
                    .any(|p| glob::matches(p, target, true))
            } else {
                action
                    .patterns
                    .iter()
                    .any(|p| glob::matches(p, target, true))
            }
        })
        .map(|target| target.to_string())
        .collect()
}

/// Returns whether a condition confines the statement to the owner, a trusted account or a
/// trusted organization.
fn pinned_to_trusted(statement: &Statement, trust: &Trust<'_>) -> bool {
    statement.conditions.iter().any(|condition| {
        let positive = condition.operator.base.is_positive_match() && !condition.operator.if_exists;
        if !positive || condition.values.is_empty() {
            return false;
        }
        if condition.key_is("aws:PrincipalAccount") || condition.key_is("aws:SourceAccount") {
            return condition
                .values
                .iter()
                .all(|value| trust.trusts_account(value));
        }
        if condition.key_is("aws:PrincipalOrgID") {
            return condition
                .values
                .iter()
                .all(|value| trust.trusted_organizations.iter().any(|org| org == value));
        }
        false
    })
}

/// "every object", "the bucket", or the patterns themselves.
fn describe_resources(resources: &[String], arns: &BucketArns) -> String {
    let objects = resources
        .iter()
        .any(|r| glob::covers(r, &arns.objects, false));
    let bucket = resources
        .iter()
        .any(|r| glob::matches(r, &arns.bucket, false));
    match (bucket, objects) {
        (true, true) => "the bucket and every object".to_string(),
        (false, true) => "every object".to_string(),
        (true, false) => "the bucket".to_string(),
        (false, false) => resources.join(", "),
    }
}

/// The outcome of the TLS analysis.
#[derive(Clone, Debug, Default)]
pub struct TlsAnalysis {
    /// Statements that deny plain HTTP to everyone for every S3 action.
    pub enforcing: Vec<String>,
    pub bucket_covered: bool,
    pub objects_covered: bool,
    /// Why each Deny that tests `aws:SecureTransport` falls short.
    pub shortfalls: Vec<String>,
}

impl TlsAnalysis {
    pub fn enforced(&self) -> bool {
        self.bucket_covered && self.objects_covered
    }
}

/// Finds the Deny statements that refuse plain HTTP, split across statements if need be.
pub fn analyse_tls(policy: &Policy, arns: &BucketArns) -> TlsAnalysis {
    let mut tls = TlsAnalysis::default();
    for statement in policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Deny)
    {
        let tests_http = statement
            .conditions
            .iter()
            .any(|c| c.key_is("aws:securetransport"));
        if !tests_http {
            continue;
        }
        match tls_shortfall(statement) {
            Some(reason) => tls
                .shortfalls
                .push(format!("{} {reason}", statement.label())),
            None => {
                let bucket = matcher_covers(&statement.resource, &arns.bucket, false);
                let objects = matcher_covers(&statement.resource, &arns.objects, false);
                if !bucket && !objects {
                    tls.shortfalls.push(format!(
                        "{} does not name this bucket or its objects",
                        statement.label()
                    ));
                    continue;
                }
                if !bucket {
                    tls.shortfalls.push(format!(
                        "{} covers only the objects, not {} itself",
                        statement.label(),
                        arns.bucket
                    ));
                }
                if !objects {
                    tls.shortfalls.push(format!(
                        "{} covers only the bucket, not its objects ({})",
                        statement.label(),
                        arns.objects
                    ));
                }
                tls.bucket_covered |= bucket;
                tls.objects_covered |= objects;
                tls.enforcing.push(statement.label());
            }
        }
    }
    tls
}

/// Why a Deny on `aws:SecureTransport` does not refuse every plain-HTTP request.
fn tls_shortfall(statement: &Statement) -> Option<String> {
    if !deny_covers_everyone(&statement.principal) {
        return Some("applies only to some principals".to_string());
    }
    if !matcher_covers(&statement.action, "s3:*", true) {
        let patterns = statement.action.patterns.join(", ");
        return Some(if statement.action.negated {
            format!("denies every action except {patterns}, so those stay open over plain HTTP")
        } else {
            format!("denies only {patterns}, not every S3 action")
        });
    }
    if !statement
        .conditions
        .iter()
        .any(condition::is_plain_http_test)
    {
        let tests: Vec<String> = statement
            .conditions
            .iter()
            .filter(|c| c.key_is("aws:securetransport"))
            .map(|c| format!("{} = {}", c.operator_text, c.values.join(", ")))
            .collect();
        return Some(format!(
            "tests aws:SecureTransport with {}, which is not the Bool test for false that matches plain-HTTP requests",
            tests.join(" and ")
        ));
    }
    if let Some(extra) = statement
        .conditions
        .iter()
        .find(|c| !condition::is_plain_http_test(c))
    {
        return Some(format!(
            "adds the condition {} on {}, so it refuses plain HTTP only when that also holds",
            extra.operator_text, extra.key
        ));
    }
    None
}

fn deny_covers_everyone(principal: &Principals) -> bool {
    !principal.negated
        && principal.entries.iter().any(|entry| {
            entry.kind == PrincipalKind::Wildcard
                || (entry.kind == PrincipalKind::Aws && entry.value == "*")
        })
}
