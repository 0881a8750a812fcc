//! Jobs (spec §4.4): retrieval, output ranges, inventory, OSS stand-in, delay, expiry.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

fn output(c: &Client, v: &str, j: &str, range: Option<&str>) -> Resp {
    let hs: Vec<(&str, String)> = range
        .map(|r| vec![("range", r.to_string())])
        .unwrap_or_default();
    c.send(
        "GET",
        &format!("/vaults/{v}/jobs/{j}/output"),
        &hs,
        Vec::new(),
    )
}

fn describe(c: &Client, v: &str, j: &str) -> serde_json::Value {
    let r = c.get(&format!("/vaults/{v}/jobs/{j}"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[test]
fn archive_retrieval_and_output_ranges() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("jobs");
    let size = 5 * MIB + 13;
    let data = pattern(size);
    let a = c.upload_ok(&v, &data, "five");
    let whole = oas_digest::digest::compute(&data).tree_etag;
    let j = c.job_ok(
        &v,
        json!({"Type": "archive-retrieval", "ArchiveId": a, "Description": "get it"}),
    );
    let d = describe(&c, &v, &j);
    assert_eq!(d["JobId"], j.as_str());
    assert_eq!(d["Action"], "ArchiveRetrieval");
    assert_eq!(d["ArchiveId"], a.as_str());
    assert_eq!(d["StatusCode"], "Succeeded");
    assert_eq!(d["Completed"], true);
    assert_eq!(d["ArchiveSizeInBytes"], size as u64);
    assert_eq!(d["ArchiveTreeEtag"], whole.as_str());
    assert_eq!(d["TreeEtag"], whole.as_str());
    assert_eq!(d["RetrievalByteRange"], format!("0-{}", size - 1));
    assert_eq!(d["InventorySizeInBytes"], -1);
    assert_eq!(d["JobDescription"], "get it");
    assert!(httpdate::parse_http_date(d["CompletionDate"].as_str().unwrap()).is_ok());
    // Whole output without Range.
    let r = output(&c, &v, &j, None);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(r.header("x-oas-tree-etag").as_deref(), Some(whole.as_str()));
    assert!(r.header("content-range").is_none());
    assert!(r.header("x-oas-request-id").is_some());
    assert_eq!(r.body, data);
    // Whole output with Range: 200 with Content-Range.
    let r = output(&c, &v, &j, Some(&format!("bytes=0-{}", size - 1)));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-range").unwrap(),
        format!("bytes=0-{}/{size}", size - 1)
    );
    // Partial, tree-aligned and not.
    let cases = [
        (0, MIB - 1, true),
        (MIB, 2 * MIB - 1, true),
        (0, 2 * MIB - 1, true),
        (MIB, 3 * MIB - 1, false),
        (4 * MIB, size - 1, true),
        (0, 4 * MIB - 1, true),
        (2 * MIB, size - 1, false),
    ];
    for (s, e, aligned) in cases {
        let r = output(&c, &v, &j, Some(&format!("bytes={s}-{e}")));
        assert_eq!(r.status, 206, "{s}-{e}");
        assert_eq!(
            r.header("content-range").unwrap(),
            format!("bytes={s}-{e}/{size}")
        );
        assert_eq!(r.header("content-length").unwrap(), (e - s + 1).to_string());
        assert_eq!(r.body, &data[s..=e]);
        let want = oas_digest::digest::compute(&data[s..=e]).tree_etag;
        assert_eq!(
            r.header("x-oas-tree-etag"),
            aligned.then_some(want),
            "{s}-{e}"
        );
    }
    for bad in [
        "bytes=100-2000",
        "bytes=0-100",
        &format!("bytes=0-{size}"),
        "nonsense",
    ] {
        output(&c, &v, &j, Some(bad)).expect_error(413, "InvalidRange");
    }
    c.get(&format!("/vaults/{v}/jobs/NOPE"))
        .expect_error(404, "JobNotExists");
    output(&c, &v, "NOPE", None).expect_error(404, "JobNotExists");
}

#[test]
fn ranged_retrieval_jobs() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("ranged");
    let size = 5 * MIB + 13;
    let data = pattern(size);
    let a = c.upload_ok(&v, &data, "");
    // Aligned node 2 MiB..4 MiB.
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a, "RetrievalByteRange": format!("{}-{}", 2 * MIB, 4 * MIB - 1)}));
    let d = describe(&c, &v, &j);
    assert_eq!(
        d["TreeEtag"],
        oas_digest::digest::compute(&data[2 * MIB..4 * MIB])
            .tree_etag
            .as_str()
    );
    assert_eq!(
        d["RetrievalByteRange"],
        format!("{}-{}", 2 * MIB, 4 * MIB - 1)
    );
    let r = output(&c, &v, &j, Some(&format!("bytes={}-{}", MIB, 2 * MIB - 1)));
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[3 * MIB..4 * MIB]);
    assert_eq!(
        r.header("x-oas-tree-etag").unwrap(),
        oas_digest::digest::compute(&data[3 * MIB..4 * MIB]).tree_etag
    );
    // Unaligned 1 MiB..end: no job TreeEtag; output relative to the job start.
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a, "RetrievalByteRange": format!("{}-{}", MIB, size - 1)}));
    let d = describe(&c, &v, &j);
    assert_eq!(d["TreeEtag"], "");
    assert_eq!(
        d["ArchiveTreeEtag"],
        oas_digest::digest::compute(&data).tree_etag.as_str()
    );
    let r = output(&c, &v, &j, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, &data[MIB..]);
    assert!(r.header("x-oas-tree-etag").is_none());
    let r = output(
        &c,
        &v,
        &j,
        Some(&format!("bytes={}-{}", 3 * MIB, size - MIB - 1)),
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[4 * MIB..]);
    assert_eq!(
        r.header("x-oas-tree-etag").unwrap(),
        oas_digest::digest::compute(&data[4 * MIB..]).tree_etag
    );
    // Bad retrieval ranges and job bodies.
    for bad in ["100-2000", "0-5", &format!("0-{size}"), "abc", "5-1"] {
        c.job(
            &v,
            json!({"Type": "archive-retrieval", "ArchiveId": a, "RetrievalByteRange": bad}),
        )
        .expect_error(400, "InvalidArgument");
    }
    c.job(
        &v,
        json!({"Type": "inventory-retrieval", "RetrievalByteRange": "0-1048575"}),
    )
    .expect_error(400, "InvalidArgument");
    c.send(
        "POST",
        &format!("/vaults/{v}/jobs"),
        &[],
        b"{not json".to_vec(),
    )
    .expect_error(400, "JobJsonFormatError");
    c.job(&v, json!({"Type": 5}))
        .expect_error(400, "JobJsonFormatError");
    c.job(&v, json!({"ArchiveId": a}))
        .expect_error(400, "MissingArgument");
    c.job(&v, json!({"Type": "archive-retrieval"}))
        .expect_error(400, "MissingArgument");
    c.job(&v, json!({"Type": "teleport"}))
        .expect_error(400, "InvalidArgument");
    c.job(
        &v,
        json!({"Type": "archive-retrieval", "ArchiveId": "NOPE"}),
    )
    .expect_error(404, "ArchiveNotExists");
    c.job("NOVAULT", json!({"Type": "inventory-retrieval"}))
        .expect_error(404, "VaultNotExists");
    // Output survives deleting the archive.
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/vaults/{v}/archives/{a}"),
            &[],
            Vec::new()
        )
        .status,
        204
    );
    assert_eq!(output(&c, &v, &j, None).body, &data[MIB..]);
}

