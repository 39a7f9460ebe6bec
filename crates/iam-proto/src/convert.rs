//! Model <-> protobuf conversions.

use crate::v1;

pub fn tag_to_proto(t: &iam_model::Tag) -> v1::Tag {
    v1::Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    }
}

pub fn tag_from_proto(t: v1::Tag) -> iam_model::Tag {
    iam_model::Tag {
        key: t.key,
        value: t.value,
    }
}

pub fn account_to_proto(a: &iam_model::Account) -> v1::Account {
    v1::Account {
        id: a.id.clone(),
        name: a.name.clone(),
        email: a.email.clone(),
        root_arn: a.root_arn.clone(),
        created_ms: i64::try_from(a.created_ms).unwrap_or(i64::MAX),
    }
}

pub fn user_to_proto(u: &iam_model::User) -> v1::User {
    v1::User {
        account: u.account.clone(),
        name: u.name.clone(),
        path: u.path.clone(),
        id: u.id.clone(),
        arn: u.arn.clone(),
        created_ms: i64::try_from(u.created_ms).unwrap_or(i64::MAX),
        tags: u.tags.iter().map(tag_to_proto).collect(),
        permissions_boundary: u.permissions_boundary.clone().unwrap_or_default(),
    }
}
