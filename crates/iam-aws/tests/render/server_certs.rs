//! Server certificates: botocore's element order for `ServerCertificateMetadata` (in the
//! upload's result, in `ServerCertificate` and in `ServerCertificateMetadataList`), the
//! writes without a result, AWS's errors as XML, and no private key in any response. The
//! keys and certificates are made at test time with `rcgen` (ECDSA P-256, PKCS#8).

use super::*;

/// The id the test environment gives the second upload (the first one is refused).
const ID: &str = "ASCA00000000000000002";

/// A key pair (PKCS#8 PEM) and its self-signed certificate valid from January 1st of `from`
/// to January 1st of `to` (T0 is in 2024).
fn key_and_cert(from: i32, to: i32) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(vec!["www.example.com".to_owned()]).unwrap();
    p.not_before = rcgen::date_time_ymd(from, 1, 1);
    p.not_after = rcgen::date_time_ymd(to, 1, 1);
    let cert = p.self_signed(&key).unwrap().pem();
    (key.serialize_pem(), cert)
}

fn error_code(xml: &str, code: &str) {
    assert!(
        xml.contains(&format!("<Code>{code}</Code>")) && xml.contains("<Type>Sender</Type>"),
        "{xml}"
    );
}

fn metadata(name: &str, path: &str) -> String {
    format!(
        "<Path>{path}</Path><ServerCertificateName>{name}</ServerCertificateName>\
         <ServerCertificateId>{ID}</ServerCertificateId>\
         <Arn>arn:aws:iam::123456789012:server-certificate{path}{name}</Arn>\
         <UploadDate>2024-01-02T03:04:05Z</UploadDate>\
         <Expiration>2030-01-01T00:00:00Z</Expiration>"
    )
}

