//! The control socket: lets management commands (`lango nas add`, `lango
//! service suspend`, ...) reach a running server. The server holds the
//! database exclusively (redb's multi-process mode costs ~10 µs of file
//! locking per transaction on the authentication path), so a command that
//! finds the database locked sends its arguments here and the server runs
//! the very same code against its store.
//!
//! The socket is `<data_dir>/lango.ctl`, mode 0600: only the user that runs
//! lango (and root) can use it. One request per connection: a JSON object
//! `{"args": [...], "actor": "..."}`, then the write half closed. The reply
//! streams: frames of a kind byte and a big-endian u32 length, `o` with a
//! piece of the command's output as it is written (at most 64 KiB each, a
//! few in flight, so a command listing a million sessions holds kilobytes,
//! not the whole listing), then one `k` (done) or `e` (failed, with the
//! error's text) ending the reply.

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

/// Output pieces in flight between the command and the socket.
const IN_FLIGHT: usize = 4;
const PIECE: usize = 64 * 1024;

/// One frame of a reply.
#[derive(Debug)]
enum Frame {
    Output(Vec<u8>),
    Done,
    Failed(String),
}

impl Frame {
    fn encode(&self) -> Vec<u8> {
        let (kind, body): (u8, &[u8]) = match self {
            Frame::Output(b) => (b'o', b),
            Frame::Done => (b'k', &[]),
            Frame::Failed(e) => (b'e', e.as_bytes()),
        };
        let mut v = Vec::with_capacity(5 + body.len());
        v.push(kind);
        v.extend_from_slice(&(body.len() as u32).to_be_bytes());
        v.extend_from_slice(body);
        v
    }
}

/// A command's output, sent on as it is written (blocking when the client
/// reads slowly: backpressure instead of growth).
struct Pieces {
    tx: tokio::sync::mpsc::Sender<Frame>,
    buf: Vec<u8>,
}

impl std::io::Write for Pieces {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE));
        self.tx
            .blocking_send(Frame::Output(piece))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

/// Run one request, streaming its output into `tx`, then its end.
fn execute_streaming(
    store: &Store,
    clock: &Clock,
    payments: Option<&Engine>,
    req: &Request,
    tx: tokio::sync::mpsc::Sender<Frame>,
) {
    let argv = std::iter::once("lango".to_string()).chain(req.args.iter().cloned());
    let end = match ManageCli::try_parse_from(argv) {
        Err(e) => Frame::Failed(e.to_string()),
        Ok(parsed) => {
            let mut out = Pieces { tx: tx.clone(), buf: Vec::new() };
            let actor = format!("{} (via control socket)", req.actor);
            let ctx = cli::Ctx { store, clock, payments, vars: Some(&req.env) };
            let r = cli::run_in(&ctx, &actor, parsed.cmd, &mut out);
            let flushed = std::io::Write::flush(&mut out);
            match (r, flushed) {
                (Ok(()), Ok(())) => Frame::Done,
                (Err(e), _) => Frame::Failed(format!("error: {e:#}\n")),
                (Ok(()), Err(e)) => Frame::Failed(format!("error: {e}\n")),
            }
        }
    };
    let _ = tx.blocking_send(end);
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
            let req = match serde_json::from_slice::<Request>(&buf) {
                Ok(req) => req,
                Err(e) => {
                    let _ =
                        stream.write_all(&Frame::Failed(format!("error: bad control request: {e}\n")).encode()).await;
                    return;
                }
            };
            let (tx, mut rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
            let job = tokio::task::spawn_blocking(move || execute_streaming(&store, &clock, Some(&payments), &req, tx));
            // Each frame goes out as it comes; a client that stops reading
            // stops the command at its next write (its channel closes).
            while let Some(frame) = rx.recv().await {
                if stream.write_all(&frame.encode()).await.is_err() {
                    break;
                }
            }
            drop(rx);
            if let Err(e) = job.await {
                let _ = stream.write_all(&Frame::Failed(format!("error: command failed: {e}\n")).encode()).await;
            }
            let _ = stream.shutdown().await;
        });
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

/// Client side: send `args` to the server that holds `data_dir`; its
/// output is written to `out` as it arrives, and the reply's end says
/// whether the command worked (`ok: false` with the error's text).
#[cfg(unix)]
pub fn forward(
    data_dir: &Path,
    args: Vec<String>,
    actor: String,
    env: std::collections::HashMap<String, String>,
    out: &mut impl std::io::Write,
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
    let mut r = std::io::BufReader::new(s);
    loop {
        let mut head = [0u8; 5];
        r.read_exact(&mut head).map_err(|e| anyhow::anyhow!("the server ended the reply early: {e}"))?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        anyhow::ensure!(len <= 16 * 1024 * 1024, "a reply frame of {len} bytes");
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        match head[0] {
            b'o' => out.write_all(&body)?,
            b'k' => return Ok(Response { ok: true, output: String::new() }),
            b'e' => return Ok(Response { ok: false, output: String::from_utf8_lossy(&body).into_owned() }),
            other => anyhow::bail!("an unknown reply frame {other:#x}"),
        }
    }
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

    /// Run one request as the server does, collecting its frames.
    fn execute(store: &Store, clock: &Clock, _p: Option<&Engine>, req: &Request) -> Response {
        let (tx, mut rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
        std::thread::scope(|scope| {
            scope.spawn(|| execute_streaming(store, clock, None, req, tx));
            let mut output = String::new();
            while let Some(frame) = rx.blocking_recv() {
                match frame {
                    Frame::Output(b) => output.push_str(&String::from_utf8_lossy(&b)),
                    Frame::Done => return Response { ok: true, output },
                    Frame::Failed(e) => return Response { ok: false, output: output + &e },
                }
            }
            Response { ok: false, output }
        })
    }

    #[test]
    fn a_long_output_arrives_in_pieces_with_backpressure() {
        let store = Store::in_memory().unwrap();
        let clock = Clock::manual(1_800_000_000);
        for i in 0..1000 {
            let args = vec![
                "tenant".into(),
                "add".into(),
                format!("isp-{i:05}-with-a-name-long-enough-that-a-thousand-of-them-fill-two-pieces"),
            ];
            let r = execute(&store, &clock, None, &Request { args, actor: "t".into(), env: Default::default() });
            assert!(r.ok, "{}", r.output);
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
        let req = Request { args: vec!["tenant".into(), "list".into()], actor: "t".into(), env: Default::default() };
        std::thread::scope(|scope| {
            scope.spawn(|| execute_streaming(&store, &clock, None, &req, tx));
            let (mut pieces, mut bytes) = (0, 0);
            loop {
                match rx.blocking_recv().expect("an end frame") {
                    Frame::Output(b) => {
                        assert!(b.len() < 2 * PIECE);
                        pieces += 1;
                        bytes += b.len();
                    }
                    Frame::Done => break,
                    Frame::Failed(e) => panic!("{e}"),
                }
            }
            assert!(pieces > 1 && bytes > PIECE, "{pieces} pieces, {bytes} bytes");
        });
    }

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
