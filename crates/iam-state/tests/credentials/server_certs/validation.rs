//! Server certificates' keys and chains: every supported key encoding with its certificate,
//! a key of another certificate (`KeyPairMismatch`), malformed certificates and keys, and a
//! chain that must be the certificate's issuers in order, and bad input of every field.
//! Every rejection leaves the state hash unchanged.

use super::*;
#[test]
fn every_supported_key_encoding_is_accepted_with_its_certificate() {
    let mut w = ready();
    let rsa = rsa_cert();
    let ec256 = cert_of(EC256_PKCS8, 2016, 2030);
    let ec384 = cert_of(EC384_PKCS8, 2016, 2030);
    let cases = [
        ("rsa-pkcs1", &rsa, RSA_PKCS1),
        ("rsa-pkcs8", &rsa, RSA_PKCS8),
        ("ec256-sec1-with-parameters", &ec256, EC256_SEC1),
        ("ec256-pkcs8", &ec256, EC256_PKCS8),
        ("ec256-sec1-without-public-key", &ec256, EC256_NO_PUBLIC),
        ("ec384-sec1", &ec384, EC384_SEC1),
        ("ec384-pkcs8", &ec384, EC384_PKCS8),
    ];
    for (name, body, key) in cases {
        w.exec(T0, upload(name, body, key))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(summary(&w)["ServerCertificates"], cases.len() as u64);
}

#[test]
fn a_key_of_another_certificate_is_a_key_pair_mismatch() {
    let mut w = ready();
    let rsa = rsa_cert();
    let ec256 = cert_of(EC256_PKCS8, 2016, 2030);
    let ec384 = cert_of(EC384_PKCS8, 2016, 2030);
    for (body, key) in [
        (&rsa, OTHER_RSA_PKCS8),
        (&rsa, EC256_SEC1),
        (&ec256, RSA_PKCS1),
        (&ec256, EC384_SEC1),
        (&ec384, EC256_PKCS8),
    ] {
        let m = w.rejects(T0, upload("web", body, key), ErrorCode::KeyPairMismatch);
        assert_eq!(
            m,
            "The private key does not match the public key in the certificate."
        );
    }
    // An EC key without its public key, against another P-256 certificate: the scalar
    // is checked (ring computes its point).
    let other256 = {
        let k = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        params("other", 2016, 2030).self_signed(&k).unwrap().pem()
    };
    w.rejects(
        T0,
        upload("web", &other256, EC256_NO_PUBLIC),
        ErrorCode::KeyPairMismatch,
    );
    // A verdict a client wrote in the op is replaced by the proposer's.
    let mut forged = upload("web", &rsa, OTHER_RSA_PKCS8);
    if let ServerCertOp::Upload { key_check, .. } = &mut forged {
        *key_check = iam_state::ops::server_certs::KEY_OK.into();
    }
    w.rejects(T0, forged, ErrorCode::KeyPairMismatch);
    assert_eq!(
        names(&list(&w, "/", PageRequest::default())),
        Vec::<String>::new()
    );
}

#[test]
fn malformed_certificates_and_keys_are_refused_with_nothing_changed() {
    let mut w = ready();
    let rsa = rsa_cert();
    // Not a certificate.
    for body in [
        "garbage".to_owned(),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".to_owned(),
        format!("{rsa}{rsa}"),
        format!("text before\n{rsa}"),
        RSA_PKCS8.to_owned(),
    ] {
        let m = w.rejects(
            T0,
            upload("web", &body, RSA_PKCS1),
            ErrorCode::MalformedCertificate,
        );
        assert_eq!(
            m,
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        );
    }
    // Encrypted keys.
    for key in [RSA_ENCRYPTED_PKCS8, RSA_ENCRYPTED_PKCS1] {
        let m = w.rejects(
            T0,
            upload("web", &rsa, key),
            ErrorCode::MalformedCertificate,
        );
        assert!(m.contains("the key is encrypted"), "{m}");
    }
    // Not a private key.
    let half: String = RSA_PKCS1.lines().take(5).collect::<Vec<_>>().join("\n");
    for key in [
        "garbage".to_owned(),
        rsa.clone(),
        format!("{RSA_PKCS1}{RSA_PKCS1}"),
        half,
        RSA_PKCS8.replace("PRIVATE KEY", "RSA PRIVATE KEY"),
        RSA_PKCS1.replace("RSA PRIVATE KEY", "EC PRIVATE KEY"),
    ] {
        let m = w.rejects(
            T0,
            upload("web", &rsa, &key),
            ErrorCode::MalformedCertificate,
        );
        assert!(m.starts_with("Unable to parse private key"), "{m}");
        for line in base64_lines(RSA_PKCS1) {
            assert!(!m.contains(line), "a message must not repeat the key");
        }
    }
    // Not valid yet: AWS's MalformedCertificate.
    let future = cert_of(RSA_PKCS8, 2020, 2030);
    let m = w.rejects(
        T0,
        upload("web", &future, RSA_PKCS1),
        ErrorCode::MalformedCertificate,
    );
    assert!(m.contains("not valid yet"), "{m}");
    // Expired: accepted, its expiration in the past.
    let expired = cert_of(RSA_PKCS8, 2010, 2015);
    let up = w.ok(T0, upload("old", &expired, RSA_PKCS1));
    assert_eq!(up["metadata"]["expiration_ms"], 1_420_070_400_000u64);
}

#[test]
fn a_chain_must_be_the_certificates_issuers_in_order() {
    let mut w = ready();
    let root_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut root_params = params("Test Root CA", 2015, 2035);
    root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = rcgen::Issuer::from_params(&root_params, &root_key);
    let mid_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut mid_params = params("Test Intermediate CA", 2015, 2034);
    mid_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let mid = mid_params.signed_by(&mid_key, &root_issuer).unwrap();
    let mid_issuer = rcgen::Issuer::from_params(&mid_params, &mid_key);
    let leaf = params("www", 2016, 2030)
        .signed_by(&signing_key(RSA_PKCS8), &mid_issuer)
        .unwrap()
        .pem();
    // An issuer read back from its PEM (as tools that keep their CA in files sign).
    let reread = rcgen::Issuer::from_ca_cert_pem(&mid.pem(), &mid_key).unwrap();
    let leaf2 = params("api", 2016, 2030)
        .signed_by(&signing_key(RSA_PKCS8), &reread)
        .unwrap()
        .pem();
    w.ok(
        T0,
        with_chain(upload("reread", &leaf2, RSA_PKCS1), &mid.pem()),
    );
    let chain = format!("{}\n{}", mid.pem(), root.pem());
    w.ok(T0, with_chain(upload("full", &leaf, RSA_PKCS1), &chain));
    w.ok(
        T0,
        with_chain(upload("mid-only", &leaf, RSA_PKCS1), &mid.pem()),
    );
    let g = get(&w, "full").unwrap();
    assert_eq!(g["certificate_chain"], json!(chain.trim()));

    for (bad, index) in [
        (format!("{}\n{}", root.pem(), mid.pem()), 0),
        (format!("{}\n{}", mid.pem(), mid.pem()), 1),
        (format!("{}\ngarbage", mid.pem()), 1),
        ("garbage".to_owned(), 0),
    ] {
        let m = w.rejects(
            T0,
            with_chain(upload("bad", &leaf, RSA_PKCS1), &bad),
            ErrorCode::MalformedCertificate,
        );
        assert!(
            m.starts_with("Unable to validate certificate chain.")
                && m.ends_with(&format!("is: {index}")),
            "{m}"
        );
    }
}

#[test]
fn bad_input_is_refused_with_nothing_changed() {
    let mut w = ready();
    let rsa = rsa_cert();
    w.ok(T0, upload("web", &rsa, RSA_PKCS1));
    // Names, paths, sizes, tags.
    for (op, code) in [
        (upload("", &rsa, RSA_PKCS1), ErrorCode::ValidationError),
        (
            upload(&"n".repeat(129), &rsa, RSA_PKCS1),
            ErrorCode::ValidationError,
        ),
        (upload("a/b", &rsa, RSA_PKCS1), ErrorCode::ValidationError),
        (
            with_path(upload("x", &rsa, RSA_PKCS1), "nopath"),
            ErrorCode::ValidationError,
        ),
        (
            with_path(upload("x", &rsa, RSA_PKCS1), "/a//b/"),
            ErrorCode::ValidationError,
        ),
        (
            upload("x", &"A".repeat(16385), RSA_PKCS1),
            ErrorCode::ValidationError,
        ),
        (upload("x", "", RSA_PKCS1), ErrorCode::ValidationError),
        (upload("x", &rsa, ""), ErrorCode::ValidationError),
        (
            upload("x", &rsa, &"k".repeat(16385)),
            ErrorCode::ValidationError,
        ),
        (
            with_chain(upload("x", &rsa, RSA_PKCS1), ""),
            ErrorCode::ValidationError,
        ),
        (
            with_chain(upload("x", &rsa, RSA_PKCS1), &"c".repeat(2_097_153)),
            ErrorCode::ValidationError,
        ),
        (
            with_tags(
                upload("x", &rsa, RSA_PKCS1),
                (0..51).map(|i| tag(&format!("k{i}"), "v")).collect(),
            ),
            ErrorCode::LimitExceeded,
        ),
        (
            with_tags(upload("x", &rsa, RSA_PKCS1), vec![tag("", "v")]),
            ErrorCode::ValidationError,
        ),
    ] {
        w.rejects(T0, op, code);
    }
    // The key's text is never repeated in a validation message.
    let long_key = format!("{RSA_PKCS1}{}", "k".repeat(16384));
    let m = w.rejects(T0, upload("x", &rsa, &long_key), ErrorCode::ValidationError);
    assert!(
        m.contains("'privateKey'") && !m.contains("kkkk") && !m.contains("BEGIN"),
        "{m}"
    );
    // Names are unique case-insensitively.
    let m = w.rejects(
        T0,
        upload("WEB", &rsa, RSA_PKCS1),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(m, "The Server Certificate with name WEB already exists.");
    w.ok(T0, upload("api", &rsa, RSA_PKCS8));
    let m = w.rejects(
        T0,
        ServerCertOp::Update {
            server_certificate_name: "api".into(),
            new_path: None,
            new_server_certificate_name: Some("Web".into()),
        },
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(m, "The Server Certificate with name Web already exists.");
    for op in [
        ServerCertOp::Update {
            server_certificate_name: "api".into(),
            new_path: Some("bad".into()),
            new_server_certificate_name: None,
        },
        ServerCertOp::Update {
            server_certificate_name: "api".into(),
            new_path: None,
            new_server_certificate_name: Some("bad name".into()),
        },
        ServerCertOp::Tag {
            server_certificate_name: "api".into(),
            tags: (0..51).map(|i| tag(&format!("k{i}"), "v")).collect(),
        },
    ] {
        w.exec(T0, op).expect_err("refused");
    }
    // A renaming that only changes the case is allowed.
    w.ok(
        T0,
        ServerCertOp::Update {
            server_certificate_name: "api".into(),
            new_path: None,
            new_server_certificate_name: Some("API".into()),
        },
    );
    assert_eq!(
        names(&list(&w, "/", PageRequest::default())),
        ["API", "web"]
    );
    // A list's path prefix is checked.
    let e = w
        .q(ServerCertQuery::List {
            path_prefix: "nope".into(),
            page: PageRequest::default(),
        })
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
}
