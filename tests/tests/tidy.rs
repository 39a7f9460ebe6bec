//! Tidy checks: the crate layering written in ARCHITECTURE.md holds, every crate is in the
//! codemap, and every source file says what it is for.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

struct Graph {
    /// package name -> names of its normal (non-dev, non-build) dependencies.
    deps: BTreeMap<String, BTreeSet<String>>,
}

fn graph() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let names: BTreeMap<String, String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut deps = BTreeMap::new();
    for node in v["resolve"]["nodes"].as_array().unwrap() {
        let name = names[node["id"].as_str().unwrap()].clone();
        let set: BTreeSet<String> = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| names[d["pkg"].as_str().unwrap()].clone())
            .collect();
        deps.entry(name).or_insert_with(BTreeSet::new).extend(set);
    }
    Graph { deps }
}

impl Graph {
    fn closure(&self, pkg: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![pkg.to_owned()];
        while let Some(p) = stack.pop() {
            for d in self.deps.get(&p).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    }

    fn direct(&self, pkg: &str) -> &BTreeSet<String> {
        self.deps
            .get(pkg)
            .unwrap_or_else(|| panic!("no package {pkg}"))
    }
}

fn workspace_crates() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn pure_crates_do_no_io_runtime_or_storage() {
    let g = graph();
    for pure in [
        "iam-model",
        "iam-policy",
        "iam-state",
        "iam-authz",
        "iam-aws",
        "iam-auth",
    ] {
        let all = g.closure(pure);
        for banned in ["tokio", "rocksdb", "tonic", "openraft", "librocksdb-sys"] {
            assert!(
                !all.contains(banned),
                "{pure} must not depend (even transitively) on {banned}"
            );
        }
    }
}

#[test]
fn clients_never_pull_in_storage_or_raft() {
    let g = graph();
    for client in ["iam-client", "iam-cli"] {
        let all = g.closure(client);
        for banned in ["rocksdb", "openraft", "iam-storage", "iam-raft"] {
            assert!(
                !all.contains(banned),
                "{client} must not depend on {banned}"
            );
        }
    }
}

#[test]
fn only_storage_knows_rocksdb_and_only_raft_and_storage_name_openraft() {
    let g = graph();
    for c in workspace_crates() {
        let direct = g.direct(&c);
        if c != "iam-storage" {
            assert!(
                !direct.contains("rocksdb"),
                "{c} depends on rocksdb directly; only iam-storage may"
            );
        }
        if c != "iam-storage" && c != "iam-raft" {
            assert!(
                !direct.contains("openraft"),
                "{c} depends on openraft directly; only iam-raft and iam-storage may"
            );
        }
        if !matches!(c.as_str(), "iam-proto") {
            assert!(
                !direct.contains("prost"),
                "{c} depends on prost; generated types live in iam-proto"
            );
        }
    }
}

#[test]
fn layers_only_point_down() {
    let layer = |c: &str| match c {
        "iam-model" | "iam-policy" => 0,
        "iam-state" | "iam-proto" | "iam-auth" | "iam-tls" => 1,
        "iam-raft" | "iam-storage" | "iam-authz" | "iam-aws" => 2,
        "iam-server" | "iam-client" => 3,
        "iam-cli" => 4,
        other => panic!("crate {other} has no layer: add it here and to ARCHITECTURE.md"),
    };
    let g = graph();
    for c in workspace_crates() {
        for d in g.direct(&c).iter().filter(|d| d.starts_with("iam-")) {
            let ok = layer(d) < layer(&c) || (c == "iam-storage" && d == "iam-raft");
            assert!(
                ok,
                "{c} (layer {}) depends on {d} (layer {})",
                layer(&c),
                layer(d)
            );
        }
    }
}

#[test]
fn architecture_md_names_every_crate() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for c in workspace_crates() {
        assert!(
            arch.contains(&format!("### `{c}`")),
            "ARCHITECTURE.md has no heading for crate {c}"
        );
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let mut files = Vec::new();
    for d in ["crates", "tests", "bench"] {
        rust_files(&root().join(d), &mut files);
    }
    assert!(files.len() > 10);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.trim_start().starts_with("//!"),
            "{} does not start with a //! comment",
            f.display()
        );
    }
}

/// AWS's XML (IAM's and STS's answers and errors) is written only by the AWS adapter,
/// `iam-aws`; the server's other modules hand it typed results. A string literal with a
/// closing tag or an XML namespace anywhere else in the crates' sources is XML written by
/// hand.
#[test]
fn only_the_aws_adapter_writes_xml() {
    let adapter = root().join("crates/iam-aws");
    let checked = for_each_code_line(&root().join("crates"), &adapter, |f, n, code, line| {
        let closing_tag = code
            .split('"')
            .skip(1)
            .step_by(2)
            .any(|literal| literal.contains("</") || literal.contains("xmlns"));
        assert!(
            !closing_tag,
            "{}:{n}: XML outside iam-aws (render it there from a typed result): {line}",
            f.display()
        );
    });
    assert!(checked > 50, "{checked} files checked");
}

