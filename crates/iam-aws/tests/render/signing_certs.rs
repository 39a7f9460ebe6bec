//! Signing certificates: botocore's element order for `SigningCertificate` (in `Certificate`
//! and in the `Certificates` list), the writes without a result, the calling user by
//! default, and AWS's errors as XML. The certificates are made at test time with `rcgen`.

use super::*;
use iam_aws::{route_as, Caller};

/// The id the test environment's random bytes make (24 times the 8th base32 character).
const ID: &str = "HHHHHHHHHHHHHHHHHHHHHHHH";

/// A self-signed certificate valid from January 1st of `from` to January 1st of `to` (T0
/// is in 2024).
fn cert(from: i32, to: i32) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["signer.example.com".to_owned()]).unwrap();
    p.not_before = rcgen::date_time_ymd(from, 1, 1);
    p.not_after = rcgen::date_time_ymd(to, 1, 1);
    p.self_signed(&key).unwrap().pem()
}

fn error_code(xml: &str, code: &str) {
    assert!(
        xml.contains(&format!("<Code>{code}</Code>")) && xml.contains("<Type>Sender</Type>"),
        "{xml}"
    );
}

#[test]
fn signing_certificates() {
    let mut s = Server::new();
    s.call("Action=CreateUser&UserName=dev");
    let body = cert(2020, 2030);
    let upload = |body: &str| {
        format!(
            "Action=UploadSigningCertificate&UserName=dev&CertificateBody={}",
            enc(body)
        )
    };
    // Refused until the cluster runs release 5.
    let xml = s.call(&upload(&body));
    assert!(
        xml.contains("<Code>ValidationError</Code>") && xml.contains("release 5"),
        "{xml}"
    );
    s.propose(Command::FinalizeRelease {
        release: iam_state::release::SIGNING_CERTIFICATES,
    })
    .unwrap();
    let members = |status: &str| {
        format!(
            "<UserName>dev</UserName><CertificateId>{ID}</CertificateId>\
             <CertificateBody>{}</CertificateBody><Status>{status}</Status>\
             <UploadDate>2024-01-02T03:04:05Z</UploadDate>",
            body.trim()
        )
    };
    assert_eq!(
        s.call(&upload(&body)),
        ok(
            "UploadSigningCertificate",
            &format!("<Certificate>{}</Certificate>", members("Active"))
        )
    );
    let listed = |status: &str| {
        ok(
            "ListSigningCertificates",
            &format!(
                "<Certificates><member>{}</member></Certificates><IsTruncated>false</IsTruncated>",
                members(status)
            ),
        )
    };
    assert_eq!(
        s.call("Action=ListSigningCertificates&UserName=dev"),
        listed("Active")
    );
    // The root, without UserName, has none.
    assert_eq!(
        s.call("Action=ListSigningCertificates"),
        ok(
            "ListSigningCertificates",
            "<Certificates/><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=UpdateSigningCertificate&UserName=dev&CertificateId={ID}&Status=Inactive"
        )),
        envelope("UpdateSigningCertificate", "")
    );
    assert_eq!(
        s.call("Action=ListSigningCertificates&UserName=dev"),
        listed("Inactive")
    );
    // AWS's errors.
    error_code(&s.call(&upload(&body)), "DuplicateCertificate");
    error_code(&s.call(&upload("hello")), "MalformedCertificate");
    error_code(&s.call(&upload(&cert(2010, 2020))), "InvalidCertificate");
    error_code(&s.call(&upload(&cert(2025, 2030))), "InvalidCertificate");
    error_code(
        &s.call(&format!(
            "Action=UpdateSigningCertificate&UserName=dev&CertificateId={ID}&Status=Off"
        )),
        "ValidationError",
    );
    // A missing parameter is AWS's "Value null" ValidationError.
    let xml = s.call("Action=DeleteSigningCertificate&UserName=dev");
    error_code(&xml, "ValidationError");
    assert!(
        xml.contains("Value null at &apos;certificateId&apos;"),
        "{xml}"
    );
    // The root must name a user for the writes.
    let xml = s.call(&format!(
        "Action=DeleteSigningCertificate&CertificateId={ID}"
    ));
    error_code(&xml, "ValidationError");
    assert!(xml.contains("UserName is required"), "{xml}");
    assert_eq!(
        s.call(&format!(
            "Action=DeleteSigningCertificate&UserName=dev&CertificateId={ID}"
        )),
        envelope("DeleteSigningCertificate", "")
    );
    let xml = s.call(&format!(
        "Action=DeleteSigningCertificate&UserName=dev&CertificateId={ID}"
    ));
    error_code(&xml, "NoSuchEntity");
    assert!(
        xml.contains(&format!("The Certificate with id {ID} cannot be found.")),
        "{xml}"
    );
    let xml = s.call("Action=UploadSigningCertificate&UserName=dev&CertificateBody=");
    assert!(
        xml.contains("<Code>MissingParameter</Code>")
            || xml.contains("<Code>ValidationError</Code>"),
        "{xml}"
    );
    // With the first one deleted, another is uploaded (the test's ids repeat).
    let another = cert(2020, 2030);
    assert!(s.call(&upload(&another)).contains(&format!(
        "<CertificateBody>{}</CertificateBody>",
        another.trim()
    )));
}

#[test]
fn without_user_name_a_user_acts_on_its_own_certificates() {
    let params = |form: &str| Params::from_form(form.as_bytes());
    for form in [
        "Action=ListSigningCertificates",
        "Action=UploadSigningCertificate&CertificateBody=x",
        "Action=UpdateSigningCertificate&CertificateId=ABC&Status=Active",
        "Action=DeleteSigningCertificate&CertificateId=ABC",
    ] {
        let call = route_as(A, Caller::User("dev"), &params(form)).unwrap();
        assert!(
            format!("{call:?}").contains("user_name: \"dev\""),
            "{form}: {call:?}"
        );
        let call = route_as(A, Caller::Root, &params(form)).unwrap();
        assert!(
            format!("{call:?}").contains("user_name: \"\""),
            "{form}: {call:?}"
        );
        // A role session must name the user, as AWS says.
        let e = route_as(A, Caller::Other, &params(form)).unwrap_err();
        assert_eq!(
            e.message, "Must specify userName when calling with non-User credentials",
            "{form}"
        );
    }
}
