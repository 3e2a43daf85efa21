//! The bucket-policy model and its lenient parser.
//!
//! Parsing accepts every shape IAM accepts: `Statement` as an object or a list;
//! `Principal`, `Action`, `Resource` and condition values as a string or a list;
//! `Principal` as `"*"` or a map; the `Not*` elements; JSON booleans and numbers as
//! condition values. Anything else is rejected with the statement and element named.

use std::fmt;

use serde_json::{Map, Value};

use crate::err::PolicyError;

/// Sids longer than this are shortened in messages; the evidence keeps the index.
const MAX_SID_IN_LABEL: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub version: Option<String>,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// Position in the `Statement` list, from 0.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Principals,
    pub action: Matcher,
    pub resource: Matcher,
    pub conditions: Vec<Condition>,
}

/// `Principal` or, when `negated`, `NotPrincipal`.
#[derive(Clone, Debug, PartialEq)]
pub struct Principals {
    pub negated: bool,
    pub entries: Vec<PrincipalEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The bare string form, `"Principal": "*"`.
    Wildcard,
    Aws,
    Service,
    Federated,
    CanonicalUser,
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrincipalEntry {
    pub kind: PrincipalKind,
    pub value: String,
}

/// `Action`/`Resource` or, when `negated`, `NotAction`/`NotResource`.
#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    pub negated: bool,
    pub patterns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator_text: String,
    pub operator: Operator,
    /// The key as written; keys compare case-insensitively.
    pub key: String,
    pub values: Vec<String>,
}

impl Condition {
    pub fn key_is(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    None,
    ForAnyValue,
    ForAllValues,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub base: OperatorBase,
    pub qualifier: SetQualifier,
    pub if_exists: bool,
}

/// Every condition operator that can appear in a bucket policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorBase {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
    /// An operator IAM may know but this analysis does not; it makes the statement undecided.
    Unknown(String),
}

impl OperatorBase {
    fn from_name(name: &str) -> OperatorBase {
        use OperatorBase::*;
        const NAMES: &[(&str, OperatorBase)] = &[
            ("StringEquals", StringEquals),
            ("StringNotEquals", StringNotEquals),
            ("StringEqualsIgnoreCase", StringEqualsIgnoreCase),
            ("StringNotEqualsIgnoreCase", StringNotEqualsIgnoreCase),
            ("StringLike", StringLike),
            ("StringNotLike", StringNotLike),
            ("NumericEquals", NumericEquals),
            ("NumericNotEquals", NumericNotEquals),
            ("NumericLessThan", NumericLessThan),
            ("NumericLessThanEquals", NumericLessThanEquals),
            ("NumericGreaterThan", NumericGreaterThan),
            ("NumericGreaterThanEquals", NumericGreaterThanEquals),
            ("DateEquals", DateEquals),
            ("DateNotEquals", DateNotEquals),
            ("DateLessThan", DateLessThan),
            ("DateLessThanEquals", DateLessThanEquals),
            ("DateGreaterThan", DateGreaterThan),
            ("DateGreaterThanEquals", DateGreaterThanEquals),
            ("Bool", Bool),
            ("BinaryEquals", BinaryEquals),
            ("IpAddress", IpAddress),
            ("NotIpAddress", NotIpAddress),
            ("ArnEquals", ArnEquals),
            ("ArnLike", ArnLike),
            ("ArnNotEquals", ArnNotEquals),
            ("ArnNotLike", ArnNotLike),
            ("Null", Null),
        ];
        NAMES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, base)| base.clone())
            .unwrap_or_else(|| Unknown(name.to_string()))
    }

    /// Returns whether the operator is a negation (a missing key makes it true).
    pub fn is_negated(&self) -> bool {
        use OperatorBase::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Returns whether the operator tests membership in a set of given values (equality or pattern).
    pub fn is_positive_match(&self) -> bool {
        use OperatorBase::*;
        matches!(
            self,
            StringEquals | StringEqualsIgnoreCase | StringLike | ArnEquals | ArnLike | IpAddress
        )
    }

    /// Returns whether values of this operator may contain `*` and `?` wildcards.
    pub fn takes_wildcards(&self) -> bool {
        use OperatorBase::*;
        matches!(
            self,
            StringLike | StringNotLike | ArnLike | ArnNotLike | ArnEquals | ArnNotEquals
        )
    }
}

