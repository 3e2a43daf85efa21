//! Reads arbitrary bytes as a snapshot file and evaluates it, as
//! `bucketwarden evaluate --snapshot FILE` does.

#![no_main]

use bucketwarden_core::{Config, Snapshot, evaluate, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(snapshot) = Snapshot::from_json(text) {
        let report = evaluate(&snapshot, &Config::default());
        let _ = render::bucket_text(&report);
        let _ = render::email_body(&report);
        let _ = render::email_subject(&report);
    }
});
