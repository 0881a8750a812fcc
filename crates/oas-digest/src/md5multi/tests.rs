use super::*;
use md5::Digest;
use proptest::prelude::*;

/// The back ends this CPU runs (the scalar core always); printed so a
/// test log shows which SIMD paths were exercised.
fn backends() -> Vec<Backend> {
    let all: Vec<Backend> = Backend::ALL.into_iter().filter(|b| b.available()).collect();
    eprintln!("md5multi back ends tested: {all:?}");
    all
}

fn data(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// Every lane against both the scalar core and the md-5 crate.
fn check(backend: Backend, msgs: &[&[u8]], got: &[[u8; 16]]) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), msgs.len());
    for (i, (m, g)) in msgs.iter().zip(got).enumerate() {
        let scalar = md5core::Md5::digest(m);
        let crate_md5: [u8; 16] = md5::Md5::digest(m).into();
        prop_assert_eq!(scalar, crate_md5);
        prop_assert_eq!(
            g,
            &scalar,
            "{:?}: lane {} of {}, {} bytes",
            backend,
            i,
            msgs.len(),
            m.len()
        );
    }
    Ok(())
}

/// Padding edges (55/56 bytes: one or two tail blocks; 63/64/65: whole
/// blocks) mixed across lanes, for every lane count up to past two full
/// batches of the widest kernel.
#[test]
fn block_edges_in_mixed_lanes() {
    const EDGES: [usize; 17] = [
        0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 200, 1000,
    ];
    let src = data(7, 1000);
    for backend in backends() {
        for lanes in 1..=2 * MAX_LANES + 3 {
            for shift in [0, 5] {
                let msgs: Vec<&[u8]> = (0..lanes)
                    .map(|i| &src[..EDGES[(i + shift) % EDGES.len()]])
                    .collect();
                check(backend, &msgs, &md5_many_with(backend, &msgs)).unwrap();
            }
        }
        // All lanes of one length, the tree-leaf case.
        for len in EDGES {
            let msgs = vec![&src[..len]; 16];
            check(backend, &msgs, &md5_many_with(backend, &msgs)).unwrap();
        }
    }
}

/// Whole 1 MiB leaves with a short last one, as the tree etag hashes them.
#[test]
fn leaves_with_a_short_last_one() {
    let src = data(11, 17 * 4096 + 100);
    for backend in backends() {
        let msgs: Vec<&[u8]> = src.chunks(4096).collect();
        check(backend, &msgs, &md5_many_with(backend, &msgs)).unwrap();
    }
}

#[test]
fn detect_and_names() {
    let b = Backend::detect();
    assert!(b.available());
    assert!(b.lanes() >= 1);
    assert_eq!(Backend::Scalar.lanes(), 1);
    for b in Backend::ALL {
        assert!(["scalar", "avx2", "avx512"].contains(&b.name()));
    }
    assert!(md5_many(&[]).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random lane counts and lengths, one call.
    #[test]
    fn random_lanes_match_references(
        seed in any::<u64>(),
        lens in prop::collection::vec(prop_oneof![0usize..130, 0usize..700], 1..40),
    ) {
        let src = data(seed, 700);
        let msgs: Vec<&[u8]> = lens.iter().map(|&l| &src[..l]).collect();
        for backend in Backend::ALL.into_iter().filter(|b| b.available()) {
            check(backend, &msgs, &md5_many_with(backend, &msgs))?;
        }
    }

    /// Streaming: each update gives every lane a piece of its own length
    /// (often not whole blocks, sometimes nothing).
    #[test]
    fn streaming_pieces_match_one_shot(
        seed in any::<u64>(),
        lanes in 1usize..36,
        steps in prop::collection::vec(prop::collection::vec(0usize..150, 36), 1..6),
    ) {
        let src = data(seed, 6 * 150);
        for backend in Backend::ALL.into_iter().filter(|b| b.available()) {
            let mut h = Md5Lanes::with_backend(backend, lanes);
            let mut fed = vec![0usize; lanes];
            for step in &steps {
                let pieces: Vec<&[u8]> = (0..lanes)
                    .map(|i| &src[fed[i]..fed[i] + step[i]])
                    .collect();
                h.update(&pieces);
                for i in 0..lanes {
                    fed[i] += step[i];
                }
            }
            let msgs: Vec<&[u8]> = fed.iter().map(|&n| &src[..n]).collect();
            check(backend, &msgs, &h.finalize())?;
        }
    }
}
