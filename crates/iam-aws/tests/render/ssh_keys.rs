//! SSH public keys: botocore's element order for `SSHPublicKey` and `SSHPublicKeyMetadata`,
//! both encodings, the writes without a result, and AWS's errors as XML.

use super::*;

const KEY: &str = include_str!("../../../iam-state/tests/credentials/ssh_keys_data/k2048.pub");
const SPKI: &str =
    include_str!("../../../iam-state/tests/credentials/ssh_keys_data/k2048.spki.pem");
const MD5: &str = include_str!("../../../iam-state/tests/credentials/ssh_keys_data/k2048.md5");
/// The id the test environment's random bytes make.
const ID: &str = "APKAHHHHHHHHHHHHHHHH";

#[test]
fn ssh_public_keys() {
    let mut s = Server::new();
    s.call("Action=CreateUser&UserName=dev");
    // Refused until the cluster runs release 5.
    let upload = format!(
        "Action=UploadSSHPublicKey&UserName=dev&SSHPublicKeyBody={}",
        enc(KEY)
    );
    let xml = s.call(&upload);
    assert!(
        xml.contains("<Code>ValidationError</Code>") && xml.contains("release 5"),
        "{xml}"
    );
    s.propose(Command::FinalizeRelease {
        release: iam_state::release::SSH_PUBLIC_KEYS,
    })
    .unwrap();
    let body: Vec<&str> = KEY.split_whitespace().take(2).collect();
    let body = body.join(" ");
    let key = |action: &str, body: &str, status: &str| {
        ok(
            action,
            &format!(
                "<SSHPublicKey><UserName>dev</UserName><SSHPublicKeyId>{ID}</SSHPublicKeyId>\
                 <Fingerprint>{}</Fingerprint><SSHPublicKeyBody>{body}</SSHPublicKeyBody>\
                 <Status>{status}</Status><UploadDate>2024-01-02T03:04:05Z</UploadDate></SSHPublicKey>",
                MD5.trim()
            ),
        )
    };
    assert_eq!(s.call(&upload), key("UploadSSHPublicKey", &body, "Active"));
    let get = |enc: &str| {
        format!("Action=GetSSHPublicKey&UserName=dev&SSHPublicKeyId={ID}&Encoding={enc}")
    };
    assert_eq!(s.call(&get("SSH")), key("GetSSHPublicKey", &body, "Active"));
    assert_eq!(s.call(&get("PEM")), key("GetSSHPublicKey", SPKI, "Active"));
    assert_eq!(
        s.call("Action=ListSSHPublicKeys&UserName=dev"),
        ok(
            "ListSSHPublicKeys",
            &format!(
                "<SSHPublicKeys><member><UserName>dev</UserName><SSHPublicKeyId>{ID}</SSHPublicKeyId>\
                 <Status>Active</Status><UploadDate>2024-01-02T03:04:05Z</UploadDate></member>\
                 </SSHPublicKeys><IsTruncated>false</IsTruncated>"
            )
        )
    );
    // The root, without UserName, has none.
    assert_eq!(
        s.call("Action=ListSSHPublicKeys"),
        ok(
            "ListSSHPublicKeys",
            "<SSHPublicKeys/><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=UpdateSSHPublicKey&UserName=dev&SSHPublicKeyId={ID}&Status=Inactive"
        )),
        envelope("UpdateSSHPublicKey", "")
    );
    assert_eq!(
        s.call(&get("SSH")),
        key("GetSSHPublicKey", &body, "Inactive")
    );
    // AWS's errors.
    for (key_body, code) in [
        (KEY, "DuplicateSSHPublicKey"),
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA",
            "UnrecognizedPublicKeyEncoding",
        ),
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB", "InvalidPublicKey"),
    ] {
        let xml = s.call(&format!(
            "Action=UploadSSHPublicKey&UserName=dev&SSHPublicKeyBody={}",
            enc(key_body)
        ));
        assert!(
            xml.contains(&format!("<Code>{code}</Code>")) && xml.contains("<Type>Sender</Type>"),
            "{xml}"
        );
    }
    let xml = s.call("Action=GetSSHPublicKey&UserName=dev&SSHPublicKeyId=APKAHHHHHHHHHHHHHHHH");
    assert!(
        xml.contains("<Code>MissingParameter</Code>")
            || xml.contains("<Code>ValidationError</Code>"),
        "{xml}"
    );
    assert_eq!(
        s.call(&format!(
            "Action=DeleteSSHPublicKey&UserName=dev&SSHPublicKeyId={ID}"
        )),
        envelope("DeleteSSHPublicKey", "")
    );
    let xml = s.call(&get("SSH"));
    assert!(
        xml.contains("<Code>NoSuchEntity</Code>")
            && xml.contains(&format!("The Public Key with id {ID} cannot be found.")),
        "{xml}"
    );
}
