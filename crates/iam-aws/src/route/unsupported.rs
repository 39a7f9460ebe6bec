//! AWS IAM operations (botocore's IAM model) that iamd recognizes but does not implement:
//! `route` answers them with `NotImplemented` (HTTP 501) naming the operation, so clients
//! can tell "not supported here" from a typo (`InvalidAction`).

/// Recognized AWS IAM actions without an iamd operation.
#[rustfmt::skip]
pub const UNSUPPORTED: &[&str] = &[
    "AcceptDelegationRequest", "AcquireRole", "AssociateDelegationRequest",
    "CreateDelegationRequest", "CreateSAMLProvider",
    "CreateServiceSpecificCredential", "DeleteSAMLProvider",
    "DeleteServiceSpecificCredential",
    "DisableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootSessions",
    "DisableOutboundWebIdentityFederation", "EnableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions", "EnableOutboundWebIdentityFederation",
    "GenerateOrganizationsAccessReport", "GenerateServiceLastAccessedDetails",
    "GetDelegationRequest", "GetHumanReadableSummary",
    "GetOrganizationsAccessReport",
    "GetOutboundWebIdentityFederationInfo", "GetRoleTemplateVersion", "GetSAMLProvider",
    "GetServiceLastAccessedDetails",
    "GetServiceLastAccessedDetailsWithEntities",
    "ListDelegationRequests", "ListOrganizationsFeatures",
    "ListPoliciesGrantingServiceAccess", "ListSAMLProviderTags", "ListSAMLProviders",
    "ListServiceSpecificCredentials", "RejectDelegationRequest",
    "ResetServiceSpecificCredential",
    "SendDelegationToken", "SetSecurityTokenServicePreferences",
    "TagSAMLProvider",
    "UntagSAMLProvider",
    "UpdateDelegationRequest", "UpdateSAMLProvider",
    "UpdateServiceSpecificCredential",
];
