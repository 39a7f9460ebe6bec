//! One run from start to verdict: cluster, workloads under the nemesis, heal, controls,
//! final reads, checks, liveness figures, report.

use crate::cluster::Cluster;
use crate::liveness::{liveness, Liveness};
use crate::nemesis::{self, Kind};
use crate::workload::{at_least, linearizable, probe, quota, register, revoke, set, Env};
use crate::Args;
use anyhow::Context;
use iamd_chaos::check::linear::{check, RegisterModel};
use iamd_chaos::check::quota::check_quota;
use iamd_chaos::check::set::check_set;
use iamd_chaos::check::Summary;
use iamd_chaos::history::{History, Outcome};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The account's role quota (AWS's default, which iamd enforces).
const ROLE_QUOTA: usize = 250;
/// Roles the role workload tries to create: past the quota.
const ROLE_ATTEMPTS: usize = 300;
const BANK: &str = "bank";
const BANK_LIMIT: u64 = 40;

/// One fault as it happened.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub kind: Kind,
    pub start_ns: u64,
    pub end_ns: u64,
    pub description: String,
    pub skipped: bool,
}

#[derive(Debug, Serialize)]
pub struct Summaryline {
    pub name: String,
    pub ok: usize,
    pub fail: usize,
    pub info: usize,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RunReport {
    pub seed: u64,
    pub nodes: u64,
    pub spares: u64,
    pub duration_s: u64,
    pub snapshot_every: u64,
    pub faults_by_kind: BTreeMap<String, usize>,
    pub checks: Vec<Summaryline>,
    pub revocation: revoke::Report,
    pub controls: crate::controls::Controls,
    pub liveness: Liveness,
    pub hashes: BTreeMap<u64, (u64, String)>,
    /// InstallSnapshot calls each member served (counted since its last start).
    pub snapshots_installed: BTreeMap<u64, u64>,
    pub passed: bool,
    pub dir: String,
}

/// Retries `f` until it succeeds or `limit` passes.
async fn retry<T, F, Fut>(limit: Duration, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let start = Instant::now();
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if start.elapsed() > limit => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<bool> {
    let seed = args.seed.unwrap_or_else(rand::random);
    let kinds = crate::kinds(&args)?;
    let hold = (
        args.hold_ms[0],
        *args.hold_ms.get(1).unwrap_or(&args.hold_ms[0]),
    );
    let schedule = nemesis::schedule(seed, &kinds, Duration::from_secs(args.duration), hold);
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("/var/tmp/iamd-chaos-{seed}")));
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "chaos: seed {seed}, {} nodes (+{} spares), {} s of faults, snapshot every {}, dir {}",
        args.nodes,
        args.spares,
        args.duration,
        args.snapshot_every,
        dir.display()
    );
    println!(
        "schedule: {}",
        schedule
            .iter()
            .map(|s| format!("{}:{}ms", s.kind.name(), s.hold_ms))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let bin = crate::iamd_path(&args)?;
    let mut c = Cluster::start(
        &bin,
        &dir,
        args.nodes,
        args.nodes + args.spares,
        args.snapshot_every,
        seed,
    )
    .await?;
    let origin = Instant::now();
    let now_ns = move || origin.elapsed().as_nanos() as u64;
    let stop = Arc::new(AtomicBool::new(false));
    let env = Env {
        nodes: c.nodes.values().map(|n| (n.id, n.url())).collect(),
        creds: c.creds.clone(),
        account: c.account.clone(),
        stop: stop.clone(),
        deadline: crate::CALL_DEADLINE,
    };
    // Setup (before any fault).
    let setup_env = Env {
        deadline: Duration::from_secs(10),
        ..env.clone()
    };
    retry(Duration::from_secs(30), || {
        let e = setup_env.clone();
        let keys = args.keys;
        async move { register::setup(&e, keys + 2).await }
    })
    .await
    .context("register setup")?;
    retry(Duration::from_secs(30), || {
        quota::set_limit(&setup_env, BANK, BANK_LIMIT)
    })
    .await
    .context("quota setup")?;
    retry(Duration::from_secs(30), || revoke::setup(&setup_env))
        .await
        .context("revocation setup")?;
    // The users and roles workloads get an account of their own: they run into its user
    // quota (5,000) and role quota (250) on purpose, which must not stop the others.
    let set_account = retry(Duration::from_secs(30), || {
        let e = setup_env.clone();
        async move {
            let (_, mut c) = e.client(0);
            let cmd = iam_state::Command::CreateAccount {
                account_id: String::new(),
                name: "chaos-sets".into(),
                email: "sets@chaos.example.com".into(),
            };
            let (v, _) = c.write(&cmd, &iam_client::Client::new_token()).await?;
            v["id"]
                .as_str()
                .map(str::to_owned)
                .context("CreateAccount returned no id")
        }
    })
    .await
    .context("the sets' account")?;
    let set_env = Env {
        account: set_account,
        ..env.clone()
    };

    // Workloads.
    let reg: register::RegHistory = History::with_origin(origin);
    let bank: quota::QuotaHistory = History::with_origin(origin);
    let users: set::Attempts = Arc::default();
    let roles: set::Attempts = Arc::default();
    let tasks = vec![
        tokio::spawn(register::run(
            env.clone(),
            reg.clone(),
            args.clients,
            args.keys,
            seed,
        )),
        tokio::spawn(quota::run(
            env.clone(),
            bank.clone(),
            BANK.into(),
            args.clients,
            seed,
        )),
        tokio::spawn(set::run(
            set_env.clone(),
            set::Kind::Users,
            args.clients,
            None,
            users.clone(),
            now_ns,
        )),
        tokio::spawn(set::run(
            set_env.clone(),
            set::Kind::Roles,
            args.clients,
            Some(ROLE_ATTEMPTS),
            roles.clone(),
            now_ns,
        )),
    ];
    let revocation = tokio::spawn(revoke::run(env.clone()));
    let probe_acks: probe::Acks = Arc::default();
    let prober = tokio::spawn(probe::run(
        env.clone(),
        args.keys + 1,
        probe_acks.clone(),
        now_ns,
    ));

    // The nemesis.
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(args.duration);
    for step in &schedule {
        if Instant::now() > deadline {
            break;
        }
        let applied = nemesis::apply(&mut c, step).await;
        // The fault is in effect from here (the leader lookup before it took some time).
        let start_ns = now_ns();
        println!("[{:7.1}s] {}", start_ns as f64 / 1e9, applied.description);
        tokio::time::sleep(Duration::from_millis(step.hold_ms)).await;
        nemesis::heal(&mut c, &applied);
        let end_ns = now_ns();
        events.push(Event {
            kind: step.kind,
            start_ns,
            end_ns,
            description: applied.description,
            skipped: applied.skipped,
        });
        tokio::time::sleep(Duration::from_millis(step.rest_ms)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks.into_iter().chain([prober]) {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    let revocation = tokio::time::timeout(Duration::from_secs(60), revocation)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();

    // Heal everything and wait for every member to hold the same state.
    c.net.heal();
    for id in c.members() {
        c.resume(id);
        if !c.running().contains(&id) {
            c.spawn(id)?;
        }
    }
    let (hashes, converge_ms) = converge(&mut c, Duration::from_secs(120)).await;
    let snapshots_installed = c.snapshots_installed().await;
    let converge_ms = converge_ms.unwrap_or(f64::NAN);

    // Negative controls, on the healed cluster.
    // From here on only the members (removed nodes and unused spares answer nothing).
    let ctl_env = Env {
        nodes: c
            .members()
            .into_iter()
            .map(|id| (id, c.nodes[&id].url()))
            .collect(),
        stop: Arc::new(AtomicBool::new(false)),
        ..env.clone()
    };
    let controls = crate::controls::run(&mut c, &ctl_env, args.keys).await;

    // Final reads and checks.
    let mut checks = Vec::new();
    let reg_entries = reg.entries();
    let verdict = check(&RegisterModel, &reg_entries, 20_000_000);
    checks.push(Summary::from_verdict(
        "register (linearizable)",
        reg.counts(),
        &verdict,
    ));
    let sets_env = Env {
        account: set_env.account.clone(),
        ..ctl_env.clone()
    };
    checks.push(final_sets(&mut c, &sets_env, "users", set::Kind::Users, &users, None).await);
    checks.push(
        final_sets(
            &mut c,
            &sets_env,
            "roles (250 quota)",
            set::Kind::Roles,
            &roles,
            Some(ROLE_QUOTA),
        )
        .await,
    );
    checks.push(final_quota(&ctl_env, &bank).await);
    let mut revocation_problems = revocation.stale_allows.clone();
    if revocation.rounds == 0 {
        revocation_problems.push("no revocation round completed: nothing was shown".into());
    }
    checks.push(Summary::new(
        "revocation (no stale allow)",
        (
            revocation.refused_at_least + revocation.refused_linearizable,
            revocation.skipped,
            revocation.unanswered,
        ),
        revocation_problems,
    ));
    let mut convergence_problems = Vec::new();
    let distinct: BTreeSet<&String> = hashes.values().map(|(_, h)| h).collect();
    if distinct.len() != 1 || hashes.len() != c.members().len() {
        convergence_problems.push(format!("state hashes after heal: {hashes:?}"));
    }
    checks.push(Summary::new(
        "convergence",
        (hashes.len(), 0, 0),
        convergence_problems,
    ));
    checks.push(Summary::new(
        "negative controls",
        (4, 0, 0),
        controls.problems(),
    ));

    // Histories are kept with the run.
    reg.write_jsonl(dir.join("register.jsonl"))?;
    bank.write_jsonl(dir.join("quota.jsonl"))?;
    write_attempts(&dir.join("users.jsonl"), &users)?;
    write_attempts(&dir.join("roles.jsonl"), &roles)?;

    let liveness = liveness(&events, &probe_acks, converge_ms);
    let passed = checks.iter().all(Summary::passed);
    let mut faults_by_kind = BTreeMap::new();
    for e in events.iter().filter(|e| !e.skipped) {
        *faults_by_kind.entry(e.kind.name().to_owned()).or_insert(0) += 1;
    }
    let report = RunReport {
        seed,
        nodes: args.nodes,
        spares: args.spares,
        duration_s: args.duration,
        snapshot_every: args.snapshot_every,
        faults_by_kind,
        checks: checks
            .iter()
            .map(|s| Summaryline {
                name: s.name.clone(),
                ok: s.counts.0,
                fail: s.counts.1,
                info: s.counts.2,
                problems: s.problems.clone(),
            })
            .collect(),
        revocation,
        controls,
        liveness,
        hashes,
        snapshots_installed,
        passed,
        dir: dir.display().to_string(),
    };
    print_report(&report, &checks);
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(dir.join("report.json"), &json)?;
    if let Some(p) = &args.json {
        std::fs::write(p, &json)?;
    }
    c.stop_all();
    drop(c);
    if passed && !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("kept: {} (histories, node logs and data)", dir.display());
    }
    Ok(passed)
}

/// Waits until every member answers the same state hash twice in a row; returns the
/// hashes and the time (ms since the call) it took.
async fn converge(c: &mut Cluster, limit: Duration) -> (BTreeMap<u64, (u64, String)>, Option<f64>) {
    let start = Instant::now();
    let mut last = BTreeMap::new();
    loop {
        let h = c.hashes().await;
        let members = c.members().len();
        let same =
            h.len() == members && h.values().map(|(_, s)| s).collect::<BTreeSet<_>>().len() == 1;
        if same && h == last {
            return (h, Some(start.elapsed().as_secs_f64() * 1e3));
        }
        if start.elapsed() > limit {
            return (h, None);
        }
        last = h;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn final_sets(
    c: &mut Cluster,
    env: &Env,
    name: &str,
    kind: set::Kind,
    attempts: &set::Attempts,
    cap: Option<usize>,
) -> Summary {
    let attempts: Vec<(String, Outcome)> = attempts
        .lock()
        .expect("attempts")
        .iter()
        .map(|a| (a.name.clone(), a.outcome))
        .collect();
    let index = c
        .hashes()
        .await
        .values()
        .map(|(i, _)| *i)
        .max()
        .unwrap_or(0);
    let mut observed = Vec::new();
    let mut problems = Vec::new();
    for id in c.members() {
        let mut client = env.client_at(&c.nodes[&id].url(), &env.creds);
        for (what, read) in [
            ("at-least", at_least(index)),
            ("linearizable", linearizable()),
        ] {
            match set::list(&mut client, &env.account, kind, read).await {
                Ok(names) => {
                    if let Some(cap) = cap {
                        if names.len() > cap {
                            problems.push(format!(
                                "node {id} holds {} {name}, more than the quota {cap}",
                                names.len()
                            ));
                        }
                    }
                    observed.push((format!("n{id} {what}"), names));
                }
                Err(e) => problems.push(format!("node {id}: final {what} read failed: {e}")),
            }
        }
    }
    let report = check_set(&attempts, &observed);
    problems.extend(report.violations());
    let counts = attempts
        .iter()
        .fold((0, 0, 0), |(o, f, i), (_, oc)| match oc {
            Outcome::Ok => (o + 1, f, i),
            Outcome::Fail => (o, f + 1, i),
            Outcome::Info => (o, f, i + 1),
        });
    Summary::new(name, counts, problems)
}

async fn final_quota(env: &Env, bank: &quota::QuotaHistory) -> Summary {
    let (_, mut c) = env.client(0);
    let mut problems = Vec::new();
    let mut finals = BTreeMap::new();
    let mut limits = BTreeMap::new();
    for i in 0..env.nodes.len() {
        let (_, mut client) = env.client(i);
        if let Ok((used, limit)) =
            quota::usage(&mut client, &env.account, BANK, linearizable()).await
        {
            finals.insert(BANK.to_owned(), used);
            limits.insert(BANK.to_owned(), limit);
            break;
        }
    }
    if finals.is_empty() {
        if let Err(e) = quota::usage(&mut c, &env.account, BANK, linearizable()).await {
            problems.push(format!("final usage unreadable: {e}"));
        }
    }
    let report = check_quota(&bank.entries(), &finals, &limits);
    problems.extend(report.violations());
    Summary::new(
        format!("quota (cap {BANK_LIMIT}, final {:?})", finals.get(BANK)),
        bank.counts(),
        problems,
    )
}

fn write_attempts(path: &std::path::Path, attempts: &set::Attempts) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for a in attempts.lock().expect("attempts").iter() {
        writeln!(
            f,
            "{}",
            serde_json::json!({"name": a.name, "outcome": format!("{:?}", a.outcome), "invoked_ns": a.invoked_ns, "ok_ns": a.ok_ns, "error": a.error})
        )?;
    }
    Ok(())
}

fn print_report(r: &RunReport, checks: &[Summary]) {
    println!("\n== chaos run, seed {} ==", r.seed);
    println!("faults: {:?}", r.faults_by_kind);
    for s in checks {
        println!("{s}");
    }
    println!(
        "revocation: {} rounds {:?}, refused at-least {} / linearizable {}, unanswered {}, skipped {}, stale allows {}",
        r.revocation.rounds,
        r.revocation.by_kind,
        r.revocation.refused_at_least,
        r.revocation.refused_linearizable,
        r.revocation.unanswered,
        r.revocation.skipped,
        r.revocation.stale_allows.len()
    );
    println!(
        "controls: stale local read flagged {} ({}); strong reads passed {}; double count without token flagged {}; one-token retries passed {}",
        r.controls.stale_read_flagged,
        r.controls.stale_read,
        r.controls.strong_reads_passed,
        r.controls.double_count_flagged,
        r.controls.token_retries_passed
    );
    for d in &r.controls.quota_detail {
        println!("  {d}");
    }
    let l = &r.liveness;
    println!(
        "liveness: {} leader-loss events, to next acknowledged write p50 {:?} ms p99 {:?} ms max {:?} ms; converge after heal {:.0} ms",
        l.leader_loss_events, l.recovery_p50_ms, l.recovery_p99_ms, l.recovery_max_ms, l.converge_ms
    );
    println!(
        "longest write gap per fault kind (ms): {:?}",
        l.gap_by_kind_ms
    );
    println!(
        "snapshots installed per member (since its last start): {:?}",
        r.snapshots_installed
    );
    println!("RESULT: {}", if r.passed { "PASS" } else { "FAIL" });
}
