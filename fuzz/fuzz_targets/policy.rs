//! Parses arbitrary bytes as a bucket policy, then runs the reach and TLS analyses
//! and a full evaluation of a snapshot that carries the text as its policy.

#![no_main]

use bucketwarden_core::policy::{BucketArns, Policy, Trust, analyse, analyse_tls};
use bucketwarden_core::{Config, Snapshot, evaluate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(policy) = Policy::parse(text) {
        let arns = BucketArns::new("example-bucket");
        let trust = Trust {
            owner_account: "111122223333",
            ..Trust::default()
        };
        let analysis = analyse(&policy, &arns, &trust);
        for grant in &analysis.public_grants {
            let _ = grant.sentence(&arns);
        }
        let _ = analyse_tls(&policy, &arns);
        let _ = Policy::from_value(&policy.to_value());
    }
    let document = serde_json::json!({
        "Bucket": "example-bucket",
        "AccountId": "111122223333",
        "Region": "us-east-1",
        "GetBucketPolicy": {"Policy": text},
    });
    if let Ok(snapshot) = Snapshot::from_json(&document.to_string()) {
        let _ = evaluate(&snapshot, &Config::default());
    }
});
