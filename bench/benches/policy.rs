//! Policy-engine benchmark: `iam-policy` (this workspace) against `cedar-policy` and `iam-rs`
//! on the standard principal (a user in 3 groups with 10 policies, 60 statements, about a
//! third of them with conditions), measured in one criterion run.
//!
//! Before timing anything it asserts that the three engines decide every benchmarked request
//! alike (and the expected way), sweeps a few thousand other requests through all three,
//! and prints memory and allocation figures measured with a counting global allocator.
//! Results and the equivalence argument: `bench/RESULTS.md`, section "Policy engine".
//!
//! `CARGO_TARGET_DIR=/var/tmp/policy-target cargo bench -p iamd-bench --bench policy`

#[path = "policy/alloc.rs"]
mod alloc;
#[path = "policy/cedar.rs"]
mod cedar;
#[path = "policy/fixture.rs"]
mod fixture;
#[path = "policy/iamrs.rs"]
mod iamrs;
#[path = "policy/policies.rs"]
mod policies;

use std::hint::black_box;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use iam_policy::{
    evaluate, parse, CompiledSet, Context, Policies, Policy, PolicyKind, Request, Verdict,
};

use fixture::{Attached, Env, Shape, BASE_ENV, POLICIES, SHAPES, USER_ARN};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// The 10 documents as (label, kind, AWS JSON).
fn documents() -> Vec<(String, PolicyKind, String)> {
    POLICIES
        .iter()
        .map(|p| {
            let label = match p.attached {
                Attached::User => format!("user/{}/{}", fixture::USER, p.name),
                Attached::Group(g) => format!("group/{g}/{}", p.name),
            };
            (label, p.kind, fixture::aws_json(p))
        })
        .collect()
}

fn parse_all(docs: &[(String, PolicyKind, String)]) -> Vec<(String, Arc<Policy>)> {
    docs.iter()
        .map(|(label, kind, text)| {
            let policy = parse(text, *kind).unwrap_or_else(|e| panic!("{label}: {e}"));
            (label.clone(), Arc::new(policy))
        })
        .collect()
}

fn compile(parsed: &[(String, Arc<Policy>)]) -> CompiledSet {
    CompiledSet::new(
        parsed
            .iter()
            .map(|(label, policy)| (label.as_str(), Arc::clone(policy))),
    )
}

/// The context a server builds per request (8 keys for the base environment).
fn iam_context(env: &Env) -> Context {
    let mut ctx = Context::with_capacity(6 + env.tags.len());
    ctx.insert("aws:username", env.username)
        .insert("aws:SourceIp", env.source_ip)
        .insert("aws:CurrentTime", env.now)
        .insert(
            "aws:MultiFactorAuthPresent",
            if env.mfa { "true" } else { "false" },
        )
        .insert("aws:MultiFactorAuthAge", env.mfa_age.to_string())
        .insert("aws:RequestedRegion", env.region);
    for (k, v) in env.tags {
        ctx.insert(k, *v);
    }
    ctx
}

fn iam_verdict(set: &CompiledSet, ctx: &Context, action: &str, resource: &str) -> Verdict {
    let req = Request::new(USER_ARN, action, resource, ctx);
    evaluate(&req, &Policies::new(set)).verdict
}

/// Everything the timed benchmarks use, built once.
struct Setup {
    docs: Vec<(String, PolicyKind, String)>,
    parsed: Vec<(String, Arc<Policy>)>,
    set: CompiledSet,
    ctx: Context,
    cedar: cedar::CedarSet,
    cedar_text: String,
    cedar_entities: String,
    iamrs: iam_rs::PolicyEvaluator,
}