impl Operator {
    /// Parses `[ForAnyValue:|ForAllValues:]Name[IfExists]`.
    pub fn parse(text: &str) -> Operator {
        let (qualifier, rest) = match text.split_once(':') {
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case("ForAnyValue") => {
                (SetQualifier::ForAnyValue, rest)
            }
            Some((prefix, rest)) if prefix.eq_ignore_ascii_case("ForAllValues") => {
                (SetQualifier::ForAllValues, rest)
            }
            _ => (SetQualifier::None, text),
        };
        let lower = rest.to_ascii_lowercase();
        let (name, if_exists) = match lower.strip_suffix("ifexists") {
            Some(stripped) if !stripped.is_empty() => {
                (rest.get(..stripped.len()).unwrap_or(rest), true)
            }
            _ => (rest, false),
        };
        let base = if text.contains(':') && qualifier == SetQualifier::None {
            OperatorBase::Unknown(text.to_string())
        } else {
            OperatorBase::from_name(name)
        };
        let base = match (&base, if_exists) {
            // IAM has no NullIfExists.
            (OperatorBase::Null, true) => OperatorBase::Unknown(text.to_string()),
            _ => base,
        };
        Operator {
            base,
            qualifier,
            if_exists,
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

impl Statement {
    /// `Statement[2] (`PublicRead`)`, or `Statement[2]` without a Sid.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => {
                format!(
                    "Statement[{}] (`{}`)",
                    self.index,
                    crate::render::truncate(sid, MAX_SID_IN_LABEL)
                )
            }
            _ => format!("Statement[{}]", self.index),
        }
    }

    /// Returns the first condition whose operator the analysis does not know.
    pub fn unknown_operator(&self) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|condition| matches!(condition.operator.base, OperatorBase::Unknown(_)))
    }
}

impl Policy {
    /// Parses a policy document from its JSON text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let value: Value =
            super::strict::parse(text).map_err(|source| PolicyError::InvalidJson { source })?;
        Policy::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Policy, PolicyError> {
        let object = value.as_object().ok_or(PolicyError::NotAnObject)?;
        let version = match object.get("Version") {
            None => None,
            Some(Value::String(version)) => Some(version.clone()),
            Some(other) => {
                return Err(PolicyError::InvalidElement {
                    statement: None,
                    element: "Version",
                    found: kind_of(other),
                });
            }
        };
        let statements = match object.get("Statement") {
            None => return Err(PolicyError::MissingStatement),
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            Some(other) => {
                return Err(PolicyError::InvalidElement {
                    statement: None,
                    element: "Statement",
                    found: kind_of(other),
                });
            }
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, item)| parse_statement(index, item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy {
            version,
            statements,
        })
    }
}