/// Calls `f(file, line number, the code before any "//", the line)` for every line of
/// every Rust file under `dir` but outside `skip`; returns how many files it read.
fn for_each_code_line(
    dir: &Path,
    skip: &Path,
    mut f: impl FnMut(&Path, usize, &str, &str),
) -> usize {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let mut checked = 0;
    for file in files.iter().filter(|p| !p.starts_with(skip)) {
        let text = std::fs::read_to_string(file).unwrap();
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            f(file, n + 1, line.split("//").next().unwrap_or(""), line);
        }
    }
    checked
}

/// Whether `code` names the identifier `word` (not as part of a longer one: `monotonic`
/// is no `tonic`, `AccessKeyStatus` no `Status`).
fn names(code: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(word).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// The server's core is transport-neutral: only its gRPC adapter (`src/grpc/`) names tonic
/// or the proto types; every other module speaks typed requests, results and `IamError`.
#[test]
fn only_the_grpc_adapter_knows_tonic_and_proto() {
    let src = root().join("crates/iam-server/src");
    let adapter = src.join("grpc");
    let checked = for_each_code_line(&src, &adapter, |f, n, code, line| {
        for word in ["tonic", "iam_proto", "prost", "Status"] {
            assert!(
                !names(code, word),
                "{}:{n}: `{word}` outside the gRPC adapter (convert at crates/iam-server/src/grpc/): {line}",
                f.display()
            );
        }
    });
    assert!(checked > 30, "{checked} files checked");
    // And the adapter exists where the rule says (a rename would make the rule vacuous).
    assert!(adapter.join("mod.rs").exists());
    let grpc = std::fs::read_to_string(adapter.join("mod.rs")).unwrap();
    assert!(grpc.contains("tonic::transport::Server::builder()"));
}

/// Modules inside a crate import in one direction: (crate, the lower modules, what they
/// never name). Test modules (`#[cfg(test)]` onwards) may reach up.
#[test]
fn modules_import_in_one_direction() {
    let rules: &[(&str, &[&str], &[&str])] = &[
        // iamctl: args (the command line) → nouns → output / policy_cmd.
        (
            "crates/iam-cli/src",
            &["nouns", "output.rs", "policy_cmd.rs"],
            &["crate::args"],
        ),
        // iam-raft: node → batcher / forwarder → forward / error.
        (
            "crates/iam-raft/src",
            &["batcher.rs", "forwarder.rs", "forward.rs", "error.rs"],
            &["crate::node"],
        ),
        (
            "crates/iam-raft/src",
            &["batcher.rs", "forward.rs", "error.rs"],
            &["crate::forwarder"],
        ),
        // iam-server: the transports → the core; the core never names a transport.
        (
            "crates/iam-server/src",
            &[
                "api.rs",
                "decide.rs",
                "cluster_admin.rs",
                "errors.rs",
                "login.rs",
                "mfa.rs",
                "password.rs",
                "password_change.rs",
                "sts",
                "trust.rs",
                "auth",
            ],
            &["crate::grpc", "aws_http"],
        ),
    ];
    for (krate, lower, never) in rules {
        let dir = root().join(krate);
        let mut checked = 0;
        for part in *lower {
            let path = dir.join(part);
            let mut files = Vec::new();
            if path.is_dir() {
                rust_files(&path, &mut files);
            } else {
                files.push(path.clone());
            }
            for f in files {
                let text =
                    std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                checked += 1;
                for (n, line) in text.lines().enumerate() {
                    if line.trim_start().starts_with("#[cfg(test)]") {
                        break;
                    }
                    let code = line.split("//").next().unwrap_or("");
                    for name in *never {
                        assert!(
                            !code.contains(name),
                            "{}:{}: names `{name}`, which imports from it (the direction is the other way): {line}",
                            f.display(),
                            n + 1
                        );
                    }
                }
            }
        }
        assert!(checked >= lower.len(), "{krate}: {checked} files checked");
    }
}

#[test]
fn the_chaos_library_never_knows_iamd() {
    let mut files = Vec::new();
    rust_files(&root().join("tests/chaos/src"), &mut files);
    let lib: Vec<_> = files
        .into_iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "bin"))
        .collect();
    assert!(lib.len() >= 4, "{lib:?}");
    for f in lib {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            assert!(
                !code.contains("iam_") && !code.contains("iamd_tests"),
                "{}:{}: the chaos library (history, checkers, proxy) must not use iamd's crates: {line}",
                f.display(),
                n + 1
            );
        }
    }
}

/// The quick start, the test suite and the image build share one cargo build
/// (`deploy/build.sh`), so that whichever runs first, the others compile nothing again.
#[test]
fn every_entry_point_builds_through_the_shared_build() {
    let build = std::fs::read_to_string(root().join("deploy/build.sh")).expect("build.sh");
    assert!(
        build.contains("cargo build --workspace --bins --tests"),
        "deploy/build.sh builds the shared selection"
    );
    for script in ["deploy/dev.sh", "tests/run.sh", "deploy/image/build.sh"] {
        let text = std::fs::read_to_string(root().join(script))
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        assert!(
            text.contains("deploy/build.sh"),
            "{script} builds through deploy/build.sh"
        );
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let builds = line.contains("cargo build") && !line.contains("--release");
            assert!(
                !builds || line.contains("cargo build --workspace --bins --tests"),
                "{script} runs another debug build selection: {line}"
            );
        }
    }
}
