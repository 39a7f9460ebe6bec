//! Generates the gRPC code with a vendored `protoc`, so no system protoc is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // Build scripts are single-threaded, so setting the environment here races with nothing;
    // PROTOC tells prost-build which protoc binary to run.
    std::env::set_var("PROTOC", protoc);
    // Read at run time: `env!` would bake in the directory the build script was compiled
    // in, and a target dir shared by two checkouts would then compile the other one's protos.
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let root = std::path::Path::new(&manifest).join("../../proto");
    let files = [
        root.join("iam/v1/iam.proto"),
        root.join("iam/raft/v1/raft.proto"),
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    tonic_prost_build::configure().compile_protos(&files, &[root])?;
    Ok(())
}
