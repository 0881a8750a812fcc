//! Multipart uploads (spec §4.3): part rules, listing, coverage, digests, Complete.

mod common;
use common::*;
use serde_json::Value;

fn vectors() -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/hash_vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn initiate(c: &Client, v: &str, part: u64, desc: &str) -> String {
    let r = c.send(
        "POST",
        &format!("/vaults/{v}/multipart-uploads"),
        &[
            ("x-oas-part-size", part.to_string()),
            ("x-oas-archive-description", desc.into()),
        ],
        Vec::new(),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.header("x-oas-multipart-upload-id").unwrap();
    assert_eq!(
        r.header("location").unwrap(),
        format!("/vaults/{v}/multipart-uploads/{id}")
    );
    id
}

fn put_part(c: &Client, v: &str, u: &str, data: &[u8], start: usize, len: usize) -> Resp {
    let chunk = &data[start..start + len];
    let d = oas_digest::digest::compute(chunk);
    c.send(
        "PUT",
        &format!("/vaults/{v}/multipart-uploads/{u}"),
        &[
            ("content-range", format!("{}-{}", start, start + len - 1)),
            ("x-oas-content-etag", d.etag),
            ("x-oas-tree-etag", d.tree_etag),
        ],
        chunk.to_vec(),
    )
}

fn complete(c: &Client, v: &str, u: &str, size: usize, tree: &str) -> Resp {
    c.send(
        "POST",
        &format!("/vaults/{v}/multipart-uploads/{u}"),
        &[
            ("x-oas-archive-size", size.to_string()),
            ("x-oas-tree-etag", tree.to_string()),
        ],
        Vec::new(),
    )
}

#[test]
fn vector_uploads_and_complete() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("mpu");
    let vec = vectors();
    for case in &vec["multipart"].as_array().unwrap()[2..4] {
        let size = case["archive_size"].as_u64().unwrap() as usize;
        let ps = case["part_size"].as_u64().unwrap();
        let data = pattern(size);
        let u = initiate(&c, &v, ps, "multi");
        // Zero parts listable right after initiate.
        let j = c.get(&format!("/vaults/{v}/multipart-uploads/{u}")).json();
        assert_eq!(j["PartSizeInBytes"], ps);
        assert_eq!(j["Parts"].as_array().unwrap().len(), 0);
        assert_eq!(j["Marker"], "");
        assert_eq!(j["ArchiveDescription"], "multi");
        // Parts in reverse order.
        for p in case["parts"].as_array().unwrap().iter().rev() {
            let (s, e) = p["range"].as_str().unwrap().split_once('-').unwrap();
            let (s, e): (usize, usize) = (s.parse().unwrap(), e.parse().unwrap());
            let r = put_part(&c, &v, &u, &data, s, e - s + 1);
            assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
            assert!(r.body.is_empty());
        }
        let j = c.get(&format!("/vaults/{v}/multipart-uploads/{u}")).json();
        let parts = j["Parts"].as_array().unwrap();
        for (got, want) in parts.iter().zip(case["parts"].as_array().unwrap()) {
            assert_eq!(got["RangeInBytes"], want["range"]);
            assert_eq!(got["ContentEtag"], want["etag"]);
            assert_eq!(got["TreeEtag"], want["tree_etag"]);
        }
        // The whole-payload tree etag is not the combined value for 3 MiB parts.
        let combined = case["combined_tree_etag"].as_str().unwrap();
        let whole = case["whole_payload_tree_etag"].as_str().unwrap();
        if combined != whole {
            complete(&c, &v, &u, size, whole).expect_error(400, "InvalidDigest");
        }
        complete(&c, &v, &u, size + 1, combined).expect_error(400, "InvalidPart");
        let r = complete(&c, &v, &u, size, &format!("{combined}-{ps}"));
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let a = r.header("x-oas-archive-id").unwrap();
        assert_eq!(
            r.header("location").unwrap(),
            format!("/vaults/{v}/archives/{a}")
        );
        // Idempotent repeat.
        let r2 = complete(&c, &v, &u, size, combined);
        assert_eq!(r2.status, 201);
        assert_eq!(r2.header("x-oas-archive-id").unwrap(), a);
        let m = c.get(&format!("/vaults/{v}/archives/{a}/meta")).json();
        assert_eq!(m["ArchiveTreeEtag"], whole);
        assert_eq!(m["ArchiveSizeInBytes"], size as u64);
        assert_eq!(m["ArchiveDescription"], "multi");
        // The upload is gone.
        c.get(&format!("/vaults/{v}/multipart-uploads/{u}"))
            .expect_error(404, "UploadIdNotExists");
        put_part(&c, &v, &u, &data, 0, ps as usize).expect_error(404, "UploadIdNotExists");
        c.send(
            "DELETE",
            &format!("/vaults/{v}/multipart-uploads/{u}"),
            &[],
            Vec::new(),
        )
        .expect_error(404, "UploadIdNotExists");
    }
    assert_eq!(
        c.get(&format!("/vaults/{v}/multipart-uploads")).json()["UploadsList"],
        serde_json::json!([])
    );
}

