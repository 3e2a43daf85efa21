//! Conversion of SDK outputs into the snapshot types, in the shape that the
//! AWS CLI prints them: PascalCase names (camelCase for Access Analyzer), enum
//! values as their wire strings, and unset optional fields left out.

pub(crate) mod account;
pub(crate) mod bucket;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value};

/// A JSON object that leaves out fields whose value is `None`.
#[derive(Default)]
pub(crate) struct JsonObject(Map<String, Value>);

impl JsonObject {
    pub(crate) fn field(mut self, name: &str, value: Option<impl Into<Value>>) -> Self {
        if let Some(value) = value {
            self.0.insert(name.to_owned(), value.into());
        }
        self
    }

    pub(crate) fn build(self) -> Value {
        Value::Object(self.0)
    }

    pub(crate) fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

/// Formats a timestamp as RFC 3339 (`2024-05-01T12:00:00Z`). The AWS CLI
/// prints the same instant as `2024-05-01T12:00:00+00:00`.
pub(crate) fn timestamp(value: &DateTime) -> Option<String> {
    value.fmt(Format::DateTime).ok()
}

/// Converts a list of SDK enum values to their wire strings.
pub(crate) fn strings<T: AsRef<str>>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .map(|value| value.as_ref().to_owned())
        .collect()
}