#[test]
fn inventory_and_job_listing() {
    let (_emu, c) = start(Config::default());
    let v = c.create_vault("inv");
    let a1 = c.upload_ok(&v, &pattern(100), "first");
    let a2 = c.upload_ok(&v, &pattern(MIB + 1), "second");
    let j = c.job_ok(
        &v,
        json!({"Type": "inventory-retrieval", "Description": "inv"}),
    );
    let d = describe(&c, &v, &j);
    assert_eq!(d["Action"], "InventoryRetrieval");
    assert_eq!(d["StatusCode"], "Succeeded");
    assert_eq!(d["ArchiveId"], "");
    assert_eq!(d["ArchiveSizeInBytes"], -1);
    assert_eq!(d["TreeEtag"], "");
    assert_eq!(d["ArchiveTreeEtag"], "");
    assert_eq!(d["RetrievalByteRange"], "");
    let n = d["InventorySizeInBytes"].as_u64().unwrap();
    assert!(n > 0);
    let r = output(&c, &v, &j, Some(&format!("bytes=0-{}", n - 1)));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(r.header("x-oas-tree-etag").is_none());
    assert!(r.header("content-range").is_some());
    assert_eq!(r.body.len() as u64, n);
    let inv = r.json();
    assert_eq!(inv["VaultId"], v.as_str());
    assert!(httpdate::parse_http_date(inv["InventoryDate"].as_str().unwrap()).is_ok());
    let list = inv["ArchiveList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let e2 = list.iter().find(|e| e["ArchiveId"] == a2.as_str()).unwrap();
    assert_eq!(e2["ArchiveDescription"], "second");
    assert_eq!(e2["Size"], (MIB + 1) as u64);
    assert_eq!(
        e2["TreeEtag"],
        oas_digest::digest::compute(&pattern(MIB + 1))
            .tree_etag
            .as_str()
    );
    assert!(httpdate::parse_http_date(e2["CreationDate"].as_str().unwrap()).is_ok());
    assert!(list.iter().any(|e| e["ArchiveId"] == a1.as_str()));
    assert!(!c.get(&format!("/vaults/{v}")).json()["LastInventoryDate"]
        .as_str()
        .unwrap()
        .is_empty());
    // Listing pages by JobId.
    let mut ids: Vec<String> = vec![j];
    for _ in 0..4 {
        ids.push(c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a1})));
    }
    ids.sort();
    let path = format!("/vaults/{v}/jobs");
    let p1 = c.get(&format!("{path}?limit=2")).json();
    assert_eq!(p1["JobList"].as_array().unwrap().len(), 2);
    assert_eq!(p1["JobList"][0]["JobId"], ids[0].as_str());
    assert_eq!(p1["Marker"], ids[2].as_str());
    let p2 = c.get(&format!("{path}?limit=2&marker={}", ids[2])).json();
    assert_eq!(p2["Marker"], ids[4].as_str());
    let p3 = c.get(&format!("{path}?marker={}", ids[4])).json();
    assert_eq!(p3["JobList"].as_array().unwrap().len(), 1);
    assert_eq!(p3["Marker"], "");
    c.get(&format!("{path}?marker=NOPE"))
        .expect_error(400, "InvalidArgument");
    c.get(&format!("{path}?limit=-3"))
        .expect_error(400, "ParameterIllegal");
}

