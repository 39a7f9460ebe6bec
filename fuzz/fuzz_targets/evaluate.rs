//! Fuzzes the case runner end to end: parsing a case line, compiling its policies and
//! evaluating must never panic, whatever the policies, request and context hold.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let out = iam_policy::run_case_line(line, 1);
    assert!(out.starts_with('{'));
});