fn setup() -> Setup {
    let (n, with_conditions, deny) = fixture::counts();
    assert_eq!((POLICIES.len(), n), (10, 60), "the standard principal");
    println!(
        "standard principal: {} policies, {n} statements ({with_conditions} with conditions, \
         {deny} Deny), {} groups",
        POLICIES.len(),
        fixture::GROUPS.len()
    );
    let docs = documents();
    let parsed = parse_all(&docs);
    let set = compile(&parsed);
    assert_eq!(set.statement_count(), 60);
    let ctx = iam_context(&BASE_ENV);
    let resources: Vec<&str> = SHAPES.iter().map(|s| s.resource).collect();
    let cedar = cedar::CedarSet::new(&BASE_ENV, &resources);
    assert_eq!(cedar.policies.policies().count(), 60);
    let iamrs = iamrs::evaluator();

    // The benchmarked requests: all three engines must give the expected verdict, with the
    // same explicit/implicit distinction.
    for s in SHAPES {
        let ours = iam_verdict(&set, &ctx, s.action, s.resource);
        let theirs_cedar = cedar.verdict(&cedar.request(&BASE_ENV, s.action, s.resource));
        let theirs_iamrs = iamrs::verdict(&iamrs, &iamrs::request(&BASE_ENV, s.action, s.resource));
        assert_eq!(ours, s.expected, "iam-policy on {}", s.name);
        assert_eq!(theirs_cedar, s.expected, "cedar on {}", s.name);
        assert_eq!(theirs_iamrs, s.expected, "iam-rs on {}", s.name);
        println!(
            "  {:<30} {:<22} {:<13} ({})",
            s.name,
            s.action,
            s.expected.as_str(),
            s.why
        );
    }
    sweep(&set);

    Setup {
        cedar_text: cedar::policy_text(fixture::USER),
        cedar_entities: cedar::entities_json(&BASE_ENV, &resources),
        docs,
        parsed,
        set,
        ctx,
        cedar,
        iamrs,
    }
}

/// Every concrete action × every sweep resource × 3 contexts through all three engines.
fn sweep(set: &CompiledSet) {
    let actions = fixture::concrete_actions();
    let (mut total, mut verdicts) = (0usize, [0usize; 3]);
    for env in &fixture::SWEEP_ENVS {
        let ctx = iam_context(env);
        let cedar = cedar::CedarSet::new(env, fixture::SWEEP_RESOURCES);
        let iamrs = iamrs::evaluator();
        for action in &actions {
            for resource in fixture::SWEEP_RESOURCES {
                let ours = iam_verdict(set, &ctx, action, resource);
                let c = cedar.verdict(&cedar.request(env, action, resource));
                let r = iamrs::verdict(&iamrs, &iamrs::request(env, action, resource));
                assert!(
                    ours == c && ours == r,
                    "engines disagree on {action} {resource} ({env:?}): \
                     iam-policy {ours:?}, cedar {c:?}, iam-rs {r:?}"
                );
                total += 1;
                verdicts[match ours {
                    Verdict::Allow => 0,
                    Verdict::ExplicitDeny => 1,
                    Verdict::ImplicitDeny => 2,
                }] += 1;
            }
        }
    }
    println!(
        "equivalence sweep: {total} requests ({} actions x {} resources x {} contexts), all \
         three engines agree: {} Allow, {} ExplicitDeny, {} ImplicitDeny",
        actions.len(),
        fixture::SWEEP_RESOURCES.len(),
        fixture::SWEEP_ENVS.len(),
        verdicts[0],
        verdicts[1],
        verdicts[2]
    );
}

fn kib(bytes: isize) -> String {
    format!("{bytes} B ({:.1} KiB)", bytes as f64 / 1024.0)
}