#[test]
fn part_rules_and_digests() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("rules");
    let ps = 2 * MIB;
    let data = pattern(5 * MIB);
    let u = initiate(&c, &v, ps as u64, "");
    // Misaligned start, too long, Content-Length mismatch.
    put_part(&c, &v, &u, &data, MIB, ps).expect_error(400, "InvalidArgument");
    put_part(&c, &v, &u, &data, 0, ps + MIB).expect_error(400, "InvalidArgument");
    let chunk = data[..ps].to_vec();
    let d = oas_digest::digest::compute(&chunk);
    let path = format!("/vaults/{v}/multipart-uploads/{u}");
    c.send(
        "PUT",
        &path,
        &[
            ("content-range", format!("0-{}", ps)),
            ("x-oas-content-etag", d.etag.clone()),
            ("x-oas-tree-etag", d.tree_etag.clone()),
        ],
        chunk.clone(),
    )
    .expect_error(400, "InvalidArgument");
    c.send(
        "PUT",
        &path,
        &[
            ("x-oas-content-etag", d.etag.clone()),
            ("x-oas-tree-etag", d.tree_etag.clone()),
        ],
        chunk.clone(),
    )
    .expect_error(400, "MissingArgument");
    // Digest failures.
    let wrong = oas_digest::digest::compute(&data[ps..2 * ps]);
    c.send(
        "PUT",
        &path,
        &[
            ("content-range", format!("0-{}", ps - 1)),
            ("x-oas-content-etag", wrong.etag.clone()),
            ("x-oas-tree-etag", d.tree_etag.clone()),
        ],
        chunk.clone(),
    )
    .expect_error(400, "InvalidDigest");
    c.send(
        "PUT",
        &path,
        &[
            ("content-range", format!("0-{}", ps - 1)),
            ("x-oas-content-etag", d.etag.clone()),
            ("x-oas-tree-etag", wrong.tree_etag.clone()),
        ],
        chunk.clone(),
    )
    .expect_error(400, "InvalidDigest");
    // Lenient `bytes S-E/*` form.
    let r = c.send(
        "PUT",
        &path,
        &[
            ("content-range", format!("bytes 0-{}/*", ps - 1)),
            ("x-oas-content-etag", d.etag.clone()),
            ("x-oas-tree-etag", d.tree_etag.clone()),
        ],
        chunk.clone(),
    );
    assert_eq!(r.status, 204);
    // A short part that is not last breaks coverage; a gap too.
    assert_eq!(put_part(&c, &v, &u, &data, 2 * ps, MIB).status, 204);
    let whole = oas_digest::digest::compute(&data).tree_etag;
    complete(&c, &v, &u, data.len(), &whole).expect_error(400, "InvalidPart");
    assert_eq!(put_part(&c, &v, &u, &data, ps, MIB).status, 204); // short, not last
    complete(&c, &v, &u, data.len(), &whole).expect_error(400, "InvalidPart");
    // Re-uploading a range replaces it.
    assert_eq!(put_part(&c, &v, &u, &data, ps, ps).status, 204);
    complete(&c, &v, &u, data.len(), "F00F00F00F00F00F00F00F00F00F00F0")
        .expect_error(400, "InvalidDigest");
    complete(&c, &v, &u, data.len(), "nothex").expect_error(400, "InvalidArgument");
    c.send(
        "POST",
        &path,
        &[("x-oas-tree-etag", whole.clone())],
        Vec::new(),
    )
    .expect_error(400, "MissingArgument");
    complete(&c, &v, &u, 40_001 << 30, &whole).expect_error(400, "MultipartArchiveLengthExceed");
    // Part number 10 001 is out of range.
    let tiny = pattern(10);
    let t = oas_digest::digest::compute(&tiny);
    let start = 10_000 * ps;
    c.send(
        "PUT",
        &path,
        &[
            ("content-range", format!("{start}-{}", start + 9)),
            ("x-oas-content-etag", t.etag.clone()),
            ("x-oas-tree-etag", t.tree_etag.clone()),
        ],
        tiny,
    )
    .expect_error(400, "InvalidArgument");
    assert_eq!(complete(&c, &v, &u, data.len(), &whole).status, 201);
    // Part size validation.
    for bad in ["0", "1000", "abc", &(5u64 << 30).to_string()] {
        c.send(
            "POST",
            &format!("/vaults/{v}/multipart-uploads"),
            &[("x-oas-part-size", bad.to_string())],
            Vec::new(),
        )
        .expect_error(400, "InvalidArgument");
    }
    c.send(
        "POST",
        &format!("/vaults/{v}/multipart-uploads"),
        &[],
        Vec::new(),
    )
    .expect_error(400, "MissingArgument");
    c.get(&format!("/vaults/{v}/multipart-uploads/NOPE"))
        .expect_error(404, "UploadIdNotExists");
}

