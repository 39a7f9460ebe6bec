//! AWS IAM operations (botocore's IAM model) that iamd recognizes but does not implement:
//! `route` answers them with `NotImplemented` (HTTP 501) naming the operation, so clients
//! can tell "not supported here" from a typo (`InvalidAction`).

/// Recognized AWS IAM actions without an iamd operation.
#[rustfmt::skip]
pub const UNSUPPORTED: &[&str] = &[
    "AcceptDelegationRequest", "AcquireRole", "AddClientIDToOpenIDConnectProvider",
    "AssociateDelegationRequest", "CreateDelegationRequest",
    "CreateOpenIDConnectProvider", "CreateSAMLProvider", "CreateServiceLinkedRole",
    "CreateServiceSpecificCredential", "DeleteOpenIDConnectProvider", "DeleteSAMLProvider",
    "DeleteSSHPublicKey", "DeleteServerCertificate", "DeleteServiceLinkedRole",
    "DeleteServiceSpecificCredential", "DeleteSigningCertificate",
    "DisableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootSessions",
    "DisableOutboundWebIdentityFederation", "EnableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions", "EnableOutboundWebIdentityFederation",
    "GenerateOrganizationsAccessReport", "GenerateServiceLastAccessedDetails",
    "GetAccountAuthorizationDetails", "GetDelegationRequest", "GetHumanReadableSummary",
    "GetOpenIDConnectProvider", "GetOrganizationsAccessReport",
    "GetOutboundWebIdentityFederationInfo", "GetRoleTemplateVersion", "GetSAMLProvider",
    "GetSSHPublicKey", "GetServerCertificate", "GetServiceLastAccessedDetails",
    "GetServiceLastAccessedDetailsWithEntities", "GetServiceLinkedRoleDeletionStatus",
    "ListDelegationRequests", "ListOpenIDConnectProviderTags",
    "ListOpenIDConnectProviders", "ListOrganizationsFeatures",
    "ListPoliciesGrantingServiceAccess", "ListSAMLProviderTags", "ListSAMLProviders",
    "ListSSHPublicKeys", "ListServerCertificateTags", "ListServerCertificates",
    "ListServiceSpecificCredentials", "ListSigningCertificates", "RejectDelegationRequest",
    "RemoveClientIDFromOpenIDConnectProvider", "ResetServiceSpecificCredential",
    "SendDelegationToken", "SetSecurityTokenServicePreferences",
    "TagOpenIDConnectProvider", "TagSAMLProvider", "TagServerCertificate",
    "UntagOpenIDConnectProvider", "UntagSAMLProvider", "UntagServerCertificate",
    "UpdateDelegationRequest", "UpdateOpenIDConnectProviderThumbprint", "UpdateSAMLProvider",
    "UpdateSSHPublicKey", "UpdateServerCertificate", "UpdateServiceSpecificCredential",
    "UpdateSigningCertificate", "UploadSSHPublicKey", "UploadServerCertificate",
    "UploadSigningCertificate",
];
