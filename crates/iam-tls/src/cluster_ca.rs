//! The cluster CA derived from the cluster secret key: mutual TLS between peers with no PKI
//! to set up.
//!
//! Every node is given the same cluster secret key (it already needs it to open sealed
//! secrets). From it each node derives the same Ed25519 CA key ([`CA_LABEL`], HMAC-SHA256),
//! makes its own copy of the CA certificate (same subject and key, so every copy is the same
//! trust anchor) and issues itself a fresh certificate for [`PEER_NAME`]. Peers then require
//! each other's certificate to chain to that CA: a process without the cluster secret key
//! cannot complete a handshake with the peer port, whatever it can reach.
//!
//! The CA key never leaves memory and is never written anywhere; rotating the cluster secret
//! key rotates the CA.

use crate::reload::{Loaded, PeerNames};
use crate::{provider, TlsError};
use hmac::{Hmac, Mac};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ED25519,
};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use sha2::Sha256;
use std::sync::Arc;

/// The name in every derived node certificate (and the only one peers accept from it).
pub const PEER_NAME: &str = "peer.iamd.internal";
/// The derivation label of the CA key.
pub const CA_LABEL: &[u8] = b"iamd peer CA v1";
/// The label under which a node derives, from the cluster secret key, the key it passes to
/// [`derive`] (`SecretBox::derive_key` in `iam-auth`).
pub const KEY_LABEL: &str = "iamd peer TLS v1";
/// The CA certificate's common name.
const CA_NAME: &str = "iamd cluster peer CA";

/// PKCS#8 v1 wrapping of a raw Ed25519 seed (RFC 8410): the fixed prefix, then the 32 bytes.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

fn ca_key(cluster_key: &[u8; 32]) -> Result<KeyPair, TlsError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(cluster_key)
        .map_err(|e| TlsError::new(format!("cluster CA: {e}")))?;
    mac.update(CA_LABEL);
    let seed = mac.finalize().into_bytes();
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&seed);
    KeyPair::from_pkcs8_der_and_sign_algo(&PrivatePkcs8KeyDer::from(der), &PKCS_ED25519)
        .map_err(|e| TlsError::new(format!("cluster CA key: {e}")))
}

fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

/// This node's peer TLS material under the CA derived from `cluster_key`: a new certificate
/// for [`PEER_NAME`] (server and client use), trusting only that CA and that name.
pub fn derive(cluster_key: &[u8; 32]) -> Result<Arc<Loaded>, TlsError> {
    let ca_key = ca_key(cluster_key)?;
    let params = ca_params();
    let ca_cert = params
        .self_signed(&ca_key)
        .map_err(|e| TlsError::new(format!("cluster CA certificate: {e}")))?;
    let issuer = Issuer::new(params, ca_key);

    let node_key = KeyPair::generate_for(&PKCS_ED25519)
        .map_err(|e| TlsError::new(format!("node key: {e}")))?;
    let mut leaf = CertificateParams::new(vec![PEER_NAME.to_owned()])
        .map_err(|e| TlsError::new(format!("node certificate: {e}")))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, PEER_NAME);
    leaf.distinguished_name = dn;
    leaf.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = leaf
        .signed_by(&node_key, &issuer)
        .map_err(|e| TlsError::new(format!("node certificate: {e}")))?;

    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(node_key.serialize_der()));
    let certified = CertifiedKey::from_der(vec![cert.der().clone()], key_der, &provider())
        .map_err(|e| TlsError::new(format!("node certificate: {e}")))?;
    let mut roots = RootCertStore::empty();
    roots
        .add(ca_cert.der().clone())
        .map_err(|e| TlsError::new(format!("cluster CA certificate: {e}")))?;
    let name = ServerName::try_from(PEER_NAME.to_owned())
        .map_err(|e| TlsError::new(format!("peer name: {e}")))?;
    Ok(Arc::new(Loaded::new(
        certified,
        Some(Arc::new(roots)),
        PeerNames::Fixed(name),
    )?))
}
