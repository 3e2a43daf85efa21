//! Applies policy edits to arbitrary documents. The merge must not panic, and after an
//! addition every original statement is still in the result, unchanged and in order.

#![no_main]

use bucketwarden_core::merge::{PolicyEdit, edit_policy, tls_statement};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const BUCKET: &str = "example-bucket";
const OWNER: &str = "111122223333";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(document) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let edits = match selector % 4 {
        0 => vec![PolicyEdit::AddStatement(tls_statement(BUCKET))],
        1 => vec![PolicyEdit::RemovePublicStatements],
        2 => vec![PolicyEdit::RemoveStatementsWithSid(vec!["Public".to_string()])],
        _ => vec![PolicyEdit::RemovePublicStatements, PolicyEdit::AddStatement(tls_statement(BUCKET))],
    };
    let Ok(Some(result)) = edit_policy(Some(&document), &edits, BUCKET, OWNER) else {
        return;
    };
    // Additions only: every original statement is still there, in order, unchanged.
    if selector % 4 == 0 {
        let original = statements(&document);
        let merged = statements(&result);
        assert!(merged.len() >= original.len());
        assert_eq!(&merged[..original.len()], &original[..]);
    }
});

fn statements(document: &Value) -> Vec<Value> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    }
}
