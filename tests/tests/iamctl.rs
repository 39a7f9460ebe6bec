//! iamctl against a real 3-node cluster: noun-verb commands, JSON and table output,
//! pagination, cluster status and hash, service-linked roles.

use iamd_tests::{within, Cluster};
use serde_json::Value;
use std::time::Duration;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_cluster_through_iamctl() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let (code, out, err) = c.iamctl(&[
            "account",
            "create",
            "--name",
            "acme",
            "--email",
            "root@acme.example.com",
            "-o",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let account = json(&out)["id"].as_str().unwrap().to_owned();
        assert_eq!(account.len(), 12);
        let acct = ["--account", account.as_str()];
        for i in 0..5 {
            let name = format!("dev{i}");
            let (code, out, err) = c.iamctl(
                &[
                    &acct[..],
                    &[
                        "user",
                        "create",
                        &name,
                        "--path",
                        "/eng/",
                        "--tag",
                        "team=core",
                        "-o",
                        "json",
                    ],
                ]
                .concat(),
            );
            assert_eq!(code, 0, "{err}");
            let u = json(&out);
            assert_eq!(u["arn"], format!("arn:aws:iam::{account}:user/eng/{name}"));
            assert!(u["id"].as_str().unwrap().starts_with("AIDA"));
            assert!(u["log_index"].as_u64().unwrap() > 0);
        }
        // Pagination: pages of 2 are all fetched.
        let (code, out, _) = c.iamctl(
            &[
                &acct[..],
                &[
                    "user",
                    "list",
                    "--max-items",
                    "2",
                    "-o",
                    "json",
                    "--consistency",
                    "linearizable",
                ],
            ]
            .concat(),
        );
        assert_eq!(code, 0);
        assert_eq!(json(&out)["items"].as_array().unwrap().len(), 5);
        let (code, out, _) = c.iamctl(
            &[
                &acct[..],
                &[
                    "user",
                    "list",
                    "--max-items",
                    "2",
                    "--no-paginate",
                    "-o",
                    "json",
                ],
            ]
            .concat(),
        );
        assert_eq!(code, 0);
        let page = json(&out);
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let token = page["marker"].as_str().expect("marker").to_owned();
        let (_, out, _) = c.iamctl(
            &[
                &acct[..],
                &[
                    "user",
                    "list",
                    "--max-items",
                    "2",
                    "--no-paginate",
                    "--starting-token",
                    &token,
                    "-o",
                    "json",
                ],
            ]
            .concat(),
        );
        assert_eq!(json(&out)["items"][0]["name"], "dev2");
        // Table output has a header and one row per user.
        let (code, out, _) =
            c.iamctl(&[&acct[..], &["user", "list", "--path-prefix", "/eng/"]].concat());
        assert_eq!(code, 0);
        assert!(out.starts_with("NAME"), "{out}");
        assert_eq!(out.lines().count(), 6);
        // Get (case-insensitive) and delete.
        let (code, out, _) =
            c.iamctl(&[&acct[..], &["user", "get", "DEV0", "-o", "json"]].concat());
        assert_eq!(code, 0);
        assert_eq!(json(&out)["tags"][0]["key"], "team");
        let (code, _, err) = c.iamctl(&[&acct[..], &["user", "delete", "dev0"]].concat());
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = c.iamctl(
            &[
                &acct[..],
                &["user", "get", "dev0", "--consistency", "linearizable"],
            ]
            .concat(),
        );
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");

        // cluster status: every node, one leader, same hash once converged.
        c.wait_converged(0, Duration::from_secs(10)).await;
        let (code, out, err) = c.iamctl(&["cluster", "status", "-o", "json"]);
        assert_eq!(code, 0, "{err}");
        let s = json(&out);
        let nodes = s["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 3);
        assert_eq!(nodes.iter().filter(|n| n["role"] == "leader").count(), 1);
        assert_eq!(
            s["leader_id"],
            nodes.iter().find(|n| n["role"] == "leader").unwrap()["id"]
        );
        let (code, out, _) = c.iamctl(&["cluster", "hash", "-o", "json"]);
        assert_eq!(code, 0);
        let h = json(&out);
        let hashes: Vec<&str> = h["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state_hash"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(hashes.len(), 3);
        assert!(
            hashes.iter().all(|x| *x == hashes[0] && x.len() == 64),
            "{hashes:?}"
        );
        let (code, out, _) = c.iamctl(&["cluster", "status"]);
        assert_eq!(code, 0);
        assert!(
            out.contains("STATE_HASH") && out.contains("leader: "),
            "{out}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_add_node_adds_a_learner_then_promotes_it() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let (code, _, err) = c.iamctl(&["cluster", "remove-node", "--id", "3"]);
        assert_eq!(code, 0, "{err}");
        let (peer, api, http) = {
            let n = c.node(3);
            (n.peer.clone(), n.api.clone(), n.http.clone())
        };
        // Node 3 keeps its data and process; add it back as a learner, then as a voter.
        let add = |c: &mut Cluster, learner: bool| {
            let mut args = vec![
                "cluster", "add-node", "--id", "3", "--peer", &peer, "--api", &api, "--http",
                &http, "-o", "json",
            ];
            if learner {
                args.push("--learner");
            }
            c.iamctl(&args)
        };
        let (code, out, err) = add(&mut c, true);
        assert_eq!(code, 0, "{err}");
        let m = json(&out);
        let three = m["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == 3)
            .cloned()
            .expect("node 3 listed");
        assert_eq!(three["voter"], false);
        let (code, out, err) = add(&mut c, false);
        assert_eq!(code, 0, "{err}");
        let three = json(&out)["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == 3)
            .cloned()
            .expect("node 3 listed");
        assert_eq!(three["voter"], true);
        c.wait_voters(3, Duration::from_secs(20)).await;
        // A different address for an existing id is refused.
        let (code, _, err) = c.iamctl(&[
            "cluster",
            "add-node",
            "--id",
            "3",
            "--peer",
            "127.0.0.1:1",
            "--api",
            "127.0.0.1:2",
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("already a member"), "{err}");
    })
    .await;
}

/// `iamctl role create-service-linked` / `delete-service-linked` / `deletion-status`: writes
/// through followers, reads from another node, the protected role refused by the ordinary
/// verbs (exit 1, nothing changed), usage errors exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_linked_roles_through_iamctl() {
    within(Duration::from_secs(90), async {
        let mut c = Cluster::start(3).await;
        let ok = |c: &mut Cluster, node: u64, args: &[&str]| -> Value {
            let args = [args, &["-o", "json", "--consistency", "linearizable"][..]].concat();
            let (code, out, err) = c.iamctl_on(node, &args);
            assert_eq!(code, 0, "{args:?}: {err}");
            if out.trim().is_empty() {
                Value::Null
            } else {
                json(&out)
            }
        };
        let name = "AWSServiceRoleForAutoScaling_web";
        let role = ok(
            &mut c,
            2,
            &[
                "role",
                "create-service-linked",
                "--service",
                "autoscaling.amazonaws.com",
                "--custom-suffix",
                "web",
                "--description",
                "scales",
            ],
        );
        assert_eq!(role["name"], name, "{role}");
        assert_eq!(
            role["path"], "/aws-service-role/autoscaling.amazonaws.com/",
            "{role}"
        );
        assert!(role["id"].as_str().unwrap().starts_with("AROA"), "{role}");
        let got = ok(&mut c, 3, &["role", "get", name]);
        assert_eq!(got["arn"], role["arn"], "{got}");
        assert_eq!(got["description"], "scales", "{got}");

        // Refused by the service: exit 1 with AWS's code; nothing changed.
        for args in [
            &["role", "delete", name][..],
            &["role", "update", name, "--max-session-duration", "7200"][..],
            &[
                "role",
                "create-service-linked",
                "--service",
                "ecs.amazonaws.com",
                "--custom-suffix",
                "x",
            ][..],
            &[
                "role",
                "create-service-linked",
                "--service",
                "autoscaling.amazonaws.com",
                "--custom-suffix",
                "web",
            ][..],
        ] {
            let (code, _, err) = c.iamctl_on(3, args);
            assert_eq!(code, 1, "{args:?}: {err}");
            assert!(
                err.contains("UnmodifiableEntity") || err.contains("InvalidInput"),
                "{args:?}: {err}"
            );
        }
        let got = ok(&mut c, 1, &["role", "get", name]);
        assert_eq!(got["max_session_duration"], 3600, "{got}");
        // The description stays editable.
        ok(
            &mut c,
            2,
            &["role", "update-description", name, "--description", "ours"],
        );
        // Usage errors: exit 2.
        let (code, _, _) = c.iamctl_on(3, &["role", "create-service-linked"]);
        assert_eq!(code, 2);
        let (code, _, _) = c.iamctl_on(3, &["role", "deletion-status"]);
        assert_eq!(code, 2);

        let deleted = ok(&mut c, 3, &["role", "delete-service-linked", name]);
        let task = deleted["deletion_task_id"].as_str().unwrap().to_owned();
        assert!(
            task.starts_with(&format!(
                "task/aws-service-role/autoscaling.amazonaws.com/{name}/"
            )),
            "{deleted}"
        );
        let status = ok(&mut c, 2, &["role", "deletion-status", task.as_str()]);
        assert_eq!(status["status"], "SUCCEEDED", "{status}");
        // A table shows it too.
        let (code, out, _) = c.iamctl_on(1, &["role", "deletion-status", task.as_str()]);
        assert_eq!(code, 0);
        assert!(out.contains("SUCCEEDED"), "{out}");
        let (code, _, err) =
            c.iamctl_on(1, &["role", "get", name, "--consistency", "linearizable"]);
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
        let (code, _, err) = c.iamctl_on(2, &["role", "delete-service-linked", name]);
        assert_eq!(code, 1);
        assert!(err.contains("NoSuchEntity"), "{err}");
        let (code, _, err) = c.iamctl_on(2, &["role", "deletion-status", "nonsense"]);
        assert_eq!(code, 1);
        assert!(err.contains("InvalidInput"), "{err}");
    })
    .await;
}
