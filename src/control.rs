//! The control socket: lets management commands (`lango nas add`, `lango
//! service suspend`, ...) reach a running server. The server holds the
//! database exclusively (redb's multi-process mode costs ~10 µs of file
//! locking per transaction on the authentication path), so a command that
//! finds the database locked sends its arguments here and the server runs
//! the very same code against its store.
//!
//! The socket is `<data_dir>/lango.ctl`, mode 0600: only the user that runs
//! lango (and root) can use it. One request per connection: a JSON object
//! `{"args": [...], "actor": "..."}`; the reply is `{"ok": bool, "output": "..."}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use crate::cli::{self, ManageCli};
use crate::clock::Clock;
use crate::payments::engine::Engine;
use crate::store::Store;

#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub args: Vec<String>,
    pub actor: String,
    /// Environment values the command names (`--password-env VAR`), sent
    /// by the client so secrets stay off the command line.
    #[serde(default)]
    pub env: std::collections::HashMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    pub output: String,
}

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("lango.ctl")
}

/// Largest request accepted (arguments of one command).
const MAX_REQUEST: u64 = 64 * 1024;

/// Run one request against the store: parse as the CLI does, execute,
/// capture the output.
pub fn execute(store: &Store, clock: &Clock, payments: Option<&Engine>, req: &Request) -> Response {
    let argv = std::iter::once("lango".to_string()).chain(req.args.iter().cloned());
    let parsed = match ManageCli::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => return Response { ok: false, output: e.to_string() },
    };
    let mut out = Vec::new();
    let actor = format!("{} (via control socket)", req.actor);
    let ctx = cli::Ctx { store, clock, payments, vars: Some(&req.env) };
    match cli::run_in(&ctx, &actor, parsed.cmd, &mut out) {
        Ok(()) => Response { ok: true, output: String::from_utf8_lossy(&out).into_owned() },
        Err(e) => Response { ok: false, output: format!("{}error: {e:#}\n", String::from_utf8_lossy(&out)) },
    }
}

#[cfg(unix)]
pub async fn serve(
    path: PathBuf,
    store: Arc<Store>,
    clock: Clock,
    payments: Arc<Engine>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tracing::info!("control listening on {}", path.display());
    loop {
        let (mut stream, _) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "control socket accept failed");
                    continue;
                }
            },
        };
        let (store, clock, payments) = (store.clone(), clock.clone(), payments.clone());
        tokio::spawn(async move {
            let mut buf = Vec::new();
            if (&mut stream).take(MAX_REQUEST).read_to_end(&mut buf).await.is_err() {
                return;
            }
            let resp = match serde_json::from_slice::<Request>(&buf) {
                Ok(req) => tokio::task::spawn_blocking(move || execute(&store, &clock, Some(&payments), &req))
                    .await
                    .unwrap_or_else(|e| Response { ok: false, output: format!("error: command failed: {e}\n") }),
                Err(e) => Response { ok: false, output: format!("error: bad control request: {e}\n") },
            };
            let bytes = serde_json::to_vec(&resp).unwrap_or_default();
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        });
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Client side: send `args` to the server that holds `data_dir`.
#[cfg(unix)]
pub fn forward(
    data_dir: &Path,
    args: Vec<String>,
    actor: String,
    env: std::collections::HashMap<String, String>,
) -> anyhow::Result<Response> {
    use std::io::{Read, Write};
    let path = socket_path(data_dir);
    let mut s = std::os::unix::net::UnixStream::connect(&path).map_err(|e| {
        anyhow::anyhow!(
            "the database in {} is in use by another process, and its control socket {} answers: {e}",
            data_dir.display(),
            path.display()
        )
    })?;
    s.write_all(&serde_json::to_vec(&Request { args, actor, env })?)?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    Ok(serde_json::from_slice(&buf)?)
}

/// Whether a lango serves `data_dir` now (its control socket answers).
#[cfg(unix)]
pub fn is_running(data_dir: &std::path::Path) -> bool {
    std::os::unix::net::UnixStream::connect(socket_path(data_dir)).is_ok()
}

/// Whether a lango serves `data_dir` now (the database is held open).
#[cfg(not(unix))]
pub fn is_running(data_dir: &std::path::Path) -> bool {
    matches!(redb::Database::create(data_dir.join("lango.redb")), Err(redb::DatabaseError::DatabaseAlreadyOpen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_runs_cli_commands_and_reports_errors() {
        let store = Store::in_memory().unwrap();
        let clock = Clock::manual(1_800_000_000);
        let req = |args: &[&str]| Request {
            args: args.iter().map(|s| s.to_string()).collect(),
            actor: "test".into(),
            env: Default::default(),
        };
        let r = execute(&store, &clock, None, &req(&["tenant", "add", "isp"]));
        assert!(r.ok, "{}", r.output);
        let r = execute(&store, &clock, None, &req(&["--data", "/x", "tenant", "list"]));
        assert!(r.ok && r.output.contains("isp"), "{}", r.output);
        let r = execute(&store, &clock, None, &req(&["tenant", "add", "isp"]));
        assert!(!r.ok && r.output.contains("already exists"), "{}", r.output);
        let r = execute(&store, &clock, None, &req(&["bogus"]));
        assert!(!r.ok);
        let log = store.audit_log(1).unwrap();
        assert_eq!(log[0].actor, "test (via control socket)");
    }
}