#[test]
fn strict_part_size() {
    let (_emu, c) = start(Config {
        strict_part_size: true,
        ..Default::default()
    });
    let v = c.create_vault("strict");
    let path = format!("/vaults/{v}/multipart-uploads");
    for (size, ok) in [
        (MIB, false),
        (16 * MIB, false),
        (48 * MIB, false),
        (32 * MIB, true),
        (64 * MIB, true),
        (128 * MIB, true),
    ] {
        let r = c.send(
            "POST",
            &path,
            &[("x-oas-part-size", size.to_string())],
            Vec::new(),
        );
        if ok {
            assert_eq!(r.status, 201, "{size}");
        } else {
            r.expect_error(400, "InvalidArgument");
        }
    }
}

#[test]
fn listings_abort_and_concurrent_parts() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("lists");
    let mut ups: Vec<String> = (0..5)
        .map(|i| initiate(&c, &v, MIB as u64, &format!("u{i}")))
        .collect();
    ups.sort();
    let path = format!("/vaults/{v}/multipart-uploads");
    let j = c.get(&format!("{path}?limit=2")).json();
    let l = j["UploadsList"].as_array().unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["MultipartUploadId"], ups[0].as_str());
    assert_eq!(l[0]["PartSizeInBytes"], MIB as u64);
    assert!(l[0]["ArchiveDescription"].is_string() && l[0]["CreationDate"].is_string());
    assert_eq!(j["Marker"], ups[2].as_str());
    let j = c.get(&format!("{path}?marker={}&limit=10", ups[2])).json();
    assert_eq!(j["UploadsList"].as_array().unwrap().len(), 3);
    assert_eq!(j["Marker"], "");
    c.get(&format!("{path}?marker=BOGUS"))
        .expect_error(400, "InvalidArgument");
    c.get(&format!("{path}?limit=x"))
        .expect_error(400, "ParameterIllegal");
    // Abort one.
    assert_eq!(
        c.send("DELETE", &format!("{path}/{}", ups[0]), &[], Vec::new())
            .status,
        204
    );
    assert_eq!(
        c.get(&path).json()["UploadsList"].as_array().unwrap().len(),
        4
    );
    // 12 parts of 1 MiB uploaded from 4 threads, then paged listing of parts.
    let u = ups[1].clone();
    let data = std::sync::Arc::new(pattern(12 * MIB - 3));
    std::thread::scope(|s| {
        for t in 0..4 {
            let (c, v, u, data) = (Client::new(&c.base), v.clone(), u.clone(), data.clone());
            s.spawn(move || {
                for i in (t..12).step_by(4) {
                    let len = (data.len() - i * MIB).min(MIB);
                    let r = put_part(&c, &v, &u, &data, i * MIB, len);
                    assert_eq!(r.status, 204);
                }
            });
        }
    });
    let j = c.get(&format!("{path}/{u}?limit=5")).json();
    assert_eq!(j["Parts"].as_array().unwrap().len(), 5);
    assert_eq!(j["Marker"], (5 * MIB).to_string());
    let j2 = c
        .get(&format!(
            "{path}/{u}?limit=5&marker={}",
            j["Marker"].as_str().unwrap()
        ))
        .json();
    assert_eq!(
        j2["Parts"][0]["RangeInBytes"],
        format!("{}-{}", 5 * MIB, 6 * MIB - 1)
    );
    let j3 = c
        .get(&format!(
            "{path}/{u}?marker={}",
            j2["Marker"].as_str().unwrap()
        ))
        .json();
    assert_eq!(j3["Parts"].as_array().unwrap().len(), 2);
    assert_eq!(j3["Marker"], "");
    c.get(&format!("{path}/{u}?marker=7"))
        .expect_error(400, "InvalidArgument");
    let whole = oas_digest::digest::compute(&data).tree_etag;
    let r = complete(&c, &v, &u, data.len(), &whole);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}