fn parse_statement(index: usize, value: &Value) -> Result<Statement, PolicyError> {
    let object = value.as_object().ok_or(PolicyError::InvalidElement {
        statement: Some(index),
        element: "Statement",
        found: kind_of(value),
    })?;
    let sid = match object.get("Sid") {
        None | Some(Value::Null) => None,
        Some(Value::String(sid)) => Some(sid.clone()),
        Some(other) => {
            return Err(PolicyError::InvalidElement {
                statement: Some(index),
                element: "Sid",
                found: kind_of(other),
            });
        }
    };
    let effect = match object.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => {
            return Err(PolicyError::InvalidEffect {
                statement: index,
                found: other.to_string(),
            });
        }
        None => {
            return Err(PolicyError::MissingElement {
                statement: index,
                element: "Effect",
            });
        }
    };
    let principal = parse_principals(index, object)?;
    let action = parse_matcher(index, object, "Action", "NotAction")?;
    let resource = parse_matcher(index, object, "Resource", "NotResource")?;
    let conditions = match object.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => parse_conditions(index, map)?,
        Some(other) => {
            return Err(PolicyError::InvalidElement {
                statement: Some(index),
                element: "Condition",
                found: kind_of(other),
            });
        }
    };
    Ok(Statement {
        index,
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn parse_principals(index: usize, object: &Map<String, Value>) -> Result<Principals, PolicyError> {
    let (negated, value) = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::BothElements {
                statement: index,
                element: "Principal",
            });
        }
        (Some(value), None) => (false, value),
        (None, Some(value)) => (true, value),
        (None, None) => {
            return Err(PolicyError::MissingElement {
                statement: index,
                element: "Principal",
            });
        }
    };
    let element = if negated { "NotPrincipal" } else { "Principal" };
    let entries = match value {
        Value::String(text) if text == "*" => vec![PrincipalEntry {
            kind: PrincipalKind::Wildcard,
            value: "*".to_string(),
        }],
        Value::Object(map) => {
            let mut entries = Vec::new();
            for (kind_name, values) in map {
                let kind = match kind_name.as_str() {
                    "AWS" => PrincipalKind::Aws,
                    "Service" => PrincipalKind::Service,
                    "Federated" => PrincipalKind::Federated,
                    "CanonicalUser" => PrincipalKind::CanonicalUser,
                    other => PrincipalKind::Other(other.to_string()),
                };
                for value in string_list(index, element, values)? {
                    entries.push(PrincipalEntry {
                        kind: kind.clone(),
                        value,
                    });
                }
            }
            entries
        }
        other => {
            return Err(PolicyError::InvalidElement {
                statement: Some(index),
                element,
                found: kind_of(other),
            });
        }
    };
    Ok(Principals { negated, entries })
}

fn parse_matcher(
    index: usize,
    object: &Map<String, Value>,
    element: &'static str,
    negated_element: &'static str,
) -> Result<Matcher, PolicyError> {
    match (object.get(element), object.get(negated_element)) {
        (Some(_), Some(_)) => Err(PolicyError::BothElements {
            statement: index,
            element,
        }),
        (Some(value), None) => Ok(Matcher {
            negated: false,
            patterns: string_list(index, element, value)?,
        }),
        (None, Some(value)) => Ok(Matcher {
            negated: true,
            patterns: string_list(index, negated_element, value)?,
        }),
        (None, None) => Err(PolicyError::MissingElement {
            statement: index,
            element,
        }),
    }
}

fn parse_conditions(index: usize, map: &Map<String, Value>) -> Result<Vec<Condition>, PolicyError> {
    let mut conditions = Vec::new();
    for (operator_text, keys) in map {
        let keys = keys.as_object().ok_or(PolicyError::InvalidElement {
            statement: Some(index),
            element: "Condition",
            found: kind_of(keys),
        })?;
        for (key, values) in keys {
            conditions.push(Condition {
                operator_text: operator_text.clone(),
                operator: Operator::parse(operator_text),
                key: key.clone(),
                values: scalar_list(index, values)?,
            });
        }
    }
    Ok(conditions)
}

fn string_list(
    index: usize,
    element: &'static str,
    value: &Value,
) -> Result<Vec<String>, PolicyError> {
    let invalid = |found: &Value| PolicyError::InvalidElement {
        statement: Some(index),
        element,
        found: kind_of(found),
    };
    match value {
        Value::String(text) => Ok(vec![text.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(item))
            })
            .collect(),
        other => Err(invalid(other)),
    }
}

