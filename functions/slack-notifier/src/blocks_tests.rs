use bucketwarden_core::report::UnreadBucket;
use bucketwarden_core::{Change, Setting, Step};
use serde_json::Map;

use super::*;

fn result(id: &str, severity: Severity, outcome: Outcome, reason: &str) -> ControlResult {
    ControlResult {
        id: id.to_string(),
        title: id.to_string(),
        severity,
        outcome,
        reason: reason.to_string(),
        evidence: Map::new(),
        exempt: None,
    }
}

fn sample_bucket(name: &str) -> BucketReport {
    let mut exempt = result(
        "s3.access-logging",
        Severity::Medium,
        Outcome::NotConfigured,
        "server access logging is off",
    );
    exempt.exempt = Some("BUCKETWARDEN_EXEMPTIONS".to_string());
    let mut report = BucketReport::new(
        name,
        "111122223333",
        "eu-west-1",
        vec![
            result(
                "s3.versioning",
                Severity::Medium,
                Outcome::Fail,
                "versioning is suspended",
            ),
            result(
                "s3.public-policy",
                Severity::Critical,
                Outcome::Fail,
                "statement `<!channel> & AllowAll` grants s3:GetObject to \"*\"",
            ),
            result(
                "s3.block-public-access",
                Severity::High,
                Outcome::Fail,
                "BlockPublicPolicy is off",
            ),
            result(
                "s3.encryption",
                Severity::High,
                Outcome::Pass,
                "SSE-KMS with a customer managed key",
            ),
            result(
                "s3.object-lock",
                Severity::Low,
                Outcome::Error,
                "GetObjectLockConfiguration was denied",
            ),
            exempt,
        ],
    );
    report.applied = vec![AppliedStep {
        step: Step {
            bucket: name.to_string(),
            setting: Setting::PublicAccessBlock,
            change: Change::Replace,
            before: None,
            after: serde_json::json!({"BlockPublicPolicy": true}),
            controls: vec!["s3.block-public-access".to_string()],
            reason: "turn on Block Public Access".to_string(),
        },
        backups: vec![format!(
            "s3://backups/backups/{name}/public_access_block/1.json"
        )],
        written: true,
        verified: false,
        note: Some("read-back still shows <BlockPublicPolicy> off".to_string()),
    }];
    report
}

fn sample_account() -> AccountReport {
    let mut account = AccountReport {
        account_id: Some("111122223333".to_string()),
        ..AccountReport::default()
    };
    account.push(sample_bucket("demo-public-policy"));
    account.push(BucketReport::new(
        "demo-logs",
        "111122223333",
        "us-east-1",
        vec![
            result(
                "s3.encryption",
                Severity::High,
                Outcome::NotConfigured,
                "no default encryption rule",
            ),
            result("s3.versioning", Severity::Medium, Outcome::Pass, "enabled"),
        ],
    ));
    account.unread.push(UnreadBucket {
        bucket: "demo-gone".to_string(),
        reason: "NoSuchBucket".to_string(),
    });
    account
}

/// Returns every mrkdwn text in the message: the fallback, sections, fields
/// and context, but not the plain-text header.
fn texts(message: &SlackMessage) -> Vec<String> {
    let mut texts = vec![message.text.clone()];
    for block in message
        .blocks
        .iter()
        .filter(|block| block["type"] != "header")
    {
        if let Some(text) = block["text"]["text"].as_str() {
            texts.push(text.to_string());
        }
        for list in ["fields", "elements"] {
            for item in block[list].as_array().into_iter().flatten() {
                texts.push(item["text"].as_str().unwrap().to_string());
            }
        }
    }
    texts
}

fn assert_within_limits(message: &SlackMessage) {
    assert!(
        message.blocks.len() <= MAX_BLOCKS,
        "{} blocks",
        message.blocks.len()
    );
    for block in &message.blocks {
        let limit = if block["type"] == "header" {
            MAX_HEADER_CHARS
        } else {
            MAX_TEXT_CHARS
        };
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(
                text.chars().count() <= limit,
                "{} chars in {block}",
                text.chars().count()
            );
        }
        // Slack allows 2000 characters in a section field and 3000 in a context text.
        for (list, max_chars) in [("fields", 2000), ("elements", MAX_TEXT_CHARS)] {
            let items = block[list].as_array().cloned().unwrap_or_default();
            assert!(items.len() <= 10, "{} items in {list}", items.len());
            for item in items {
                let count = item["text"].as_str().unwrap().chars().count();
                assert!(count <= max_chars, "{count} chars in a {list} item");
            }
        }
    }
}

#[test]
fn bucket_report_snapshot() {
    let message = bucket_message(
        Some("Bucket Warden: demo-public-policy FAIL critical (4 findings)"),
        &sample_bucket("demo-public-policy"),
    );
    insta::assert_json_snapshot!(message);
}

#[test]
fn account_report_snapshot() {
    let message = account_message(
        Some("Bucket Warden: 2 buckets audited, 5 findings"),
        &sample_account(),
    );
    insta::assert_json_snapshot!(message);
}

#[test]
fn plain_message_snapshot() {
    let message = plain_message(
        Some("Something else"),
        "First line\n\tindented <b>&</b>\n\nlast line",
    );
    insta::assert_json_snapshot!(message);
}

#[test]
fn mrkdwn_escapes_specials_and_controls() {
    assert_eq!(escape_mrkdwn("a & b"), "a &amp; b");
    assert_eq!(escape_mrkdwn("<!channel>"), "&lt;!channel&gt;");
    assert_eq!(
        escape_mrkdwn("<https://evil.example|click>"),
        "&lt;https://evil.example|click&gt;"
    );
    assert_eq!(
        escape_mrkdwn("line\nbreak\u{1b}[31m"),
        "line\\u{a}break\\u{1b}[31m"
    );
    assert_eq!(escape_mrkdwn("*bold* `code`"), "*bold* `code`");
}

