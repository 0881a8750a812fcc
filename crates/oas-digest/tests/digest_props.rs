//! Property tests of the digest core against a deliberately naive reference
//! (sequential, string-based, written straight from spec §3.2).

use md5::{Digest, Md5};
use oas_digest::digest::{self, Hasher, LEAF_SIZE};
use proptest::prelude::*;

const LEAF: usize = LEAF_SIZE as usize;

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02X}")).collect()
}

/// Reference tree etag: sequential leaves, pairs of hex strings, odd carried up.
fn reference_tree(data: &[u8]) -> String {
    let mut level: Vec<String> = data.chunks(LEAF).map(|c| hex(&Md5::digest(c))).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| match p {
                [a, b] => hex(&Md5::digest(format!("{a}{b}").as_bytes())),
                [a] => a.clone(),
                _ => unreachable!(),
            })
            .collect();
    }
    level.pop().unwrap_or_default()
}

/// Cheap pseudo-random bytes (xorshift) so multi-MiB inputs cost little to build.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any chunking of the input gives the one-shot result.
    #[test]
    fn any_chunking_equals_one_shot(
        seed in any::<u64>(),
        len in prop_oneof![0usize..4096, 0usize..(5 * LEAF + 3)],
        cuts in prop::collection::vec(1usize..(3 * LEAF), 1..12),
    ) {
        let data = bytes(seed, len);
        let whole = digest::compute(&data);
        let mut h = Hasher::new();
        let mut rest = &data[..];
        for c in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let (a, b) = rest.split_at((*c).min(rest.len()));
            h.update(a);
            rest = b;
        }
        prop_assert_eq!(h.len(), data.len() as u64);
        prop_assert_eq!(h.finish(), whole);
    }

    /// The parallel paths (large updates, rayon leaves) equal the naive
    /// sequential computation.
    #[test]
    fn parallel_equals_sequential(seed in any::<u64>(), len in 0usize..(9 * LEAF)) {
        let data = bytes(seed, len);
        let d = digest::compute(&data);
        prop_assert_eq!(&d.etag, &hex(&Md5::digest(&data)));
        let tree = reference_tree(&data);
        prop_assert_eq!(&d.tree_etag, &tree);
        prop_assert_eq!(digest::tree_etag(&data), tree);
    }

    /// Parts of 2^k MiB combine to the whole payload's tree etag (§3.3), and
    /// each such part is an aligned node (§3.4).
    #[test]
    fn power_of_two_parts_combine_to_whole(
        seed in any::<u64>(),
        k in 0u32..3,
        len in 1usize..(9 * LEAF),
    ) {
        let data = bytes(seed, len);
        let part = (LEAF_SIZE << k) as usize;
        let parts: Vec<String> = data.chunks(part).map(digest::tree_etag).collect();
        let combined = digest::combine_tree_etags(&parts).unwrap();
        prop_assert_eq!(combined, reference_tree(&data));
        for (i, c) in data.chunks(part).enumerate() {
            let start = (i * part) as u64;
            prop_assert!(digest::is_tree_aligned(start, start + c.len() as u64 - 1, len as u64));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Positional, multi-threaded file hashing (each digest alone and both)
    /// equals hashing the same bytes in memory, for any range.
    #[test]
    fn file_ranges_equal_in_memory(
        seed in any::<u64>(),
        len in 0usize..(6 * LEAF),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
    ) {
        use std::io::Write;
        let data = bytes(seed, len);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&data).unwrap();
        let (x, y) = (a.index(len + 1), b.index(len + 1));
        let (start, end) = (x.min(y), x.max(y));
        let want = digest::compute(&data[start..end]);
        let file = f.as_file();
        let size = Some((end - start) as u64);
        let both = digest::digest_file_range(file, start as u64, size, digest::Want::Both).unwrap();
        prop_assert_eq!(&both, &want);
        let tree = digest::digest_file_range(file, start as u64, size, digest::Want::Tree).unwrap();
        prop_assert_eq!(&tree.tree_etag, &want.tree_etag);
        let etag = digest::digest_file_range(file, start as u64, size, digest::Want::Etag).unwrap();
        prop_assert_eq!(&etag.etag, &want.etag);
    }

    /// Several ranges hashed together (content MD5s in SIMD lanes, ranges of
    /// different lengths, overlapping or empty) equal each range hashed alone
    /// in memory; a range past the end is refused.
    #[test]
    fn ranges_hashed_together_equal_each_alone(
        seed in any::<u64>(),
        len in 1usize..(5 * LEAF),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..19),
    ) {
        use std::io::Write;
        let data = bytes(seed, len);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&data).unwrap();
        let ranges: Vec<(u64, u64)> = cuts
            .iter()
            .map(|(a, b)| {
                let (x, y) = (a.index(len + 1), b.index(len + 1));
                (x.min(y) as u64, (x.max(y) - x.min(y)) as u64)
            })
            .collect();
        let got = digest::digest_ranges_at(f.as_file(), &ranges).unwrap();
        prop_assert_eq!(got.len(), ranges.len());
        for (d, &(o, n)) in got.iter().zip(&ranges) {
            let want = digest::compute(&data[o as usize..(o + n) as usize]);
            prop_assert_eq!(d, &want, "range {}+{}", o, n);
        }
        let mut past = ranges.clone();
        past.push((len as u64, 1));
        prop_assert!(digest::digest_ranges_at(f.as_file(), &past).is_err());
    }
}

#[test]
fn combine_rejects_bad_elements() {
    let good = "8F293A2F6C19B345152F7A49BB4C643C";
    assert_eq!(digest::combine_tree_etags::<&str>(&[]).unwrap(), "");
    assert_eq!(
        digest::combine_tree_etags(&[good.to_lowercase()]).unwrap(),
        good
    );
    let e = digest::combine_tree_etags(&[good, "xyz"]).unwrap_err();
    assert_eq!(e.index, 1);
    assert!(digest::combine_tree_etags(&[format!("{good}-67108864")]).is_err());
}
