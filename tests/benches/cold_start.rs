//! Each function's cold start and memory, as Lambda runs it: the real binary (release profile),
//! started as a process against a local Lambda Runtime API that this bench serves, with its AWS
//! clients pointed at the local stack's emulator. A benchmark, not a test:
//!
//!     cargo build --release --locked -p portal-functions --bin bootstrap
//!     cargo bench -p portal-e2e --bench cold_start        COLD_RUNS=3 starts, WARM_CALLS=20 calls
//!
//! (or `BOOTSTRAP=<release binary> cargo bench --profile dev -p portal-e2e --bench cold_start`,
//! which spares the bench's own release link; `FUNCTIONS=get_me,create_token` measures only those).
//!
//! Every function runs the one binary, `bootstrap`, with its `Handler` (`_HANDLER`) naming the
//! operation, as Lambda runs it. For every function it measures:
//! - cold start: from spawning the process to the Runtime API receiving the answer to the first
//!   invocation, which is the function's sample event from `events/` (the median of COLD_RUNS
//!   starts). This covers loading the binary, reading the configuration, building the AWS
//!   clients, the handler and its first AWS requests (new connections included);
//! - warm latency: the same event again, from handing it out to receiving the answer (p50);
//! - CPU time: up to the first answer, and per warm call (all threads, from /proc);
//! - peak memory: the process's peak resident set (VmHWM) after all those calls;
//! - the memory size that follows from those figures (see `memory_size`), which template.yaml uses.
//!
//! The sample events name users, applications and links that the fresh stack does not hold, so
//! most first answers are 401, 403 or 404 after the same reads a successful call starts with;
//! the table shows each status. The binary is the release build of this machine's
//! architecture rather than Lambda's arm64; the bench refuses to run when it is missing or
//! older than its sources (see `release_binary`).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use portal_e2e::Stack;
use portal_functions::Function;
use serde_json::Value;
use tokio::sync::{Mutex, Notify, mpsc};

/// One invocation to hand out.
struct Invocation {
    id: String,
    event: String,
}

/// What a function sent back.
struct Outcome {
    id: String,
    at: Instant,
    /// The response's `statusCode`, or "error" for an invocation or init error.
    status: String,
}

struct Runtime {
    queue: Mutex<VecDeque<Invocation>>,
    ready: Notify,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> (HeaderMap, String) {
    loop {
        if let Some(invocation) = rt.queue.lock().await.pop_front() {
            let mut headers = HeaderMap::new();
            let header = |v: &str| HeaderValue::from_str(v).expect("header value");
            headers.insert("lambda-runtime-aws-request-id", header(&invocation.id));
            let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
            headers.insert("lambda-runtime-deadline-ms", header(&deadline.to_string()));
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                header("arn:aws:lambda:eu-west-1:123456789012:function:bench"),
            );
            headers.insert("lambda-runtime-trace-id", header("Root=1-5f84c7a9-0e5a1b2c3d4e5f6a7b8c9d0e"));
            return (headers, invocation.event);
        }
        rt.ready.notified().await;
    }
}

async fn response(State(rt): State<Arc<Runtime>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let status = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("statusCode").map(|s| s.to_string()))
        .unwrap_or_else(|| "200".into());
    let _ = rt.outcomes.send(Outcome { id, at, status });
    StatusCode::ACCEPTED
}

async fn invocation_error(State(rt): State<Arc<Runtime>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    eprintln!("function error: {}", String::from_utf8_lossy(&body));
    let _ = rt.outcomes.send(Outcome { id, at: Instant::now(), status: "error".into() });
    StatusCode::ACCEPTED
}

async fn init_error(State(rt): State<Arc<Runtime>>, body: Bytes) -> StatusCode {
    eprintln!("function init error: {}", String::from_utf8_lossy(&body));
    let _ = rt.outcomes.send(Outcome { id: "init".into(), at: Instant::now(), status: "error".into() });
    StatusCode::ACCEPTED
}

