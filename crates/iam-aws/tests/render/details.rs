//! GetAccountAuthorizationDetails: botocore's member order for every detail list, inline
//! documents URL-encoded, memberships, instance profiles, every policy version, the Filter
//! and paging across the four lists.

use super::*;

const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

fn setup() -> Server {
    let mut s = Server::new();
    s.call("Action=CreateUser&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=a");
    s.call("Action=CreateGroup&GroupName=devs");
    s.call("Action=AddUserToGroup&GroupName=devs&UserName=bob");
    s.call(&format!(
        "Action=PutUserPolicy&UserName=bob&PolicyName=s3&PolicyDocument={}",
        enc(DOC)
    ));
    s.call(&format!(
        "Action=CreatePolicy&PolicyName=ro&Description=read&PolicyDocument={}",
        enc(DOC)
    ));
    s.call(&format!(
        "Action=CreatePolicyVersion&PolicyArn=arn:aws:iam::{A}:policy/ro&PolicyDocument={}",
        enc(DOC)
    ));
    s.call(&format!(
        "Action=AttachGroupPolicy&GroupName=devs&PolicyArn=arn:aws:iam::{A}:policy/ro"
    ));
    s.call(&format!(
        "Action=CreateRole&RoleName=app&AssumeRolePolicyDocument={}",
        enc(TRUST)
    ));
    s.call("Action=CreateInstanceProfile&InstanceProfileName=web");
    s.call("Action=AddRoleToInstanceProfile&InstanceProfileName=web&RoleName=app");
    s
}

#[test]
fn every_list_in_botocore_order() {
    let mut s = setup();
    let xml = s.call("Action=GetAccountAuthorizationDetails");
    let doc = enc(DOC).replace('*', "%2A");
    let user = format!(
        "<UserDetailList><member><Path>/</Path><UserName>bob</UserName>\
         <UserId>AIDA00000000000000001</UserId><Arn>arn:aws:iam::{A}:user/bob</Arn>\
         <CreateDate>2024-01-02T03:04:05Z</CreateDate>\
         <UserPolicyList><member><PolicyName>s3</PolicyName><PolicyDocument>{doc}</PolicyDocument></member></UserPolicyList>\
         <GroupList><member>devs</member></GroupList><AttachedManagedPolicies/>\
         <Tags><member><Key>team</Key><Value>a</Value></member></Tags></member></UserDetailList>"
    );
    assert!(xml.contains(&user), "{xml}");
    let group = format!(
        "<GroupDetailList><member><Path>/</Path><GroupName>devs</GroupName>\
         <GroupId>AGPA00000000000000002</GroupId><Arn>arn:aws:iam::{A}:group/devs</Arn>\
         <CreateDate>2024-01-02T03:04:05Z</CreateDate><GroupPolicyList/>\
         <AttachedManagedPolicies><member><PolicyName>ro</PolicyName>\
         <PolicyArn>arn:aws:iam::{A}:policy/ro</PolicyArn></member></AttachedManagedPolicies>\
         </member></GroupDetailList>"
    );
    assert!(xml.contains(&group), "{xml}");
    assert!(
        xml.contains(&format!(
            "<RoleDetailList><member><Path>/</Path><RoleName>app</RoleName>\
             <RoleId>AROA00000000000000004</RoleId><Arn>arn:aws:iam::{A}:role/app</Arn>\
             <CreateDate>2024-01-02T03:04:05Z</CreateDate>\
             <AssumeRolePolicyDocument>{TRUST_ENC}</AssumeRolePolicyDocument>\
             <InstanceProfileList><member><Path>/</Path><InstanceProfileName>web</InstanceProfileName>"
        )),
        "{xml}"
    );
    assert!(
        xml.contains("</InstanceProfileList><RolePolicyList/><AttachedManagedPolicies/></member></RoleDetailList>"),
        "{xml}"
    );
    let policy = format!(
        "<Policies><member><PolicyName>ro</PolicyName><PolicyId>ANPA00000000000000003</PolicyId>\
         <Arn>arn:aws:iam::{A}:policy/ro</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId>\
         <AttachmentCount>1</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>\
         <IsAttachable>true</IsAttachable><Description>read</Description>\
         <CreateDate>2024-01-02T03:04:05Z</CreateDate><UpdateDate>2024-01-02T03:04:05Z</UpdateDate>\
         <PolicyVersionList><member><Document>{doc}</Document><VersionId>v1</VersionId>\
         <IsDefaultVersion>true</IsDefaultVersion><CreateDate>2024-01-02T03:04:05Z</CreateDate></member>\
         <member><Document>{doc}</Document><VersionId>v2</VersionId>\
         <IsDefaultVersion>false</IsDefaultVersion><CreateDate>2024-01-02T03:04:05Z</CreateDate></member>\
         </PolicyVersionList></member></Policies><IsTruncated>false</IsTruncated>"
    );
    assert!(xml.contains(&policy), "{xml}");
}

#[test]
fn filter_and_paging_run_across_the_lists() {
    let mut s = setup();
    let xml = s.call("Action=GetAccountAuthorizationDetails&Filter.member.1=Role&Filter.member.2=LocalManagedPolicy");
    assert!(xml.contains("<UserDetailList/><GroupDetailList/>"), "{xml}");
    assert!(xml.contains("<RoleName>app</RoleName>"), "{xml}");
    assert!(xml.contains("<PolicyName>ro</PolicyName>"), "{xml}");
    let xml = s.call("Action=GetAccountAuthorizationDetails&Filter.member.1=AWSManagedPolicy");
    assert!(
        xml.contains("<UserDetailList/><GroupDetailList/><RoleDetailList/><Policies/><IsTruncated>false</IsTruncated>"),
        "{xml}"
    );
    // One entry per page: user, group, role, policy, then nothing more.
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..5 {
        let mut body = "Action=GetAccountAuthorizationDetails&MaxItems=1".to_owned();
        if let Some(m) = &marker {
            body.push_str(&format!("&Marker={}", enc(m)));
        }
        let xml = s.call(&body);
        for list in [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ] {
            if xml.contains(&format!("<{list}><member>")) {
                seen.push(list);
            }
        }
        marker = xml
            .split_once("<Marker>")
            .map(|(_, rest)| rest.split_once("</Marker>").unwrap().0.to_owned());
        let truncated = xml.contains("<IsTruncated>true</IsTruncated>");
        assert_eq!(truncated, marker.is_some(), "{xml}");
        if marker.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies"
        ]
    );
    let xml = s.call("Action=GetAccountAuthorizationDetails&Marker=zz");
    assert!(xml.contains("<Code>InvalidInput</Code>"), "{xml}");
    let xml = s.call("Action=GetAccountAuthorizationDetails&Filter.member.1=Users");
    assert!(xml.contains("<Code>ValidationError</Code>"), "{xml}");
}
