//! What checking a client secret costs, per kind of stored secret: the portal's own (256-bit,
//! SHA-256) and an imported one (argon2id at the portal's parameters). A benchmark, not a test:
//! `cargo bench -p portal-shared --bench secrets`. It prints the median and p99 of single
//! verifications; the figures are in docs/figures.md.

use std::hint::black_box;
use std::time::{Duration, Instant};

use portal::domain::{ARGON2_LANES, ARGON2_MEMORY_KIB, ARGON2_PASSES, SecretHash, SecretToken};

fn measure(name: &str, runs: usize, f: impl Fn() -> bool) {
    // Warm up (allocator, caches), then time each verification on its own.
    for _ in 0..runs.min(5) {
        black_box(f());
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            assert!(black_box(f()));
            start.elapsed()
        })
        .collect();
    times.sort();
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!("{name:<48} runs {runs:>6}  p50 {:>12?}  p99 {:>12?}", p(0.5), p(0.99));
}

fn main() {
    let generated = SecretToken::generate().expect("random");
    let sha = SecretHash::of_generated(&generated);
    measure("generated secret, SHA-256 + constant-time eq", 100_000, || sha.verifies(generated.expose()));
    let argon = SecretHash::of_imported("an imported legacy secret").expect("argon2");
    let label = format!("imported secret, argon2id m={ARGON2_MEMORY_KIB}KiB t={ARGON2_PASSES} p={ARGON2_LANES}");
    measure(&label, 50, || argon.verifies("an imported legacy secret"));
    // The alternatives that were weighed (OWASP's equivalent settings).
    for (m, t) in [(47_104, 1), (12_288, 3), (9_216, 4)] {
        let phc = argon2::password_hash::PasswordHasher::hash_password(
            &argon2::Argon2::new(
                argon2::Algorithm::Argon2id,
                argon2::Version::V0x13,
                argon2::Params::new(m, t, 1, None).expect("params"),
            ),
            b"an imported legacy secret",
        )
        .expect("hash")
        .to_string();
        let hash = SecretHash::of_imported_hash(&phc).expect("accepted");
        measure(&format!("alternative argon2id m={m}KiB t={t} p=1"), 30, || hash.verifies("an imported legacy secret"));
    }
}
