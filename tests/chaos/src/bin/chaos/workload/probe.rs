//! The liveness prober: one client writing a register of its own every 10 ms with a short
//! deadline (1 s), moving to the next node after each failure — what a careful application
//! sees. Its acknowledged writes time how long each fault keeps writes from succeeding.

use super::Env;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// (invoked, acknowledged) ns of every acknowledged probe write.
pub type Acks = Arc<Mutex<Vec<(u64, u64)>>>;

pub async fn run(
    env: Env,
    key: usize,
    acks: Acks,
    now_ns: impl Fn() -> u64 + Send + Sync + 'static,
) {
    let env = Env {
        deadline: Duration::from_secs(1),
        ..env
    };
    let mut node = 0;
    let mut value = -1i64;
    while !env.stopped() {
        let (_, mut c) = env.client(node);
        let invoked = now_ns();
        match super::register::write(&mut c, &env.account, key, value).await {
            Ok(_) => acks.lock().expect("acks").push((invoked, now_ns())),
            Err(_) => node += 1,
        }
        value -= 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