/// Memory per compiled principal and allocations per decision, printed before the timings.
fn report_memory(s: &Setup) {
    println!("\nmemory (requested bytes, counting allocator):");
    let (set, u) = alloc::measure(|| compile(&s.parsed));
    println!(
        "  iam-policy CompiledSet::new (policies already parsed, shared by Arc): retained {}, \
         {} allocations",
        kib(u.retained),
        u.calls
    );
    drop(set);
    let (both, u) = alloc::measure(|| {
        let parsed = parse_all(&s.docs);
        let set = compile(&parsed);
        (parsed, set)
    });
    println!(
        "  iam-policy parse + compile of the 10 documents: retained {} (set + its parsed \
         policies), {} allocated in {} allocations",
        kib(u.retained),
        kib(u.allocated as isize),
        u.calls
    );
    drop(both);
    let (ps, u) = alloc::measure(|| {
        cedar_policy::PolicySet::from_str(&s.cedar_text).expect("parsed in setup")
    });
    println!(
        "  cedar PolicySet::from_str (60 policies): retained {}, {} allocated",
        kib(u.retained),
        kib(u.allocated as isize)
    );
    drop(ps);
    let (es, u) = alloc::measure(|| {
        cedar_policy::Entities::from_json_str(&s.cedar_entities, None).expect("parsed in setup")
    });
    println!(
        "  cedar Entities (user, groups, action catalog, {} resources): retained {}",
        SHAPES.len(),
        kib(u.retained)
    );
    drop(es);
    let docs: Vec<String> = s.docs.iter().map(|d| d.2.clone()).collect();
    let (ev, u) =
        alloc::measure(|| iam_rs::PolicyEvaluator::with_policies(iamrs::parse_all(&docs)));
    println!(
        "  iam-rs IAMPolicy::from_json x10 + PolicyEvaluator: retained {}, {} allocated",
        kib(u.retained),
        kib(u.allocated as isize)
    );
    drop(ev);

    let (ctx, a) = alloc::measure(|| iam_context(&BASE_ENV));
    drop(ctx);
    let (req, b) = alloc::measure(|| {
        s.cedar
            .request(&BASE_ENV, "s3:GetObject", SHAPES[0].resource)
    });
    drop(req);
    let (req, c) = alloc::measure(|| iamrs::request(&BASE_ENV, "s3:GetObject", SHAPES[0].resource));
    drop(req);
    println!(
        "\nallocations to build one request (calls / bytes): iam-policy Context ({} keys) {} / {} B, \
         cedar Request {} / {} B, iam-rs IAMRequest {} / {} B",
        6 + BASE_ENV.tags.len(),
        a.calls,
        a.allocated,
        b.calls,
        b.allocated,
        c.calls,
        c.allocated
    );

    println!("\nallocations per decision (pre-built request):");
    println!(
        "  {:<30} {:>18} {:>18} {:>18}",
        "shape", "iam-policy", "cedar", "iam-rs"
    );
    for shape in SHAPES {
        let req = Request::new(USER_ARN, shape.action, shape.resource, &s.ctx);
        let (_, a) = alloc::measure(|| evaluate(&req, &Policies::new(&s.set)));
        let creq = s.cedar.request(&BASE_ENV, shape.action, shape.resource);
        let (_, b) = alloc::measure(|| {
            s.cedar
                .authorizer
                .is_authorized(&creq, &s.cedar.policies, &s.cedar.entities)
        });
        let rreq = iamrs::request(&BASE_ENV, shape.action, shape.resource);
        let (_, c) = alloc::measure(|| s.iamrs.evaluate(&rreq));
        let f = |u: alloc::Usage| format!("{} / {} B", u.calls, u.allocated);
        println!(
            "  {:<30} {:>18} {:>18} {:>18}",
            shape.name,
            f(a),
            f(b),
            f(c)
        );
    }
    println!();
}