#[test]
fn report_text_escaped_in_every_mrkdwn_block() {
    let mut report = sample_bucket("demo");
    report.region = "<!here>".to_string();
    let message = bucket_message(Some("subject <!everyone> & more\nline"), &report);
    for text in texts(&message) {
        assert!(!text.contains('<'), "{text}");
        assert!(!text.contains('>'), "{text}");
    }
    let header = message.blocks[0]["text"]["text"].as_str().unwrap();
    // Header blocks are plain text: cleaned, not escaped.
    assert_eq!(header, "subject <!everyone> & more\\u{a}line");
    assert_eq!(
        message.text,
        "subject &lt;!everyone&gt; &amp; more\\u{a}line"
    );
}

#[test]
fn findings_most_severe_first() {
    let message = bucket_message(None, &sample_bucket("demo"));
    let findings = message.blocks[2]["text"]["text"].as_str().unwrap();
    let lines: Vec<&str> = findings.lines().collect();
    assert_eq!(lines.len(), 4, "{findings}");
    assert!(
        lines[0].starts_with("*CRITICAL* FAIL `s3.public-policy`: "),
        "{findings}"
    );
    assert!(
        lines[1].starts_with("*HIGH* FAIL `s3.block-public-access`: "),
        "{findings}"
    );
    assert!(
        lines[2].starts_with("*MEDIUM* FAIL `s3.versioning`: "),
        "{findings}"
    );
    assert!(
        lines[3].starts_with("*LOW* ERROR `s3.object-lock`: "),
        "{findings}"
    );
    assert!(
        !findings.contains("s3.access-logging"),
        "exempt finding listed: {findings}"
    );
    assert!(
        !findings.contains("s3.encryption"),
        "passing control listed: {findings}"
    );
}

#[test]
fn missing_subject_falls_back() {
    let message = bucket_message(Some("  "), &sample_bucket("demo"));
    assert_eq!(
        message.blocks[0]["text"]["text"],
        "Bucket Warden: demo FAIL critical (4 findings)"
    );
    let message = account_message(None, &sample_account());
    assert_eq!(
        message.blocks[0]["text"]["text"],
        "Bucket Warden: account audit"
    );
    let message = plain_message(None, "text");
    assert_eq!(
        message.blocks[0]["text"]["text"],
        "Bucket Warden notification"
    );
}

#[test]
fn long_header_truncated() {
    let subject = "x".repeat(400);
    let message = plain_message(Some(&subject), "");
    let header = message.blocks[0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), MAX_HEADER_CHARS);
    assert!(header.ends_with("..."), "{header}");
}

#[test]
fn long_reason_truncated_before_escaping() {
    let reason = "&".repeat(1000);
    let report = BucketReport::new(
        "demo",
        "111122223333",
        "eu-west-1",
        vec![result(
            "s3.versioning",
            Severity::High,
            Outcome::Fail,
            &reason,
        )],
    );
    let message = bucket_message(None, &report);
    let line = message.blocks[2]["text"]["text"].as_str().unwrap();
    let (_, shown) = line.split_once(": ").unwrap();
    assert_eq!(
        shown,
        format!("{}...", "&amp;".repeat(MAX_REASON_CHARS - 3))
    );
}

#[test]
fn findings_beyond_ten_counted() {
    let results: Vec<ControlResult> = (0..25)
        .map(|index| {
            result(
                &format!("s3.control-{index:02}"),
                Severity::High,
                Outcome::Fail,
                &"<&>".repeat(200),
            )
        })
        .collect();
    let report = BucketReport::new("demo", "111122223333", "eu-west-1", results);
    let message = bucket_message(None, &report);
    assert_within_limits(&message);
    let listed = texts(&message)
        .iter()
        .map(|text| text.matches("*HIGH* FAIL").count())
        .sum::<usize>();
    assert_eq!(listed, MAX_FINDINGS);
    let more = message.blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap();
    assert!(more.contains("15 more findings"), "{more}");
    assert!(more.contains("bucketwarden audit --bucket demo"), "{more}");
}

#[test]
fn large_reports_stay_within_limits() {
    let mut account = AccountReport::default();
    for index in 0..200 {
        let mut bucket = sample_bucket(&format!("bucket-{index}"));
        for applied in &mut bucket.applied {
            applied.note = Some("<>&".repeat(500));
        }
        account.push(bucket);
    }
    let message = account_message(Some(&"s".repeat(1000)), &account);
    assert_within_limits(&message);
    let context = message.blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap();
    assert!(
        context.starts_with("*What Bucket Warden changed:*"),
        "{context}"
    );
    assert!(context.contains("more steps."), "{context}");

    let body: String = (0..5000).map(|line| format!("line {line} <&>\n")).collect();
    let message = plain_message(None, &body);
    assert_within_limits(&message);
    let note = message.blocks.last().unwrap()["elements"][0]["text"]
        .as_str()
        .unwrap();
    assert!(note.contains("more lines not shown"), "{note}");
}

#[test]
fn passing_bucket_says_so() {
    let report = BucketReport::new(
        "demo",
        "111122223333",
        "eu-west-1",
        vec![result(
            "s3.versioning",
            Severity::Medium,
            Outcome::Pass,
            "enabled",
        )],
    );
    let message = bucket_message(None, &report);
    assert_eq!(message.blocks.len(), 3);
    assert_eq!(message.blocks[2]["text"]["text"], "Every control passes.");
    assert_eq!(message.blocks[1]["fields"][3]["text"], "*Findings*\nnone");
}
