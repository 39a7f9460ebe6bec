//! Fuzz-ish properties: routing and rendering never panic, whatever the parameters.

use iam_aws::{render, route_as, Caller, Params, SUPPORTED, UNSUPPORTED};
use proptest::prelude::*;

/// Parameter names that matter to routing, plus noise.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("UserName".to_owned()),
        Just("MaxItems".to_owned()),
        Just("Marker".to_owned()),
        Just("Version".to_owned()),
        Just("Tags.member.1.Key".to_owned()),
        Just("Tags.member.0.Value".to_owned()),
        Just("Tags.member.99999999999.Key".to_owned()),
        Just("ContextEntries.member.1.ContextKeyValues.member.x".to_owned()),
        Just("ActionNames.member.1".to_owned()),
        Just("PolicyInputList.member.".to_owned()),
        "[A-Za-z.0-9]{0,24}",
    ]
}

fn action() -> impl Strategy<Value = String> {
    let known: Vec<String> = SUPPORTED
        .iter()
        .chain(UNSUPPORTED)
        .map(|s| s.to_string())
        .collect();
    prop_oneof![proptest::sample::select(known), ".{0,12}"]
}

proptest! {
    #[test]
    fn route_never_panics(
        action in action(),
        pairs in proptest::collection::vec((name(), ".{0,12}"), 0..12),
        caller in 0u8..3,
    ) {
        let mut all = vec![("Action".to_owned(), action)];
        all.extend(pairs);
        let params = Params::new(all);
        let caller = match caller { 0 => Caller::Root, 1 => Caller::User("u"), _ => Caller::Other };
        let _ = route_as("123456789012", caller, &params);
    }

    #[test]
    fn form_parsing_never_panics(body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Params::from_form(&body);
    }

    #[test]
    fn render_never_panics(action in action(), json in r#"[\[\]{}":,0-9a-z_ ]{0,40}"#) {
        let v = serde_json::from_str(&json).unwrap_or(serde_json::Value::Null);
        match render(&action, &iam_aws::Answer::State(v), "rid") {
            Ok(xml) => prop_assert!(xml.ends_with("Response>")),
            Err(e) => prop_assert_eq!(e.code, iam_model::ErrorCode::ServiceFailure),
        }
    }
}
