//! `iamctl snapshot save FILE` (a backup of the whole state, streamed from any node: operator
//! only), `iamctl snapshot status FILE` (what a backup file holds, verified) and `iamctl
//! snapshot restore FILE` (the running cluster's state replaced by the file's, through the
//! log). `iamd serve --bootstrap --restore-from FILE` builds a new cluster from a file.

use super::Ctx;
use crate::output::print;
use anyhow::{bail, Context};
use clap::Subcommand;
use iam_proto::v1::{RestoreChunk, SaveSnapshotRequest};
use iam_state::backup;
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub(crate) enum SnapshotCmd {
    /// Save the state of the answering node (at the --consistency asked for) to FILE: a
    /// point-in-time backup with a header and a SHA-256. Secrets stay sealed with the cluster
    /// secret key; keep the file as safe as the key.
    Save { file: PathBuf },
    /// Verify a backup file and show its header: cluster, log index, format, entity counts.
    Status { file: PathBuf },
    /// Replace the whole state of the running cluster with FILE's (every member applies it
    /// through the log; whatever was written since the backup is gone). Operator only.
    Restore {
        file: PathBuf,
        /// Allow a backup of another cluster (sealed with the same cluster secret key).
        #[arg(long)]
        force: bool,
    },
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: SnapshotCmd) -> anyhow::Result<u8> {
    match cmd {
        SnapshotCmd::Save { file } => save(ctx, &file).await,
        SnapshotCmd::Status { file } => status(ctx, &file),
        SnapshotCmd::Restore { file, force } => restore(ctx, &file, force).await,
    }
}

/// Size of the chunks a restore streams in.
const RESTORE_CHUNK_BYTES: usize = 1 << 20;

async fn restore(ctx: &mut Ctx, file: &Path, force: bool) -> anyhow::Result<u8> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    // A damaged file is refused here, before anything is sent.
    if let Err(e) = backup::decode(&bytes) {
        bail!(SnapshotRefused(format!("{}: {e}", file.display())));
    }
    let chunks: Vec<RestoreChunk> = bytes
        .chunks(RESTORE_CHUNK_BYTES)
        .enumerate()
        .map(|(i, c)| RestoreChunk {
            data: c.to_vec(),
            force: i == 0 && force,
        })
        .collect();
    let reply = ctx
        .client()?
        .call(|_, mut c| {
            let chunks = futures::stream::iter(chunks.clone());
            async move { c.restore_snapshot(chunks).await }
        })
        .await?;
    print(
        ctx.output,
        &["FILE", "FROM_CLUSTER", "FROM_INDEX", "PAIRS", "RESTORED_AT"],
        &[vec![
            file.display().to_string(),
            reply.from_cluster_id.clone(),
            reply.from_index.to_string(),
            reply.pairs.to_string(),
            reply.index.to_string(),
        ]],
        &json!({
            "file": file.display().to_string(),
            "from_cluster_id": reply.from_cluster_id,
            "from_index": reply.from_index,
            "pairs": reply.pairs,
            "index": reply.index,
        }),
    );
    Ok(0)
}

async fn save(ctx: &mut Ctx, file: &Path) -> anyhow::Result<u8> {
    let read = ctx.read;
    let mut stream = ctx
        .client()?
        .call(|_, mut c| async move {
            c.save_snapshot(SaveSnapshotRequest { read: Some(read) })
                .await
        })
        .await?;
    let progress = std::io::stderr().is_terminal();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream
        .message()
        .await
        .context("the snapshot stream broke off")?
    {
        bytes.extend_from_slice(&chunk.data);
        if progress {
            eprint!("\rreceived {:.1} MiB", bytes.len() as f64 / 1048576.0);
        }
    }
    if progress {
        eprintln!();
    }
    // What arrived must be a whole, valid backup before it replaces anything.
    let (header, _) = backup::decode(&bytes).context("the node sent an invalid snapshot")?;
    let tmp = file.with_extension("part");
    std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", tmp.display()))?;
    std::fs::rename(&tmp, file).with_context(|| format!("cannot write {}", file.display()))?;
    show(ctx, file, &header, &bytes);
    Ok(0)
}

fn status(ctx: &Ctx, file: &Path) -> anyhow::Result<u8> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    match backup::decode(&bytes) {
        Ok((header, _)) => {
            show(ctx, file, &header, &bytes);
            Ok(0)
        }
        Err(e) => {
            let _ = std::io::stdout().flush();
            bail!(SnapshotRefused(format!("{}: {e}", file.display())))
        }
    }
}

/// A backup file that does not verify: refused like a bad policy (exit code 1).
#[derive(Debug)]
pub(crate) struct SnapshotRefused(pub(crate) String);

impl std::fmt::Display for SnapshotRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SnapshotRefused {}

fn show(ctx: &Ctx, file: &Path, h: &backup::Header, bytes: &[u8]) {
    let sha = backup::file_sha256(bytes);
    let counts: Vec<String> = h.counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
    print(
        ctx.output,
        &[
            "FILE", "CLUSTER", "INDEX", "FORMAT", "PAIRS", "BYTES", "SHA256", "COUNTS",
        ],
        &[vec![
            file.display().to_string(),
            h.cluster_id.clone(),
            h.index.to_string(),
            backup::FORMAT_VERSION.to_string(),
            h.pairs.to_string(),
            bytes.len().to_string(),
            sha.clone(),
            counts.join(","),
        ]],
        &json!({
            "file": file.display().to_string(),
            "cluster_id": h.cluster_id,
            "node_id": h.node_id,
            "index": h.index,
            "format_version": backup::FORMAT_VERSION,
            "created_ms": h.created_ms,
            "iamd_version": h.iamd_version,
            "pairs": h.pairs,
            "bytes": bytes.len(),
            "sha256": sha,
            "counts": h.counts,
        }),
    );
}
