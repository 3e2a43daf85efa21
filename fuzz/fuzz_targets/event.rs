//! Classifies arbitrary bytes as an EventBridge event, as the bucket-event function
//! does with each event it receives, and checks what an accepted event may contain.

#![no_main]

use bucketwarden_core::event::{Disposition, EventFilter, classify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let filter = EventFilter {
        account_id: "111122223333".to_string(),
        allowed_accounts: vec!["444455556666".to_string()],
        own_role_name: Some("bucketwarden-bucket-event".to_string()),
    };
    if let Ok(Disposition::Audit(event)) = classify(raw, &filter) {
        // An audited event names a bucket S3 could have created, from an accepted
        // account, so nothing else reaches requests, logs or reports.
        assert!((3..=63).contains(&event.bucket.len()), "{:?}", event.bucket);
        assert!(
            event
                .bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
            "{:?}",
            event.bucket
        );
        assert!(
            event.account == filter.account_id || filter.allowed_accounts.contains(&event.account),
            "{:?}",
            event.account
        );
    }
});