#[test]
fn delayed_jobs_and_expiry() {
    let (_emu, c) = start(Config {
        job_delay: Duration::from_millis(1500),
        job_lifetime: Duration::from_secs(2),
        ..Default::default()
    });
    let v = c.create_vault("delay");
    let a = c.upload_ok(&v, &pattern(10), "");
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a}));
    let d = describe(&c, &v, &j);
    assert_eq!(d["StatusCode"], "InProgress");
    assert_eq!(d["Completed"], false);
    assert_eq!(d["ArchiveSizeInBytes"], -1);
    assert_eq!(d["InventorySizeInBytes"], -1);
    assert_eq!(d["ArchiveTreeEtag"], "");
    assert_eq!(d["TreeEtag"], "");
    assert_eq!(d["CompletionDate"], "");
    output(&c, &v, &j, None).expect_error(400, "JobNotReady");
    std::thread::sleep(Duration::from_millis(1700));
    let d = describe(&c, &v, &j);
    assert_eq!(d["StatusCode"], "Succeeded");
    assert_eq!(output(&c, &v, &j, None).body, pattern(10));
    // Expires within lifetime + ticker period.
    std::thread::sleep(Duration::from_millis(3000));
    c.get(&format!("/vaults/{v}/jobs/{j}"))
        .expect_error(404, "JobNotExists");
    assert_eq!(
        c.get(&format!("/vaults/{v}/jobs")).json()["JobList"],
        json!([])
    );
}