#[test]
fn server_certificates() {
    let mut s = Server::new();
    let (key, body) = key_and_cert(2020, 2030);
    let upload = |name: &str, body: &str, key: &str| {
        format!(
            "Action=UploadServerCertificate&ServerCertificateName={name}&Path=%2Fcloudfront%2F\
             &CertificateBody={}&PrivateKey={}&Tags.member.1.Key=env&Tags.member.1.Value=prod",
            enc(body),
            enc(key)
        )
    };
    let mut responses = Vec::new();
    // Refused until the cluster runs release 5.
    let xml = s.call(&upload("cdn", &body, &key));
    assert!(
        xml.contains("<Code>ValidationError</Code>") && xml.contains("release 5"),
        "{xml}"
    );
    s.propose(Command::FinalizeRelease {
        release: iam_state::release::SERVER_CERTIFICATES,
    })
    .unwrap();
    let tags = "<Tags><member><Key>env</Key><Value>prod</Value></member></Tags>";
    let xml = s.call(&upload("cdn", &body, &key));
    assert_eq!(
        xml,
        ok(
            "UploadServerCertificate",
            &format!(
                "<ServerCertificateMetadata>{}</ServerCertificateMetadata>{tags}",
                metadata("cdn", "/cloudfront/")
            )
        )
    );
    responses.push(xml);
    let xml = s.call("Action=GetServerCertificate&ServerCertificateName=CDN");
    assert_eq!(
        xml,
        ok(
            "GetServerCertificate",
            &format!(
                "<ServerCertificate><ServerCertificateMetadata>{}</ServerCertificateMetadata>\
                 <CertificateBody>{}</CertificateBody>{tags}</ServerCertificate>",
                metadata("cdn", "/cloudfront/"),
                body.trim()
            )
        )
    );
    responses.push(xml);
    let xml = s.call("Action=ListServerCertificates&PathPrefix=%2Fcloudfront%2F");
    assert_eq!(
        xml,
        ok(
            "ListServerCertificates",
            &format!(
                "<ServerCertificateMetadataList><member>{}</member></ServerCertificateMetadataList>\
                 <IsTruncated>false</IsTruncated>",
                metadata("cdn", "/cloudfront/")
            )
        )
    );
    responses.push(xml);
    assert_eq!(
        s.call("Action=ListServerCertificates&PathPrefix=%2Felb%2F"),
        ok(
            "ListServerCertificates",
            "<ServerCertificateMetadataList/><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        s.call("Action=ListServerCertificateTags&ServerCertificateName=cdn"),
        ok(
            "ListServerCertificateTags",
            &format!("{tags}<IsTruncated>false</IsTruncated>")
        )
    );
    // Writes without a result.
    assert_eq!(
        s.call("Action=TagServerCertificate&ServerCertificateName=cdn&Tags.member.1.Key=team&Tags.member.1.Value=edge"),
        envelope("TagServerCertificate", "")
    );
    assert_eq!(
        s.call("Action=UntagServerCertificate&ServerCertificateName=cdn&TagKeys.member.1=env"),
        envelope("UntagServerCertificate", "")
    );
    assert_eq!(
        s.call("Action=UpdateServerCertificate&ServerCertificateName=cdn&NewServerCertificateName=www&NewPath=%2F"),
        envelope("UpdateServerCertificate", "")
    );
    let xml = s.call("Action=GetServerCertificate&ServerCertificateName=www");
    assert!(
        xml.contains(&format!(
            "<ServerCertificateMetadata>{}</ServerCertificateMetadata>",
            metadata("www", "/")
        )) && xml.contains("<Tags><member><Key>team</Key><Value>edge</Value></member></Tags>"),
        "{xml}"
    );
    responses.push(xml);
    // AWS's errors.
    let xml = s.call("Action=GetServerCertificate&ServerCertificateName=cdn");
    error_code(&xml, "NoSuchEntity");
    assert!(
        xml.contains("The Server Certificate with name cdn cannot be found."),
        "{xml}"
    );
    let xml = s.call(&upload("www", &body, &key));
    error_code(&xml, "EntityAlreadyExists");
    error_code(&s.call(&upload("x", "hello", &key)), "MalformedCertificate");
    error_code(
        &s.call(&upload("x", &body, "hello")),
        "MalformedCertificate",
    );
    let (other_key, other) = key_and_cert(2020, 2030);
    let xml = s.call(&upload("x", &body, &other_key));
    error_code(&xml, "KeyPairMismatch");
    responses.push(xml);
    // A certificate with its issuer's chain: the chain is returned as given (trimmed).
    let xml = s.call(&format!(
        "{}&CertificateChain={}",
        upload("y", &other, &other_key),
        enc(&format!("{other}\n"))
    ));
    // A self-signed certificate is its own issuer.
    assert!(
        xml.contains("<ServerCertificateName>y</ServerCertificateName>"),
        "{xml}"
    );
    let xml = s.call("Action=GetServerCertificate&ServerCertificateName=y");
    assert!(
        xml.contains(&format!(
            "<CertificateBody>{}</CertificateBody><CertificateChain>{}</CertificateChain>",
            other.trim(),
            other.trim()
        )),
        "{xml}"
    );
    responses.push(xml);
    // A missing key is AWS's "Value null" ValidationError.
    let xml = s.call(&format!(
        "Action=UploadServerCertificate&ServerCertificateName=z&CertificateBody={}",
        enc(&body)
    ));
    error_code(&xml, "ValidationError");
    assert!(
        xml.contains("Value null at &apos;privateKey&apos;"),
        "{xml}"
    );
    assert_eq!(
        s.call("Action=DeleteServerCertificate&ServerCertificateName=www"),
        envelope("DeleteServerCertificate", "")
    );
    error_code(
        &s.call("Action=DeleteServerCertificate&ServerCertificateName=www"),
        "NoSuchEntity",
    );
    // No response ever holds a private key.
    for xml in responses {
        assert!(
            !xml.contains("PRIVATE KEY") && !xml.contains("PrivateKey"),
            "{xml}"
        );
    }
}
