//! Hostile text in snapshots: control characters and a megabyte of text in tags and
//! Sids cannot break a report's text, Markdown, email subject or email body.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking, with the value in the message"
)]

use bucketwarden_core::render::{self, MAX_SUBJECT_CHARS};
use bucketwarden_core::{Config, Snapshot, evaluate};
use serde_json::json;

fn hostile_snapshot() -> Snapshot {
    let megabyte = "x".repeat(1024 * 1024);
    let sid = format!("evil\n\u{1b}[31mred\r\u{7}|`<img src=x>{megabyte}");
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    ]});
    let document = json!({
        "Bucket": "b",
        "AccountId": "111122223333",
        "Region": "us-east-1",
        "Tags": {"note\n": format!("line\nbreak\u{0}{megabyte}"), "bucketwarden:exempt": "tls-required\nall"},
        "GetBucketPolicy": {"Policy": policy.to_string()},
    });
    Snapshot::from_json(&document.to_string()).unwrap()
}

fn has_raw_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n')
}

#[test]
fn renderings_stay_clean() {
    let report = evaluate(&hostile_snapshot(), &Config::default());
    let text = render::bucket_text(&report);
    let markdown = render::bucket_markdown(&report);
    let subject = render::email_subject(&report);
    let body = render::email_body(&report);

    assert!(!has_raw_control(&text), "text output");
    assert!(!has_raw_control(&markdown), "markdown output");
    assert!(!has_raw_control(&body), "email body");
    assert!(!subject.chars().any(char::is_control), "{subject}");
    assert!(subject.chars().count() <= MAX_SUBJECT_CHARS);
    // Every table row stays one line: one per control, a header and the totals.
    assert_eq!(text.lines().count(), 18 + 2);
    assert!(!markdown.contains("<img"));
}

#[test]
fn long_sid_is_shortened_in_reasons() {
    let report = evaluate(&hostile_snapshot(), &Config::default());
    let reason = &report.result("policy-not-public").unwrap().reason;
    assert!(reason.len() < 1000, "{} bytes", reason.len());
}

#[test]
fn exempt_tag_splits_on_white_space() {
    let report = evaluate(&hostile_snapshot(), &Config::default());
    let tls = report.result("tls-required").unwrap();
    assert!(tls.exempt.is_some(), "the tag lists tls-required and all");
}