/// A Runtime API of its own for one process, so that a killed process's open `next` call can
/// never take an invocation meant for the next one.
struct RuntimeApi {
    runtime: Arc<Runtime>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    address: String,
    server: tokio::task::JoinHandle<()>,
    counter: u64,
}

impl RuntimeApi {
    async fn start() -> Self {
        let (sender, outcomes) = mpsc::unbounded_channel();
        let runtime = Arc::new(Runtime { queue: Mutex::new(VecDeque::new()), ready: Notify::new(), outcomes: sender });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(invocation_error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(runtime.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port for the runtime API");
        let address = listener.local_addr().expect("its address").to_string();
        let server = tokio::spawn(async move { axum::serve(listener, app).await.expect("the runtime API serves") });
        Self { runtime, outcomes, address, server, counter: 0 }
    }

    /// Queues one invocation of `event`; its request id.
    async fn invoke(&mut self, event: &str) -> String {
        self.counter += 1;
        let id = format!("bench-{}", self.counter);
        self.runtime.queue.lock().await.push_back(Invocation { id: id.clone(), event: event.to_owned() });
        self.runtime.ready.notify_one();
        id
    }

    async fn outcome(&mut self, id: &str, binary: &str, child: &mut tokio::process::Child) -> Outcome {
        let wait = tokio::time::timeout(Duration::from_secs(30), self.outcomes.recv());
        tokio::select! {
            outcome = wait => {
                let outcome = outcome
                    .unwrap_or_else(|_| panic!("{binary} did not answer in 30 s"))
                    .expect("the runtime API is up");
                assert_ne!(outcome.status, "error", "{binary} failed; its output is above");
                assert_eq!(outcome.id, id, "{binary} answered another invocation");
                outcome
            }
            exit = child.wait() => panic!("{binary} exited before answering: {exit:?}"),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct Measured {
    cold: Duration,
    /// CPU time the process used up to its first answer (all threads).
    cold_cpu: Duration,
    /// CPU time per warm call.
    warm_cpu: Duration,
    status: String,
    warm_p50: Duration,
    peak_rss_kib: u64,
}

struct Bench {
    env: Vec<(String, String)>,
    bootstrap: PathBuf,
}

impl Bench {
    async fn measure(&self, binary: &str, event: &str, cold_runs: usize, warm_calls: usize) -> Measured {
        let path = &self.bootstrap;
        let mut colds = Vec::new();
        let mut cold_cpus = Vec::new();
        let mut warm_cpu = Duration::ZERO;
        let mut status = String::new();
        let mut warm = Vec::new();
        let mut peak_rss_kib = 0;
        for run in 0..cold_runs {
            let mut api = RuntimeApi::start().await;
            let id = api.invoke(event).await;
            let start = Instant::now();
            let mut child = tokio::process::Command::new(path)
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .env("AWS_LAMBDA_RUNTIME_API", &api.address)
                .env("AWS_LAMBDA_FUNCTION_NAME", binary)
                .env(portal_functions::HANDLER_VARIABLE, binary)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
            let first = api.outcome(&id, binary, &mut child).await;
            colds.push(first.at - start);
            status = first.status;
            let pid = child.id().expect("a running function");
            let after_first = cpu_time(pid);
            cold_cpus.push(after_first);
            if run + 1 == cold_runs {
                for _ in 0..warm_calls {
                    let id = api.invoke(event).await;
                    let handed = Instant::now();
                    let answer = api.outcome(&id, binary, &mut child).await;
                    warm.push(answer.at - handed);
                }
                peak_rss_kib = peak_rss(pid);
                // What the resident set is made of: the binary's pages (file) or the heap (anon).
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    let part = |name: &str| status.lines().find(|l| l.starts_with(name)).unwrap_or("").to_owned();
                    eprintln!("{binary}: {} / {}", part("RssAnon:"), part("RssFile:"));
                }
                warm_cpu = (cpu_time(pid).saturating_sub(after_first)) / warm_calls.max(1) as u32;
            }
            child.kill().await.expect("stop the function");
        }
        colds.sort();
        cold_cpus.sort();
        warm.sort();
        Measured {
            cold: colds[colds.len() / 2],
            cold_cpu: cold_cpus[cold_cpus.len() / 2],
            warm_cpu,
            status,
            warm_p50: warm.get(warm.len() / 2).copied().unwrap_or_default(),
            peak_rss_kib,
        }
    }
}

/// The peak resident set of a process (Linux's VmHWM), in KiB.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

/// CPU time a process has used, summed over its threads (`/proc/<pid>/task/*/schedstat`, ns).
fn cpu_time(pid: u32) -> Duration {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/<pid>/task");
    let nanos: u64 = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// The Lambda memory size this function should get, from what it was measured to need:
/// room for three times its peak resident set, and enough CPU (Lambda gives a full vCPU at
/// 1,769 MB, and a share in proportion below that) for its cold start's CPU work to take at
/// most 100 ms more than on a full core. Argon2id checks are CPU work too, on purpose (the
/// token endpoint's answer to an unknown client includes one).
///
/// 128 MB is not a candidate: a function that builds its AWS clients spends 7 to 13 ms of CPU
/// on its cold start here, and 8 ms is where that rule turns from 128 to 256 MB (8 ms takes
/// 110 ms on the 1/14 vCPU of 128 MB), so the median of three starts would pick one or the
/// other by noise; a warm call's CPU would take 14 times as long too.
fn memory_size(m: &Measured) -> u32 {
    let for_memory = 3.0 * m.peak_rss_kib as f64 / 1024.0;
    let cpu_ms = m.cold_cpu.as_secs_f64() * 1000.0;
    // CPU-bound time at memory M is cpu_ms * 1769 / M; keep the extra at or below 100 ms.
    let for_cpu = if cpu_ms <= 0.0 { 0.0 } else { 1769.0 * cpu_ms / (cpu_ms + 100.0) };
    let needed = for_memory.max(for_cpu);
    [256, 512, 1024, 1769].into_iter().find(|&size| f64::from(size) >= needed).unwrap_or(1769)
}

/// The release build of the one binary (`target/release/bootstrap`), after checking that it is
/// there and newer than every source it is built from. The bench does not build it itself:
/// `cargo bench` rebuilds `portal-shared` into the same directory, and a nested `cargo build
/// --release` then finds it newer than the binary and links it again (seen with `cargo build
/// -v`). Build it first: `cargo build --release --locked -p portal-functions --bin bootstrap`.
/// `BOOTSTRAP=path` measures that binary instead (say, a release build in another target
/// directory, with the bench itself built with `--profile dev`).
fn release_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BOOTSTRAP") {
        return PathBuf::from(path);
    }
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("tests/ sits in the workspace");
    let exe = std::env::current_exe().expect("the bench's own path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<bench>").to_path_buf();
    let newest_source =
        ["shared/src", "functions/src", "Cargo.lock", "Cargo.toml", "shared/Cargo.toml", "functions/Cargo.toml"]
            .iter()
            .flat_map(|p| files_below(&workspace.join(p)))
            .filter_map(|f| std::fs::metadata(&f).and_then(|m| m.modified()).ok())
            .max()
            .expect("the functions' sources");
    let build = "cargo build --release --locked -p portal-functions --bin bootstrap";
    let path = dir.join("bootstrap");
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is missing: run `{build}` first", path.display()));
    assert!(built >= newest_source, "{} is older than its sources: run `{build}` first", path.display());
    path
}

fn files_below(path: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(path) {
        Ok(entries) => entries.filter_map(Result::ok).flat_map(|e| files_below(&e.path())).collect(),
        Err(_) => vec![path.to_path_buf()],
    }
}

fn zipped_size(path: &Path) -> Option<u64> {
    // The size of the deployment package (deflate, as `sam build` zips it).
    let dir = std::env::temp_dir().join(format!("cold-start-zip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let bootstrap = dir.join("bootstrap");
    std::fs::copy(path, &bootstrap).ok()?;
    let zip = dir.join("function.zip");
    let _ = std::fs::remove_file(&zip);
    let ok = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-c"])
        .arg(&zip)
        .arg(&bootstrap)
        .status()
        .ok()?
        .success();
    let size = if ok { std::fs::metadata(&zip).ok().map(|m| m.len()) } else { None };
    let _ = std::fs::remove_dir_all(&dir);
    size
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

#[tokio::main]
async fn main() {
    let cold_runs: usize = std::env::var("COLD_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let warm_calls: usize = std::env::var("WARM_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    // FUNCTIONS=get_me,create_token measures only those.
    let only: Option<Vec<String>> =
        std::env::var("FUNCTIONS").ok().map(|v| v.split(',').map(|f| f.trim().to_owned()).collect());
    let functions: Vec<&str> = Function::all()
        .map(Function::name)
        .filter(|f| only.as_ref().is_none_or(|o| o.iter().any(|x| x == f)))
        .collect();
    let bootstrap = release_binary();
    let events_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");

    let stack = Stack::start().await;
    let r = &stack.local.resources;
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", stack.local.aws_endpoint.as_str()),
        ("AWS_REGION", r.region.as_str()),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ("TABLE_NAME", r.table.as_str()),
        ("PARTNER_USER_POOL_ID", r.partner_user_pool_id.as_str()),
        ("PARTNER_USER_POOL_CLIENT_ID", r.partner_client_id.as_str()),
        ("STAFF_USER_POOL_CLIENT_ID", r.staff_client_id.as_str()),
        ("LOGO_BUCKET", r.logo_bucket.as_str()),
        ("TOKEN_SIGNING_KEY_ID", r.signing_key_id.as_str()),
        ("PORTAL_URL", portal_e2e::PORTAL_URL),
        ("BACKOFFICE_URL", portal_e2e::BACKOFFICE_URL),
        ("PUBLIC_API_URL", stack.local.api_url.as_str()),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();

    let binary_bytes = std::fs::metadata(&bootstrap).map(|m| m.len()).unwrap_or_default();
    let zipped = zipped_size(&bootstrap);
    let bench = Bench { env, bootstrap };
    let mut rows = Vec::new();
    for binary in functions {
        let path = events_dir.join(format!("{binary}.json"));
        let event = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let measured = bench.measure(binary, &event, cold_runs, warm_calls).await;
        eprintln!("{binary}: cold {:?}, warm {:?}", measured.cold, measured.warm_p50);
        rows.push((binary, measured));
    }

    println!();
    println!(
        "Cold start (median of {cold_runs}), warm p50 of {warm_calls} calls, peak memory, against a local Lambda Runtime API."
    );
    println!();
    println!(
        "| function | first answer | cold start ms | of it CPU ms | warm p50 ms | CPU per warm call ms | peak memory MiB | memory size MB |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (binary, m) in &rows {
        println!(
            "| {binary} | {} | {:.1} | {:.1} | {:.2} | {:.2} | {:.1} | {} |",
            m.status,
            m.cold.as_secs_f64() * 1000.0,
            m.cold_cpu.as_secs_f64() * 1000.0,
            m.warm_p50.as_secs_f64() * 1000.0,
            m.warm_cpu.as_secs_f64() * 1000.0,
            m.peak_rss_kib as f64 / 1024.0,
            memory_size(m),
        );
    }
    let colds: Vec<f64> = rows.iter().map(|(_, m)| m.cold.as_secs_f64() * 1000.0).collect();
    let peaks: Vec<f64> = rows.iter().map(|(_, m)| m.peak_rss_kib as f64 / 1024.0).collect();
    let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
    println!();
    println!(
        "{} functions: cold start {:.1} to {:.1} ms, peak memory {:.1} to {:.1} MiB.",
        rows.len(),
        min(&colds),
        max(&colds),
        min(&peaks),
        max(&peaks)
    );
    println!(
        "One binary for all {} functions: {} MiB, {} MiB zipped (the one package a deploy uploads).",
        rows.len(),
        mib(binary_bytes),
        zipped.map(|z| format!("{:.2}", z as f64 / 1_048_576.0)).unwrap_or_else(|| "?".into()),
    );
}
