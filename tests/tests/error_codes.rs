//! One error model (issue 24): every AWS error code iamd defines, rendered by each
//! transport as that transport's edge renders it and read back as its clients read it —
//! gRPC (the server's status, through HTTP/2 headers, into the client library's error and
//! iamctl's exit code) and the AWS Query API (the `<ErrorResponse>` and HTTP status botocore
//! reads). The code, the message, the retryability and the status each come from the one
//! declaration in `iam_model::error`.

use iam_client::ClientError;
use iam_model::{ErrorCode, IamError, RpcCode};

fn element<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{name}>")).expect("closed") + start;
    &xml[start..end]
}

#[test]
fn every_error_code_round_trips_through_grpc_the_query_api_and_the_client() {
    assert!(ErrorCode::ALL.len() >= 36, "{}", ErrorCode::ALL.len());
    for &code in ErrorCode::ALL {
        assert_eq!(ErrorCode::parse(code.as_str()), Some(code), "{code}");
        let e = IamError::new(code, format!("the message of {code} & <friends>"));

        // gRPC: the server's status, sent as HTTP/2 headers (an error answer is
        // trailers-only) and read back by the client library.
        let sent = iam_server::grpc::status::from_iam(&e);
        let wire = sent.clone().into_http::<tonic::body::Body>();
        let got = tonic::Status::from_header_map(wire.headers()).expect("a status in the headers");
        assert_eq!(got.code(), sent.code(), "{code}");
        let expected_grpc = match code.rpc() {
            RpcCode::InvalidArgument => tonic::Code::InvalidArgument,
            RpcCode::NotFound => tonic::Code::NotFound,
            RpcCode::AlreadyExists => tonic::Code::AlreadyExists,
            RpcCode::PermissionDenied => tonic::Code::PermissionDenied,
            RpcCode::ResourceExhausted => tonic::Code::ResourceExhausted,
            RpcCode::FailedPrecondition => tonic::Code::FailedPrecondition,
            RpcCode::Unauthenticated => tonic::Code::Unauthenticated,
            RpcCode::Unavailable => tonic::Code::Unavailable,
            RpcCode::Unimplemented => tonic::Code::Unimplemented,
            RpcCode::Internal => tonic::Code::Internal,
        };
        assert_eq!(got.code(), expected_grpc, "{code}");
        match ClientError::from_status(&got) {
            ClientError::Refused { code: c, message } => {
                assert!(!code.retryable(), "{code} is retryable but was refused");
                assert_ne!(code.rpc(), RpcCode::Internal, "{code}");
                assert_eq!(c, code.as_str());
                assert_eq!(message, e.message, "{code}");
                assert_eq!(ClientError::Refused { code: c, message }.exit_code(), 1);
            }
            ClientError::Unavailable(m) => {
                assert!(code.retryable(), "{code} is not retryable: {m}");
                assert!(m.contains(&e.message), "{code}: {m}");
            }
            ClientError::Internal(m) => {
                assert_eq!(code.rpc(), RpcCode::Internal, "{code}: {m}");
                assert_eq!(m, e.message);
            }
            ClientError::Usage(m) => panic!("{code}: usage error {m}"),
        }

        // The Query API: botocore reads the code and message from <ErrorResponse>, and the
        // HTTP status (SDKs retry 5xx and throttling codes).
        let (status, xml) = iam_aws::render_error(code.as_str(), &e.message, "rid-1");
        assert_eq!(status, code.http_status(), "{code}");
        assert_eq!(element(&xml, "Code"), code.as_str());
        assert_eq!(
            element(&xml, "Message"),
            e.message
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        );
        assert_eq!(
            element(&xml, "Type"),
            if status >= 500 { "Receiver" } else { "Sender" }
        );
        let (aws_status, aws_xml) = iam_aws::AwsErrors::render(&e, "rid-1");
        assert_eq!((aws_status, aws_xml), (status, xml));
    }
}

#[test]
fn a_status_from_the_transport_itself_is_unavailable_or_internal_never_a_refusal() {
    // No AWS code: a connection refused, a deadline, a peer that is not iamd.
    for (s, unavailable) in [
        (tonic::Status::unavailable("connection refused"), true),
        (tonic::Status::deadline_exceeded("deadline"), true),
        (tonic::Status::internal("h2 protocol error"), false),
        (tonic::Status::unimplemented("no such method"), false),
        (tonic::Status::not_found("not iamd"), false),
    ] {
        match ClientError::from_status(&s) {
            ClientError::Unavailable(_) => assert!(unavailable, "{s:?}"),
            ClientError::Internal(_) => assert!(!unavailable, "{s:?}"),
            other => panic!("{s:?}: {other:?}"),
        }
    }
}