fn bench_decisions(c: &mut Criterion, s: &Setup) {
    let mut g = c.benchmark_group("decide");
    g.sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for shape in SHAPES {
        let Shape {
            name,
            action,
            resource,
            ..
        } = *shape;

        // iam-policy, hot path: context and request built once.
        let req = Request::new(USER_ARN, action, resource, &s.ctx);
        let policies = Policies::new(&s.set);
        g.bench_function(BenchmarkId::new("iam-policy", name), |b| {
            b.iter(|| evaluate(black_box(&req), black_box(&policies)))
        });
        // iam-policy as a server runs it: build the 8-key context and the request per call.
        g.bench_function(BenchmarkId::new("iam-policy+ctx", name), |b| {
            b.iter(|| {
                let ctx = iam_context(black_box(&BASE_ENV));
                let req = Request::new(USER_ARN, black_box(action), black_box(resource), &ctx);
                evaluate(&req, &Policies::new(&s.set))
            })
        });

        let creq = s.cedar.request(&BASE_ENV, action, resource);
        g.bench_function(BenchmarkId::new("cedar", name), |b| {
            b.iter(|| {
                s.cedar
                    .authorizer
                    .is_authorized(black_box(&creq), &s.cedar.policies, &s.cedar.entities)
                    .decision()
            })
        });
        g.bench_function(BenchmarkId::new("cedar+req", name), |b| {
            b.iter(|| {
                let req =
                    s.cedar
                        .request(black_box(&BASE_ENV), black_box(action), black_box(resource));
                s.cedar
                    .authorizer
                    .is_authorized(&req, &s.cedar.policies, &s.cedar.entities)
                    .decision()
            })
        });

        let rreq = iamrs::request(&BASE_ENV, action, resource);
        g.bench_function(BenchmarkId::new("iam-rs", name), |b| {
            b.iter(|| s.iamrs.evaluate(black_box(&rreq)).map(|r| r.decision))
        });
        g.bench_function(BenchmarkId::new("iam-rs+req", name), |b| {
            b.iter(|| {
                let req =
                    iamrs::request(black_box(&BASE_ENV), black_box(action), black_box(resource));
                s.iamrs.evaluate(&req).map(|r| r.decision)
            })
        });
    }
    g.finish();
}

fn bench_compile(c: &mut Criterion, s: &Setup) {
    let mut g = c.benchmark_group("compile");
    g.sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("iam-policy/CompiledSet::new", |b| {
        b.iter(|| compile(black_box(&s.parsed)))
    });
    g.bench_function("iam-policy/parse+compile", |b| {
        b.iter(|| compile(&parse_all(black_box(&s.docs))))
    });
    g.bench_function("cedar/PolicySet::from_str", |b| {
        b.iter(|| cedar_policy::PolicySet::from_str(black_box(&s.cedar_text)).expect("valid"))
    });
    g.bench_function("cedar/Entities::from_json_str", |b| {
        b.iter(|| {
            cedar_policy::Entities::from_json_str(black_box(&s.cedar_entities), None)
                .expect("valid")
        })
    });
    let docs: Vec<String> = s.docs.iter().map(|d| d.2.clone()).collect();
    g.bench_function("iam-rs/from_json+PolicyEvaluator", |b| {
        b.iter(|| iam_rs::PolicyEvaluator::with_policies(iamrs::parse_all(black_box(&docs))))
    });
    g.finish();
}

/// With `POLICY_BENCH_DUMP=<dir>`, writes the inputs of every engine there for inspection:
/// the 10 AWS documents, the Cedar policies and the Cedar entities.
fn dump(s: &Setup) {
    let Some(dir) = std::env::var_os("POLICY_BENCH_DUMP") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("dump dir");
    for (i, (label, _, text)) in s.docs.iter().enumerate() {
        let name = format!("{:02}-{}.json", i + 1, label.replace('/', "_"));
        std::fs::write(dir.join(name), text).expect("write");
    }
    std::fs::write(dir.join("standard.cedar"), &s.cedar_text).expect("write");
    std::fs::write(dir.join("entities.json"), &s.cedar_entities).expect("write");
    println!("inputs written to {}", dir.display());
}

fn main() {
    let s = setup();
    dump(&s);
    report_memory(&s);
    let mut c = Criterion::default().configure_from_args();
    bench_decisions(&mut c, &s);
    bench_compile(&mut c, &s);
    c.final_summary();
}
