//! Rewriting the `"AWS"` principal values of a policy document, as IAM shows a role trust
//! policy whose named user or role was deleted: the ARN is replaced by the unique id it was
//! bound to when the policy was saved, which no principal matches any more — not even a new
//! principal of the same name (IAM User Guide, "AWS JSON policy elements: Principal", IAM
//! user and IAM role principals).
//!
//! The rewrite walks the same JSON tree and the same element names as [`crate::parse`], so
//! what it replaces is exactly what evaluation would have matched.

use crate::json::Json;

/// Replaces every string under `"AWS"` in a Principal or NotPrincipal element for which
/// `replace` returns a new value. Returns the rewritten document (compact JSON, keys in
/// their original order), or `None` when nothing was replaced or `text` is not a JSON
/// object (a document that does not parse is left to [`crate::parse`] to report).
pub fn replace_aws_principals(
    text: &str,
    replace: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut json = Json::parse(text).ok()?;
    let Json::Object(top) = &mut json else {
        return None;
    };
    let mut changed = false;
    for (key, value) in top.iter_mut() {
        if key != "Statement" {
            continue;
        }
        match value {
            Json::Array(items) => {
                for item in items {
                    statement(item, replace, &mut changed);
                }
            }
            item @ Json::Object(_) => statement(item, replace, &mut changed),
            _ => {}
        }
    }
    changed.then(|| json.to_text())
}

fn statement(item: &mut Json, replace: &dyn Fn(&str) -> Option<String>, changed: &mut bool) {
    let Json::Object(elements) = item else {
        return;
    };
    for (element, value) in elements.iter_mut() {
        if element != "Principal" && element != "NotPrincipal" {
            continue;
        }
        let Json::Object(kinds) = value else {
            continue;
        };
        for (kind, values) in kinds.iter_mut() {
            if kind != "AWS" {
                continue;
            }
            match values {
                Json::String(s) => one(s, replace, changed),
                Json::Array(list) => {
                    for v in list {
                        if let Json::String(s) = v {
                            one(s, replace, changed);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn one(value: &mut String, replace: &dyn Fn(&str) -> Option<String>, changed: &mut bool) {
    if let Some(new) = replace(value) {
        if new != *value {
            *value = new;
            *changed = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, PolicyKind};

    const BOB: &str = "arn:aws:iam::111122223333:user/bob";
    const OPS: &str = "arn:aws:iam::111122223333:role/ops";

    fn gone(arn: &str) -> Option<String> {
        (arn == BOB).then(|| "AIDAEXAMPLEBOBID12345".to_owned())
    }

    #[test]
    fn replaces_aws_values_in_principal_and_not_principal_only() {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[
              {{"Effect":"Allow","Principal":{{"AWS":["{BOB}","{OPS}"]}},"Action":"sts:AssumeRole"}},
              {{"Effect":"Deny","NotPrincipal":{{"AWS":"{BOB}"}},"Action":"sts:AssumeRole",
                "Condition":{{"StringEquals":{{"aws:PrincipalArn":"{BOB}"}}}}}}]}}"#
        );
        let out = replace_aws_principals(&doc, &gone).expect("changed");
        assert_eq!(out.matches("AIDAEXAMPLEBOBID12345").count(), 2, "{out}");
        // Conditions keep the ARN (AWS does not bind condition values), others stay.
        assert_eq!(out.matches(BOB).count(), 1, "{out}");
        assert!(out.contains(OPS));
        let p = parse(&out, PolicyKind::Trust).expect("still a valid trust policy");
        assert_eq!(p.named_principals(), vec![OPS]);
    }

    #[test]
    fn single_statement_objects_and_unchanged_documents() {
        let doc = format!(
            r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"sts:AssumeRole"}}}}"#
        );
        assert!(replace_aws_principals(&doc, &gone)
            .is_some_and(|d| d.contains("AIDAEXAMPLEBOBID12345")));
        let other = doc.replace(BOB, OPS);
        assert_eq!(replace_aws_principals(&other, &gone), None);
        assert_eq!(replace_aws_principals("not json", &gone), None);
        assert_eq!(replace_aws_principals("[1]", &gone), None);
    }

    #[test]
    fn named_principals_are_users_and_roles_once() {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[
              {{"Effect":"Allow","Principal":{{"AWS":["{BOB}","{OPS}","111122223333","*",
                "arn:aws:sts::111122223333:assumed-role/ops/s"],"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}},
              {{"Effect":"Allow","Principal":{{"AWS":"{BOB}"}},"Action":"sts:TagSession"}}]}}"#
        );
        let p = parse(&doc, PolicyKind::Trust).expect("valid");
        assert_eq!(p.named_principals(), vec![BOB, OPS]);
    }
}