#[test]
fn oss_pull_and_push() {
    let oss = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(oss.path().join("bucket/dir")).unwrap();
    let data = pattern(2 * MIB + 99);
    std::fs::write(oss.path().join("bucket/dir/obj.bin"), &data).unwrap();
    let (_emu, c) = start(Config {
        oss_dir: Some(oss.path().to_path_buf()),
        ..Default::default()
    });
    let v = c.create_vault("oss");
    let oss_job = |ty: &str, obj: &str, archive: Option<&str>| {
        let mut b = json!({"Type": ty, "OSSHost": "oss-cn-hangzhou-internal.aliyuncs.com", "Bucket": "bucket", "Object": obj, "Description": "oss"});
        if let Some(a) = archive {
            b["ArchiveId"] = json!(a);
        }
        c.job_ok(&v, b)
    };
    let j = oss_job("pull-from-oss", "dir/obj.bin", None);
    let d = describe(&c, &v, &j);
    assert_eq!(d["Action"], "PullFromOSS");
    assert_eq!(d["StatusCode"], "Succeeded", "{d}");
    let a = d["ArchiveId"].as_str().unwrap().to_string();
    assert!(!a.is_empty());
    assert_eq!(d["ArchiveSizeInBytes"], data.len() as u64);
    let m = c.get(&format!("/vaults/{v}/archives/{a}/meta")).json();
    assert_eq!(
        m["ArchiveTreeEtag"],
        oas_digest::digest::compute(&data).tree_etag.as_str()
    );
    output(&c, &v, &j, None).expect_error(400, "InvalidArgument");
    // Missing object: Failed with a message; output is JobNoOutput for failed retrievals.
    let j = oss_job("pull-from-oss", "missing.bin", None);
    let d = describe(&c, &v, &j);
    assert_eq!(d["StatusCode"], "Failed");
    assert_eq!(d["Completed"], true);
    assert!(d["StatusMessage"].as_str().unwrap().contains("missing.bin"));
    // Push writes the archive bytes.
    let j = oss_job("push-to-oss", "out/copy.bin", Some(&a));
    let d = describe(&c, &v, &j);
    assert_eq!(d["Action"], "PushToOSS");
    assert_eq!(d["StatusCode"], "Succeeded", "{d}");
    assert_eq!(
        std::fs::read(oss.path().join("bucket/out/copy.bin")).unwrap(),
        data
    );
    let mut b = json!({"Type": "push-to-oss", "Bucket": "nobucket", "Object": "x", "ArchiveId": a});
    let j = c.job_ok(&v, b.clone());
    assert_eq!(describe(&c, &v, &j)["StatusCode"], "Failed");
    b["Object"] = json!("../escape");
    c.job(&v, b).expect_error(400, "InvalidArgument");
    // A failed retrieval: archive deleted before a delayed job finishes is covered by JobNoOutput.
    c.job(&v, json!({"Type": "pull-from-oss", "Bucket": "bucket"}))
        .expect_error(400, "MissingArgument");
}

#[test]
fn failed_job_has_no_output() {
    let (_emu, c) = start(Config {
        job_delay: Duration::from_millis(300),
        ..Default::default()
    });
    let v = c.create_vault("failing");
    let a = c.upload_ok(&v, &pattern(10), "");
    let j = c.job_ok(&v, json!({"Type": "archive-retrieval", "ArchiveId": a}));
    assert_eq!(
        c.send(
            "DELETE",
            &format!("/vaults/{v}/archives/{a}"),
            &[],
            Vec::new()
        )
        .status,
        204
    );
    std::thread::sleep(Duration::from_millis(400));
    let d = describe(&c, &v, &j);
    assert_eq!(d["StatusCode"], "Failed");
    output(&c, &v, &j, None).expect_error(400, "JobNoOutput");
}