/// Condition values: strings, booleans and numbers, alone or in a list.
fn scalar_list(index: usize, value: &Value) -> Result<Vec<String>, PolicyError> {
    let scalar = |item: &Value| match item {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(PolicyError::InvalidElement {
            statement: Some(index),
            element: "Condition",
            found: kind_of(other),
        }),
    };
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        single => Ok(vec![scalar(single)?]),
    }
}

impl Policy {
    /// Serialises the policy back to a JSON document with the same meaning. Single
    /// values come out as one-element lists and condition values as strings, which
    /// IAM reads the same way.
    pub fn to_value(&self) -> Value {
        let mut document = Map::new();
        if let Some(version) = &self.version {
            document.insert("Version".into(), Value::String(version.clone()));
        }
        let statements = self.statements.iter().map(Statement::to_value).collect();
        document.insert("Statement".into(), Value::Array(statements));
        Value::Object(document)
    }
}

impl Statement {
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        if let Some(sid) = &self.sid {
            object.insert("Sid".into(), Value::String(sid.clone()));
        }
        object.insert("Effect".into(), Value::String(self.effect.to_string()));
        let principal_key = if self.principal.negated {
            "NotPrincipal"
        } else {
            "Principal"
        };
        object.insert(principal_key.into(), principals_to_value(&self.principal));
        let action_key = if self.action.negated {
            "NotAction"
        } else {
            "Action"
        };
        object.insert(action_key.into(), strings(&self.action.patterns));
        let resource_key = if self.resource.negated {
            "NotResource"
        } else {
            "Resource"
        };
        object.insert(resource_key.into(), strings(&self.resource.patterns));
        if !self.conditions.is_empty() {
            let mut operators: Map<String, Value> = Map::new();
            for condition in &self.conditions {
                let keys = operators
                    .entry(condition.operator_text.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = keys {
                    keys.insert(condition.key.clone(), strings(&condition.values));
                }
            }
            object.insert("Condition".into(), Value::Object(operators));
        }
        Value::Object(object)
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

fn principals_to_value(principals: &Principals) -> Value {
    if principals
        .entries
        .iter()
        .any(|entry| entry.kind == PrincipalKind::Wildcard)
    {
        return Value::String("*".into());
    }
    let mut map: Map<String, Value> = Map::new();
    for entry in &principals.entries {
        let name = match &entry.kind {
            PrincipalKind::Wildcard => continue,
            PrincipalKind::Aws => "AWS".to_string(),
            PrincipalKind::Service => "Service".to_string(),
            PrincipalKind::Federated => "Federated".to_string(),
            PrincipalKind::CanonicalUser => "CanonicalUser".to_string(),
            PrincipalKind::Other(name) => name.clone(),
        };
        if let Value::Array(values) = map.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
            values.push(Value::String(entry.value.clone()));
        }
    }
    Value::Object(map)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_parses_qualifier_and_if_exists() {
        let operator = Operator::parse("ForAnyValue:StringLikeIfExists");
        assert_eq!(operator.base, OperatorBase::StringLike);
        assert_eq!(operator.qualifier, SetQualifier::ForAnyValue);
        assert!(operator.if_exists);
    }

    #[test]
    fn operator_unknown_keeps_name() {
        let operator = Operator::parse("StringSortaEquals");
        assert_eq!(
            operator.base,
            OperatorBase::Unknown("StringSortaEquals".into())
        );
    }

    #[test]
    fn statement_object_is_accepted() {
        let policy = Policy::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        )
        .unwrap();
        assert_eq!(policy.statements.len(), 1);
    }

    #[test]
    fn invalid_effect_names_statement() {
        let error = Policy::parse(
            r#"{"Statement":[{"Effect":"allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid policy: Statement[0] has Effect `allow`; use `Allow` or `Deny`"
        );
    }

    #[test]
    fn boolean_condition_value_becomes_text() {
        let policy = Policy::parse(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#,
        )
        .unwrap();
        assert_eq!(
            policy.statements[0].conditions[0].values,
            vec!["false".to_string()]
        );
    }
}
