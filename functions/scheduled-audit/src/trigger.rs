//! The trigger of an invocation: the schedule, or a continuation of a run that did
//! not finish in its previous invocation.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::err::HandlerError;

/// The position of a run that continues in a later invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// The run's id: the keys of its partial results start with `runs/RUN_ID/`.
    pub run_id: String,
    /// When the run started (ISO 8601).
    pub started_at: String,
    /// The last bucket audited, in name order; the run goes on after it.
    pub after: String,
    /// How many invocations the run has had so far.
    pub invocations: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Continue(Continuation),
}

/// The body of a continuation message: `{"continuation": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ContinuationMessage {
    pub continuation: Continuation,
}

/// Reads the trigger from an EventBridge scheduled event, an SQS event carrying one
/// continuation message, or a continuation message invoked directly.
pub fn parse(event: &Value) -> Result<Trigger, HandlerError> {
    if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        return Ok(Trigger::Schedule);
    }
    if event.get("continuation").is_some() {
        return continuation(event);
    }
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let [record] = records.as_slice() else {
            return Err(HandlerError::MalformedEvent(format!(
                "an SQS event carries {} records; the continuation queue's event source mapping must use batch size 1",
                records.len()
            )));
        };
        let body = record.get("body").and_then(Value::as_str).ok_or_else(|| {
            HandlerError::MalformedEvent("the SQS record has no `body`".to_string())
        })?;
        let message: Value = serde_json::from_str(body).map_err(|error| {
            HandlerError::MalformedEvent(format!("the SQS message body is not JSON: {error}"))
        })?;
        return continuation(&message);
    }
    Err(HandlerError::MalformedEvent(
        "expected an EventBridge \"Scheduled Event\" or a continuation message {\"continuation\": {...}}".to_string(),
    ))
}

fn continuation(message: &Value) -> Result<Trigger, HandlerError> {
    let parsed: ContinuationMessage = serde_json::from_value(message.clone()).map_err(|error| {
        HandlerError::MalformedEvent(format!(
            "invalid continuation message ({error}); it needs run_id, started_at, after and invocations"
        ))
    })?;
    let run_id = &parsed.continuation.run_id;
    let valid_id = !run_id.is_empty()
        && run_id.len() <= 64
        && run_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid_id {
        return Err(HandlerError::MalformedEvent(format!(
            "invalid continuation run_id `{}`: use letters, digits, `-` and `.` only",
            bucketwarden_core::render::truncate(&bucketwarden_core::render::clean(run_id), 64)
        )));
    }
    Ok(Trigger::Continue(parsed.continuation))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scheduled_event_starts_a_run() {
        let event = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        assert_eq!(parse(&event).unwrap(), Trigger::Schedule);
    }

    #[test]
    fn sqs_continuation_is_read() {
        let body = json!({"continuation": {"run_id": "r-1", "started_at": "t", "after": "b", "invocations": 2}});
        let event = json!({"Records": [{"body": body.to_string()}]});
        let Trigger::Continue(continuation) = parse(&event).unwrap() else {
            panic!("expected a continuation")
        };
        assert_eq!(continuation.after, "b");
    }

    #[test]
    fn run_id_with_path_characters_is_rejected() {
        let event = json!({"continuation": {"run_id": "../x", "started_at": "t", "after": "b", "invocations": 1}});
        assert!(
            parse(&event)
                .unwrap_err()
                .to_string()
                .contains("invalid continuation run_id")
        );
    }

    #[test]
    fn unknown_event_is_malformed() {
        let error = parse(&json!({"hello": 1})).unwrap_err();
        assert_eq!(error.error_type(), "MalformedEvent");
    }
}
