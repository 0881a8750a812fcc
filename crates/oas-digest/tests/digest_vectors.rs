//! Every digest vector of `tests/data/hash_vectors.json` (spec §3.6): single
//! payloads (etag, tree etag, leaves), multipart combinations, the non-OAS
//! SHA-256 contrast values, and the file/range entry points.

use md5::{Digest, Md5};
use oas_digest::digest::{self, Hasher, Want};
use serde_json::Value;
use std::io::Write;

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/hash_vectors.json"
    ))
    .expect("vectors file");
    serde_json::from_str(&text).expect("vectors JSON")
}

/// The vectors' input: byte[i] = i mod 251.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn s(v: &Value) -> &str {
    v.as_str().expect("string field")
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("integer field")
}

#[test]
fn single_payloads() {
    let v = vectors();
    assert_eq!(u(&v["leaf_size"]), digest::LEAF_SIZE);
    let singles = v["single"].as_array().unwrap();
    assert!(singles.len() >= 7, "all single vectors present");
    for case in singles {
        let name = s(&case["name"]);
        let data = pattern(u(&case["size"]) as usize);
        let d = digest::compute(&data);
        assert_eq!(d.etag, s(&case["etag"]), "{name} etag");
        assert_eq!(d.tree_etag, s(&case["tree_etag"]), "{name} tree etag");
        assert_eq!(digest::content_etag(&data), d.etag, "{name}");
        assert_eq!(digest::tree_etag(&data), d.tree_etag, "{name}");
        let leaves: Vec<String> = data
            .chunks(digest::LEAF_SIZE as usize)
            .map(|c| String::from_utf8(digest::md5_hex(c).to_vec()).unwrap())
            .collect();
        assert_eq!(
            leaves.len() as u64,
            u(&case["leaf_count"]),
            "{name} leaf count"
        );
        if let Some(expected) = case["leaves"].as_array() {
            let expected: Vec<&str> = expected.iter().map(s).collect();
            assert_eq!(leaves, expected, "{name} leaves");
        }
        // Streaming in an awkward chunk size gives the same answer.
        let mut h = Hasher::new();
        for c in data.chunks(777_777) {
            h.update(c);
        }
        assert_eq!(h.finish(), d, "{name} streamed");
    }
}

#[test]
fn files_and_ranges_through_positional_reads() {
    let v = vectors();
    let case = v["single"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| s(&c["name"]) == "3MiB_plus_7")
        .expect("3MiB_plus_7 vector");
    let data = pattern(u(&case["size"]) as usize);
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&data).unwrap();
    let d = digest::digest_path(f.path(), 0, None).unwrap();
    assert_eq!(
        (d.etag.as_str(), d.tree_etag.as_str()),
        (s(&case["etag"]), s(&case["tree_etag"]))
    );
    let file = f.as_file();
    let tree = digest::digest_file_range(file, 0, None, Want::Tree).unwrap();
    assert_eq!(tree.tree_etag, s(&case["tree_etag"]));
    let etag = digest::digest_file_range(file, 0, Some(data.len() as u64), Want::Etag).unwrap();
    assert_eq!(etag.etag, s(&case["etag"]));
    // A middle range equals the digest of those bytes.
    let r = digest::digest_file_range(file, 5, Some(1 << 20), Want::Both).unwrap();
    assert_eq!(r, digest::compute(&data[5..5 + (1 << 20)]));
    // Past the end is an error, exactly at the end is fine (empty).
    let len = data.len() as u64;
    assert!(matches!(
        digest::digest_file_range(file, len, Some(1), Want::Both),
        Err(digest::FileDigestError::PastEnd { .. })
    ));
    assert!(digest::digest_file_range(file, len + 1, None, Want::Both).is_err());
    assert_eq!(
        digest::digest_file_range(file, len, None, Want::Both)
            .unwrap()
            .tree_etag,
        ""
    );
}

#[test]
fn multipart_combinations() {
    let v = vectors();
    let cases = v["multipart"].as_array().unwrap();
    assert_eq!(cases.len(), 4, "all multipart vectors present");
    for case in cases {
        let note = s(&case["note"]);
        let total = u(&case["archive_size"]);
        let part_size = u(&case["part_size"]);
        let data = pattern(total as usize);
        let plan = oas_digest::ranges::calc_ranges(part_size, total).unwrap();
        let parts = case["parts"].as_array().unwrap();
        assert_eq!(plan.len(), parts.len(), "{note}");
        let mut part_trees = Vec::new();
        for (range, part) in plan.iter().zip(parts) {
            assert_eq!(range.to_header(), s(&part["range"]), "{note}");
            let bytes = &data[range.start as usize..=range.end as usize];
            let d = digest::compute(bytes);
            assert_eq!(d.etag, s(&part["etag"]), "{note} {range}");
            assert_eq!(d.tree_etag, s(&part["tree_etag"]), "{note} {range}");
            part_trees.push(d.tree_etag);
        }
        let combined = digest::combine_tree_etags(&part_trees).unwrap();
        assert_eq!(combined, s(&case["combined_tree_etag"]), "{note}");
        let whole = digest::tree_etag(&data);
        assert_eq!(whole, s(&case["whole_payload_tree_etag"]), "{note}");
        assert_eq!(
            combined == whole,
            case["combined_equals_whole"].as_bool().unwrap(),
            "{note}"
        );
        // Power-of-two MiB parts are tree nodes (§3.4), others are not all.
        let aligned = plan
            .iter()
            .all(|r| digest::is_tree_aligned(r.start, r.end, total));
        assert_eq!(
            aligned,
            (part_size / digest::LEAF_SIZE).is_power_of_two(),
            "{note}"
        );
    }
}

#[test]
fn sha256_contrast_is_not_the_oas_tree() {
    use sha2::Sha256;
    let v = vectors();
    let c = &v["contrast_not_oas"];
    let data = pattern(3 * (1 << 20) + 7);
    assert_eq!(s(&c["input"]), "3MiB_plus_7");
    let linear = hex::encode(Sha256::digest(&data));
    assert_eq!(linear, s(&c["sha256_linear_lowercase"]));
    // Glacier/CAS style: binary SHA-256 leaves, binary concatenation.
    let mut level: Vec<Vec<u8>> = data
        .chunks(1 << 20)
        .map(|l| Sha256::digest(l).to_vec())
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| {
                if p.len() == 2 {
                    Sha256::digest([p[0].as_slice(), p[1].as_slice()].concat()).to_vec()
                } else {
                    p[0].clone()
                }
            })
            .collect();
    }
    assert_eq!(
        hex::encode(&level[0]),
        s(&c["tencent_cas_glacier_sha256_tree_lowercase"])
    );
    assert_ne!(
        digest::tree_etag(&data).to_lowercase(),
        s(&c["tencent_cas_glacier_sha256_tree_lowercase"])
    );
    // And the OAS combine really hashes the hex strings, not binary digests.
    let l0 = digest::md5_hex(&data[..1 << 20]);
    let l1 = digest::md5_hex(&data[1 << 20..2 << 20]);
    let pair = digest::md5_hex(&[l0, l1].concat());
    let two = digest::tree_etag(&data[..2 << 20]);
    assert_eq!(two.as_bytes(), &pair[..]);
    let binary = hex::encode_upper(Md5::digest(
        [
            Md5::digest(&data[..1 << 20]),
            Md5::digest(&data[1 << 20..2 << 20]),
        ]
        .concat(),
    ));
    assert_ne!(two, binary);
}
