//! Fuzzes the policy parser and the validation report: any input must give a policy or an
//! error, never a panic, for every policy kind.
#![no_main]

use iam_policy::{parse, validate_document, PolicyKind};
use libfuzzer_sys::fuzz_target;

const KINDS: [PolicyKind; 8] = [
    PolicyKind::Managed,
    PolicyKind::UserInline,
    PolicyKind::GroupInline,
    PolicyKind::RoleInline,
    PolicyKind::Trust,
    PolicyKind::Resource,
    PolicyKind::Boundary,
    PolicyKind::Session,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in KINDS {
        let parsed = parse(text, kind);
        let report = validate_document(text, kind);
        // The report's errors agree with the parser.
        assert_eq!(parsed.is_ok(), report.errors.is_empty());
    }
});
