//! Certificates for people without a PKI (`iamd cert`): a CA, and node or client
//! certificates it signs. Keys are ECDSA P-256; everything is PEM.

use crate::TlsError;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};

/// A certificate and its private key, PEM.
#[derive(Debug, Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

/// What a certificate may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// A server (API/HTTP port).
    Server,
    /// A client (mutual TLS).
    Client,
    /// Both: a node's peer certificate (it dials and is dialed).
    Both,
}

/// Most days a certificate made here may be valid.
pub const DAYS_MAX: u32 = 36_500;

fn validity(p: &mut CertificateParams, days: u32) -> Result<(), TlsError> {
    if days == 0 || days > DAYS_MAX {
        return Err(TlsError::new(format!(
            "--days must be between 1 and {DAYS_MAX}"
        )));
    }
    let now = OffsetDateTime::now_utc();
    // An hour of slack for clocks a little behind.
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(i64::from(days));
    Ok(())
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn err(what: &str) -> impl Fn(rcgen::Error) -> TlsError + '_ {
    move |e| TlsError::new(format!("{what}: {e}"))
}

/// A new CA valid for `days`.
pub fn new_ca(common_name: &str, days: u32) -> Result<Pem, TlsError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(err("CA key"))?;
    let mut p = CertificateParams::default();
    p.distinguished_name = name(common_name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut p, days)?;
    let cert = p.self_signed(&key).map_err(err("CA certificate"))?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// A certificate for `names` (DNS names or IP addresses; the first is also its common
/// name) signed by the CA given as PEM.
pub fn issue(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    names: &[String],
    usage: Usage,
    days: u32,
) -> Result<Pem, TlsError> {
    let Some(first) = names.first() else {
        return Err(TlsError::new(
            "a certificate needs at least one name (--name host or IP)",
        ));
    };
    let ca_key = KeyPair::from_pem(ca_key_pem).map_err(err("CA key file"))?;
    let issuer =
        Issuer::from_ca_cert_pem(ca_cert_pem, ca_key).map_err(err("CA certificate file"))?;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(err("key"))?;
    let mut p = CertificateParams::new(names.to_vec()).map_err(|e| {
        TlsError::new(format!(
            "names {names:?}: each must be a DNS name or an IP address ({e})"
        ))
    })?;
    p.distinguished_name = name(first);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = match usage {
        Usage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
        Usage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
        Usage::Both => vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
    };
    p.use_authority_key_identifier_extension = true;
    validity(&mut p, days)?;
    let cert = p.signed_by(&key, &issuer).map_err(err("certificate"))?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}
